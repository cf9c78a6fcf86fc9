"""Why no compliant rota exists, in plain words.

Shift types that break a rule on their own are found without a solver. Otherwise the solver builds
its model with every group of requirements (a rule for one doctor, the cover of one shift type, one
doctor's leave, …) behind a switch and hands it here, so this module never imports the solver;
CP-SAT returns a set of switches that cannot all be on, and each is then tried off in turn: a
requirement whose removal leaves the rest still impossible is dropped. What is left is a small
conflict, reported with the doctors and rules involved.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, timedelta

from ortools.sat.python import cp_model

from stocktake.rota.check import break_shortfalls, weekend_spans
from stocktake.rota.model import WEEKDAYS, RotaProblem
from stocktake.rota.rules import RULES


def static_problems(problem: RotaProblem) -> list[str]:
    """Shift types no doctor could work compliantly, and cover that too few doctors could give."""
    found = []
    for shift in problem.shifts:
        for day in sorted({slot.date for slot in problem.slots() if slot.shift == shift}):
            wrong = _breaks_on_its_own(shift.duty("", day), problem.limits)
            if wrong:  # the first date is enough: a clock change can make one date differ
                found += [f"{shift.label} on {day:%a %d %b %Y} {text}" for text in wrong]
                break
        eligible = problem.eligible(shift)
        if len(eligible) < shift.cover:
            who = f"only {', '.join(d.name for d in eligible)} can" if eligible else "no doctor can"
            found.append(
                f"{shift.label} needs {shift.cover} doctor(s) but {who} work it "
                f"(site {shift.site}{', on-call eligible' if shift.kind == 'on_call' else ''})."
            )
    return found


def _breaks_on_its_own(duty, limits) -> list[str]:
    """The rules a single duty breaks whoever works it: its length, its expected work, its breaks."""
    found = []
    if duty.kind == "shift" and duty.span_hours > limits.shift_hours + 1e-9:
        found.append(
            f"lasts {duty.span_hours:g} h; no shift may be longer than "
            f"{limits.shift_hours:g} h (R3, {RULES['R3'].source})."
        )
    if duty.kind == "on_call" and duty.span_hours > limits.on_call_hours + 1e-9:
        found.append(
            f"is a {duty.span_hours:g} h on-call period; the limit is "
            f"{limits.on_call_hours:g} h (R12, {RULES['R12'].source})."
        )
    if duty.kind == "on_call" and duty.work_hours / duty.span_hours * 24 > limits.on_call_work_per_24h + 1e-9:
        found.append(
            f"expects {duty.work_hours:g} h of work in {duty.span_hours:g} h on call; "
            f"the limit is {limits.on_call_work_per_24h:g} h per 24 h (R16, {RULES['R16'].source})."
        )
    for rule, what, limit in break_shortfalls(duty, limits):
        switch = "" if RULES[rule].verified else "; switch off with check_third_night_break: false"
        found.append(f"has {what}; it needs {limit} ({rule}, {RULES[rule].source}{switch}).")
    return found


def explain(problem: RotaProblem, built, *, seconds_per_try: float = 5.0) -> list[str]:
    """A small set of requirements that cannot all be met, one plain sentence each.

    ``built`` is the solver's model of ``problem`` made with every group behind a switch
    (``RotaModel(problem, replan, explain=True)``): its ``model`` and its ``groups`` of switches.
    """
    keys = list(built.groups)
    status, core = _try(built, keys, seconds_per_try * 4)
    if status != cp_model.INFEASIBLE:
        return [
            "No compliant rota was found, and the solver could not narrow down why in the time given; "
            "try a longer time limit."
        ]
    minimal = True
    for key in list(core):
        trial = [k for k in core if k != key]
        status = _try(built, trial, seconds_per_try)[0]
        if status == cp_model.INFEASIBLE:
            core = trial
        minimal = minimal and status in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    heading = "No rota meets every requirement. These cannot all hold together" + (
        " (drop or relax any one of them and the rest can be met):"
        if minimal
        else " (the solver ran out of time before it could narrow them down further):"
    )
    return [heading, *(f"- {_sentence(problem, key)}" for key in core)]


def _try(built, keys: list[Hashable], seconds: float) -> tuple[int, list[Hashable]]:
    """Solve with only these groups switched on; when infeasible, the groups CP-SAT blames."""
    built.model.clear_assumptions()
    built.model.add_assumptions([built.groups[k] for k in keys])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    status = solver.solve(built.model)
    if status != cp_model.INFEASIBLE:
        return status, keys
    blamed = set(solver.sufficient_assumptions_for_infeasibility())
    return status, [k for k in keys if built.groups[k].index in blamed]


def _sentence(problem: RotaProblem, key: Hashable) -> str:
    what, subject = key
    limits = problem.limits
    if what == "cover":
        shift = problem.shift(subject)
        days = ", ".join(WEEKDAYS[d] for d in shift.days)
        who = ", ".join(d.name for d in problem.eligible(shift))
        return f"{shift.label} needs {shift.cover} doctor(s) every {days}; only {who} can work it."
    if what == "leave":
        doctor = problem.doctor(subject)
        return f"{doctor.name} is on leave {_ranges(sorted(doctor.leave))}."
    if what == "together":
        return f"{subject}: the same doctor works the Saturday and the Sunday."
    if what == "published":
        return f"The published rota before {subject:%d %b %Y} stays as it is."
    name = problem.doctor(subject).name
    weekends = len(weekend_spans(problem.start, problem.end))
    rule = {
        "R1": f"may average at most {limits.cap(subject):g} h a week",
        "R18": f"may average at most {limits.pro_rata_cap(subject) or 0:g} h a week, pro rata to WTE "
        "(unverified; switch off with check_pro_rata_hours: false)",
        "R2": f"may work at most {limits.hours_in_168:g} h in any 168 hours",
        "R4": f"needs at least {limits.rest_between_shifts:g} h rest between shifts",
        "R5": f"may work at most {limits.consecutive_shifts} days in a row, on call included "
        f"({limits.consecutive_days_low_intensity_weekend} around a low-intensity weekend on call), then "
        f"needs {limits.rest_after_run:g} h off",
        "R6": f"may work at most {limits.consecutive_long} long shifts (over 10 h) in a row, then needs "
        f"{limits.rest_after_run:g} h off",
        "R7": f"may work at most {limits.consecutive_late_evening} long late-evening shifts in a row, then "
        f"needs {limits.rest_after_run:g} h off",
        "R9": f"may work at most {limits.consecutive_nights} nights in a row",
        "R10": f"needs {limits.rest_after_nights:g} h off after a night or run of nights",
        "R11": f"may work at most {weekends // limits.weekends_one_in} of the {weekends} weekends "
        f"(1 in {limits.weekends_one_in})",
        "R11b": f"may work at most {weekends // 3} of the {weekends} weekends (the 1-in-3 design limit, "
        "unverified; switch off with check_one_in_three_weekends: false)",
        "R13": "may not be on call on consecutive days, except Saturday and Sunday",
        "R14": f"may be on call at most {limits.on_calls_in_7_days} times in any 7 days",
        "R15": f"may not work a shift over {limits.hours_after_on_call:g} h the day after being on call",
    }[what]
    return f"{name} {rule} ({what}, {RULES[what].source})."


def _ranges(days: list[date]) -> str:
    spans: list[list[date]] = []
    for day in days:
        if spans and day - spans[-1][-1] == timedelta(days=1):
            spans[-1].append(day)
        else:
            spans.append([day])
    return ", ".join(
        f"{s[0]:%a %d %b}" if len(s) == 1 else f"{s[0]:%a %d %b} to {s[-1]:%a %d %b}" for s in spans
    )
