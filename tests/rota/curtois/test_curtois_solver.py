"""The Curtois benchmark solver, its rosters re-scored by the independent scorer."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.rota.curtois.instance import read_instance, read_roster, score
from stocktake.rota.curtois.solver import solve

INSTANCES = Path(__file__).resolve().parents[4] / "shared/fixtures/rota/curtois"


@pytest.fixture(scope="module")
def instance1():
    return read_instance(INSTANCES / "Instance1.txt")


def test_instance_1_reaches_its_proven_optimum_and_rescores(instance1, tmp_path):
    solution = solve(instance1, seconds=60, workers=8)
    assert solution.objective == 607 == solution.best_bound
    checked = score(instance1, solution.roster)
    assert checked.objective == 607 and checked.violations == ()


def test_the_command_writes_a_roster_that_rescores(tmp_path):
    out = tmp_path / "roster.csv"
    result = CliRunner().invoke(
        app, ["rota", "curtois", str(INSTANCES / "Instance1.txt"), "--time-limit", "60", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "objective 607" in result.output and "best bound 607" in result.output
    assert out.read_text().startswith("employee,day,shift\n")
    assert score(read_instance(INSTANCES / "Instance1.txt"), read_roster(out)).objective == 607


# Instance12 in 3 s: its LP does not converge, so CP-SAT works from the LP's columns alone.
@pytest.mark.parametrize(("number", "seconds"), [(2, 2), (5, 2), (12, 3)])
def test_a_time_limited_solution_reports_the_cost_its_roster_really_has(number, seconds):
    instance = read_instance(INSTANCES / f"Instance{number}.txt")
    solution = solve(instance, seconds=seconds, workers=2)
    checked = score(instance, solution.roster)
    assert checked.violations == ()
    assert solution.objective == checked.objective
