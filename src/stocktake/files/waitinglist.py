"""Reading waiting-list inputs (a monthly history CSV, a pathways CSV, the warehouse's rtt_pathways)
and writing the projection, for ``stocktake waitinglist``.

Every problem with an input is one :class:`WaitingListInputError` line naming the file, the line,
the column and the value (an NHS number in a wrong cell is masked), raised before anything is
written; outputs are written to a temporary file and renamed, so a failed run leaves nothing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.atomic import is_special, move_into_place, staging_folder
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.ingest.read import ReadError, clean_csv
from stocktake.ingest.schemas import PRIORITIES
from stocktake.ingest.sniff import UnreadableText, decode, sniff_delimiter
from stocktake.periods import option_month
from stocktake.small_numbers import NOT_RECORDED
from stocktake.spreadsheets import csv_ready
from stocktake.waitinglist.history import (
    History,
    HistoryError,
    HistoryGap,
    history_from_pathways,
    history_from_table,
)
from stocktake.waitinglist.projection import MAX_MONTHS_AHEAD, MIN_SIMULATIONS
from stocktake.waitinglist.windows import MIN_HISTORY

#: What ``--by`` groups on, and the column holding it.
GROUPS = {"priority": "priority", "procedure": "procedure_group", "consultant": "consultant"}


class WaitingListInputError(ValueError):
    """An input cannot be used; the message is one line saying where and why."""


#: How a float is written: 12 significant figures, the arithmetic's last digits left out.
FIGURES = "%.12g"

#: Workbook names: a CSV reader refuses them, and a CSV is never written under one.
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")


def read_saved_csv(path: Path) -> pd.DataFrame:
    """A CSV as people save it (UTF-8 with or without a byte-order mark, UTF-16, Windows-1252; comma,
    semicolon or tab), every cell as text. Blank lines are kept as rows, so a row's position is still
    its line in the file, and those at the end (Excel's trailing ``,,,,``) are dropped."""
    path = Path(path)
    refuse_a_workbook(path)
    data = read_bytes(path)
    if data.startswith(ZIP_MAGIC):
        refuse_a_workbook(path, is_one=is_a_workbook(data))  # a workbook renamed .csv is a ZIP too
        raise WaitingListInputError(f"{path}: a ZIP archive, not a CSV; unzip it and give the CSV inside")
    return saved_csv_table(data, str(path))


def refuse_a_workbook(path: Path, is_one: bool = False) -> None:
    """A workbook (by its name, or ``is_one``: by its parts) is refused, with what to give instead."""
    if is_one or Path(path).suffix.lower() in WORKBOOKS:
        raise WaitingListInputError(
            f"{path}: a workbook, not a CSV; save the sheet as CSV UTF-8 and give that"
        )


def is_a_workbook(data: bytes) -> bool:
    """Whether a ZIP's bytes are an Office document's (Excel's, or Word's or PowerPoint's) by its parts."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith(("xl/", "word/", "ppt/")) for n in names)


#: The first bytes of a ZIP archive: a file, an empty archive, a spanned one (NHS England publishes its
#: full RTT file zipped).
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def read_bytes(path: Path) -> bytes:
    """A file's bytes, or one line saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise WaitingListInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WaitingListInputError(f"{path}: a folder, not a file") from None
    except OSError as error:
        raise WaitingListInputError(f"{path}: cannot be read ({error.strerror})") from None


def saved_csv_table(data: bytes, source: str, one_line_rows: bool = False) -> pd.DataFrame:
    """:func:`read_saved_csv` on bytes already read; ``source`` names them in messages.
    ``one_line_rows``: a cell holding a line break is refused (a file whose rows are one line each,
    where one means a quote opened and never closed)."""
    path = source
    try:
        text, _ = decode(data)
    except UnreadableText as error:
        raise WaitingListInputError(
            f"{path}, line {error.row}: the byte 0x{error.byte:02X} is no character in UTF-8, UTF-16 or "
            "Windows-1252; save the file as CSV UTF-8"
        ) from None
    delimiter = sniff_delimiter(text)
    _refuse_repeated_names(text, delimiter, path)
    table = _read_by_arrow(text, delimiter, path)
    if table is None:
        table = _read_by_pandas(text, delimiter, path)
    if one_line_rows and len(text.splitlines()) > len(table) + 1:  # some row spans lines: find it
        broken = table.apply(lambda column: column.str.contains("\n|\r", regex=True)).any(axis=1).to_numpy()
        if broken.any():
            raise WaitingListInputError(
                f"{path}, line {int(broken.argmax()) + 2}: a cell holds a line break, so the lines after it "
                'are read into it; a quote (") opens a cell and is not closed where it should be: remove it'
            )
    filled = table.apply(lambda column: column.str.strip() != "").any(axis=1).to_numpy()
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return table.iloc[:last]


def _lines(text: str) -> str:
    """``text`` without its byte-order mark, each line ended by "\n" (a Mac's old "CSV (Macintosh)" ends
    them with "\r" alone, which the csv module refuses with a traceback: an outside check)."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _refuse_repeated_names(text: str, delimiter: str, path: str) -> None:
    """A column named twice is refused: pandas' reader renames the second (``waiting.1``) and the first
    was read, a column of 1s in an outside check's file (projected to 0)."""
    first = re.match(r"[^\r\n]*", text.lstrip("\ufeff"))[0]  # the header alone, not a copy of the file
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter, skipinitialspace=True), [])
    # in any case or spacing, as the readers match names (`priority` beside `Priority` had read one)
    names = [re.sub(r"[\s_]+", "_", name.strip().lower()) for name in header]
    for i, name in enumerate(names):
        if name and name in names[:i]:
            raise WaitingListInputError(
                f"{path}: more than one column named {mask_nhs_numbers(header[i].strip())!r} (columns "
                f"{names.index(name) + 1} and {i + 1}, in any case); keep the one meant"
            )


def _read_by_arrow(text: str, delimiter: str, path: str) -> pd.DataFrame | None:
    """The table pandas' reader gives, read by Arrow's (NHS England's full monthly RTT file, 200,000
    lines: 2.4 s against 4.2 s, and less memory), or None where the two could differ:
    anything :func:`clean_csv` passes to its exact reader, and a cell or name starting with a space or
    tab (pandas' reader skips those)."""
    header = text[: text.find("\n")].rstrip("\r").split(delimiter)
    if any(name != name.strip() for name in header):  # clean_csv strips names; pandas' reader keeps an end
        return None
    try:
        table = clean_csv(Path(path), text.encode("utf-8"), delimiter)
    except ReadError:  # wider than an extract may be: pandas' reader reads it, as before
        return None
    if table is None:
        return None
    if any(column.str.startswith((" ", "\t")).any() for _, column in table.items()):
        return None
    return table


def _refuse_cells_beyond_the_header(text: str, delimiter: str, path: str) -> None:
    """A row whose cells run past the header's is refused unless those past it are blank (every row
    ending in a comma). pandas' reader sizes the table by the first row, so a note there had let every
    later row with a comma in a name through, its cells shifted into the wrong columns (an outside check
    found a procedure group "J" of 20 pathways, from "Smith, J")."""
    rows = csv.reader(io.StringIO(_lines(text)), delimiter=delimiter, skipinitialspace=True)
    try:
        width = len(next(rows, []))
        beyond = next(
            (row for row in rows if len(row) > width and any(cell.strip() for cell in row[width:])), None
        )
    except csv.Error as error:  # past the csv module's cell size limit: said, not a traceback
        raise WaitingListInputError(
            f"{path}, line {rows.line_num}: cannot be read as CSV ({error})"
        ) from None
    if beyond is not None:
        raise WaitingListInputError(
            f"{path}, line {rows.line_num}: {len(beyond)} cells where the header has {width}; a number "
            "with a thousands comma and no quotes (3,344), or a comma in a name, splits its cell in two "
            'and shifts the rest: quote it ("3,344"), or save the file from the spreadsheet as CSV; '
            "a note beyond the last column needs a header of its own"
        )


def _read_by_pandas(text: str, delimiter: str, path: str) -> pd.DataFrame:
    """Any text pandas' reader reads, with its messages for what it cannot worded for a person."""
    _refuse_cells_beyond_the_header(text, delimiter, path)
    try:
        with warnings.catch_warnings():  # the unheaded cell's loss, said in the comment below
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=False,
                # rows ending in a comma (checked blank above) had made the first column the index:
                # every column shifted left, and `stats` crashed (an outside check)
                index_col=False,
            )
    except pd.errors.EmptyDataError:
        raise WaitingListInputError(f"{path}: the file is empty (no header row)") from None
    except pd.errors.ParserError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if shifted := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", first):
            expected, line, saw = shifted.groups()
            raise WaitingListInputError(
                f"{path}, line {line}: {saw} cells where the header has {expected}; a number with a "
                "thousands comma and no quotes (3,344), or a comma in a name, splits its cell in two and "
                'shifts the rest: quote it ("3,344"), or save the file from the spreadsheet as CSV'
            ) from None
        if unclosed := re.search(r"EOF inside string starting at row (\d+)", first):
            raise WaitingListInputError(
                f'{path}, line {int(unclosed[1]) + 1}: a quote (") opens a cell and is never closed, so the '
                "rest of the file reads as that one cell; close it, or remove it"
            ) from None
        raise WaitingListInputError(f"{path}: cannot be read as CSV ({mask_nhs_numbers(first)})") from None
    return table


def month_option(option: str, text: str) -> pd.Period:
    """A command's month as :func:`periods.option_month` reads it, refused in the option's name."""
    try:
        return option_month(text)
    except ValueError as error:
        raise WaitingListInputError(f"{option} {text!r}: {error}") from None


def day_option(option: str, text: str) -> np.datetime64:
    """A command's day, YYYY-MM-DD only, as the pathways' own dates are (never month first)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        return pd.Timestamp(text.strip()).to_datetime64()
    except ValueError:
        raise WaitingListInputError(f"{option} {text!r}: not a date (YYYY-MM-DD)") from None


def _as_recorded(months: tuple[str, ...]) -> frozenset[pd.Period]:
    """``--not-a-typo`` months: counts as they were, however unlike their neighbours."""
    return frozenset(month_option("--not-a-typo", m) for m in months)


def _since(since: str | None) -> pd.Period | None:
    """``--since`` as a month (the same rule for a CSV and for the warehouse's history)."""
    return month_option("--since", since) if since is not None else None


def read_history(path: Path, since: str | None = None, as_recorded: tuple[str, ...] = ()) -> History:
    """A monthly history CSV, checked row by row (only the months from ``since`` on, if given;
    ``as_recorded``: months not refused as typos, ``--not-a-typo``)."""
    start = _since(since)
    months = _as_recorded(as_recorded)
    try:
        history = history_from_table(read_saved_csv(path), source=str(path), since=start, as_recorded=months)
    except HistoryGap as error:
        after = (
            f"to project the months after it, add --since {error.resumes}"
            if error.months_after >= MIN_HISTORY
            else f"the {error.months_after} months after it are too few to project from alone (at least "
            f"{MIN_HISTORY}): fill in the missing months"
        )
        raise WaitingListInputError(f"{mask_nhs_numbers(str(error))}; {after}") from None
    except HistoryError as error:
        raise WaitingListInputError(mask_nhs_numbers(str(error))) from None
    this_month = pd.Period(pd.Timestamp.today(), freq="M")
    if history.months[-1] > this_month:  # a year mistyped, or an export's dates shifted: a month to come
        raise WaitingListInputError(
            f"{path}: its last month, {history.months[-1]}, is after this month ({this_month}); a history "
            "ends with a month that has happened (is a year mistyped?)"
        )
    if history.months[-1] == this_month:  # its counts are of part of a month, read as a whole one
        raise WaitingListInputError(
            f"{path}: its last month, {history.months[-1]}, is this month, not yet over; end the history "
            f"with {this_month - 1}"
        )
    return history


def read_pathways(path: Path, by: str | None = None) -> pd.DataFrame:
    """A pathways CSV: ``clock_start``, ``clock_stop`` (blank while waiting) and the ``--by`` column.
    Blank lines are skipped, every line keeping its number for messages, as a history's are."""
    table = read_saved_csv(path)
    wanted = ["clock_start", "clock_stop"] + ([GROUPS[by]] if by else [])
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise WaitingListInputError(
            f"{path}: no column {', '.join(missing)} (columns: {', '.join(table.columns)})"
        )
    table = table[~table.apply(lambda column: column.str.strip() == "").all(axis=1)]
    line = table.index.to_numpy() + 2  # a position's line in the file
    read = {c: _dates(table[c], path, c, c == "clock_stop", line) for c in wanted[:2]}
    out = pd.DataFrame({c: dates for c, (dates, _) in read.items()})
    if by:
        # a blank group is none recorded (a non-admitted pathway has no priority): its own row, as from
        # the warehouse (an outside check's real export was refused on its first blank)
        out[GROUPS[by]] = table[GROUPS[by]].str.strip().replace("", None)
        if by == "priority":
            out["priority"] = out["priority"].str.upper()  # "p2" is P2
            unknown = out["priority"].notna() & ~out["priority"].isin(PRIORITIES)
            if unknown.any():
                i = unknown.to_numpy().argmax()
                raise WaitingListInputError(
                    f"{path}, line {line[i]}, priority: "
                    f"{mask_nhs_numbers(table[GROUPS[by]].iloc[i], any_check_digit=True)!r}; "
                    f"expected one of {', '.join(PRIORITIES)}"
                )
    if (late := _in_future(out)) is not None:
        column, i = late
        value = out[column].iloc[i].date()
        raise WaitingListInputError(f"{path}, line {line[i]}, {column}: {value} is in the future")
    early = out["clock_stop"].notna() & (out["clock_stop"] < out["clock_start"])
    if early.any():
        i = early.to_numpy().argmax()
        raise WaitingListInputError(
            f"{path}, line {line[i]}, clock_stop: {out['clock_stop'].iloc[i].date()} is before the clock "
            f"start {out['clock_start'].iloc[i].date()}"
        )
    if out.empty:
        raise WaitingListInputError(f"{path}: no pathways")
    out = out.reset_index(drop=True)
    # how dates not written YYYY-MM-DD were read, said as the extracts' reader says its guesses
    out.attrs["dates read"] = "; ".join(f"{c} {', '.join(how)}" for c, (_, how) in read.items() if how)
    return out


def _dates(
    text: pd.Series, path: Path, column: str, blank_ok: bool, line: np.ndarray
) -> tuple[pd.Series, tuple[str, ...]]:
    """A column of dates as exports write them, read as an extract's are (``ingest.sniff``: ISO, the
    UK's day first, a database's date and time, the day kept). A column whose values do not settle
    day or month first is refused where they differ, never read one way silently. With the dates, how
    those not YYYY-MM-DD were read ("day first (as in the UK)"), to be said."""
    from stocktake.ingest.sniff import ambiguity, is_month_label, read_dates

    stripped = text.str.strip()
    iso = pd.to_datetime(stripped, format="%Y-%m-%d", errors="coerce")
    if not (iso.isna() & ((stripped != "") | (not blank_ok))).any():  # the usual file, at once
        return iso, ()
    reading = read_dates(stripped.reset_index(drop=True))
    # a month with no day (2024-06, Jun-24) is no clock date: it had been read as the 1st, unsaid
    month = stripped.map(is_month_label).to_numpy(dtype=bool)
    bad = reading.unreadable | reading.ambiguous | month | ((stripped == "").to_numpy() & (not blank_ok))
    if bad.any():
        i = int(bad.argmax())
        value = stripped.iloc[i]
        why = (
            f"could be {ambiguity(value)}: no date in the column settles day or month first; write "
            "dates as YYYY-MM-DD"
            if reading.ambiguous[i]
            else "is a month, not a day (YYYY-MM-DD)"
            if month[i]
            else "is not a date (YYYY-MM-DD, or DD/MM/YYYY day first as in the UK)"
        )
        raise WaitingListInputError(f"{path}, line {line[i]}, {column}: {mask_nhs_numbers(value)!r} {why}")
    how = {"dmy": "day first (as in the UK)", "mdy": "month first (as in the US)"}
    said = tuple(sorted(note for note in reading.notes if note.startswith("dates with")))
    said = ((how[reading.order],) if reading.order else ()) + said
    if stripped.str.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?:[ T,].*)?").any():  # 24/03/04 is 2004
        said += ("two-digit years 00–68 as 2000–2068 and 69–99 as 1969–1999",)
    return pd.Series(reading.values.to_numpy(), index=text.index).dt.normalize(), said


def _not_loaded(warehouse: Path, column: str) -> str:
    """Why ``--by`` cannot group a warehouse's pathways, and how to load the column it needs."""
    return (
        f"{warehouse}: rtt_pathways has no {column} loaded; map the extract's column to rtt_pathways "
        f"{column} in the mapping (`stocktake mapping suggest` offers it) and load again, or give a "
        "pathways CSV"
    )


def warehouse_pathways(warehouse: Path, by: str | None = None) -> pd.DataFrame:
    """The warehouse's rtt_pathways (no identifier is read): dates, status and the ``--by`` column."""
    from stocktake.warehouse import WarehouseError, connect

    if not Path(warehouse).is_file():
        raise WaitingListInputError(f"{warehouse}: no such warehouse; give the file `stocktake ingest` wrote")
    columns = ["clock_start", "clock_stop", "status"] + ([GROUPS[by]] if by else [])
    try:
        with connect(warehouse, read_only=True) as con:
            tables = {
                row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
            if "rtt_pathways" not in tables:
                raise WaitingListInputError(
                    f"{warehouse}: has no rtt_pathways; load one with `stocktake ingest`"
                )
            loaded = {
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'rtt_pathways'"
                ).fetchall()
            }
            if by is not None and GROUPS[by] not in loaded:  # a warehouse loaded before the column was
                raise WaitingListInputError(_not_loaded(warehouse, GROUPS[by]))
            frame = con.execute(f"SELECT {', '.join(columns)} FROM rtt_pathways").fetch_df()
    except WarehouseError as error:
        raise WaitingListInputError(str(error)) from None
    if by is not None and frame[GROUPS[by]].isna().all():
        raise WaitingListInputError(_not_loaded(warehouse, GROUPS[by]))
    if frame.empty:
        raise WaitingListInputError(f"{warehouse}: rtt_pathways is empty")
    frame["clock_start"] = pd.to_datetime(frame["clock_start"])
    frame["clock_stop"] = pd.to_datetime(frame["clock_stop"])
    refuse_future_dates(frame, warehouse)
    return frame


def refuse_future_dates(frame: pd.DataFrame, warehouse: Path) -> None:
    """The warehouse's pathways with a clock start or stop after today are refused, counted."""
    if (late := _in_future(frame)) is not None:
        after = frame[late[0]] > pd.Timestamp.today().normalize()
        n = int(after.sum())
        raise WaitingListInputError(
            f"{warehouse}, rtt_pathways: {n} pathway{'s have' if n > 1 else ' has'} a {late[0]} in the "
            f"future ({frame.loc[after, late[0]].max().date()}); correct the extract and load it again"
        )


def _in_future(frame: pd.DataFrame) -> tuple[str, int] | None:
    """The first clock start, else stop, after today (column, position): one mistyped date would
    stretch every window and wait to it."""
    for column in ("clock_start", "clock_stop"):
        late = (frame[column] > pd.Timestamp.today().normalize()).to_numpy()
        if late.any():
            return column, int(late.argmax())
    return None


def warehouse_history(
    warehouse: Path, since: str | None = None, as_recorded: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, History]:
    """The warehouse's own monthly flows (as a table, and checked as a history), only the months from
    ``since`` on if given: ``--since`` (and ``--not-a-typo``) mean the same for the warehouse as for a CSV."""
    start = _since(since)
    months = _as_recorded(as_recorded)
    table = history_from_pathways(warehouse_pathways(warehouse))
    source = f"{warehouse} (rtt_pathways by month)"
    try:
        return table, history_from_table(table, source=source, since=start, as_recorded=months)
    except HistoryError as error:
        raise WaitingListInputError(str(error)) from None


def check_output(path: Path, *inputs: Path | None, example: str = "out.csv") -> None:
    """Refuse an output that cannot be written before any work is done."""
    path = Path(path)
    if path.is_dir():
        raise WaitingListInputError(f"--out {path}: is a folder; expected a file name, like {path / example}")
    if example.endswith(".csv") and path.suffix.lower() != ".csv" and not is_special(path):
        # CSV text under .xlsx is a file Excel calls damaged; under .parquet or .json, a lie
        raise WaitingListInputError(
            f"--out {path}: this command writes CSV; give a .csv name (Excel opens it), like "
            f"{path.with_suffix('.csv')}"
        )
    if not path.parent.is_dir():
        raise WaitingListInputError(f"--out {path}: the folder {path.parent} does not exist; create it first")
    try:  # a folder one may only read (a shared drive, a read-only mount) is said now, not after the work
        tempfile.TemporaryFile(dir=staging_folder(path)).close()
    except OSError as error:
        raise WaitingListInputError(
            f"--out {path}: cannot write into {staging_folder(path)} ({error.strerror}); choose a folder you "
            "can write to"
        ) from None
    for given in inputs:
        if given is not None and path.exists() and path.resolve() == Path(given).resolve():
            raise WaitingListInputError(f"--out {path}: is the input file; choose another name")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV whole or not at all (a temporary file beside ``path``, then a rename), no
    text cell a spreadsheet would run as a formula, and numbers to 12 significant figures (an analyst
    read 20.999999999999996 weeks as a fault: the last digits of a float are its arithmetic's, not
    the list's)."""
    path, temporary = Path(path), None
    try:
        handle, temporary = tempfile.mkstemp(dir=staging_folder(path), prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", newline="") as out:
            csv_ready(frame).to_csv(out, index=False, float_format=FIGURES)
        move_into_place(temporary, path)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise WaitingListInputError(f"{path}: cannot write the file: {error.strerror}") from None


def _one_source(csv: Path | None, warehouse: Path | None, what: str) -> None:
    if (csv is None) == (warehouse is None):
        raise WaitingListInputError(f"give {what} or --warehouse, one of the two")


def run_projection(
    history_csv: Path | None,
    warehouse: Path | None,
    months: int,
    since: str | None = None,
    simulations: int = 0,
    as_recorded: tuple[str, ...] = (),
):
    """Read the history (a CSV, or the warehouse's monthly flows) and project it ``months`` ahead."""
    from stocktake.waitinglist.projection import project

    _one_source(history_csv, warehouse, "HISTORY.csv")
    if not 1 <= months <= MAX_MONTHS_AHEAD:  # the option's fault, said before any file is read
        raise WaitingListInputError(f"--months {months}: must be 1 to {MAX_MONTHS_AHEAD}")
    if simulations < 0 or 0 < simulations < MIN_SIMULATIONS:  # the option's, not the file's
        raise WaitingListInputError(
            f"--simulations {simulations}: must be 0 (none) or {MIN_SIMULATIONS} or more (fewer runs cannot "
            "place a 95% interval's ends)"
        )
    if history_csv is not None:
        history = read_history(history_csv, since, as_recorded)
    else:
        history = warehouse_history(warehouse, since, as_recorded)[1]
    try:
        return project(history, months, simulations)
    except HistoryError as error:
        raise WaitingListInputError(f"{history_csv or warehouse}: {error}") from None


def run_stats(
    pathways_csv: Path | None,
    warehouse: Path | None,
    by: str | None,
    target_weeks: float,
    start: str | None = None,
    end: str | None = None,
    convention: str = "stocktake",
) -> pd.DataFrame:
    """Waiting-list statistics for the whole list or each group, one row each."""
    from dataclasses import asdict

    from stocktake.waitinglist.stats import (
        NHSRWAITINGLIST,
        RECENT_DAYS,
        STOCKTAKE,
        WindowError,
        check_window,
        stats_by_group,
        ungrouped_stats,
    )

    _one_source(pathways_csv, warehouse, "PATHWAYS.csv")
    if by is not None and by not in GROUPS:
        raise WaitingListInputError(f"--by {by!r}: expected one of {', '.join(GROUPS)}")
    conventions = {"stocktake": STOCKTAKE, "nhsrwaitinglist": NHSRWAITINGLIST}
    if convention not in conventions:
        raise WaitingListInputError(f"--convention {convention!r}: expected stocktake or nhsrwaitinglist")
    if not target_weeks > 0:
        raise WaitingListInputError(f"--target-weeks {target_weeks}: must be more than 0")
    window = {}
    for option, text in (("--start", start), ("--end", end)):
        if text is not None:
            window[option] = day_option(option, text)
    dates_read = ""
    if pathways_csv is not None:
        pathways = read_pathways(pathways_csv, by)
        dates_read = pathways.attrs.get("dates read", "")
    else:
        pathways = warehouse_pathways(warehouse, by)
        if "--start" not in window:  # the warehouse holds years: demand and capacity as they are now
            # to the end of the list's last complete month, as the page and the report count it (the
            # last clock start had been the end: two figures for one list)
            window.setdefault("--end", _last_month_end(pathways))
            window["--start"] = window["--end"] - np.timedelta64(RECENT_DAYS, "D")
    latest = _last_date(pathways)
    for option, when in window.items():
        if when > latest:  # nothing is known after the data: demand 0 and waits growing, not the list
            raise WaitingListInputError(
                f"{option} {str(when)[:10]}: after the data, which run to {str(latest)[:10]}; a window "
                "must end by then"
            )
    try:
        check_window(
            pathways["clock_start"], pathways["clock_stop"], window.get("--start"), window.get("--end")
        )
    except WindowError as error:
        raise WaitingListInputError(f"{pathways_csv or warehouse}: {error}") from None
    if by == "priority":  # one not P1-P6 (a blank text) is not recorded, as a missing one is
        pathways = pathways.assign(priority=pathways["priority"].where(pathways["priority"].isin(PRIORITIES)))
    grouped = pathways[pathways[GROUPS[by]].notna()] if by else pathways
    rows = stats_by_group(
        grouped,
        GROUPS.get(by),
        target_weeks,
        window.get("--start"),
        window.get("--end"),
        conventions[convention],
    )
    table = pd.DataFrame(
        [{"group": mask_nhs_numbers(name, any_check_digit=True)} | asdict(row) for name, row in rows]
    )
    # pathways of the window loaded without the group (a non-admitted one's priority and procedure):
    # their own row, suppressed as any group is, so that the rows add up to the list (ADR 60)
    first, last = (pd.Timestamp(table[c].iloc[0]) for c in ("window_start", "window_end"))
    ungrouped = pathways[pathways[GROUPS[by]].isna()] if by else pathways.iloc[:0]
    alone = ungrouped_stats(ungrouped, target_weeks, first, last, conventions[convention])
    if alone is not None:
        table = pd.concat([table, pd.DataFrame([{"group": NOT_RECORDED} | asdict(alone)])], ignore_index=True)
    table.attrs["dates read"] = dates_read
    return table


def _last_month_end(pathways: pd.DataFrame) -> np.datetime64:
    """The last day of the last month the pathways cover to its end (``weeks_waited.list_month``)."""
    from stocktake.waitinglist.weeks_waited import list_month

    starts, stops = (pathways[c].to_numpy(dtype="datetime64[D]") for c in ("clock_start", "clock_stop"))
    return np.datetime64(list_month(starts, stops).end_time.date(), "D")


def _last_date(pathways: pd.DataFrame) -> np.datetime64:
    """The latest clock start or stop: the end of the statistics' window by default."""
    dates = pd.concat([pd.to_datetime(pathways["clock_start"]), pd.to_datetime(pathways["clock_stop"])])
    return dates.max().to_datetime64()
