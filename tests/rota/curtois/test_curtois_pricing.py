"""Labelling against CP-SAT on the same person and costs, and its schedules against the scorer."""

from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model

from stocktake.rota.curtois.instance import read_instance, score
from stocktake.rota.curtois.model import personal_model
from stocktake.rota.curtois.pricing import cheapest, person_arrays

FIXTURES = Path(__file__).resolve().parents[4] / "shared/fixtures/rota/curtois"


def _cp_sat_least(instance, person, cost) -> int:
    """The least cost CP-SAT proves over the same person's rules: the independent answer."""
    model, cells = personal_model(instance, person.id)
    index = {s.id: i for i, s in enumerate(instance.shifts)}
    model.minimize(sum(int(cost[d, index[s]]) * var for (d, s), var in cells.items()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value)


# Instance8 has three shift types whose maxima bind; Instance9 shifts of two lengths; Instance16 a
# minimum rest of three days and eight weekends.
@pytest.mark.parametrize(("number", "people"), [(1, 8), (8, 6), (9, 6), (16, 4)])
def test_the_cheapest_schedule_costs_what_cp_sat_proves_least(number, people):
    instance = read_instance(FIXTURES / f"Instance{number}.txt")
    rng = np.random.default_rng(number)
    for person in instance.staff[:people]:
        # Duals-like costs: most cells pay to be worked, some cost; integers, so both are exact.
        cost = rng.integers(-100, 30, size=(instance.days, len(instance.shifts))).astype(float)
        priced = cheapest(person_arrays(instance, person), cost, threshold=np.inf, wanted=3)
        assert priced.exact
        assert priced.values[0] == _cp_sat_least(instance, person, cost)
        assert priced.values == sorted(priced.values)
        assert 1 <= len(set(priced.schedules)) == len(priced.schedules) <= 3
        index = {s.id: i for i, s in enumerate(instance.shifts)}
        for value, schedule in zip(priced.values, priced.schedules, strict=True):
            assert value == sum(cost[d, index[s]] for d, s in schedule)
            roster = {(person.id, d): s for d, s in schedule}
            broken = [v for v in score(instance, roster).violations if v.startswith(f"{person.id}:")]
            assert broken == []


def test_a_threshold_at_the_least_cost_proves_nothing_is_cheaper():
    instance = read_instance(FIXTURES / "Instance8.txt")
    person = person_arrays(instance, instance.staff[0])
    cost = np.random.default_rng(0).integers(-100, 30, size=(instance.days, len(instance.shifts))) * 1.0
    least = cheapest(person, cost, threshold=np.inf, wanted=1).values[0]
    at = cheapest(person, cost, threshold=least, wanted=1)
    assert at.exact and at.schedules == []
    assert cheapest(person, cost, threshold=least + 0.5, wanted=1).values == [least]


def test_quick_or_cut_short_pricing_still_returns_true_costs_and_a_valid_lower_bound():
    """Instance13 has up to nine binding shift-type maxima over 28 days: a narrow beam cuts the
    labelling short. What it returns must still be real schedules at their real cost, and its
    ``least`` (the relaxation's) must not exceed CP-SAT's proven least cost."""
    instance = read_instance(FIXTURES / "Instance13.txt")
    rng = np.random.default_rng(13)
    index = {s.id: i for i, s in enumerate(instance.shifts)}
    for person in instance.staff[:3]:
        cost = rng.integers(-100, 30, size=(instance.days, len(instance.shifts))).astype(float)
        least = _cp_sat_least(instance, person, cost)
        arrays = person_arrays(instance, person)
        for priced in (
            cheapest(arrays, cost, threshold=np.inf, wanted=3, quick=True),
            cheapest(arrays, cost, threshold=np.inf, wanted=3, beam=64),
        ):
            assert priced.least <= least <= priced.values[0]
            for value, schedule in zip(priced.values, priced.schedules, strict=True):
                assert value == sum(cost[d, index[s]] for d, s in schedule)
                roster = {(person.id, d): s for d, s in schedule}
                assert not [v for v in score(instance, roster).violations if v.startswith(f"{person.id}:")]
        assert not cheapest(arrays, cost, threshold=np.inf, wanted=3, beam=64).exact
