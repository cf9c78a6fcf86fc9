"""One-off months: a validation sweep, a transfer of patients, read on the list's other removals
(clock starts less stops less the list's change), and the list's return after a sweep (ADR 0067).

Both models would otherwise carry a sweep on as the list's trend. :func:`unusual_runs` finds the months;
:func:`without_one_offs` is the history the models are fitted on; :func:`coming_back` and
:func:`may_come_back` are what the central path and the interval carry of a return; :func:`one_offs_said`
says it all in words for every place the projection is shown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy.stats import siegelslopes

from stocktake.small_numbers import SMALL
from stocktake.waitinglist.history import History
from stocktake.waitinglist.windows import GROWTH_MONTHS, LEVEL_MONTHS

if TYPE_CHECKING:
    from stocktake.waitinglist.projection import FlowModel

#: A month's other removals (clock starts less stops less the list's change: validation, reneges) this
#: many robust standard deviations (1.4826 × the median absolute deviation) from their usual count are
#: unlike every other month (one in some 3.5 million of a normal spread).
ONE_OFF_SPREADS = 5.0
#: Nor is a month a one-off unless it moved the list by at least this share of it beyond its usual
#: (less, carried on for a year, changes the projection little), by more than a small number (the
#: one-off's size is said wherever the projection is, exports too), and by at least twice as many as
#: usually leave: a sweep multiplies the month's removals (a tenth of the list is eight times a trust's
#: usual month), and a month of removals merely noisy seldom reaches three times the usual (14 of 200
#: histories of 48 months whose removals vary by half their mean, each month alone; 0 by a third).
ONE_OFF_SHARE = 0.01
#: More such months in a row, one way, are a change in the flows, not a one-off: said, and kept in the
#: history as they were; and more such one-offs one way in the months read recur: the list's usual way.
ONE_OFF_MONTHS = 2
#: A year of months with clock starts at least to read a month's usual count and its spread from (a
#: year of monthly returns gives 11 months' flows; a trust's warehouse may hold no more).
ONE_OFF_FROM_MONTHS = 11
#: The months after a sweep are read as the list coming back (those swept who would have left then
#: all the same) only when their removals fall this many spreads (of their sum) short of usual.
RETURN_SPREADS = 2.0
#: The rest of a return seen goes on at its pace over this many latest months seen: a return that
#: stops early shows in them (carried at the pace of all months seen, a return that stopped after three
#: months was carried on for the whole turnover). The projection carries it on, as ADR 55's premise
#: has it; the interval reaches down to its stopping now (carried on, with the interval about it alone,
#: the truth fell outside it in half the months where the return had stopped: an outside check).
RETURN_PACE_MONTHS = 3
#: A return seen may be slower than the turnover, up to this many times as long: the interval's high end
#: reaches it (an outside check: a return over twice the turnover fell above the interval). Past that
#: the months seen have shown it over (a check: reaching on years later, for a return long stopped).
SLOWER_TURNOVERS = 2
#: How long the list would take to come back after a sweep is its turnover, within these bounds.
TURNOVER_MONTHS = (1.0, 24.0)
#: A one-off month and the next the other way, each within this share of the other's size, are a month
#: misreported (a return partial, scaled or counted twice, and the next as it should be), not a sweep
#: and a transfer: an analyst's scaled month was said as both, and a sweep's return was looked for.
MISREPORTED_WITHIN = 0.25
#: Too few months to read one-offs from, a month whose other removals lie this share of the list or
#: more from the other months' median is named as a likely one: England's other removals run at 2.6–7.7%
#: of the list a month (5th to 95th percentile, 2015–2019), a sweep at a tenth or more. Named, not left
#: out: with no usual count to judge by, the analyst decides (an outside check: two or three returns
#: with a sweep among them projected the list 40–64% down in a year, said only as large reneges).
SHORT_RUN_ONE_OFF = 0.05


@dataclass(frozen=True)
class OneOff:
    """A month the list moved by ``excess`` beyond what its flows usually bring: below 0 a validation
    sweep (or patients moved to another provider), above 0 a transfer in. The list stays moved by it
    (a step): whether those swept would have left later all the same (ADR 55) or never, the sweep's
    month cannot tell, and a step that stays errs least either way (ADR 67). The months after can:
    ``turnover`` (months: the list over its treatments a month) is how long the list would take to
    come back, had they been going to leave anyway, and ``returned`` what it has come back by in the
    months seen since; the rest is projected at that pace (:meth:`coming_back`). None seen: said, not
    projected."""

    month: pd.Period
    excess: float
    turnover: float = 1.0
    #: The list's return in each month after a sweep, within its turnover: removals short of their
    #: usual count there, up to the sweep in all (those swept who would have left then all the same);
    #: NaN where a month was not seen (its flows not known, or itself unusual).
    returned: tuple[float, ...] = ()
    #: Months after a sweep, within its turnover, whose removals were seen, whether a return showed.
    watched: int = 0
    #: One of a month and the next moving the list about equally and oppositely (:data:`MISREPORTED_WITHIN`):
    #: a month misreported; no return is looked for after it.
    misreported: bool = False

    @property
    def seen(self) -> int:
        """Months after the sweep whose return was read."""
        return int(np.isfinite(self.returned).sum())

    @property
    def came_back(self) -> dict[pd.Period, float]:
        """The return by month, for the months seen."""
        return {self.month + k: b for k, b in enumerate(self.returned, start=1) if np.isfinite(b)}

    @property
    def back(self) -> float:
        """What the list has come back by since the sweep."""
        return float(np.nansum(self.returned))

    def coming_back(self, months_ahead: int, months_left: int | None = None) -> np.ndarray:
        """The rest of the return after the months seen, by month ahead (cumulative), were it to go on
        at the pace of the latest months seen (:data:`RETURN_PACE_MONTHS`) for ``months_left`` more
        months (by default to the end of the turnover), to the sweep in all; none before a month is
        seen."""
        if self.excess >= 0 or self.seen == 0:
            return np.zeros(months_ahead)
        left = round(self.turnover) - len(self.returned) if months_left is None else months_left
        months = np.minimum(np.arange(1, months_ahead + 1), max(0, left))
        seen = np.asarray(self.returned)[np.isfinite(self.returned)][-RETURN_PACE_MONTHS:]
        return np.clip(months * seen.mean(), 0.0, max(-self.excess - self.back, 0.0))

    def coming_slower(self, months_ahead: int, since: int) -> np.ndarray:
        """A sweep ``since`` months before the origin: what a return seen would add beyond
        :meth:`coming_back` were it slower than the turnover, up to twice it (past that, the months seen
        since have shown it stopped), by month ahead (cumulative)."""
        slower = self.coming_back(months_ahead, SLOWER_TURNOVERS * round(self.turnover) - since)
        return np.maximum(slower - self.coming_back(months_ahead), 0.0)

    def may_come_back(self, months_ahead: int, since: int) -> np.ndarray:
        """A sweep ``since`` months before the origin with no return seen: the most its return could
        still be, by month ahead (cumulative), had those swept been going to leave evenly over the
        turnover (the interval's upper end reaches it; the central path does not)."""
        left = round(self.turnover) - since
        if self.excess >= 0 or self.seen or left <= 0 or self.misreported:
            return np.zeros(months_ahead)
        return np.minimum(np.arange(1, months_ahead + 1), left) * -self.excess / round(self.turnover)


@dataclass(frozen=True)
class Run:
    """Unusual months read together (:func:`unusual_runs`): one or two a sweep's ``"one-off"``; three
    or more months of a ``"change"`` in removals; or one-offs alike that ``"recur"`` (a quarterly
    validation). Only one-offs are taken out of what the models read."""

    months: tuple[OneOff, ...]
    kind: Literal["one-off", "change", "recur"]

    @property
    def excess(self) -> float:
        return sum(o.excess for o in self.months)


def unusual_runs(history: History, months: int = GROWTH_MONTHS) -> tuple[Run, ...]:
    """Runs of months, among the latest ``months`` (those the models read) whose flows are known,
    whose other removals were far beyond their usual count, one way: a validation sweep, patients
    moved to or from another provider, or (three months and more) a change in how the list is kept.
    Read on other removals, which a sweep multiplies, as counts: not as a share of the starts (a
    month of few referrals is no sweep) nor of the list (a list run down with removals steady is no
    change in them); not on the list's change, which moves as much in a usual month at a trust."""
    _, judged, other = _other_removals(history, months)
    if len(judged) < ONE_OFF_FROM_MONTHS:
        return ()
    usual = _usual_removals(other, history.waiting[judged], judged)
    beyond = other - usual  # removed beyond the usual, in patients
    # a count varies by the square root of its mean at least (Poisson): a small list's few removals
    # have a median absolute deviation of 1 or 2, and a month of 12 beside a usual 4 is not a sweep
    spread = np.maximum(1.4826 * np.median(np.abs(beyond)), np.sqrt(np.maximum(usual, 0.0)))
    strong = (
        (np.abs(beyond) > ONE_OFF_SPREADS * spread)
        & (np.abs(beyond) >= np.maximum(ONE_OFF_SHARE * history.waiting[judged], SMALL[1] + 1))
        & (np.abs(beyond) >= 2 * np.abs(usual))
    )
    stops = sum(history.stops.values())
    raised = np.abs(beyond) >= np.maximum(np.abs(usual), SMALL[1] + 1)
    runs: list[Run] = []

    def run(positions, kind: Literal["one-off", "change", "recur"]) -> Run:
        return Run(tuple(_one_off(history, judged[j], -float(beyond[j]), stops) for j in positions), kind)

    for block in _blocks(judged, np.where(raised | strong, np.sign(beyond), 0)):
        if not strong[block].any():
            continue
        # the block's peaks: its months of half its largest excess or more. One or two of them are a
        # sweep; the rest of the block, three strong months or more, a change it sits in, else its
        # tail of a few more, kept as usual months. Three peaks or more: the whole block a change.
        peaks = [j for j in block if abs(beyond[j]) >= np.abs(beyond[block]).max() / 2]
        unknown = int(judged[block[-1]] - judged[block[0]]) + 1 - len(block)  # counted as peaks: not known
        if len(peaks) + unknown > ONE_OFF_MONTHS:
            runs.append(run(block, "change"))
            continue
        if one := [j for j in peaks if strong[j]]:
            runs.append(run(one, "one-off"))
        rest = [j for j in block if j not in peaks]
        if sum(strong[j] for j in rest) > ONE_OFF_MONTHS:
            runs.append(run(rest, "change"))
    for sign in (-1, 1):  # three sweeps or more one way, alike in size, recur: the list's usual way
        sweeps = [r for r in runs if r.kind == "one-off" and np.sign(r.excess) == sign]
        sizes = [abs(r.excess) for r in sweeps]
        if len(sweeps) > ONE_OFF_MONTHS and max(sizes) <= 2 * min(sizes):
            runs = [Run(r.months, "recur") if r in sweeps else r for r in runs]
    short = {history.months[j]: -float(beyond[k]) for k, j in enumerate(judged)}
    runs = _misreported(sorted(runs, key=lambda r: r.months[0].month))
    return _with_returns(runs, short, float(np.median(spread)))


def _misreported(runs: list[Run]) -> list[Run]:
    """The runs, a one-off month and the next one-off month the other way, about as large
    (:data:`MISREPORTED_WITHIN`), each marked ``misreported``."""
    ones = {r.months[0].month: r.months[0] for r in runs if r.kind == "one-off" and len(r.months) == 1}
    paired: set[pd.Period] = set()
    for month, first in ones.items():
        after = ones.get(month + 1)
        if after is None or np.sign(after.excess) == np.sign(first.excess):
            continue
        if abs(first.excess + after.excess) <= MISREPORTED_WITHIN * max(abs(first.excess), abs(after.excess)):
            paired |= {month, month + 1}
    return [
        Run(tuple(dataclasses.replace(o, misreported=True) for o in r.months), r.kind)
        if r.kind == "one-off" and r.months[0].month in paired
        else r
        for r in runs
    ]


def _likely_one_off(history: History, judged: np.ndarray, other: np.ndarray) -> str:
    """ ", but …" naming the month whose other removals are the largest share of the list before it,
    when they lie :data:`SHORT_RUN_ONE_OFF` of it or more from the other months' median (from two
    months' flows; with two, the larger is the unusual one: a sweep or a transfer dwarfs a month's
    usual removals), or ""."""
    before = history.waiting[judged - 1]
    if len(judged) < 2 or not (before > 0).all():
        return ""
    k = int(np.argmax(np.abs(other) / before))
    apart = other[k] - np.median(np.delete(other, k))
    if abs(apart) < SHORT_RUN_ONE_OFF * before[k]:
        return ""
    month = _month_words(history.months[judged[k]])
    return (
        f", but the list in {month} {'fell' if apart > 0 else 'rose'} {abs(apart):,.0f} "
        f"({abs(apart) / before[k]:.0%} of it) further than its flows and the other months' removals "
        "explain: if that was a validation sweep or a transfer, start from that month (its list the first, "
        "the sweep behind it); read as a usual month, it is carried on"
    )


def _other_removals(history: History, months: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The latest ``months`` months' positions (the first month has no change to read), those of them
    whose flows are known, and their other removals."""
    window = np.arange(max(1, len(history) - months), len(history))
    other = history.clock_starts[window] - history.net_additions[window]
    known = np.isfinite(other) & np.isfinite(history.waiting[window])
    return window, window[known], other[known]


NOT_LOOKED_FOR = "one-off months (a validation sweep, a transfer) are not looked for"


def one_offs_unread(history: History, months: int = GROWTH_MONTHS) -> str | None:
    """Which of the latest ``months`` months could not be read for a one-off (:func:`unusual_runs`),
    in words, or None when each was: a sweep among them is carried on as the list's trend, as before
    ADR 0067, and an analyst should know that nothing was looked for rather than that nothing was
    found."""
    window, judged, other = _other_removals(history, months)
    if len(judged) < ONE_OFF_FROM_MONTHS:
        return (
            f"{NOT_LOOKED_FOR}: they are read on other "
            "removals (clock starts less stops less the list's change), whose flows are known for "
            f"{_months(len(judged))}{'' if len(judged) == len(window) else f' of the latest {len(window)}'}, "
            f"and {ONE_OFF_FROM_MONTHS} are needed" + _likely_one_off(history, judged, other)
        )
    unknown = np.setdiff1d(window, judged)
    if not unknown.size:
        return None
    unseen = spans_said(list(history.months[unknown]))
    return f"{unseen} not looked at for a one-off: a clock start or stop not known"


def _usual_removals(other: np.ndarray, waiting: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Each month's usual other removals: a robust line through them (Siegel's repeated medians), its
    slope no steeper than the list's own and no other way. A list that doubles doubles its removals,
    and a sweep early on was hidden beside a median of the later, larger months (an outside check
    missed a 3% sweep in 20 of 20 such lists). But removals that rise while the list falls are a
    change in them, not their usual way, and a list run down with removals steady is no change."""
    middle = np.median(other)
    slope = siegelslopes(other, months, method="separate").slope
    grows = siegelslopes(waiting, months, method="separate").slope / max(np.median(waiting), 1.0)
    slope = np.clip(slope, min(grows, 0.0) * abs(middle), max(grows, 0.0) * abs(middle))
    return np.median(other - slope * months) + slope * months


def _blocks(judged: np.ndarray, signs: np.ndarray) -> list[list[int]]:
    """Positions of consecutive calendar months whose ``signs`` are the same and not 0; a month whose
    flows are not known (not judged) between two of them does not split them (a blank start had turned
    a change into one-offs)."""
    blocks: list[list[int]] = []
    for j, sign in enumerate(signs):
        if sign == 0:
            continue
        last = blocks[-1][-1] if blocks else None
        if last is not None and signs[last] == sign and j == last + 1 and judged[j] - judged[last] <= 2:
            blocks[-1].append(j)
        else:
            blocks.append([j])
    return blocks


def _one_off(history: History, month: int, excess: float, stops: np.ndarray) -> OneOff:
    """A one-off at ``month`` (an index), with the list's turnover then: the list before it over its
    mean treatments a month in the year to it."""
    treated = float(np.nanmean(stops[max(0, month - LEVEL_MONTHS + 1) : month + 1]))
    turnover = history.waiting[month - 1] / treated if treated > 0 else TURNOVER_MONTHS[1]
    return OneOff(history.months[month], excess, float(np.clip(turnover, *TURNOVER_MONTHS)))


def _with_returns(runs: list[Run], short: dict[pd.Period, float], spread: float) -> tuple[Run, ...]:
    """The runs, each sweep with the list's return after it (``OneOff.returned``): the following
    months' removals ``short`` of usual over its turnover, their running total kept between none and
    the sweep; none unless those months fall short by more than noise would (RETURN_SPREADS of their
    spread) and by more than a small number. A month after two sweeps is shared between them by what
    each has still to come back; an unusual month, or one whose flows are not known, is not seen. A
    rise in the list over several months after a sweep, no larger than the sweeps it follows (noise
    apart), is their return, not patients joining (a return of more than twice the usual removals had
    been said as both); a larger one stays a change."""
    last = max([*short, *(o.month for run in runs for o in run.months)])
    sweeps = [
        o for run in runs if run.kind == "one-off" for o in run.months if o.excess < 0 and not o.misreported
    ]

    def after(o: OneOff, month: pd.Period) -> bool:
        return 0 < (month - o.month).n <= round(o.turnover)

    def a_return(run: Run) -> bool:  # a return is never more than the sweeps it follows, noise apart
        swept = sum(-o.excess for o in sweeps if after(o, run.months[0].month))
        noise = RETURN_SPREADS * spread * np.sqrt(len(run.months))
        return run.kind == "change" and 0 < run.excess <= swept + noise

    runs = [run for run in runs if not a_return(run)]
    for run in runs:
        for o in run.months:
            short.pop(o.month, None)
    shares: dict[pd.Period, dict[pd.Period, tuple[float, float]]] = {o.month: {} for o in sweeps}
    for month in pd.period_range(min((o.month for o in sweeps), default=last), last, freq="M"):
        active = [o for o in sweeps if after(o, month)]
        if month not in short or not active:
            continue
        left = np.array([max(-o.excess - sum(v for v, _ in shares[o.month].values()), 0.0) for o in active])
        weights = left / left.sum() if left.sum() > 0 else np.full(len(active), 1 / len(active))
        for o, weight in zip(active, weights, strict=True):
            shares[o.month][month] = (short[month] * weight, weight)

    def with_return(o: OneOff) -> OneOff:
        seen = shares.get(o.month, {})
        raw = np.array([v for v, _ in seen.values()])
        noise = RETURN_SPREADS * spread * np.sqrt(sum(w * w for _, w in seen.values()))
        if not seen or raw.sum() <= noise or raw.sum() < SMALL[1] + 0.5:  # said: never 1–7 once rounded
            return dataclasses.replace(o, watched=len(seen))
        kept = dict(zip(seen, np.diff(np.r_[0.0, np.clip(np.cumsum(raw), 0.0, -o.excess)]), strict=True))
        months = [o.month + k for k in range(1, round(o.turnover) + 1) if o.month + k <= last]
        returned = tuple(float(kept.get(m, np.nan)) for m in months)
        return dataclasses.replace(o, returned=returned, watched=len(seen))

    return tuple(Run(tuple(map(with_return, r.months)), r.kind) if r.kind == "one-off" else r for r in runs)


def one_offs(history: History, months: int = GROWTH_MONTHS) -> tuple[OneOff, ...]:
    """The one-off months of :func:`unusual_runs` among the latest ``months``. Both models would
    otherwise carry a sweep on as the list's trend (the flows' level a twelfth of it lower every month)."""
    return tuple(o for run in unusual_runs(history, months) if run.kind == "one-off" for o in run.months)


def without_one_offs(history: History, found: tuple[OneOff, ...]) -> History:
    """The history as it would have been without the one-offs: the list less what each adds (a sweep's
    patients back on it), the stops as they were."""
    waiting = history.waiting.astype(float).copy()
    for one_off in found:
        waiting[history.months >= one_off.month] -= one_off.excess
        for month, back in one_off.came_back.items():
            waiting[history.months >= month] -= back
    return dataclasses.replace(history, waiting=np.maximum(waiting, 0.0))


def _month_words(month: pd.Period) -> str:
    return month.strftime("%B %Y")


def spans_said(months: list[pd.Period]) -> str:
    """ "July 2023 and June 2024 to July 2024": months in order, consecutive ones as a span."""
    spans: list[list[pd.Period]] = []
    for month in sorted(months):
        if spans and month == spans[-1][-1] + 1:
            spans[-1].append(month)
        else:
            spans.append([month])
    return _listed([" to ".join(dict.fromkeys(_month_words(m) for m in (s[0], s[-1]))) for s in spans])


def _listed(said: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def _each(months: list[OneOff]) -> str:
    """ "in July 2024 about 295, in September 2024 about 302 and in October 2024 about 311"."""
    return _listed([f"in {_month_words(o.month)} about {abs(o.excess):,.0f}" for o in months])


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _about(count: float) -> str:
    """ "about 195", or "a few" where it would round to 1–7 (said wherever the projection is)."""
    return f"about {count:,.0f}" if count >= SMALL[1] + 0.5 else "a few"


def _coming_back_said(seen: list[OneOff], origin: pd.Period, ahead: int) -> str:
    """The return seen after sweeps, the rest the projection carries on, and what the interval's
    ends reach: each said only where the figures have it, as they have it ``ahead`` months on."""
    back = sum(o.back for o in seen)
    more = sum(float(o.coming_back(ahead)[-1]) for o in seen)
    slower = sum(float(o.coming_slower(ahead, (origin - o.month).n)[-1]) for o in seen)
    months = seen[0].seen if len(seen) == 1 else 0
    after = {0: "In the months after", 1: "In the month after"}.get(months, f"In the {months} months after")
    by = _month_words(origin + ahead)
    said = (
        f"{after}, about {back:,.0f} fewer were removed without treatment than usual, as happens when "
        "those removed would have left later anyway: read as the list coming back, not as its trend "
        "(a rise in the list looks alike until it goes beyond the sweep)."
    )
    if more >= 1:
        pace = "At that pace" if months == 1 else "At the pace of the latest months"
        said += (
            f" {pace} {_about(more)} more would come back by {by}, within the {seen[-1].turnover:.0f} "
            "months or so the list takes to turn over: the projection carries that on, and its interval "
            "reaches down to none more."
        )
    if slower >= 1:
        said += (
            f" Should it come back more slowly, over up to {SLOWER_TURNOVERS} times as long, "
            f"{_about(slower)} more would follow by {by}: the interval reaches up to it."
        )
    return said


def _no_return_said(quiet: list[OneOff], origin: pd.Period, ahead: int) -> str | None:
    """Sweeps after which the months seen show no return: had those removed been going to leave later,
    the list will still come back by the rest of their turnover (the interval reaches it, as
    :meth:`OneOff.may_come_back`, as far as it runs); once past it, it seems they were not going to."""
    waiting = [o for o in quiet if (origin - o.month).n < round(o.turnover)]
    if waiting:

        def due(months: int) -> float:
            return sum(float(o.may_come_back(months, (origin - o.month).n)[-1]) for o in waiting)

        left = max(round(o.turnover) - (origin - o.month).n for o in waiting)
        turnover = round(waiting[-1].turnover)
        over = f"the {turnover} months" if left == turnover else f"the {_months(left)} left of the {turnover}"
        whole = f"over {over} or so it takes to turn over"
        up_to = (
            f"{_about(due(ahead))} {whole}"
            if left <= ahead
            else f"{_about(due(ahead))} by {_month_words(origin + ahead)}, and {_about(due(left))} {whole}"
        )
        watched = min(o.watched for o in waiting)
        # the interval reaches the first figure only: the months shown end there
        by = "" if left <= ahead else f" by {_month_words(origin + ahead)}"
        return (
            f"Had those removed been going to leave later anyway, the list will come back by up to {up_to}; "
            "had they never been going to, it will not. That return is not in the central figures; the "
            f"interval reaches up to it{by}."
            + (f" None of it has shown in the {_months(watched)} seen since." if watched else "")
        )
    if quiet:
        return (
            "No return has shown in the months since (no fewer removed than usual beyond noise): those "
            "removed, it seems, would not have left soon anyway."
        )
    return None


def _misreported_said(months: list[OneOff]) -> str:
    """ "The list in May 2024 fell by about 1,900 and in June 2024 rose by about 1,880 …"."""
    moved = _listed(
        [
            f"in {_month_words(o.month)} {'fell' if o.excess < 0 else 'rose'} by about {abs(o.excess):,.0f}"
            for o in months
        ]
    )
    return (
        f"The list {moved} beyond what its flows explain, each month back the other way: a month that looks "
        "misreported (a return partial, scaled or counted twice), not a sweep and a transfer. Read as "
        "one-offs: the projection starts from the list as it is and goes on at the flows of the other months."
    )


def one_offs_said(model: FlowModel) -> str | None:
    """The model's one-off months, the unusual months kept as they were, and the months not read, in
    words for every place the projection is shown (the command line adds its own way round); None when
    there are none. A one-off long past the model's origin is not spoken of as still to settle."""
    carried, origin = model.carried, model.origin
    found = tuple(o for o in model.one_offs if not o.misreported)
    text = []

    def first(removed: bool) -> pd.Period:
        return min(o.month for o in found if (o.excess < 0) == removed)

    for removed in sorted({o.excess < 0 for o in found}, key=first):  # in the order they happened
        these = [o for o in found if (o.excess < 0) == removed]
        one = "a one-off" if len(these) == 1 else "one-offs"
        sizes = _each(these)
        if removed:
            text.append(
                f"{sizes[0].upper()}{sizes[1:]} more left the list than in a usual month (a validation "
                f"sweep, or patients moved to another provider): read as {one}, not as the list's "
                "trend, so the projection starts from the list as it is and goes on at the flows of the "
                "other months."
            )
            if seen := [o for o in these if o.seen]:
                text.append(_coming_back_said(seen, origin, model.ahead))
            if quiet := _no_return_said([o for o in these if not o.seen], origin, model.ahead):
                text.append(quiet)
        else:
            text.append(
                f"{sizes[0].upper()}{sizes[1:]} more joined the list than its referrals explain (patients "
                f"moved in from another provider, or a change in what it counts): read as {one}, so the "
                "projection starts from the list as it is, with them waiting on it, and goes on at the "
                "flows of the other months."
            )
    if misreported := [o for o in model.one_offs if o.misreported]:
        text.append(_misreported_said(misreported))
    if model.one_offs and origin is not None and max(o.month for o in model.one_offs) == origin:
        text.append(
            f"Should the months after be as unusual, {ONE_OFF_MONTHS + 1} months in a row are read as a "
            "change in removals, not a one-off. A latest return partial or misreported looks the same "
            "until the next: if this month's is, the projection starts from a list that is not the real one."
        )
    for run in carried:
        more = "more left the list" if run.excess < 0 else "more joined the list"
        if run.kind == "recur":
            each = _each(list(run.months))
            text.append(
                f"{each[0].upper()}{each[1:]} {more} than in a usual month: months like these recur, so "
                "they are read as the list's usual way and kept as they were."
            )
            continue
        span = " to ".join(dict.fromkeys(_month_words(o.month) for o in (run.months[0], run.months[-1])))
        direction, or_ = (
            ("lower", "a validation sweep spread over those months")
            if run.excess < 0
            else ("raise", "patients moved in over those months")
        )
        text.append(
            f"From {span} about {abs(run.excess):,.0f} {more} than in usual months, over "
            f"{len(run.months)} months: a change in removals (or {or_}), not a one-off. The projection "
            "reads those months as they were; if the change lasts, it will "
            f"{direction} the list more than the projection shows."
        )
    if model.unread:
        text.append(f"{model.unread[0].upper()}{model.unread[1:]}.")
    return " ".join(text) or None


def coming_back(found: tuple[OneOff, ...], months_ahead: int) -> np.ndarray:
    """The rest of every return seen, were each to go on at its pace, by month ahead (cumulative)."""
    return sum((o.coming_back(months_ahead) for o in found), np.zeros(months_ahead))


def may_come_back(found: tuple[OneOff, ...], months_ahead: int, origin: pd.Period) -> np.ndarray:
    """What the list could still come back by beyond the central path, by month ahead (cumulative): a
    return seen going on past the turnover, and the sweeps with none seen yet coming back within it."""
    each = (
        o.coming_slower(months_ahead, (origin - o.month).n)
        + o.may_come_back(months_ahead, (origin - o.month).n)
        for o in found
    )
    return sum(each, np.zeros(months_ahead))
