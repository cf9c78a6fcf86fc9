"""The Curtois benchmark as CP-SAT models: one person's rules, and the whole roster.

A Boolean per (staff, day, shift). Run-length rules are clause families (a forbidden short run is one
clause), as in OR-Tools' shift_scheduling_sat example, with runs that touch the horizon's edges left
free. The search solves ``roster_model`` with cells held; ``personal_model`` is the independent
answer the labelling pricing is tested against.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from stocktake.rota.curtois.instance import Instance, Staff

Cell = tuple[str, int, str]  # staff, day, shift


def _forbid_short_runs(model, flags, minimum: int, days: int) -> None:
    """No run of true shorter than ``minimum`` that starts and ends inside the horizon."""
    for length in range(1, minimum):
        for start in range(1, days - length):
            model.add_bool_or(
                [flags[start - 1], *(~flags[d] for d in range(start, start + length)), flags[start + length]]
            )


def _personal_rules(model: cp_model.CpModel, instance: Instance, person: Staff, cells) -> None:
    """One person's hard rules over their ``cells[day, shift]`` Booleans."""
    days, shift_ids = range(instance.days), [s.id for s in instance.shifts]
    works = []
    for d in days:
        work = model.new_bool_var(f"w_{person.id}_{d}")
        model.add(sum(cells[d, s] for s in shift_ids) == work)
        works.append(work)
    for d in instance.days_off.get(person.id, ()):
        model.add(works[d] == 0)
    for s in shift_ids:
        model.add(sum(cells[d, s] for d in days) <= person.max_shifts.get(s, instance.days))
    minutes = sum(instance.shift(s).minutes * cells[d, s] for d in days for s in shift_ids)
    model.add_linear_constraint(minutes, person.min_minutes, person.max_minutes)
    for shift in instance.shifts:
        for follower in shift.cannot_follow:
            for d in range(instance.days - 1):
                model.add_bool_or([~cells[d, shift.id], ~cells[d + 1, follower]])
    for start in range(instance.days - person.max_consecutive):
        model.add(sum(works[start : start + person.max_consecutive + 1]) <= person.max_consecutive)
    _forbid_short_runs(model, works, person.min_consecutive, instance.days)
    _forbid_short_runs(model, [~w for w in works], person.min_consecutive_off, instance.days)
    weekends = []
    for sat, sun in instance.weekends:
        worked = model.new_bool_var(f"we_{person.id}_{sat}")
        model.add_max_equality(worked, [works[sat], *([works[sun]] if sun < instance.days else [])])
        weekends.append(worked)
    model.add(sum(weekends) <= person.max_weekends)


def _cells(model: cp_model.CpModel, instance: Instance, person: Staff):
    return {
        (d, s.id): model.new_bool_var(f"x_{person.id}_{d}_{s.id}")
        for d in range(instance.days)
        for s in instance.shifts
    }


def personal_model(instance: Instance, staff_id: str):
    """One person's rules alone: (model, cells[day, shift])."""
    model = cp_model.CpModel()
    person = next(p for p in instance.staff if p.id == staff_id)
    cells = _cells(model, instance, person)
    _personal_rules(model, instance, person, cells)
    return model, cells


def roster_model(instance: Instance):
    """The whole roster: every person's rules, requests and cover; returns (model, x, objective)."""
    model = cp_model.CpModel()
    x: dict[Cell, cp_model.IntVar] = {}
    for person in instance.staff:
        cells = _cells(model, instance, person)
        _personal_rules(model, instance, person, cells)
        x.update({(person.id, d, s): var for (d, s), var in cells.items()})
    penalties = []
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
    return model, x, objective
