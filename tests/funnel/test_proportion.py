"""Proportion funnels: limits and labels worked by hand, and how the lines must behave."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocktake.funnel import FunnelMethod, compare_units, funnel_limits

Z95, Z998 = 1.959963984540054, 3.090232306167813  # qnorm(0.975), qnorm(0.999)

# Six units, 240 events in 1,200 cases: the average is 0.2 (20%).
#   n = 100: 20 ± 1.959964·√(0.2·0.8/100)·100 = 20 ± 7.839856  → 12.160144 to 27.839856 (95%)
#            20 ± 3.090232·4                  = 20 ± 12.360929 →  7.639071 to 32.360929 (99.8%)
#   n = 400: √(0.16/400) = 0.02: 20 ± 3.919928 → 16.080072 to 23.919928;
#            20 ± 6.180465 → 13.819535 to 26.180465
UNITS = {  # unit: (events, cases, value %, label)
    "A": (40, 400, 10.0, "Low (0.001)"),  # below 13.82
    "B": (25, 100, 25.0, "Not significant"),
    "C": (110, 400, 27.5, "High (0.001)"),  # above 26.18
    "D": (25, 100, 25.0, "Not significant"),
    "E": (30, 100, 30.0, "High (0.025)"),  # between 27.84 and 32.36
    "F": (10, 100, 10.0, "Low (0.025)"),  # between 7.64 and 12.16
}
BY_HAND = {
    100: (12.160144, 27.839856, 7.639071, 32.360929),
    400: (16.080072, 23.919928, 13.819535, 26.180465),
}


@pytest.fixture(scope="module")
def funnel():
    events, cases = zip(*[(e, n) for e, n, _, _ in UNITS.values()], strict=True)
    return compare_units(events, cases, FunnelMethod("proportion"))


def test_average_values_and_labels_by_hand(funnel):
    assert funnel.baseline == pytest.approx(20.0, abs=1e-12)
    np.testing.assert_allclose(funnel.value, [v for _, _, v, _ in UNITS.values()], rtol=0, atol=1e-12)
    assert list(funnel.significance) == [label for *_, label in UNITS.values()]


@pytest.mark.parametrize("n", [100, 400])
def test_limits_by_hand(funnel, n):
    limits = funnel.limits_at([n])
    got = (limits.lower_95[0], limits.upper_95[0], limits.lower_998[0], limits.upper_998[0])
    np.testing.assert_allclose(got, BY_HAND[n], rtol=0, atol=5e-7)


@pytest.mark.parametrize("n", [30, 100, 400, 5000])
@pytest.mark.parametrize("z", [Z95, Z998])
def test_a_point_on_the_upper_line_has_its_wilson_interval_just_reach_the_average(n, z):
    """The package calls the lines Wilson: the proportion on the upper line is the one whose Wilson
    score lower bound is the average (Wilson 1927, computed here from the textbook formula)."""
    average = 0.2
    level = "95" if z == Z95 else "998"
    limits = funnel_limits(FunnelMethod("proportion", multiplier=1), average, None, [n])
    p = getattr(limits, f"upper_{level}")[0]
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    wilson_lower = (centre - half) / (1 + z * z / n)
    assert wilson_lower == pytest.approx(average, abs=1e-12)


def test_lines_stop_at_0_and_at_the_multiplier():
    limits = funnel_limits(FunnelMethod("proportion"), 0.05, None, [5, 10])
    assert (limits.lower_998 == 0).all() and (limits.lower_95 == 0).all()  # 5 − 3.09·√(4.75/5)·10 < 0
    limits = funnel_limits(FunnelMethod("proportion"), 0.95, None, [5])
    assert limits.upper_998[0] == 100


@given(
    average=st.floats(0.01, 0.99),
    small=st.integers(2, 5000),
    factor=st.floats(1.01, 50),
    multiplier=st.sampled_from([1.0, 100.0, 1000.0]),
)
def test_limits_widen_as_the_denominator_falls_and_998_lies_outside_95(average, small, factor, multiplier):
    method = FunnelMethod("proportion", multiplier=multiplier)
    limits = funnel_limits(method, average, None, [small, small * factor])
    for level in ("95", "998"):
        lower, upper = getattr(limits, f"lower_{level}"), getattr(limits, f"upper_{level}")
        assert upper[0] - lower[0] >= upper[1] - lower[1] - 1e-9 * multiplier
        assert lower[0] <= lower[1] + 1e-9 * multiplier and upper[0] >= upper[1] - 1e-9 * multiplier
    assert (limits.lower_998 <= limits.lower_95).all() and (limits.upper_998 >= limits.upper_95).all()
    assert (limits.lower_95 < average * multiplier).all() and (limits.upper_95 > average * multiplier).all()
