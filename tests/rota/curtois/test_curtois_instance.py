"""The Curtois benchmark's independent scorer, on hand-made rosters."""

from pathlib import Path

import pytest

from stocktake.rota.curtois.instance import read_instance, score

INSTANCES = Path(__file__).resolve().parents[4] / "shared/fixtures/rota/curtois"


@pytest.fixture(scope="module")
def instance1():
    return read_instance(INSTANCES / "Instance1.txt")


def test_reading_an_instance(instance1):
    assert (instance1.days, len(instance1.staff), len(instance1.cover)) == (14, 8, 14)
    assert instance1.staff[0].max_consecutive == 5 and instance1.staff[0].min_consecutive_off == 2
    assert instance1.weekends == [(5, 6), (12, 13)]


def test_an_empty_roster_scores_every_request_and_all_cover_and_breaks_minimum_minutes(instance1):
    result = score(instance1, {})
    on_requests = sum(r.weight for r in instance1.on_requests)
    missing = sum(c.requirement * c.under_weight for c in instance1.cover)
    assert result.objective == on_requests + missing
    assert sum("outside 3360–4320" in v for v in result.violations) == 8


@pytest.mark.parametrize(
    ("roster", "breach"),
    [
        ({("A", d): "D" for d in range(1, 7)}, "A: 6 shifts in a row from day 1"),
        ({("A", 0): "D"}, "A: works on day 0, a day off"),
        ({("A", d): "D" for d in (1, 2, 4, 5)}, "A: only 1 days off in a row from day 3"),
        ({("A", d): "D" for d in (1, 2, 3, 5, 6, 7)}, "A: only 1 days off in a row from day 4"),
        ({("A", d): "D" for d in (2, 5, 6, 12)}, "A: only 1 shifts in a row from day 2"),
        ({("A", d): "D" for d in (5, 6, 12, 13)}, "A: 2 weekends worked, at most 1"),
    ],
)
def test_each_hard_rule_is_caught(instance1, roster, breach):
    assert breach in score(instance1, roster).violations


def test_runs_at_the_edges_of_the_horizon_are_not_held_to_the_minimum(instance1):
    violations = score(instance1, {("A", 13): "D"}).violations
    assert not any("in a row" in v for v in violations)
