"""A rota as doctors' duties on real clock times, read from CSV or XLSX.

Times are UK wall-clock times; durations, rest and windows are measured in hours that really pass
(``elapsed_hours``), so a clock change lengthens or shortens the duty that spans it.

Columns: doctor, start, end (YYYY-MM-DD HH:MM), kind (shift | on_call), expected_hours (the work
expected during a non-resident on-call period; blank for a shift), and optional site, label,
expected_episodes (episodes of work expected in an on-call period, for the R5a exception) and breaks
(the start times of a shift's 30-minute breaks, ``12:30;16:00``, for R17).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import pandas as pd

from stocktake.ingest.read import ReadError, check_workbook_size

HOUR = timedelta(hours=1)
BREAK = timedelta(minutes=30)
UK = ZoneInfo("Europe/London")


@cache
def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UK).astimezone(UTC)


def elapsed_hours(start: datetime, end: datetime) -> float:
    """Hours that really pass between two UK wall-clock times: a night across a clock change is an
    hour shorter in March and an hour longer in October than its clock times say."""
    return (_utc(end) - _utc(start)) / HOUR


def wall_clock_after(moment: datetime, hours: float) -> datetime:
    """The UK wall-clock time that many real hours after (or, negative, before) a wall-clock time."""
    return (_utc(moment) + timedelta(hours=hours)).astimezone(UK).replace(tzinfo=None)


REQUIRED = ("doctor", "start", "end", "kind")


class RotaInputError(ValueError):
    """A rota file that cannot be read; the message names the file, row and column."""


@dataclass(frozen=True)
class Duty:
    doctor: str
    start: datetime
    end: datetime
    kind: str = "shift"  # "shift" or "on_call"
    expected_hours: float | None = None
    site: str = ""
    label: str = ""
    expected_episodes: float | None = None  # None: not known, so no low-intensity exception (R5a)
    breaks: tuple[datetime, ...] | None = None  # None: not rostered, so R17 cannot be checked

    @property
    def span_hours(self) -> float:
        return elapsed_hours(self.start, self.end)

    @property
    def work_hours(self) -> float:
        """Actual work: the whole of a shift, the expected work of an on-call period."""
        if self.kind == "on_call":
            return float(self.expected_hours or 0.0)
        return self.span_hours

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Work falling between two instants, spreading an on-call period's work evenly."""
        overlap = elapsed_hours(max(self.start, start), min(self.end, end))
        return max(overlap, 0.0) * self.work_hours / self.span_hours if self.span_hours else 0.0


def break_starts(start: datetime, times: list[time]) -> tuple[datetime, ...]:
    """Each time of day as the first moment at or after the shift's start (a night's 02:00 is tomorrow)."""
    found = []
    for moment in times:
        at = datetime.combine(start.date(), moment)
        found.append(at if at >= start else at + timedelta(days=1))
    return tuple(sorted(found))


class ClockTimes(Protocol):
    """A duty's times of day and what it is, as a shift type or a grid's code gives them."""

    start: time
    end: time
    kind: str
    expected_hours: float | None
    expected_episodes: float | None
    breaks: tuple[time, ...] | None
    site: str


def duty_on(doctor: str, day: date, times: ClockTimes, label: str) -> Duty:
    """The duty on a date: an end at or before the start is the next day."""
    begin, finish = datetime.combine(day, times.start), datetime.combine(day, times.end)
    if finish <= begin:
        finish += timedelta(days=1)
    breaks = None if times.breaks is None else break_starts(begin, list(times.breaks))
    return Duty(
        doctor,
        begin,
        finish,
        times.kind,
        times.expected_hours,
        times.site,
        label,
        times.expected_episodes,
        breaks,
    )


#: Characters no field of a specification may hold: C0 controls (openpyxl's ILLEGAL_CHARACTERS_RE,
#: which would fail the workbook written after the whole solve, and the tab and line breaks a
#: one-line field cannot show) and DEL. Word's line break is a vertical tab (\x0b).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def control_character(value: str) -> str:
    """Why ``value`` cannot be a one-line field ("'Dr\\x0bAmara' contains a control character
    ('\\x0b')"), or "" when it can. Spaces, tabs and line breaks at either end are let be (a YAML block
    ends in one; a reader trims them); a vertical tab or form feed there is not (not every reader does)."""
    found = CONTROL.search(value.strip(" \t\r\n"))
    return f"{value!r} contains a control character ({found.group()!r})" if found else ""


class UnreadableWorkbook(ValueError):
    """A file that is not a workbook openpyxl can read; the message says why, without the file's name
    (each reader adds it in its own error)."""


def read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook, all cells as text. A truncated file, broken XML (a raw control byte in
    a sheet) or a missing part raises ``UnreadableWorkbook``: openpyxl and the XML parser raise many
    kinds of error on a damaged workbook (ParseError, BadZipFile, KeyError), and none may reach a page
    as a 500. A missing or unreadable file is still an ``OSError``."""
    path = Path(path)
    with path.open("rb"):  # a missing or unreadable file is an OSError, not a damaged workbook
        pass
    if not zipfile.is_zipfile(path):
        raise UnreadableWorkbook("not a readable workbook: truncated, empty or another kind of file")
    try:
        check_workbook_size(path)  # a zip bomb is refused before pandas unpacks it
        return pd.read_excel(path, dtype=str, sheet_name=None)
    except ReadError as error:
        raise UnreadableWorkbook(f"not a readable workbook: {error.errors[0].expected}") from None
    except OSError:
        raise
    except Exception as error:  # its text may hold the file's data, so only its kind is named
        reason = f"openpyxl could not read it ({type(error).__name__})"
        raise UnreadableWorkbook(f"not a readable workbook: {reason}") from None


def read_table(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook, or a CSV file as one unnamed sheet; all cells as text, none holding a
    control character (a vertical tab pasted from Word would be kept, then fail the rota's workbook)."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            sheets = read_workbook(path)
        else:
            sheets = {"": pd.read_csv(path, dtype=str, keep_default_na=False)}
    except UnreadableWorkbook as error:
        raise RotaInputError(f"{path}: {error}") from None
    except (OSError, ValueError) as error:
        raise RotaInputError(f"{path}: cannot read the rota: {error}") from error
    sheets = {name: frame.fillna("") for name, frame in sheets.items()}
    for name, frame in sheets.items():
        refuse_control_cells(frame, f"{path}, sheet {name}" if name else str(path))
    return sheets


def refuse_control_cells(frame: pd.DataFrame, where: str) -> None:
    """The first heading or cell holding a control character, named by row (1 is the heading) and
    column, as a ``RotaInputError``."""
    for column in frame.columns:
        if isinstance(column, str) and (why := control_character(column)):
            raise RotaInputError(f"{where}, row 1: heading {why}")
    for index, row in enumerate(frame.itertuples(index=False), start=2):
        for column, value in zip(frame.columns, row, strict=True):
            if isinstance(value, str) and (why := control_character(value)):
                raise RotaInputError(f"{where}, row {index}, column {column}: {why}")


def is_duty_list(frame: pd.DataFrame) -> bool:
    return all(c in frame.columns for c in REQUIRED)


def read_rota(path: Path) -> list[Duty]:
    """One row per duty, from a CSV file or a workbook's first sheet."""
    frame = next(iter(read_table(path).values()))
    return duties_from_rows(frame, str(path))


def duties_from_rows(frame: pd.DataFrame, where: str) -> list[Duty]:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise RotaInputError(f"{where}, row 1: missing column(s) {', '.join(missing)}")
    duties = [_duty(row, f"{where}, row {index + 2}") for index, row in frame.iterrows()]
    return sorted(duties, key=lambda d: (d.doctor, d.start))


def _duty(row, where: str) -> Duty:
    times = {}
    for column in ("start", "end"):
        try:
            times[column] = date_time(str(row[column]))
        except ValueError as error:
            raise RotaInputError(
                f"{where}, column {column}: {row[column]!r} is not a date and time like 2025-08-06 08:00"
            ) from error
    if times["end"] <= times["start"]:
        raise RotaInputError(f"{where}, column end: {row['end']!r} is not after the start")
    kind = str(row["kind"]).strip() or "shift"
    if kind not in ("shift", "on_call"):
        raise RotaInputError(f"{where}, column kind: {kind!r} is not shift or on_call")
    expected = str(row.get("expected_hours", "")).strip()
    if kind == "on_call" and not expected:
        raise RotaInputError(
            f"{where}, column expected_hours: an on-call period needs its expected hours of work"
        )
    hours, episodes = (number_in(row, column, where) for column in ("expected_hours", "expected_episodes"))
    return Duty(
        str(row["doctor"]).strip(),
        times["start"],
        times["end"],
        kind,
        hours,
        str(row.get("site", "")).strip(),
        str(row.get("label", "")).strip(),
        episodes,
        _breaks(row, times["start"], where),
    )


CLOCK = re.compile(r"(\d{1,2})[:.]?(\d{2})(?::(\d{2}))?")


def clock_time(text: str) -> time:
    """A time of day as people write it: 08:00, 8:00, 0800, 8.00, 08:00:00 (a spreadsheet's time
    cell); 24:00 is midnight. Raises ValueError otherwise."""
    match = CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a time of day")
    hour, minute, second = (int(part or 0) for part in match.groups())
    if (hour, minute, second) == (24, 0, 0):
        return time(0)
    return time(hour, minute, second)


def date_time(text: str) -> datetime:
    """A date and time: ISO (2025-08-06 08:00), or with the time written as ``clock_time`` reads it."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        day, _, clock = text.replace("T", " ").partition(" ")
        at = clock_time(clock)
        moment = datetime.combine(date.fromisoformat(day), at)
        return moment + timedelta(days=1) if clock.strip().startswith("24") else moment


def parse_wte(text: str) -> float:
    """A whole-time equivalent above 0 and at most 1: 0.8 or 80%. Raises ValueError otherwise."""
    text = text.strip()
    try:
        fraction = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        fraction = math.nan
    if not 0 < fraction <= 1:
        raise ValueError(f"{text!r} is not a whole-time equivalent above 0 and at most 1 (like 0.8 or 80%)")
    return fraction


def clock_change_warnings(duties: Iterable[Duty]) -> list[str]:
    """UK wall-clock times that never happen (01:00–01:59 as the clocks go forward in March) or
    happen twice (01:00–01:59 as they go back in October): the rota is ambiguous there, so say how
    it was read rather than guess silently."""
    found: dict[tuple[datetime, str], list[str]] = {}
    for duty in duties:
        for moment in (duty.start, duty.end, *(duty.breaks or ())):
            problem = _clock_change(moment)
            if problem:
                found.setdefault((moment, problem), []).append(duty.doctor)
    return [
        f"{moment:%Y-%m-%d %H:%M} ({', '.join(dict.fromkeys(doctors))}) {problem}"
        for (moment, problem), doctors in sorted(found.items())
    ]


def _clock_change(moment: datetime) -> str:
    read_as = wall_clock_after(moment, 0)
    if read_as != moment:
        return f"does not exist in the UK (the clocks go forward that night); read as {read_as:%H:%M}"
    first, second = (moment.replace(tzinfo=UK, fold=fold).utcoffset() for fold in (0, 1))
    if first != second:
        return "happens twice in the UK (the clocks go back that night); read as the first, in summer time"
    return ""


def number_in(row, column: str, where: str) -> float | None:
    """A blank cell as None; otherwise a number of 0 or more (hours, episodes)."""
    value = str(row.get(column, "")).strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not number >= 0:
        raise RotaInputError(f"{where}, column {column}: {value!r} is not a number of 0 or more")
    return number


def _breaks(row, start: datetime, where: str) -> tuple[datetime, ...] | None:
    times = break_times(row, where)
    return None if times is None else break_starts(start, list(times))


def break_times(row, where: str) -> tuple[time, ...] | None:
    """Blank means not rostered; ``none`` means no breaks; otherwise HH:MM start times, ``;``-separated."""
    value = str(row.get("breaks", "")).strip()
    if not value:
        return None
    if value.lower() == "none":
        return ()
    try:
        return tuple(clock_time(part) for part in value.split(";"))
    except ValueError as error:
        raise RotaInputError(
            f"{where}, column breaks: {value!r} is not start times like 12:30;16:00 (or none)"
        ) from error
