"""Column generation: its LP bound against the published bounds, its columns against the scorer."""

import csv
from pathlib import Path

import pytest

from stocktake.rota.curtois import read_instance, score
from stocktake.rota.curtois_columns import relax

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/rota"
PUBLISHED = {r["instance"]: r for r in csv.DictReader((FIXTURES / "curtois_best_known.csv").open())}


@pytest.mark.parametrize("number", range(1, 10))
def test_the_lp_bound_is_the_published_branch_and_price_bound(number):
    """Curtois & Qu (2014) report branch and price's lower bound, the root LP's rounded up; column
    generation run to the end must prove exactly that bound and no more."""
    name = f"Instance{number}"
    relaxation = relax(read_instance(FIXTURES / "curtois" / f"{name}.txt"), seconds=60, workers=2)
    assert relaxation.converged
    assert relaxation.bound == int(PUBLISHED[name]["cq2014_bp_lb"])
    assert relaxation.value == pytest.approx(relaxation.bound, abs=1.0)


def test_a_bound_cut_short_stays_below_the_optimum_and_every_column_keeps_the_rules():
    instance = read_instance(FIXTURES / "curtois/Instance12.txt")
    relaxation = relax(instance, seconds=2, workers=2)
    assert not relaxation.converged
    assert 0 < relaxation.bound <= int(PUBLISHED["Instance12"]["lb_schedulingbenchmarks_transcribed"])
    roster = {(p, d): s for p, schedule in relaxation.heaviest.items() for d, s in schedule}
    assert score(instance, roster).violations == ()
    worked = {(p, d) for p, d, _ in relaxation.assignment}
    assert all(0 <= v <= 1 + 1e-9 for v in relaxation.assignment.values())
    assert all(
        sum(v for (q, e, _), v in relaxation.assignment.items() if (q, e) == cell) <= 1 + 1e-9
        for cell in worked
    )
