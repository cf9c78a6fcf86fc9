"""The Curtois benchmark solver: column generation, dives, and CP-SAT where the LP leaves a gap.

1. ``ColumnGeneration.run`` solves the LP over whole personal schedules; its Lagrangian bound is
   the bound reported (on instances 1–12 it is the published branch-and-price bound).
2. A dive turns the LP into a roster (``ColumnGeneration.dive``). Then, in turn, a fresh dive that
   chooses differently, and a dive for a few people only — those who could work where the roster
   is furthest from its cover, and some at random — the rest held to the best roster. The best
   roster is kept. Every column keeps every hard rule, so every roster does too.
3. When the dives stall, or in the last 15% of the time, CP-SAT over every cell from the best
   roster: it proves optima the LP cannot (Instance1: LP 558, optimum 607).
When the LP has not converged by ROOT_SHARE of the time (Instance13, 15, 19: pricing too slow),
repeated dives from it are slow and poor; CP-SAT instead, over the cells of the LP's columns only
(restricted so, it reached 4010 on Instance13 and 5472 on Instance19 in 30 s; unrestricted from
one dive, 9734 and 9042 in 60 s), then step 3. It starts from the better of the LP's heaviest
columns and, given MIN_DIVE for it, a single dive: on Instance15 in 300 s, 8876 and 7863, and 4258
at the end (5324 from the heaviest columns alone). In 60 s a dive is poor and leaves CP-SAT too
little time (Instance13: dive 22715, final 22715; without it, 5970).

CP-SAT alone over the day×shift grid stalled 10–60% above the best known rosters of instances 5–8
at 30 s; fixing the cells the LP settles and handing the rest to CP-SAT still stalled on Instance8
(1500 at 30 s, optimum 1300).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass

from ortools.sat.python import cp_model

from stocktake.rota.curtois.columns import ColumnGeneration
from stocktake.rota.curtois.instance import Instance, Roster
from stocktake.rota.curtois.model import roster_model
from stocktake.rota.curtois.pricing import Schedule

ROOT_SHARE = 0.35  # of the time limit, at most, for the LP before the first dive
STALE_DIVES = 30  # dives in a row without a better roster before CP-SAT takes over
LAST_SHARE = 0.15  # for CP-SAT over every cell from the best roster, when the LP leaves a gap
SUPPORT_SLACK = 5.0  # CP-SAT without a converged LP: cells of columns within this reduced cost
FREED_SHARE = 0.2  # of the staff freed for each re-dive, at least two people
DIVE_SHARE = 0.25  # of the time limit for one dive from an unconverged LP, if it is long enough:
MIN_DIVE = 60.0  # seconds; shorter, the dive is poor and costs CP-SAT the time it needs


@dataclass(frozen=True)
class Solution:
    roster: Roster
    objective: int
    best_bound: int
    seconds: float
    status: str


def solve(
    instance: Instance, *, seconds: float = 30.0, workers: int | None = None, seed: int = 0
) -> Solution:
    """The best roster found in ``seconds`` (``workers``: one per core unless given)."""
    started = time.perf_counter()
    deadline = started + seconds
    workers = workers or os.cpu_count() or 2  # as rota.solver does
    with ColumnGeneration(instance, workers) as generation:
        root = generation.run(started + seconds * ROOT_SHARE)
        bound, last = root.bound, deadline - seconds * LAST_SHARE
        if root.converged:
            best, best_value = _dives(generation, instance, bound, last, random.Random(seed))
        else:  # the LP is unproven: CP-SAT where it points, from the better of two rosters
            allowed = generation.support(SUPPORT_SLACK)
            dive = seconds * DIVE_SHARE if seconds * DIVE_SHARE >= MIN_DIVE else 0.0
            start, value = _unconverged_start(generation, root.heaviest, dive)
            best, best_value, _ = _cp_sat(instance, start, value, last, workers, seed, allowed)
    if round(best_value) <= bound:
        return _solution(best, round(best_value), bound, started)
    # The LP's bound is not the optimum's (Instance1: 558, optimum 607): CP-SAT may prove more.
    best, objective, proven = _cp_sat(instance, best, round(best_value), deadline, workers, seed)
    return _solution(best, objective, max(bound, proven), started)


def _dives(
    generation: ColumnGeneration, instance: Instance, bound: int, end: float, rng: random.Random
) -> tuple[dict[str, Schedule], float]:
    """The best roster of repeated dives until ``end``, the bound, or STALE_DIVES without a better."""
    best = generation.dive(end)
    best_value = generation.master.solve().value
    attempt, stale = 0, 0
    while time.perf_counter() < end and round(best_value) > bound and stale < STALE_DIVES:
        attempt += 1
        generation.release(list(generation.held))
        if attempt % 2:  # a fresh dive from the LP, choosing differently
            found = generation.dive(end, rng)
        else:  # a dive for a few people only, the rest held to the best roster
            freed = _neighbourhood(instance, best, rng)
            for person in generation.staff:
                if person not in freed:
                    generation.hold(person, best[person])
            found = generation.dive(end)
        value = generation.master.solve().value
        stale = 0 if value < best_value - 1e-6 else stale + 1
        if value <= best_value + 1e-6:
            best, best_value = found, value
    return best, best_value


def _unconverged_start(
    generation: ColumnGeneration, heaviest: dict[str, Schedule], seconds: float
) -> tuple[dict[str, Schedule], int]:
    """The better of the LP's heaviest columns and one dive of ``seconds`` (none if 0), with its
    objective."""
    for person, schedule in heaviest.items():  # held, the master prices their roster
        generation.hold(person, schedule)
    heaviest_value = round(generation.master.solve().value)
    if not seconds:
        return heaviest, heaviest_value
    generation.release(list(generation.held))
    dived = generation.dive(time.perf_counter() + seconds)
    dived_value = round(generation.master.solve().value)
    return (dived, dived_value) if dived_value < heaviest_value else (heaviest, heaviest_value)


def _solution(schedules: dict[str, Schedule], objective: int, bound: int, started: float) -> Solution:
    status = "OPTIMAL" if objective <= bound else "FEASIBLE"
    return Solution(_roster(schedules), objective, bound, time.perf_counter() - started, status)


def _roster(schedules: dict[str, Schedule]) -> Roster:
    return {(p, d): s for p, schedule in schedules.items() for d, s in schedule}


def _cp_sat(
    instance: Instance,
    schedules: dict[str, Schedule],
    value: int,
    deadline: float,
    workers: int,
    seed: int,
    allowed: dict[str, set[tuple[int, str]]] | None = None,
):
    """CP-SAT over every cell (or only the ``allowed`` ones) from ``schedules`` (worth ``value``)
    until ``deadline``: (schedules, objective, CP-SAT's bound — of the whole problem only when every
    cell was allowed); the schedules given if CP-SAT returns nothing better."""
    model, x, objective = roster_model(instance)
    for (person, day, shift), var in x.items():
        model.add_hint(var, (day, shift) in schedules[person])
        if allowed is not None and (day, shift) not in allowed[person] | schedules[person]:
            model.add(var == 0)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter())
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    # The objective of the roster returned, not the response's objective_value: under a time limit
    # CP-SAT 9.15 has reported a value above its own solution's (6714 for a 5908 roster).
    found = round(solver.value(objective)) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    bound = round(solver.best_objective_bound) if found is not None and allowed is None else 0
    if found is None or found > value:  # CP-SAT can drop a hint it was given
        return schedules, value, bound
    worked: dict[str, set[tuple[int, str]]] = {p.id: set() for p in instance.staff}
    for (person, day, shift), var in x.items():
        if solver.value(var):
            worked[person].add((day, shift))
    return {p: frozenset(cells) for p, cells in worked.items()}, found, bound


def _neighbourhood(instance: Instance, schedules: dict[str, Schedule], rng: random.Random) -> list[str]:
    """People to free: mostly those who could work a shift the roster leaves short (or over), picked
    by its penalty; the rest at random."""
    size = max(2, round(len(schedules) * FREED_SHARE))
    worked = Counter(cell for schedule in schedules.values() for cell in schedule)
    penalty = {
        c: c.under_weight * max(c.requirement - worked[c.day, c.shift], 0)
        + c.over_weight * max(worked[c.day, c.shift] - c.requirement, 0)
        for c in instance.cover
    }
    cover = rng.choices(list(penalty), weights=[w + 1 for w in penalty.values()])[0]
    able = [
        p.id
        for p in instance.staff
        if p.max_shifts.get(cover.shift, 1) > 0 and cover.day not in instance.days_off.get(p.id, ())
    ]
    freed = set(rng.sample(able, min(len(able), size - size // 4)))
    rest = [p for p in schedules if p not in freed]
    freed.update(rng.sample(rest, min(len(rest), size - len(freed))))
    return sorted(freed)
