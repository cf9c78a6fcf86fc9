"""Reading an extract as people save it, or saying exactly which rows are not a table.

Every cell comes back as text (blanks as ""), indexed by its spreadsheet row number less two, so
validation can name the row a person sees; blank rows are dropped. A well-formed CSV is read by
pyarrow; anything unusual (blank lines, a wrong byte, a row of the wrong width, an open quote) by
the exact ``csv`` reader, which names each bad row. Workbooks are capped before they are parsed.

By default the reader is lenient (``sniff``): the encoding and delimiter are detected, a title
block above the header, a totals row under the data and empty trailing columns are skipped, and a
workbook's sheet is the one whose header names the expected columns; each guess is kept in the
``Extract``'s ``guesses``. ``strict=True`` reads UTF-8 comma-separated files with the header on
row 1 and a workbook's first sheet, as before, and refuses anything else.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from stocktake.ingest import sniff
from stocktake.ingest.sniff import Guesses
from stocktake.ingest.validate import RowError

READERS = (".csv", ".xlsx", ".parquet")
#: Read as CSV too when named (``stocktake spc x.tsv``), though a folder's are not taken as extracts.
TEXT_TABLES = (".csv", ".tsv", ".txt")


class ReadError(ValueError):
    """An extract that is not a readable table; ``errors`` names each bad row (1 is the header)."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:3]))


#: A workbook bigger than this when unpacked, or with more cells, is refused (export it as CSV):
#: openpyxl reads about 6 MB of sheet XML a second (31 MB: 5 s and 220 MB on the 2-core machine).
MAX_XLSX_BYTES = 50 * 2**20
MAX_XLSX_CELLS = 2_000_000
#: The longest value a CSV cell may hold (the csv module's own limit).
MAX_CELL_CHARS = csv.field_size_limit()
#: Beyond this many rows with the wrong number of fields, the rest are counted, not listed.
LISTED_BAD_ROWS = 1000
#: The widest extract read: wider is not an extract (a transposed table, a file of another kind)
#: and would cost the suggester minutes per column set; it is refused before any per-column work.
MAX_COLUMNS = 1_000


@dataclass(frozen=True)
class Extract:
    """An extract's cells as text, what was guessed to read it, and whether it came from a
    workbook (where a number in a date column is an Excel serial date)."""

    frame: pd.DataFrame
    guesses: Guesses
    spreadsheet: bool = False


def read_raw(path: Path, *, strict: bool = False, expected_columns: Sequence[str] = ()) -> pd.DataFrame:
    """A raw export (CSV, Excel or Parquet) as text, blanks as "", so nothing is lost before
    validation; a spreadsheet's or Parquet file's own dates become ISO text.

    The index keeps each record's place in the file (index + 2 is the row a spreadsheet shows,
    blank rows dropped), so errors name the right row. A file that is not a table — unreadable,
    a header naming a column twice, a row with more or fewer fields than the header — raises
    ``ReadError`` naming each bad row, rather than being read some other way than it was meant.
    ``expected_columns`` (a mapping's) find the header under a title block and the sheet of a
    workbook; ``strict`` turns every guess off (see the module's docstring).
    """
    return read_extract(path, strict=strict, expected_columns=expected_columns).frame


def read_extract(path: Path, *, strict: bool = False, expected_columns: Sequence[str] = ()) -> Extract:
    """``read_raw``'s table with the guesses made to read it (see the module's docstring)."""
    path = Path(path)
    suffix = path.suffix if strict else path.suffix.lower()
    if suffix == ".csv" or (suffix in TEXT_TABLES and not strict):
        if not strict:
            return _lenient_csv(path, expected_columns)
        clean = clean_csv(path)
        table = clean if clean is not None else _table(path.name, _csv_records(path), strict_width=True)
        return Extract(table, Guesses())
    if suffix == ".xlsx":
        if not strict:
            return _lenient_xlsx(path, expected_columns)
        return Extract(_table(path.name, _xlsx_records(path), strict_width=False), Guesses(), True)
    if suffix == ".parquet":
        try:
            _check_width(path.name, pq.read_metadata(path).num_columns)
            frame = pd.read_parquet(path)
        except ReadError:
            raise
        except Exception as error:  # pyarrow's many kinds: not Parquet, truncated, unsupported types
            reason = f"{type(error).__name__}: {str(error)[:120]}"
            raise ReadError([_file_error(path.name, f"a readable Parquet file ({reason})")]) from None
        return Extract(_parquet_text(path.name, frame), Guesses())
    raise ValueError(
        f"{path.name}: cannot read a {path.suffix or 'file without an extension'} "
        f"(expected {', '.join(READERS)})"
    )


def read_later_sheets(path: Path) -> list[tuple[str, Extract]]:
    """Every sheet of a workbook after the first with a header and rows, each read as ingest reads
    the sheet it finds (``read_extract``: under any title block, without a totals row). A sheet
    that is not a table (blank, damaged, too wide) is left out: the first sheet was read."""
    path = Path(path)
    check_workbook_size(path)
    found = []
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        for sheet in workbook.worksheets[1:]:
            try:
                frame, guesses = _lenient_table(path.name, _rows(path.name, sheet), (), strict_width=False)
            except ReadError:
                continue
            if len(frame.columns) and len(frame):
                found.append((sheet.title, Extract(frame, replace(guesses, sheet=sheet.title), True)))
    finally:
        workbook.close()
    return found


def _check_width(file: str, width: int, row: int = 1) -> None:
    """Refuse a table wider than ``MAX_COLUMNS`` before anything is done column by column."""
    if width > MAX_COLUMNS:
        expected = (
            f"at most {MAX_COLUMNS:,} columns (Stocktake reads extracts of up to {MAX_COLUMNS:,}: "
            "is this the right file?)"
        )
        raise ReadError([RowError(file, row, "", f"{width:,} columns", expected, header=True)])


def _widest(records: Sequence[Sequence[str]]) -> tuple[int, int]:
    """The most filled columns of any of the rows a header is looked for in, and its row (1 first):
    cells past the last filled one (a trailing comma, a formatted empty column) do not count."""
    widest, at = 0, 1
    for number, record in enumerate(records[: sniff.HEADER_SEARCH_ROWS * 4], start=1):
        width = len(record)
        if width > MAX_COLUMNS:  # the exact count only where it matters: a wide row's last value
            width = next((i + 1 for i in range(width - 1, -1, -1) if str(record[i]).strip()), 0)
        if width > widest:
            widest, at = width, number
    return widest, at


# --- lenient reading ------------------------------------------------------------------------------


def _lenient_csv(path: Path, expected: Sequence[str]) -> Extract:
    """The quick Arrow reader where the file is UTF-8, comma-separated and its header is on row 1
    (the common case, kept as fast as the strict reader); the exact reader otherwise, after
    detecting the encoding and the delimiter."""
    data = path.read_bytes()
    head = data[: 2**16].decode("utf-8", errors="replace")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and sniff.sniff_delimiter(head) == ",":
        clean = clean_csv(path)
        if clean is not None and _names_expected(clean.columns, expected):
            encoding = "UTF-8 with a byte-order mark" if data.startswith(codecs.BOM_UTF8) else "UTF-8"
            frame, trailing = _without_empty_trailing_columns(clean)
            frame, totals = _without_totals(frame)
            return Extract(frame, Guesses(encoding=encoding, totals_rows=totals, trailing_columns=trailing))
    try:
        text, encoding = sniff.decode(data)
    except sniff.UnreadableText as error:
        expected_text = "UTF-8, UTF-16 or Windows-1252 text (save the export as CSV UTF-8)"
        found = f"the byte 0x{error.byte:02X}"
        raise ReadError([_file_error(path.name, expected_text, error.row, found)]) from None
    delimiter = sniff.sniff_delimiter(text[: 2**16])
    if delimiter != "," or encoding != "UTF-8":  # Arrow again, for a file clean but for these
        clean = clean_csv(path, text.encode("utf-8"), delimiter)
        if clean is not None and _names_expected(clean.columns, expected):
            frame, trailing = _without_empty_trailing_columns(clean)
            frame, totals = _without_totals(frame)
            guesses = Guesses(encoding, delimiter, totals_rows=totals, trailing_columns=trailing)
            return Extract(frame, guesses)
    records = _text_records(path.name, text, delimiter)
    frame, guesses = _lenient_table(path.name, records, expected, strict_width=True)
    return Extract(frame, replace(guesses, encoding=encoding, delimiter=delimiter))


def _names_expected(columns, expected: Sequence[str]) -> bool:
    """The header (row 1) names every expected column, or, with none expected, looks like one."""
    if expected:
        return {sniff.normal_name(n) for n in expected} <= {sniff.normal_name(c) for c in columns}
    names = [str(c) for c in columns]
    return sum(1 for n in names if n and not n.startswith("Unnamed: ")) >= min(2, len(names))


def _lenient_table(
    file: str, records: list[list[str]], expected: Sequence[str], strict_width: bool
) -> tuple[pd.DataFrame, Guesses]:
    """The table under the header found below any title block, trailing empty columns and any
    totals row under the data left out, and those guesses."""
    _check_width(file, *_widest(records))
    at = sniff.header_index(records, expected)
    records, trailing = _trim_trailing(records, at)
    frame = _table(file, records, strict_width=strict_width, header_at=at)
    frame, totals = _without_totals(frame)
    title = (1, at) if at else None
    return frame, Guesses(title_rows=title, totals_rows=totals, trailing_columns=trailing)


def _trim_trailing(records: list[list[str]], at: int) -> tuple[list[list[str]], bool]:
    """Records cut to the header's last named column where what lies beyond is blank (a trailing
    comma on every line, a sheet's formatted but empty columns)."""
    if at >= len(records):
        return records, False
    header = records[at]
    width = max((i + 1 for i, name in enumerate(header) if str(name).strip()), default=len(header))
    trimmed, cut = list(records[: at + 1]), len(header) > width
    trimmed[at] = header[:width]
    for record in records[at + 1 :]:
        if len(record) > width and not "".join(record[width:]).strip():
            record, cut = record[:width], True
        trimmed.append(record)
    return trimmed, cut


def _without_empty_trailing_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    keep = len(frame.columns)
    while (
        keep
        and str(frame.columns[keep - 1]).startswith("Unnamed: ")
        and not (frame.iloc[:, keep - 1].str.strip() != "").any()
    ):
        keep -= 1
    return (frame.iloc[:, :keep], True) if keep < len(frame.columns) else (frame, False)


def _without_totals(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[int, ...]]:
    totals = sniff.totals_rows(frame)
    if not totals:
        return frame, ()
    return frame.drop(index=totals), tuple(int(i) + 2 for i in totals)


def _lenient_xlsx(path: Path, expected: Sequence[str]) -> Extract:
    """The workbook's sheet whose header names the expected columns (else its first), read under
    its header, without a title block, trailing empty columns or a totals row."""
    records, sheet = _xlsx_records(path, expected)
    frame, guesses = _lenient_table(path.name, records, expected, strict_width=False)
    return Extract(frame, replace(guesses, sheet=sheet), spreadsheet=True)


def _file_error(file: str, expected: str, row: int = 0, value: str = "") -> RowError:
    return RowError(file, row, "", value, expected)


def clean_csv(path: Path, data: bytes | None = None, delimiter: str = ",") -> pd.DataFrame | None:
    """A well-formed CSV read by Arrow, in less time and memory than pandas takes (the exact
    reader needs three times both); None for anything else — a blank row, a bad byte, a row of the
    wrong width, a quote left open, a quoted header, an over-long value — which the exact reader
    then reads, or names row by row. ``data``: the file's bytes as UTF-8, if already read."""
    data = (path.read_bytes() if data is None else data).removeprefix(codecs.BOM_UTF8)
    first = data[: data.find(b"\n")].rstrip(b"\r") if b"\n" in data else data
    end = len(data)
    while end and data[end - 1] in b"\r\n":  # blank lines at the very end shift no row
        end -= 1
    blank_line = data.find(b"\n\n", 0, end) >= 0 or data.find(b"\n\r\n", 0, end) >= 0
    if not first.strip() or b'"' in first or b"\x00" in data or blank_line or data.find(b"\n", 0, end) < 0:
        return None
    if data.count(b'"') % 2:  # a quote left open: a file cut off inside a value
        return None
    try:
        header = [name.strip() for name in first.decode("utf-8").split(delimiter)]
    except UnicodeDecodeError:
        return None
    _check_width(path.name, len(_without_blank_tail(header)))
    if len(set(header)) < len(header):
        return None
    misfits = []
    names = [str(i) for i in range(len(header))]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                invalid_row_handler=lambda row: misfits.append(row) or "skip",
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    frame = table.to_pandas()
    if misfits or frame.empty:
        return None
    first_blank = frame[frame.iloc[:, 0].str.strip() == ""]  # a blank row starts with a blank cell
    if (first_blank.apply(lambda c: c.str.strip()) == "").all(axis=1).any():
        return None
    if max(frame[c].str.len().max() for c in frame.columns) > MAX_CELL_CHARS:
        return None
    frame.columns = [name or f"Unnamed: {i}" for i, name in enumerate(header)]
    return frame


def _csv_records(path: Path) -> list[list[str]]:
    """Every record of a UTF-8 CSV, one per spreadsheet row (a blank line is an empty record)."""
    data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        found = f"the byte 0x{data[error.start]:02X}"
        expected = "UTF-8 text (save the export as CSV UTF-8)"
        raise ReadError([_file_error(path.name, expected, row, found)]) from None
    return _text_records(path.name, text, ",")


def _text_records(name: str, text: str, delimiter: str) -> list[list[str]]:
    """Every record of a CSV's text, one per spreadsheet row (a blank line is an empty record)."""
    if "\x00" in text:
        row = text.count("\n", 0, text.index("\x00")) + 1
        raise ReadError([_file_error(name, "text, not binary data", row, "a NUL character")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    records, start = [], 1  # the row the record being read began on
    try:
        for record in reader:
            records.append(record)
            start = reader.line_num + 1
    except csv.Error as error:
        if "field limit" in str(error) and reader.line_num == start:
            expected = f"values of at most {MAX_CELL_CHARS:,} characters"
            raise ReadError([_file_error(name, expected, start, "a longer value")]) from None
        # A quote left open swallows the rows after it: the error is where its record began.
        expected = "a well-formed CSV row (a quote opened in this row is not closed, or text follows one)"
        raise ReadError([_file_error(name, expected, start)]) from None
    return records


def check_workbook_size(path: Path) -> None:
    """Refuse, in one line, what is not a workbook or is too big to parse."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        expected = "an Excel workbook (.xlsx); this one is truncated, empty or another kind of file"
        raise ReadError([_file_error(name, expected)]) from None
    if unpacked > MAX_XLSX_BYTES:
        expected = f"a workbook of at most {MAX_XLSX_BYTES // 2**20} MB unpacked (export it as CSV)"
        raise ReadError([_file_error(name, expected, value=f"{unpacked / 2**20:.0f} MB")])


def _xlsx_records(path: Path, expected: Sequence[str] | None = None):
    """The first sheet's rows, within the size limits; a damaged workbook gets one clear line.

    With ``expected`` (lenient reading), the rows of the first sheet whose header names those
    columns, and that sheet's name where it is not the first: ``(rows, name or None)``."""
    name = path.name
    check_workbook_size(path)
    try:
        return _sheet_rows(path) if expected is None else _chosen_sheet_rows(path, expected)
    except ReadError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook; its text may hold data
        expected = f"a readable Excel workbook (openpyxl could not read it: {type(error).__name__})"
        raise ReadError([_file_error(name, expected)]) from None


def _chosen_sheet_rows(path: Path, expected: Sequence[str]) -> tuple[list[list[str]], str | None]:
    wanted = {sniff.normal_name(n) for n in expected}
    chosen = 0
    if wanted:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        try:
            for index, sheet in enumerate(workbook.worksheets):
                sheet.reset_dimensions()
                head = sheet.iter_rows(max_row=sniff.HEADER_SEARCH_ROWS, values_only=True)
                if any(wanted <= {sniff.normal_name(_as_text(v)) for v in row} for row in head):
                    chosen = index
                    break
            names = workbook.sheetnames
        finally:
            workbook.close()
    return _sheet_rows(path, chosen), (names[chosen] if chosen else None)


def _sheet_rows(path: Path, index: int = 0) -> list[list[str]]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        return _rows(path.name, workbook.worksheets[index])
    finally:
        workbook.close()


def _rows(file: str, sheet) -> list[list[str]]:
    """A sheet's rows as text, within the cell limit."""
    sheet.reset_dimensions()  # the sheet's own claimed size may be false (a million empty columns)
    rows, cells = [], 0
    for row in sheet.iter_rows(values_only=True):
        cells += len(row)
        if cells > MAX_XLSX_CELLS:
            expected = f"a sheet of at most {MAX_XLSX_CELLS:,} cells (export it as CSV)"
            raise ReadError([_file_error(file, expected, len(rows) + 1)])
        rows.append([_as_text(value) for value in row])
    return rows


def _table(file: str, records: list[list[str]], strict_width: bool, header_at: int = 0) -> pd.DataFrame:
    """The records under their header (``header_at``, 0 for the first record), each indexed by
    its row - 2; blank rows dropped."""
    if len(records) <= header_at or not "".join(records[header_at]).strip():
        raise ReadError(
            [_file_error(file, "a header row naming the columns", header_at + 1, "a blank first row")]
        )
    header = [name.strip() for name in records[header_at]]
    _check_width(file, len(_without_blank_tail(header)), header_at + 1)
    errors = _header_errors(file, header, header_at + 1)
    width, rows, index, bad = len(header), [], [], []
    for number, cells in enumerate(records[header_at + 1 :], start=header_at + 2):
        if not "".join(cells).strip():
            continue
        if len(cells) != width:
            if strict_width:
                bad.append((number, len(cells)))
                continue
            cells = (cells + [""] * width)[:width]
        rows.append(cells)
        index.append(number - 2)
    errors += _width_errors(file, width, bad)
    if errors:
        raise ReadError(errors)
    header = [name or f"Unnamed: {i}" for i, name in enumerate(header)]
    return pd.DataFrame(rows, columns=header, index=pd.Index(index, dtype="int64"), dtype=object)


def _without_blank_tail(header: list[str]) -> list[str]:
    """A header without the blank names after its last (a trailing comma on the line)."""
    end = len(header)
    while end and not header[end - 1]:
        end -= 1
    return header[:end]


def _parquet_text(file: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A Parquet file's typed values as the text a CSV would hold, column by column."""
    header = [str(name).strip() for name in frame.columns]
    errors = _header_errors(file, header)
    if errors:
        raise ReadError(errors)
    text = pd.DataFrame({i: frame.iloc[:, i].map(_as_text) for i in range(len(header))}, index=frame.index)
    text.columns = header
    text.index = pd.RangeIndex(len(text))
    blank = (text.apply(lambda column: column.str.strip()) == "").all(axis=1)
    return text[~blank.to_numpy()] if len(header) else text


ONCE = "each column named once in the header"


def _header_errors(file: str, header: list[str], row: int = 1) -> list[RowError]:
    """A column named twice is refused: which of the two a mapping means cannot be known."""
    places = defaultdict(list)
    for position, name in enumerate(header, start=1):
        if name:
            places[name].append(position)
    return [
        RowError(file, row, name, f"columns {', '.join(map(str, at))}", ONCE)
        for name, at in places.items()
        if len(at) > 1
    ]


def _width_errors(file: str, width: int, bad: list[tuple[int, int]]) -> list[RowError]:
    """Rows whose fields do not line up with the header (a stray comma shifts every value)."""
    expected = f"{width} fields, as the header has"
    errors = [RowError(file, row, "", f"{found} fields", expected) for row, found in bad[:LISTED_BAD_ROWS]]
    if len(bad) > LISTED_BAD_ROWS:
        errors.append(_file_error(file, expected, value=f"{len(bad) - LISTED_BAD_ROWS:,} more such rows"))
    return errors


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
