"""CP-SAT for the Curtois benchmark: a Boolean grid x[staff, day, shift] with rules as constraints.

Run-length rules are clause families (a forbidden short run is one clause), as in OR-Tools'
shift_scheduling_sat example, with runs that touch the horizon's edges left free.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from stocktake.rota.curtois import Instance, Roster


@dataclass(frozen=True)
class Solution:
    roster: Roster
    objective: int
    best_bound: int
    seconds: float
    status: str


def _forbid_short_runs(model, flags, minimum: int, days: int) -> None:
    """No run of true shorter than ``minimum`` that starts and ends inside the horizon."""
    for length in range(1, minimum):
        for start in range(1, days - length):
            model.add_bool_or(
                [flags[start - 1], *(~flags[d] for d in range(start, start + length)), flags[start + length]]
            )


def solve(
    instance: Instance, *, seconds: float = 30.0, workers: int | None = None, seed: int = 0
) -> Solution:
    """The best roster CP-SAT finds in ``seconds`` (``workers``: one per core unless given)."""
    model = cp_model.CpModel()
    days, shift_ids = range(instance.days), [s.id for s in instance.shifts]
    x = {
        (p.id, d, s): model.new_bool_var(f"x_{p.id}_{d}_{s}")
        for p in instance.staff
        for d in days
        for s in shift_ids
    }
    penalties = []
    for person in instance.staff:
        works = []
        for d in days:
            day_shifts = [x[person.id, d, s] for s in shift_ids]
            work = model.new_bool_var(f"w_{person.id}_{d}")
            model.add(sum(day_shifts) == work)
            works.append(work)
        off = [~w for w in works]
        for d in instance.days_off.get(person.id, ()):
            model.add(works[d] == 0)
        for s in shift_ids:
            model.add(sum(x[person.id, d, s] for d in days) <= person.max_shifts.get(s, instance.days))
        minutes = sum(instance.shift(s).minutes * x[person.id, d, s] for d in days for s in shift_ids)
        model.add(minutes <= person.max_minutes)
        model.add(minutes >= person.min_minutes)
        for shift in instance.shifts:
            for follower in shift.cannot_follow:
                for d in range(instance.days - 1):
                    model.add_bool_or([~x[person.id, d, shift.id], ~x[person.id, d + 1, follower]])
        for start in range(instance.days - person.max_consecutive):
            model.add(sum(works[start : start + person.max_consecutive + 1]) <= person.max_consecutive)
        _forbid_short_runs(model, works, person.min_consecutive, instance.days)
        _forbid_short_runs(model, off, person.min_consecutive_off, instance.days)
        weekends = []
        for sat, sun in instance.weekends:
            worked = model.new_bool_var(f"we_{person.id}_{sat}")
            model.add_max_equality(worked, [works[sat], *([works[sun]] if sun < instance.days else [])])
            weekends.append(worked)
        model.add(sum(weekends) <= person.max_weekends)
    for request in instance.on_requests:
        penalties.append(request.weight * (1 - x[request.staff, request.day, request.shift]))
    for request in instance.off_requests:
        penalties.append(request.weight * x[request.staff, request.day, request.shift])
    for cover in instance.cover:
        on = sum(x[p.id, cover.day, cover.shift] for p in instance.staff)
        # Exactly max(requirement − on, 0) and max(on − requirement, 0): with a looser model a
        # time-limited search can leave both positive and overstate the roster's true cost.
        short = model.new_int_var(0, cover.requirement, f"under_{cover.day}_{cover.shift}")
        extra = model.new_int_var(0, len(instance.staff), f"over_{cover.day}_{cover.shift}")
        model.add_max_equality(short, [cover.requirement - on, 0])
        model.add_max_equality(extra, [on - cover.requirement, 0])
        penalties += [cover.under_weight * short, cover.over_weight * extra]
    objective = sum(penalties)
    model.minimize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers or os.cpu_count() or 2  # as rota.solver does
    solver.parameters.random_seed = seed
    started = time.perf_counter()
    status = solver.solve(model)
    elapsed = time.perf_counter() - started
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(
            f"{instance.name}: no roster found in {seconds:g} s ({solver.status_name(status)})"
        )
    roster = {(p, d): s for (p, d, s), var in x.items() if solver.value(var)}
    # The objective of the roster returned, not the response's objective_value: under a time limit
    # CP-SAT 9.15 has reported a value above its own solution's (6714 for a 5908 roster).
    return Solution(
        roster,
        round(solver.value(objective)),
        round(solver.best_objective_bound),
        elapsed,
        solver.status_name(status),
    )
