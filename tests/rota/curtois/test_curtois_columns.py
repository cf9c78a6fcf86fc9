"""Column generation: its LP bound against the published bounds, its columns against the scorer."""

import csv
import time
from pathlib import Path

import pytest

from stocktake.rota.curtois.columns import ColumnGeneration, relax
from stocktake.rota.curtois.instance import read_instance, score

FIXTURES = Path(__file__).resolve().parents[4] / "shared/fixtures/rota"
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


def test_a_dive_gives_everyone_one_column_and_the_master_prices_the_roster_as_the_scorer_does():
    instance = read_instance(FIXTURES / "curtois/Instance7.txt")
    with ColumnGeneration(instance, workers=2) as generation:
        root = generation.run(time.perf_counter() + 60)
        schedules = generation.dive(time.perf_counter() + 60)
        value = generation.master.solve().value
        assert set(schedules) == {p.id for p in instance.staff}
        roster = {(p, d): s for p, schedule in schedules.items() for d, s in schedule}
        checked = score(instance, roster)
        assert checked.violations == ()
        assert checked.objective == pytest.approx(value) and value >= root.bound
        # Freeing some people and holding them back to the same schedules gives the same roster.
        freed = sorted(schedules)[:5]
        generation.release(freed)
        assert generation.master.solve().value <= value + 1e-6
        for person in freed:
            generation.hold(person, schedules[person])
        assert generation.master.solve().value == pytest.approx(value)
