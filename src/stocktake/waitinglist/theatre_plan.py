"""Next month's theatre lists packed from the waiting list with CP-SAT, scored against first come,
first served.

Each list has its minutes, date and surgeon; each waiting patient a procedure group, a clock start and
a clinical priority whose target (P1 7, P2 28, P3 84, P4 365 days, :data:`stats.PRIORITY_TARGETS`)
gives a due date. A case's time on a list is predicted from the department's own theatre history,
by procedure group and surgeon where the surgeon has done enough of them, else by procedure group:
its mean and spread, plus the usual changeover between cases.

The rule for a list: its chance of over-running stays under the chosen risk, with the normal
approximation of the sum of its cases' times (mean Σμ, variance Σσ²): Σμ + z·√Σσ² ≤ minutes, z the
standard normal quantile of 1 − risk, applied through its linear tangent form (:class:`LoadRule`),
which never admits a list the rule refuses. The order of what matters: patients who will be past their due
date before their next chance (P1 before P2 before P3 before P4, each tier outweighing everything
below it) booked on a list on or before that date; then the longest waiters. The month is planned a
week at a time (lists of one week, the best candidates for them), each week a CP-SAT model with a
deterministic work limit, one worker and a fixed seed, so the same input gives the same plan. Below a
P1 and P2, patients about to have waited more than 52 weeks come next; then breaches avoided before
patients already past due (:data:`TIERS`).

First come, first served (NHSRwaitinglist's scheduler: the earliest referral takes the next slot,
whatever its priority) is planned on the same lists under the same rule, and both are scored by the
same function: breaches in the month, breaches avoided, minutes booked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model
from scipy.stats import norm

from stocktake.waitinglist.stats import PRIORITY_TARGETS

#: Cases a surgeon must have done of a procedure group before their own times are used.
MIN_SURGEON_CASES = 5
DEFAULT_RISK = 0.2
DEFAULT_SECONDS = 3.0
#: Patients each surgeon's lists of a kind bring into a week's model at most (the most urgent and
#: longest waiting first): a week with many surgeons weighs more in all.
MAX_CANDIDATES = 600
#: Wall-clock seconds a week's solve may take per unit of CP-SAT's deterministic time before it is
#: stopped anyway (a unit is about 3 s on an idle 2-core machine).
WALL_CLOCK_PER_UNIT = 20


@dataclass(frozen=True)
class TheatreList:
    list_id: str
    date: date
    surgeon: str
    minutes: int
    session_type: str
    site: str = ""
    theatre: str = ""


@dataclass(frozen=True)
class WaitingPatient:
    pathway_id: str
    clock_start: date
    priority: str
    procedure_group: str

    @cached_property  # read hundreds of thousands of times a plan
    def due(self) -> date:
        return self.clock_start + timedelta(days=PRIORITY_TARGETS[self.priority].target_days)

    @cached_property
    def long_wait_date(self) -> date:
        """The last day the patient has waited no more than :data:`LONG_WAIT_DAYS`."""
        return self.clock_start + timedelta(days=LONG_WAIT_DAYS)


@dataclass(frozen=True)
class CaseTime:
    """Minutes a case takes on a list (changeover included): mean, spread, median, from how many."""

    mean: float
    sd: float
    median: float
    cases: int
    by_surgeon: bool


@dataclass(frozen=True)
class Durations:
    """The department's case times by procedure group (and surgeon), and which lists each group uses."""

    by_group: dict[str, CaseTime]
    by_group_surgeon: dict[tuple[str, str], CaseTime]
    session_types: dict[str, frozenset[str]]
    changeover: float
    #: The procedure groups each surgeon has done in the history (None: any surgeon does any group).
    surgeon_groups: dict[str, frozenset[str]] | None = None

    def time(self, group: str, surgeon: str) -> CaseTime | None:
        return self.by_group_surgeon.get((group, surgeon)) or self.by_group.get(group)

    def fits(self, group: str, theatre_list: TheatreList) -> bool:
        """The list is of a kind the group's cases use, and its surgeon has done the group before (a
        hip surgeon's list is never booked with spines because spine times are known)."""
        if theatre_list.session_type not in self.session_types.get(group, frozenset()):
            return False
        return self.surgeon_groups is None or group in self.surgeon_groups.get(theatre_list.surgeon, ())

    def table(self) -> pd.DataFrame:
        rows = [
            {"procedure_group": g, "surgeon": "(any)", **vars(t)} for g, t in sorted(self.by_group.items())
        ]
        rows += [
            {"procedure_group": g, "surgeon": s, **vars(t)}
            for (g, s), t in sorted(self.by_group_surgeon.items())
        ]
        return pd.DataFrame(rows)


def durations_from_history(
    cases: pd.DataFrame, min_surgeon_cases: int = MIN_SURGEON_CASES, min_type_cases: int = 3
) -> Durations:
    """Case times from done cases: ``procedure_group``, ``surgeon``, ``session_type``, ``minutes``
    (in to out of theatre) and ``gap`` (minutes from the previous case's end on the list, NaN first)."""
    done = cases[cases["minutes"].notna() & (cases["minutes"] > 0)]
    if done.empty:
        raise ValueError("the theatre history has no done cases with times")
    gaps = done["gap"].dropna()
    changeover = float(max(gaps.median(), 0.0)) if len(gaps) else 0.0

    def case_time(minutes: pd.Series, by_surgeon: bool) -> CaseTime:
        values = minutes.to_numpy(dtype=float) + changeover
        sd = float(values.std(ddof=1)) if len(values) > 1 else float(values.mean()) * 0.25
        return CaseTime(float(values.mean()), sd, float(np.median(values)), len(values), by_surgeon)

    by_group = {g: case_time(rows["minutes"], False) for g, rows in done.groupby("procedure_group")}
    by_group_surgeon = {
        (g, s): case_time(rows["minutes"], True)
        for (g, s), rows in done.groupby(["procedure_group", "surgeon"])
        if len(rows) >= min_surgeon_cases
    }
    counts = done.groupby(["procedure_group", "session_type"]).size()
    session_types: dict[str, set[str]] = {}
    for (group, kind), n in counts.items():
        if n >= min_type_cases:
            session_types.setdefault(group, set()).add(kind)
    surgeon_groups = {s: frozenset(rows["procedure_group"]) for s, rows in done.groupby("surgeon")}
    return Durations(
        by_group,
        by_group_surgeon,
        {g: frozenset(k) for g, k in session_types.items()},
        changeover,
        surgeon_groups,
    )


def z_for(risk: float) -> float:
    """The normal quantile that keeps a list's chance of over-running at ``risk``."""
    if not 0 < risk < 1:
        raise ValueError("the over-run risk must be between 0 and 1")
    return float(norm.ppf(1 - risk))


def overrun_chance(times: Sequence[CaseTime], minutes: float) -> float:
    """The normal approximation's chance that a list of these cases runs past ``minutes``."""
    if not times:
        return 0.0
    mean = sum(t.mean for t in times)
    sd = math.sqrt(sum(t.sd**2 for t in times))
    if sd == 0:
        return float(mean > minutes)
    return float(norm.sf((minutes - mean) / sd))


#: Load and room are counted in hundredths of a minute, so the solver's sums are whole numbers.
UNITS = 100


@dataclass(frozen=True)
class LoadRule:
    """The normal rule made linear, so a list is a knapsack: each case a load, each list a room.

    √V is concave, so it lies under its tangent at any V₀: √V ≤ √V₀ + (V − V₀)/(2√V₀). Putting the
    tangent in the rule gives Σ(μ + z·σ²/(2√V₀)) ≤ minutes − z·√V₀/2, which implies the normal rule
    for every list it admits, and is tight when the list's variance is V₀: the variance of a full list
    of the cases that list type usually takes. Loads are rounded up and rooms down (in hundredths of
    a minute), so the rounding never admits a list the rule would refuse. Both planners use it.
    """

    z: float
    typical_variance: dict[str, float]

    @classmethod
    def for_lists(cls, lists: Sequence[TheatreList], durations: Durations, risk: float) -> LoadRule:
        z = z_for(risk)
        variance = {}
        for kind in {t.session_type for t in lists}:
            groups = [g for g, types in durations.session_types.items() if kind in types]
            times = [durations.by_group[g] for g in groups if g in durations.by_group]
            if not times:
                continue
            weights = np.array([t.cases for t in times], dtype=float)
            mean = float(np.average([t.mean for t in times], weights=weights))
            var = float(np.average([t.sd**2 for t in times], weights=weights))
            minutes = np.median([t.minutes for t in lists if t.session_type == kind])
            variance[kind] = max(minutes / mean, 1.0) * max(var, 1e-6)
        return cls(z, variance)

    def _v0(self, theatre_list: TheatreList) -> float:
        return self.typical_variance.get(theatre_list.session_type, 1.0)

    def load(self, time: CaseTime, theatre_list: TheatreList) -> int:
        spread = self.z * time.sd**2 / (2 * math.sqrt(self._v0(theatre_list))) if self.z > 0 else 0.0
        return math.ceil(UNITS * (time.mean + spread))

    def room(self, theatre_list: TheatreList) -> int:
        reserve = self.z * math.sqrt(self._v0(theatre_list)) / 2 if self.z > 0 else 0.0
        return math.floor(UNITS * (theatre_list.minutes - reserve))

    def fits(self, times: Sequence[CaseTime], theatre_list: TheatreList) -> bool:
        return self.admits(sum(self.load(t, theatre_list) for t in times), theatre_list)

    def capacity(self, theatre_list: TheatreList) -> int:
        """The largest total load the list takes under the rule."""
        return min(self.room(theatre_list), UNITS * theatre_list.minutes)

    def admits(self, load: int, theatre_list: TheatreList) -> bool:
        """Whether a list of this total load keeps to the rule."""
        return load <= self.capacity(theatre_list)


@dataclass(frozen=True)
class Booking:
    pathway_id: str
    list_id: str
    date: date
    priority: str
    procedure_group: str
    due: date
    waited_days: int
    expected_minutes: float


@dataclass(frozen=True)
class PlanScore:
    """What a plan achieves in its month (the same function scores CP-SAT's and FCFS's)."""

    booked: int
    due_in_month: int
    breaches_in_month: int
    breaches_avoided: int
    past_due_at_start: int
    past_due_booked: int
    #: Patients waiting more than 52 weeks at the month's start, and how many of them are booked.
    long_waiters_at_start: int
    long_waiters_booked: int
    #: Patients who reach 52 weeks in the month, and how many of them are booked by that day.
    reaching_long_wait: int
    reaching_long_wait_in_time: int
    #: P1 and P2 patients due in the month and not booked by their due date.
    p1_breaches: int
    p2_breaches: int
    #: P1 patients due by the month's end (or already past due) not booked in it at all.
    p1_not_booked: int
    #: The same for P2 patients (a backlog of long waiters had pushed overdue P2s out, unsaid).
    p2_not_booked: int
    minutes_booked: float
    list_minutes: int
    worst_overrun_chance: float
    lists: int

    @property
    def utilisation(self) -> float:
        return self.minutes_booked / self.list_minutes if self.list_minutes else float("nan")

    @property
    def cases_a_list(self) -> float:
        """Cases booked a list of the month: set beside the cases a list the history did (which the
        capacity answer counts extra lists at)."""
        return self.booked / self.lists if self.lists else float("nan")


@dataclass(frozen=True)
class Plan:
    method: str
    bookings: tuple[Booking, ...]
    score: PlanScore
    status: str


def score_plan(
    bookings: Sequence[Booking],
    patients: Sequence[WaitingPatient],
    lists: Sequence[TheatreList],
    durations: Durations,
    month_start: date,
    month_end: date,
) -> PlanScore:
    """Re-score a plan from scratch: breaches counted from due dates, over-run from the case times."""
    booked_on = {b.pathway_id: b.date for b in bookings}
    due_in_month = [p for p in patients if month_start <= p.due <= month_end]
    breached = [p for p in due_in_month if booked_on.get(p.pathway_id, date.max) > p.due]
    past_due = [p for p in patients if p.due < month_start]
    long = [p for p in patients if (month_start - p.clock_start).days > LONG_WAIT_DAYS]
    reaching = [p for p in patients if month_start <= p.long_wait_date <= month_end]
    by_list: dict[str, list[CaseTime]] = {}
    group_of = {p.pathway_id: p.procedure_group for p in patients}
    list_of = {t.list_id: t for t in lists}
    for b in bookings:
        surgeon = list_of[b.list_id].surgeon
        by_list.setdefault(b.list_id, []).append(durations.time(group_of[b.pathway_id], surgeon))
    worst = max((overrun_chance(t, list_of[i].minutes) for i, t in by_list.items()), default=0.0)
    return PlanScore(
        booked=len(bookings),
        due_in_month=len(due_in_month),
        breaches_in_month=len(breached),
        breaches_avoided=len(due_in_month) - len(breached),
        past_due_at_start=len(past_due),
        past_due_booked=sum(p.pathway_id in booked_on for p in past_due),
        long_waiters_at_start=len(long),
        long_waiters_booked=sum(p.pathway_id in booked_on for p in long),
        reaching_long_wait=len(reaching),
        reaching_long_wait_in_time=sum(
            booked_on.get(p.pathway_id, date.max) <= p.long_wait_date for p in reaching
        ),
        p1_breaches=sum(p.priority == "P1" for p in breached),
        p2_breaches=sum(p.priority == "P2" for p in breached),
        p1_not_booked=_not_booked("P1", patients, booked_on, month_end),
        p2_not_booked=_not_booked("P2", patients, booked_on, month_end),
        minutes_booked=float(sum(b.expected_minutes for b in bookings)),
        list_minutes=int(sum(t.minutes for t in lists)),
        worst_overrun_chance=worst,
        lists=len(lists),
    )


def left_waiting(
    bookings: Sequence[Booking], patients: Sequence[WaitingPatient], month_start: date, month_end: date
) -> list[tuple[WaitingPatient, str]]:
    """The patients behind the score's unmet counts, each with why, so the booking team can find them:
    P1s and P2s due by the month's end not booked (or a P1 booked after their date), those waiting more
    than 52 weeks not booked, and those reaching 52 weeks in the month not booked by then. A patient
    is named once, with every one of these that applies (a P2 over 52 weeks is counted in both)."""
    booked_on = {b.pathway_id: b.date for b in bookings}
    named = []
    for p in sorted(patients, key=lambda p: (p.priority, p.clock_start, p.pathway_id)):
        when, waited = booked_on.get(p.pathway_id), (month_start - p.clock_start).days
        reasons = []
        if p.priority in ("P1", "P2") and p.due <= month_end and when is None:
            reasons.append(f"{p.priority} due {p.due}, not booked")
        if p.priority == "P1" and month_start <= p.due < (when or date.min):
            reasons.append(f"P1 due {p.due}, booked after it, {when}")
        if waited > LONG_WAIT_DAYS and when is None:
            reasons.append(f"waiting more than 52 weeks at the month's start ({waited} days)")
        if month_start <= p.long_wait_date <= month_end and (when or date.max) > p.long_wait_date:
            reasons.append(
                f"reaching 52 weeks on {p.long_wait_date}, " + (f"booked {when}" if when else "not booked")
            )
        if reasons:
            named.append((p, "; ".join(reasons)))
    return named


def _not_booked(priority: str, patients, booked_on: dict[str, date], month_end: date) -> int:
    """Patients of ``priority`` due by the month's end (or past due) that the plan does not book."""
    return sum(
        p.priority == priority and p.due <= month_end and p.pathway_id not in booked_on for p in patients
    )


def _booking(patient: WaitingPatient, theatre_list: TheatreList, time: CaseTime) -> Booking:
    return Booking(
        patient.pathway_id,
        theatre_list.list_id,
        theatre_list.date,
        patient.priority,
        patient.procedure_group,
        patient.due,
        (theatre_list.date - patient.clock_start).days,
        time.mean,
    )


def _ordered_lists(lists: Sequence[TheatreList]) -> list[TheatreList]:
    return sorted(lists, key=lambda t: (t.date, t.list_id))


def first_come_first_served(
    patients: Sequence[WaitingPatient], lists: Sequence[TheatreList], durations: Durations, risk: float
) -> list[Booking]:
    """Each list in date order takes the earliest referrals that fit it (priority not considered)."""
    rule = LoadRule.for_lists(lists, durations, risk)
    queue = sorted(patients, key=lambda p: (p.clock_start, p.pathway_id))
    groups = {p.procedure_group for p in patients}
    bookings, taken = [], set()
    for theatre_list in _ordered_lists(lists):
        takes = _group_times(groups, theatre_list, durations, rule)
        capacity = rule.capacity(theatre_list)
        smallest = min((load for _, load in takes.values()), default=capacity + 1)
        load, left = 0, []
        for k, patient in enumerate(queue):
            if load + smallest > capacity:  # full: no one further down fits either
                left += queue[k:]
                break
            if patient.pathway_id in taken:  # a pathway is booked once, however often it is listed
                continue
            found = takes.get(patient.procedure_group)
            if found is None or load + found[1] > capacity:
                left.append(patient)
                continue
            load += found[1]
            taken.add(patient.pathway_id)
            bookings.append(_booking(patient, theatre_list, found[0]))
        queue = left
    return bookings


def _group_times(
    groups, theatre_list: TheatreList, durations: Durations, rule: LoadRule
) -> dict[str, tuple[CaseTime, int]]:
    """The procedure groups a list can take (its kind, a surgeon who does them), each with its case
    time and load."""
    found = {}
    for group in groups:
        time = durations.time(group, theatre_list.surgeon)
        if time is not None and durations.fits(group, theatre_list):
            found[group] = (time, rule.load(time, theatre_list))
    return found


def plan_weeks(lists: Sequence[TheatreList]) -> list[list[TheatreList]]:
    by_week: dict[date, list[TheatreList]] = {}
    for t in _ordered_lists(lists):
        by_week.setdefault(t.date - timedelta(days=t.date.weekday()), []).append(t)
    return [by_week[k] for k in sorted(by_week)]


def plan_lists(
    patients: Sequence[WaitingPatient],
    lists: Sequence[TheatreList],
    durations: Durations,
    month_start: date,
    month_end: date,
    risk: float = DEFAULT_RISK,
    seconds: float = DEFAULT_SECONDS,
    seed: int = 0,
    also_waiting: Sequence[WaitingPatient] = (),
) -> tuple[Plan, Plan]:
    """CP-SAT's plan and first come, first served's, on the same lists and rule, each scored over
    everyone waiting (``also_waiting``: those that cannot be planned, a P1 among them still counts)."""
    rule = LoadRule.for_lists(lists, durations, risk)
    weeks = plan_weeks(lists)
    remaining = {p.pathway_id: p for p in patients}
    bookings: list[Booking] = []
    statuses = []
    groups = {p.procedure_group for p in patients}
    for k, week in enumerate(weeks):
        next_chance = _next_chances(groups, weeks[k + 1 :], durations, rule, month_end)
        booked, status = _solve_week(
            list(remaining.values()), week, durations, rule, next_chance, seconds / max(len(weeks), 1), seed
        )
        booked = _late_urgent_sooner(booked, week, remaining, durations, rule)
        statuses.append(status)
        for b in booked:
            remaining.pop(b.pathway_id)
        bookings += booked
    fcfs = first_come_first_served(patients, lists, durations, risk)
    everyone = [*patients, *also_waiting]
    scored = [
        Plan(
            "cp-sat",
            tuple(bookings),
            score_plan(bookings, everyone, lists, durations, month_start, month_end),
            ", ".join(
                f"{statuses.count(k)} week{'s' * (statuses.count(k) > 1)} {k}" for k in sorted(set(statuses))
            ),
        ),
        Plan(
            "first come, first served",
            tuple(fcfs),
            score_plan(fcfs, everyone, lists, durations, month_start, month_end),
            "greedy",
        ),
    ]
    return scored[0], scored[1]


#: The order of what a week's lists are for, most important first: a breach avoided (the patient is
#: due before the next week's lists) or a patient already past due, by priority. A P1 comes first
#: either way, then a P2 (due, then past due). Then patients who will have waited more than
#: :data:`LONG_WAIT_DAYS` before their next chance, whatever their priority: those reaching it this
#: week, booked by that day, before those over it already (a long waiter had taken the list of one
#: about to cross); below the breaches avoided, each month's newly due filled the lists, and a P4 at
#: 140 weeks was never booked (a clinical director's review). Then P3 and P4 breaches avoided before
#: those already past due.
TIERS = (
    ("P1", "due"), ("P1", "past due"), ("P2", "due"), ("P2", "past due"),
    ("any", "reaching 52 weeks"), ("any", "over 52 weeks"),
    ("P3", "due"), ("P4", "due"), ("P3", "past due"), ("P4", "past due"),
)  # fmt: skip
LONG_WAITS = (TIERS.index(("any", "reaching 52 weeks")), TIERS.index(("any", "over 52 weeks")))
#: The tier a patient due this week counts in on a list after their date: a P1 who cannot be booked by
#: their due day is still a P1, past due, ahead of every P2, P3 and P4 (a P1 due on the week's Tuesday
#: had been worth no more than their wait on Wednesday, and P4s took the week's later lists).
LATE = {
    TIERS.index(due): TIERS.index(late)
    for due, late in (
        (("P1", "due"), ("P1", "past due")),
        (("P2", "due"), ("P2", "past due")),
        (("any", "reaching 52 weeks"), ("any", "over 52 weeks")),
        (("P3", "due"), ("P3", "past due")),
        (("P4", "due"), ("P4", "past due")),
    )
}
#: The national long-wait standard: no one waiting more than 52 weeks (364 days), as the page counts.
LONG_WAIT_DAYS = 52 * 7


def _next_chances(
    groups, later_weeks, durations: Durations, rule: LoadRule, month_end: date
) -> dict[str, date]:
    """Each procedure group's next chance after this week: the first later list that can take its
    cases (kind, surgeon, length), else the day after the month. (Next week's first list of any kind
    had been every patient's next chance: a P1 due on a Monday with no elective list then breached.)"""
    after = month_end + timedelta(days=1)
    chances = {}
    for group in groups:
        taking = (
            t.date
            for week in later_weeks
            for t in week
            if _can_take(durations, rule, WaitingPatient("", t.date, "P4", group), t)
        )
        chances[group] = next(taking, after)
    return chances


def _tier(patient: WaitingPatient, week_start: date, next_chance: dict[str, date]) -> int | None:
    """The patient's place in :data:`TIERS` this week, or None if they can wait for the next one."""
    chance = next_chance.get(patient.procedure_group, date.max)
    urgent = patient.priority in ("P1", "P2") and patient.due < chance
    if not urgent and (reached := patient.long_wait_date) < chance:
        return LONG_WAITS[reached < week_start]
    if patient.due >= chance:
        return None
    return TIERS.index((patient.priority, "past due" if patient.due < week_start else "due"))


def _deadline(patient: WaitingPatient, tier: int) -> date:
    """The day the patient's tier counts a booking by: the 52-week date for the long waiters' tier
    (a P4's due date is a day later: 11 had crossed 52 weeks on a list "on time"), else the due date."""
    return patient.long_wait_date if tier in LONG_WAITS else patient.due


def _solve_week(
    patients,
    week,
    durations: Durations,
    rule: LoadRule,
    next_chance: dict[str, date],
    seconds: float,
    seed: int,
):
    """One week's lists: the model, a greedy hint in the model's own order, and the solve."""
    week_start = week[0].date
    # Which lists of the week each group's cases can go on (kind, surgeon, length): a patient no list
    # can take would hold a candidate's place every week and leave lists empty.
    takes = {
        group: {
            t.list_id
            for t in week
            if _can_take(durations, rule, WaitingPatient("", week_start, "P4", group), t)
        }
        for group in {p.procedure_group for p in patients}
    }
    usable = [p for p in patients if takes[p.procedure_group]]
    tier_of = {p.pathway_id: _tier(p, week_start, next_chance) for p in usable}

    # Candidates, for each kind of list: everyone who would breach before the next chance, then the
    # longest waiters, up to half as many again as the week's lists of that kind hold.
    def urgency(p: WaitingPatient):
        tier = tier_of[p.pathway_id]
        return (len(TIERS) if tier is None else tier, p.clock_start, p.pathway_id)

    usable.sort(key=urgency)
    # Each surgeon's lists of a kind choose their own: one surgeon's (or a locum's) list must not decide
    # whom every list of the kind may take, nor patients only a few lists can take crowd out the rest.
    chosen: dict[str, WaitingPatient] = {}
    for kind, surgeon in sorted({(t.session_type, t.surgeon) for t in week}):
        theirs = [t for t in week if (t.session_type, t.surgeon) == (kind, surgeon)]
        ids = {t.list_id for t in theirs}
        # those not already chosen for another surgeon's lists: overlapping choices of the same most
        # urgent patients had left the week a third of its candidates and most lists empty
        groups = {g for g, lists in takes.items() if lists & ids}
        eligible = [p for p in usable if p.procedure_group in groups and p.pathway_id not in chosen]
        if not eligible:
            continue
        typical = float(np.mean([durations.by_group[p.procedure_group].mean for p in eligible]))
        room = int(1.5 * sum(t.minutes for t in theirs) / max(typical, 1.0)) + 1
        for p in eligible[: min(room, MAX_CANDIDATES)]:
            chosen[p.pathway_id] = p
    candidates = sorted(chosen.values(), key=urgency)
    if not candidates:
        return [], "nothing to book"
    # Weights that make the order strict: one patient of a tier outweighs everyone below it.
    longest = max(_wait_value(p, week[0], week_start) for p in candidates) + 1  # the week's first list: most
    waits = len(candidates) * longest + 1  # more than every wait value together
    in_tier = [sum(tier_of[p.pathway_id] == k for p in candidates) for k in range(len(TIERS))]
    tier_weight = _tier_weights(in_tier, range(len(TIERS)), waits)

    values: dict[tuple[str, date], int] = {}  # a patient's value depends on a list by its date alone

    def level(p: WaitingPatient, t: TheatreList) -> int | None:
        """The patient's tier on this list: a patient due this week booked after their date counts in
        their priority's past-due tier, still above every lower tier."""
        tier = tier_of[p.pathway_id]
        if tier is not None and week_start <= _deadline(p, tier) < t.date:
            return LATE[tier]
        return tier

    def value(p: WaitingPatient, t: TheatreList) -> int:
        key = (p.pathway_id, t.date)
        if key not in values:
            tier = level(p, t)
            values[key] = (0 if tier is None else tier_weight[tier]) + _wait_value(p, t, week_start)
        return values[key]

    options = _options({p.procedure_group for p in candidates}, week, durations, rule)
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    times: dict[tuple[int, int], tuple[CaseTime, int]] = {}
    for i, p in enumerate(candidates):
        for j, time, load in options[p.procedure_group]:
            if rule.admits(load, week[j]):  # the case alone fits the list
                x[i, j] = model.new_bool_var(f"x{i}_{j}")
                times[i, j] = (time, load)
    for i in range(len(candidates)):
        mine = [x[i, j] for j in range(len(week)) if (i, j) in x]
        if len(mine) > 1:
            model.add_at_most_one(mine)
    for j, t in enumerate(week):
        on = [(times[i, j][1], x[i, j]) for i in range(len(candidates)) if (i, j) in x]
        if on:
            model.add(sum(load * v for load, v in on) <= rule.capacity(t))
    # room is made (``_greedy``) for those whose breach can still be avoided: P1s and P2s, and those
    # reaching 52 weeks this week (each patient of a lower tier costs a search; at three times the
    # demo's size, for everyone with a tier, four minutes a month)
    urgent = tier_weight[LONG_WAITS[0]]
    hint = _greedy(candidates, week, durations, rule, value, urgent=urgent)
    levels = {(i, j): level(candidates[i], week[j]) for i, j in x}
    spread = max(sum(1 for j in range(len(week)) if (i, j) in x) for i in range(len(candidates)))
    blocks = _objective_blocks(in_tier, waits, spread)
    solved, statuses = frozenset(hint), []
    for block in blocks:  # one solve unless the weights outgrow CP-SAT's integers: then tier by tier
        weights = _tier_weights(in_tier, block, waits if block[-1] == len(TIERS) - 1 else 1)
        bottom = block[-1] == len(TIERS) - 1  # the last run carries the waits
        objective = {
            key: weights.get(levels[key], 0)
            + (_wait_value(candidates[key[0]], week[key[1]], week_start) if bottom else 0)
            for key in x
        }
        objective = {key: c for key, c in objective.items() if c}
        if not objective:
            continue
        model.maximize(sum(c * x[key] for key, c in objective.items()))
        model.clear_hints()
        for key, v in x.items():
            model.add_hint(v, key in solved)
        solver = _solver(seconds / len(blocks), seed)
        status = solver.solve(model)
        statuses.append(status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        solved = frozenset(key for key, v in x.items() if solver.boolean_value(v))
        reached = sum(c for key, c in objective.items() if key in solved)  # exactly, not the float
        model.add(sum(c * x[key] for key, c in objective.items()) >= reached)  # kept in the next run
    if statuses and statuses[0] in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # a solve stopped by its time can leave room a waiting patient fits: filled, most valuable first
        chosen = _greedy(candidates, week, durations, rule, value, start=solved, urgent=urgent)
        proven = all(s == cp_model.OPTIMAL for s in statuses)
        name = "best possible" if proven else "good, not proven best in the time"
    else:
        chosen, name = sorted(hint), "simple first fit (the solver found no plan in the time)"
    booked = [
        _booking(candidates[i], week[j], times[i, j][0]) for i, j in sorted(chosen, key=lambda k: k[::-1])
    ]
    return booked, name


#: Priorities a P1 or P2 booked after their due date may take an earlier list from, the other patient
#: moving to theirs: routine ones, and only where that leaves them within 52 weeks.
ROUTINE = ("P3", "P4")


def _movable(patient: WaitingPatient, later: date) -> bool:
    """Whether a patient may give their list to a late P1 or P2 and take one on ``later``: still within
    their due date and 52 weeks then, or routine and within 52 weeks (a P1 due on Friday on Tuesday's
    list had kept a P1 15 days overdue to Wednesday)."""
    in_time = patient.due >= later or patient.priority in ROUTINE
    return in_time and patient.long_wait_date >= later


def _late_urgent_sooner(booked: list[Booking], week, patients: dict, durations: Durations, rule: LoadRule):
    """The week's bookings with each P1, then P2, booked after their due date moved to the week's
    earliest list that can take them (ADR 75): into room left, or in place of a patient who takes
    theirs (``_movable``) when both lists still keep to the rule. Any day of the week serves a past-due
    P1 equally in the tiers' values, so the solver had put one 15 days overdue on Wednesday behind a P3
    due on Tuesday on the same surgeon's list (an outside check); a P2 due that week or one reaching 52
    weeks keeps their date (a reviewer's week: past-due P1s given Monday and Tuesday had pushed 19 P2s
    past theirs)."""
    lists = {t.list_id: t for t in week}
    on: dict[str, str] = {b.pathway_id: b.list_id for b in booked}

    def load(pathway_id: str, list_id: str) -> int | None:
        group = patients[pathway_id].procedure_group
        found = _group_times({group}, lists[list_id], durations, rule).get(group)
        return None if found is None else found[1]

    def total(list_id: str, without: str = "", adding: str = "") -> int:
        kept = [p for p, t in on.items() if t == list_id and p != without]
        return sum(load(p, list_id) or 0 for p in kept) + (load(adding, list_id) or 0 if adding else 0)

    late = sorted(
        (p for p in on if patients[p].priority in ("P1", "P2") and patients[p].due < lists[on[p]].date),
        key=lambda p: (patients[p].priority, patients[p].due, p),
    )
    for pathway_id in late:
        here = on[pathway_id]
        for earlier in sorted(
            (t for t in week if t.date < lists[here].date), key=lambda t: (t.date, t.list_id)
        ):
            if load(pathway_id, earlier.list_id) is None:
                continue
            if rule.admits(total(earlier.list_id, adding=pathway_id), earlier):
                on[pathway_id] = earlier.list_id
                break
            later = lists[here].date
            # those the move leaves in time first, then a P4 before a P3, the latest due first
            others = sorted(
                (
                    p
                    for p, t in on.items()
                    if t == earlier.list_id
                    and p != pathway_id
                    and _movable(patients[p], later)
                    and load(p, here) is not None
                ),
                key=lambda p: (
                    patients[p].due < later,
                    -ROUTINE.index(patients[p].priority) if patients[p].priority in ROUTINE else 0,
                    -patients[p].due.toordinal(),
                    p,
                ),
            )
            swap = next(
                (
                    p
                    for p in others
                    if rule.admits(total(earlier.list_id, without=p, adding=pathway_id), earlier)
                    and rule.admits(total(here, without=pathway_id, adding=p), lists[here])
                ),
                None,
            )
            if swap is not None:
                on[pathway_id], on[swap] = earlier.list_id, here
                break
    if all(on[b.pathway_id] == b.list_id for b in booked):
        return booked
    position = {t.list_id: j for j, t in enumerate(week)}
    order = {b.pathway_id: i for i, b in enumerate(booked)}
    moved = [
        _booking(patients[p], lists[t], durations.time(patients[p].procedure_group, lists[t].surgeon))
        for p, t in on.items()
    ]
    return sorted(moved, key=lambda b: (position[b.list_id], order[b.pathway_id]))


#: The largest objective a week's CP-SAT model is given: its sum must fit a 64-bit integer, with room.
OBJECTIVE_LIMIT = 2**60


def _late_count(in_tier: Sequence[int], k: int, j: int) -> int:
    """How many candidates can be worth tier ``j``'s weight in a sum that tier ``k``'s weight must
    outweigh: its own, and those due this week booked late into it (``LATE``) when their own tier is
    ``k`` or above (below ``k``, they are counted at their own, larger weight already)."""
    return in_tier[j] + sum(in_tier[due] for due, late in LATE.items() if late == j and due <= k < late)


def _tier_weights(in_tier: Sequence[int], tiers: Sequence[int], base: int) -> dict[int, int]:
    """Each tier's weight, so that one patient of a tier outweighs everyone of the tiers below it in
    ``tiers`` and ``base`` (more than everything below those)."""
    weights: dict[int, int] = {}
    for k in reversed(tiers):
        weights[k] = base + sum(_late_count(in_tier, k, j) * weights[j] for j in weights)
    return weights


def _objective_blocks(in_tier: Sequence[int], waits: int, spread: int = 1) -> list[tuple[int, ...]]:
    """The tiers in runs whose strict weights fit :data:`OBJECTIVE_LIMIT`, the first tiers first: one
    run (one solve) for a department's week, several for a large trust's, each solved in turn and
    kept in the next (the weights of ten tiers multiply: at twice the demo's size CP-SAT refused the
    model as an overflow, and the plan fell back to first fit). ``spread``: the most lists one patient
    may go on, each a term of the sum CP-SAT bounds."""
    blocks, current, base = [], [], waits
    for k in reversed(range(len(TIERS))):
        trial = [k, *current]
        weights = _tier_weights(in_tier, trial, base)
        can = {j: in_tier[j] + sum(in_tier[d] for d, late in LATE.items() if late == j) for j in weights}
        bound = spread * (base + sum(can[j] * w for j, w in weights.items()))  # its terms' sum at most
        if bound > OBJECTIVE_LIMIT and current:
            blocks.append(tuple(current))
            current, base = [k], 1
        else:
            current = trial
    blocks.append(tuple(current))
    return blocks[::-1]


def _solver(seconds: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = max(seconds, 0.1)
    # No presolve: at the default 3 s it took most of each week's budget, and without it the search
    # found fewer breaches in 22 of 28 generated months and more in none (1,594 against 1,802; ADR 58).
    solver.parameters.cp_model_presolve = False
    # The clock only as a safety net: a week's work takes about 3 s of wall clock a unit on an idle
    # 2-core machine, and a cap of 4 units (at least 1 s) had cut solves short on a busy one, so the
    # same input gave another plan (ADR 57).
    solver.parameters.max_time_in_seconds = max(WALL_CLOCK_PER_UNIT * seconds, 10.0)
    return solver


def _options(
    groups, week, durations: Durations, rule: LoadRule
) -> dict[str, list[tuple[int, CaseTime, int]]]:
    """For each procedure group, the week's lists of a kind and surgeon that take it (by position),
    with the case's time and load there: worked out once a group, not once a patient."""
    options: dict[str, list[tuple[int, CaseTime, int]]] = {group: [] for group in groups}
    for j, theatre_list in enumerate(week):
        for group, (time, load) in _group_times(groups, theatre_list, durations, rule).items():
            options[group].append((j, time, load))
    return options


def _can_take(
    durations: Durations, rule: LoadRule, patient: WaitingPatient, theatre_list: TheatreList
) -> bool:
    time = durations.time(patient.procedure_group, theatre_list.surgeon)
    return (
        durations.fits(patient.procedure_group, theatre_list)
        and time is not None
        and rule.fits([time], theatre_list)
    )


def _wait_value(patient: WaitingPatient, theatre_list: TheatreList, week_start: date) -> int:
    """Longer waiters first, and each patient sooner rather than later in the week: the days waited at
    the week's start (× 8), and up to 6 more for an earlier list. (Days waited on the list's own date
    had made every patient worth more on Friday: overdue P1s went to the week's end.)"""
    offset = min(max((theatre_list.date - week_start).days, 0), 6)
    return 8 * (week_start - patient.clock_start).days + (6 - offset)


def no_list_takes(
    patients: Sequence[WaitingPatient], lists: Sequence[TheatreList], durations: Durations, risk: float
) -> dict[str, int]:
    """Patients (by procedure group) whom no list of the month can take: of no kind, no surgeon or too
    few minutes for their case. The plan says so rather than leaving them out unsaid."""
    rule = LoadRule.for_lists(lists, durations, risk)
    # whether a list takes a patient depends on their procedure group alone: asked once a group
    taken = {
        g: any(_can_take(durations, rule, WaitingPatient("", t.date, "P4", g), t) for t in lists)
        for g in {p.procedure_group for p in patients}
    }
    counts: dict[str, int] = {}
    for p in patients:
        if not taken[p.procedure_group]:
            counts[p.procedure_group] = counts.get(p.procedure_group, 0) + 1
    return counts


def lists_no_one_takes(
    patients: Sequence[WaitingPatient], lists: Sequence[TheatreList], durations: Durations, risk: float
) -> dict[str, int]:
    """Lists (by surgeon) that no one waiting can go on: the surgeon's procedures, the list's kind or
    its length suit none of them. Said, so an empty list is explained."""
    rule = LoadRule.for_lists(lists, durations, risk)
    groups = {p.procedure_group for p in patients}
    counts: dict[str, int] = {}
    for t in lists:
        if not any(_can_take(durations, rule, WaitingPatient("", t.date, "P4", g), t) for g in groups):
            counts[t.surgeon] = counts.get(t.surgeon, 0) + 1
    return counts


def _greedy(
    candidates,
    week,
    durations: Durations,
    rule: LoadRule,
    value,
    start: frozenset = frozenset(),
    urgent: float = math.inf,
) -> set[tuple[int, int]]:
    """A plan in the model's own order, most valuable patient first; from ``start`` (a solve's
    bookings) it fills what room they leave, and moves the more urgent sooner.

    Without ``start``, two first placements are tried and the more valuable kept: each patient on the
    best list that fits (the earliest of their best tier), and each on the latest list of their best
    tier (a patient already past due, whom any day serves, had taken Monday's room from one due on
    Tuesday, and at a large trust's size the solver did not move off that start; but the latest list
    can be the only kind another patient could use). Either is then improved: each patient moved to
    the earliest list that keeps their tier, into its room or in exchange with a less valuable patient
    there who keeps theirs on the other list (sooner is better, the more urgent first), and those still
    unbooked put into the room left. No move lowers the plan's value."""
    group = [p.procedure_group for p in candidates]
    options = _options(set(group), week, durations, rule)
    load_on = {(i, j): load for i in range(len(candidates)) for j, _, load in options[group[i]]}
    values = [[value(p, t) for t in week] for p in candidates]
    # a list's value less its "sooner in the week" part (``_wait_value``): the tier and the wait
    sooner = [6 - min(max((t.date - week[0].date).days, 0), 6) for t in week]
    core = [[v - sooner[j] for j, v in enumerate(row)] for row in values]
    capacity = [rule.capacity(t) for t in week]
    best = [max(row) for row in values]  # each patient's value on their best list
    order = sorted(range(len(candidates)), key=lambda i: (-best[i], i))

    def earliest(i, j):  # the best list: the earliest of the patient's best tier
        return values[i][j], -j

    def latest(i, j):  # the latest list of the patient's best tier
        return core[i][j], week[j].date, -j

    def plan(first, booked: dict[int, int]) -> dict[int, int]:
        loads = dict.fromkeys(range(len(week)), 0)
        for i, j in booked.items():
            loads[j] += load_on.get((i, j)) or rule.load(durations.time(group[i], week[j].surgeon), week[j])

        def place(i, key) -> None:
            found = [
                (key(i, j), j)
                for j in range(len(week))
                if (i, j) in load_on and loads[j] + load_on[i, j] <= capacity[j]
            ]
            if found:
                j = max(found)[1]
                loads[j] += load_on[i, j]
                booked[i] = j

        for i in order:
            if i not in booked:
                place(i, first)
        on_list: dict[int, set[int]] = {}
        for i, j in booked.items():
            on_list.setdefault(j, set()).add(i)
        for i in order:  # as soon as their tier allows, before the less valuable
            if (j := booked.get(i)) is None:
                continue
            for k in sorted(range(len(week)), key=lambda k: (week[k].date, k)):
                if week[k].date >= week[j].date:
                    break
                if core[i][k] < core[i][j] or (i, k) not in load_on:
                    continue
                other = None
                if loads[k] + load_on[i, k] > capacity[k]:  # a less valuable patient there who keeps
                    other = next(  # their tier on i's list, room allowing
                        (
                            o
                            for o in sorted(on_list.get(k, ()), key=lambda o: (best[o], o))
                            if best[o] < best[i]
                            and (o, j) in load_on
                            and core[o][j] >= core[o][k]
                            and loads[k] - load_on[o, k] + load_on[i, k] <= capacity[k]
                            and loads[j] - load_on[i, j] + load_on[o, j] <= capacity[j]
                        ),
                        None,
                    )
                    if other is None:
                        continue
                    loads[k] -= load_on[other, k]
                    loads[j] += load_on[other, j]
                    on_list[k].discard(other)
                    on_list[j].add(other)
                    booked[other] = j
                loads[j] -= load_on[i, j]
                loads[k] += load_on[i, k]
                on_list[j].discard(i)
                on_list.setdefault(k, set()).add(i)
                booked[i] = k
                break
        for i in order:  # room freed by moving earlier
            if i not in booked:
                place(i, earliest)
        for i in order:  # room made for the urgent by moving another to a list they can use
            if i not in booked and best[i] >= urgent:
                make_room(i, booked, on_list, loads)
        return booked

    lists_of = [[j for j in range(len(week)) if (i, j) in load_on] for i in range(len(candidates))]
    smallest = min(load_on.values(), default=0)

    def make_room(i, booked, on_list, loads) -> None:
        """Book ``i`` on a full list by moving a patient there to another list of theirs, into its
        room or in place of the least valuable there, when the plan's value rises: a P1 whom any list
        serves had taken the elective lists a P2 could only use, and at a large trust's size the
        solver did not undo it (an outside check). The first such move, the best list for ``i`` first."""
        # the least valuable patient on each list, or none where any case still fits (no one need go)
        least = {
            m: min((values[x][m], x) for x in on_list[m]) if on_list.get(m) else None
            for m in range(len(week))
        }
        least = {m: None if loads[m] + smallest <= capacity[m] else v for m, v in least.items()}
        if all(v is not None and v[0] >= best[i] + 6 for v in least.values()):
            return  # a move makes room only by putting out someone worth more (6: the week's days)
        for k in sorted(lists_of[i], key=lambda k: earliest(i, k), reverse=True):
            for o in sorted(on_list.get(k, ()), key=lambda o: (values[o][k], o)):
                if loads[k] - load_on[o, k] + load_on[i, k] > capacity[k]:
                    continue
                gain = values[i][k] - values[o][k]  # before o's value on their new list
                for m in lists_of[o]:
                    if m == k:
                        continue
                    out = None
                    if loads[m] + load_on[o, m] > capacity[m]:
                        out = least[m] and least[m][1]
                        if (
                            out is None
                            or out == o
                            or loads[m] - load_on[out, m] + load_on[o, m] > capacity[m]
                        ):
                            continue
                    if gain + values[o][m] - (0 if out is None else values[out][m]) <= 0:
                        continue
                    if out is not None:
                        loads[m] -= load_on[out, m]
                        on_list[m].discard(out)
                        del booked[out]
                    loads[k] += load_on[i, k] - load_on[o, k]
                    loads[m] += load_on[o, m]
                    on_list[k].discard(o)
                    on_list[k].add(i)
                    on_list.setdefault(m, set()).add(o)
                    booked[o], booked[i] = m, k
                    return

    tried = [plan(earliest, dict(start))] + ([] if start else [plan(latest, {})])
    kept = max(tried, key=lambda booked: sum(values[i][j] for i, j in booked.items()))
    return set(kept.items())


def scores_table(plans: Sequence[Plan]) -> pd.DataFrame:
    """Plans side by side: one row per measure, one column per plan."""
    rows = {}
    for plan in plans:
        s = plan.score
        rows[plan.method] = {
            "cases booked": s.booked,
            "cases a list": round(s.cases_a_list, 2),
            "due in the month": s.due_in_month,
            "breaches in the month": s.breaches_in_month,
            "due in the month, booked by their due date": s.breaches_avoided,
            # said in full: "P2 breaches 0" had read as no P2 booked late beside 31 already past due
            # before the month, booked in it (an outside check); those are the past-due rows' below
            "P1 falling due in the month, booked after it or not booked": s.p1_breaches,
            "P2 falling due in the month, booked after it or not booked": s.p2_breaches,
            "P1 due by the month's end, not booked": s.p1_not_booked,
            "P2 due by the month's end, not booked": s.p2_not_booked,
            # P1-P4 (P5 and P6 are not booked) on the month's first day: not the page's month-end P1-P3
            "past their due date on the month's first day (P1-P4)": s.past_due_at_start,
            "past their due date on the month's first day, booked": s.past_due_booked,
            "waiting more than 52 weeks at the start": s.long_waiters_at_start,
            "waiting more than 52 weeks, booked": s.long_waiters_booked,
            "reaching 52 weeks in the month": s.reaching_long_wait,
            "reaching 52 weeks in the month, booked by then": s.reaching_long_wait_in_time,
            "expected minutes booked": round(s.minutes_booked),
            "list minutes": s.list_minutes,
            "utilisation %": round(100 * s.utilisation, 1),
            "worst over-run chance %": round(100 * s.worst_overrun_chance, 1),
        }
    return pd.DataFrame(rows).rename_axis("measure").reset_index()
