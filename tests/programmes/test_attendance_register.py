"""A register (a row a person, a column a session) read as the same marks as the long sheet written
out by hand; each unknown cell listed by row and column, never dropped; headers that name no session
refused in one line."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import Workbook

from stocktake.files.programme import ProgrammeFileError
from stocktake.files.programme_register import read_attendance_sheet
from stocktake.files.programme_roster import AttendanceRow

CODES = {"P1", "P2", "P3"}
MODULES = ["Leading change", "QI"]
JAN, FEB, MAR = date(2025, 1, 6), date(2025, 2, 3), date(2025, 3, 3)


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def _marks(rows) -> set[tuple[str, str, date, bool]]:
    return {(r.code, r.module, r.held_on, r.attended) for r in rows}


REGISTER = (
    "id,name,Leading change 2025-01-06,QI 03/02/2025,QI (2025-03-03)\n"
    "P1,Ann,Y,present,✓\n"
    "P2,Bo,N,absent,\n"
    "P3,Cy,yes,,Present\n"
)
LONG = [  # the same register, one row a mark, worked out by hand
    ("P1", "Leading change", JAN, True),
    ("P1", "QI", FEB, True),
    ("P1", "QI", MAR, True),
    ("P2", "Leading change", JAN, False),
    ("P2", "QI", FEB, False),
    ("P2", "QI", MAR, False),
    ("P3", "Leading change", JAN, True),
    ("P3", "QI", FEB, False),
    ("P3", "QI", MAR, True),
]


def test_a_register_reads_as_the_long_sheet_written_by_hand(tmp_path):
    rows = read_attendance_sheet(_write(tmp_path, "register.csv", REGISTER), codes=CODES, modules=MODULES)
    assert _marks(rows) == set(LONG)
    assert all(isinstance(r, AttendanceRow) for r in rows)
    long_text = "id,module,date,attended\n" + "".join(
        f"{c},{m},{d.isoformat()},{'yes' if a else 'no'}\n" for c, m, d, a in LONG
    )
    long_rows = read_attendance_sheet(_write(tmp_path, "long.csv", long_text), codes=CODES, modules=MODULES)
    assert _marks(long_rows) == _marks(rows)


def test_a_register_workbook_with_a_date_cell_as_a_header(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "Leading change 2025-01-06", datetime(2025, 2, 3)])  # a date cell: QI's that day
    sheet.append(["P1", "Y", "N"])
    sheet.append(["P2", "1", "y"])
    path = tmp_path / "register.xlsx"
    book.save(path)
    rows = read_attendance_sheet(path, codes=CODES, modules=MODULES, sessions=[("QI", FEB)])
    assert _marks(rows) == {
        ("P1", "Leading change", JAN, True),
        ("P1", "QI", FEB, False),
        ("P2", "Leading change", JAN, True),
        ("P2", "QI", FEB, True),
    }


def test_a_column_left_blank_is_a_session_not_recorded_yet(tmp_path):
    text = "id,QI 2025-02-03,QI 2025-03-03\nP1,Y,\nP2,N,\n"
    rows = read_attendance_sheet(_write(tmp_path, "r.csv", text), codes=CODES, modules=MODULES)
    assert _marks(rows) == {("P1", "QI", FEB, True), ("P2", "QI", FEB, False)}


def test_a_date_alone_finds_the_cohorts_session_that_day_or_the_only_module(tmp_path):
    text = "id,2025-02-03\nP1,Y\n"
    path = _write(tmp_path, "r.csv", text)
    rows = read_attendance_sheet(path, codes=CODES, modules=MODULES, sessions=[("QI", FEB)])
    assert _marks(rows) == {("P1", "QI", FEB, True)}
    assert _marks(read_attendance_sheet(path, codes=CODES, modules=["QI"])) == {("P1", "QI", FEB, True)}
    with pytest.raises(ProgrammeFileError, match=r"r.csv, row 1, column '2025-02-03': a date alone"):
        read_attendance_sheet(path, codes=CODES, modules=MODULES)


def test_every_unknown_cell_is_listed_with_its_row_and_column(tmp_path):
    text = "id,QI 2025-02-03,QI 2025-03-03\nP1,late,Y\nP2,N,?\nP3,Y,Y\n"
    with pytest.raises(ProgrammeFileError) as refused:
        read_attendance_sheet(_write(tmp_path, "r.csv", text), codes=CODES, modules=MODULES)
    message = str(refused.value)
    assert message.startswith("r.csv: 2 cell(s) read as neither present nor absent")
    assert "row 2, column 'QI 2025-02-03': 'late'" in message
    assert "row 3, column 'QI 2025-03-03': '?'" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,Yoga 2025-02-03\nP1,Y\n", "r.csv, row 1, column 'Yoga 2025-02-03': found 'yoga'"),
        ("id,QI 2025-02-03\nP9,Y\n", "r.csv, row 2, column id: found 'P9'"),
        ("id,QI 2025-02-03\nP1,Y\nP1,N\n", "r.csv, row 3, column id: found 'P1', expected an id used once"),
        ("id,QI\nP1,Y\n", "r.csv, row 1, column 'QI': a module alone, but the cohort has 0 sessions"),
        ("name,QI 2025-02-03\nAnn,Y\n", "r.csv, row 1: no column 'id'"),
    ],
)
def test_a_register_that_names_no_session_or_person_is_refused_in_one_line(tmp_path, text, expected):
    with pytest.raises(ProgrammeFileError) as refused:
        read_attendance_sheet(_write(tmp_path, "r.csv", text), codes=CODES, modules=MODULES)
    assert str(refused.value).startswith(expected), str(refused.value)
