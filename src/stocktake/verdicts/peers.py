"""A catalogue measure compared across sites, consultants or trusts on a funnel plot.

The drill-down gives each group its own SPC chart (is this group changing?); the funnel asks the
other question (is this group different from the rest, or only small?). Over a period (the last 12
months by default) each group's counts are summed and placed on the funnel of
``stocktake.funnel``: a percentage of cases as a proportion, a count per denominator (referrals per
100 attendances) as a crude rate with the measure's own multiplier. Measures of means, medians or
percentiles (a length of stay) are not counts over a denominator and have no funnel here.

Small numbers: a group with 1–7 cases, or 1–7 events, has no value shown, by the rule every export
uses (``metrics.suppression.hidden_points``: a funnel's numerator is always a count, so a small
count of events hides a group as a small count of cases does); one hidden group hides the next
smallest with it (``secondary_suppression``). A hidden group still counts towards the average,
which the department's own chart already shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.funnel import HIGH_001, LOW_001, Funnel, FunnelMethod, compare_units
from stocktake.metrics.catalogue import Metric
from stocktake.metrics.suppression import hidden_points, is_small, remainder_is_small, secondary_suppression

PERIOD_MONTHS = 12


def funnel_method(metric: Metric) -> FunnelMethod | None:
    """How the measure is compared on a funnel, or None when it cannot be (not a count over a count)."""
    counted = metric.numerator_is_count
    over_counts = metric.denominator is not None and metric.denominator.statistic == "count"
    if not (counted and over_counts) or not metric.monthly:
        return None
    if metric.unit == "%":
        return FunnelMethod("proportion", multiplier=metric.scale)
    return FunnelMethod("rate", multiplier=metric.scale, rate_type="crude")


@dataclass(frozen=True)
class PeerComparison:
    """Each group's totals over the period and its place on the funnel."""

    metric: Metric
    by: str
    first: pd.Timestamp
    last: pd.Timestamp
    groups: tuple[str, ...]
    funnel: Funnel
    #: True where a group's cases or events are 1–7: its value, counts and label are not shown.
    hidden: np.ndarray

    @property
    def census(self) -> bool:
        """Compared at one month's end (those waiting then), not summed over months."""
        return self.metric.stock

    def outside_limits(self) -> tuple[OutsideLimits, ...]:
        """The groups beyond the 99.8% limits (PHEindicatormethods' 0.001 labels) that may be shown,
        furthest from the average first."""
        f, found = self.funnel, []
        for i, (group, label) in enumerate(zip(self.groups, f.significance, strict=True)):
            if label in (HIGH_001, LOW_001) and not self.hidden[i]:
                found.append(
                    OutsideLimits(
                        group,
                        float(f.value[i]),
                        float(f.numerator[i]),
                        float(f.denominator[i]),
                        float(f.limits.lower_998[i]),
                        float(f.limits.upper_998[i]),
                        high=label == HIGH_001,
                    )
                )
        return tuple(sorted(found, key=lambda o: -abs(o.value - f.baseline)))


@dataclass(frozen=True)
class OutsideLimits:
    """One group beyond a funnel's 99.8% limits: its value, counts and the limits at its size."""

    group: str
    value: float
    numerator: float
    denominator: float
    lower_998: float
    upper_998: float
    high: bool


def compare_peers(
    metric: Metric, frame: pd.DataFrame, by: str, *, months: int = PERIOD_MONTHS, suppress: bool = True
) -> PeerComparison | None:
    """The funnel of ``frame`` (a series by ``by``: period, group, numerator, denominator) over its
    last ``months`` periods; None when the measure has no funnel or fewer than two groups have cases.
    A census (``Metric.stock``: those waiting at each month's end) is compared at its latest month
    alone: summed over a year, one patient waiting all year was twelve "cases" and the limits some
    √12 ≈ 3.5 times too narrow."""
    method = funnel_method(metric)
    if method is None or frame.empty:
        return None
    if metric.stock:
        months = 1
    periods = pd.DatetimeIndex(sorted(frame["period"].unique()))[-months:]
    recent = frame[frame["period"].isin(periods)]
    totals = recent.groupby(by)[["numerator", "denominator"]].sum()
    totals = totals[totals["denominator"] > 0]
    if method.statistic == "proportion":
        totals = totals[totals["numerator"] <= totals["denominator"]]
    if len(totals) < 2:
        return None
    funnel = compare_units(totals["numerator"], totals["denominator"], method)
    return PeerComparison(
        metric,
        by,
        periods[0],
        periods[-1],
        tuple(str(g) for g in totals.index),
        funnel,
        hidden_groups(metric, recent, totals) if suppress else np.zeros(len(totals), bool),
    )


def hidden_groups(metric: Metric, recent: pd.DataFrame, totals: pd.DataFrame) -> np.ndarray:
    """The groups of ``totals`` (each group's counts over the months of ``recent``) to hide: those
    with 1–7 cases or events and the one that would give them away; and, when the whole's months
    less those its chart shows would give a hidden month back (``remainder_is_small``), at least two,
    so that the groups do not add up to the whole (an outside check: the sites summed less the
    chart's shown months gave a hidden month's 3 deaths). A proportion's other side (cases less events:
    those waiting over 18 weeks beside those within) is a count too, hidden at 1–7 as the drill-downs
    hide it (an outside check read 25 of 30 on the funnel, 5 over 18 weeks the drill-down hid). Each
    count in turn adds partners until no hidden row can be worked out by it."""
    numerator, denominator = totals["numerator"].to_numpy(float), totals["denominator"].to_numpy(float)
    small = hidden_points(numerator, denominator, metric.numerator_is_count)
    counts = [denominator, numerator]
    if funnel_method(metric).statistic == "proportion":
        counts.append(denominator - numerator)
        small |= is_small(counts[-1])
    whole = recent.groupby("period")[["numerator", "denominator"]].sum()
    given_away = remainder_is_small(whole["numerator"], whole["denominator"], metric.numerator_is_count)
    if given_away and not small.any():
        some = np.flatnonzero(denominator > 0)
        small[some[np.argmin(denominator[some])]] = True
    for values in counts:
        small = secondary_suppression(small, values)
    return small


def compare_every_measure(
    metrics: Sequence[Metric], series: dict[str, pd.DataFrame], by: str, *, suppress: bool = True
) -> tuple[PeerComparison, ...]:
    """Each measure with a funnel compared across ``by`` (``series``: the catalogue's series by it),
    in the catalogue's order; measures without a funnel, or with fewer than two groups, left out."""
    compared = (compare_peers(m, series[m.id], by, suppress=suppress) for m in metrics if m.id in series)
    return tuple(c for c in compared if c is not None)
