"""Apply SPC to each metric's series: the verdicts the report, the web and the exports show.

Pure: takes the tidy series the metric engine returns and the catalogue's definitions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue, Metric
from stocktake.report.suppression import hidden_points
from stocktake.spc import XmrChart
from stocktake.spc.tchart import t_chart
from stocktake.spc.xmr import xmr_many


@dataclass(frozen=True)
class MetricResult:
    metric: Metric
    x: pd.DatetimeIndex
    chart: XmrChart
    #: Points to show as "*" in anything exported (counts of 1–7 behind them).
    hidden: np.ndarray | None = None
    numerator: np.ndarray | None = None
    denominator: np.ndarray | None = None

    @property
    def variation_type(self) -> str:
        return self.chart.latest.variation_type

    @property
    def assurance_type(self) -> str | None:
        return self.chart.latest.assurance_type


def analyse(
    catalogue: Catalogue,
    series: dict[str, pd.DataFrame],
    *,
    rebase: dict[str, list] | None = None,
    targets: dict[str, float] | None = None,
    trajectories: dict[str, np.ndarray] | None = None,
) -> list[MetricResult]:
    """One SPC chart per metric, in catalogue order: every XmR metric in one many-series call.

    ``rebase`` maps a metric id to the dates from which its limits start again; ``targets`` and
    ``trajectories`` override the catalogue's targets and add planned values.
    """
    rebase, trajectories = rebase or {}, trajectories or {}
    chosen = {m.id: (targets or {}).get(m.id, _target(m)) for m in catalogue.metrics}
    monthly = [m for m in catalogue.metrics if m.chart == "xmr" and len(series[m.id])]
    charts = _xmr_charts(monthly, series, rebase, chosen)
    for metric in catalogue.metrics:
        if metric.id not in charts:
            values = series[metric.id]["value"].to_numpy(dtype=float)
            charts[metric.id] = t_chart(values, improvement=metric.improvement, target=chosen[metric.id])
        if metric.id in trajectories:
            charts[metric.id] = dataclasses.replace(charts[metric.id], trajectory=trajectories[metric.id])
    return [_result(m, series[m.id], charts[m.id]) for m in catalogue.metrics]


def _result(metric: Metric, series: pd.DataFrame, chart: XmrChart) -> MetricResult:
    x = pd.DatetimeIndex(series["period"])
    if "denominator" not in series:  # rare events: each point is one event
        return MetricResult(metric, x, chart)
    numerator, denominator = series["numerator"].to_numpy(float), series["denominator"].to_numpy(float)
    is_count = metric.numerator is not None and metric.numerator.statistic == "count"
    hidden = hidden_points(numerator, denominator, is_count)
    return MetricResult(metric, x, chart, hidden, numerator, denominator)


def _target(metric: Metric) -> float | None:
    return metric.target.value if metric.target else None


def _xmr_charts(metrics: list[Metric], series, rebase, targets) -> dict[str, XmrChart]:
    if not metrics:
        return {}
    lengths = [len(series[m.id]) for m in metrics]
    values = np.concatenate([series[m.id]["value"].to_numpy(dtype=float) for m in metrics])
    labels = np.repeat(np.arange(len(metrics)), lengths)
    starts = np.concatenate(
        [_rebase_flags(pd.DatetimeIndex(series[m.id]["period"]), rebase.get(m.id, [])) for m in metrics]
    )
    target_rows = np.repeat([np.nan if targets[m.id] is None else targets[m.id] for m in metrics], lengths)
    many = xmr_many(
        labels,
        values,
        starts,
        improvement=np.repeat([m.improvement for m in metrics], lengths),
        target=target_rows,
    )
    return {
        m.id: many.chart(i, series[m.id]["value"], m.improvement, targets[m.id])
        for i, m in enumerate(metrics)
    }


def _rebase_flags(x: pd.DatetimeIndex, dates) -> np.ndarray:
    """True at the first point on or after each change date (never at the very first point)."""
    flags = np.zeros(len(x), dtype=bool)
    for when in dates:
        after = np.flatnonzero(x >= pd.Timestamp(when))
        if len(after) and after[0] > 0:
            flags[after[0]] = True
    return flags


def summary_record(result: MetricResult) -> dict:
    """The metric as summary.json lists it."""
    chart = result.chart
    return {
        "id": result.metric.id,
        "title": result.metric.title,
        "unit": result.metric.unit,
        "improvement": result.metric.improvement,
        "variation_type": result.variation_type,
        "assurance_type": result.assurance_type,
        "points": [
            {
                "x": x.strftime("%Y-%m-%d"),
                "y": _number(y),
                "mean": _number(mean),
                "lpl": _number(lpl),
                "upl": _number(upl),
                "point_type": str(point_type),
            }
            for x, y, mean, lpl, upl, point_type in zip(
                result.x, chart.y, chart.mean, chart.lpl, chart.upl, chart.point_type, strict=True
            )
        ],
    }


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
