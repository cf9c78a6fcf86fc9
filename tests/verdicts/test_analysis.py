"""Metrics charted in one many-series call read as each charted alone; rebases only on enough points."""

import numpy as np
import pandas as pd
import pytest

from stocktake.metrics.catalogue import Catalogue, Metric, Target
from stocktake.spc import xmr
from stocktake.verdicts.analysis import analyse


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


# A rebase six months before the end: 30 steady months alternating 58% and 62% (mean 60, every
# moving range 4), then six months at 26–28%, clearly below the steady process's lower limit.
MONTHS = pd.date_range("2022-07-01", periods=44, freq="MS")
STEADY = np.tile([58.0, 62.0], 15)
CHANGE = MONTHS[30].date()  # 1 Jan 2025


def _rebased(values, dates=(CHANGE,)):
    catalogue = Catalogue("Test", (_metric("m", "increase"),))
    series = {"m": pd.DataFrame({"period": MONTHS[: len(values)], "value": values})}
    return analyse(catalogue, series, rebase={"m": list(dates)})[0]


def test_six_points_after_a_rebase_do_not_set_their_own_limits():
    result = _rebased(np.r_[STEADY, 27, 26, 28, 27, 26, 28])
    # By hand, one period of 36: mean 1962/36 = 54.5; moving ranges 29 × 4, one of 35 (screened out:
    # above 3.267 × 158/35) and 1, 2, 1, 1, 2; mean moving range 123/34; lower limit 54.5 − 2.66 × 123/34.
    assert [s.start for s in result.chart.segments] == [0]
    assert result.chart.lpl[-1] == pytest.approx(54.5 - 2.66 * 123 / 34)
    assert result.variation_type == "special_cause_concern"
    assert result.rebasing.applied == () and result.rebasing.deferred == ((CHANGE, 6),)


def test_a_rebase_that_twelve_or_more_points_follow_restarts_the_limits_as_before():
    values = np.r_[STEADY, np.tile([26.0, 28.0], 7)]
    result = _rebased(values)
    assert [s.start for s in result.chart.segments] == [0, 30]
    assert (result.chart.segments[1].lpl, result.chart.segments[1].upl) == pytest.approx(
        (27 - 5.32, 27 + 5.32)
    )
    assert result.variation_type == "common_cause"
    # Read without the rebase the same 44 points are a deterioration: kept beside the verdict.
    assert result.rebasing.applied == (CHANGE,)
    assert result.rebasing.without_latest.latest.variation_type == "special_cause_concern"
    np.testing.assert_array_equal(result.chart.point_type, xmr(values, rebase_at=[30]).point_type)


def test_no_rebase_leaves_no_trace():
    result = _rebased(STEADY, dates=())
    assert result.rebasing is None
    assert result.chart.segments == xmr(STEADY).segments


def test_a_measure_with_no_values_yet_is_left_out_not_a_crash():
    """No elective death in the period: the days-between-deaths t chart has nothing to chart."""
    import dataclasses

    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    deaths = dataclasses.replace(_metric("days_between_deaths", "increase"), chart="t")
    catalogue = Catalogue("Test", (_metric("up", "increase"), deaths, _metric("empty", "increase")))
    series = {
        "up": pd.DataFrame({"period": months, "value": np.linspace(50, 60, 24)}),
        "days_between_deaths": pd.DataFrame({"period": pd.DatetimeIndex([]), "value": []}),
        "empty": pd.DataFrame({"period": pd.DatetimeIndex([]), "value": []}),
    }
    assert [r.metric.id for r in analyse(catalogue, series)] == ["up"]


def test_a_catalogue_that_asks_for_a_p_prime_chart_gets_one_with_its_rebase_and_hidden_points():
    """The attribute charts are reachable from the product: a metric's definition names the chart."""
    from stocktake.metrics.catalogue import Aggregate, check
    from stocktake.spc.prime import attribute_xmr

    counted = Aggregate("admissions", "admitted_at")
    metric = Metric(
        "share",
        "Share",
        "Area",
        "%",
        "increase",
        "hand-made",
        numerator=counted,
        denominator=counted,
        scale=100.0,
        chart="p_prime",
    )
    assert check(Catalogue("Test", (metric,))) == []
    rng = np.random.default_rng(5)
    denominator = rng.integers(4000, 9000, 40).astype(float)
    numerator = rng.binomial(denominator.astype(int), 0.6).astype(float)
    numerator[3] = 5.0  # a small count: hidden in exports, as on any chart
    frame = pd.DataFrame(
        {
            "period": MONTHS[:40],
            "numerator": numerator,
            "denominator": denominator,
            "value": 100 * numerator / denominator,
        }
    )
    (result,) = analyse(Catalogue("Test", (metric,)), {"share": frame}, rebase={"share": [MONTHS[20].date()]})
    alone = attribute_xmr("p_prime", numerator, denominator, rebase_at=[20], scale=100.0)
    np.testing.assert_allclose(result.chart.upl, alone.upl)
    assert [s.start for s in result.chart.segments] == [0, 20]
    assert result.hidden[3] and not result.hidden[4]


def test_a_chart_kind_the_definition_cannot_feed_is_named():
    from stocktake.metrics.catalogue import check

    metric = Metric("m", "M", "Area", "%", "increase", "hand-made", chart="p_prime")
    assert check(Catalogue("Test", (metric,))) == [
        "m: give either a numerator or events",
        "m: a p_prime chart needs a counted numerator and a denominator",
    ]
    odd = Metric("n", "N", "Area", "%", "increase", "hand-made", chart="bar")
    assert "n: chart must be one of xmr, t, p, p_prime, u, u_prime, not 'bar'" in check(
        Catalogue("T", (odd,))
    )
