"""Capacity for a target: how many extra treatments a week, from when, to reach it by a date.

Solved with the weeks-waited projection (:mod:`weeks_waited`), not guessed: for a start month, the
smallest constant uplift (treatments a week, every month from the start to the target month) whose
projection meets the target in the target month, found by bisection. Assumptions, stated wherever
the answer is shown:

- the extra treatments go to the longest waiters first (the return and the aggregate list carry no
  clinical priority: urgent patients are taken to be treated within their target from the present
  capacity, as they are today), none to a patient waiting fewer than the calibration's
  ``soonest_extra_days``;
- demand and present capacity are as projected (the inputs to :func:`weeks_waited.project`), and
  people renege at the calibrated rates;
- meeting the target is monotone in the uplift (more treatments never lengthen a wait), which is
  what makes bisection exact to its tolerance.

Extra cases become extra theatre lists a week with the department's own cases per list, counting
only the operations among them: the share of those waiting over 18 weeks with a decision to admit
(:class:`AdmittedShare`), where the data say it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.waitinglist.stats import PRIORITY_TARGETS
from stocktake.waitinglist.weeks_waited import (
    Redistribution,
    RenegeCapacityParams,
    WaitingList,
    WeeksProjection,
    WeeksWaited,
    project,
)

#: "No 52-week waiters": fewer than half a patient in the model (a fraction is no one).
NO_WAITERS_BELOW = 0.5
#: The uplift is found to within this many treatments a week.
TOLERANCE = 0.01


@dataclass(frozen=True)
class WaitTarget:
    """What the list must show in ``by``: at least ``pct_within_18_weeks``, or no 52-week waiters."""

    by: pd.Period
    pct_within_18_weeks: float | None = None
    no_52_week_waiters: bool = False

    def __post_init__(self):
        if (self.pct_within_18_weeks is None) == (not self.no_52_week_waiters):
            raise ValueError("a target is either a % within 18 weeks or no 52-week waiters, one of the two")
        if self.pct_within_18_weeks is not None and not 0 < self.pct_within_18_weeks <= 100:
            raise ValueError("the % within 18 weeks must be more than 0 and at most 100")

    def describe(self) -> str:
        if self.no_52_week_waiters:
            return f"no 52-week waiters by {self.by}"
        return f"{self.pct_within_18_weeks:g}% within 18 weeks by {self.by}"

    def measure(self, waiting_list: WaitingList) -> float:
        summary = waiting_list.summary()
        if self.no_52_week_waiters:
            return summary.over_52_weeks
        # An emptied list has everyone (no one) within 18 weeks.
        return 100.0 if summary.waiting <= 0 else summary.pct_within_18_weeks

    def met(self, waiting_list: WaitingList) -> bool:
        value = self.measure(waiting_list)
        if self.no_52_week_waiters:
            return value < NO_WAITERS_BELOW
        return value >= self.pct_within_18_weeks - 1e-9


@dataclass(frozen=True)
class CapacityAnswer:
    """The uplift that meets the target from ``start`` (the least tenth of a treatment a week, so it is
    said as found), or ``None`` where no uplift can."""

    target: WaitTarget
    start: pd.Period
    extra_per_week: float | None
    baseline: float
    achieved: float | None
    cases_per_list: float | None
    #: The target month's list without and with the uplift: what the figures above are read from (an
    #: export hides them where that list's counts would give a small one away).
    baseline_list: WeeksWaited | None = None
    achieved_list: WeeksWaited | None = None
    #: Which of the extra treatments are operations; None: all of them (the data do not say).
    admitted: AdmittedShare | None = None

    @property
    def whole_cases_per_week(self) -> int | None:
        return None if self.extra_per_week is None else math.ceil(self.extra_per_week - 1e-9)

    @property
    def lists_per_week(self) -> float | None:
        if self.extra_per_week is None or not self.cases_per_list:
            return None
        share = 1.0 if self.admitted is None else self.admitted.share
        return self.extra_per_week * share / self.cases_per_list

    @property
    def lists_to_book(self) -> float | None:
        """Lists a week rounded up to a tenth (the page's step): 3.41 said as 3.4 would miss the target."""
        lists = self.lists_per_week
        return None if lists is None else round_up(lists, 1)


@dataclass(frozen=True)
class AdmittedShare:
    """Of those waiting over 18 weeks (whom the extra treatments go to, longest first), how many have
    a decision to admit: the share of the extra treatments that need a theatre list. A non-admitted
    pathway is treated in clinic or discharged, with no operation (ADR 61)."""

    admitted: int
    waiting: int
    #: Where the counts come from, as said beside the lists.
    source: str
    #: From a published return: nothing to hide (the counts are public already).
    published: bool = False

    def __post_init__(self):
        if not 0 <= self.admitted <= self.waiting or self.waiting <= 0:
            raise ValueError(
                "a share with a decision to admit needs someone waiting, and at most all of them"
            )

    @property
    def share(self) -> float:
        return self.admitted / self.waiting

    @property
    def not_admitted(self) -> int:
        return self.waiting - self.admitted


def admitted_share(admitted: int, waiting: int, source: str, published: bool = False) -> AdmittedShare | None:
    """The share, or None where it changes nothing: no one waiting over 18 weeks, or all of them with a
    decision to admit. (A list with no decision to admit recorded anywhere says nothing of who is to be
    operated on: its caller gives no share.)"""
    if waiting <= 0 or admitted >= waiting:
        return None
    return AdmittedShare(int(admitted), int(waiting), source, published)


#: A wait longer than this is over 18 weeks (126 days is within them, as the catalogue counts).
WITHIN_18_WEEKS_DAYS = 126


def admitted_of_pathways(pathways: pd.DataFrame, month: pd.Period) -> AdmittedShare | None:
    """From patient-level pathways: those waiting over 18 weeks at ``month``'s end, and those of them
    with a priority recorded (a decision to admit, ADR 60). None where no one waiting has a priority:
    such a list does not record decisions to admit, so it cannot say who needs an operation."""
    if "priority" not in pathways.columns:
        return None
    end = pd.Period(month, freq="M").end_time.normalize()
    started = pd.to_datetime(pathways["clock_start"])
    stopped = pd.to_datetime(pathways["clock_stop"])
    waiting = (started <= end) & (stopped.isna() | (stopped > end))
    decided = pathways["priority"].isin(PRIORITY_TARGETS)
    if not (waiting & decided).any():
        return None
    over = waiting & ((end - started).dt.days > WITHIN_18_WEEKS_DAYS)
    return admitted_share(
        int((over & decided).sum()),
        int(over.sum()),
        "from the pathways: a priority recorded, a decision to admit",
    )


def lists_assume(admitted: AdmittedShare | None, hidden: bool = False) -> str:
    """What turning extra treatments into theatre lists assumes, said wherever lists are given;
    ``hidden``: the share is not said (it would give 1–7 patients away)."""
    if admitted is None:
        return (
            "theatre lists count every extra treatment as an operation (a treatment without one, such as "
            "most non-admitted pathways', needs no list)"
        )
    share = "a share hidden: it would give 1–7 patients away" if hidden else f"{admitted.share:.0%}"
    return (
        "theatre lists count only the extra treatments of patients with a decision to admit, as many as "
        f"among those waiting over 18 weeks ({share}; {admitted.source}); the others are treated "
        "without an operation"
    )


def round_up(value: float, digits: int) -> float:
    """``value`` rounded up at ``digits`` decimals: an uplift said or written must still meet its target."""
    scale = 10**digits
    return math.ceil(value * scale - 1e-9) / scale


def extra_by_month(months: list[pd.Period], start: pd.Period, per_week: float) -> np.ndarray:
    """``per_week`` extra treatments in every month from ``start``, scaled by each month's days."""
    return np.array([per_week * m.days_in_month / 7 if m >= start else 0.0 for m in months])


def _projection(origin, referrals, capacity, params, redistribution, months, start, per_week):
    return project(
        origin, referrals, capacity, params, redistribution, extra_by_month(months, start, per_week)
    )


def capacity_for_target(
    origin: WaitingList,
    referrals,
    capacity,
    params: RenegeCapacityParams,
    target: WaitTarget,
    start: pd.Period,
    cases_per_list: float | None = None,
    redistribution: Redistribution = "evenly",
    tolerance: float = TOLERANCE,
    admitted: AdmittedShare | None = None,
) -> CapacityAnswer:
    """The least constant uplift a week from ``start`` meeting ``target``, to a tenth of a treatment
    (bisection on the projection, then the tenth either side of it).

    ``referrals`` and ``capacity`` run month by month from the month after the origin to the target
    month at least. ``cases_per_list`` and ``admitted`` only turn the answer into theatre lists.
    """
    start, by = pd.Period(start, freq="M"), pd.Period(target.by, freq="M")
    horizon = (by - origin.month).n
    if horizon < 1:
        raise ValueError(f"the target month {by} is not after the list's month {origin.month}")
    if not origin.month < start <= by:
        raise ValueError(f"the start month {start} must fall after {origin.month} and by {by}")
    referrals = np.asarray(referrals, dtype=float)[:horizon]
    capacity = np.asarray(capacity, dtype=float)[:horizon]
    if len(referrals) < horizon or len(capacity) < horizon:
        raise ValueError(f"referrals and capacity are needed for {horizon} months, to {by}")
    months = [origin.month + k for k in range(1, horizon + 1)]

    def meets(per_week: float) -> tuple[bool, float, WeeksWaited]:
        end = _projection(origin, referrals, capacity, params, redistribution, months, start, per_week)
        reached = end.steps[-1].waiting_list
        return target.met(reached), target.measure(reached), reached.summary()

    met, baseline, without = meets(0.0)
    if met:
        return CapacityAnswer(
            target, start, 0.0, baseline, baseline, cases_per_list, without, without, admitted
        )
    # An uplift that treats the whole list and every referral from the start is an upper bound on need.
    high = max(1.0, (origin.total + referrals.sum()) / 4.0)
    met, achieved, reached = meets(high)
    if not met:
        return CapacityAnswer(target, start, None, baseline, None, cases_per_list, without, admitted=admitted)
    low = 0.0
    while high - low > tolerance:
        middle = (low + high) / 2
        ok, value, summary = meets(middle)
        if ok:
            high, achieved, reached = middle, value, summary
        else:
            low = middle
    # Said to a tenth, the answer is the least tenth that meets the target, with what that tenth
    # reaches: an exact 303.72 said as 303.8 had been shown beside what 303.72 reached.
    tenth = math.floor(high * 10 + 1e-9) / 10
    if tenth < high - 1e-12:
        ok, value, summary = meets(tenth)
        if not ok:
            tenth = round(tenth + 0.1, 1)
            ok, value, summary = meets(tenth)
        achieved, reached = value, summary
    return CapacityAnswer(
        target, start, tenth, baseline, achieved, cases_per_list, without, reached, admitted
    )


def capacity_by_start(
    origin: WaitingList,
    referrals,
    capacity,
    params: RenegeCapacityParams,
    target: WaitTarget,
    cases_per_list: float | None = None,
    redistribution: Redistribution = "evenly",
    admitted: AdmittedShare | None = None,
) -> list[CapacityAnswer]:
    """ "From when": the uplift needed for every start month from next month to the target month."""
    by = pd.Period(target.by, freq="M")
    starts = pd.period_range(origin.month + 1, by, freq="M")
    return [
        capacity_for_target(
            origin, referrals, capacity, params, target, s, cases_per_list, redistribution, admitted=admitted
        )
        for s in starts
    ]


def projection_with(
    origin: WaitingList,
    referrals,
    capacity,
    params: RenegeCapacityParams,
    answer: CapacityAnswer,
    redistribution: Redistribution = "evenly",
) -> WeeksProjection:
    """The projection with the answer's uplift applied (to show, and to re-check, it)."""
    referrals = np.asarray(referrals, dtype=float)
    months = [origin.month + k for k in range(1, len(referrals) + 1)]
    per_week = answer.extra_per_week or 0.0
    return _projection(origin, referrals, capacity, params, redistribution, months, answer.start, per_week)


def answers_table(answers: list[CapacityAnswer]) -> pd.DataFrame:
    """One row per start month: the uplift a week (and in lists, rounded up) and what it achieves."""
    return pd.DataFrame(
        [
            {
                "start": str(a.start),
                "target": a.target.describe(),
                "extra_per_week": None if a.extra_per_week is None else round_up(a.extra_per_week, 2),
                "whole_cases_per_week": a.whole_cases_per_week,
                "cases_per_list": a.cases_per_list,
                "admitted_share": None if a.admitted is None else round(a.admitted.share, 4),
                "lists_per_week": None if a.lists_per_week is None else round_up(a.lists_per_week, 2),
                "without_uplift": round(a.baseline, 2),
                "with_uplift": None if a.achieved is None else round(a.achieved, 2),
            }
            for a in answers
        ]
    )


def beyond_present(
    extra_per_week: float | None, treatments_per_month: float, hidden: bool = False
) -> str | None:
    """A sentence when an uplift adds more than half to the treatments the service gives now: an
    answer of 416.7 a week beside 94 a week read as one more number (an analyst's check), and "1.0
    times" read as "the same" (a director's). ``hidden``: the uplift is "*", so the sentence gives no
    figure of it (the warning is most needed then). None otherwise."""
    present = treatments_per_month * 12 / 52
    if extra_per_week is None or present <= 0 or extra_per_week <= present / 2:
        return None
    more = extra_per_week / present
    adds = "more than half" if hidden else f"{more:.1f} times as many" if more >= 2 else f"{more:.0%}"
    return (
        f"That adds {adds} to the {present:,.1f} treatments a week the service gives now: a target this "
        "near may not be one to plan for; try a later month"
    )
