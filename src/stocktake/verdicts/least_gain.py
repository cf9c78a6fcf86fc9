"""A catalogue target with a gain every service must make as well (``Target.at_least_better_by``),
resolved against the service's own value in the month the gain is measured from.

The 2025/26 planning guidance asks for 65% of the waiting list within 18 weeks by March 2026, "with
each trust to improve by at least 5 percentage points": a trust at 62.3% aims for 67.3%, not 65%. The
resolved target is a plain one whose source says how it was reached, so every chart, sentence and
export reads it as it reads any other; it keeps the catalogue's own (``resolved_from``) for what
needs the national level (the midway tool's benchmark).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Metric, Target
from stocktake.targets.setting import at_least_better
from stocktake.verdicts.narrative import Formatter


def resolved(metric: Metric, frame: pd.DataFrame, hidden: np.ndarray | None = None) -> Metric:
    """``metric`` with its target's least gain applied to its own series (``frame``: period and
    value), unchanged when its target asks for none. ``hidden``: the points every export hides, for
    whatever reason (their own counts, a chain of nested counts, a site report's complements): a
    target built on a hidden month would give it away, so the rule is then not applied."""
    target = metric.target
    if target is None or target.at_least_better_by is None:
        return metric
    month = pd.Period(target.than, freq="M")
    gain = target.at_least_better_by
    fmt, plain = Formatter(metric.unit, metric.decimals), Formatter(metric.unit, metric.decimals, coarse=True)
    said = (
        f"{gain:g} percentage point{'' if gain == 1 else 's'}"
        if metric.unit == "%"
        else plain.statistic(gain)
    )
    rule = f"at least {said} better than {month:%B %Y}"
    periods = pd.PeriodIndex(pd.DatetimeIndex(frame["period"]), freq="M")
    at = np.flatnonzero(periods == month)
    start = float(frame["value"].iloc[at[0]]) if len(at) else np.nan
    if np.isnan(start):
        before = len(periods) and periods.max() < month
        why = "its figures end before that month" if before else "no value for that month"
    elif hidden is not None and bool(np.asarray(hidden)[at[0]]):
        # staff pages show it; the reason is the exports' (a recheck read "not shown" beside it shown)
        why = "that month's value is hidden in reports and exports (small numbers, here or elsewhere)"
    else:
        value = at_least_better(target.value, metric.improvement, start, gain)
        bounds = (0.0, 100.0) if metric.unit == "%" else (0.0, np.inf) if start >= 0 else (-np.inf, np.inf)
        bounded = min(max(value, bounds[0]), bounds[1])
        way = "higher" if metric.improvement == "increase" else "lower"
        capped = f", no further than {plain.statistic(bounded)}" if bounded != value else ""  # "100%"
        source = f"{target.source}, or {rule} ({fmt(start)}), whichever is {way}{capped}"
        resolved = Target(bounded, source, target.year, by=target.by, resolved_from=target)
        return dataclasses.replace(metric, target=resolved)
    source = f"{target.source}; the rule of {rule} is not applied: {why}"
    kept = Target(target.value, source, target.year, by=target.by, resolved_from=target)
    return dataclasses.replace(metric, target=kept)
