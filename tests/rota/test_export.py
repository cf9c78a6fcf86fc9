"""Exports of a solved rota read back as what was solved; the command line end to end."""

from __future__ import annotations

from collections import Counter
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.rota.check import check_rota
from stocktake.rota.duties import read_rota
from stocktake.rota.export import fairness_spread, read_assignments, write_rota
from stocktake.rota.grid import read_rota_file
from stocktake.rota.model import RotaSpecError, parse_problem
from stocktake.rota.rules import RULES
from stocktake.rota.solver import solve

SPEC = {
    "name": "two sites",
    "start": "2026-03-23",  # the clocks go forward on Sunday 29 March
    "weeks": 3,
    "doctors": [
        {"id": "A1", "name": "Dr One", "sites": ["A"]},
        {"id": "A2", "name": "Dr Two", "sites": ["A"], "leave": ["2026-03-30..2026-04-01"]},
        {"id": "A3", "name": "Dr Three", "sites": ["A", "B"]},
        {"id": "B1", "name": "Dr Four", "sites": ["B"]},
    ],
    "shifts": [
        {
            "id": "day",
            "label": "Day A",
            "site": "A",
            "start": "08:00",
            "end": "17:00",
            "days": ["Mon", "Tue"],
            "breaks": ["12:30"],
        },
        {
            "id": "call",
            "label": "On call",
            "site": "A+B",
            "start": "17:00",
            "end": "08:00",
            "kind": "on_call",
            "expected_hours": 3,
            "expected_episodes": 2,
            "days": ["Mon", "Tue", "Wed", "Thu"],
        },
    ],
    "patterns": [
        {"name": "1:4 on call", "one_in": 4, "shifts": ["call"], "doctors": ["A1", "A2", "A3", "B1"]}
    ],
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    problem = parse_problem(SPEC)
    solution = solve(problem, seconds=5)
    folder = write_rota(solution, tmp_path_factory.mktemp("rota"))
    return problem, solution, folder


def test_the_duties_file_is_what_the_checker_reads_and_it_passes(written):
    problem, solution, folder = written
    duties = read_rota(folder / "duties.csv")
    assert duties == solution.duties()  # break times and expected episodes included
    shifts = [d for d in duties if d.kind == "shift"]
    assert shifts and all(d.breaks == (d.start.replace(hour=12, minute=30),) for d in shifts)
    assert check_rota(duties, problem.limits, (problem.start, problem.end)).breaches == ()


def test_the_fairness_spread_is_each_doctors_on_calls_less_a_quarter_of_them(written):
    # 12 on-calls (Mon-Thu for 3 weeks) among 4 full-time doctors: a fair share of 3 each.
    _, solution, _ = written
    calls = Counter(a.doctor for a in solution.assignments if a.shift == "call")
    assert sum(calls.values()) == 12
    counts = [calls.get(d, 0) for d in ("A1", "A2", "A3", "B1")]
    spread = fairness_spread(solution).loc["1:4 on call"]
    assert (spread["min"], spread["max"]) == (min(counts) - 3, max(counts) - 3)


def test_assignments_read_back_for_replanning(written):
    _, solution, folder = written
    assert read_assignments(folder / "assignments.csv") == frozenset(solution.assignments)


def test_the_grid_has_a_row_per_doctor_a_column_per_date_and_marks_leave(written):
    _, solution, folder = written
    grid = pd.read_csv(folder / "grid.csv", dtype=str, keep_default_na=False).set_index("doctor")
    assert list(grid.index) == ["A1", "A2", "A3", "B1"]
    assert len([c for c in grid.columns if c[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")]) == 21
    assert grid.loc["A2", "Tue 2026-03-31"] == "Leave"
    for a in solution.assignments:
        label = {"day": "Day A", "call": "On call"}[a.shift]
        assert label in grid.loc[a.doctor, f"{a.date:%a %Y-%m-%d}"].split(" + ")
    sheets = pd.read_excel(folder / "rota.xlsx", sheet_name=None)
    assert list(sheets) == [
        "Grid",
        "Shifts",
        "Assignments",
        "Fairness",
        "Patterns",
        "Hours and weekends",
        "Breaches",
        "Rules",
    ]
    assert len(sheets["Breaches"]) == 0 and len(sheets["Assignments"]) == len(solution.assignments)
    assert set(sheets["Rules"]["rule"]) == set(RULES) and (sheets["Rules"]["breaches"] == 0).all()


def test_the_workbook_and_the_grid_with_its_legend_read_back_as_the_rota_solved(written):
    """So a coordinator can swap duties in the grid and check the edited rota."""
    problem, solution, folder = written
    for found in (
        read_rota_file(folder / "rota.xlsx"),
        read_rota_file(folder / "grid.csv", folder / "shifts.csv"),
    ):
        assert list(found.duties) == solution.duties()
        assert found.period == (problem.start, problem.end)
        assert check_rota(list(found.duties), problem.limits, found.period) == solution.check()


def test_a_duty_changed_by_hand_in_the_grid_is_checked(written, tmp_path):
    problem, _, folder = written
    grid = pd.read_csv(folder / "grid.csv", dtype=str, keep_default_na=False).set_index("doctor")
    doctor = grid.index[grid["Mon 2026-03-23"].str.contains("On call")][0]
    grid.loc[doctor, "Tue 2026-03-24"] = "On call"  # on call two nights running: R13
    grid.to_csv(tmp_path / "edited.csv")
    found = read_rota_file(tmp_path / "edited.csv", folder / "shifts.csv")
    breaches = check_rota(list(found.duties), problem.limits, found.period).breaches
    assert (doctor, date(2026, 3, 24), "R13") in {(b.doctor, b.date, b.rule) for b in breaches}


def test_shift_labels_must_name_one_shift_type_each():
    wrong = {**SPEC, "shifts": [SPEC["shifts"][0], {**SPEC["shifts"][1], "label": "day a"}]}
    with pytest.raises(RotaSpecError, match="shift label 'day a' is used twice"):
        parse_problem(wrong)


def test_each_doctor_gets_a_calendar_of_their_own_duties_in_uk_time(written):
    _, solution, folder = written
    for doctor in ("A1", "A2", "A3", "B1"):
        events = Calendar.from_ical((folder / "calendars" / f"{doctor}.ics").read_bytes()).walk("VEVENT")
        own = [d for d in solution.duties() if d.doctor == doctor]
        assert sorted(e.decoded("dtstart") for e in events) == sorted(
            d.start.replace(tzinfo=ZoneInfo("Europe/London")) for d in own
        )
        assert len({str(e["uid"]) for e in events}) == len(own)
    # Wall-clock times across the change to BST: 17:00 is 17:00 BST on 30 March (16:00 UTC).
    calls = [d for d in solution.duties() if d.start.date() == date(2026, 3, 30) and d.kind == "on_call"]
    events = Calendar.from_ical((folder / "calendars" / f"{calls[0].doctor}.ics").read_bytes()).walk("VEVENT")
    start = next(
        e.decoded("dtstart")
        for e in events
        if e.decoded("dtstart").date() == date(2026, 3, 30) and str(e["summary"]) == "On call"
    )
    assert start.utcoffset().total_seconds() == 3600 and start.hour == 17


def test_a_mistake_in_the_specification_names_its_place():
    wrong = {**SPEC, "start": "2026-03-24"}
    with pytest.raises(
        RotaSpecError, match=r"start: .*2026-03-24 is a Tue; a rota period starts on a Monday"
    ):
        parse_problem(wrong)
    wrong = {**SPEC, "patterns": [{**SPEC["patterns"][0], "doctors": ["A1", "Z9"]}]}
    with pytest.raises(RotaSpecError, match="pattern '1:4 on call': doctor 'Z9' is not defined"):
        parse_problem(wrong)
    wrong = {**SPEC, "doctors": [{**SPEC["doctors"][0], "leave": ["2026-04-02..2026-04-01"]}]}
    with pytest.raises(RotaSpecError, match=r"doctors, row 1, leave: .*ends before it starts"):
        parse_problem(wrong)


def test_the_commands_write_an_example_solve_it_and_check_the_result(tmp_path):
    runner = CliRunner()
    spec = tmp_path / "rota.yaml"
    assert runner.invoke(app, ["rota", "example", str(spec)]).exit_code == 0
    result = runner.invoke(
        app, ["rota", "solve", str(spec), "--out", str(tmp_path / "out"), "--time-limit", "8"]
    )
    assert result.exit_code == 0, result.output
    assert "0 breach(es) on re-check" in result.output
    assert (tmp_path / "out" / "calendars" / "F1.ics").exists()
    duties = str(tmp_path / "out" / "duties.csv")
    checked = runner.invoke(
        app, ["rota", "check", duties, "--no-one-in-three", "--period", "2026-02-02..2026-03-29"]
    )
    assert checked.exit_code == 0, checked.output
    assert "2026-02-02 to 2026-03-29: 0 breach(es)" in checked.output
    workbook = str(tmp_path / "out" / "rota.xlsx")  # the grid and its legend; the grid's own period
    checked = runner.invoke(app, ["rota", "check", workbook, "--no-one-in-three"])
    assert checked.exit_code == 0, checked.output
    assert "2026-02-02 to 2026-03-29: 0 breach(es)" in checked.output
    assert runner.invoke(app, ["rota", "check", duties, "--period", "02/02/2026"]).exit_code == 2


def test_the_solve_command_explains_an_impossible_rota_and_refuses_a_broken_file(tmp_path):
    runner = CliRunner()
    spec = tmp_path / "rota.yaml"
    runner.invoke(app, ["rota", "example", str(spec)])
    spec.write_text(
        spec.read_text().replace("check_one_in_three_weekends: false", "check_one_in_three_weekends: true")
    )
    result = runner.invoke(
        app, ["rota", "solve", str(spec), "--out", str(tmp_path / "out"), "--time-limit", "8"]
    )
    assert result.exit_code == 1
    assert (
        "No rota meets every requirement" in result.output
        and "Dr Ben Hughes may work at most 2" in result.output
    )
    assert not (tmp_path / "out").exists()
    spec.write_text(spec.read_text().replace("weeks: 8", "weeks: eight"))
    result = runner.invoke(app, ["rota", "solve", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "weeks" in result.output
