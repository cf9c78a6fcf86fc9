"""The t chart, worked by hand from its definition."""

import numpy as np
import pytest

from stocktake.spc.tchart import t_chart


def test_limits_are_xmr_limits_of_transformed_days_back_transformed():
    days = np.array([10.0, 30.0, 20.0, 60.0, 15.0, 45.0])
    transformed = days ** (1 / 3.6)
    mean = transformed.mean()
    amr = np.abs(np.diff(transformed)).mean()
    chart = t_chart(days)
    assert chart.mean[0] == pytest.approx(mean**3.6)
    assert chart.upl[0] == pytest.approx((mean + 2.66 * amr) ** 3.6)
    assert chart.lpl[0] == pytest.approx(max(mean - 2.66 * amr, 0) ** 3.6)
    assert list(chart.y) == list(days)


def test_a_very_long_gap_after_a_rare_event_is_improvement():
    days = np.array([20, 25, 18, 22, 30, 19, 24, 21, 26, 23, 20, 22, 400], dtype=float)
    assert t_chart(days).point_type[-1] == "special_cause_improvement"


def test_negative_times_are_refused():
    with pytest.raises(ValueError):
        t_chart([1, -2, 3])
