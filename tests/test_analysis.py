"""Metrics charted in one many-series call read exactly as each charted on its own."""

import numpy as np
import pandas as pd

from stocktake.analysis import analyse
from stocktake.metrics.catalogue import Catalogue, Metric, Target
from stocktake.spc import xmr


def _metric(metric_id, improvement, target=None):
    return Metric(
        metric_id,
        metric_id,
        "Area",
        "%",
        improvement,
        "hand-made",
        target=Target(target, "hand-made") if target is not None else None,
    )


def test_metrics_with_different_directions_and_targets():
    rng = np.random.default_rng(3)
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    catalogue = Catalogue(
        "Test",
        (_metric("up", "increase", 55.0), _metric("down", "decrease", 40.0), _metric("flat", "neutral")),
    )
    values = {
        "up": rng.normal(50, 3, 24) + np.r_[np.zeros(16), np.full(8, 9)],
        "down": rng.normal(50, 3, 24),
        "flat": rng.normal(10, 1, 20),
    }
    series = {k: pd.DataFrame({"period": months[: len(v)], "value": v}) for k, v in values.items()}
    results = {r.metric.id: r for r in analyse(catalogue, series)}
    for metric in catalogue.metrics:
        alone = xmr(
            values[metric.id],
            improvement=metric.improvement,
            target=metric.target.value if metric.target else None,
        )
        chart = results[metric.id].chart
        np.testing.assert_array_equal(chart.upl, alone.upl)
        assert list(chart.point_type) == list(alone.point_type)
        assert chart.segments == alone.segments
    assert results["up"].variation_type == "special_cause_improvement"
