"""An outcome measure's groups compared observed ÷ expected on a funnel plot.

A crude rate (deaths per 100 hip fractures) compares a unit's case mix as much as its care. Given
each group's expected count from a case-mix model the user supplies (for the same months), the
funnel compares observed ÷ expected instead: an indirectly standardised ratio (``stocktake.funnel``,
``ratio_type="isr"``, PHEindicatormethods' Poisson limits around 1). Only measures the catalogue
marks ``outcome: true`` are compared so. Nothing about the model is checked but its numbers: a
funnel of O/E is only as fair as the expected counts behind it.

Small numbers: a group's observed events and cases follow the rule every export uses, decided over
every group of the measure as ``verdicts.peers`` decides them (a group hidden there stays hidden
here, whether or not it has an expected count); a group with no expected count is left out and named.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.funnel import Funnel, FunnelLimits, FunnelMethod, compare_units
from stocktake.metrics.catalogue import Metric
from stocktake.periods import months_between
from stocktake.verdicts.peers import PERIOD_MONTHS, PeerComparison, funnel_method, hidden_groups

#: Observed ÷ expected as it is: 1 is as expected (PHEindicatormethods' ISR multiplier of 1).
METHOD = FunnelMethod("ratio", multiplier=1, ratio_type="isr")
#: The months expected counts are for, first and last (YYYY-MM); None: the data's latest 12.
Months = tuple[str, str] | None


@dataclass(frozen=True)
class ObservedExpected:
    """The groups' O/E ratios on a funnel (``peers.funnel``: numerator observed, denominator
    expected), each group's cases, and the groups the expected counts and the data did not share.
    When expected counts were kept but too few groups share them with the data (``not_compared``),
    ``peers`` has no groups and ``note`` says why, for the report to say it."""

    peers: PeerComparison
    cases: np.ndarray
    without_expected: tuple[str, ...]  # groups with cases but no expected count: left out
    not_in_data: tuple[str, ...]  # units in the expected counts with no cases in the period
    #: Where the expected counts came from ("case_mix.csv, kept by … on …"), as a report says it.
    source: str = ""
    #: Why there is no comparison (``peers`` without groups), in words a report prints.
    note: str = ""


def compares_observed_expected(metric: Metric) -> bool:
    """Whether the measure may be compared observed ÷ expected: an outcome counted over cases."""
    return metric.outcome and funnel_method(metric) is not None


def compared_months(frame: pd.DataFrame, period: Months = None, months: int = PERIOD_MONTHS):
    """The months observed events are counted over: every month of ``period`` (the months the expected
    counts are for), else the data's latest ``months``; and why they cannot be compared ("" when they
    can). Expected deaths for a year against observed deaths over a moving last year would drift
    apart month by month as the data grows, and a ratio over part of a year would read as better
    than expected: so the months are the counts' own, and all of them must be in the data. And they
    must be the months of the tables by site (or consultant) beside them, the latest ``months``: a
    table over other months, inside or overlapping theirs, gives months' deaths by subtraction, and
    with three tables any month (outside checks, ADR 54). A past year is compared in a board report
    cut to end with it."""
    held = pd.DatetimeIndex(sorted(frame["period"].unique()))
    if period is None:
        return held[-months:], ""
    wanted = pd.period_range(period[0], period[1], freq="M").to_timestamp()
    missing = wanted.difference(held)
    if len(missing) == 0:
        latest = held[-months:]
        if wanted.equals(latest):
            return wanted, ""
        why = (
            f"Not compared: the expected counts are for {months_between(*period)}, and the tables of the "
            f"same groups beside them are for the latest {len(latest)} months the data read holds, "
            f"{months_between(latest[0], latest[-1])}. Over other months than those tables, observed "
            "deaths could be subtracted from theirs to give a month's few deaths away, so they are "
            f"compared only over the same months: keep counts for {months_between(latest[0], latest[-1])}, "
            f"or cut a board report to end in {wanted[-1]:%B %Y} (stocktake report "
            f"--period {wanted[-1]:%Y-%m}) to compare these."
        )
        return wanted, why
    holds = f"it holds {months_between(held[0], held[-1])}" if len(held) else "it holds none"
    some = len(wanted) - len(missing)
    share = (
        ("does not hold that month" if len(wanted) == 1 else f"holds none of those {len(wanted)} months")
        if some == 0
        else f"holds {some} of those {len(wanted)} months"
    )
    later = len(held) and bool((missing > held[-1]).all())  # only months still to be loaded
    then = (
        "they are compared once the data read holds every one of those months"
        if later
        else "keep counts for months the data read holds"
    )
    why = (
        f"Not compared: the expected counts are for {months_between(*period)}, and the data read {share} "
        f"({holds}). Observed events over fewer months than the expected counts would read as better "
        f"than expected: {then}."
    )
    return wanted.intersection(held), why


def holds_every_month(frame: pd.DataFrame, period: Months) -> bool:
    """Whether the data holds every month of ``period`` (the data's latest 12 when None): what a file
    can be checked against when it is kept."""
    if period is None:
        return not frame.empty
    wanted = pd.period_range(period[0], period[1], freq="M").to_timestamp()
    return wanted.difference(pd.DatetimeIndex(frame["period"].unique())).empty


def kept_for(frame: pd.DataFrame | None, given: Months = None) -> Months:
    """The months expected counts are kept for: ``given``, else the data's latest 12 (the months the
    funnel compares when they are kept); None when neither is known."""
    if given is not None or frame is None or frame.empty:
        return given
    latest = compared_months(frame)[0]
    return f"{latest[0]:%Y-%m}", f"{latest[-1]:%Y-%m}"


def cases_by_group(
    frame: pd.DataFrame, by: str, *, months: int = PERIOD_MONTHS, period: Months = None
) -> dict[str, float]:
    """Each group's cases (the denominator) over ``period`` (those of its months the data holds),
    else over the last ``months`` periods of ``frame``, groups with none left out: what an
    expected-counts file is checked against when it is kept."""
    if frame.empty:
        return {}
    periods = compared_months(frame, period, months)[0]  # the counts' months, even when not compared
    totals = frame[frame["period"].isin(periods)].groupby(by)["denominator"].sum()
    return {str(g): float(n) for g, n in totals.items() if n > 0}


def not_compared(
    metric: Metric,
    frame: pd.DataFrame,
    by: str,
    expected: dict[str, float],
    *,
    months: int = PERIOD_MONTHS,
    period: Months = None,
) -> ObservedExpected:
    """What a report says when expected counts are kept but fewer than two groups have both cases in
    the period and an expected count: the groups on each side, and that there is no comparison."""
    periods, why = compared_months(frame, period, months)
    if not len(periods):  # none of the counts' months in the data: named as they are
        periods = pd.period_range(period[0], period[1], freq="M").to_timestamp()
    cases = cases_by_group(frame, by, months=months, period=period)
    shared = [g for g in cases if g in expected]
    # beside months the data does not hold, "no cases in the period" would be untrue: nothing is listed
    without = () if why else tuple(g for g in cases if g not in expected)
    not_in_data = () if why else tuple(u for u in expected if u not in cases)
    label = by.replace("_", " ")
    note = why or (
        f"Not compared: the expected counts kept match {len(shared)} {label}(s) with cases in the "
        f"period{' (' + ', '.join(shared) + ')' if shared else ''}; at least two are needed. "
        "The units of the file must be named as the data names them."
    )
    none = np.array([], float)
    funnel = Funnel(METHOD, none, none, none, none, 1.0, 1.0, (), FunnelLimits(none, *[none] * 4, 1.0), None)
    ratio_metric = dataclasses.replace(metric, unit="O/E", decimals=2, scale=1.0)
    peers = PeerComparison(ratio_metric, by, periods[0], periods[-1], (), funnel, np.zeros(0, bool))
    return ObservedExpected(peers, none, without, not_in_data, note=note)


def compare_observed_expected(
    metric: Metric,
    frame: pd.DataFrame,
    by: str,
    expected: dict[str, float],
    *,
    months: int = PERIOD_MONTHS,
    period: Months = None,
    suppress: bool = True,
) -> ObservedExpected | None:
    """The O/E funnel of ``frame`` (a series by ``by``: period, group, numerator, denominator) over
    ``period``, the months of the expected counts (else its last ``months`` periods), against
    ``expected`` (group → expected count over those months); None when the measure is no outcome or
    fewer than two groups have both cases and an expectation. When the data lacks some of the
    counts' months there is no comparison, and its ``note`` says so (:func:`compared_months`)."""
    if not compares_observed_expected(metric) or frame.empty:
        return None
    periods, why = compared_months(frame, period, months)
    if why:
        return not_compared(metric, frame, by, expected, months=months, period=period)
    recent = frame[frame["period"].isin(periods)]
    totals = recent.groupby(by)[["numerator", "denominator"]].sum()
    totals = totals[totals["denominator"] > 0]
    totals.index = totals.index.astype(str)
    # Small numbers are decided over every group the peer table shows, with or without an expected
    # count: a group hidden there (or the one that would give it away) stays hidden here, so no count
    # the peer table hides can be had from this table and the department's totals (issue 28).
    everyone = pd.Series(
        hidden_groups(metric, recent, totals) if suppress else np.zeros(len(totals), bool), index=totals.index
    )
    shared = [g for g in totals.index if g in expected]
    without = tuple(g for g in totals.index if g not in expected)
    not_in_data = tuple(u for u in expected if u not in totals.index)
    if len(shared) < 2:
        return None
    beyond = [g for g in shared if expected[g] > totals.loc[g, "denominator"]]
    if beyond:  # kept ahead of a load, unchecked then: a ratio of them would be nonsense
        found = not_compared(metric, frame, by, expected, months=months, period=period)
        note = (
            f"Not compared: the expected counts of {', '.join(beyond)} are more events than "
            f"{'its' if len(beyond) == 1 else 'their'} cases in {months_between(periods[0], periods[-1])}; "
            "they cannot be for those months. Keep counts made for them."
        )
        return dataclasses.replace(found, note=note)
    hidden = everyone.loc[shared].to_numpy(bool)
    totals = totals.loc[shared]
    observed, cases = totals["numerator"].to_numpy(float), totals["denominator"].to_numpy(float)
    funnel = compare_units(observed, [expected[g] for g in shared], METHOD)
    ratio_metric = dataclasses.replace(metric, unit="O/E", decimals=2, scale=1.0)
    peers = PeerComparison(ratio_metric, by, periods[0], periods[-1], tuple(shared), funnel, hidden)
    return ObservedExpected(peers, cases, without, not_in_data)
