"""XmR by hand, its warnings, and its invariants (property tests)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocktake.spc import xmr
from stocktake.spc.xmr import assurance_type


def test_hand_worked_limits():
    # y = 10, 12, 11, 13, 12: mean 11.6; moving ranges 2, 1, 2, 1 → mean 1.5 (none screened);
    # limits 11.6 ± 2.66 × 1.5 = 7.61 and 15.59.
    chart = xmr([10, 12, 11, 13, 12])
    assert chart.mean[0] == pytest.approx(11.6)
    assert chart.lpl[0] == pytest.approx(11.6 - 3.99)
    assert chart.upl[0] == pytest.approx(11.6 + 3.99)
    assert set(chart.point_type) == {"common_cause"}


def test_screening_drops_a_moving_range_above_3267_times_the_mean():
    # moving ranges 1 × 18 and 40: mean 58/19 = 3.05; 40 > 3.267 × 3.05 so it is dropped → mean 1.
    y = [10, 11] * 9 + [10, 50]
    screened, unscreened = xmr(y), xmr(y, screen_outliers=False)
    assert screened.upl[0] - screened.mean[0] == pytest.approx(2.66 * 1.0)
    assert unscreened.upl[0] - unscreened.mean[0] == pytest.approx(2.66 * 58 / 19)


def test_rebase_gives_each_period_its_own_limits_and_rules():
    y = [10, 11, 10, 11, 10, 11, 10, 11, 20, 21, 20, 21, 20, 21, 20, 21]
    chart = xmr(y, rebase_at=[8])
    assert [s.mean for s in chart.segments] == [10.5, 20.5]
    assert list(chart.rebase_group) == [0] * 8 + [1] * 8
    assert set(chart.point_type) == {"common_cause"}


def test_fix_after_n_points_uses_only_the_first_n():
    y = list(range(12)) + [100] * 6
    chart = xmr(y, fix_after_n_points=12)
    assert chart.mean[-1] == pytest.approx(5.5)


def test_every_moving_range_zero_is_explained_not_hidden():
    chart = xmr([5] * 14 + [6])
    assert chart.lpl[0] == chart.upl[0] == pytest.approx(chart.mean[0])
    assert any("moving range" in w and "zero" in w for w in chart.warnings)


def test_missing_value_warns_and_stays_common_cause():
    chart = xmr([3, 4, 3, 5, 4, np.nan, 4, 3, 5, 4, 3, 4, 5, 3, 4])
    assert chart.point_type[5] == "common_cause"
    assert any("missing" in w for w in chart.warnings)


def test_short_series_warns_of_trial_limits():
    assert any("trial limits" in w for w in xmr([1, 2, 3, 2, 1]).warnings)


def test_fix_after_fewer_than_twelve_is_refused():
    with pytest.raises(ValueError, match="at least 12"):
        xmr(range(20), fix_after_n_points=6)


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 0.5, "consistent_pass"),
        ("increase", 9, "consistent_fail"),
        ("increase", 2, "inconsistent"),
        ("decrease", 0.5, "consistent_fail"),
        ("decrease", 9, "consistent_pass"),
        ("neutral", 2, None),
    ],
)
def test_assurance(improvement, target, expected):
    assert assurance_type(improvement, target, 1.0, 3.0) == expected


series = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=40).filter(
    lambda v: np.ptp(v) > 1e-3
)


@settings(max_examples=60, deadline=None)
@given(series, st.floats(-1e3, 1e3))
def test_shifting_every_value_shifts_mean_and_limits(values, shift):
    before, after = xmr(values), xmr(np.asarray(values) + shift)
    np.testing.assert_allclose(after.mean, before.mean + shift, atol=1e-6)
    np.testing.assert_allclose(after.upl, before.upl + shift, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(series, st.floats(0.01, 100))
def test_scaling_scales_mean_and_limits(values, factor):
    before, after = xmr(values), xmr(np.asarray(values) * factor)
    np.testing.assert_allclose(after.mean, before.mean * factor, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(after.lpl, before.lpl * factor, rtol=1e-6, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(series)
def test_reversing_the_direction_swaps_improvement_and_concern(values):
    up, down = xmr(values, improvement="increase"), xmr(values, improvement="decrease")
    swap = {
        "special_cause_improvement": "special_cause_concern",
        "special_cause_concern": "special_cause_improvement",
        "common_cause": "common_cause",
    }
    assert [swap[t] for t in up.point_type] == list(down.point_type)


def test_a_trajectory_is_carried_and_checked():
    chart = xmr([5, 6, 5, 7, 6], trajectory=[5, 5.5, 6, 6.5, 7])
    assert list(chart.trajectory) == [5, 5.5, 6, 6.5, 7]
    with pytest.raises(ValueError, match="3 values for 5 points"):
        xmr([5, 6, 5, 7, 6], trajectory=[1, 2, 3])
