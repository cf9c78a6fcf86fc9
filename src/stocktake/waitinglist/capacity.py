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
only the operations among them: the share with a decision to admit among the longest waiters the
extra treatments reach (:class:`AdmittedShare`), where the data say it.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from stocktake.small_numbers import SMALL
from stocktake.waitinglist.stats import DEFERRED, PRIORITY_TARGETS
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
#: The extra treatments that are not operations, as said: what the data record is no decision to admit
#: (yet), not that no operation follows (an outside check: "without an operation" said it as fact).
NO_DECISION = "with no decision to admit yet"

#: The share with a decision to admit is read every this many of the longest waiters, a grid the list
#: alone fixes, so no two runs, targets or pages can be subtracted to a few patients (ADR 62).
SHARE_STEP = 50
#: How far from the extra treatments in all the grid point the share is read at may be: a tenth of
#: them, or half a step (the nearest point); a quarter had read 50 for 100 and the share halved.
SHARE_NEAR = 0.1
#: The uplift is found to within this many treatments a week.
TOLERANCE = 0.01


def share_words(pct: float) -> str:
    """A target share to a tenth, or to its hundredth where it has one ("95.0%", "75.64%": a recheck read
    "at least the target's 99.8%" of a target of 99.83%)."""
    return f"{pct:.1f}%" if round(pct, 1) == pct else f"{pct:.2f}%"


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

    def describe(self, month: Callable[[pd.Period], str] = str) -> str:
        """The target in words; ``month`` writes its month (YYYY-MM by default, as the command line
        does; "March 2026" on a page or in a report)."""
        if self.no_52_week_waiters:
            return f"no 52-week waiters by {month(self.by)}"
        return f"{self.pct_within_18_weeks:g}% within 18 weeks by {month(self.by)}"

    def measure(self, waiting_list: WaitingList) -> float:
        summary = waiting_list.summary()
        if self.no_52_week_waiters:
            return summary.over_52_weeks
        # An emptied list has everyone (no one) within 18 weeks.
        return 100.0 if summary.waiting <= 0 else summary.pct_within_18_weeks

    def met(self, waiting_list: WaitingList) -> bool:
        return self.met_by(self.measure(waiting_list))

    def met_by(self, value: float) -> bool:
        if self.no_52_week_waiters:
            return value < NO_WAITERS_BELOW
        return value >= self.pct_within_18_weeks - 1e-9

    def rounded(self, value: float, places: int) -> tuple[float, int]:
        """``value`` to ``places`` decimals, and the places used: to the nearest, unless that reads met
        when it is not, or missed when it is met (0.4999 waiters, under half a patient, to "0.50";
        91.96% beside 92% to "92.0%"); then rounded down at one more place, or as many more as it
        takes to read right ("0.499", "91.96%"; 49.1959% beside 49.196%: "49.19%"). Down at the
        same places had written 49.19586% as "49.1%" beside the "49.2%" of every other table."""
        met, nearest = self.met_by(value), round(value, places)
        if self.met_by(nearest) == met:
            return nearest, places
        for more in range(places + 1, places + 9):
            down = math.floor(value * 10**more + 1e-9) / 10**more
            if self.met_by(down) == met:
                return down, more
        return value, places + 9

    def written(self, value: float) -> str:
        """``value`` as said beside this target: 52-week waiters to a hundredth, a share to a tenth of a
        point, reading met exactly when it is (``rounded``)."""
        shown, places = self.rounded(value, 2 if self.no_52_week_waiters else 1)
        return f"{shown:,.{places}f}" if self.no_52_week_waiters else f"{shown:.{places}f}%"


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
    def treatments_in_all(self) -> float | None:
        """The extra treatments from the start to the target month's end."""
        if self.extra_per_week is None:
            return None
        months = pd.period_range(self.start, self.target.by, freq="M")
        return float(extra_by_month(list(months), self.start, self.extra_per_week).sum())

    @property
    def operations_share(self) -> float:
        """The share of the extra treatments that are operations: that among the longest waiters they
        reach (all of them where the data record no decision to admit)."""
        if self.admitted is None or not self.extra_per_week:
            return 1.0
        return self.admitted.share_of_longest(self.reach)

    @property
    def reach(self) -> float:
        """How many of the longest waiters the share is read among: the extra treatments in all, or
        from patient-level data the list's shown grid point nearest them (``AdmittedShare.grid_reach``)."""
        treated = self.treatments_in_all or 0.0
        return treated if self.admitted is None else self.admitted.grid_reach(treated)

    @property
    def operations_may_be_more(self) -> bool:
        """Whether the longest waiters reached have a decision to admit under half as often as the rest
        of the list (at least 8 of them with one): perhaps priorities not recorded for older pathways,
        so the operations said, and their lists, may be too few."""
        if self.admitted is None or not self.extra_per_week:
            return False
        rest = self.admitted.share_of_the_rest(self.reach)
        return rest is not None and rest[1] >= 8 and self.operations_share < rest[0] / 2

    @property
    def operations_per_week(self) -> float | None:
        return None if self.extra_per_week is None else self.extra_per_week * self.operations_share

    @property
    def lists_per_week(self) -> float | None:
        if self.operations_per_week is None or not self.cases_per_list:
            return None
        return self.operations_per_week / self.cases_per_list

    @property
    def lists_to_book(self) -> float | None:
        """Lists a week rounded up to a tenth (the page's step): 3.41 said as 3.4 would miss the target."""
        lists = self.lists_per_week
        return None if lists is None else round_up(lists, 1)


@dataclass(frozen=True)
class AdmittedShare:
    """Those waiting at the list's month by time waited, all of them and those with a decision to
    admit. The extra treatments go to the longest waiters first, so the share of them that
    are operations (and need a theatre list) is the share among the longest waiters they reach; a
    non-admitted pathway is treated in clinic or discharged, with no operation (ADR 61)."""

    #: By time waited, longest last (completed weeks from a return; days from patient-level data, so
    #: the longest are counted by the patient, not a week's band in proportion): everyone waiting,
    #: and those of them with a decision to admit.
    waiting: tuple[float, ...]
    admitted: tuple[float, ...]
    #: Where the counts come from, as said beside the lists.
    source: str
    #: From a published return: nothing to hide (the counts are public already).
    published: bool = False

    def __post_init__(self):
        if len(self.waiting) != len(self.admitted) or not sum(self.waiting) > 0:
            raise ValueError("a share with a decision to admit needs someone waiting, band by band")

    @cached_property
    def _cumulative(self) -> tuple[np.ndarray, np.ndarray]:
        """(waiting, with a decision to admit) counted from the longest down, band by band, from 0."""
        waiting, admitted = np.array(self.waiting[::-1]), np.array(self.admitted[::-1])
        kept = waiting > 0
        return (
            np.concatenate([[0.0], np.cumsum(waiting[kept])]),
            np.concatenate([[0.0], np.cumsum(admitted[kept])]),
        )

    @property
    def size(self) -> float:
        return float(self._cumulative[0][-1])

    def longest(self, n):
        """(with a decision to admit, all) among the ``n`` longest waiters (a number or an array): bands
        from the longest down, the band at the edge in proportion; everyone waiting when ``n`` is more
        than the list."""
        waiting, admitted = self._cumulative
        return np.interp(n, waiting, admitted), np.minimum(n, waiting[-1])

    @cached_property
    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """The list's grid points (every ``SHARE_STEP`` of the longest, the whole list last) and which
        of them may be shown from patient-level data. Taken in order, a point is hidden where its counts
        with and without a decision to admit, alone, less those of a point shown before it, or short of
        the whole list's (public in the statistics by priority), leave 1–7 of either (ADR 62)."""
        points = np.append(np.arange(SHARE_STEP, self.size, SHARE_STEP), self.size)
        decided, reached = self.longest(points)
        counts = np.column_stack([decided, reached - decided])
        whole, shown = counts[-1], np.zeros(len(points), dtype=bool)
        before: tuple[list[float], list[float]] = ([0.0], [0.0])  # each count of the points shown
        for k, count in enumerate(counts):
            # both counts only grow along the grid: one shown before within 8 below is the only risk
            near = any(
                bisect_left(b, c) > bisect_right(b, c - SMALL[1] - 1)
                for b, c in zip(before, count, strict=True)
            )
            short = whole - count  # the rest of the list
            if not near and not np.any((short > 0) & (short < SMALL[1] + 1)):
                shown[k] = True
                before[0].append(float(count[0]))
                before[1].append(float(count[1]))
        return points, shown

    def _grid_point(self, n: float) -> tuple[float, bool]:
        """(the grid point to read the share at for ``n`` extra treatments in all, whether it is
        hidden): the shown point nearest them within ``SHARE_NEAR`` of them (or half a step, or the
        nearest point at all, for under 25), else the nearest point, hidden. Treatments beyond the
        list reach the whole list."""
        points, shown = self.grid
        distance = np.abs(points - min(n, self.size))
        near = shown & (distance <= max(SHARE_STEP / 2, SHARE_NEAR * min(n, self.size), distance.min()))
        if near.any():
            return float(points[np.argmin(np.where(near, distance, np.inf))]), False
        return float(points[np.argmin(distance)]), True

    def grid_reach(self, n: float) -> float:
        """How many of the longest waiters to read the share among for ``n`` extra treatments in all:
        from a published return ``n`` itself (nothing to hide); else a point of a grid the list fixes
        (``grid``), so that what any run shows is the list's alone (ADR 62)."""
        return n if self.published else self._grid_point(n)[0]

    def share_hidden(self, n: float) -> bool:
        """Whether no grid point near ``n`` extra treatments in all may be shown (never for a return)."""
        return not self.published and self._grid_point(n)[1]

    def share_of_longest(self, n: float) -> float:
        admitted, taken = self.longest(max(n, 1.0))
        return admitted / taken

    def share_of_the_rest(self, n: float) -> tuple[float, float] | None:
        """(share, with a decision to admit) among those waiting beyond the ``n`` longest; None if none."""
        admitted, taken = self.longest(n)
        rest = self.size - taken
        if rest < 1.0:
            return None
        rest_admitted = self._cumulative[1][-1] - admitted
        return rest_admitted / rest, rest_admitted


def admitted_by_wait(
    waiting, admitted, source: str, published: bool = False, none_is_known: bool = False
) -> AdmittedShare | None:
    """The share's counts (a band's with a decision to admit at most its waiting), or None where no
    one is waiting, or no one waiting has a decision to admit recorded and ``none_is_known`` is not
    said: a list without priorities does not say who needs an operation; a return's Part 2A does (its
    missing lines are true zeros, as published returns leave empty lines out)."""
    waiting, admitted = np.asarray(waiting, dtype=float), np.asarray(admitted, dtype=float)
    if not waiting.sum() > 0 or not (admitted.sum() > 0 or none_is_known):
        return None
    admitted = np.minimum(admitted, waiting)
    return AdmittedShare(tuple(waiting.tolist()), tuple(admitted.tolist()), source, published)


def admitted_of_pathways(pathways: pd.DataFrame, month: pd.Period) -> AdmittedShare | None:
    """From patient-level pathways: those waiting at ``month``'s end by days waited, and those of
    them with a priority recorded (a decision to admit, ADR 60); None where no one waiting
    has one (such a list does not record decisions to admit)."""
    if "priority" not in pathways.columns:
        return None
    end = pd.Period(month, freq="M").end_time.normalize()
    started = pd.to_datetime(pathways["clock_start"])
    stopped = pd.to_datetime(pathways["clock_stop"])
    waiting = ((started <= end) & (stopped.isna() | (stopped > end))).to_numpy()
    days = (end - started[waiting]).dt.days.to_numpy(dtype=int)
    decided = pathways["priority"].isin(PRIORITY_TARGETS).to_numpy()[waiting]
    deferred = pathways["priority"].isin(DEFERRED).to_numpy()[waiting].any()
    size = int(days.max()) + 1 if len(days) else 1
    return admitted_by_wait(
        np.bincount(days, minlength=size),
        np.bincount(days[decided], minlength=size),
        "from the pathways: a priority recorded is a decision to admit, a blank one none"
        + (
            "; P5 and P6, deferred at the patient's choice, count as operations, though they take a list "
            "only once ready (a target is reached only if those among the longest waiters are ready by "
            "then), and the theatre plan does not book them"
            if deferred
            else ""
        ),
    )


def _percent(share: float) -> str:
    """A share as said: a whole per cent, or one decimal within 1% of none or all (0% beside 0.1 lists,
    and 100% beside 0.2 treatments with no decision to admit, read wrong)."""
    return f"{share:.1%}" if 0 < share < 0.01 or 0.99 < share < 1 else f"{share:.0%}"


def _amount(value: float) -> str:
    """A tenth of a treatment, or "under 0.1" (0.0 operations beside 0.1 lists read wrong)."""
    return "under 0.1" if 0 < value < 0.05 else f"{value:.1f}"


def lists_words(answer: CapacityAnswer, mask: str | None = None) -> str:
    """The answer's extra treatments as theatre lists, said the same on the console, page and report:
    the operations among them and their lists, and the others, which need clinic capacity instead.
    Without cases a list (no theatre history), the operations and the others alone. ``mask``: what to
    say instead of the figures (they would give 1–7 patients away)."""
    if answer.extra_per_week is None:
        return ""
    # the headline carries the assumptions' warning that older pathways' priorities may be missing;
    # beside a hidden share, always (whether it applies is a bit of the share)
    may_be_more = answer.operations_may_be_more or mask is not None
    more = ", or more if older pathways' priorities are missing" if may_be_more else ""
    if answer.lists_to_book is None:
        lists = ""
    else:
        lists = f"{mask or f'{answer.lists_to_book:.1f}'} extra theatre lists a week, rounded up to a tenth, "
        lists += f"at {answer.cases_per_list:.2f} cases a list"
    if answer.admitted is None:
        return lists and f"{lists}, counting every one as an operation"
    clinic = f"{NO_DECISION}, in clinic capacity Stocktake does not plan"
    between = f": {lists};" if lists else ","
    if mask:  # before "every one an operation", which had given a hidden share of 100% away
        return f"{mask} of them operations{more}{between} the other {mask} a week {clinic}"
    if answer.operations_share >= 1:
        return f"{lists}: every one an operation" if lists else "every one an operation"
    operations = answer.operations_per_week or 0.0
    if operations <= 0:
        some = ", or some if older pathways' priorities are missing" if answer.operations_may_be_more else ""
        every = f"all {answer.extra_per_week:.1f} a week {clinic}"
        return f"none of them operations{some}, so no theatre lists: {every}"
    others = _amount(answer.extra_per_week - operations)
    return f"{_amount(operations)} of them operations{more}{between} the other {others} a week {clinic}"


def lists_assume(
    admitted: AdmittedShare | None,
    answer: CapacityAnswer | None = None,
    hidden: bool = False,
) -> str:
    """What turning extra treatments into theatre lists assumes, said wherever lists are given (or,
    without cases a list, what the operations said rest on), with the answer's own share where there
    is an uplift; ``hidden``: neither the share nor how many the uplift reaches is said (either would
    give 1–7 patients away, or the hidden uplift back; the small-number rules are the caller's)."""
    lists = answer is None or bool(answer.cases_per_list)  # else the operations are said without lists
    if admitted is None:
        so = (
            "theatre lists count every extra treatment as an operation, and may be more than the "
            "operations need"
            if lists
            else "which extra treatments need an operation is not known"
        )
        return (
            "the extra treatments go to the longest waiters first; these data record no decision to admit "
            f"(no priority recorded for those waiting, or no Part 2A in the return), so {so}"
        )
    said = (
        "theatre lists count only the operations: the extra treatments go to the longest waiters first, "
        f"and only those of them with a decision to admit ({admitted.source}) need a list"
        if lists
        else "the extra treatments go to the longest waiters first, and those of them with a decision to "
        f"admit ({admitted.source}) are the operations"
    )
    if answer is None or not answer.extra_per_week:
        return said
    reach = answer.reach
    rest = admitted.share_of_the_rest(reach)
    fewer = answer.operations_may_be_more and not hidden  # beside a hidden share, one bit of it
    if hidden:
        # the same words whatever the share: whether it is far below the rest's had been one more bit
        # of a hidden share (an outside check)
        said += (
            "; the share with one among the longest waiters reached is hidden (it, or how many they are, "
            "would give 1–7 patients away), and so is how it compares with the rest of the list: if "
            "priorities were not recorded for older pathways, more of them need an operation than the "
            "data say" + (", and more lists" if lists else "")
        )
    else:
        said += (
            f"; of the {round(reach):,} longest waiting now ({_reach_basis(admitted, answer)}), "
            f"{_percent(answer.operations_share)} have one"
        )
        if fewer:  # the rest are never 1-7 at a point shown (``AdmittedShare.grid``)
            said += f", against {_percent(rest[0])} of the rest of the list"
    if fewer:
        said += (
            ": if priorities were not recorded for older pathways, more of them need an operation than "
            "this says" + (", and the lists are too few" if lists else "")
        )
    if answer.operations_share >= 1 and not hidden:
        return said
    return (
        f"{said}; the others, {NO_DECISION}, are for clinic capacity Stocktake does not plan (any listed "
        "for an operation later would need a list too)"
    )


def _reach_basis(admitted: AdmittedShare, answer: CapacityAnswer) -> str:
    """How the reach said beside the share was found (``AdmittedShare.grid_reach``)."""
    if admitted.published:
        return "as many as the extra treatments in all"
    whole = "all of them; " if answer.reach >= admitted.size else ""
    return (
        f"{whole}the extra treatments in all are {answer.treatments_in_all or 0:,.0f}; the share is read "
        f"among a multiple of {SHARE_STEP} of the longest, the nearest that gives no 1–7 patients away"
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
                "operations_share": round(a.operations_share, 4) if a.extra_per_week else None,
                "lists_per_week": None if a.lists_per_week is None else round_up(a.lists_per_week, 2),
                "lists_to_book": a.lists_to_book,  # as the screen, page and report say them
                "without_uplift": a.target.rounded(a.baseline, 2)[0],
                "with_uplift": None if a.achieved is None else a.target.rounded(a.achieved, 2)[0],
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
