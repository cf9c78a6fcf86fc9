"""A suggested column mapping as a form a person reviews, and the form's answers back as a mapping.

The web's mapping page shows, per dataset the suggester found, each canonical field with the
extract's columns to choose from (the guess preselected, its confidence and evidence beside it),
and each coded field's values with the canonical values to choose from. What the person chose
(``Answers``) becomes a ``Mapping`` here, checked by the mapping model itself, or a list of
problems naming the field at fault. Pure: samples and a suggestion in, rows and a mapping out.

No identifier is kept: a column's values are listed only when it is a code list (few distinct
values, each repeated, none an NHS number) and never for a column taken as a patient identifier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping as MappingOf
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import yaml
from pydantic import TypeAdapter, ValidationError

from stocktake.ingest.mapping import ColumnMapping, DatasetMapping, Mapping
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.ingest.schemas import DATASETS, Column
from stocktake.ingest.suggest import (
    CODE_LIMIT,
    ColumnSample,
    DatasetSuggestion,
    ExtractSample,
    FieldSuggestion,
    Suggestion,
    field_choices,
    load_vocabulary,
    profile,
    value_fit,
)
from stocktake.ingest.validate import FALSE_WORDS, TRUE_WORDS
from stocktake.validation_messages import problems as described

#: A code chosen to load as written (for a field whose values are not a fixed list).
AS_WRITTEN = "(as written)"
#: Below this confidence a guess is marked for a closer look.
LOW_CONFIDENCE = 0.7


class ReviewError(ValueError):
    """The answers do not make a usable mapping; ``problems`` names each field at fault."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


# --- what the form offers --------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleColumn:
    """One column of a sample extract as the form offers it."""

    name: str
    #: The strptime format most of its values parse as, if they are dates.
    date_format: str | None = None
    #: Its distinct values with their rows in the sample, when it is a code list; else empty.
    values: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ReviewDataset:
    suggestion: DatasetSuggestion
    columns: tuple[SampleColumn, ...]

    @property
    def name(self) -> str:
        return self.suggestion.dataset

    def column(self, name: str) -> SampleColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def suggested(self, field: str) -> FieldSuggestion | None:
        return next((f for f in self.suggestion.fields if f.field == field), None)


@dataclass(frozen=True)
class Review:
    """A suggestion with what the form needs to offer other choices: every column of each file."""

    source: str
    datasets: tuple[ReviewDataset, ...]
    #: Files (or sheets) that look like no canonical dataset.
    unmatched: tuple[str, ...] = ()
    #: The values the catalogue's measures compare each field with (``metrics.coverage.codes_used``).
    catalogue_codes: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = ()

    def dataset(self, name: str) -> ReviewDataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    @property
    def codes(self) -> dict[str, dict[str, tuple[str, ...]]]:
        return {d: dict(fields) for d, fields in self.catalogue_codes}


_STORED = TypeAdapter(Review)


def review_to_json(review: Review) -> bytes:
    """The review kept between the form's requests (the sample files themselves are not kept)."""
    return _STORED.dump_json(review)


def review_from_json(data: bytes | str) -> Review:
    return _STORED.validate_json(data)


def _listed(column: ColumnSample, identifier: bool) -> tuple[tuple[str, int], ...]:
    """A column's values worth offering as codes: few distinct ones, each seen more than once on
    the whole (a key or a patient number is not a code list), none an NHS number; counted over the
    whole file where the sampler counted them (a rare code the sample missed is offered too)."""
    filled = [v.strip() for v in column.values if v.strip()]
    counts = Counter(dict(column.counts)) if column.counts else Counter(filled)
    if identifier or not counts or len(counts) > CODE_LIMIT or len(counts) * 2 > counts.total():
        return ()
    if any(mask_nhs_numbers(v) != v for v in counts):
        return ()
    return tuple(counts.most_common())


def review_of(
    samples: Sequence[ExtractSample],
    suggestion: Suggestion,
    catalogue_codes: MappingOf[str, MappingOf[str, Sequence[str]]] | None = None,
    today: date | None = None,
) -> Review:
    """The suggestion with every column of each matched file, its date format and, for code lists,
    its values (identifiers never)."""
    today = today or date.today()
    by_file = {(s.file, s.sheet): s for s in samples}
    datasets = []
    for found in suggestion.datasets:
        sample = by_file[(found.file, found.sheet)]
        schema = DATASETS[found.dataset]
        identifiers = {f.column for f in found.fields if schema.column(f.field).identifier}
        columns = []
        for column in sample.columns:
            seen = profile(column.values, today)
            identifier = column.name in identifiers or seen.nhs_share >= 0.5
            columns.append(SampleColumn(column.name, seen.date_format, _listed(column, identifier)))
        datasets.append(ReviewDataset(found, tuple(columns)))
    codes = tuple(
        (d, tuple((f, tuple(v)) for f, v in fields.items())) for d, fields in (catalogue_codes or {}).items()
    )
    return Review(suggestion.source, tuple(datasets), suggestion.unmatched, codes)


# --- what the person chose ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldAnswer:
    """One field as chosen: its column ("" for none), the date format, and each code's value
    ("" not given, ``AS_WRITTEN``, or a canonical value as text: "true"/"false" for a flag).
    ``shown_for`` is the column the format and codes on the form were for: when the column has
    changed since, they are the new column's defaults and must be looked at before saving."""

    column: str
    format: str = ""
    codes: tuple[tuple[str, str], ...] = ()
    shown_for: str = ""


@dataclass(frozen=True)
class DatasetAnswer:
    include: bool
    fields: tuple[tuple[str, FieldAnswer], ...]

    def field(self, name: str) -> FieldAnswer | None:
        return dict(self.fields).get(name)


Answers = MappingOf[str, DatasetAnswer]


# --- the form's rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRow:
    code: str
    #: Rows with this code in the sample (0: not in the sample, added as the national code).
    rows: int
    chosen: str
    #: False where the suggester could not place it: the form highlights it.
    placed: bool


@dataclass(frozen=True)
class FieldRow:
    field: str
    required: bool
    type: str
    column: str
    suggested: str
    confidence: float | None
    evidence: str
    format: str
    check: str | None
    #: The canonical values a code may be given (empty: not a coded field).
    choices: tuple[str, ...]
    #: True where a code may load as written (no fixed list of values).
    as_written: bool
    codes: tuple[CodeRow, ...]
    #: Why no codes are listed for a coded field ("" when they are, or the field is not coded).
    codes_note: str
    #: The column changed since the form showed its codes and format.
    changed: bool

    @property
    def dated(self) -> bool:
        return self.type in ("date", "timestamp")

    @property
    def needs_review(self) -> bool:
        return not self.column or self.confidence is None or self.confidence < LOW_CONFIDENCE

    @property
    def unplaced(self) -> int:
        return sum(not c.placed for c in self.codes)


@dataclass(frozen=True)
class DatasetRows:
    dataset: str
    file: str
    sheet: str | None
    include: bool
    fit: float
    columns: tuple[str, ...]
    fields: tuple[FieldRow, ...]
    unused: tuple[str, ...]


def as_text(value: str | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _choices(review: Review, dataset: str, column: Column) -> tuple[str | bool, ...]:
    return field_choices(dataset, column, load_vocabulary(), review.codes)


def _suggested_codes(
    review: Review, found: ReviewDataset, column: Column, sample: SampleColumn, today: date
) -> tuple[dict[str, str | bool], set[str], tuple[str, ...]]:
    """The suggester's placement of a column's values for a field (the same ``value_fit`` it
    matched with): code → value, the codes it could not place, and the national codes it added."""
    values = [v for v, n in sample.values for _ in range(n)]
    fit = value_fit(DATASETS[found.name], column, profile(values, today), load_vocabulary(), review.codes)
    unplaced = {v for v, _ in fit.unplaced}
    return dict(fit.codes), unplaced, fit.assumed


def _default_choice(code: str, placed: dict, choices: tuple[str, ...], column: Column, keep: bool) -> str:
    if code in placed and not (keep and placed[code] == code and code not in choices):
        return as_text(placed[code])
    if code in choices:
        return code
    if column.type == "boolean" and code.lower() in TRUE_WORDS | FALSE_WORDS:
        return "true" if code.lower() in TRUE_WORDS else "false"
    return AS_WRITTEN if keep else ""


def field_rows(
    review: Review, answers: Answers | None = None, today: date | None = None
) -> tuple[DatasetRows, ...]:
    """The form: per dataset, each canonical field with its column, evidence, format and codes,
    as suggested or as last chosen."""
    today = today or date.today()
    found_rows = []
    for found in review.datasets:
        answer = (answers or {}).get(found.name)
        rows = []
        for column in DATASETS[found.name].columns:
            given = answer.field(column.name) if answer else None
            rows.append(_field_row(review, found, column, given, today))
        used = {r.column for r in rows if r.column}
        found_rows.append(
            DatasetRows(
                dataset=found.name,
                file=found.suggestion.file,
                sheet=found.suggestion.sheet,
                include=answer.include if answer else found.suggestion.complete,
                fit=found.suggestion.fit,
                columns=tuple(c.name for c in found.columns),
                fields=tuple(rows),
                unused=tuple(c.name for c in found.columns if c.name not in used),
            )
        )
    return tuple(found_rows)


def _field_row(
    review: Review, found: ReviewDataset, column: Column, given: FieldAnswer | None, today: date
) -> FieldRow:
    suggested = found.suggested(column.name)
    chosen = given.column if given is not None else (suggested.column if suggested else "")
    if chosen and found.column(chosen) is None:
        chosen = ""  # not a column of this file (a stale or forged form): as if none were chosen
    as_suggested = suggested is not None and chosen == suggested.column
    changed = given is not None and chosen != given.shown_for and bool(chosen)
    kept_answer = given is not None and not changed and chosen == given.shown_for
    if as_suggested:
        confidence, evidence = suggested.confidence, suggested.evidence
    elif chosen:
        confidence, evidence = None, "chosen by you" if suggested else "chosen by you (none suggested)"
    else:
        confidence = None
        evidence = f"none chosen (suggested: {suggested.column})" if suggested else "no column found"
    sample = found.column(chosen) if chosen else None
    default_format = (suggested.format if as_suggested else (sample.date_format if sample else None)) or ""
    date_format = given.format if kept_answer else default_format
    choices = tuple(as_text(v) for v in _choices(review, found.name, column))
    keep = bool(choices) and column.type != "boolean" and not column.codes
    codes, note = (), ""
    if choices and sample is not None:
        if sample.values:
            placed, unplaced, assumed = _suggested_codes(review, found, column, sample, today)
            answered = dict(given.codes) if kept_answer else {}
            listed = [(v, n) for v, n in sample.values] + [(a, 0) for a in assumed]
            codes = tuple(
                CodeRow(
                    code,
                    rows,
                    answered.get(code, _default_choice(code, placed, choices, column, keep)),
                    code not in unplaced,
                )
                for code, rows in listed
            )
        else:
            note = (
                f"more than {CODE_LIMIT} different values, or identifiers: not a code list, values not listed"
            )
    return FieldRow(
        field=column.name,
        required=column.required,
        type=column.type,
        column=chosen,
        suggested=suggested.column if suggested else "",
        confidence=confidence,
        evidence=mask_nhs_numbers(evidence),
        format=date_format if column.type in ("date", "timestamp") else "",
        check=suggested.check if as_suggested else None,
        choices=choices,
        as_written=keep,
        codes=codes,
        codes_note=note,
        changed=changed and (bool(codes) or column.type in ("date", "timestamp")),
    )


# --- the answers as a mapping ----------------------------------------------------------------------


def _plain_reading(code: str, column: Column) -> str | None:
    """What ingest makes of a code with no code list: a flag's yes/no word, else the code itself."""
    if column.type == "boolean":
        word = code.lower()
        return "true" if word in TRUE_WORDS else "false" if word in FALSE_WORDS else None
    return code


def _column_mapping(dataset: str, row: FieldRow, problems: list[str]) -> ColumnMapping:
    column = DATASETS[dataset].column(row.field)
    where = f"{dataset}.{row.field}"
    if row.changed:
        problems.append(
            f"{where}: you chose the column {row.column!r}: check its format and codes below, then save"
        )
    codes: dict[str, str | bool] = {}
    for code in row.codes:
        if code.chosen == "":
            if code.rows:
                problems.append(
                    f"{where}: the code {code.code!r} ({code.rows:,} rows in the sample) has no value: "
                    f"choose one of {', '.join(row.choices)}, or the rows with it will be refused"
                )
            continue
        if code.chosen == AS_WRITTEN:
            value: str | bool = code.code
        elif code.chosen in row.choices:
            value = code.chosen == "true" if column.type == "boolean" else code.chosen
        else:
            problems.append(
                f"{where}: {code.chosen!r} for the code {code.code!r} is not one of {', '.join(row.choices)}"
            )
            continue
        codes[code.code] = value
    plain = all(_plain_reading(code, column) == as_text(value) for code, value in codes.items())
    return ColumnMapping(
        column=row.column,
        format=row.format.strip() or None if row.dated else None,
        codes=None if plain else codes,
        check=row.check,
    )


def mapping_from(
    review: Review,
    answers: Answers,
    source: str,
    keep: Mapping | None = None,
    today: date | None = None,
) -> Mapping:
    """The mapping the answers make: the datasets included here, and ``keep``'s other datasets (the
    department's mapping's, so reviewing one extract does not drop the rest). Checked by the mapping
    model; a problem anywhere raises ``ReviewError`` naming every field at fault."""
    problems: list[str] = []
    if not source.strip():
        problems.append("source: say which system the extracts come from")
    datasets = dict(keep.datasets) if keep else {}
    included = [rows for rows in field_rows(review, answers, today) if rows.include]
    for rows in included:
        columns = {r.field: _column_mapping(rows.dataset, r, problems) for r in rows.fields if r.column}
        datasets[rows.dataset] = DatasetMapping(file=rows.file, columns=columns)
    if not included:
        problems.append("datasets: include at least one dataset to save")
    if problems:
        raise ReviewError(problems)
    try:
        return Mapping.model_validate(
            {
                "source": source.strip(),
                "datasets": {name: spec.model_dump(exclude_none=True) for name, spec in datasets.items()},
            }
        )
    except ValidationError as error:
        lines = [p.removeprefix("top level: ") for p in described(error)]
        raise ReviewError([part for line in lines for part in line.split("; ")]) from error


def reached(review: Review, answers: Answers | None, keep: Mapping | None = None, today: date | None = None):
    """What the chosen fields give coverage (``metrics.coverage.coverage``), as the mapping would:
    per dataset and field, the canonical values its codes reach, or None where values load as written."""
    found: dict[str, dict[str, frozenset[str] | None]] = {}
    if keep:
        for name, spec in keep.datasets.items():
            found[name] = {
                f: frozenset(as_text(v) for v in c.codes.values()) if c.codes is not None else None
                for f, c in spec.columns.items()
            }
    for rows in field_rows(review, answers, today):
        if not rows.include:
            continue
        given = {}
        for row in rows.fields:
            if not row.column:
                continue
            chosen = {c.chosen for c in row.codes if c.chosen and c.chosen != AS_WRITTEN}
            given[row.field] = frozenset(chosen) if row.codes and row.choices else None
        found[rows.dataset] = given
    return found


def mapping_yaml(mapping: Mapping, header: str = "") -> str:
    """A mapping as its YAML file, fields in the schema's order; ``header`` goes first as comments."""
    document = {"source": mapping.source, "datasets": {}}
    for name in [n for n in DATASETS if n in mapping.datasets]:
        spec = mapping.datasets[name]
        order = DATASETS[name].names
        columns = {f: spec.columns[f].model_dump(exclude_none=True) for f in order if f in spec.columns}
        document["datasets"][name] = {"file": spec.file, "columns": columns}
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10_000)
