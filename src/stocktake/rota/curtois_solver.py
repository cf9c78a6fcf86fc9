"""The Curtois benchmark solver: column generation for the LP, then CP-SAT where the LP is unsure.

1. ``curtois_columns.relax`` solves the LP over whole personal schedules (up to half the time).
2. Cells the LP settles (worked fully or not at all) are fixed, and CP-SAT solves the model over
   the rest, starting from each person's heaviest column — a roster that keeps every hard rule.
3. Then a neighbourhood search: on top of what the LP left open, free every cell of a week around
   a shortfall in cover, or of a random fifth of the staff; re-solve; keep the roster if no worse.
4. The last fifth of the time, or sooner if the search stalls, is CP-SAT over every cell from the
   best roster: its bound, with the LP's, is the one reported.

On its own, CP-SAT over the whole grid stalled 10–60% above the best known rosters of instances
5–8 at 30 s; its bound there is weak, and the column LP's is nearly exact.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass

from ortools.sat.python import cp_model

from stocktake.rota.curtois import Instance, Roster
from stocktake.rota.curtois_columns import relax
from stocktake.rota.curtois_model import Cell, roster_model

LP_SHARE = 0.5  # of the time limit, at most, for column generation
FIRST_SHARE = 0.15  # for the first solve over the cells the LP left open
ROUND_SHARE = 0.05  # for each neighbourhood after that
LAST_SHARE = 0.2  # for CP-SAT over every cell, from the best roster, whose bound is the problem's
STALE_ROUNDS = 10  # neighbourhoods without a better roster before that last solve starts early


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
    lp = relax(instance, seconds=seconds * LP_SHARE, workers=workers)
    model, x, objective = roster_model(instance)
    settled = {cell: round(lp.assignment.get(cell, 0.0)) for cell in x if _settled(lp.assignment, cell)}
    current = {cell: int(cell[1:] in lp.heaviest[cell[0]]) for cell in x}
    best, bound = None, lp.bound
    rng = random.Random(seed)
    round_, stale = 0, 0  # stale: rounds since the roster last improved
    while round_ == 0 or time.perf_counter() < deadline - 0.1:
        if round_ == 0:
            fixed, limit = settled, seconds * FIRST_SHARE
        elif deadline - time.perf_counter() <= seconds * LAST_SHARE or stale >= STALE_ROUNDS:
            fixed, limit = {}, seconds  # the rest of the time
        else:
            freed = _neighbourhood(round_, rng, instance, current)
            fixed, limit = {c: current[c] for c in settled if not freed(c)}, seconds * ROUND_SHARE
        limit = max(0.1, min(limit, deadline - time.perf_counter()))
        found = _solve_restricted(model, x, objective, fixed, current, limit, workers, seed)
        stale = 0 if found is not None and (best is None or found[1] < best) else stale + 1
        if found is not None and (best is None or found[1] <= best):
            current, best = found[:2]
        if found is not None and not fixed:  # nothing held: CP-SAT's bound is the problem's
            bound = max(bound, found[2])
        round_ += 1
        if best is not None and best <= bound:
            break
    if best is None:
        raise RuntimeError(f"{instance.name}: no roster found in {seconds:g} s")
    roster = {(p, d): s for (p, d, s), value in current.items() if value}
    return Solution(
        roster, best, bound, time.perf_counter() - started, "OPTIMAL" if best <= bound else "FEASIBLE"
    )


def _settled(assignment: dict[Cell, float], cell: Cell) -> bool:
    value = assignment.get(cell, 0.0)
    return value < 1e-6 or value > 1 - 1e-6


def _neighbourhood(round_: int, rng: random.Random, instance: Instance, current: dict[Cell, int]):
    """Cells to free, in turn: everyone's in a week around a day short of cover (any day when none
    is), or all of a random fifth of the staff."""
    if round_ % 2:
        worked = Counter((d, s) for (_, d, s), value in current.items() if value)
        short = [c.day for c in instance.cover if worked[c.day, c.shift] < c.requirement]
        middle = rng.choice(short) if short else rng.randrange(instance.days)
        return lambda cell: abs(cell[1] - middle) <= 3
    staff = sorted({cell[0] for cell in current})
    chosen = set(rng.sample(staff, max(2, len(staff) // 5)))
    return lambda cell: cell[0] in chosen


def _solve_restricted(model, x, objective, fixed, hint, seconds, workers, seed):
    """CP-SAT with ``fixed`` cells held, from ``hint``: (cells, objective, bound), or None."""
    restricted = model.clone()
    for cell, value in fixed.items():
        domain = restricted.proto.variables[x[cell].index].domain
        domain[0] = domain[1] = value
    for cell, var in x.items():
        restricted.add_hint(var, hint[cell])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(restricted)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    # The objective of the roster returned, not the response's objective_value: under a time limit
    # CP-SAT 9.15 has reported a value above its own solution's (6714 for a 5908 roster).
    cells = {cell: int(solver.value(var)) for cell, var in x.items()}
    return cells, round(solver.value(objective)), round(solver.best_objective_bound)
