"""Column generation for the Curtois benchmark: the LP over whole personal schedules.

A column is one person's schedule for the horizon. The master LP (GLOP) takes a convex combination
of columns per person and pays for missing and surplus cover; pricing (``curtois_pricing``, a
labelling algorithm) finds, person by person, the schedules with the most negative reduced cost.
This LP is far tighter than the day-by-day model's (Instance8: 1297 against CP-SAT's 1227; optimum
1300), and where its solution is integral it is nearly always right — which is what the search in
``curtois_solver`` leans on.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from stocktake.rota.curtois import Cover, Instance
from stocktake.rota.curtois_model import Cell
from stocktake.rota.curtois_pricing import Schedule, cheapest, person_arrays

SMOOTHING = 0.5  # duals priced: this share of the best-bound duals, the rest the master's (Wentges)
COLUMNS_A_ROUND = 5  # per person: the cheapest few schedules found, not only the cheapest


@dataclass(frozen=True)
class Relaxation:
    """The master LP at the end of column generation."""

    value: float
    bound: int  # a proven lower bound on the optimum (0 when no pricing round was solved exactly)
    assignment: dict[Cell, float]  # x̄: how much of each cell the LP works; absent cells are 0
    heaviest: dict[str, Schedule]  # per person, the column with the largest weight
    converged: bool
    rounds: int


def relax(
    instance: Instance,
    *,
    seconds: float,
    workers: int,
) -> Relaxation:
    """Column generation until no column prices out, or the bound meets the LP, or ``seconds`` pass."""
    deadline = time.perf_counter() + seconds
    staff = [p.id for p in instance.staff]
    shift_index = {s.id: i for i, s in enumerate(instance.shifts)}
    cover = {(c.day, c.shift): c for c in instance.cover}
    preference = {p: np.zeros((instance.days, len(shift_index))) for p in staff}
    unmet_if_off = dict.fromkeys(staff, 0)  # every on-request costs its weight unless worked
    for r in instance.on_requests:
        preference[r.staff][r.day, shift_index[r.shift]] -= r.weight
        unmet_if_off[r.staff] += r.weight
    for r in instance.off_requests:
        preference[r.staff][r.day, shift_index[r.shift]] += r.weight
    people = {p.id: person_arrays(instance, p) for p in instance.staff}
    columns: dict[str, list[Schedule]] = {p: [] for p in staff}
    known: dict[str, set[Schedule]] = {p: set() for p in staff}
    master = _Master(instance, cover, staff)

    def cost(person: str, schedule: Schedule) -> float:
        return unmet_if_off[person] + sum(preference[person][d, shift_index[s]] for d, s in schedule)

    def add(person: str, schedule: Schedule) -> bool:
        if schedule in known[person]:
            return False
        known[person].add(schedule)
        columns[person].append(schedule)
        master.add(person, schedule, cost(person, schedule))
        return True

    def price(person: str, duals: np.ndarray, below: float) -> tuple[list[Schedule], float | None]:
        """Schedules for ``person`` costing less than ``below`` at ``duals``, and a lower bound on
        their least cost − duals (None when the labelling was cut short)."""
        priced = cheapest(
            people[person],
            preference[person] - duals,
            threshold=below - unmet_if_off[person],
            wanted=COLUMNS_A_ROUND,
        )
        if not priced.exact:
            return priced.schedules, None
        return priced.schedules, unmet_if_off[person] + priced.values[0] if priced.values else below

    def as_array(duals: dict[tuple[int, str], float]) -> np.ndarray:
        array = np.zeros((instance.days, len(shift_index)))
        for (d, s), value in duals.items():
            array[d, shift_index[s]] = value
        return array

    duals = {k: float(c.under_weight) for k, c in cover.items() if c.requirement > 0}
    below = dict.fromkeys(staff, math.inf)  # the first round finds everyone's cheapest schedule
    centre, bound, rounds, converged = duals, -math.inf, 0, False
    with ThreadPoolExecutor(workers) as pool:
        while time.perf_counter() < deadline:
            rounds += 1
            array = as_array(duals)
            priced = list(pool.map(price, staff, [array] * len(staff), [below[p] for p in staff]))
            added = sum(add(p, s) for p, (found, _) in zip(staff, priced, strict=True) for s in found)
            least = [value for _, value in priced]
            if None not in least:  # a Lagrangian bound, valid at any duals within the penalties
                value = sum(c.requirement * duals.get(k, 0.0) for k, c in cover.items()) + sum(least)
                if value > bound:
                    bound, centre = value, duals
            if not all(columns.values()):
                raise RuntimeError(f"{instance.name}: someone has no schedule that keeps every rule")
            lp = master.solve()
            below = lp.convexity
            if bound > -math.inf and math.ceil(bound - 1e-6) >= lp.value - 1e-6:  # the LP can fall no further
                converged = True
                break
            if added:
                duals = {k: SMOOTHING * centre.get(k, 0.0) + (1 - SMOOTHING) * lp.cover[k] for k in cover}
            else:  # the smoothed duals priced nothing out: price the master's own
                duals = lp.cover
    if not all(columns.values()):
        raise RuntimeError(f"{instance.name}: no schedule found for someone in {seconds:g} s")
    lp = master.solve()
    assignment: dict[Cell, float] = {}
    heaviest = {}
    for person in staff:
        weights = master.weights_of(person)
        heaviest[person] = columns[person][max(range(len(weights)), key=weights.__getitem__)]
        for schedule, weight in zip(columns[person], weights, strict=True):
            for day, shift in schedule:
                assignment[person, day, shift] = assignment.get((person, day, shift), 0.0) + weight
    return Relaxation(
        value=lp.value,
        bound=max(0, math.ceil(bound - 1e-6)) if bound > -math.inf else 0,
        assignment=assignment,
        heaviest=heaviest,
        converged=converged,
        rounds=rounds,
    )


@dataclass(frozen=True)
class _Duals:
    value: float
    cover: dict[tuple[int, str], float]
    convexity: dict[str, float]  # per person: the dual of choosing exactly one schedule


class _Master:
    """The restricted master LP; columns are added as they are found and GLOP re-solves from its
    last basis (rebuilding it each round cost more than pricing did)."""

    def __init__(self, instance: Instance, cover: dict[tuple[int, str], Cover], staff: list[str]) -> None:
        self.name, self.cover, self.staff = instance.name, cover, staff
        self.added: list[tuple[str, Schedule, float]] = []
        self._build()

    def _build(self) -> None:
        self.lp = lp = pywraplp.Solver.CreateSolver("GLOP")
        self.objective = lp.Objective()
        self.rows = {k: lp.Constraint(c.requirement, c.requirement) for k, c in self.cover.items()}
        self.ones = {p: lp.Constraint(1, 1) for p in self.staff}
        self.weights: dict[str, list[pywraplp.Variable]] = {p: [] for p in self.staff}
        for k, c in self.cover.items():
            short, surplus = lp.NumVar(0, lp.infinity(), ""), lp.NumVar(0, lp.infinity(), "")
            self.objective.SetCoefficient(short, c.under_weight)
            self.objective.SetCoefficient(surplus, c.over_weight)
            self.rows[k].SetCoefficient(short, 1)
            self.rows[k].SetCoefficient(surplus, -1)
        self.objective.SetMinimization()
        for person, schedule, cost in self.added:
            self._column(person, schedule, cost)

    def add(self, person: str, schedule: Schedule, cost: float) -> None:
        self.added.append((person, schedule, cost))
        self._column(person, schedule, cost)

    def _column(self, person: str, schedule: Schedule, cost: float) -> None:
        var = self.lp.NumVar(0, 1, "")
        self.weights[person].append(var)
        self.objective.SetCoefficient(var, cost)
        self.ones[person].SetCoefficient(var, 1)
        for cell in schedule:
            if cell in self.rows:
                self.rows[cell].SetCoefficient(var, 1)

    def solve(self) -> _Duals:
        status = self.lp.Solve()
        if status == pywraplp.Solver.ABNORMAL:  # GLOP's warm start can fail (Instance8): start afresh
            self._build()
            status = self.lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"{self.name}: the master LP did not solve")
        return _Duals(
            self.objective.Value(),
            {k: row.dual_value() for k, row in self.rows.items()},
            {p: row.dual_value() for p, row in self.ones.items()},
        )

    def weights_of(self, person: str) -> list[float]:
        return [var.solution_value() for var in self.weights[person]]
