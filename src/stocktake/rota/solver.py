"""Build a compliant, fair rota with CP-SAT: one Boolean per doctor and slot (a shift type on a date).

The contract's rules are encoded on the slots' real clock times, grouped by rule and doctor so that,
when no compliant rota exists, the groups can be switched off one at a time to find the few that
conflict (``explain.py``). The objective spreads each burden in proportion to WTE, honours requests
and, when re-planning, changes as few published assignments as it can. Whatever comes out is run
through the checker before it is returned.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta

from ortools.sat.python import cp_model

from stocktake.rota.check import (
    RotaCheck,
    check_rota,
    is_late_evening,
    is_long,
    is_low_intensity,
    is_night,
    weekend_spans,
)
from stocktake.rota.duties import Duty, elapsed_hours, wall_clock_after
from stocktake.rota.explain import explain, static_problems
from stocktake.rota.fairness import DUTY_WEIGHT, burdens, weekend_carriers
from stocktake.rota.model import Request, RotaProblem, Slot

CHANGE_COST = 1000  # one changed published assignment, in units of one duty away from a fair share
REQUEST_COST = 20
#: What the search is doing once it has proved no rota exists: finding which rules conflict.
EXPLAINING = "No rota meets every rule; finding which rules conflict"


@dataclass(frozen=True)
class Assignment:
    doctor: str
    shift: str
    date: date


@dataclass(frozen=True)
class RotaSolution:
    problem: RotaProblem
    assignments: tuple[Assignment, ...]
    status: str
    objective: int | None  # None when time ran out before any optimised rota was found
    seconds: float
    unmet_requests: tuple[str, ...] = ()
    added: tuple[Assignment, ...] = ()  # against the published rota, when re-planning
    removed: tuple[Assignment, ...] = ()

    def duties(self) -> list[Duty]:
        return sorted(
            (self.problem.shift(a.shift).duty(a.doctor, a.date) for a in self.assignments),
            key=lambda d: (d.doctor, d.start),
        )

    def by_doctor(self) -> dict[str, list[Slot]]:
        found = defaultdict(list)
        for a in self.assignments:
            found[a.doctor].append(Slot(self.problem.shift(a.shift), a.date))
        return dict(found)

    def check(self) -> RotaCheck:
        return check_rota(self.duties(), self.problem.limits, (self.problem.start, self.problem.end))


class NoCompliantRota(Exception):
    """No rota meets every requirement; ``reasons`` says which ones conflict, in plain words."""

    def __init__(self, reasons: list[str]):
        super().__init__("\n".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Replan:
    """Re-plan a published rota: keep everything before ``keep_until``, change as little as possible."""

    published: frozenset[Assignment]
    keep_until: date | None = None


# --- the model ----------------------------------------------------------------------------------


class RotaModel:
    """The CP-SAT model of a rota problem. With ``explain``, every group of rules can be switched off."""

    def __init__(
        self,
        problem: RotaProblem,
        replan: Replan | None = None,
        *,
        explain: bool = False,
        optimise: bool = True,
    ):
        self.problem, self.replan, self.explain = problem, replan, explain
        self.model = cp_model.CpModel()
        self.slots = problem.slots()
        self.groups: dict[Hashable, cp_model.IntVar] = {}
        self.x: dict[tuple[str, int], cp_model.IntVar] = {}
        for index, slot in enumerate(self.slots):
            for doctor in problem.eligible(slot.shift):
                self.x[doctor.id, index] = self.model.new_bool_var(f"x_{doctor.id}_{index}")
        self.own: dict[str, list[tuple[int, Duty]]] = defaultdict(list)
        for doctor_id, index in self.x:
            self.own[doctor_id].append(
                (index, self.slots[index].shift.duty(doctor_id, self.slots[index].date))
            )
        for duties in self.own.values():
            duties.sort(key=lambda item: item[1].start)
        self.weekend = {}
        self._cover()
        self._leave()
        self._weekends_together()
        for doctor in problem.doctors:
            self._rules(doctor.id)
        if replan is not None:
            self._keep_published()
        if optimise and not explain:
            self._objective()

    def guard(self, constraint, key: Hashable) -> None:
        """Make the constraint part of a named group, which ``explain`` can switch off."""
        if self.explain:
            if key not in self.groups:
                self.groups[key] = self.model.new_bool_var(str(key))
            constraint.only_enforce_if(self.groups[key])

    def _cover(self) -> None:
        for index, slot in enumerate(self.slots):
            on = [self.x[d.id, index] for d in self.problem.eligible(slot.shift)]
            self.guard(self.model.add(sum(on) >= slot.shift.cover), ("cover", slot.shift.id))
            self.model.add(sum(on) <= slot.shift.cover_max)

    def _leave(self) -> None:
        for doctor in self.problem.doctors:
            for index, duty in self.own[doctor.id]:
                if duty.start.date() in doctor.leave:
                    self.guard(self.model.add(self.x[doctor.id, index] == 0), ("leave", doctor.id))

    def _weekends_together(self) -> None:
        for pattern in self.problem.patterns:
            if not pattern.weekends_together:
                continue
            for doctor_id in pattern.doctors:
                days = defaultdict(list)
                for index, duty in self.own[doctor_id]:
                    if self.slots[index].shift.id in pattern.shifts and duty.start.weekday() >= 5:
                        monday = duty.start.date() - timedelta(days=duty.start.weekday())
                        days[monday, duty.start.weekday()].append(self.x[doctor_id, index])
                for (monday, weekday), saturday in days.items():
                    sunday = days.get((monday, 6))
                    if weekday == 5 and sunday:
                        self.guard(self.model.add(sum(saturday) == sum(sunday)), ("together", pattern.name))

    def _rules(self, doctor_id: str) -> None:
        limits, own, x = self.problem.limits, self.own[doctor_id], self.x
        if not own:
            return
        add, guard = self.model.add, self.guard

        def var(index: int):
            return x[doctor_id, index]

        # Pairs that cannot both be worked: overlaps (never), short rest (R4), R13, R15.
        window = limits.pair_window_hours
        for a, (i, first) in enumerate(own):
            for j, second in own[a + 1 :]:
                if elapsed_hours(first.end, second.start) >= window:
                    break
                pair = [~var(i), ~var(j)]
                gap_days = (second.start.date() - first.start.date()).days
                if second.start < first.end:
                    self.model.add_bool_or(pair)
                elif first.kind == second.kind == "shift" and elapsed_hours(first.end, second.start) < (
                    limits.rest_between_shifts
                ):
                    guard(self.model.add_bool_or(pair), ("R4", doctor_id))
                weekend_pair = first.start.weekday() == 5 and second.start.weekday() == 6
                if first.kind == second.kind == "on_call" and gap_days == 1 and not weekend_pair:
                    guard(self.model.add_bool_or(pair), ("R13", doctor_id))
                if (
                    first.kind == "on_call"
                    and second.kind == "shift"
                    and gap_days == 1
                    and second.span_hours > limits.hours_after_on_call
                ):
                    guard(self.model.add_bool_or(pair), ("R15", doctor_id))
        # Hours: the average (R1) and any 168 hours (R2), in whole minutes rounded up.
        worked = sum(_minutes(d.work_hours) * var(i) for i, d in own)
        guard(add(worked <= int(limits.cap(doctor_id) * 60 * self.problem.weeks)), ("R1", doctor_id))
        pro_rata = limits.pro_rata_cap(doctor_id)
        if pro_rata is not None:
            guard(add(worked <= int(pro_rata * 60 * self.problem.weeks)), ("R18", doctor_id))
        for begin in sorted({d.start for _, d in own} | {wall_clock_after(d.end, -168) for _, d in own}):
            end = wall_clock_after(begin, 168)
            terms = [
                (_minutes(d.hours_between(begin, end)), i) for i, d in own if d.start < end and d.end > begin
            ]
            terms = [(m, i) for m, i in terms if m]
            if sum(m for m, _ in terms) > limits.hours_in_168 * 60:
                guard(
                    add(sum(m * var(i) for m, i in terms) <= int(limits.hours_in_168 * 60)), ("R2", doctor_id)
                )
        # On-call periods in any 7 days (R14).
        calls = [(i, d) for i, d in own if d.kind == "on_call"]
        for day in self.problem.dates:
            week = [var(i) for i, d in calls if 0 <= (d.start.date() - day).days < 7]
            if len(week) > limits.on_calls_in_7_days:
                guard(add(sum(week) <= limits.on_calls_in_7_days), ("R14", doctor_id))
        # Runs of days with a duty (R5, R5a), of long shifts, late evenings and nights (R6, R7, R9) and
        # rest after them.
        self._consecutive_days(doctor_id)
        for rule, kind, most, rest in (
            ("R6", is_long, limits.consecutive_long, limits.rest_after_run),
            ("R7", is_late_evening, limits.consecutive_late_evening, limits.rest_after_run),
            ("R9", is_night, limits.consecutive_nights, None),
        ):
            self._runs(doctor_id, rule, [(i, d) for i, d in own if d.kind == "shift" and kind(d)], most, rest)
        self._rest_after_nights(doctor_id)
        self._weekend_limits(doctor_id)

    def _day_flags(self, doctor_id: str, duties: list[tuple[int, Duty]]) -> dict[date, cp_model.IntVar]:
        """A Boolean per date that is true when the doctor starts one of these duties that day."""
        by_day = defaultdict(list)
        for i, duty in duties:
            by_day[duty.start.date()].append(self.x[doctor_id, i])
        flags = {}
        for day, on in by_day.items():
            flags[day] = self.model.new_bool_var(f"day_{doctor_id}_{day}")
            for o in on:
                self.model.add_implication(o, flags[day])
            self.model.add_bool_or(on).only_enforce_if(flags[day])
        return flags

    def _runs(self, doctor_id, rule, duties, most: int, rest: float | None) -> None:
        flags = self._day_flags(doctor_id, duties)
        if len(flags) <= most:
            return
        one_day = timedelta(days=1)
        for day in flags:
            run = [day + k * one_day for k in range(most + 1)]
            if all(d in flags for d in run):
                self.guard(self.model.add_bool_or([~flags[d] for d in run]), (rule, doctor_id))
            if rest is None:
                continue
            earlier = [day - k * one_day for k in range(1, most)]
            if not all(d in flags for d in earlier):
                continue
            for i, last in duties:
                if last.start.date() != day:
                    continue
                for j, after in self.own[doctor_id]:
                    if last.end <= after.start and elapsed_hours(last.end, after.start) < rest:
                        clause = [~flags[d] for d in earlier] + [~self.x[doctor_id, i], ~self.x[doctor_id, j]]
                        self.guard(self.model.add_bool_or(clause), (rule, doctor_id))

    def _consecutive_days(self, doctor_id: str) -> None:
        """R5: at most 7 days in a row with a duty, on call included, then 48 h rest from the end of the
        run's last duty; R5a: up to 12 when the run holds a low-intensity weekend on call."""
        limits, own, add_or = self.problem.limits, self.own[doctor_id], self.model.add_bool_or
        flags = self._day_flags(doctor_id, own)
        plain, longest = limits.consecutive_shifts, limits.consecutive_days_low_intensity_weekend
        weekends = self._low_intensity_weekends(doctor_id)
        one_day = timedelta(days=1)
        for day in flags:
            span = [day + k * one_day for k in range(max(plain, longest) + 1)]
            if all(d in flags for d in span):
                self.guard(add_or([~flags[d] for d in span]), ("R5", doctor_id))
            window = span[: plain + 1]
            if all(d in flags for d in window):
                excuses = [self._same_run(flags, window, saturday, on) for saturday, on in weekends.items()]
                excuses = [e for e in excuses if e is not None]
                self.guard(add_or([~flags[d] for d in window] + excuses), ("R5", doctor_id))
            run = [day - k * one_day for k in range(plain)]
            if not all(d in flags for d in run):
                continue
            # The run ends today unless it goes on tomorrow (then the 8-day window rules it).
            ended = [~flags[d] for d in run] + ([flags[day + one_day]] if day + one_day in flags else [])
            for i, last in own:
                if last.start.date() != day:
                    continue
                for j, after in own:
                    rest = elapsed_hours(last.end, after.start)
                    if after.start.date() > day + one_day and 0 <= rest < limits.rest_after_run:
                        clause = [*ended, ~self.x[doctor_id, i], ~self.x[doctor_id, j]]
                        self.guard(add_or(clause), ("R5", doctor_id))

    def _low_intensity_weekends(self, doctor_id: str) -> dict[date, cp_model.IntVar]:
        """Per Saturday: true only when the doctor is on a low-intensity on call on it and on the Sunday."""
        limits, by_day = self.problem.limits, defaultdict(list)
        for i, duty in self.own[doctor_id]:
            if is_low_intensity(duty, limits):
                by_day[duty.start.date()].append(self.x[doctor_id, i])
        found = {}
        for saturday in (d for d in by_day if d.weekday() == 5 and d + timedelta(days=1) in by_day):
            found[saturday] = self.model.new_bool_var(f"low_weekend_{doctor_id}_{saturday}")
            for day in (saturday, saturday + timedelta(days=1)):
                self.model.add(found[saturday] <= sum(by_day[day]))
        return found

    def _same_run(self, flags: dict, window: list[date], saturday: date, on) -> cp_model.IntVar | None:
        """A literal that is true only when this low-intensity weekend is in the same run as the window
        (every day between them worked), or None when no run of permitted length could hold both."""
        longest, one_day = self.problem.limits.consecutive_days_low_intensity_weekend, timedelta(days=1)
        first, last = min(window[0], saturday), max(window[-1], saturday + one_day)
        if (last - first).days + 1 > longest:
            return None
        gap = [d for d in (first + k * one_day for k in range((last - first).days + 1)) if d not in window]
        gap = [d for d in gap if d not in (saturday, saturday + one_day)]
        if not gap:
            return on
        if not all(d in flags for d in gap):
            return None
        joined = self.model.new_bool_var("")
        self.model.add_implication(joined, on)
        for d in gap:
            self.model.add_implication(joined, flags[d])
        return joined

    def _rest_after_nights(self, doctor_id: str) -> None:
        nights = [(i, d) for i, d in self.own[doctor_id] if d.kind == "shift" and is_night(d)]
        flags = self._day_flags(doctor_id, nights)
        rest = self.problem.limits.rest_after_nights
        for i, night in nights:
            following = flags.get(night.start.date() + timedelta(days=1))
            for j, after in self.own[doctor_id]:
                if night.end <= after.start and elapsed_hours(night.end, after.start) < rest:
                    clause = [~self.x[doctor_id, i], ~self.x[doctor_id, j]]
                    if following is not None:
                        clause.append(following)
                    self.guard(self.model.add_bool_or(clause), ("R10", doctor_id))

    def _weekend_limits(self, doctor_id: str) -> None:
        limits, spans = self.problem.limits, weekend_spans(self.problem.start, self.problem.end)
        worked = []
        for k, (begin, end) in enumerate(spans):
            inside = [self.x[doctor_id, i] for i, d in self.own[doctor_id] if d.start < end and d.end > begin]
            flag = self.model.new_bool_var(f"weekend_{doctor_id}_{k}")
            for on in inside:
                self.model.add_implication(on, flag)
            self.model.add(flag <= sum(inside))
            worked.append(flag)
        self.weekend[doctor_id] = worked
        limits_by_rule = [("R11", len(spans) // limits.weekends_one_in)]
        if limits.check_one_in_three_weekends:
            limits_by_rule.append(("R11b", len(spans) // 3))
        for rule, most in limits_by_rule:
            if most < len(spans):
                self.guard(self.model.add(sum(worked) <= most), (rule, doctor_id))

    def _keep_published(self) -> None:
        keep = self.replan.keep_until
        if keep is None:
            return
        for key, on in self.x.items():
            if self.slots[key[1]].date < keep:
                self.guard(self.model.add(on == int(self.was_published(key))), ("published", keep))

    # --- what makes one compliant rota better than another --------------------------------------

    def _objective(self) -> None:
        terms = []
        for burden in burdens(self.problem):
            counts = {
                d.id: sum(burden.value(self.slots[i]) * self.x[d.id, i] for i, _ in self.own[d.id])
                for d in burden.doctors
            }
            most = sum(burden.value(s) * s.shift.cover_max for s in self.slots)
            fixed = all(s.shift.cover == s.shift.cover_max for s in self.slots if burden.value(s))
            total = most if fixed else None  # a known total keeps each doctor's term to their own duties
            terms += self._distance_from_shares(burden.doctors, counts, most, burden.weight, total)
        carriers = weekend_carriers(self.problem)
        counts = {d.id: sum(self.weekend[d.id]) for d in carriers}
        weekends = len(weekend_spans(self.problem.start, self.problem.end))
        terms += self._distance_from_shares(carriers, counts, len(carriers) * weekends, DUTY_WEIGHT)
        scale = sum(_wte_units(d.wte) for d in self.problem.doctors)
        for request in self.problem.requests:
            on = [
                self.x[request.doctor, i]
                for i, d in self.own[request.doctor]
                if d.start.date() == request.date and request.shift in (None, self.slots[i].shift.id)
            ]
            unmet = self.model.new_bool_var(f"unmet_{request.doctor}_{request.date}")
            if request.shift is None:
                for o in on:
                    self.model.add_implication(o, unmet)
            else:
                self.model.add(sum(on) + unmet >= 1)
            terms.append(REQUEST_COST * request.weight * scale * unmet)
        if self.replan is not None:
            terms.append(CHANGE_COST * scale * self.changes())
        self.model.minimize(sum(terms))

    def was_published(self, key: tuple[str, int]) -> bool:
        slot = self.slots[key[1]]
        return Assignment(key[0], slot.shift.id, slot.date) in self.replan.published

    def changes(self):
        """Assignments added to or removed from the published rota."""
        return sum((1 - on) if self.was_published(key) else on for key, on in self.x.items())

    def _distance_from_shares(self, doctors, counts: dict, most: int, weight: int, total=None) -> list:
        """|count × group WTE − total × own WTE| per doctor (WTE in hundredths; ``most`` bounds the total)."""
        wte = {d.id: _wte_units(d.wte) for d in doctors}
        group = sum(wte.values())
        total = sum(counts.values()) if total is None else total
        distances = []
        for doctor_id, count in counts.items():
            distance = self.model.new_int_var(0, group * most, f"unfair_{doctor_id}")
            gap = group * count - wte[doctor_id] * total
            self.model.add(distance >= gap)
            self.model.add(distance >= -gap)
            distances.append(weight * distance)
        return distances


def _minutes(hours: float) -> int:
    """Whole minutes, rounded up, so that a limit met in minutes is met in hours."""
    return math.ceil(round(hours * 60, 6))


def _wte_units(wte: float) -> int:
    return round(wte * 100)


# --- solving ------------------------------------------------------------------------------------


def _granted(request: Request, chosen: tuple[Assignment, ...]) -> bool:
    on_the_day = [a for a in chosen if a.doctor == request.doctor and a.date == request.date]
    if request.shift is None:
        return not on_the_day
    return any(a.shift == request.shift for a in on_the_day)


def _chosen(built: RotaModel, solver: cp_model.CpSolver) -> tuple[Assignment, ...]:
    return tuple(
        sorted(
            (
                Assignment(doctor_id, built.slots[index].shift.id, built.slots[index].date)
                for (doctor_id, index), on in built.x.items()
                if solver.boolean_value(on)
            ),
            key=lambda a: (a.date, a.shift, a.doctor),
        )
    )


def _solver(seconds: float, workers: int, seed: int, work: float | None = None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    if work is not None:  # CP-SAT's deterministic time: the same answer however busy the machine is
        solver.parameters.max_deterministic_time = work
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def solve(
    problem: RotaProblem,
    *,
    seconds: float = 30.0,
    workers: int | None = None,
    seed: int = 0,
    replan: Replan | None = None,
    work: float | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> RotaSolution:
    """The best rota found in the time given; ``NoCompliantRota`` with reasons when there is none.

    ``on_phase`` hears when the search turns into finding out why no rota exists (which takes as long
    again), so a progress bar can say so rather than "searching".

    ``work`` also stops each search after that much of CP-SAT's deterministic time; with one worker
    the rota is then the same on every run (the demo's), where a limit on seconds alone depends on
    the machine's load.

    One search worker per core by default: on a busy 2-core machine, eight workers found rotas
    several times less fair in the same time, and the answer varied from run to run.
    """
    workers = workers or os.cpu_count() or 2
    reasons = static_problems(problem)
    if reasons:
        raise NoCompliantRota(reasons)
    began = time.perf_counter()
    # Any compliant rota first (quick without an objective) or, when re-planning, the fewest changes:
    # proof that a rota exists, and the answer if the search for the best finds nothing in time.
    first = RotaModel(problem, replan, optimise=False)
    solver = _solver(seconds / 2 if replan else seconds, workers, seed, work)
    if replan is None:
        solver.parameters.stop_after_first_solution = True
    else:
        first.model.minimize(first.changes())
        for key, on in first.x.items():
            first.model.add_hint(on, first.was_published(key))
    status = solver.solve(first.model)
    if status == cp_model.INFEASIBLE:
        if on_phase is not None:
            on_phase(EXPLAINING)
        raise NoCompliantRota(explain(problem, RotaModel(problem, replan, explain=True)))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(
            f"no rota found in {seconds:g} s (solver status {solver.status_name(status)}); give it more time"
        )
    chosen, status_name, objective = _chosen(first, solver), "FEASIBLE (not optimised)", None
    built = RotaModel(problem, replan)
    if replan is not None:  # no more changes than the fewest found; the fairest rota among those
        built.model.add(built.changes() <= round(solver.objective_value))
        for key, on in first.x.items():
            built.model.add_hint(built.x[key], solver.boolean_value(on))
    best = _solver(max(seconds - (time.perf_counter() - began), 1.0), workers, seed, work)
    status = best.solve(built.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen, status_name, objective = (
            _chosen(built, best),
            best.status_name(status),
            round(best.objective_value),
        )
    elapsed = time.perf_counter() - began
    unmet = tuple(
        f"{problem.doctor(r.doctor).name}, {r.date:%a %d %b}: {r.shift or 'day off'}"
        for r in problem.requests
        if not _granted(r, chosen)
    )
    published = replan.published if replan else frozenset()
    return RotaSolution(
        problem,
        chosen,
        status_name,
        objective,
        elapsed,
        unmet,
        tuple(a for a in chosen if replan and a not in published),
        tuple(sorted(published - set(chosen), key=lambda a: (a.date, a.shift, a.doctor))),
    )
