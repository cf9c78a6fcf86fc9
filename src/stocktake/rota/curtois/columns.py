"""Column generation for the Curtois benchmark: the LP over whole personal schedules, and a dive.

A column is one person's schedule for the horizon. The master LP (GLOP) takes a convex combination
of columns per person and pays for missing and surplus cover; pricing (``curtois.pricing``, a
labelling algorithm) finds, person by person, the schedules with the most negative reduced cost.
This LP is far tighter than the day-by-day model's (Instance8: 1297 against CP-SAT's 1227; optimum
1300), and where its solution is integral it is nearly always right.

The dive turns it into a roster, as branch-and-price heuristics do: hold the people whose LP
schedule is already whole (or, when none is, the one nearest to it) to that schedule, generate
columns for the rest again, and repeat until everyone is held. Every column keeps every hard rule,
so the roster does too.

Where exact pricing is too slow (many binding shift-type maxima over long horizons: Instance13,
15, 19), pricing turns quick: the first schedules a narrow pass finds are taken, which lowers the
LP several times faster early on (Instance13: 2400 at 33 s against 3600 at 34 s).
"""

from __future__ import annotations

import math
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from ortools.linear_solver import pywraplp

from stocktake.rota.curtois.instance import Cover, Instance
from stocktake.rota.curtois.pricing import Priced, Schedule, cheapest, person_arrays

SMOOTHING = 0.5  # duals priced: this share of the best-bound duals, the rest the master's (Wentges)
COLUMNS_A_ROUND = 5  # per person: the cheapest few schedules found, not only the cheapest
BATCH = 6  # a dive step with no whole schedule holds this fraction (1/BATCH) of the free people
DIVE_ROUNDS = 10  # of column generation, at most, after each hold of a dive
PRICED_OUT = 1e-6  # a column must price below −this: GLOP leaves its own columns' reduced costs near 0
WHOLE = 1 - 1e-6  # an LP weight this close to 1 is a whole schedule


@dataclass(frozen=True)
class Relaxation:
    """The master LP at the end of column generation."""

    value: float
    bound: int  # a proven lower bound on the optimum (0 when no pricing round was solved exactly)
    heaviest: dict[str, Schedule]  # per person, the column with the largest weight
    converged: bool
    rounds: int


def relax(instance: Instance, *, seconds: float, workers: int) -> Relaxation:
    """Column generation until no column prices out, or the bound meets the LP, or ``seconds`` pass."""
    with ColumnGeneration(instance, workers) as generation:
        return generation.run(time.perf_counter() + seconds)


class ColumnGeneration:
    """The columns found so far, the master over them, and who is held to which schedule."""

    def __init__(self, instance: Instance, workers: int) -> None:
        self.instance = instance
        self.staff = [p.id for p in instance.staff]
        self.shift_index = {s.id: i for i, s in enumerate(instance.shifts)}
        self.cover = {(c.day, c.shift): c for c in instance.cover}
        shape = (instance.days, len(self.shift_index))
        self.preference = {p: np.zeros(shape) for p in self.staff}
        self.unmet_if_off = dict.fromkeys(self.staff, 0)  # every on-request costs its weight unless worked
        for r in instance.on_requests:
            self.preference[r.staff][r.day, self.shift_index[r.shift]] -= r.weight
            self.unmet_if_off[r.staff] += r.weight
        for r in instance.off_requests:
            self.preference[r.staff][r.day, self.shift_index[r.shift]] += r.weight
        self.people = {p.id: person_arrays(instance, p) for p in instance.staff}
        self.columns: dict[str, list[Schedule]] = {p: [] for p in self.staff}
        self.known: dict[str, set[Schedule]] = {p: set() for p in self.staff}
        self.held: dict[str, Schedule] = {}
        self.deadline = math.inf  # of the current run: pricing stops there
        self.quick = False  # whether any schedule priced out will do, not only the cheapest
        self.master = _Master(instance, self.cover, self.staff)
        self.pool = ThreadPoolExecutor(workers)

    def __enter__(self) -> ColumnGeneration:
        return self

    def __exit__(self, *_) -> None:
        self.pool.shutdown()

    def cost(self, person: str, schedule: Schedule) -> float:
        return self.unmet_if_off[person] + sum(
            self.preference[person][d, self.shift_index[s]] for d, s in schedule
        )

    def add(self, person: str, schedule: Schedule) -> bool:
        if schedule in self.known[person]:
            return False
        self.known[person].add(schedule)
        self.columns[person].append(schedule)
        self.master.add(person, schedule, self.cost(person, schedule))
        return True

    def hold(self, person: str, schedule: Schedule) -> None:
        """Keep ``person`` to ``schedule`` from now on: the master may use no other of theirs."""
        self.add(person, schedule)
        self.held[person] = schedule
        self.master.hold(person, self.columns[person].index(schedule))

    def release(self, people: list[str]) -> None:
        for person in people:
            del self.held[person]
            self.master.release(person)

    def _price(self, person: str, duals: np.ndarray, below: float) -> Priced:
        """Schedules for ``person`` costing less than ``below`` at ``duals``, and a lower bound on
        their least cost − duals (−∞ when out of time)."""
        if self.columns[person] and time.perf_counter() > self.deadline:
            return Priced([], [], False, -math.inf)  # out of time: the round proves nothing
        if person in self.held:
            schedule = self.held[person]
            value = self.cost(person, schedule) - sum(duals[d, self.shift_index[s]] for d, s in schedule)
            return Priced([], [], True, value)
        priced = cheapest(
            self.people[person],
            self.preference[person] - duals,
            threshold=below - self.unmet_if_off[person] - PRICED_OUT,
            wanted=COLUMNS_A_ROUND,
            quick=self.quick,
        )
        return replace(priced, least=self.unmet_if_off[person] + priced.least)

    def _as_array(self, duals: dict[tuple[int, str], float]) -> np.ndarray:
        array = np.zeros((self.instance.days, len(self.shift_index)))
        for (d, s), value in duals.items():
            array[d, self.shift_index[s]] = value
        return array

    def run(self, deadline: float, floor: float = -math.inf, max_rounds: float = math.inf) -> Relaxation:
        """Generate columns for everyone not held until the LP can fall no further (or reaches
        ``floor``, a value known to be beneath it) or ``deadline`` or after ``max_rounds``; the bound
        is that of the problem with the held schedules fixed."""
        self.deadline = deadline
        own = all(self.columns.values())  # whether the duals priced are the master's own
        if own:  # go on from the master as it stands
            lp = self.master.solve()
            duals, below = lp.cover, lp.convexity
        else:
            duals = {k: float(c.under_weight) for k, c in self.cover.items() if c.requirement > 0}
            below = dict.fromkeys(self.staff, math.inf)  # the first round finds everyone's cheapest
        centre, centre_value = None, -math.inf  # the duals of the best bound from exact pricing
        bound, rounds, converged = -math.inf, 0, False
        while time.perf_counter() < deadline and rounds < max_rounds:
            rounds += 1
            array = self._as_array(duals)
            priced = list(self.pool.map(self._price, self.staff, [array] * len(self.staff), below.values()))
            added = sum(
                self.add(p, s) for p, found in zip(self.staff, priced, strict=True) for s in found.schedules
            )
            # A Lagrangian bound, valid at any duals within the penalties (weak where pricing was cut)
            value = sum(c.requirement * duals.get(k, 0.0) for k, c in self.cover.items())
            value += sum(p.least for p in priced)
            bound = max(bound, value)
            if value > centre_value and all(p.exact for p in priced):
                centre, centre_value = duals, value
            if not all(self.columns.values()):
                raise RuntimeError(f"{self.instance.name}: someone has no schedule that keeps every rule")
            lp = self.master.solve()
            below = lp.convexity
            # Once exact pricing has been cut short (not by the deadline: its bound is −∞), it will be
            # again: from now on, take the first schedules found.
            self.quick = self.quick or any(not p.exact and p.least > -math.inf for p in priced)
            proven = math.ceil(bound - 1e-6) if bound > -math.inf else -math.inf
            if max(floor, proven) >= lp.value - 1e-6:  # the LP can fall no further
                converged = True
                break
            if own and not added:  # nothing prices out at the master's duals (as far as pricing can tell)
                break
            # Smoothed towards the centre while columns come, unless pricing is quick (and so gives no
            # bound to move the centre on)
            own = not added or centre is None or self.quick
            duals = (
                lp.cover
                if own
                else {k: SMOOTHING * centre.get(k, 0.0) + (1 - SMOOTHING) * lp.cover[k] for k in self.cover}
            )
        if not all(self.columns.values()):
            raise RuntimeError(f"{self.instance.name}: no schedule found for someone before the deadline")
        lp = self.master.solve()
        return Relaxation(
            value=lp.value,
            bound=max(0, math.ceil(bound - 1e-6)) if bound > -math.inf else 0,
            heaviest=self._heaviest(),
            converged=converged,
            rounds=rounds,
        )

    def support(self, slack: float) -> dict[str, set[tuple[int, str]]]:
        """Per person, the cells worked in a column the LP uses or that costs at most ``slack`` more
        than the LP's own columns (reduced cost): where a good roster most likely has them work."""
        lp = self.master.solve()
        cells: dict[str, set[tuple[int, str]]] = {}
        for person in self.staff:
            cells[person] = set()
            for schedule, weight in zip(self.columns[person], self.master.weights_of(person), strict=True):
                reduced = self.cost(person, schedule) - lp.convexity[person]
                reduced -= sum(lp.cover.get(cell, 0.0) for cell in schedule)
                if weight > 1e-6 or reduced <= slack:
                    cells[person] |= schedule
        return cells

    def _heaviest(self) -> dict[str, Schedule]:
        heaviest = {}
        for person in self.staff:
            weights = self.master.weights_of(person)
            heaviest[person] = self.columns[person][max(range(len(weights)), key=weights.__getitem__)]
        return heaviest

    def dive(self, deadline: float, rng: random.Random | None = None) -> dict[str, Schedule]:
        """A schedule for everyone: hold the whole ones (or the nearest to whole; with ``rng``, one of
        the nearest few), repeat; columns are generated again only when holding made the LP dearer.
        Each step holds enough people to finish by the deadline at the pace so far."""
        started, steps = time.perf_counter(), 0
        priced_at = -math.inf  # the LP's value when columns were last generated
        while len(self.held) < len(self.staff):
            lp = self.master.solve()
            if lp.value > priced_at + 1e-6 and time.perf_counter() < deadline:
                priced_at = self.run(deadline, floor=priced_at, max_rounds=DIVE_ROUNDS).value
            free = sorted(
                (p for p in self.staff if p not in self.held),
                key=lambda p: max(self.master.weights_of(p)),
                reverse=True,
            )
            whole = sum(max(self.master.weights_of(p)) >= WHOLE for p in free)
            now = time.perf_counter()
            steps_left = (deadline - now) / (now - started) * steps if steps else len(free)
            count = max(whole or len(free) // BATCH, math.ceil(len(free) / max(steps_left, 1)), 1)
            chosen = free[:count]
            if rng and count > whole:  # the last not whole: one of the nearest few, at random
                chosen[-1] = rng.choice(free[count - 1 : count + 2])
            heaviest = self._heaviest()
            for person in chosen:
                self.hold(person, heaviest[person])
            steps += 1
        return dict(self.held)


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
        self.held: dict[str, int] = {}  # person → index of the only column they may use
        self._build()

    def _build(self) -> None:
        self.solved: _Duals | None = None
        self.lp = lp = pywraplp.Solver.CreateSolver("GLOP")
        lp.SetSolverSpecificParametersAsString("use_preprocessing: false")  # a fifth faster here
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
        for person, index in self.held.items():
            self.hold(person, index)

    def add(self, person: str, schedule: Schedule, cost: float) -> None:
        self.solved = None
        self.added.append((person, schedule, cost))
        self._column(person, schedule, cost)

    def _column(self, person: str, schedule: Schedule, cost: float) -> None:
        var = self.lp.NumVar(0, 0 if person in self.held else 1, "")
        self.weights[person].append(var)
        self.objective.SetCoefficient(var, cost)
        self.ones[person].SetCoefficient(var, 1)
        for cell in schedule:
            if cell in self.rows:
                self.rows[cell].SetCoefficient(var, 1)

    def hold(self, person: str, index: int) -> None:
        self.solved = None
        self.held[person] = index
        for i, var in enumerate(self.weights[person]):
            var.SetBounds(float(i == index), float(i == index))

    def release(self, person: str) -> None:
        self.solved = None
        del self.held[person]
        for var in self.weights[person]:
            var.SetBounds(0.0, 1.0)

    def solve(self) -> _Duals:
        """The LP's value and duals; solved again only after a change."""
        if self.solved is None:
            self.solved = self._solve()
        return self.solved

    def _solve(self) -> _Duals:
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
