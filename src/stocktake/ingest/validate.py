"""Turn one raw export into a canonical table, collecting every row-level error on the way.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2, and a
blank line is skipped but keeps its number.

Each cell is reported once, against the first check it fails: its length, a required value, an
NHS number out of place, its codes, check digit or type, then its plausible range. A value that
passes the NHS number check is masked in every error, whichever column it is in.

Unless ``strict``, values are read as people write them (``sniff``): headers and codes in another
case or spacing, numbers with thousands separators, £ and %, dates in other forms than the
mapping's format (d/m/yy, 03-Mar-2022, with or without seconds or a time, month labels, a
workbook's serial dates). What was assumed is returned with the table, to be said to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd

from stocktake.ingest import sniff
from stocktake.ingest.mapping import ColumnMapping, DatasetMapping
from stocktake.ingest.pseudonymise import (
    DATE_WRITTEN,
    TIME_WRITTEN,
    is_valid_nhs_number,
    mask_nhs_numbers,
    nhs_number_checks,
    pseudonymise,
    ten_digit_runs,
)
from stocktake.ingest.schemas import Column, Dataset, plausible_dates

FIRST_RECORD_ROW = 2
#: How much of a value an error repeats: enough to find the cell, not a runaway 10 MB cell.
SHOWN_LENGTH = 60
#: Integers beyond this lose precision as floats: no count or age in an extract comes near it.
LARGEST_WHOLE_NUMBER = 2**53
TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}
#: A cell that is a date, or a date and a time: no NHS number in any way it is written.
_DATE_LIKE = f"{DATE_WRITTEN}(?:{TIME_WRITTEN})?"
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
ISO_DATE = r"\d{4}-\d{2}-\d{2}( 00:00:00)?"


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    column: str
    value: str
    expected: str
    #: The error is about the header row (row 1, or the row under a title block); not compared, so an
    #: error is the same error however it was labelled.
    header: bool = field(default=False, compare=False)

    @property
    def row_label(self) -> str:
        if self.row == 1:
            return "header"
        return f"{self.row} (header)" if self.header and self.row else str(self.row) if self.row else "file"

    def __post_init__(self):
        # Whatever made the error, no NHS number leaves it: not in a value, not in a file's name.
        object.__setattr__(self, "file", mask_nhs_numbers(self.file))
        object.__setattr__(self, "value", mask_nhs_numbers(self.value))

    def __str__(self) -> str:
        shown = f"{self.value!r}" if self.value else "a blank"
        return f"{self.file}, row {self.row}, column {self.column}: found {shown}, expected {self.expected}"


@dataclass(frozen=True)
class _Extract:
    """What every column's checks need to know about the extract the column is in."""

    file: str
    key: bytes
    #: The first and last plausible dates, inclusive.
    dates: tuple[date, date]
    #: The extract's NHS number columns, as its header names them.
    nhs_columns: tuple[str, ...]
    #: Read values only as the mapping says (no guessing), or as people write them.
    strict: bool = True
    #: From a workbook (numbers in a date column are Excel serial dates); ';'-delimited (decimal commas).
    spreadsheet: bool = False
    semicolon: bool = False
    #: The day of loading: the last day a date of an event that has happened (``Column.past``) may be.
    today: date = date.max


class Canonical(NamedTuple):
    """An extract as its canonical table, every error found, and what was assumed to read it:
    (what, column) pairs such as ("dates day-first", "ADM_DTTM")."""

    table: pd.DataFrame
    errors: list[RowError]
    guessed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Check:
    """One rule over a column: the cells that fail it, and what was expected instead."""

    failed: np.ndarray
    expected: str


def to_canonical(
    raw: pd.DataFrame,
    schema: Dataset,
    mapping: DatasetMapping,
    file: str,
    key: bytes,
    today: date | None = None,
    *,
    strict: bool = False,
    spreadsheet: bool = False,
    semicolon: bool = False,
) -> tuple[pd.DataFrame, list[RowError]]:
    """The canonical table for ``raw`` (all text, blanks as ""), and every error found.

    ``today`` places the plausible dates' window (the day of loading unless given). ``strict``
    reads values only as the mapping says; otherwise as people write them, ``spreadsheet`` and
    ``semicolon`` saying where the text came from (see ``convert``).
    """
    how = {"strict": strict, "spreadsheet": spreadsheet, "semicolon": semicolon}
    found = convert(raw, schema, mapping, file, key, today, **how)
    return found.table, found.errors


def convert(
    raw: pd.DataFrame,
    schema: Dataset,
    mapping: DatasetMapping,
    file: str,
    key: bytes,
    today: date | None = None,
    *,
    strict: bool = False,
    spreadsheet: bool = False,
    semicolon: bool = False,
    header_row: int = 1,
) -> Canonical:
    """``to_canonical``'s table and errors, with what was assumed to read them. ``spreadsheet``:
    the text came from a workbook, so a number in a date column is an Excel serial date;
    ``semicolon``: from a ';'-delimited file, where a comma may be a decimal comma; ``header_row``:
    the row the header is on as the file shows it (below a title block, not 1)."""
    raw, guessed = (raw, []) if strict else _matched_headers(raw, mapping)
    missing = [m.column for m in mapping.columns.values() if m.column not in raw.columns]
    if missing:
        # the headers found, so a renamed one can be told (an outside check: named without them)
        shown = ", ".join(repr(str(c)) for c in list(raw.columns)[:12])
        more = f" and {len(raw.columns) - 12} more" if len(raw.columns) > 12 else ""
        expected = f"this column in the header row (found {shown}{more})"
        errors = [RowError(file, header_row, name, "", expected, header=True) for name in missing]
        return Canonical(pd.DataFrame(), errors)
    raw = without_blank_rows(raw)
    dates = plausible_dates(today or date.today())
    extract = _Extract(
        file, key, dates, _nhs_columns(schema, mapping), strict, spreadsheet, semicolon, today or date.today()
    )
    table, errors = {}, []
    for column in schema.columns:
        column_mapping = mapping.columns.get(column.name)
        if column_mapping is None:
            table[column.name] = pd.Series(pd.NA, index=raw.index, dtype=_dtype(column))
            continue
        values, found, notes = _convert(raw[column_mapping.column], column, column_mapping, extract)
        table[column.name] = values
        errors += found
        guessed += [(note, column_mapping.column) for note in notes]
    canonical = pd.DataFrame(table, index=raw.index)
    errors += _duplicate_keys(canonical, schema, mapping, file)
    # a rule between columns is said of a cell once, and not of a cell its own value's checks named (a
    # 1900 placeholder stop is implausible: that it is before its start, or not blank, adds nothing)
    named = {(e.row, e.column) for e in errors}
    rules = _order_errors(canonical, raw, schema, mapping, file) + _agreement_errors(
        canonical, raw, schema, mapping, file
    )
    errors += _first_per_cell([e for e in rules if (e.row, e.column) not in named])
    errors = sorted(errors, key=lambda e: (e.row, e.column))
    return Canonical(canonical.reset_index(drop=True), errors, tuple(guessed))


def _first_per_cell(errors: list[RowError]) -> list[RowError]:
    """The first of each cell's errors."""
    first: dict[tuple[int, str], RowError] = {}
    for error in errors:
        first.setdefault((error.row, error.column), error)
    return list(first.values())


def _matched_headers(raw: pd.DataFrame, mapping: DatasetMapping) -> tuple[pd.DataFrame, list]:
    """The extract with each mapped column found in another case or spacing renamed as the
    mapping names it (where exactly one header matches), and those names."""
    renamed = {}
    for wanted in (m.column for m in mapping.columns.values()):
        if wanted in raw.columns:
            continue
        alike = [c for c in raw.columns if sniff.normal_name(c) == sniff.normal_name(wanted)]
        if len(alike) == 1 and alike[0] not in renamed:
            renamed[alike[0]] = wanted
    if not renamed:
        return raw, []
    return raw.rename(columns=renamed), [("headers in another case or spacing", c) for c in renamed]


def without_blank_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """The rows with a value; a blank row is dropped but the others keep their index, which is
    their spreadsheet row number less two."""
    if raw.empty:
        return raw
    return raw[~(raw.fillna("") == "").all(axis=1)]


def _nhs_columns(schema: Dataset, mapping: DatasetMapping) -> tuple[str, ...]:
    return tuple(
        m.column
        for name, m in mapping.columns.items()
        if m.check == "nhs_number" or (name in schema.names and schema.column(name).identifier)
    )


def _dtype(column: Column) -> str:
    return {
        "string": "string",
        "integer": "Int64",
        "number": "Float64",
        "boolean": "boolean",
        "date": "datetime64[s]",
        "timestamp": "datetime64[s]",
    }[column.type]


def _errors(text: pd.Series, bad, file: str, column: str, expected: str) -> list[RowError]:
    where = np.flatnonzero(np.asarray(bad, dtype=bool))
    if not len(where):
        return []
    cells = text.to_numpy()[where]
    return [
        RowError(file, int(i) + FIRST_RECORD_ROW, column, _shown(str(cell)), expected)
        for i, cell in zip(text.index[where], cells, strict=True)
    ]


#: A long cell is masked only up to its first ASCII letter this far past what is shown: no run of
#: digits crosses a letter, and a date, time or float written number near the cut is shorter.
_MASKED_PAST_SHOWN = 40
_LETTER = re.compile(r"[A-Za-z]")


def _shown(value: str) -> str:
    """A cell as an error repeats it: an NHS number masked wherever it is, a long value cut (masked
    only as far as its shown part needs: a 10 MB cell had taken 14 s to mask whole)."""
    if len(value) > SHOWN_LENGTH and (cut := _LETTER.search(value, SHOWN_LENGTH + _MASKED_PAST_SHOWN)):
        value = value[: cut.start()]
    value = mask_nhs_numbers(value)
    return value if len(value) <= SHOWN_LENGTH else value[:SHOWN_LENGTH] + "…"


def masked(identifier: str) -> str:
    """Enough of an identifier to find the row, not enough to know the patient."""
    return identifier[:3] + "*" * min(max(len(identifier) - 3, 0), SHOWN_LENGTH)


def _convert(
    text: pd.Series, column: Column, mapping: ColumnMapping, extract: _Extract
) -> tuple[pd.Series, list[RowError], tuple[str, ...]]:
    text = text.fillna("").astype(str).str.strip()
    blank = (text == "").to_numpy(dtype=bool)
    checks = [_Check(_lengths(text) > column.max_length, f"at most {column.max_length:,} characters")]
    if column.required:
        checks.append(_Check(blank, f"a value ({column.name} is required)"))
    holds_nhs_numbers = column.identifier or mapping.check == "nhs_number"
    if not holds_nhs_numbers:
        checks.append(_misplaced_nhs_numbers(text, extract))
    values, own, notes = _values(text, blank, column, mapping, extract)
    shown = text.map(masked) if column.identifier else text
    if column.type in ("date", "timestamp") and extract.spreadsheet:
        shown = _serials_read(text, values, date_only=column.type == "date")
    return values, _first_failures(shown, [*checks, *own], extract.file, mapping.column), notes


def _serials_read(text: pd.Series, values: pd.Series, date_only: bool) -> pd.Series:
    """A workbook's serial dates shown with the date they read as (an outside check was shown
    "46447.41666666666" refused as a date in the future, and had to work out which)."""
    serial = text.str.fullmatch(r"\d+(\.\d+)?").fillna(False).to_numpy(bool) & values.notna().to_numpy(bool)
    if not serial.any():
        return text
    form = "%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M"
    read = pd.Series(values).dt.strftime(form)
    return text.where(~serial, text + " (read as " + read + ")")


def _lengths(text: pd.Series) -> np.ndarray:
    return text.str.len().fillna(0).to_numpy(dtype=np.int64)


def _first_failures(shown: pd.Series, checks: list[_Check], file: str, column: str) -> list[RowError]:
    """One error per cell, for the first check it fails: a later check presumes the earlier hold
    (a blank is not also a malformed date)."""
    errors, reported = [], np.zeros(len(shown), dtype=bool)
    for check in checks:
        failed = check.failed & ~reported
        errors += _errors(shown, failed, file, column, check.expected)
        reported |= failed
    return errors


def _values(
    text: pd.Series, blank: np.ndarray, column: Column, mapping: ColumnMapping, extract: _Extract
) -> tuple[pd.Series, list[_Check], tuple[str, ...]]:
    """The column's canonical values, the checks of its codes, check digit, type and range, and
    what was assumed to read them."""
    if mapping.codes is not None:
        coded, notes = text.map(mapping.codes), ()
        unknown = ~blank & coded.isna().to_numpy(dtype=bool)
        if unknown.any() and not extract.strict:
            coded, unknown, notes = _codes_in_any_case(text, coded, unknown, mapping.codes)
        known = coded.where(~unknown & ~blank, None).astype(object)
        allowed = ", ".join(sorted(mapping.codes))
        kind = "boolean" if column.type == "boolean" else "string"
        return known.astype(kind), [_Check(unknown, f"one of the codes {allowed}")], notes
    checks = []
    if mapping.check == "nhs_number":
        checks += _nhs_number_checks(text, blank)
    if column.identifier:
        return pseudonymise(text, extract.key).astype("string"), checks, ()
    values, unparsed, ambiguous, notes = _parse(text, column, mapping, extract)
    checks.append(_Check(ambiguous & ~blank, _ambiguous(column, extract)))
    checks.append(_Check(unparsed.to_numpy(dtype=bool) & ~blank, _expected(column, mapping)))
    checks += _out_of_range(values, column, mapping, extract)
    return values, checks, notes


def _codes_in_any_case(text: pd.Series, coded: pd.Series, unknown: np.ndarray, codes: dict):
    """Codes found in another case or spacing (nel for NEL), where no two codes differ only so."""
    folded = {}
    for code, value in codes.items():
        folded.setdefault(sniff.normal_name(code), []).append(value)
    lookup = {name: values[0] for name, values in folded.items() if len(values) == 1}
    again = text.map(lambda v: lookup.get(sniff.normal_name(v)))
    found = unknown & again.notna().to_numpy(dtype=bool)
    if not found.any():
        return coded, unknown, ()
    coded = coded.astype(object).where(~found, again)
    return coded, unknown & ~found, ("codes in another case or spacing",)


def _ambiguous(column: Column, extract: _Extract) -> str:
    if column.type in ("date", "timestamp"):
        example = '"%d/%m/%Y %H:%M"' if column.type == "timestamp" else '"%d/%m/%Y"'
        return (
            "a date whose day and month can be told apart (no date in this column has a day over 12, "
            f"so it could be either: give the column's format in the mapping, e.g. format: {example})"
        )
    return (
        "a number whose comma means one thing (in a ';'-delimited file 1,234 could be 1.234 or 1234 "
        "and no other value in this column settles it: write 1234 or 1,234.0)"
    )


def _nhs_number_checks(text: pd.Series, blank: np.ndarray) -> list[_Check]:
    valid, placeholder = nhs_number_checks(text)
    return [
        _Check(~blank & ~valid, "a valid NHS number (modulus 11 check digit)"),
        _Check(placeholder, "a real NHS number, not a placeholder such as 0000000000"),
    ]


def _misplaced_nhs_numbers(text: pd.Series, extract: _Extract) -> _Check:
    """NHS numbers belong only in NHS number columns: elsewhere they mean two columns' headers were
    swapped or a row shifted, and would load a patient's identifier unhashed.

    A ten-digit reference (a spell number) passes the check digit 1 time in 11 by chance, so a
    column is refused only where values passing it are most of its ten-digit values.
    """
    ten_digits, passing = _ten_digit_values(text)
    if passing.sum() * 2 <= ten_digits.sum():
        passing = np.zeros(len(text), dtype=bool)
    where = " or ".join(extract.nhs_columns)
    expected = (
        f"no NHS number: NHS numbers belong in {where} only (are two columns' headers swapped?)"
        if where
        else "no NHS number: this extract has no NHS number column (is a column out of place?)"
    )
    return _Check(passing, expected)


def _ten_digit_values(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Which cells hold ten digits, alone or inside other text (`pt 447 836 5431`,
    `NHS4478365431`), and which of those pass the NHS number check."""
    # Narrowed in Arrow passes, cheapest first (a million timestamps in a second): ten characters or
    # more; not a date, nor a date and a time (columns most extracts fill); ten digits or more, or
    # other scripts' digits (read as ASCII by ``ten_digit_runs``).
    candidates = text[_lengths(text) >= 10].astype(str)
    candidates = candidates[~candidates.str.fullmatch(_DATE_LIKE).to_numpy(bool)]
    digits = candidates.str.count(r"[0-9]").to_numpy()
    candidates = candidates[(digits >= 10) | ~candidates.str.isascii().to_numpy(bool)]
    runs = candidates.map(ten_digit_runs)
    runs = runs[runs.map(bool)]
    ten_digits = text.index.isin(runs.index)
    valid = runs.map(lambda found: any(is_valid_nhs_number(number) for _, _, number in found))
    passing = text.index.isin(runs.index[valid.to_numpy(bool)])
    return ten_digits, passing


def _out_of_range(
    values: pd.Series, column: Column, mapping: ColumnMapping, extract: _Extract
) -> list[_Check]:
    """The plausibility check of a parsed value: a date in the plausible window (to the day of loading
    for an event that has happened), a number within its field's range."""
    if column.type in ("date", "timestamp"):
        first, last = extract.dates
        if column.past:
            last = min(last, extract.today)
        end = pd.Timestamp(last) + pd.Timedelta(days=1)
        outside = (values < pd.Timestamp(first)) | (values >= end)
        date_only = column.type == "date"
        written = mapping.format or ("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")
        low, high = (d.strftime(written) for d in (pd.Timestamp(first), end - pd.Timedelta(minutes=1)))
        kind = "a date" if date_only else "a date and time"
        expected = f"{kind} from {low} to {high} (" + (
            "no later than the day of loading: it has happened)" if column.past else "plausible dates)"
        )
    elif column.minimum is not None or column.maximum is not None:
        low = -np.inf if column.minimum is None else column.minimum
        high = np.inf if column.maximum is None else column.maximum
        outside = (values < low) | (values > high)
        kind = "a whole number" if column.type == "integer" else "a number"
        expected = f"{kind} from {_number(low)} to {_number(high)} (the plausible range of {column.name})"
    else:
        return []
    return [_Check(outside.fillna(False).to_numpy(dtype=bool), expected)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _parse(
    text: pd.Series, column: Column, mapping: ColumnMapping, extract: _Extract
) -> tuple[pd.Series, pd.Series, np.ndarray, tuple[str, ...]]:
    """Parsed values, a mask of the non-blank values that would not parse, a mask of those that
    read two ways (a lenient reading's), and what was assumed."""
    kind, nothing = column.type, np.zeros(len(text), dtype=bool)
    if kind == "string":
        return text.where(text != "", None).astype("string"), pd.Series(False, index=text.index), nothing, ()
    if kind in ("date", "timestamp"):
        given = text.where(text != "", None)
        if mapping.format is None and not extract.strict:  # no silent month-first inference by pandas
            parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
        else:
            parsed = pd.to_datetime(given, format=mapping.format, errors="coerce")
        # A spreadsheet's or Parquet file's own dates arrive as ISO text (year first: unambiguous).
        iso_like = text.str.fullmatch(ISO_TIMESTAMP if kind == "timestamp" else ISO_DATE)
        iso = pd.to_datetime(given.where(parsed.isna() & iso_like), format="ISO8601", errors="coerce")
        parsed = parsed.fillna(iso)
        ambiguous, notes = nothing, ()
        left = (parsed.isna() & (text != "")).to_numpy(dtype=bool)
        if left.any() and not extract.strict:
            reading = sniff.read_dates(
                text[left],
                sniff.order_of(mapping.format),
                serials=extract.spreadsheet,
                date_only=kind == "date",
            )
            parsed = parsed.astype("datetime64[s]")
            parsed[left] = reading.values.astype("datetime64[s]").to_numpy()
            ambiguous = nothing.copy()
            ambiguous[np.flatnonzero(left)] = reading.ambiguous
            notes = reading.notes
        return parsed.astype("datetime64[s]"), parsed.isna() & ~ambiguous, ambiguous, notes
    if kind == "boolean":
        words = text.map(lambda v: v if isinstance(v, bool) else str(v).lower())
        parsed = words.map(lambda v: v if isinstance(v, bool) else _boolean(v))
        return parsed.astype("boolean"), parsed.isna(), nothing, ()
    return _parse_number(text, whole=kind == "integer", extract=extract)


def _parse_number(
    text: pd.Series, whole: bool, extract: _Extract | None = None
) -> tuple[pd.Series, pd.Series, np.ndarray, tuple[str, ...]]:
    """A number is finite (not inf, nan or 1e400, which would load as a figure in the board
    report); a whole number is also exact as a float, so converting it cannot fail."""
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")
    ambiguous, notes = np.zeros(len(text), dtype=bool), ()
    left = (numbers.isna() & (text != "")).to_numpy(dtype=bool)
    if left.any() and extract is not None and not extract.strict:
        reading = sniff.read_numbers(text[left], semicolon_file=extract.semicolon)
        numbers[left] = reading.values.to_numpy()
        ambiguous[np.flatnonzero(left)] = reading.ambiguous
        notes = reading.notes
    usable = np.isfinite(numbers)
    if whole:
        usable &= (numbers == np.floor(numbers)) & (numbers.abs() <= LARGEST_WHOLE_NUMBER)
    numbers = numbers.where(usable)
    return numbers.astype("Int64" if whole else "Float64"), ~usable & ~ambiguous, ambiguous, notes


def _boolean(word: str) -> bool | None:
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _expected(column: Column, mapping: ColumnMapping) -> str:
    if column.type in ("date", "timestamp"):
        example = pd.Timestamp("2024-12-31 23:59").strftime(mapping.format or "%Y-%m-%d %H:%M")
        return f"a {'date' if column.type == 'date' else 'date and time'} like {example}"
    return {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "yes or no (true/false, Y/N, 1/0)",
    }[column.type]


def _duplicate_keys(table: pd.DataFrame, schema: Dataset, mapping: DatasetMapping, file: str):
    keys = table[schema.key]
    repeated = keys.notna() & keys.duplicated(keep="first")
    first_row = {k: int(i) + FIRST_RECORD_ROW for i, k in keys[~keys.duplicated()].items()}
    raw_name = mapping.columns[schema.key].column
    return [
        RowError(
            file,
            int(i) + FIRST_RECORD_ROW,
            raw_name,
            _shown(str(k)),
            f"a unique {schema.key} (row {first_row[k]} has it)",
        )
        for i, k in keys[repeated].items()
    ]


def _agreement_errors(table, raw, schema: Dataset, mapping: DatasetMapping, file: str):
    """A column that must be blank exactly where another holds a code (``Column.blank_when``): a
    pathway waiting with a clock stop, or treated without one, is neither on the list nor off it."""
    errors = []
    for column in schema.columns:
        if column.blank_when is None or column.name not in mapping.columns:
            continue
        other, code = column.blank_when
        if other not in mapping.columns:
            continue
        raw_name, other_name = mapping.columns[column.name].column, mapping.columns[other].column
        text = raw[raw_name].fillna("").astype(str)
        given = (text.str.strip() != "").to_numpy()  # a value that could not be read is named already
        holds = table[other].astype("string").fillna("")  # a code that could not be read: named already
        for meaning in holds[holds != ""].unique():
            rows = (holds == meaning).to_numpy() & (given if meaning == code else ~given)
            expected = "blank" if meaning == code else "a value"
            errors += _errors(
                text, rows, file, raw_name, f"{expected}: {other_name} on this row means {meaning}"
            )
    return errors


def _order_errors(table, raw, schema: Dataset, mapping: DatasetMapping, file: str):
    """The dates-in-order check; where every row fails it, the columns are likely swapped."""
    errors = []
    for column in schema.columns:
        if column.not_before is None or column.name not in mapping.columns:
            continue
        if column.not_before not in mapping.columns:
            continue
        earlier = table[column.name] < table[column.not_before]
        raw_name = mapping.columns[column.name].column
        other = mapping.columns[column.not_before].column
        expected = f"no earlier than {other}"
        if earlier.count() >= 2 and earlier.dropna().all():
            expected += f" (on every row: are the {other} and {raw_name} headers swapped?)"
        text = raw[raw_name].fillna("").astype(str)
        errors += _errors(text, earlier.fillna(False), file, raw_name, expected)
    return errors
