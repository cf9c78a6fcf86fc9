"""Apply SPC to each metric's series: the verdicts the report, the web and the exports show.

Pure: takes the tidy series the metric engine returns and the catalogue's definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue, Metric
from stocktake.spc import XmrChart
from stocktake.spc.tchart import t_chart
from stocktake.spc.xmr import xmr_many


@dataclass(frozen=True)
class MetricResult:
    metric: Metric
    x: pd.DatetimeIndex
    chart: XmrChart

    @property
    def latest_value(self) -> float:
        present = self.chart.y[~np.isnan(self.chart.y)]
        return float(present[-1]) if len(present) else float("nan")

    @property
    def latest_x(self) -> pd.Timestamp:
        present = ~np.isnan(self.chart.y)
        return self.x[present][-1] if present.any() else self.x[-1]

    @property
    def variation_type(self) -> str:
        return self.chart.latest.variation_type

    @property
    def assurance_type(self) -> str | None:
        return self.chart.latest.assurance_type

    def special_cause(self, kind: str) -> pd.DatetimeIndex:
        """The dates of the points classed as special cause of ``kind`` (improvement, concern)."""
        return self.x[self.chart.point_type == f"special_cause_{kind}"]


def analyse(catalogue: Catalogue, series: dict[str, pd.DataFrame]) -> list[MetricResult]:
    """One SPC chart per metric, in catalogue order: every XmR metric in one many-series call."""
    monthly = [m for m in catalogue.metrics if m.chart == "xmr" and len(series[m.id])]
    charts = _xmr_charts(monthly, series)
    for metric in catalogue.metrics:
        if metric.id not in charts:
            values = series[metric.id]["value"].to_numpy(dtype=float)
            charts[metric.id] = t_chart(values, improvement=metric.improvement, target=_target(metric))
    return [
        MetricResult(m, pd.DatetimeIndex(series[m.id]["period"]), charts[m.id]) for m in catalogue.metrics
    ]


def _target(metric: Metric) -> float | None:
    return metric.target.value if metric.target else None


def _xmr_charts(metrics: list[Metric], series: dict[str, pd.DataFrame]) -> dict[str, XmrChart]:
    if not metrics:
        return {}
    lengths = [len(series[m.id]) for m in metrics]
    values = np.concatenate([series[m.id]["value"].to_numpy(dtype=float) for m in metrics])
    labels = np.repeat(np.arange(len(metrics)), lengths)
    targets = [np.nan if m.target is None else m.target.value for m in metrics]
    many = xmr_many(
        labels,
        values,
        improvement=np.repeat([m.improvement for m in metrics], lengths),
        target=np.repeat(targets, lengths),
    )
    return {
        m.id: many.chart(i, series[m.id]["value"], m.improvement, _target(m)) for i, m in enumerate(metrics)
    }


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
