"""Suggesting a column mapping from a trust's own extracts: which file holds which canonical dataset,
which column is which field, with a confidence and the evidence for every guess.

Pure: the matching takes column names and sample values (``ExtractSample``), not files
(``ingest/samples.py`` reads them; ``ingest/draft.py`` writes the draft mapping file). A column is
matched by its name (normalised, with the synonyms and abbreviations trusts use, kept as data in
``synonyms.yaml``) and by its values (date formats, NHS number check digits, code lists, numeric
ranges, yes/no flags, a workbook's Excel serial dates). One column goes to at most one field and one
file to at most one dataset:
both are assignments (OR-Tools), so a strong match elsewhere is not spent twice. No identifier value
is ever repeated: an NHS number column is described ("10-digit, 100% valid check digit"), never quoted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping as MappingOf
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from ortools.graph.python import linear_sum_assignment

from stocktake.ingest.pseudonymise import is_valid_nhs_number, mask_nhs_numbers, nhs_number_checks
from stocktake.ingest.schemas import DATASETS, EARLIEST_DATE, LATEST_DAYS_AHEAD, Column, Dataset
from stocktake.ingest.sniff import EXCEL_EPOCH

SYNONYMS = Path(__file__).with_name("synonyms.yaml")
#: A column with more distinct values than this in the sample is not a code list.
CODE_LIMIT = 50
#: Below this confidence a column is not offered for a field, and below FILE_THRESHOLD a file is
#: not taken for a dataset: a wrong guess costs the reviewer more than a blank one.
THRESHOLD = 0.3
FILE_THRESHOLD = 0.3
#: Optional fields count half as much as required ones when judging which dataset a file holds.
OPTIONAL_WEIGHT = 0.5

CanonicalValue = str | bool


# --- what the suggester is given, and what it gives back --------------------------------------------


@dataclass(frozen=True)
class ColumnSample:
    """One column of an extract: its header and a sample of its cells as text (blanks ""); for a
    code list, ``counts`` may give its distinct values over the whole file with their rows."""

    name: str
    values: tuple[str, ...]
    counts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ExtractSample:
    """A sample of one extract's rows; ``sheet`` names a workbook's sheet when it is not the first;
    ``spreadsheet``: from a workbook, where ingest reads a number in a date column as a serial date."""

    file: str
    columns: tuple[ColumnSample, ...]
    sheet: str | None = None
    spreadsheet: bool = False


@dataclass(frozen=True)
class FieldSuggestion:
    """The column guessed for one canonical field, how sure the guess is (0-1) and why."""

    field: str
    column: str
    confidence: float
    evidence: str
    format: str | None = None
    check: Literal["nhs_number"] | None = None
    #: The extract's codes → canonical values, for the values that could be placed.
    codes: tuple[tuple[str, CanonicalValue], ...] = ()
    #: Codes in the sample that could not be placed, with their rows in the sample.
    unplaced: tuple[tuple[str, int], ...] = ()
    #: The canonical values an unplaced code may be given.
    choices: tuple[CanonicalValue, ...] = ()
    #: True when an unplaced code loads as written (the field has no fixed list of values).
    unplaced_kept: bool = False
    #: Codes not in the sample, added from the synonym table for values the sample did not reach.
    assumed: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetSuggestion:
    dataset: str
    file: str
    sheet: str | None
    #: How well the file's columns fill the dataset's fields (required ones weigh double), 0-1.
    fit: float
    fields: tuple[FieldSuggestion, ...]
    #: Fields no column was found for.
    missing: tuple[str, ...]
    #: Columns given to no field.
    unused: tuple[str, ...]

    @property
    def missing_required(self) -> tuple[str, ...]:
        schema = DATASETS[self.dataset]
        return tuple(f for f in self.missing if schema.column(f).required)

    @property
    def complete(self) -> bool:
        """Every required field has a column, so the mapping model accepts the dataset."""
        return not self.missing_required


@dataclass(frozen=True)
class Suggestion:
    source: str
    datasets: tuple[DatasetSuggestion, ...]
    #: Files (or sheets) that look like no canonical dataset.
    unmatched: tuple[str, ...] = ()

    def dataset(self, name: str) -> DatasetSuggestion | None:
        return next((d for d in self.datasets if d.dataset == name), None)


# --- the names and codes trusts use (synonyms.yaml) ---------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared (and cached on) by identity: one table per file read
class Vocabulary:
    """The synonym table, read once: header words, field names, dataset names and codes."""

    abbreviations: dict[str, tuple[str, ...]]
    stopwords: frozenset[str]
    generic: frozenset[str]
    dataset_names: dict[str, tuple[str, ...]]
    field_names: dict[str, tuple[str, ...]]
    codes: dict[str, dict[CanonicalValue, tuple[str, ...]]]
    booleans: dict[bool, tuple[str, ...]]


@cache
def load_vocabulary(path: Path = SYNONYMS) -> Vocabulary:
    raw = yaml.safe_load(Path(path).read_text())
    return Vocabulary(
        abbreviations={str(k): tuple(str(v).split()) for k, v in raw["abbreviations"].items()},
        stopwords=frozenset(map(str, raw["stopwords"])),
        generic=frozenset(map(str, raw["generic_words"])),
        dataset_names={k: tuple(map(str, v)) for k, v in raw["datasets"].items()},
        field_names={k: tuple(map(str, v)) for k, v in raw["fields"].items()},
        codes={
            name: {value: tuple(map(str, known)) for value, known in table.items()}
            for name, table in raw["codes"].items()
        },
        booleans={bool(k): tuple(map(str, v)) for k, v in raw["booleans"].items()},
    )


@lru_cache(maxsize=65_536)
def header_words(text: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """A header as words: camelCase and separators split, lower case, abbreviations expanded,
    filler dropped ("Date of Admission", "ADMISSION_DTTM" and "AdmDate" all become admission, date…)."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text).lower().replace("&", " and ")
    words = []
    for word in re.split(r"[^a-z0-9]+", text):
        words += vocabulary.abbreviations.get(word, (word,)) if word else ()
    return tuple(w for w in words if w not in vocabulary.stopwords)


def code_key(value: str) -> str:
    """A code as compared: case, spacing and punctuation ignored, leading zeros of a number too."""
    key = " ".join(re.split(r"[^a-z0-9<>]+", str(value).lower())).strip()
    return key.lstrip("0") or key if key.isdigit() else key


# --- matching by name ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NameMatch:
    score: float
    evidence: str


@lru_cache(maxsize=262_144)
def _same_word(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def _similarity(header: tuple[str, ...], known: tuple[str, ...], generic: frozenset[str]) -> float:
    """1 for the same words in any order; else a weighted overlap, where words many fields share
    (date, time, number) weigh less than the words that tell fields apart."""
    if not header or not known:
        return 0.0
    if set(header) == set(known):
        return 1.0

    def weight(word: str) -> float:
        return 0.3 if word in generic else 1.0

    matched = sum(weight(w) for w in header if any(_same_word(w, k) for k in known))
    matched += sum(weight(k) for k in known if any(_same_word(w, k) for w in header))
    total = sum(map(weight, header)) + sum(map(weight, known))
    return 0.85 * matched / total


@cache
def _known_names(vocabulary: Vocabulary, field_name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(
        (known, header_words(known, vocabulary))
        for known in (field_name, *vocabulary.field_names.get(field_name, ()))
    )


@cache
def _words_of_fields(vocabulary: Vocabulary) -> dict[str, frozenset[str]]:
    """Every word of every field's known names, with the fields whose names hold it."""
    fields: dict[str, set[str]] = {}
    for field_name in {*vocabulary.field_names, *(c.name for d in DATASETS.values() for c in d.columns)}:
        for _, words in _known_names(vocabulary, field_name):
            for word in words:
                fields.setdefault(word, set()).add(field_name)
    return {word: frozenset(names) for word, names in fields.items()}


@lru_cache(maxsize=65_536)
def _fields_near(word: str, vocabulary: Vocabulary) -> frozenset[str]:
    """The fields with a known name holding ``word`` or a word like it: a header sharing no word
    with a field's names scores nothing for it, found without comparing name with name."""
    near = [names for known, names in _words_of_fields(vocabulary).items() if _same_word(word, known)]
    return frozenset().union(*near)


@lru_cache(maxsize=65_536)
def _name_match(header: str, field_name: str, vocabulary: Vocabulary) -> _NameMatch:
    words = header_words(header, vocabulary)
    best = _NameMatch(0.0, "name unlike any known for the field")
    if not any(field_name in _fields_near(word, vocabulary) for word in words):
        return best
    for known, known_words in _known_names(vocabulary, field_name):
        score = _similarity(words, known_words, vocabulary.generic)
        if score > best.score:
            label = known.replace("_", " ")
            if score == 1.0:
                how = "the field's name" if known == field_name else "synonym"
                evidence = f"name ~ '{label}' ({how})"
            else:
                evidence = f"name partly ~ '{label}' ({score:.2f})"
            best = _NameMatch(score, evidence)
    return best


# --- matching by values -------------------------------------------------------------------------------

DATE_PARTS = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d-%b-%y",
    "%d/%m/%y",
    "%m/%d/%Y",
    "%d %B %Y",
    "%Y%m%d",
)
TIME_PARTS = ("", " %H:%M", " %H:%M:%S", "T%H:%M:%S", "T%H:%M", " %H:%M:%S.%f")
DATE_FORMATS = tuple(d + t for d in DATE_PARTS for t in TIME_PARTS)
_DATE_LIKE = re.compile(r"\d{1,4}[/.\- ][0-9A-Za-z]{1,9}[/.\- ]\d{2,4}.*|\d{8}")
#: Codes written the way procedures (OPCS-4), diagnoses (ICD-10) and consultants (GMC) are.
PATTERNS: dict[str, tuple[re.Pattern, str]] = {
    "procedure": (re.compile(r"[A-Z]\d{2}\.?\d{0,2}"), "OPCS-4-like codes"),
    "diagnosis": (re.compile(r"[A-Z]\d{2}\.?\d{0,2}X?"), "ICD-10-like codes"),
    "consultant": (re.compile(r"[CDGM]?\d{7}"), "GMC-like codes"),
    "surgeon": (re.compile(r"[CDGM]?\d{7}"), "GMC-like codes"),
    "specialty": (re.compile(r"\d{3}"), "3-digit specialty codes"),
}


#: Excel serial numbers of 1 January 1990 and 31 December 2050: a column of numbers between them
#: (from a workbook) may be dates saved as plain numbers.
SERIAL_RANGE = (32_874, 54_789)


@dataclass(frozen=True)
class _Profile:
    """What a column's sample values are like, worked out once and read by every field's test."""

    filled: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]
    distinct: int
    date_format: str | None = None
    date_share: float = 0.0
    plausible_share: float = 0.0
    with_times: bool = False
    day_month_ambiguous: bool = False
    numbers: tuple[float, ...] = ()
    nhs_share: float = 0.0
    #: Excel serial dates from a workbook: one of them as it reads ("45123.5 = 2023-07-16 12:00").
    serial_example: str = ""

    @property
    def unique(self) -> bool:
        return bool(self.filled) and self.distinct == len(self.filled)

    @property
    def numeric_share(self) -> float:
        return len(self.numbers) / len(self.filled) if self.filled else 0.0


def profile(
    values: Sequence[str],
    today: date,
    *,
    serials: bool = False,
    counts: Sequence[tuple[str, int]] = (),
) -> _Profile:
    """A column's sample described: its distinct values, the date format most of it parses as (or,
    from a workbook (``serials``), whether its numbers are Excel serial dates), its numbers, and the
    share of NHS numbers passing the check digit. ``counts``: the code list's values over the whole
    file, with their rows, where the sample is a part of it."""
    filled = tuple(v.strip() for v in values if v is not None and str(v).strip())
    seen = Counter(filled)
    if counts:
        listed = tuple((str(v), int(n)) for v, n in counts)
        distinct = len(listed)
    else:
        listed = tuple(seen.most_common()) if len(seen) <= CODE_LIMIT else ()
        distinct = len(seen)
    base = _Profile(filled, listed, distinct)
    if not filled:
        return base
    series = pd.Series(filled, dtype=object)
    numbers = pd.to_numeric(series.str.replace(r"[£,%\s]", "", regex=True), errors="coerce").dropna()
    finite = tuple(float(n) for n in numbers if np.isfinite(n))
    nhs_valid, _ = nhs_number_checks(series)
    dates = _date_format(series, today)
    serial = _serial_dates(filled, finite, today) if serials and dates[0] is None else None
    if serial is not None:
        *dates, example = serial
        dates = (None, *dates, False)
    return _Profile(
        filled,
        listed,
        distinct,
        *dates,
        numbers=finite,
        nhs_share=float(nhs_valid.mean()),
        serial_example=example if serial is not None else "",
    )


def _serial_dates(
    filled: tuple[str, ...], numbers: tuple[float, ...], today: date
) -> tuple[float, float, bool, str] | None:
    """Whether a workbook's column of numbers is Excel serial dates: nearly all of them between 1990
    and 2050 and more than one day among them, not a run of consecutive whole numbers (a reference).
    The share that are, the share of those that are plausible dates, whether any has a time of day,
    and one of them as it reads; None if they are not."""
    if len(numbers) < 0.9 * len(filled):
        return None
    found = np.array(numbers)
    inside = (found >= SERIAL_RANGE[0]) & (found <= SERIAL_RANGE[1])
    if inside.mean() < 0.9:
        return None
    serials = found[inside]
    whole = serials == np.floor(serials)
    distinct = np.unique(serials)
    if len(distinct) < 2:
        return None
    if whole.all() and len(distinct) == len(serials) and serials.max() - serials.min() + 1 == len(serials):
        return None
    when = pd.Timestamp(EXCEL_EPOCH) + pd.to_timedelta(np.round(serials * 86_400), unit="s")
    low, high = pd.Timestamp(EARLIEST_DATE), pd.Timestamp(today + timedelta(days=LATEST_DAYS_AHEAD))
    plausible = float(((when >= low) & (when <= high)).mean())
    first = next(v for v, n in zip(filled, numbers, strict=False) if SERIAL_RANGE[0] <= n <= SERIAL_RANGE[1])
    shown = pd.Timestamp(EXCEL_EPOCH) + pd.Timedelta(seconds=round(float(first) * 86_400))
    example = (
        f"{first} = {shown:%Y-%m-%d %H:%M}"
        if not float(first).is_integer()
        else f"{first} = {shown:%Y-%m-%d}"
    )
    share = len(numbers) / len(filled) * float(inside.mean())
    return share, plausible, not bool(whole.all()), example


def _date_format(series: pd.Series, today: date) -> tuple[str | None, float, float, bool, bool]:
    """The strptime format most values parse as (day first where the order is in doubt), the
    share they parse, the share of those that are plausible, whether any has a time of day, and
    whether day and month could be either way round."""
    if series.str.fullmatch(_DATE_LIKE).mean() < 0.5:
        return None, 0.0, 0.0, False, False
    shares = {
        form: pd.to_datetime(series, format=form, errors="coerce").notna().mean()
        for form in DATE_FORMATS
        if any(_parses(value, form) for value in series.iloc[:5])
    }
    if not shares:
        return None, 0.0, 0.0, False, False
    best = max(shares, key=lambda f: (shares[f], -DATE_FORMATS.index(f)))
    parsed = pd.to_datetime(series, format=best, errors="coerce").dropna()
    low, high = pd.Timestamp(EARLIEST_DATE), pd.Timestamp(today + timedelta(days=LATEST_DAYS_AHEAD))
    plausible = float(((parsed >= low) & (parsed <= high)).mean()) if len(parsed) else 0.0
    with_times = bool((parsed != parsed.dt.normalize()).any())
    other = best.replace("%d/%m", "%m/%d") if "%d/%m" in best else None
    ambiguous = other is not None and shares.get(other, 0.0) >= shares[best]
    return best, float(shares[best]), plausible, with_times, ambiguous


def _parses(value: str, form: str) -> bool:
    try:
        datetime.strptime(value, form)
    except ValueError:
        return False
    return True


def readable_format(form: str) -> str:
    """``%d/%m/%Y %H:%M`` as a person writes it: dd/mm/yyyy hh:mm."""
    for code, text in (
        ("%d", "dd"),
        ("%m", "mm"),
        ("%Y", "yyyy"),
        ("%y", "yy"),
        ("%b", "mon"),
        ("%B", "month"),
        ("%H", "hh"),
        ("%M", "mm"),
        ("%S", "ss"),
        ("%f", "ffffff"),
    ):
        form = form.replace(code, text)
    return form


@dataclass(frozen=True)
class _Fit:
    """How well a column's values suit a field (0-1), how much that alone singles the field out
    (0-1: an NHS number column is unmistakable, a date is one of many), and what was found."""

    fit: float
    specificity: float
    evidence: str
    format: str | None = None
    check: Literal["nhs_number"] | None = None
    codes: tuple[tuple[str, CanonicalValue], ...] = ()
    unplaced: tuple[tuple[str, int], ...] = ()
    choices: tuple[CanonicalValue, ...] = ()
    unplaced_kept: bool = False
    assumed: tuple[str, ...] = ()


def field_choices(
    dataset: str, column: Column, vocabulary: Vocabulary, catalogue_codes: MappingOf
) -> tuple[CanonicalValue, ...]:
    """The values a coded field's codes are placed onto: the schema's list, else the values the
    catalogue's measures compare the field with, and those the synonym table knows; none where no
    measure compares the field with any (its values load as written: a Urology home had been told to
    give its procedures as hip or knee replacements, the T&O synonyms, by an outside check)."""
    if column.type == "boolean":
        return (True, False)
    if column.codes:
        return column.codes
    used = tuple(catalogue_codes.get(dataset, {}).get(column.name, ()))
    known = tuple(v for v in vocabulary.codes.get(column.name, {}) if v not in used) if used else ()
    return used + known


def value_fit(
    dataset: Dataset,
    column: Column,
    found: _Profile,
    vocabulary: Vocabulary,
    catalogue_codes: MappingOf | None = None,
) -> _Fit:
    """How well the values of one column suit one field of one dataset, with the evidence."""
    if not found.filled:
        return _Fit(0.5, 0.0, "blank in the sample")
    if found.nhs_share >= 0.5 and not column.identifier:
        return _Fit(0.0, 0.0, f"{found.nhs_share:.0%} are NHS numbers")
    if column.identifier:
        return _identifier_fit(found)
    if column.type == "boolean":
        return _coded_fit(column, found, vocabulary, (True, False), schema_list=True)
    choices = field_choices(dataset.name, column, vocabulary, catalogue_codes or {})
    if choices:
        return _coded_fit(column, found, vocabulary, choices, schema_list=bool(column.codes))
    if column.type in ("date", "timestamp"):
        return _date_fit(column, found)
    if column.type in ("integer", "number"):
        return _number_fit(column, found)
    return _text_fit(dataset, column, found)


def _identifier_fit(found: _Profile) -> _Fit:
    if found.nhs_share >= 0.9:
        evidence = f"10-digit, {found.nhs_share:.0%} valid NHS number check digit"
        return _Fit(1.0, 0.9, evidence, check="nhs_number")
    if found.date_share >= 0.8:
        return _Fit(0.1, 0.0, "dates, not identifiers")
    return _Fit(0.6, 0.0, f"identifier-like values ({found.nhs_share:.0%} valid NHS numbers)")


def _placements(
    column: Column, found: _Profile, vocabulary: Vocabulary, choices: tuple[CanonicalValue, ...]
) -> tuple[dict[str, CanonicalValue], dict[str, tuple[str, CanonicalValue]]]:
    """Each distinct value of the sample placed on a canonical value where the synonym table or
    the value's own spelling says which (for a boolean, by whichever table places more rows), and
    the table that placed them (compared form → (code as listed, value)). A value that starts with a
    canonical code as a word of its own ("P4 - Routine", "Priority 4 - routine") is that code, whatever
    words follow it, unless another number does ("P4 -> P2", "P3 (now P2)": left for the reviewer)."""
    best: tuple[dict[str, CanonicalValue], dict] = ({}, {})
    best_rows = -1
    leading = {code_key(str(v)): v for v in choices if isinstance(v, str) and any(c.isdigit() for c in v)}
    for table in _code_tables(vocabulary, column.name, column.type == "boolean", choices):
        placed = {v: table[code_key(v)][1] for v, _ in found.counts if code_key(v) in table}
        placed |= {
            v: leading[code]
            for v, _ in found.counts
            if v not in placed and (code := _leading_code(v, leading)) is not None
        }
        rows = sum(n for v, n in found.counts if v in placed)
        if rows > best_rows:
            best, best_rows = (placed, table), rows
    return best


def _leading_code(value: str, codes: dict[str, CanonicalValue]) -> str | None:
    """The code ``value`` opens with ("p4" of "P4 - Routine"; "priority 4" read as "p4"), if no other
    number follows it; None otherwise."""
    words = code_key(value).split()
    if len(words) > 1 and words[0] == "priority" and words[1].isdigit():
        words = [f"p{words[1]}", *words[2:]]
    if not words or words[0] not in codes or any(c.isdigit() for c in "".join(words[1:])):
        return None
    return words[0]


@cache
def _code_tables(
    vocabulary: Vocabulary, field_name: str, boolean: bool, choices: tuple[CanonicalValue, ...]
) -> tuple[dict[str, tuple[str, CanonicalValue]], ...]:
    """The tables a field's codes are looked up in (compared form → (code as listed, value)): the
    field's own codes with its canonical values' spellings, and the yes/no words for a boolean. The
    field's own come first, so they win a tie: an outside check's discharge method, all "1"
    (discharged on clinical advice), had been read by the yes/no words as died, every patient."""
    own = {code_key(str(v)): (str(v), v) for v in choices if not isinstance(v, bool)}
    for value, known in vocabulary.codes.get(field_name, {}).items():
        if value in choices:
            own |= {code_key(k): (k, value) for k in known}
    tables = [own]
    if boolean:
        tables.append({code_key(w): (w, v) for v, words in vocabulary.booleans.items() for w in words})
    return tuple(tables)


def _unseen_codes(
    placed: dict[str, CanonicalValue], table: dict[str, tuple[str, CanonicalValue]]
) -> tuple[tuple[str, CanonicalValue], ...]:
    """The synonym table's other numeric codes, when the extract writes its codes as numbers.

    Numeric codes are national (NHS Data Dictionary: priority 1-4, discharge method 1-9), so the
    ones the sample missed mean the same here; a rare one (priority 1, a self-discharge) may sit
    only in rows the sample did not take, and ingest would refuse it. Local letter codes are not
    guessed.
    """
    if not placed or not all(code.isdigit() for code in placed):
        return ()
    seen = {code_key(code) for code in placed}
    extra = {code: value for key, (code, value) in table.items() if code.isdigit() and key not in seen}
    return tuple(sorted(extra.items(), key=lambda item: int(item[0])))


def _coded_fit(
    column: Column,
    found: _Profile,
    vocabulary: Vocabulary,
    choices: tuple[CanonicalValue, ...],
    schema_list: bool,
) -> _Fit:
    if not found.counts:
        fit = 0.05 if schema_list else 0.4
        return _Fit(fit, 0.0, f"{found.distinct:,} distinct values: too many for a code list")
    placed, table = _placements(column, found, vocabulary, choices)
    rows = sum(n for _, n in found.counts)  # the sample's rows, or the whole file's
    share = sum(n for v, n in found.counts if v in placed) / rows
    unplaced = tuple((v, n) for v, n in found.counts if v not in placed and not _identifier_like(v))
    # "100%" only when every row is placed (an outside check read it beside 6 rows unplaced)
    percent = f"{share:.0%}" if share == 1 or f"{share:.0%}" != "100%" else "over 99%"
    evidence = f"codes: {len(placed)} of {found.distinct} values placed ({percent} of rows)"
    if column.type == "boolean":
        plain = {code_key(w): v for v, words in vocabulary.booleans.items() for w in words}
        needs_codes = any(plain.get(code_key(k)) is not v for k, v in placed.items()) or bool(unplaced)
    else:
        needs_codes = any(k != v for k, v in placed.items()) or bool(unplaced)
    assumed = _unseen_codes(placed, table) if needs_codes else ()
    codes = tuple(placed.items()) + assumed if needs_codes else ()
    if schema_list:
        return _Fit(
            share,
            0.6 * share,
            evidence,
            codes=codes,
            unplaced=unplaced,
            choices=choices,
            assumed=tuple(code for code, _ in assumed),
        )
    # A field the catalogue compares with a few values (procedure group): the rest load as written.
    kept = tuple((v, v) for v, _ in unplaced) if codes else ()
    return _Fit(
        0.5 + 0.5 * share,
        0.6 * share,
        evidence,
        codes=codes + kept,
        unplaced=unplaced,
        choices=choices,
        unplaced_kept=True,
        assumed=tuple(code for code, _ in assumed),
    )


def _identifier_like(value: str) -> bool:
    """A value never written out: one that could be an NHS number."""
    return bool(re.search(r"\d{3}[ -]?\d{3}[ -]?\d{4}", value)) and is_valid_nhs_number(
        re.search(r"\d{3}[ -]?\d{3}[ -]?\d{4}", value).group(0)
    )


def _date_fit(column: Column, found: _Profile) -> _Fit:
    if found.serial_example:
        return _serial_fit(column, found)
    if found.date_format is None:
        return _Fit(0.0, 0.0, "not dates")
    fit = found.date_share * found.plausible_share
    evidence = f"{found.date_share:.0%} parse as {readable_format(found.date_format)}"
    if found.plausible_share < 1:
        evidence += f", {found.plausible_share:.0%} of them plausible dates"
    if found.day_month_ambiguous:
        evidence += " (day and month could be either way round: day first assumed)"
    has_time = "%H" in found.date_format
    if column.type == "timestamp" and not has_time:
        fit *= 0.75
        evidence += "; dates without times"
    elif column.type == "date" and found.with_times:
        fit *= 0.6
        evidence += "; has times of day"
    return _Fit(fit, 0.25, evidence, format=found.date_format)


def _serial_fit(column: Column, found: _Profile) -> _Fit:
    """Numbers a workbook holds for dates: ingest reads them as Excel serial dates, with no format."""
    fit = found.date_share * found.plausible_share
    evidence = f"Excel serial dates (e.g. {found.serial_example})"
    if found.date_share < 1:
        evidence += f", {found.date_share:.0%} of values"
    if found.plausible_share < 1:
        evidence += f", {found.plausible_share:.0%} of them plausible dates"
    if column.type == "timestamp" and not found.with_times:
        fit *= 0.75
        evidence += "; dates without times"
    elif column.type == "date" and found.with_times:
        fit *= 0.6
        evidence += "; has times of day"
    return _Fit(fit, 0.25, evidence)


def _number_fit(column: Column, found: _Profile) -> _Fit:
    numbers = np.array(found.numbers)
    if not len(numbers):
        return _Fit(0.0, 0.0, "not numbers")
    low = -np.inf if column.minimum is None else column.minimum
    high = np.inf if column.maximum is None else column.maximum
    usable = (numbers >= low) & (numbers <= high)
    kind = "numbers"
    if column.type == "integer":
        usable &= numbers == np.floor(numbers)
        kind = "whole numbers"
    share = found.numeric_share * usable.mean()
    evidence = f"{share:.0%} {kind} from {_plain(numbers.min())} to {_plain(numbers.max())}"
    specificity = 0.2
    if column.name == "age" and 20 <= np.median(numbers) <= 95:
        specificity = 0.35
    if found.unique and len(found.filled) >= 20:
        share *= 0.5
        evidence += "; every value different (a reference?)"
    return _Fit(share, specificity, evidence)


def _plain(number: float) -> str:
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.2f}"


def _text_fit(dataset: Dataset, column: Column, found: _Profile) -> _Fit:
    if found.date_share >= 0.8:
        return _Fit(0.2, 0.0, "dates, not text")
    if column.name == dataset.key:
        if found.unique:
            return _Fit(0.9, 0.3, "a different value in every row")
        return _Fit(0.2, 0.0, f"{len(found.filled) - found.distinct:,} repeated values: not a key")
    if column.name in PATTERNS:
        pattern, what = PATTERNS[column.name]
        share = float(np.mean([bool(pattern.fullmatch(v.upper())) for v in found.filled[:200]]))
        if share >= 0.8:
            return _Fit(0.9, 0.3, f"{share:.0%} {what}")
    if found.numeric_share >= 0.9 and not float(np.mean(np.floor(found.numbers) == found.numbers)) > 0.9:
        return _Fit(0.3, 0.0, "decimal numbers, not text")
    return _Fit(0.6, 0.0, f"text, {found.distinct:,} distinct values")


# --- putting name and values together --------------------------------------------------------------


def confidence(name: float, fit: _Fit) -> float:
    """Name and values together, 0-1: values that do not suit the field veto a good name; values
    that are unmistakable (NHS numbers, a full code list) stand without one."""
    gate = min(1.0, fit.fit / 0.6)
    return round(gate * (name + (1 - name) * fit.fit * fit.specificity), 3)


def _assign(scores: np.ndarray) -> list[tuple[int, int]]:
    """Rows to columns maximising the total score, each used at most once (OR-Tools' linear sum
    assignment, on a square matrix padded with zeros).

    Only each row's best ``rows`` columns can be in the best assignment (the other rows take at
    most ``rows - 1`` of them), so the matrix is cut to those before it is squared: a file of a
    thousand columns is solved on a few hundred, not on a million arcs."""
    if not scores.size:
        return []
    best = np.argsort(-scores, axis=1, kind="stable")[:, : scores.shape[0]]
    useful = np.unique(best[np.take_along_axis(scores, best, axis=1) > 0])
    if not len(useful):
        return []
    taken = scores[:, useful]
    size = max(taken.shape)
    square = np.zeros((size, size))
    square[: taken.shape[0], : taken.shape[1]] = taken
    solver = linear_sum_assignment.SimpleLinearSumAssignment()
    costs = np.rint((1 - square) * 10_000).astype(np.int64)
    left, right = np.indices((size, size))
    solver.add_arcs_with_cost(left.ravel(), right.ravel(), costs.ravel())
    if solver.solve() != solver.OPTIMAL:  # a complete bipartite graph always has one
        raise RuntimeError("no assignment found")
    pairs = [(i, solver.right_mate(i)) for i in range(taken.shape[0])]
    return [(i, int(useful[j])) for i, j in pairs if j < taken.shape[1] and taken[i, j] > 0]


@dataclass(frozen=True)
class _Candidate:
    sample: ExtractSample
    dataset: str
    fit: float
    bonus: float
    fields: tuple[FieldSuggestion, ...]


def match_dataset(
    sample: ExtractSample,
    dataset: Dataset,
    profiles: Sequence[_Profile],
    vocabulary: Vocabulary,
    catalogue_codes: MappingOf | None = None,
) -> _Candidate:
    """The best column for each of a dataset's fields (each column used once), and how well the
    file fits the dataset overall."""
    names = [c.name for c in sample.columns]
    matrix = np.zeros((len(dataset.columns), len(names)))
    details: dict[tuple[int, int], tuple[_NameMatch, _Fit]] = {}
    for i, column in enumerate(dataset.columns):
        for j, header in enumerate(names):
            by_name = _name_match(header, column.name, vocabulary)
            by_values = value_fit(dataset, column, profiles[j], vocabulary, catalogue_codes)
            score = confidence(by_name.score, by_values)
            if score >= THRESHOLD:
                matrix[i, j] = score
                details[i, j] = (by_name, by_values)
    fields = []
    for i, j in _assign(matrix):
        by_name, by_values = details[i, j]
        evidence = "; ".join(e for e in (by_name.evidence if by_name.score else "", by_values.evidence) if e)
        fields.append(
            FieldSuggestion(
                field=dataset.columns[i].name,
                column=names[j],
                confidence=float(matrix[i, j]),
                evidence=mask_nhs_numbers(evidence),
                format=by_values.format,
                check=by_values.check,
                codes=by_values.codes,
                unplaced=by_values.unplaced,
                choices=by_values.choices,
                unplaced_kept=by_values.unplaced_kept,
                assumed=by_values.assumed,
            )
        )
    order = {c.name: k for k, c in enumerate(dataset.columns)}
    fields.sort(key=lambda f: order[f.field])
    weights = {c.name: 1.0 if c.required else OPTIONAL_WEIGHT for c in dataset.columns}
    fit = sum(weights[f.field] * f.confidence for f in fields) / sum(weights.values())
    return _Candidate(
        sample, dataset.name, round(fit, 3), _file_bonus(sample, dataset.name, vocabulary), tuple(fields)
    )


def _file_bonus(sample: ExtractSample, dataset: str, vocabulary: Vocabulary) -> float:
    """A little weight for a file named like the dataset (``nhfd_submission.csv``), to break ties."""
    stem = Path(sample.file).stem + (f" {sample.sheet}" if sample.sheet else "")
    words = set(header_words(stem, vocabulary))
    for known in vocabulary.dataset_names.get(dataset, ()):
        if set(header_words(known, vocabulary)) <= words:
            return 0.05
    return 0.0


def suggest_mapping(
    samples: Sequence[ExtractSample],
    catalogue_codes: MappingOf[str, MappingOf[str, Sequence[str]]] | None = None,
    *,
    source: str = "draft mapping (suggested: review every field)",
    vocabulary: Vocabulary | None = None,
    today: date | None = None,
) -> Suggestion:
    """Which sample holds which canonical dataset, and which of its columns is which field.

    ``catalogue_codes`` gives, per dataset and field, the values the catalogue's measures compare
    it with (``metrics.coverage.codes_used``): a trust's codes are placed onto them.
    """
    vocabulary = vocabulary or load_vocabulary()
    codes = catalogue_codes or {}
    today = today or date.today()
    candidates = []
    for sample in samples:
        profiles = [
            profile(c.values, today, serials=sample.spreadsheet, counts=c.counts) for c in sample.columns
        ]
        candidates.append(
            [match_dataset(sample, schema, profiles, vocabulary, codes) for schema in DATASETS.values()]
        )
    scores = np.array(
        [[c.fit + c.bonus if c.fit >= FILE_THRESHOLD else 0.0 for c in row] for row in candidates]
    )
    chosen = _assign(scores) if len(candidates) else []
    found = [candidates[i][j] for i, j in chosen]
    taken = {i for i, _ in chosen}
    sheets = Counter(s.file for s in samples)
    unmatched = tuple(_label(s, sheets[s.file] > 1) for i, s in enumerate(samples) if i not in taken)
    order = list(DATASETS)
    found.sort(key=lambda c: order.index(c.dataset))
    return Suggestion(source, tuple(_dataset_suggestion(c) for c in found), unmatched)


def _label(sample: ExtractSample, workbook: bool = False) -> str:
    """A file, or one sheet of a workbook whose other sheets were sampled too."""
    if sample.sheet:
        return f"{sample.file} (sheet {sample.sheet!r})"
    return sample.file + (" (first sheet)" if workbook else "")


def _dataset_suggestion(candidate: _Candidate) -> DatasetSuggestion:
    schema = DATASETS[candidate.dataset]
    used = {f.field for f in candidate.fields}
    columns = {f.column for f in candidate.fields}
    return DatasetSuggestion(
        dataset=candidate.dataset,
        file=candidate.sample.file,
        sheet=candidate.sample.sheet,
        fit=candidate.fit,
        fields=candidate.fields,
        missing=tuple(c.name for c in schema.columns if c.name not in used),
        unused=tuple(c.name for c in candidate.sample.columns if c.name not in columns),
    )
