"""A rota kept as a grid of shift codes with a legend, read as the duties written out by hand."""

from datetime import date, datetime, time

import openpyxl
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.rota.check import check_rota
from stocktake.rota.duties import Duty, RotaInputError
from stocktake.rota.grid import header_date, read_rota_file

LEGEND = (
    "code,start,end,kind,expected_hours,expected_episodes,breaks,site\n"
    "LD,08:00,20:30,shift,,,12:30;16:30,North\n"
    "N,20:30,08:30,shift,,,00:30;03:30;06:00,North\n"
    "D,08:00,17:00,shift,,,12:30,North\n"
    "OC,17:00,08:00,on_call,4,2,,Both\n"
    "AL,,,off,,,,\n"
)
# Mon 2 to Sun 8 February 2026. dr_a: five long days in a row (R6: at most 4). dr_b: four nights,
# then a long day 23.5 h after the last night ends (R10: 46 h). dr_c, at 0.4 WTE: a day then on call,
# leave, a day.
GRID = (
    "doctor,name,wte,02/02/2026,03/02/2026,04/02/2026,05/02/2026,06/02/2026,07/02/2026,08/02/2026\n"
    "dr_a,Dr A,1,LD,LD,LD,LD,ld,,\n"
    "dr_b,Dr B,,N,N,N,N,,LD,\n"
    "dr_c,Dr C,0.4,D + OC,AL,AL,,D,,\n"
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 2, day, hour, minute)


def by_hand() -> list[Duty]:
    def long_day(doctor, day):
        return Duty(doctor, at(day, 8), at(day, 20, 30), "shift", None, "North", "LD", None,
                    (at(day, 12, 30), at(day, 16, 30)))  # fmt: skip

    def night(day):
        return Duty("dr_b", at(day, 20, 30), at(day + 1, 8, 30), "shift", None, "North", "N", None,
                    (at(day + 1, 0, 30), at(day + 1, 3, 30), at(day + 1, 6)))  # fmt: skip

    return [
        *(long_day("dr_a", d) for d in range(2, 7)),
        *(night(d) for d in range(2, 6)),
        long_day("dr_b", 7),
        Duty("dr_c", at(2, 8), at(2, 17), "shift", None, "North", "D", None, (at(2, 12, 30),)),
        Duty("dr_c", at(2, 17), at(3, 8), "on_call", 4.0, "Both", "OC", 2.0, None),
        Duty("dr_c", at(6, 8), at(6, 17), "shift", None, "North", "D", None, (at(6, 12, 30),)),
    ]


@pytest.fixture
def csv_grid(tmp_path):
    (tmp_path / "grid.csv").write_text(GRID)
    (tmp_path / "shifts.csv").write_text(LEGEND)
    return tmp_path / "grid.csv", tmp_path / "shifts.csv"


def test_a_grid_reads_as_the_duties_written_by_hand(csv_grid):
    found = read_rota_file(*csv_grid)
    assert list(found.duties) == sorted(by_hand(), key=lambda d: (d.doctor, d.start))
    assert found.period == (date(2026, 2, 2), date(2026, 2, 8))
    assert found.wte == (("dr_c", 0.4),)


def test_a_grid_is_checked_like_its_duties(csv_grid):
    found = read_rota_file(*csv_grid)
    breaches = {
        (b.doctor, b.date, b.rule) for b in check_rota(list(found.duties), period=found.period).breaches
    }
    assert ("dr_a", date(2026, 2, 6), "R6") in breaches  # the fifth long day
    assert ("dr_b", date(2026, 2, 7), "R10") in breaches  # 23.5 h after the last night, 46 h needed
    assert not [b for b in breaches if b[0] == "dr_c"]


def test_the_command_checks_a_grid_with_its_legend_and_the_grid_wte(csv_grid):
    result = CliRunner().invoke(app, ["rota", "check", str(csv_grid[0]), "--shifts", str(csv_grid[1])])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "2026-02-02 to 2026-02-08" in output
    assert "dr_a 2026-02-06 R6 consecutive long shifts" in output
    assert "dr_c 2026-02-02 R18" in output  # 22 h in the week, above 48 h × 0.4


def test_a_workbook_grid_with_date_cells_and_a_shifts_sheet(tmp_path):
    book = openpyxl.Workbook()
    grid = book.active
    grid.title = "Rota"
    grid.append(["Doctor", datetime(2026, 2, 2), date(2026, 2, 3)])
    grid.append(["dr_c", "d+oc", None])
    legend = book.create_sheet("Shifts")
    for line in LEGEND.splitlines():
        legend.append(line.split(","))
    legend["B5"].value = time(17)  # a time cell, as a spreadsheet stores it
    book.save(tmp_path / "rota.xlsx")
    found = read_rota_file(tmp_path / "rota.xlsx")
    assert [d.label for d in found.duties] == ["D", "OC"]
    assert found.duties[1].start == at(2, 17) and found.duties[1].end == at(3, 8)
    assert found.period == (date(2026, 2, 2), date(2026, 2, 3))


def test_an_unknown_code_names_the_file_row_and_column_and_lists_the_codes(csv_grid, tmp_path):
    grid = tmp_path / "bad.csv"
    grid.write_text(GRID.replace("D + OC", "D + XX"))
    with pytest.raises(RotaInputError) as caught:
        read_rota_file(grid, csv_grid[1])
    message = str(caught.value)
    assert f"{grid}, row 4, column 02/02/2026: 'XX' is not a code of the legend (LD, N, D, OC, AL)" in message


def test_every_wrong_cell_is_reported_at_once(csv_grid, tmp_path):
    grid = tmp_path / "bad.csv"
    grid.write_text(GRID.replace("LD,LD,LD,LD,ld", "L,L,L,L,L").replace(",0.4,", ",4,"))
    with pytest.raises(RotaInputError, match=r"row 2, column 02/02/2026: 'L'.*\(and 1 more\)") as caught:
        read_rota_file(grid, csv_grid[1])
    assert "row 2, column 06/02/2026: 'L'" in str(caught.value)
    assert "column wte" not in str(caught.value)  # the sixth mistake, counted but not shown


@pytest.mark.parametrize(
    ("legend", "expected"),
    [
        (LEGEND.replace("LD,08:00", "LD,8am"), "row 2, column start: '8am' is not a time like 08:00"),
        (LEGEND.replace("on_call,4", "on_call,"), "row 5, column expected_hours: an on-call code needs"),
        (LEGEND.replace("OC,17:00,08:00,on_call", "OC,17:00,08:00,oncall"), "row 5, column kind: 'oncall'"),
        (LEGEND + "ld,09:00,21:00,shift,,,,\n", "row 7, column code: 'ld' is given twice"),
        (LEGEND.replace("12:30;16:30", "lunch"), "row 2, column breaks: 'lunch' is not start times"),
    ],
)
def test_a_wrong_legend_names_its_row_and_column(csv_grid, legend, expected):
    csv_grid[1].write_text(legend)
    with pytest.raises(RotaInputError, match=expected):
        read_rota_file(*csv_grid)


def test_a_grid_without_a_legend_is_refused_with_what_to_give(csv_grid):
    result = CliRunner().invoke(app, ["rota", "check", str(csv_grid[0])])
    assert result.exit_code == 2
    assert "--shifts" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("header", "day"),
    [
        ("2026-02-02", date(2026, 2, 2)),
        ("Mon 2026-02-02", date(2026, 2, 2)),
        ("02/02/2026", date(2026, 2, 2)),
        ("13/02/2026", date(2026, 2, 13)),  # day first, as in the UK
        ("2026-02-02 00:00:00", date(2026, 2, 2)),
        (datetime(2026, 2, 2), date(2026, 2, 2)),
        ("name", None),
        ("wte", None),
    ],
)
def test_column_headings_that_are_dates(header, day):
    assert header_date(header) == day


@pytest.mark.parametrize("sheet", ["shifts", " Shifts ", "Shift legend", "LEGEND"])
def test_the_legend_sheet_is_found_whatever_its_case_and_times_in_the_usual_forms(tmp_path, sheet):
    book = openpyxl.Workbook()
    grid = book.active
    grid.title = "Rota"
    grid.append(["Doctor", "wte", "02/02/2026"])
    grid.append(["dr_c", "80%", "D"])
    legend = book.create_sheet(sheet)
    legend.append(["code", "start", "end", "kind", "breaks"])
    legend.append(["D", "8:00", "1700", "shift", "12.30"])
    book.save(tmp_path / "rota.xlsx")
    found = read_rota_file(tmp_path / "rota.xlsx")
    assert [(d.start, d.end, d.breaks) for d in found.duties] == [(at(2, 8), at(2, 17), (at(2, 12, 30),))]
    assert found.wte == (("dr_c", 0.8),)


WEEKDAYS = (
    "doctor,Mon 2026-02-02,Tue 2026-02-03,Wed 2026-02-04,Thu 2026-02-05,Fri 2026-02-06\n"
    "dr_a,D,D,D,D,D\n"
    "dr_b,AL,D,D,,\n"
)


def test_a_grid_of_weekdays_is_a_whole_week_and_the_command_says_so(csv_grid, tmp_path):
    # dr_a: five 9 h days, 45 h in the week (read over the grid's five days it would be 63 h: R1).
    grid = tmp_path / "weekdays.csv"
    grid.write_text(WEEKDAYS)
    result = CliRunner().invoke(
        app, ["rota", "check", str(grid), "--shifts", str(csv_grid[1]), "--no-one-in-three"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert "2026-02-02 to 2026-02-08: 0 breach(es)" in output
    assert "is 5 days; weekly hours are averaged over whole weeks, so over 2026-02-02 to 2026-02-08" in output
    assert "dr_a 45.0" in output


def test_notice_counts_to_the_rota_start_for_a_doctor_whose_first_day_is_leave(csv_grid, tmp_path):
    # The rota starts Mon 2 Feb 2026; published 23 Dec 2025, 41 days before. dr_b is on leave on the
    # Monday and first works Tue 3 Feb (42 days after publication), yet is owed notice from 2 Feb.
    grid = tmp_path / "weekdays.csv"
    grid.write_text(WEEKDAYS)
    args = ["rota", "check", str(grid), "--shifts", str(csv_grid[1]), "--published-on", "2025-12-23"]
    output = " ".join(CliRunner().invoke(app, args).output.split())
    assert "dr_b 2026-02-02 R19" in output and "41 days before the rota starts" in output


def test_wte_for_a_doctor_who_is_on_leave_throughout_is_accepted(csv_grid, tmp_path):
    from stocktake.rota.check import limits_for

    grid = tmp_path / "leave.csv"
    grid.write_text(WEEKDAYS + "dr_x,AL,AL,AL,AL,AL\n")
    found = read_rota_file(grid, csv_grid[1])
    assert found.doctors == ("dr_a", "dr_b", "dr_x")
    assert limits_for(found.doctors, found.wte, ["dr_x=0.6"])[0].wte == (("dr_x", 0.6),)
