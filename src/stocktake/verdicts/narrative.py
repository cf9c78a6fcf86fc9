"""The stock-take: each measure placed in one category, with a sentence built only from its statistics.

Categories, in order of precedence, from the latest rebase period of the chart:
- going backwards: the latest point is special-cause concern;
- moved the needle: the latest point is special-cause improvement;
- reliably at target: common-cause variation with limits wholly on the right side of the target;
- grindingly slow: common-cause variation and a target the limits do not assure (missed, or hit and
  miss): the service is trying to move it and it is not moving;
- no evidence of change: common-cause variation and no target (nothing says the service is trying
  to move it), or too few points to judge;
- steady: common-cause variation on a measure with no better direction (a volume cannot be slow);
- changed, neither better nor worse: special cause on a measure with no better direction.
For 24 months after a restart of the limits, the category is the step there when the chart shows one
beyond chance between two periods of common cause (``across_rebase``, ADR 49); a percentage that
sits at 0% or 100% since the restart counts as settled there (``at_bound``, ADR 51).
The sentence opens with its category's own wording (``OPENINGS``), states the rule that fired and
the numbers behind it, and nothing the chart does not show: the limits it quotes are the limits drawn
(``drawn_limits``), and a target the average beats but the limits straddle is said to be missed in
some months, never "met". It also says when the limits are provisional (fewer than 12 values behind
them), when a change date has not restarted them yet, and what the verdict was on the limits from
before a rebase when the rebase changed it: a rebase must never hide a deterioration. When the
latest point is common cause but a sustained shift (a run on one side of the mean) ended within the
last 24 months with no rebase since, the sentence says so: the chart shows it, and a change may want
marking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from stocktake.metrics.suppression import MASK
from stocktake.spc.rebase import MIN_REBASE_POINTS
from stocktake.spc.rules import RUN_LENGTH, run_so_far
from stocktake.spc.xmr import MIN_POINTS, XmrChart

CATEGORIES = {
    "going_backwards": "Going backwards",
    "moved_the_needle": "Moved the needle",
    "reliably_at_target": "Reliably at target",
    "grindingly_slow": "Grindingly slow",
    "no_change_yet": "No evidence of change",
    "steady": "Steady",
    "changed": "Changed, neither better nor worse",
}
#: How each category's sentence opens: a common-cause sentence filed under "Reliably at target" does not
#: open "No evidence of change". Special causes open with the rule's side.
OPENINGS = {
    "going_backwards": "Special-cause concern",
    "moved_the_needle": "Special-cause improvement",
    "reliably_at_target": "Reliably at target",
    "grindingly_slow": "Grindingly slow",
    "no_change_yet": "No evidence of change",
    "steady": "Steady",
    "changed": "Special-cause variation (neither better nor worse)",
}
#: How far back a change is still news (months before the latest point): an ended sustained shift is
#: said, and the step at a restart of the limits leads the verdict (``across_rebase``).
RECENT_CHANGE_MONTHS = 24
#: The categories that claim a change: a special cause read on the chart.
CHANGE_CATEGORIES = ("moved_the_needle", "going_backwards", "changed")


def category(variation_type: str | None, assurance_type: str | None, improvement: str) -> str:
    """The measure's place in the stock-take: it claims only what the chart shows."""
    if variation_type == "special_cause_concern":
        return "going_backwards"
    if variation_type == "special_cause_improvement":
        return "moved_the_needle"
    if variation_type and variation_type.startswith("special_cause_neutral"):
        return "changed"
    if variation_type is None:
        return "no_change_yet"  # too few points to judge
    if assurance_type == "consistent_pass":
        return "reliably_at_target"
    if improvement == "neutral":
        return "steady"
    if assurance_type is None:
        return "no_change_yet"
    return "grindingly_slow"


@dataclass(frozen=True)
class Formatter:
    unit: str = ""
    decimals: int = 1
    #: Its statistics are a chart's beside hidden points, rounded to a coarse step (ADR 9): written to
    #: the step's decimals where those are fewer ("8%", not "8.0%" for a mean of 7.66 rounded to 2).
    coarse: bool = False

    def __call__(self, value: float) -> str:
        if value is None or np.isnan(value):
            return "–"
        number = f"{value:,.{self.decimals}f}"
        unit = self.unit[:-1] if self.unit in ("days", "weeks") and number == "1" else self.unit
        if unit == "%":
            return number + "%"
        if unit.startswith("£"):  # "−£500", not "£-500" (an outside recheck)
            return f"−£{number[1:]}" if number.startswith("-") else "£" + number
        return f"{number} {unit}".strip()

    def statistic(self, value: float) -> str:
        """A mean or a limit of a small count, to a tenth when it is not whole: a mean of 6.5, drawn at
        6.5, had read "a mean of 6" (its limit of 2.5, "2"); under 10, half a count is 5% or more.
        A coarse one, to no more decimals than it has (an outside check read "8.0%" as exact)."""
        if value is None or np.isnan(value):
            return self(value)
        places = self.decimals
        if not (self.decimals or self.unit.startswith("£")) and abs(value) < 10:
            places = 1 if abs(value - round(value)) >= 0.05 else 0
        return Formatter(self.unit, coarse_places(value, places) if self.coarse else places)(value)

    def rounded(self, value: float) -> str:
        """A statistic known to be rounded to a coarse step (a drill-down's mean beside hidden months)."""
        return Formatter(self.unit, self.decimals, coarse=True).statistic(value)

    def apart(self, value: float, other: float) -> str:
        """``value`` with enough decimals to differ from ``other`` when they do (9.508 below 9.544
        must not read "9.5 below 9.5"); a coarse one from its own decimals (a limit rounded to 15
        had read "15.0%" beside a table's exact 15.4%)."""
        first = coarse_places(value, self.decimals) if self.coarse and np.isfinite(value) else self.decimals
        for decimals in range(first, self.decimals + 4):
            shown = Formatter(self.unit, decimals)
            if shown(value) != shown(other) or value == other:
                return shown(value)
        return shown(value)


def coarse_places(value: float, decimals: int) -> int:
    """The decimals to write a figure rounded to a coarse step with: its own where fewer than
    ``decimals`` (8 for a mean of 7.66 rounded to 2: "8%", not "8.0%", which reads as exact)."""
    return min(decimals, len(f"{value:.6f}".rstrip("0").rstrip(".").partition(".")[2]))


def drawn_limits(lpl: np.ndarray, upl: np.ndarray, y: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Limits as drawn and quoted: a percentage's within 0–100%, and no limit below zero for a measure
    that is never negative (a length of stay, a count). The charts draw these and the sentences quote
    them; the rules (special cause, assurance) use the limits as computed."""
    lpl, upl = np.asarray(lpl, dtype=float), np.asarray(upl, dtype=float)
    with np.errstate(invalid="ignore"):
        never_negative = unit == "%" or bool(np.nanmin(y, initial=0) >= 0)
        lower = np.maximum(lpl, 0) if never_negative else lpl
        upper = np.minimum(upl, 100) if unit == "%" else upl
    return np.where(np.isnan(lpl), np.nan, lower), np.where(np.isnan(upl), np.nan, upper)


def _drawn(chart: XmrChart, fmt: Formatter, lpl: float, upl: float) -> tuple[float, float]:
    """One pair of ``chart``'s limits as the chart draws them."""
    lower, upper = drawn_limits(np.array([lpl]), np.array([upl]), chart.y, fmt.unit)
    return float(lower[0]), float(upper[0])


def _run_at_end(chart: XmrChart) -> int:
    """How many points at the end share the latest point's rule and type."""
    last = len(chart.y) - 1
    same = (chart.rule == chart.rule[last]) & (chart.point_type == chart.point_type[last])
    breaks = np.flatnonzero(~same[: last + 1])
    return last - (breaks[-1] if len(breaks) else -1)


def _same_side_at_end(chart: XmrChart) -> int:
    """How many points at the end lie on the latest point's side of the mean: a shift's length, though
    its points beyond the limits are labelled with that rule (a shift once read "the latest 1 values")."""
    side = np.asarray(chart.relative_to_mean)
    last = len(side) - 1
    other = np.flatnonzero(side[: last + 1] != side[last])
    return last - (other[-1] if len(other) else -1)


def _evidence(
    chart: XmrChart, x: pd.DatetimeIndex, fmt: Formatter, latest_hidden: bool = False, centre: str = "mean"
) -> str:
    """What made the latest point special; a value with 1–7 behind it is never quoted (the sentence
    goes into every export)."""
    last = len(chart.y) - 1
    rule, when = chart.rule[last], f"{x[last]:%b %Y}"
    high = chart.relative_to_mean[last] > 0
    lower, upper = _drawn(chart, fmt, chart.lpl[last], chart.upl[last])
    bound = upper if high else lower
    value = (
        f"{MASK}: not shown, so that no patient can be recognised"
        if latest_hidden
        else fmt.apart(chart.y[last], bound)
    )
    run = _run_at_end(chart)
    since = f"{x[last - run + 1]:%b %Y}"
    if rule == "outside_limits":
        side = "above the upper" if high else "below the lower"
        limit = f"{side} process limit ({fmt.apart(bound, chart.y[last])})"
        single = " A single point: watch whether it lasts." if run == 1 else ""
        return f"the latest value ({value}, {when}) is {limit}.{single}"
    if rule == "trend":
        rising = chart.y[last] > chart.y[max(last - 1, 0)]
        direction = "rising" if rising else "falling"
        return f"the values have been {direction} for {run} points in a row since {since}."
    if rule == "shift":
        side = "above" if high else "below"
        mean = fmt.statistic(chart.mean[last])
        run = _same_side_at_end(chart)  # points of the run outside the limits carry that rule's name
        since = f"{x[last - run + 1]:%b %Y}"
        return f"the latest {run} values, since {since}, are all {side} the {centre} ({mean})."
    side = "upper" if high else "lower"
    return f"two of the latest three values are close to the {side} process limit."


def _assurance(chart: XmrChart, fmt: Formatter) -> str:
    segment, target = chart.latest, chart.target
    if target is None or segment.assurance_type is None:
        return "No target is set." if target is None else ""
    if segment.assurance_type == "inconsistent" and mean_meets_target(chart):
        # Hit and miss (Making Data Count): the target may or may not be met, whatever the average.
        relation = "is better than" if segment.mean != target else "is at"
        return (
            f"The average ({fmt.apart(segment.mean, target)}) {relation} the target ({fmt(target)}) but the "
            "process limits straddle it, so some months will miss it."
        )
    return {
        "consistent_pass": f"The target ({fmt(target)}) lies outside the process limits on the right side: "
        "as things stand it will be met every month.",
        "consistent_fail": f"The target ({fmt(target)}) lies outside the process limits on the wrong side: "
        "it will not be met while the process stays as these limits describe it.",
        "inconsistent": f"The target ({fmt(target)}) lies within the process limits: it will be met in some "
        "months and missed in others, by chance alone.",
    }[segment.assurance_type]


def mean_meets_target(chart: XmrChart) -> bool:
    """Whether the latest period's average is on the right side of the target, or on it."""
    sign = {"increase": 1, "decrease": -1}.get(chart.improvement)
    target = chart.target
    return sign is not None and target is not None and sign * (chart.latest.mean - target) >= 0


def sentence(
    chart: XmrChart,
    x: pd.DatetimeIndex,
    fmt: Formatter,
    notes: tuple[str, ...] = (),
    latest_hidden: bool = False,
    monthly: bool = True,
    opening: str = "",
    hidden: np.ndarray | None = None,
) -> str:
    """A short paragraph that says what the chart shows, and no more; ``notes`` follow the reading.
    On a ``monthly`` chart an ended sustained shift is said after the reading (``ended_shift``).
    ``opening`` replaces the reading of the latest period (``across_rebase``'s); ``hidden``: its
    points shown as "*" (ADR 9)."""
    ended = ended_shift(chart, x, bound=latest_bound(chart, fmt, hidden)) if monthly else ""
    # a t chart's centre line is the mean of the transformed gaps, transformed back: not their mean
    centre = "mean" if monthly else "centre line"
    parts = (
        opening or _opening(chart, x, fmt, latest_hidden, centre),
        ended,
        *notes,
        provisional(chart),
        _assurance(chart, fmt),
    )
    return " ".join(part for part in parts if part)


def _opening(
    chart: XmrChart, x: pd.DatetimeIndex, fmt: Formatter, latest_hidden: bool, centre: str = "mean"
) -> str:
    segment = chart.latest
    kind = category(segment.variation_type, segment.assurance_type, chart.improvement)
    if kind in CHANGE_CATEGORIES:
        return f"{OPENINGS[kind]}: {_evidence(chart, x, fmt, latest_hidden, centre)}"
    if segment.variation_type is None:
        return "Too few points to judge: the chart needs more data before it can show a change."
    return f"{OPENINGS[kind]}: {_common(chart, fmt, centre)}"


def _common(chart: XmrChart, fmt: Formatter, centre: str = "mean", values: str = "the recent values") -> str:
    segment = chart.latest
    if np.isnan(segment.lpl) or np.isnan(segment.upl):
        if np.isnan(segment.mean):  # beside hidden points: "no variation" and any total give each one
            return f"no process limits can be drawn from {values}."
        mean = fmt.statistic(segment.mean)
        return f"{values} show no variation to draw process limits from ({centre} {mean})."
    lower, upper = _drawn(chart, fmt, segment.lpl, segment.upl)
    return (
        f"{values} vary by chance within the process limits "
        f"({fmt.statistic(lower)} to {fmt.statistic(upper)}) around a {centre} of "
        f"{fmt.statistic(segment.mean)}."
    )


_SHIFT_KINDS = {
    "special_cause_improvement": "special-cause improvement",
    "special_cause_concern": "special-cause concern",
    "special_cause_neutral_high": "special-cause variation, neither better nor worse",
    "special_cause_neutral_low": "special-cause variation, neither better nor worse",
}


def _run_kind(where: str, improvement: str) -> str:
    """A run above or below the mean as a point type: improvement or concern by the better way."""
    if improvement == "neutral":
        return "special_cause_neutral_high" if where == "above" else "special_cause_neutral_low"
    better = "above" if improvement == "increase" else "below"
    return "special_cause_improvement" if where == better else "special_cause_concern"


def ended_shift(
    chart: XmrChart, x: pd.DatetimeIndex, months: int = RECENT_CHANGE_MONTHS, bound: Bound | None = None
) -> str:
    """The latest sustained shift that has ended, when the latest point is common cause.

    A run of ``RUN_LENGTH`` or more values on one side of the mean (the shift rule, read with the
    rules' own ``run_so_far``) inside the latest period, so with no rebase since it, that ended before
    the latest point and within ``months`` of it. The chart still shows it; the verdict, read on the
    latest point alone, would not.
    """
    segment, last = chart.latest, len(chart.y) - 1
    if segment.variation_type != "common_cause":
        return ""
    side = np.nan_to_num(chart.relative_to_mean[segment.start : last + 1])
    so_far, total = (row[0] for row in run_so_far(side))
    ends = np.flatnonzero((side != 0) & (so_far == total) & (total >= RUN_LENGTH)) + segment.start
    since = pd.Timestamp(x[last]) - pd.DateOffset(months=months)
    # beside a mean pulled just short of a bound (ADR 51) a run on the bound's side is its doing
    piled = 0 if bound is None else (1 if bound.value > chart.latest.mean else -1)
    ended = [end for end in ends if end < last and x[end] > since and side[end - segment.start] != piled]
    if not ended:
        return ""
    end = ended[-1]
    n = int(total[end - segment.start])
    first, final = pd.Timestamp(x[end - n + 1]), pd.Timestamp(x[end])
    span = f"{first:%B}" if first.year == final.year else f"{first:%B %Y}"
    where = "above" if side[end - segment.start] > 0 else "below"
    # the run's own side says what it was, not its last point's type, which another rule (a trend
    # into the run's end) may have given the other way: "13 months below the mean (special-cause
    # concern)" was said of fewer long waiters
    kind = _SHIFT_KINDS[_run_kind(where, chart.improvement)]
    shown = f" ({kind})"
    began_at_mark = end - n + 1 == segment.start and len(chart.segments) > 1
    advice = (
        "it began where the limits start again, at the change marked there"
        if began_at_mark  # an outside check: the advice to mark a change stood beside its own mark
        else "consider whether a change was made and should be marked"
    )
    return f"A run of {n} months {where} the mean from {span} to {final:%B %Y}{shown} ended; {advice}."


def values_behind(chart: XmrChart) -> int:
    """How many values the latest period's limits rest on (missing values do not count)."""
    segment = chart.latest
    return int(np.sum(~np.isnan(chart.y[segment.start : segment.start + segment.n])))


def provisional(chart: XmrChart) -> str:
    """Why the latest limits may still move: they rest on fewer values than settled limits need."""
    behind = values_behind(chart)
    if behind >= MIN_POINTS or chart.latest.variation_type is None or np.isnan(chart.latest.upl):
        return ""  # settled, too few to judge, or no limits at all
    return (
        f"The limits are provisional: they rest on {behind} values and move with each new one "
        f"until there are {MIN_POINTS}."
    )


def day(when: date) -> str:
    """1 Jul 2025."""
    return f"{when.day} {when:%b %Y}"


def step_at_rebase(chart: XmrChart, fmt: Formatter, when: date) -> str:
    """What the latest honoured rebase moved: the mean before it and since, better or worse. With the
    limits restarted, the new period alone reads "no evidence of change", and a reader was never told
    that a change marked on the chart had moved the mean at all (an implant switch: £2,210 to £1,991)."""
    if len(chart.segments) < 2:
        return ""
    before, since = chart.segments[-2].mean, chart.latest.mean
    if np.isnan(before) or np.isnan(since):
        return ""
    sign = {"increase": 1, "decrease": -1}.get(chart.improvement, 0)
    at = f"At the change on {day(when)}, where the limits start again,"
    if fmt.statistic(before) == fmt.statistic(since):
        return f"{at} the mean stayed at {fmt.statistic(since)}."
    way = "" if sign == 0 else (" (better)" if sign * (since - before) > 0 else " (worse)")
    return f"{at} the mean moved from {fmt.statistic(before)} to {fmt.statistic(since)}{way}."


def chart_category(chart: XmrChart) -> str:
    """The category of ``chart``'s latest period."""
    segment = chart.latest
    return category(segment.variation_type, segment.assurance_type, chart.improvement)


def across_rebase(
    chart: XmrChart,
    x: pd.DatetimeIndex,
    fmt: Formatter,
    when: date,
    said: XmrChart | None = None,
    hidden: np.ndarray | None = None,
) -> tuple[str, str] | None:
    """The verdict read at a recent restart of the limits, when the step there is the news: its
    category and the sentence's opening; None when the chart shows no such step at that date.

    Restarting the limits at a marked change makes the months after it the baseline, so a change
    that moved the mean read "No evidence of change" from the day it was marked: a clinical director
    who marked a successful change saw it leave "Moved the needle" (and a known cause of a fall leave
    "Going backwards"). The step is the verdict, for ``RECENT_CHANGE_MONTHS`` after the change, only
    when the chart shows a step at the marked date: the period before the change is settled (at least
    ``MIN_REBASE_POINTS`` values) with no special cause in its latest ``MIN_REBASE_POINTS`` (a change
    already under way, or a dip the step merely recovers from, is not this change's doing); the period
    since shows no special cause at all (or, a percentage at 0% or 100%, its months off that bound are
    held: ``_held_at_bound``, ADR 51); and the step at the change, allowing for a straight-line trend
    across both periods, is more than three standard errors (``_step_beyond_trend``), in the same
    direction as the means moved. A mark on a date where nothing changed, or after a step that began
    before it, is read on its own limits.
    Better or worse is the step's own direction. The opening quotes ``said``'s means and limits (the
    chart as exported beside hidden points, ADR 9), and then no figure computed from hidden values.
    """
    if len(chart.segments) < 2:
        return None
    latest = pd.Timestamp(x[len(chart.y) - 1])
    if pd.Timestamp(when) <= latest - pd.DateOffset(months=RECENT_CHANGE_MONTHS):
        return None
    before, since = chart.segments[-2], chart.latest
    bound = _held_at_bound(chart, fmt.unit, hidden)
    earlier = _settled_values(chart, before)
    later = _settled_values(chart, since, bound is not None)
    if earlier is None or later is None:
        return None
    step, error = _step_beyond_trend(earlier, chart.y[earlier], later, chart.y[later])
    if not np.isfinite(error) or abs(step) <= 3 * error or step * (since.mean - before.mean) <= 0:
        return None
    sign = {"increase": 1, "decrease": -1}.get(chart.improvement, 0)
    kind = "changed" if sign == 0 else ("moved_the_needle" if sign * step > 0 else "going_backwards")
    way = "" if sign == 0 else (" (better)" if sign * step > 0 else " (worse)")
    shown = said if said is not None else chart
    before, since = shown.segments[-2], shown.latest
    low_before, high_before = _drawn(shown, fmt, before.lpl, before.upl)
    low_since, high_since = _drawn(shown, fmt, since.lpl, since.upl)
    allowed = "" if shown is not chart else f": {fmt.statistic(3 * error)}"
    before_part = (
        f"the values vary by chance within their own limits in the {MIN_REBASE_POINTS} months before it "
        f"({fmt.statistic(low_before)} to {fmt.statistic(high_before)})"
        if np.isfinite([before.lpl, before.upl]).all()
        else f"the values held at {fmt.statistic(before.mean)} in the {MIN_REBASE_POINTS} months before it"
    )
    as_usual = (chart.point_type[later] == "common_cause").all() and np.isfinite([since.lpl, since.upl]).all()
    if bound is None or as_usual:
        settled = (
            f"{before_part} and since ({fmt.statistic(low_since)} to {fmt.statistic(high_since)}), where the "
            "limits start again."
        )
    else:
        if np.isnan([since.lpl, since.upl]).any():  # every month at the bound: no limits at all
            since_words = f"{_sitting(fmt, bound)}, where no limits can be drawn from months that do not vary"
        elif bound.on == bound.of:  # every month shown at the bound, hidden ones beside them
            since_words = f"{_sitting(fmt, bound)}. {at_bound_limits(fmt, bound)}"
        else:
            side = "lower" if bound.value == PERCENT_BOUNDS[1] else "higher"
            others = _the_others(chart, fmt, bound, hidden)
            each = " each" if others.startswith(", the others") else ""
            near = (
                f"as near {fmt(bound.value)} as those months varied by chance"
                if np.isfinite(before.upl - before.mean)
                else f"nearer {fmt(bound.value)} than to their level"
            )
            since_words = (
                f"{_sitting(fmt, bound)}{others},{each} no {side} than any of the {MIN_REBASE_POINTS} months "
                f"before it and {near}. {at_bound_limits(fmt, bound)}"
            )
        settled = (
            f"{before_part}; since it, {since_words}: the months since are not read on their own limits."
        )
    moved = (
        f"the mean moved from {fmt.statistic(before.mean)} to {fmt.statistic(since.mean)}{way}"
        if np.isfinite(since.mean)
        else f"the mean {'rose' if step > 0 else 'fell'} from {fmt.statistic(before.mean)} "
        f"({way.strip(' ()') + '; ' if way else ''}its level since is not given beside hidden months)"
        # a period with no limits has no mean beside hidden months (ADR 9: it would be every value)
    )
    return kind, (
        f"{OPENINGS[kind]} at the change on {day(when)}: {moved}, a step more than chance or any trend "
        f"allows (three standard errors of the step{allowed}), and {settled}"
    )


def _values(chart: XmrChart, segment) -> np.ndarray:
    return chart.y[segment.start : segment.start + segment.n]


def _settled_values(chart: XmrChart, segment, at_its_bound: bool = False) -> np.ndarray | None:
    """The positions of a period's values that judge a step at its edge: the latest
    ``MIN_REBASE_POINTS`` of the period before a change, or all of the period since; None when the
    period has fewer values than that or a special cause among them (unless the period since sits
    at its bound, where its own limits cannot read one: ``at_bound``)."""
    present = np.flatnonzero(~np.isnan(_values(chart, segment))) + segment.start
    exempt = at_its_bound and segment is chart.latest  # every month at 100%: no limits to draw at all
    # a period before that did not vary at all (a new pathway at 0% until the change) is settled too
    flat = segment is not chart.latest and present.size > 0 and np.ptp(chart.y[present]) == 0
    if present.size < MIN_REBASE_POINTS or (
        np.isnan([segment.lpl, segment.upl]).any() and not (exempt or flat)
    ):
        return None
    judged = present if segment is chart.latest else present[-MIN_REBASE_POINTS:]
    if (chart.point_type[judged] != "common_cause").any() and not exempt:
        return None
    return present


#: The ends a percentage cannot pass.
PERCENT_BOUNDS = (0.0, 100.0)
#: How near a bound a value must be to sit on it (a percentage from a count is exactly 0 or 100).
BOUND_TOLERANCE = 1e-6
#: Of a period's values and of its latest ``_RECENT`` (a fall lasting three months of six is read as
#: one), the share that must sit at the bound for ``at_bound``.
AT_BOUND_SHARE, _RECENT = 0.5, 6


def _on(values: np.ndarray, bound: float) -> np.ndarray:
    """Which values sit on the bound."""
    return np.isclose(values, bound, rtol=0, atol=BOUND_TOLERANCE)


@dataclass(frozen=True)
class Bound:
    """A period piled on a bound (``at_bound``): the bound, and how many of how many values sit on it
    (of those shown, when some are hidden)."""

    value: float
    on: int
    of: int
    some_hidden: bool = False


def at_bound(
    values: np.ndarray, unit: str, lpl: float, upl: float, hidden: np.ndarray | None = None
) -> Bound | None:
    """The bound a percentage's period sits at, if its limits close on it: at least half of its
    values, and of its latest six, exactly at 0% or 100%; every month off the bound beyond the
    period's own limit on the far side (the limits so close on the bound that any month off it is a
    signal); and no two months off it side by side (a fall that lasts is read as one). ``hidden``
    values (ADR 9) take no part: the decision must not turn on them.

    Piled on a bound, a measure leaves an XmR chart no variation to read: the limits close on the
    bound and the mean sits just inside it, so one month at 98% after a year at 100% is
    "special-cause concern" and the months at 100% make a run above the mean (a clinical director's
    change from 60% to 100% read "Going backwards"). Making Data Count's advice for such a measure is
    to count the misses instead (the time between them)."""
    if unit != "%":
        return None
    values = np.asarray(values, float)
    shown = ~np.isnan(values) if hidden is None else ~np.isnan(values) & ~np.asarray(hidden, bool)
    present = values[shown]
    if present.size < 2:
        return None
    value = PERCENT_BOUNDS[1] if np.median(present) > sum(PERCENT_BOUNDS) / 2 else PERCENT_BOUNDS[0]
    on = _on(present, value)
    if min(on.mean(), on[-_RECENT:].mean()) < AT_BOUND_SHARE:
        return None
    off = present[~on]
    if off.size and not (off < lpl if value == PERCENT_BOUNDS[1] else off > upl).all():
        return None
    if not off.size and np.isfinite([lpl, upl]).all():  # limits from hidden months: not the bound's
        return None
    # a missing or hidden month might be off it too, so it joins a month off it beside it
    at = shown & _on(values, value)
    off_in_time = shown & ~at
    if (~at[1:] & ~at[:-1] & (off_in_time[1:] | off_in_time[:-1])).any():
        return None
    return Bound(value, int(on.sum()), int(present.size), bool(hidden is not None and np.any(hidden)))


def _held_at_bound(chart: XmrChart, unit: str, hidden: np.ndarray | None) -> Bound | None:
    """The period since a restart at its bound (``at_bound``) with its months off the bound held
    (``_off_bound_held``): the change's effect held in every month, so only the months' own limits,
    closed on the bound, are set aside."""
    since = chart.latest
    values, shown = _shown(chart, since, hidden)
    bound = at_bound(values, unit, since.lpl, since.upl, ~shown)
    return bound if bound is not None and _off_bound_held(chart, bound, hidden) else None


def _off_bound_held(chart: XmrChart, bound: Bound, hidden: np.ndarray | None) -> bool:
    """Whether every shown month off the bound since the latest restart is at least as good as every
    one of the latest ``MIN_REBASE_POINTS`` shown months before it (those the step is judged on), and
    no further from the bound than those months varied by chance from their mean (their limits' reach;
    where they did not vary at all, nearer the bound than their level). Outside checks: one month at
    71% as the latest, after a step from 60% to 100%, was credited; after a baseline of 96–98%, a month
    at 95%, the worst on the chart, was; after a noisy baseline, a month back at the old level."""
    before = chart.segments[-2]
    off = _off_bound(chart, bound, hidden)
    earlier, earlier_shown = _shown(chart, before, hidden)
    earlier = earlier[earlier_shown & ~np.isnan(earlier)][-MIN_REBASE_POINTS:]
    if off.size == 0:
        return True
    if earlier.size == 0:
        return False
    better = (off >= earlier.max() if bound.value == PERCENT_BOUNDS[1] else off <= earlier.min()).all()
    reach = before.upl - before.mean
    if not np.isfinite(reach):  # the months before did not vary: halfway from their level to the bound
        reach = abs(bound.value - before.mean) / 2
    near = (np.abs(off - bound.value) <= reach + BOUND_TOLERANCE).all()
    return bool(better and near)


def latest_bound(chart: XmrChart, fmt: Formatter, hidden: np.ndarray | None = None) -> Bound | None:
    """The bound the latest period sits at (``at_bound``), its hidden points set aside."""
    values, shown = _shown(chart, chart.latest, hidden)
    return at_bound(values, fmt.unit, chart.latest.lpl, chart.latest.upl, ~shown)


def _off_bound(chart: XmrChart, bound: Bound, hidden: np.ndarray | None) -> np.ndarray:
    """The latest period's shown values off its bound."""
    values, shown = _shown(chart, chart.latest, hidden)
    return values[shown & ~np.isnan(values) & ~_on(values, bound.value)]


def _shown(chart: XmrChart, segment, hidden: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """A period's values and which of them are shown (not hidden, ADR 9)."""
    values = _values(chart, segment)
    if hidden is None:
        return values, np.ones(len(values), bool)
    return values, ~np.asarray(hidden, bool)[segment.start : segment.start + segment.n]


def at_bound_limits(fmt: Formatter, bound: Bound) -> str:
    """Why a period at its bound is not read on its own limits (ADR 51)."""
    return (
        f"Limits drawn from month-to-month changes close on {fmt(bound.value)} when most months sit there, "
        "so a month off it, or a mean just short of it, reads as a special cause even where the service "
        "has not changed"
    )


def at_bound_note(
    chart: XmrChart, fmt: Formatter, hidden: np.ndarray | None = None, counts: Counts | None = None
) -> str:
    """Said beside a signal read on limits that close on a bound (``at_bound``; else ""). ``counts``:
    each month's numerator and denominator, when the numerator is a count."""
    bound = latest_bound(chart, fmt, hidden)
    if bound is None:
        return ""
    if len(chart.segments) > 1 and not _off_bound_held(chart, bound, hidden):
        return ""  # a month off it no better than the months before a restart: a signal to read
    away = "low" if bound.value == PERCENT_BOUNDS[1] else "high"
    if (
        counts is not None
        and _signal_side(chart) == away
        and _misses_beyond_chance(chart, bound, hidden, counts)
    ):
        return ""  # the signal is a fall from the bound clear on its own counts, not the closed limits
    others = _the_others(chart, fmt, bound, hidden)
    return (
        f"On these limits {_sitting(fmt, bound)}{others}. {at_bound_limits(fmt, bound)}: count the months "
        f"off {fmt(bound.value)} before reading this as a change."
    )


def _signal_side(chart: XmrChart) -> str | None:
    """Which side of the mean the latest period's special cause is on ("high", "low"; None for none).
    A signal towards the bound from months at it (100% above limits closed on a mean of 97%, after one
    bad month) is the closed limits' doing whatever the counts say."""
    kind, improvement = chart.latest.variation_type, chart.improvement
    sides = {
        "special_cause_neutral_high": "high",
        "special_cause_neutral_low": "low",
        "special_cause_improvement": "high" if improvement == "increase" else "low",
        "special_cause_concern": "low" if improvement == "increase" else "high",
    }
    return sides.get(kind)


#: Each month's numerator and denominator (a count over a count), for reading misses at a bound.
Counts = tuple[np.ndarray, np.ndarray]
#: A month off the bound is a signal on its own counts when misses as many as its own, or more, had
#: this chance or less beside the months at the bound (three sigma, one side, as process limits are).
MISS_CHANCE = 0.00135


def _misses_beyond_chance(chart: XmrChart, bound: Bound, hidden: np.ndarray | None, counts: Counts) -> bool:
    """Whether a shown month off the bound has more misses (cases short of 100%, events above 0%)
    than the period's months at the bound make likely by chance: Fisher's exact test, one-sided,
    of its misses of its cases against theirs (none, at the bound), below ``MISS_CHANCE``.

    An outside check: 20 months at 100% then one at 40% (12 of 30 cases) was told to "count the
    months off 100% before reading this as a change", as if a 60-point fall were the limits' doing.
    One miss in 100 cases after 2,000 without one is as likely as not chance (p = 0.05): the note
    stays. Hidden months take no part (ADR 9)."""
    from scipy.stats import fisher_exact

    segment = chart.latest
    window = slice(segment.start, segment.start + segment.n)
    values, shown = _shown(chart, segment, hidden)
    numerator, denominator = (np.asarray(c, float)[window] for c in counts)
    known = (
        shown & np.isfinite(values) & np.isfinite(numerator) & np.isfinite(denominator) & (denominator > 0)
    )
    on = known & _on(values, bound.value)
    misses = denominator - numerator if bound.value == PERCENT_BOUNDS[1] else numerator
    cases_on, misses_on = int(denominator[on].sum()), int(misses[on].sum())
    for k, n in zip(misses[known & ~on], denominator[known & ~on], strict=True):
        table = [[int(k), int(n - k)], [misses_on, cases_on - misses_on]]
        if fisher_exact(table, alternative="greater").pvalue < MISS_CHANCE:
            return True
    return False


def _the_others(chart: XmrChart, fmt: Formatter, bound: Bound, hidden: np.ndarray | None) -> str:
    """ ", the other at 99.0%" or ", the others as low as 98.0%": the shown months off the bound, as the
    chart shows them ("" when none)."""
    off = _off_bound(chart, bound, hidden)
    if off.size == 0:
        return ""
    worst = off.min() if bound.value == PERCENT_BOUNDS[1] else off.max()
    if off.size == 1:
        return f", the other at {fmt(worst)}"
    return f", the others as {'low' if bound.value == PERCENT_BOUNDS[1] else 'high'} as {fmt(worst)}"


def _sitting(fmt: Formatter, bound: Bound) -> str:
    """ "the values sit at 100.0% in 13 of 14 months" (of the months shown, when some are hidden)."""
    if bound.on == bound.of:
        return f"the values sit at {fmt(bound.value)} in all {bound.of} months{' shown' * bound.some_hidden}"
    months = (
        f"{bound.on} of the {bound.of} months shown"
        if bound.some_hidden
        else f"{bound.on} of {bound.of} months"
    )
    return f"the values sit at {fmt(bound.value)} in {months}"


def _step_beyond_trend(
    t_before: np.ndarray, before: np.ndarray, t_since: np.ndarray, since: np.ndarray
) -> tuple[float, float]:
    """The level step at the change and its standard error, allowing for a straight-line trend across
    both periods (segmented regression, as an interrupted time series is read): an outside check found
    a slow trend crossing a mark credited as a step there in up to 40% of simulated series. The error
    is widened by √((1 + r) / (1 − r)), r the lag-one autocorrelation of the fit's residuals, less its
    small-sample bias, from 0 to 0.9: months that drift together need a bigger step (an earlier check
    credited marks where nothing changed on a waiting-list share)."""
    t = np.r_[t_before, t_since].astype(float)
    y = np.r_[before, since].astype(float)
    design = np.column_stack(
        [np.ones_like(t), t - t.mean(), np.r_[np.zeros(len(before)), np.ones(len(since))]]
    )
    if len(y) <= design.shape[1]:
        return float("nan"), float("nan")
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coefficients
    variance = float(residuals @ residuals) / (len(y) - design.shape[1])
    error = np.sqrt(variance * np.linalg.inv(design.T @ design)[2, 2])
    return float(coefficients[2]), float(error * _correlated(residuals))


def _correlated(residuals: np.ndarray) -> float:
    """√((1 + r) / (1 − r)): how much wider an estimate is when neighbouring months move together."""
    products = float(residuals @ residuals)
    if products <= 0:
        return 1.0
    r = float(residuals[1:] @ residuals[:-1]) / products
    r += (1 + 3 * r) / len(residuals)  # its small-sample bias (Marriott–Pope)
    r = float(np.clip(r, 0.0, 0.9))
    return float(np.sqrt((1 + r) / (1 - r)))


#: Said of a special cause on a stock (``Metric.stock``): its signals need a cause before a verdict.
DRIFTING_STOCK = (
    "Each value is a count at the month's end, largely of the same patients as the month before, so the "
    "values drift together and limits drawn from month-to-month changes are narrow for such a measure: "
    "a signal here can arise with no change to the service; find its cause before crediting or blaming "
    "one."
)


def deferred(when: date, values: int) -> str:
    """A change date that has not restarted the limits, because too few values follow it yet."""
    return (
        f"The change on {day(when)} does not restart the limits yet: {values} value"
        f"{'' if values == 1 else 's'} follow it and {MIN_REBASE_POINTS} are needed to show a "
        "sustained shift, so one set of limits still runs across it."
    )


def before_rebase(
    chart: XmrChart, x: pd.DatetimeIndex, fmt: Formatter, when: date, latest_hidden: bool = False
) -> tuple[str, str]:
    """The verdict had the limits not restarted on ``when`` (one set of limits running across it):
    its category and a sentence quoting those limits, not the ones drawn."""
    segment = chart.latest
    kind = category(segment.variation_type, segment.assurance_type, chart.improvement)
    if kind in CHANGE_CATEGORIES:
        reading = _evidence(chart, x, fmt, latest_hidden)
    elif segment.variation_type is None:
        reading = "there were too few points to judge."
    else:
        reading = _common(chart, fmt)
    opening = f"{CATEGORIES[kind]} without the rebase on {day(when)}"
    return kind, f"{opening}: with one set of limits running across it, {reading}"
