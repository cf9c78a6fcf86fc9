"""Ratios and rates: the package's tests worked by hand, and the lines drawn agreeing with them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from stocktake.funnel import DSR_TOO_FEW, FunnelDataError, FunnelMethod, compare_units
from stocktake.funnel.poisson import count_on_line, phe_expected_at_limit


def test_ratio_labels_by_hand():
    # No events: the upper bound of 0 is qchisq(p, 2)/2 = −ln(1 − p): −ln 0.001 = 6.9078 (99.8%),
    #   −ln 0.025 = 3.6889 (95%). E = 7 → 6.9078/7 < 1: Low (0.001); E = 6.9 → only 3.6889/6.9 < 1:
    #   Low (0.025); E = 3.6 → neither.
    # 20 events (Byar): lower bound 20·(1 − 1/180 − z/(3√20))³ = 12.2114 (95%), 8.9228 (99.8%).
    #   E = 12.2 → 12.2114/12.2 > 1: High (0.025); E = 12.25: not; E = 8.9 → 8.9228/8.9 > 1: High (0.001).
    funnel = compare_units([0, 0, 0, 20, 20, 20], [7, 6.9, 3.6, 12.2, 12.25, 8.9], FunnelMethod("ratio"))
    assert funnel.significance == (
        "Low (0.001)",
        "Low (0.025)",
        "Not significant",
        "High (0.025)",
        "Not significant",
        "High (0.001)",
    )
    np.testing.assert_allclose(funnel.value, [0, 0, 0, 2000 / 12.2, 2000 / 12.25, 2000 / 8.9])


def test_count_form_is_the_ratio_minus_one():
    funnel = compare_units([20, 5], [10, 10], FunnelMethod("ratio", ratio_type="count"))
    np.testing.assert_allclose(funnel.value, [1.0, -0.5])
    isr = compare_units([20, 5], [10, 10], FunnelMethod("ratio"))
    np.testing.assert_allclose(funnel.limits.upper_95, isr.limits.upper_95 / 100 - 1)
    assert funnel.baseline == 0 and isr.baseline == 100


@pytest.mark.parametrize("observed", [1, 4, 10, 57, 328])
@pytest.mark.parametrize(("tail", "phe_side", "line"), [(0.025, "high", "lower"), (0.001, "low", "upper")])
def test_the_continuous_line_passes_through_the_packages_points(observed, tail, phe_side, line):
    expected = phe_expected_at_limit(observed, tail, phe_side)
    # the package stops bisecting at a step of 6e-8 in v = E/(1 + O + E): about 1e-5 of E at O = 1
    assert count_on_line(expected, tail, line) == pytest.approx(observed, rel=1e-5)


def test_no_lower_line_until_zero_events_would_be_unusual():
    # P(X ≤ 0) = e^(−E) falls to 2.5% at E = −ln 0.025 = 3.6889
    assert count_on_line(3.6, 0.025, "lower") == 0
    assert count_on_line(3.8, 0.025, "lower") > 0


def test_labels_agree_with_the_lines_on_the_packages_data(fixtures_dir):
    """The test (Byar from 10 events) and the lines (exact Poisson) could disagree for a point
    within Byar's error of a line; on the package's 300 units they never do."""
    inputs = pd.read_csv(fixtures_dir / "funnel" / "funnel_ratio_inputs.csv", encoding="utf-8-sig")
    f = compare_units(inputs["obs"], inputs["expected"], FunnelMethod("ratio"))
    v, lim = f.value, f.limits
    by_lines = np.select(
        [v > lim.upper_998, v > lim.upper_95, v < lim.lower_998, v < lim.lower_95],
        ["High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"],
        "Not significant",
    )
    assert list(by_lines) == list(f.significance)


def test_crude_rate_is_a_ratio_against_the_average():
    # 30 events in 20,000 and 10 in 20,000: average 1 per 1,000, so each expects 20 events
    events, population = [30, 10], [20_000, 20_000]
    rate = compare_units(events, population, FunnelMethod("rate", multiplier=1000))
    ratio = compare_units(events, [20, 20], FunnelMethod("ratio", multiplier=1))
    assert rate.baseline == pytest.approx(1.0)
    np.testing.assert_allclose(rate.value, [1.5, 0.5])
    np.testing.assert_allclose(rate.limits.upper_998, ratio.limits.upper_998, rtol=1e-12)
    assert rate.significance == ratio.significance


def test_dsr_below_ten_events_is_not_labelled_and_places_units_by_events_over_rate():
    # effective population = 100,000 × events ÷ DSR
    funnel = compare_units(
        [9, 40, 0, 120],
        [5000, 30000, 4000, 90000],
        FunnelMethod("rate", rate_type="dsr"),
        rates=[150, 140, 0, 130],
    )
    np.testing.assert_allclose(funnel.effective_denominator[[0, 1, 3]], [6000, 40000 / 1.4, 120000 / 1.3])
    assert math.isnan(funnel.effective_denominator[2]) and math.isnan(funnel.limits.upper_95[2])
    assert funnel.significance[0] == DSR_TOO_FEW and funnel.significance[2] == DSR_TOO_FEW
    assert funnel.average == pytest.approx(169 / (6000 + 40000 / 1.4 + 120000 / 1.3))


@pytest.mark.parametrize(
    ("numerators", "denominators", "statistic", "position", "field"),
    [
        ([1, 2], [10, 0], "proportion", 1, "denominator"),
        ([1, 2], [10, -5], "rate", 1, "denominator"),
        ([11, 2], [10, 5], "proportion", 0, "numerator"),
        ([1, -2], [10, 5], "ratio", 1, "numerator"),
        ([1, float("nan")], [10, 5], "ratio", 1, "numerator"),
    ],
)
def test_bad_units_are_named(numerators, denominators, statistic, position, field):
    with pytest.raises(FunnelDataError) as caught:
        compare_units(numerators, denominators, FunnelMethod(statistic))
    assert (caught.value.position, caught.value.field) == (position, field)


def test_a_numerator_above_its_denominator_is_fine_for_a_ratio():
    assert compare_units([11, 2], [10, 5], FunnelMethod("ratio")).value[0] == pytest.approx(110)
