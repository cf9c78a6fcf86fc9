"""A catalogue target with a gain every service must make as well (``Target.at_least_better_by``),
resolved against the service's own value in the month the gain is measured from.

The 2025/26 planning guidance asks for 65% of the waiting list within 18 weeks by March 2026, "with
each trust to improve by at least 5 percentage points": a trust at 62.3% aims for 67.3%, not 65%. The
resolved target is a plain one whose source says how it was reached, so every chart, sentence and
export reads it as it reads any other.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Metric, Target
from stocktake.metrics.suppression import hidden_points
from stocktake.targets.setting import at_least_better
from stocktake.verdicts.narrative import Formatter


def resolved(metric: Metric, frame: pd.DataFrame) -> Metric:
    """``metric`` with its target's least gain applied to its own series (``frame``: period, value
    and, for shares, numerator and denominator); unchanged when its target asks for none."""
    target = metric.target
    if target is None or target.at_least_better_by is None or metric.improvement == "neutral":
        return metric
    month = pd.Period(target.than, freq="M")
    gain = target.at_least_better_by
    said = (
        f"{gain:g} percentage points"
        if metric.unit == "%"
        else Formatter(metric.unit, metric.decimals).statistic(gain)
    )
    rule = f"at least {said} better than {month:%B %Y}"
    periods = pd.PeriodIndex(pd.DatetimeIndex(frame["period"]), freq="M")
    at = np.flatnonzero(periods == month)
    start = float(frame["value"].iloc[at[0]]) if len(at) else np.nan
    if np.isnan(start):
        why = "no value for that month"
    elif _hidden(metric, frame, int(at[0])):
        why = "that month's value is not shown (1 to 7 cases), and a target built on it would show it"
    else:
        value = at_least_better(target.value, metric.improvement, start, gain)
        if metric.unit == "%":
            value = min(max(value, 0.0), 100.0)
        fmt = Formatter(metric.unit, metric.decimals)
        way = "higher" if metric.improvement == "increase" else "lower"
        source = f"{target.source}, or {rule} ({fmt(start)}), whichever is {way}"
        return dataclasses.replace(metric, target=Target(value, source, target.year))
    source = f"{target.source}; the rule of {rule} is not applied: {why}"
    return dataclasses.replace(metric, target=Target(target.value, source, target.year))


def _hidden(metric: Metric, frame: pd.DataFrame, i: int) -> bool:
    if "denominator" not in frame:
        return False
    numerator = frame["numerator"].to_numpy(dtype=float)[i : i + 1]
    denominator = frame["denominator"].to_numpy(dtype=float)[i : i + 1]
    return bool(hidden_points(numerator, denominator, metric.numerator_is_count, metric.percentile)[0])
