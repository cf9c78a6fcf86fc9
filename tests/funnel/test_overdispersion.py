"""Spiegelhalter's overdispersion allowance, worked by hand on five units and checked on units
simulated with a known between-unit spread."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stocktake.funnel import FunnelMethod, compare_units
from stocktake.funnel.overdispersion import estimate, winsorise

Z95, Z998 = 1.959963984540054, 3.090232306167813

# Five units with 100 expected events each and 64, 81, 100, 121, 144 observed.
# Square-root (CQC) scale: y = √(O/E) = 0.8, 0.9, 1.0, 1.1, 1.2; s = 1/(2√100) = 0.05; target 1;
#   z = (y − 1)/s = −4, −2, 0, 2, 4.
# Winsorised at 10%/90% (R's type 7 quantiles of 5 values): the 10% point is 0.4 of the way from
#   −4 to −2 = −3.2, the 90% point 0.6 of the way from 2 to 4 = 3.2 → −3.2, −2, 0, 2, 3.2.
# φ = (10.24 + 4 + 0 + 4 + 10.24)/5 = 28.48/5 = 5.696; k·φ = 28.48 on 4 df.
# τ²: w = 1/s² = 400 each; Σw = 2000, Σw² = 800,000, Σw²/Σw = 400 → Σw − Σw²/Σw = 1600;
#   τ² = (28.48 − 4)/1600 = 0.0153.
# Chi-square on 4 df: P(X > x) = e^(−x/2)(1 + x/2) → e^(−14.24)·15.24 ≈ 9.97e−6.
OBSERVED = [64, 81, 100, 121, 144]
EXPECTED = [100] * 5


def test_winsorised_z_by_hand():
    np.testing.assert_allclose(winsorise(np.array([-4.0, -2, 0, 2, 4])), [-3.2, -2, 0, 2, 3.2], atol=1e-12)


@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
def test_phi_tau2_and_the_statistic_by_hand(kind):
    funnel = compare_units(OBSERVED, EXPECTED, FunnelMethod("ratio", overdispersion=kind, od_scale="sqrt"))
    d = funnel.dispersion
    assert d.units == 5 and d.scale == "sqrt"
    assert d.phi == pytest.approx(5.696, abs=1e-12)
    assert d.tau2 == pytest.approx(0.0153, abs=1e-12)
    assert d.statistic == pytest.approx(28.48, abs=1e-12)
    assert d.p_value == pytest.approx(math.exp(-14.24) * 15.24, rel=1e-9)


def test_additive_limits_by_hand():
    # ISR form (× 100): 100·(1 ± z·√(s² + τ²))², s² + τ² = 0.0025 + 0.0153 = 0.0178
    funnel = compare_units(
        OBSERVED, EXPECTED, FunnelMethod("ratio", overdispersion="additive", od_scale="sqrt")
    )
    half95, half998 = Z95 * math.sqrt(0.0178), Z998 * math.sqrt(0.0178)  # 0.261494…, 0.412290…
    limits = funnel.limits_at([100])
    assert limits.lower_95[0] == pytest.approx(100 * (1 - half95) ** 2, rel=1e-12)  # 54.539…
    assert limits.upper_95[0] == pytest.approx(100 * (1 + half95) ** 2, rel=1e-12)  # 159.136…
    assert limits.lower_998[0] == pytest.approx(100 * (1 - half998) ** 2, rel=1e-12)
    assert limits.upper_998[0] == pytest.approx(100 * (1 + half998) ** 2, rel=1e-12)


def test_multiplicative_limits_by_hand():
    # 100·(1 ± z·√φ·s)²: √5.696 = 2.386628…, × 0.05 = 0.119331…
    funnel = compare_units(
        OBSERVED, EXPECTED, FunnelMethod("ratio", overdispersion="multiplicative", od_scale="sqrt")
    )
    half95 = Z95 * math.sqrt(5.696) * 0.05  # 0.233886…
    limits = funnel.limits_at([100])
    assert limits.lower_95[0] == pytest.approx(100 * (1 - half95) ** 2, rel=1e-12)  # 58.69…
    assert limits.upper_95[0] == pytest.approx(100 * (1 + half95) ** 2, rel=1e-12)  # 152.24…


def test_the_allowance_takes_back_the_flags_that_spread_alone_explains():
    plain = compare_units(OBSERVED, EXPECTED, FunnelMethod("ratio"))
    assert plain.significance[0] == "Low (0.001)" and plain.significance[4] == "High (0.001)"
    widened = compare_units(
        OBSERVED, EXPECTED, FunnelMethod("ratio", overdispersion="additive", od_scale="sqrt")
    )
    # y − 1 = ±0.2 at most, inside ±1.959964·√0.0178 = ±0.2615
    assert set(widened.significance) == {"Not significant"}


def test_log_scale_by_hand():
    # SHMI: y = ln(O/E) with O = 100·e^c, c = −0.4, −0.2, 0, 0.2, 0.4; s = 1/√100 = 0.1 → z = −4 … 4
    # as above: φ = 5.696; w = 100 each: Σw − Σw²/Σw = 500 − 100 = 400; τ² = 24.48/400 = 0.0612.
    observed = [100 * math.exp(c) for c in (-0.4, -0.2, 0, 0.2, 0.4)]
    funnel = compare_units(observed, EXPECTED, FunnelMethod("ratio", overdispersion="additive"))
    assert funnel.dispersion.phi == pytest.approx(5.696, abs=1e-9)
    assert funnel.dispersion.tau2 == pytest.approx(0.0612, abs=1e-9)
    limits = funnel.limits_at([100])
    assert limits.upper_998[0] == pytest.approx(100 * math.exp(Z998 * math.sqrt(0.01 + 0.0612)), rel=1e-12)
    assert limits.lower_95[0] == pytest.approx(100 * math.exp(-Z95 * math.sqrt(0.01 + 0.0612)), rel=1e-12)


def test_tau2_is_zero_when_units_differ_no_more_than_chance():
    # z = −1, 0, 0, 0, 1 → Winsorised −0.6, 0, 0, 0, 0.6: φ = 0.144 → k·φ = 0.72 < k − 1 → τ² = 0
    observed = [100 * math.exp(c) for c in (-0.1, 0, 0, 0, 0.1)]
    funnel = compare_units(observed, EXPECTED, FunnelMethod("ratio", overdispersion="additive"))
    assert funnel.dispersion.phi == pytest.approx(0.144, abs=1e-9)
    assert funnel.dispersion.tau2 == 0
    multiplicative = compare_units(observed, EXPECTED, FunnelMethod("ratio", overdispersion="multiplicative"))
    limits = multiplicative.limits_at([100])
    assert limits.upper_95[0] == pytest.approx(100 * math.exp(Z95 * 0.1), rel=1e-12)  # φ < 1 taken as 1


def _simulated(tau2: float, units: int, seed: int):
    """Units with 200 expected events each whose true log ratio varies with variance tau2."""
    rng = np.random.default_rng(seed)
    expected = np.full(units, 200.0)
    observed = rng.poisson(expected * np.exp(rng.normal(0, math.sqrt(tau2), units)))
    return observed, expected


def test_injected_spread_is_recovered_without_winsorising():
    # z ~ N(0, 1 + τ²·E): with τ² = 0.04 and E = 200, var z = 9 → φ ≈ 9 and τ² ≈ (9 − 1)/200 = 0.04
    observed, expected = _simulated(0.04, 4000, seed=1)
    z = np.log(observed / expected) * np.sqrt(expected)
    d = estimate(z, 1 / np.sqrt(expected), "log", fraction=0.0)
    assert d.tau2 == pytest.approx(0.04, rel=0.1)


def test_winsorising_shrinks_phi_by_its_known_factor():
    # For normal z Winsorised at its 10%/90% points (±1.2816): E[z_w²] = 0.8 − 2·1.2816·φ(1.2816)
    #   + 0.2·1.2816² = 0.8 − 0.4498 + 0.3285 = 0.6787 of the variance. No spread: φ ≈ 0.679;
    #   var z = 9: φ ≈ 6.11 and τ² ≈ (6.11 − 1)/200 ≈ 0.0255.
    c = 1.2815515655446004
    factor = 0.8 - 2 * c * math.exp(-c * c / 2) / math.sqrt(2 * math.pi) + 0.2 * c * c
    assert factor == pytest.approx(0.6787, abs=1e-4)
    none = compare_units(*_simulated(0.0, 4000, seed=2), FunnelMethod("ratio", overdispersion="additive"))
    assert none.dispersion.phi == pytest.approx(factor, rel=0.06)
    assert none.dispersion.tau2 == 0
    spread = compare_units(*_simulated(0.04, 4000, seed=3), FunnelMethod("ratio", overdispersion="additive"))
    assert spread.dispersion.phi == pytest.approx(9 * factor, rel=0.06)
    assert spread.dispersion.tau2 == pytest.approx((9 * factor - 1) / 200, rel=0.08)


def test_proportions_on_the_arcsine_scale():
    # n = 100 each; y = asin(√p), target asin(√0.5) = π/4, s = 0.05.
    # p = sin²(π/4 + 0.05·z) for z = −4, −2, 0, 2, 4 gives the same φ = 5.696, τ² = 24.48/1600.
    n = 100
    events = [n * math.sin(math.pi / 4 + 0.05 * z) ** 2 for z in (-4, -2, 0, 2, 4)]
    funnel = compare_units(events, [n] * 5, FunnelMethod("proportion", overdispersion="additive"))
    assert funnel.average == pytest.approx(0.5, abs=1e-12)  # the sines pair off about π/4
    assert funnel.dispersion.scale == "arcsine"
    assert funnel.dispersion.phi == pytest.approx(5.696, abs=1e-9)
    assert funnel.dispersion.tau2 == pytest.approx(0.0153, abs=1e-9)
    limits = funnel.limits_at([n])
    half = Z95 * math.sqrt(0.0025 + 0.0153)
    assert limits.upper_95[0] == pytest.approx(100 * math.sin(math.pi / 4 + half) ** 2, rel=1e-12)


def test_log_scale_refuses_a_unit_with_no_events():
    from stocktake.funnel import FunnelDataError

    with pytest.raises(FunnelDataError, match="sqrt scale") as caught:
        compare_units([0, 5, 9, 12], [3, 5, 8, 10], FunnelMethod("ratio", overdispersion="additive"))
    assert caught.value.position == 0
    sqrt = compare_units(
        [0, 5, 9, 12], [3, 5, 8, 10], FunnelMethod("ratio", overdispersion="additive", od_scale="sqrt")
    )
    assert sqrt.dispersion.units == 4
