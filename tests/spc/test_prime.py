"""p′ and u′ charts read with Making Data Count's rules: hand-worked and injected effects."""

import numpy as np
import pytest

from stocktake.spc.attribute import p_chart
from stocktake.spc.prime import attribute_xmr


def _noisy_proportions(seed: int, months: int = 30, p: float = 0.7, size: int = 20_000):
    """Large denominators with month-to-month variation beyond the binomial (as real rates have)."""
    rng = np.random.default_rng(seed)
    denominator = rng.integers(size // 2, size * 2, months).astype(float)
    true = np.clip(p + rng.normal(0, 0.01, months), 0, 1)
    return rng.binomial(denominator.astype(int), true).astype(float), denominator


def test_limits_are_the_qicharts2_checked_p_prime_limits_on_the_measure_scale():
    numerator, denominator = _noisy_proportions(1)
    reference = p_chart(numerator, denominator, laney=True)
    chart = attribute_xmr("p_prime", numerator, denominator, scale=100)
    np.testing.assert_allclose(chart.mean, reference.cl * 100)
    np.testing.assert_allclose(chart.upl, reference.ucl * 100)
    np.testing.assert_allclose(chart.y, numerator / denominator * 100)


def test_overdispersed_noise_is_common_cause_on_p_prime_but_not_on_p():
    numerator, denominator = _noisy_proportions(2)
    plain = attribute_xmr("p", numerator, denominator)
    laney = attribute_xmr("p_prime", numerator, denominator)
    assert (plain.rule == "outside_limits").sum() > 5  # binomial limits far too narrow
    assert (laney.rule == "outside_limits").sum() == 0


def test_an_injected_rise_is_special_cause_improvement_with_its_rule():
    numerator, denominator = _noisy_proportions(3)
    numerator[-8:] = np.round(denominator[-8:] * 0.80)  # 70% → 80% for the last eight months
    chart = attribute_xmr("p_prime", numerator, denominator, improvement="increase", scale=100)
    assert set(chart.point_type[-8:]) == {"special_cause_improvement"}
    assert chart.latest.variation_type == "special_cause_improvement"
    falling = attribute_xmr("p_prime", numerator, denominator, improvement="decrease")
    assert falling.latest.variation_type == "special_cause_concern"
    neutral = attribute_xmr("p_prime", numerator, denominator, improvement="neutral")
    assert neutral.latest.variation_type == "special_cause_neutral_high"


def test_rebase_starts_a_new_period_with_its_own_centre_line():
    numerator, denominator = _noisy_proportions(4)
    numerator[15:] = np.round(denominator[15:] * 0.85)
    chart = attribute_xmr("p_prime", numerator, denominator, rebase_at=[15], scale=100)
    assert [s.start for s in chart.segments] == [0, 15]
    assert chart.segments[1].mean == pytest.approx(100 * numerator[15:].sum() / denominator[15:].sum())
    assert chart.latest.variation_type == "common_cause"


def test_assurance_compares_the_target_with_the_latest_points_limits():
    # Hand-worked u chart: 10 events per 100 units every month, 100 units: ū = 0.1,
    # σ = √(0.1/100) = 0.0316, limits 0.1 ± 0.0949 → 0.0051 to 0.1949 (per unit).
    numerator, denominator = np.full(15, 10.0), np.full(15, 100.0)
    chart = attribute_xmr("u", numerator, denominator, improvement="decrease", target=0.25)
    assert chart.latest.lpl == pytest.approx(0.1 - 3 * np.sqrt(0.001))
    assert chart.latest.upl == pytest.approx(0.1 + 3 * np.sqrt(0.001))
    assert chart.latest.assurance_type == "consistent_pass"  # the upper limit is under 0.25
    fail = attribute_xmr("u", numerator, denominator, improvement="decrease", target=0.001)
    assert fail.latest.assurance_type == "consistent_fail"
    between = attribute_xmr("u", numerator, denominator, improvement="decrease", target=0.1)
    assert between.latest.assurance_type == "inconsistent"
