"""Registers and long sheets after issue 29's second review: an impossible date refused, not mapped
to the module's only session; "x" listed as unknown, never read as present; a blank ``attended`` in
the long form refused by row and column, never read as absent."""

from __future__ import annotations

from datetime import date

import pytest

from stocktake.files.programme import ProgrammeFileError
from stocktake.files.programme_register import read_attendance_sheet

CODES = {"P1", "P2"}
MODULES = ["Leading change", "QI"]
QI_DAY = date(2026, 2, 2)


def _write(tmp_path, text: str):
    path = tmp_path / "sheet.csv"
    path.write_text(text)
    return path


def test_an_impossible_date_in_a_header_is_refused_not_mapped(tmp_path):
    # The cohort has one QI session (2 Feb 2026): "QI 2026-02-30" once read as a module alone, and so
    # as that session.
    path = _write(tmp_path, "id,QI 2026-02-30\nP1,Y\nP2,N\n")
    with pytest.raises(ProgrammeFileError) as refused:
        read_attendance_sheet(path, codes=CODES, modules=MODULES, sessions=[("QI", QI_DAY)], name="reg.csv")
    assert str(refused.value) == (
        "reg.csv, row 1, column 'QI 2026-02-30': found '2026-02-30', expected a real date, as "
        "'Module A 2026-03-03'"
    )


def test_an_impossible_date_in_the_long_form_is_refused(tmp_path):
    path = _write(tmp_path, "id,module,date,attended\nP1,QI,2026-02-30,yes\n")
    with pytest.raises(ProgrammeFileError, match=r"row 2, column date: found '2026-02-30'"):
        read_attendance_sheet(path, codes=CODES, modules=MODULES, name="long.csv")


def test_x_is_listed_as_unknown_in_a_register(tmp_path):
    path = _write(tmp_path, "id,QI 2026-02-02\nP1,x\nP2,Y\n")
    with pytest.raises(ProgrammeFileError) as refused:
        read_attendance_sheet(path, codes=CODES, modules=MODULES, name="reg.csv")
    assert "1 cell(s) read as neither present nor absent (row 2, column 'QI 2026-02-02': 'x')" in str(
        refused.value
    )
    assert "x is not read" in str(refused.value)


@pytest.mark.parametrize(("cell", "found"), [("", "a blank"), ("x", "'x'")])
def test_a_long_sheets_blank_or_x_attended_is_refused_by_row_and_column(tmp_path, cell, found):
    path = _write(tmp_path, f"id,module,date,attended\nP1,QI,2026-02-02,yes\nP2,QI,2026-02-02,{cell}\n")
    with pytest.raises(ProgrammeFileError) as refused:
        read_attendance_sheet(path, codes=CODES, modules=MODULES, name="long.csv")
    assert str(refused.value).startswith(
        f"long.csv, row 3, column attended: found {found}, expected yes or no"
    )
