"""An attendance sheet in either shape programme leads keep: long (a row a person and session, read by
``programme_roster.read_attendance``) or a register (a row a person, a column a session).

A register's session columns are headed by a module and a date ("Module A 03/03/2026", "2026-03-03
Module A"), a date alone (the cohort's session on that day, or the programme's only module) or a
module alone (the cohort's only session of it). Cells are read by ``programmes.attendance.mark_of``
("Y", "present", "✓" present; "N", "absent", blank absent; "x", which registers use both ways,
is neither); a column left wholly blank is a session
not recorded yet and is skipped. Every cell read as neither is listed in the one refusal, never
dropped. The rows come out as the long reader's, so one preview and one action serve both.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path

import pandas as pd

from stocktake.files.programme import SHEET_ROW, ProgrammeFileError, _table
from stocktake.files.programme_roster import (
    ATTENDANCE_COLUMNS,
    PARTICIPANT_COLUMNS,
    AttendanceRow,
    _error,
    a_date,
    day_text,
    read_attendance,
)
from stocktake.ingest.validate import RowError
from stocktake.programmes.attendance import mark_of
from stocktake.programmes.scale import normalise

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}:\d{2})?|\d{1,2}/\d{1,2}/\d{4}")
#: Columns a register may carry about the person rather than a session.
_PERSON = {normalise(n) for names in PARTICIPANT_COLUMNS.values() for n in names} | {"email"}
SHOWN_UNKNOWN = 10


def is_register(table: pd.DataFrame) -> bool:
    """Long form has every long column (``id``, ``module``, ``date``, ``attended``); else a register."""
    found = {normalise(c) for c in table.columns}
    return not all(any(normalise(n) in found for n in names) for names in ATTENDANCE_COLUMNS.values())


def _session(
    header: str, modules: Collection[str], sessions: Collection[tuple[str, date]], name: str
) -> tuple[str, date]:
    """The (module, date) a register column names, or one line saying why it names none."""
    known = {normalise(m): m for m in modules}
    found = _DATE.search(header)
    held_on = a_date(found.group(0)) if found else None
    if found and held_on is None:  # "2026-02-30": refused, never read as the module's only session
        raise ProgrammeFileError(
            f"{name}, row 1, column {header!r}: found {found.group(0)!r}, expected a real date, as "
            "'Module A 2026-03-03'"
        )
    rest = normalise(_DATE.sub(" ", header).strip(" ()-,:;"))
    module = known.get(rest) if rest else None
    if rest and module is None:
        listed = ", ".join(modules) or "none yet: add them first"
        raise ProgrammeFileError(
            f"{name}, row 1, column {header!r}: found {rest!r}, expected one of the programme's modules "
            f"({listed}) and a date, as 'Module A 2026-03-03'"
        )
    if held_on is not None and module is None:
        on_day = {m for m, d in sessions if d == held_on}
        if len(on_day) == 1:
            module = on_day.pop()
        elif len(modules) == 1:
            module = next(iter(modules))
        else:
            raise ProgrammeFileError(
                f"{name}, row 1, column {header!r}: a date alone, but the cohort has "
                f"{len(on_day) or 'no'} session(s) that day: head the column with the module too, "
                "as 'Module A 2026-03-03'"
            )
    if held_on is None and module is not None:
        days = [d for m, d in sessions if m == module]
        if len(days) != 1:
            raise ProgrammeFileError(
                f"{name}, row 1, column {header!r}: a module alone, but the cohort has {len(days)} "
                "sessions of it: head the column with the date too, as 'Module A 2026-03-03'"
            )
        held_on = days[0]
    if held_on is None or module is None:
        raise ProgrammeFileError(
            f"{name}, row 1, column {header!r}: expected a session, as 'Module A 2026-03-03'"
        )
    return module, held_on


def read_register(
    table: pd.DataFrame,
    *,
    codes: Collection[str],
    modules: Collection[str],
    sessions: Collection[tuple[str, date]] = (),
    name: str,
) -> list[AttendanceRow]:
    found = {normalise(c): c for c in table.columns}
    id_column = next((found[normalise(n)] for n in ATTENDANCE_COLUMNS["id"] if normalise(n) in found), None)
    if id_column is None:
        raise ProgrammeFileError(
            f"{name}, row 1: no column 'id' (the columns: {', '.join(map(str, table.columns))})"
        )
    columns = [c for c in table.columns if c != id_column and normalise(str(c)) not in _PERSON]
    if not columns:
        raise ProgrammeFileError(f"{name}, row 1: no session columns beside the id")
    heads = {}
    for column in columns:
        key = _session(str(column), modules, sessions, name)
        if key in heads.values():
            raise ProgrammeFileError(f"{name}, row 1, column {column!r}: the same session as another column")
        heads[column] = key
    recorded = [c for c in columns if any(str(v).strip() for v in table[c])]
    rows, unknown, seen = [], [], {}
    for index, record in table.iterrows():
        code = str(record[id_column]).strip()
        if not code and not any(str(record[c]).strip() for c in columns):
            continue  # a blank line in the register
        if code not in codes:
            raise _error(name, index, str(id_column), code, "the id of a participant of this cohort")
        if code in seen:
            raise _error(name, index, str(id_column), code, f"an id used once (row {seen[code]} has it)")
        seen[code] = int(index) + SHEET_ROW
        for column in recorded:
            cell = str(record[column])
            mark = mark_of(cell)
            if mark is None:
                unknown.append(f"row {int(index) + SHEET_ROW}, column {column!r}: {cell.strip()!r}")
                continue
            module, held_on = heads[column]
            rows.append(
                AttendanceRow(int(index) + SHEET_ROW, code, module, held_on, mark, str(column), cell.strip())
            )
    if unknown:
        more = f" and {len(unknown) - SHOWN_UNKNOWN} more" if len(unknown) > SHOWN_UNKNOWN else ""
        raise ProgrammeFileError(
            f"{name}: {len(unknown)} cell(s) read as neither present nor absent ("
            + "; ".join(unknown[:SHOWN_UNKNOWN])
            + f"{more}); present is Y, yes, present, ✓ or 1, absent N, no, absent, 0 or blank "
            "(x is not read: registers use it for both; write Y or N)"
        )
    if not rows:
        raise ProgrammeFileError(f"{name}: no attendance in the file (every session column is blank)")
    return rows


def read_attendance_sheet(
    path: Path,
    *,
    codes: Collection[str],
    modules: Collection[str],
    sessions: Collection[tuple[str, date]] = (),
    name: str | None = None,
) -> list[AttendanceRow]:
    """Either shape, told apart by its columns (``is_register``)."""
    name = name or Path(path).name
    table = _table(Path(path))
    if not is_register(table):
        return read_attendance(path, codes=codes, modules=modules, name=name)
    return read_register(table, codes=codes, modules=modules, sessions=sessions, name=name)


def without_withdrawn(
    rows: list[AttendanceRow], withdrawn: Mapping[str, date], name: str
) -> tuple[list[AttendanceRow], tuple[str, ...]]:
    """The rows of participants still in the cohort, and a note for each withdrawn one left out.

    A register is kept running: a participant who withdrew keeps their row, with their marks from
    before. Those marks are already recorded (or were not, and the withdrawal closed the record), so
    their row is left out and said in the preview, never refused. A mark of present at a session held
    after the day they were withdrawn cannot be theirs (likely a row slip), so it is refused in one
    line naming file, row, column and value."""
    kept, left_out = [], {}
    for row in rows:
        if row.code not in withdrawn:
            kept.append(row)
            continue
        day = withdrawn[row.code]
        if row.attended and row.held_on > day:
            raise ProgrammeFileError(
                str(
                    RowError(
                        name,
                        row.row,
                        row.column or "attended",
                        row.cell or "present",
                        f"no mark of present for {row.code}, withdrawn from this cohort on {day_text(day)}, "
                        f"before this session ({day_text(row.held_on)}): check the row, or clear the cell",
                    )
                )
            )
        left_out.setdefault(row.code, row.row)
    notes = tuple(
        f"{name}, row {at}: {code} was withdrawn from this cohort on {day_text(withdrawn[code])}; "
        "their row is left out (their marks recorded before then are kept as they are)"
        for code, at in left_out.items()
    )
    return kept, notes
