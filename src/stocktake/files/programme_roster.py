"""A cohort's participants and attendance, as programme leads keep them (CSV or XLSX).

Read leniently as every upload is (``ingest.read.read_raw`` through ``files.programme``): header case,
spaces and dashes set aside. Participants: one row a person, columns ``id`` (the id their survey
responses carry), ``name``, and optionally ``role``, ``service`` and ``username`` (their workspace
account). Attendance: one row a person and session, columns ``id``, ``module``, ``date`` (ISO or
DD/MM/YYYY) and ``attended`` (yes/no, y/n, present/absent, 1/0, true/false). Every problem is one
line naming the file, the row a spreadsheet shows, the column and the value; nothing is returned
with a problem, so nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from stocktake.files.programme import SHEET_ROW, ProgrammeFileError, _table
from stocktake.ingest.validate import RowError
from stocktake.programmes.scale import normalise

#: A long sheet's ``attended``: "x" is neither (present in some registers, absent in others), and a
#: blank cell is refused, not read as absent: a row names a person and a session, so it must say which.
YES = {"yes", "y", "present", "attended", "1", "true", "✓"}
NO = {"no", "n", "absent", "0", "false", "did not attend", "dna"}
#: Each column's accepted names (compared after ``normalise``), the first being the one asked for.
PARTICIPANT_COLUMNS = {
    "id": ("id", "code", "participant id", "respondent id"),
    "name": ("name", "full name", "participant"),
    "role": ("role", "job role", "job title"),
    "service": ("service", "service led", "team"),
    "username": ("username", "account", "user"),
}
ATTENDANCE_COLUMNS = {
    "id": PARTICIPANT_COLUMNS["id"],
    "module": ("module", "session", "module name"),
    "date": ("date", "held on", "session date"),
    "attended": ("attended", "attendance", "present"),
}


@dataclass(frozen=True)
class ParticipantRow:
    row: int
    code: str
    name: str
    job_role: str
    service: str
    username: str


@dataclass(frozen=True)
class AttendanceRow:
    row: int
    code: str
    module: str
    held_on: date
    attended: bool
    # Where the mark was, for a refusal: the sheet's column (a register's session header, or
    # "attended") and the cell as written. Not compared: a mark is the same mark from either shape.
    column: str = field(default="", compare=False)
    cell: str = field(default="", compare=False)


def _columns(table: pd.DataFrame, wanted: dict, required: tuple[str, ...], name: str) -> dict[str, str]:
    found = {normalise(c): c for c in table.columns}
    columns = {}
    for key, names in wanted.items():
        column = next((found[normalise(n)] for n in names if normalise(n) in found), None)
        if column is None and key in required:
            raise ProgrammeFileError(
                f"{name}, row 1: no column {key!r} (the columns: {', '.join(map(str, table.columns))})"
            )
        if column is not None:
            columns[key] = column
    return columns


def _error(name: str, index, column: str, value: str, expected: str) -> ProgrammeFileError:
    return ProgrammeFileError(str(RowError(name, int(index) + SHEET_ROW, column, value, expected)))


def read_participants(
    path: Path, *, name: str | None = None, taken: Collection[str] = (), withdrawn: Mapping[str, date] = {}
) -> list[ParticipantRow]:
    """The participants file; ``taken``: ids already in the cohort (a row repeating one is refused);
    ``withdrawn``: the withdrawn among them and the day each was withdrawn, said in the refusal."""
    name = name or Path(path).name
    table = _table(Path(path))
    columns = _columns(table, PARTICIPANT_COLUMNS, ("id", "name"), name)
    rows, seen = [], {}
    for index, record in table.iterrows():
        text = {key: str(record[column]).strip() for key, column in columns.items()}
        code = text["id"]
        if not code:
            raise _error(name, index, columns["id"], code, "the participant's id")
        if code in seen:
            raise _error(name, index, columns["id"], code, f"an id used once (row {seen[code]} has it too)")
        if code in withdrawn:
            expected = (
                f"an id not already in this cohort ({code} was withdrawn from it on "
                f"{day_text(withdrawn[code])}; their record is kept: give a new id to enrol them again)"
            )
            raise _error(name, index, columns["id"], code, expected)
        if code in taken:
            raise _error(name, index, columns["id"], code, "an id not already in this cohort")
        if not text["name"]:
            raise _error(name, index, columns["name"], "", "the participant's name")
        seen[code] = int(index) + SHEET_ROW
        rows.append(
            ParticipantRow(
                int(index) + SHEET_ROW,
                code,
                text["name"],
                text.get("role", ""),
                text.get("service", ""),
                text.get("username", ""),
            )
        )
    if not rows:
        raise ProgrammeFileError(f"{name}: no participants in the file")
    return rows


def day_text(day: date) -> str:
    """A day as people write it: 12 March 2026."""
    return f"{day.day} {day:%B %Y}"


def a_date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def read_attendance(
    path: Path, *, codes: Collection[str], modules: Collection[str], name: str | None = None
) -> list[AttendanceRow]:
    """The attendance file: each row's id must be one of the cohort's (``codes``) and its module one of
    the programme's (``modules``, compared after ``normalise``)."""
    name = name or Path(path).name
    table = _table(Path(path))
    columns = _columns(table, ATTENDANCE_COLUMNS, tuple(ATTENDANCE_COLUMNS), name)
    known_modules = {normalise(m): m for m in modules}
    rows, seen = [], {}
    for index, record in table.iterrows():
        text = {key: str(record[column]).strip() for key, column in columns.items()}
        if text["id"] not in codes:
            raise _error(name, index, columns["id"], text["id"], "the id of a participant of this cohort")
        module = known_modules.get(normalise(text["module"]))
        if module is None:
            expected = f"one of the programme's modules ({', '.join(modules) or 'none yet: add them first'})"
            raise _error(name, index, columns["module"], text["module"], expected)
        held_on = a_date(text["date"])
        if held_on is None:
            raise _error(name, index, columns["date"], text["date"], "a date as YYYY-MM-DD or DD/MM/YYYY")
        mark = normalise(text["attended"])
        if mark not in YES | NO:
            raise _error(
                name,
                index,
                columns["attended"],
                text["attended"],
                "yes or no (or present/absent, 1/0; not blank, and not x, which registers use both ways)",
            )
        key = (text["id"], module, held_on)
        if key in seen:
            raise _error(
                name,
                index,
                columns["id"],
                text["id"],
                f"one row a person and session (row {seen[key]} has it)",
            )
        seen[key] = int(index) + SHEET_ROW
        rows.append(
            AttendanceRow(
                int(index) + SHEET_ROW,
                text["id"],
                module,
                held_on,
                mark in YES,
                str(columns["attended"]),
                text["attended"],
            )
        )
    if not rows:
        raise ProgrammeFileError(f"{name}: no attendance in the file")
    return rows
