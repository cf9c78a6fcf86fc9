"""Files as people save them: the guesses a lenient reader makes, each one said, none of them silent.

Pure functions over bytes, text records and columns of text; they know nothing of mappings,
warehouses or the command line. ``ingest.read`` and ``ingest.validate`` use them for extracts,
``files.spc`` for an analyst's table. What each guessed is kept in a ``Guesses`` and printed as one
line per file ("read as Windows-1252, ';'-delimited, dates day-first, title rows 1–3 skipped").

The rules, and where each stops guessing:

- encoding: UTF-8 (with or without a byte-order mark), UTF-16 with its byte-order mark, else
  Windows-1252; a file that decodes as UTF-8 is UTF-8.
- delimiter: comma, semicolon or tab, whichever splits the most lines into the same number of
  fields (read as CSV, so a comma inside a quoted "1,234" does not count).
- header: the first row naming every expected column (any case or spacing) within the first rows;
  rows above it are a title block. A totals row under the data ("Total", "Grand total" in the
  first cell, or a row that sums the columns above and leaves a key blank) is skipped.
- numbers: thousands separators, a leading £ and a trailing % (45% is 0.45); a decimal comma only
  in a ';'-delimited file and only where the column settles it (3,5 or 1.234,5 somewhere in it).
- dates: ISO, day-first d/m/y and d/m/yy, d-Mon-yyyy, with or without hh:mm[:ss]; month labels
  (Apr-23, April 2023, 2023-04) as the 1st of the month; Excel serial dates from a workbook. A column
  is read month-first only if some value's second part is over 12 and no value's first part is;
  where no value settles it, the values that differ by order are refused until a format is given.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

import numpy as np
import pandas as pd

Order = Literal["dmy", "mdy"]
DELIMITERS = (",", ";", "\t")
#: How far down a title block may push the header, and how many lines the delimiter is judged on.
HEADER_SEARCH_ROWS = 50
SNIFF_LINES = 200
#: Bytes Windows-1252 leaves undefined: a file holding them is neither UTF-8 nor Windows-1252.
_UNDEFINED_IN_1252 = re.compile(b"[\x81\x8d\x8f\x90\x9d]")
_TOTAL_WORDS = re.compile(r"(grand\s+|sub\s*)?totals?\s*:?", re.IGNORECASE)


class UnreadableText(ValueError):
    """Bytes that are none of the encodings tried; ``row`` and ``byte`` say where and which."""

    def __init__(self, row: int, byte: int):
        self.row, self.byte = row, byte
        super().__init__(f"row {row}: the byte 0x{byte:02X}")


@dataclass(frozen=True)
class Guesses:
    """What a lenient reading assumed about one file, to be said in one line."""

    encoding: str = "UTF-8"
    delimiter: str = ","
    #: The sheet read, when it is not the workbook's first.
    sheet: str | None = None
    #: The spreadsheet rows skipped above the header (first, last), and below the data.
    title_rows: tuple[int, int] | None = None
    totals_rows: tuple[int, ...] = ()
    trailing_columns: bool = False
    #: (what, column) pairs from reading the values: ("dates day-first", "ADM_DTTM").
    values: tuple[tuple[str, str], ...] = field(default=())

    def with_values(self, found: Sequence[tuple[str, str]]) -> Guesses:
        new = tuple(f for f in found if f not in self.values)
        return replace(self, values=self.values + new) if new else self

    def line(self) -> str:
        """The guesses as one line ("" when the file was read exactly as a strict reader reads it)."""
        parts = []
        if self.encoding not in ("UTF-8", "UTF-8 with a byte-order mark"):
            parts.append(f"read as {self.encoding}")
        if self.delimiter != ",":
            parts.append("tab-delimited" if self.delimiter == "\t" else f"'{self.delimiter}'-delimited")
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        columns: dict[str, list[str]] = {}
        for what, column in self.values:
            columns.setdefault(what, []).append(column)
        parts += [f"{what} ({', '.join(names)})" if any(names) else what for what, names in columns.items()]
        if self.title_rows:
            first, last = self.title_rows
            rows = f"row {first}" if first == last else f"rows {first}–{last}"
            parts.append(f"title {rows} skipped")
        if self.totals_rows:
            rows = ", ".join(map(str, self.totals_rows))
            parts.append(f"totals row{'s' if len(self.totals_rows) > 1 else ''} {rows} skipped")
        if self.trailing_columns:
            parts.append("empty trailing columns ignored")
        return ", ".join(parts)


# --- bytes to text ------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file and the name of its encoding; UnreadableText if it is none of them."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    unmarked = _utf16_without_a_mark(data)
    if unmarked is not None:
        try:
            return data.decode(unmarked), "UTF-16 without a byte-order mark"
        except UnicodeDecodeError:
            pass
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with a byte-order mark"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    bad = _UNDEFINED_IN_1252.search(data)
    if bad is not None:
        raise UnreadableText(data.count(b"\n", 0, bad.start()) + 1, data[bad.start()])
    return data.decode("cp1252"), "Windows-1252"


def _utf16_without_a_mark(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" where the file is UTF-16 saved without its byte-order mark (some
    exports do): text of Latin letters then has a zero byte beside every character, which UTF-8 reads
    as NUL characters between the letters, not as an error. None where it is not."""
    head = data[:4096]
    pairs = len(head) // 2
    if pairs < 2:
        return None
    odd, even = head[1 : 2 * pairs : 2].count(0), head[0 : 2 * pairs : 2].count(0)
    if odd >= 0.9 * pairs and even == 0:
        return "utf-16-le"
    if even >= 0.9 * pairs and odd == 0:
        return "utf-16-be"
    return None


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one splitting the most of the first lines into the same number
    of fields (two or more), each line read as CSV so quoted values keep their commas."""
    lines = [line for line in text.splitlines()[:SNIFF_LINES] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
        except csv.Error:
            continue
        common, count = Counter(widths).most_common(1)[0] if widths else (1, 0)
        score = (count, common) if common > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- the table inside the rows ------------------------------------------------------------------


def normal_name(name: str) -> str:
    """A column name as people mean it: no case, no outer or doubled spaces."""
    return " ".join(str(name).split()).casefold()


def _filled(record: Sequence[str]) -> int:
    return sum(1 for cell in record if str(cell).strip())


def header_index(records: Sequence[Sequence[str]], expected: Sequence[str] = ()) -> int:
    """Where the header is: the first row naming every expected column (in any case or spacing);
    with none expected, the first row about as wide as the table below (a title is narrower).
    Row 0 when nothing settles it, so the reader reports what it finds there."""
    head = records[:HEADER_SEARCH_ROWS]
    wanted = {normal_name(n) for n in expected if str(n).strip()}
    if wanted:
        found = [len(wanted & {normal_name(c) for c in record}) for record in head]
        if len(wanted) in found:
            return found.index(len(wanted))
        best = max(range(len(found)), key=found.__getitem__, default=0)
        # most of them, under a title: the header, whose missing columns validation then names
        return best if found and found[best] * 2 >= len(wanted) and found[best] > found[0] else 0
    widths = [_filled(r) for r in records[: HEADER_SEARCH_ROWS * 4] if _filled(r)]
    if not widths:
        return 0
    table_width = Counter(widths).most_common(1)[0][0]
    for i, record in enumerate(head):
        names = [str(c).strip() for c in record if str(c).strip()]
        if len(names) >= max(2, math.ceil(table_width / 2)) and not any(map(_PLAIN.fullmatch, names)):
            return i  # as wide as the table, and names rather than numbers
    return 0


def totals_rows(frame: pd.DataFrame) -> list:
    """The index labels of the rows at the foot of a table (text, blank rows dropped) that total
    it: "Total" or "Grand total" in the first filled cell, or a row blank where every row above is
    filled and equal to the column sums above wherever it has a value. Three data rows must be above."""
    found: list = []
    while len(frame) > 3 and len(found) < 3:
        row, above = frame.iloc[-1], frame.iloc[:-1]
        if not (_says_total(row) or _sums_the_columns(row, above)):
            break
        found.append(frame.index[-1])
        frame = above
    return sorted(found)


def _says_total(row: pd.Series) -> bool:
    first = next((str(c).strip() for c in row if str(c).strip()), "")
    return bool(_TOTAL_WORDS.fullmatch(first))


def _sums_the_columns(row: pd.Series, above: pd.DataFrame) -> bool:
    blank = row.astype(str).str.strip() == ""
    if not blank.any():  # a full row is data: the cheap test first, as every file takes it
        return False
    empty = row.index[blank.to_numpy()]
    if not any((above[c].astype(str).str.strip() != "").all() for c in empty):  # a key left blank
        return False
    sums = 0
    for column in row.index[~blank.to_numpy()]:
        value = number_value(str(row[column]))
        reading = read_numbers(above[column].astype(str).str.strip())
        if value is None or reading.unreadable.any() or reading.ambiguous.any():
            return False
        total = math.fsum(reading.values.fillna(0.0))
        if total == 0 or abs(value - total) > 1e-9 * max(1.0, abs(total)):
            return False
        sums += 1
    return sums > 0


# --- numbers ------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_ONE_GROUP = re.compile(r"[+-]?\d{1,3},\d{3}")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_DOT_GROUPS_COMMA_DECIMAL = re.compile(r"[+-]?\d{1,3}(\.\d{3})+,\d+")


@dataclass(frozen=True)
class NumberReading:
    """A column of numbers read leniently: values (NaN where not read), each as plain decimal text,
    which cells would not read, which could be read two ways, and what was assumed."""

    values: pd.Series
    text: pd.Series
    unreadable: np.ndarray
    ambiguous: np.ndarray
    notes: tuple[str, ...]


def _unsigned(value: str) -> tuple[str, str, bool, bool] | None:
    """(sign, digits, had £, had %) of one cell, or None if it is no kind of number."""
    v = value.strip()
    percent = v.endswith("%")
    v = v[:-1].strip() if percent else v
    sign = ""
    if v[:1] in "+-" and v[1:].lstrip().startswith("£"):
        sign, v = v[0], v[1:].strip()
    pound = v.startswith("£")
    v = v[1:].strip() if pound else v
    if v[:1] in "+-":
        sign, v = sign or v[0], v[1:]
    return (sign, v, pound, percent) if (v and v[0].isdigit()) or v[:1] == "." else None


def _kind(digits: str) -> str | None:
    if _PLAIN.fullmatch(digits):
        return "plain"
    if _ONE_GROUP.fullmatch(digits):
        return "one group"  # 1,234: thousands, or 1.234 in a decimal-comma file
    if _THOUSANDS.fullmatch(digits):
        return "thousands"
    if _DOT_GROUPS_COMMA_DECIMAL.fullmatch(digits) or _COMMA_DECIMAL.fullmatch(digits):
        return "decimal comma"
    return None


def read_numbers(
    text: pd.Series, semicolon_file: bool = False, percent_points: bool = False
) -> NumberReading:
    """Numbers written as people write them (stripped text in, blanks ""), with what was assumed.

    ``45%`` is 0.45, as a spreadsheet holds it, for an extract's field; with ``percent_points`` it
    is 45, as an analyst charting a percentage means it (``stocktake spc``).

    In a comma- or tab-delimited file a comma only ever groups thousands. In a ';'-delimited one a
    column is read with decimal commas if any value shows one (3,5; 1.234,5), with thousands
    separators if any shows those (1,234,567; 1,234.5); 1,234 alone says neither and is ambiguous.
    """
    quick = pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")
    plain = np.isfinite(quick.to_numpy()) & ~text.str.contains(",", regex=False).to_numpy(dtype=bool)
    if plain.all():  # the common case, in C: every value a plain number
        nothing = np.zeros(len(text), dtype=bool)
        return NumberReading(quick, text, nothing, nothing, ())
    parts = {v: _unsigned(v) for v in pd.unique(text[(text != "").to_numpy() & ~plain])}
    kinds = {v: (_kind(p[1]) if p else None) for v, p in parts.items()}
    present = set(kinds.values())
    decimal_comma = semicolon_file and "decimal comma" in present and "thousands" not in present
    grouping = "thousands" in present or not semicolon_file
    notes, read, ambiguous = set(), {}, set()
    for value, part in parts.items():
        kind = kinds[value]
        if part is None or kind is None or (kind == "decimal comma" and not decimal_comma):
            continue
        sign, digits, pound, percent = part
        if kind == "one group" and semicolon_file and decimal_comma == grouping:
            ambiguous.add(value)
            continue
        if kind == "decimal comma" or (kind == "one group" and decimal_comma):
            digits, note = digits.replace(".", "").replace(",", "."), "decimal commas"
        elif kind in ("one group", "thousands"):
            digits, note = digits.replace(",", ""), "thousands separators"
        else:
            note = None
        try:
            number = Decimal(sign + digits)
        except InvalidOperation:
            continue
        if percent and not percent_points:  # 45% → 0.45, 40% → 0.4: the fraction as briefly as written
            read[value] = f"{number.scaleb(-2).normalize():f}"
        elif percent:
            read[value] = str(number)
        else:
            read[value] = str(number) if note else sign + digits
        notes |= {note} - {None}
        notes |= {"£ signs"} if pound else set()
        notes |= {"% signs (45% is 45)" if percent_points else "% as fractions"} if percent else set()
    is_read = text.isin(read.keys()).to_numpy(dtype=bool)
    normal = text.where(~is_read, text.map(read))
    values = quick.where(plain, pd.to_numeric(normal.where(is_read, None), errors="coerce").astype("float64"))
    unreadable = (text != "").to_numpy(dtype=bool) & ~plain & ~is_read
    return NumberReading(
        values,
        normal,
        unreadable & ~text.isin(ambiguous).to_numpy(dtype=bool),
        text.isin(ambiguous).to_numpy(dtype=bool),
        tuple(sorted(notes)),
    )


def number_value(value: str) -> float | None:
    """One cell as a number, as ``read_numbers`` would read it in a comma file; None if not one."""
    part = _unsigned(value)
    kind = _kind(part[1]) if part else None
    if part is None or kind not in ("plain", "one group", "thousands"):
        return None
    sign, digits, _, percent = part
    number = float(sign + digits.replace(",", ""))
    return number / 100 if percent else number


# --- dates --------------------------------------------------------------------------------------

_TIME = r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})" + _TIME)
_NAMED = re.compile(r"(\d{1,2})[ /-]?([A-Za-z]{3,9})\.?[ /,-]*(\d{4}|\d{2})" + _TIME)
_MONTH_LABEL = re.compile(r"([A-Za-z]{3,9})\.?[ /'-]*(\d{4}|\d{2})")
_YEAR_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/](\d{4})")
_SERIAL = re.compile(r"\d{1,7}(\.\d+)?")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
#: Day 0 of Excel's 1900 date system (it counts a 29 February 1900 that never was).
EXCEL_EPOCH = datetime(1899, 12, 30)
LARGEST_EXCEL_SERIAL = 2_958_465  # 31 December 9999


@dataclass(frozen=True)
class DateReading:
    """A column of dates read leniently: values (NaT where not read), which cells would not read,
    which could be read day-first or month-first, the order used, and what was assumed."""

    values: pd.Series
    unreadable: np.ndarray
    ambiguous: np.ndarray
    order: Order | None
    notes: tuple[str, ...]


def order_of(date_format: str | None) -> Order | None:
    """The day/month order a strptime format gives, if it gives one."""
    if not date_format or "%d" not in date_format or "%m" not in date_format:
        return None
    return "dmy" if date_format.index("%d") < date_format.index("%m") else "mdy"


def _year(text: str) -> int:
    year = int(text)
    return year if len(text) == 4 else (2000 + year if year < 69 else 1900 + year)  # as strptime's %y


def _time(match: re.Match, first: int) -> tuple[int, int, int] | None:
    hour, minute, second = match.group(first, first + 1, first + 2)
    return None if hour is None else (int(hour), int(minute), int(second or 0))


def _shape(value: str, serials: bool) -> tuple[str, tuple] | None:
    """The form of one date and its parts, the day/month order of d/m/y left open."""
    if m := _ISO.fullmatch(value):
        return "iso", (int(m[1]), int(m[2]), int(m[3]), _time(m, 4))
    if m := _NUMERIC.fullmatch(value):
        return "numeric", (int(m[1]), int(m[2]), _year(m[3]), _time(m, 4))
    if (m := _NAMED.fullmatch(value)) and m[2].casefold() in _MONTHS:
        return "named", (_year(m[3]), _MONTHS[m[2].casefold()], int(m[1]), _time(m, 4))
    if (m := _MONTH_LABEL.fullmatch(value)) and m[1].casefold() in _MONTHS:
        return "month", (_year(m[2]), _MONTHS[m[1].casefold()], 1, None)
    if m := _YEAR_MONTH.fullmatch(value):
        return "month", (int(m[1]), int(m[2]), 1, None)
    if m := _MONTH_YEAR.fullmatch(value):
        return "month", (int(m[2]), int(m[1]), 1, None)
    if serials and _SERIAL.fullmatch(value) and 0 < float(value) <= LARGEST_EXCEL_SERIAL:
        return "serial", (float(value),)
    return None


def is_month_label(value: str) -> bool:
    """Whether ``value`` names a month and no day (Apr-23, 2023-04, 04/2023): read as the 1st by
    :func:`read_dates`, which a column of days must not do silently."""
    shape = _shape(value.strip(), serials=False)
    return shape is not None and shape[0] == "month"


def _numeric_order(shapes: dict[str, tuple[str, tuple] | None]) -> Order | None:
    """Month-first only where some second part is over 12 and no first part is; else day-first
    where a first part is over 12; None where nothing tells."""
    numeric = [parts for shape in shapes.values() if shape and shape[0] == "numeric" for parts in [shape[1]]]
    day_first = any(p[0] > 12 for p in numeric)
    month_first = any(p[1] > 12 for p in numeric)
    if month_first and not day_first:
        return "mdy"
    return "dmy" if day_first else None


def read_dates(
    text: pd.Series,
    order: Order | None = None,
    *,
    serials: bool = False,
    date_only: bool = False,
) -> DateReading:
    """Dates written as people write them (stripped text in, blanks ""). ``order`` is the
    day/month order a format gives; without one it is read from the column (see the module's
    rules). ``serials``: numbers are Excel serial dates (a workbook's). ``date_only``: a time other
    than midnight is refused."""
    shapes = {v: _shape(v, serials) for v in pd.unique(text[text != ""])}
    used = order or _numeric_order(shapes)
    read: dict[str, datetime] = {}
    ambiguous, notes = set(), set()
    for value, shape in shapes.items():
        if shape is None:
            continue
        form, parts = shape
        if form == "numeric" and used is None and parts[0] != parts[1]:
            ambiguous.add(value)
            continue
        when = _when(form, parts, used or "dmy")
        if when is None or (date_only and when != when.replace(hour=0, minute=0, second=0, microsecond=0)):
            continue
        read[value] = when
        if not (form == "numeric" and used is None):  # 05/05/2023 reads one way: no order was chosen
            notes.add(_NOTES[form](used))
        if not date_only and form in ("iso", "numeric", "named") and parts[3] is None:
            notes.add("date-only values at 00:00")
    values = pd.to_datetime(text.map(read), errors="coerce")
    is_read = text.isin(read.keys()).to_numpy(dtype=bool)
    is_ambiguous = text.isin(ambiguous).to_numpy(dtype=bool)
    unreadable = (text != "").to_numpy(dtype=bool) & ~is_read & ~is_ambiguous
    return DateReading(values, unreadable, is_ambiguous, used, tuple(sorted(notes - {""})))


_NOTES = {
    "iso": lambda order: "",
    "numeric": lambda order: "dates month-first" if order == "mdy" else "dates day-first",
    "named": lambda order: "dates with month names",
    "month": lambda order: "month labels as the 1st",
    "serial": lambda order: "Excel serial dates",
}


def _when(form: str, parts: tuple, order: Order) -> datetime | None:
    try:
        if form == "serial":
            return EXCEL_EPOCH + timedelta(seconds=round(parts[0] * 86_400))  # 12:13 is 0.50902…
        if form == "numeric":
            first, second, year, clock = parts
            day, month = (first, second) if order == "dmy" else (second, first)
            return datetime(year, month, day, *(clock or (0, 0, 0)))
        year, month, day, clock = parts
        return datetime(year, month, day, *(clock or (0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def ambiguity(value: str) -> str:
    """Why a date cannot be read without its format: the two days it could be."""
    m = _NUMERIC.fullmatch(value)
    if not m:
        return "a date whose day and month cannot be told apart"
    first, second, year = int(m[1]), int(m[2]), _year(m[3])
    try:
        one, other = datetime(year, second, first), datetime(year, first, second)
    except ValueError:
        return "a date whose day and month cannot be told apart"
    return f"{one.day} {one:%B} or {other.day} {other:%B}"
