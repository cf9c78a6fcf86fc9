"""A programme's evaluation files: survey exports, SCALE.yaml, DOMAINS.yaml and the cohort list.

Surveys are read as Microsoft Forms, Qualtrics and SurveyMonkey export them (CSV or XLSX, one row
per response, answers as text); Qualtrics' question-text and ImportId rows and SurveyMonkey's
sub-header row under the header are skipped, and the reading says so. Every problem is one line
naming the file, the row a spreadsheet shows, the column and the value, raised before anything is
written. An answer the scale does not know is refused with the list of every such answer, unless
the analyst says to treat them as missing (then they are counted, never quietly dropped).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stocktake.ingest.read import ReadError, read_raw
from stocktake.ingest.validate import RowError
from stocktake.programmes import Domain, Level, Scale, Survey, map_answers, normalise
from stocktake.validation_messages import describe

#: How far a record's index is from the row a spreadsheet shows (the header is row 1).
SHEET_ROW = 2
#: Unknown answers listed in the one-line refusal before the rest are counted.
LISTED_UNKNOWN = 12


class ProgrammeFileError(ValueError):
    """A file that cannot be used; the message is one line naming file, row, column and value."""


# --- SCALE.yaml and DOMAINS.yaml -------------------------------------------------------------------


class _LevelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    answers: list[str] = []


class _ScalesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    missing: list[str] = ["-", ""]
    scales: dict[str, list[str | _LevelSpec]] = Field(min_length=1)

    @field_validator("missing", mode="before")
    @classmethod
    def _missing_as_text(cls, value):
        return [str(v) if v is not None else "" for v in value] if isinstance(value, list) else value


class _DomainSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    scale: str
    items: list[str] = Field(min_length=1)
    level: Literal["reaction", "learning", "behaviour"] = "learning"  # its items' Kirkpatrick level


class _DomainsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domains: list[_DomainSpec] = Field(min_length=1)


def _yaml(path: Path, what: str) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ProgrammeFileError(f"{path}: cannot read {what}: {' '.join(str(error).split())}") from None
    if not isinstance(data, dict):
        raise ProgrammeFileError(f"{path}: expected a mapping ({what})")
    return data


def read_scales(path: Path) -> dict[str, Scale]:
    """SCALE.yaml: each scale's levels, lowest first (a level is a text, or a label with the other
    answers meaning it), and the answers meaning "skipped"."""
    try:
        spec = _ScalesSpec.model_validate(_yaml(path, "the scales"))
    except ValidationError as error:
        raise ProgrammeFileError(f"{path}: {describe(error)}") from None
    scales = {}
    for name, written in spec.scales.items():
        levels = tuple(
            Level(w, score, ()) if isinstance(w, str) else Level(w.label, score, tuple(w.answers))
            for score, w in enumerate(written, start=1)
        )
        try:
            scales[name] = Scale(name, levels, tuple(spec.missing))
        except ValueError as error:
            raise ProgrammeFileError(f"{path}, scales.{name}: {error}") from None
    return scales


def read_domains(path: Path, scales: dict[str, Scale]) -> tuple[Domain, ...]:
    """DOMAINS.yaml: the programme's domains, each a name, a scale of SCALE.yaml, its items and its
    Kirkpatrick level (reaction, learning or behaviour; learning when not given)."""
    try:
        spec = _DomainsSpec.model_validate(_yaml(path, "the domains"))
    except ValidationError as error:
        raise ProgrammeFileError(f"{path}: {describe(error)}") from None
    names = Counter(d.name for d in spec.domains)
    for position, domain in enumerate(spec.domains):
        place = f"{path}, domains.{position} ({domain.name!r})"
        if names[domain.name] > 1:
            raise ProgrammeFileError(f"{place}: the domain name is used twice")
        if domain.scale not in scales:
            raise ProgrammeFileError(f"{place}: no scale {domain.scale!r} (the scales: {', '.join(scales)})")
        twice = [item for item, n in Counter(map(normalise, domain.items)).items() if n > 1]
        if twice:
            raise ProgrammeFileError(f"{place}: the item {twice[0]!r} is listed twice")
    return tuple(Domain(d.name, scales[d.scale], tuple(d.items), d.level) for d in spec.domains)


# --- the cohort and the surveys ---------------------------------------------------------------------


def _table(path: Path) -> pd.DataFrame:
    try:
        return read_raw(Path(path))
    except ReadError as error:
        raise ProgrammeFileError(str(error.errors[0]) if error.errors else str(error)) from None
    except (OSError, ValueError) as error:
        raise ProgrammeFileError(f"{path}: cannot read the file: {error}") from None


def _column(table: pd.DataFrame, wanted: str, path: Path, why: str) -> str:
    """The column whose name is ``wanted`` once dashes, spaces and case are set aside."""
    found = {normalise(c): c for c in table.columns}
    if normalise(wanted) in found:
        return found[normalise(wanted)]
    near = difflib.get_close_matches(wanted, [str(c) for c in table.columns], n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ProgrammeFileError(f"{path}, row 1: no column {wanted!r}, which {why}{hint}")


def _ids(table: pd.DataFrame, column: str, path: Path) -> tuple[str, ...]:
    """The response ids, each present and used once."""
    first_row: dict[str, int] = {}
    for index, value in table[column].items():
        row, text = int(index) + SHEET_ROW, str(value).strip()
        if not text:
            raise ProgrammeFileError(str(RowError(str(path), row, column, "", "a response id")))
        if text in first_row:
            expected = f"an id used once (it is on row {first_row[text]} too): a duplicate response"
            raise ProgrammeFileError(str(RowError(str(path), row, column, text, expected)))
        first_row[text] = row
    return tuple(first_row)


def read_cohort(path: Path, id_column: str) -> tuple[str, ...]:
    """Everyone invited: a CSV or XLSX with one person a row in the ``--id`` column."""
    table = _table(path)
    return _ids(table, _column(table, id_column, path, "--id names"), path)


def _without_sub_headers(table: pd.DataFrame, id_column: str) -> tuple[pd.DataFrame, str | None]:
    """The responses without the rows survey tools put under the header: Qualtrics' question texts
    and ImportIds, SurveyMonkey's "Response" / "Open-Ended Response" row."""
    head = table.head(2)
    for position, (_, record) in enumerate(head.iterrows()):
        if any(str(v).lstrip().startswith('{"ImportId"') for v in record):
            return table.iloc[position + 1 :], f"skipped Qualtrics' {position + 1} row(s) under the header"
    if len(table) and not str(table[id_column].iloc[0]).strip():
        first = {normalise(v) for v in table.iloc[0] if str(v).strip()}
        if first & {"response", "open-ended response"}:
            return table.iloc[1:], "skipped SurveyMonkey's row under the header"
    return table, None


@dataclass(frozen=True)
class SurveyFile:
    """A survey read and mapped to levels, with what was done to read it."""

    path: Path
    survey: Survey
    notes: tuple[str, ...]
    unknown_as_missing: int = 0


def read_survey(
    path: Path,
    label: str,
    id_column: str,
    domains: Sequence[Domain],
    *,
    cohort: Sequence[str] | None = None,
    cohort_file: Path | None = None,
    unknown_as_missing: bool = False,
    withdrawn: Sequence[str] = (),
) -> SurveyFile:
    """One survey export: its respondents (each once, each in the cohort when one is given) and
    every domain item's answers as levels of the domain's scale. Responses from ``withdrawn`` ids
    (participants withdrawn from the cohort: known, not strangers) are left out and counted in a note."""
    path = Path(path)
    table = _table(path)
    id_name = _column(table, id_column, path, "--id names")
    table, skipped = _without_sub_headers(table, id_name)
    ids = _ids(table, id_name, path)
    # Left out of every evaluation, the ones kept from before the withdrawal too: were only later ones
    # to leave them out, two evaluations of one survey would differ by exactly their answers.
    left_out = set(withdrawn)
    gone = [str(v).strip() in left_out for v in table[id_name]]
    if any(gone):
        table = table[[not g for g in gone]]
        ids = tuple(i for i in ids if i not in left_out)
    if cohort is not None:
        _check_in_cohort(table, id_name, path, set(cohort), cohort_file)
    scores, unknown = {}, []
    for domain in domains:
        for item in domain.items:
            name = _column(table, item, path, f"DOMAINS.yaml's domain {domain.name!r} names as an item")
            answers = [str(a) for a in table[name]]
            scores[item], positions = map_answers(answers, domain.scale)
            unknown += [
                (int(table.index[p]) + SHEET_ROW, name, answers[p], domain.scale.name) for p in positions
            ]
    if unknown and not unknown_as_missing:
        raise ProgrammeFileError(_unknown_refusal(path, unknown))
    withdrawn_note = (
        f"{sum(gone)} response{'s' if sum(gone) != 1 else ''} from withdrawn participants, left out"
        if any(gone)
        else None
    )
    notes = tuple(filter(None, [skipped, withdrawn_note, _unknown_note(unknown) if unknown else None]))
    return SurveyFile(path, Survey(label, ids, scores, left_out=sum(gone)), notes, len(unknown))


def _check_in_cohort(table, id_name: str, path: Path, cohort: set[str], cohort_file: Path | None) -> None:
    for index, value in table[id_name].items():
        if str(value).strip() not in cohort:
            expected = f"an id of the cohort ({cohort_file or 'the cohort list'})"
            raise ProgrammeFileError(
                str(RowError(str(path), int(index) + SHEET_ROW, id_name, str(value), expected))
            )


def _unknown_refusal(path: Path, unknown: list[tuple[int, str, str, str]]) -> str:
    """One line: the first unknown answer's place, then every distinct unknown answer and its count."""
    row, column, value, scale = unknown[0]
    first = RowError(str(path), row, column, value, f"an answer on the scale {scale!r}")
    return (
        f"{first}; {_listing(unknown)} (add them to SCALE.yaml, or use --unknown-as-missing to count "
        "them as skipped)"
    )


def _listing(unknown: list[tuple[int, str, str, str]]) -> str:
    counts = Counter((column, value) for _, column, value, _ in unknown)
    listed = [f"{column}: {value!r} x{n}" for (column, value), n in list(counts.items())[:LISTED_UNKNOWN]]
    more = len(counts) - LISTED_UNKNOWN
    tail = f", and {more} more" if more > 0 else ""
    return f"{len(counts)} answer(s) not on the scale: " + ", ".join(listed) + tail


def _unknown_note(unknown: list[tuple[int, str, str, str]]) -> str:
    return f"treated as skipped, as asked: {len(unknown)} answers, {_listing(unknown)}"
