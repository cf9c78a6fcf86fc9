"""The department's trust among other trusts' published figures (ADR 39), worked by hand: its counts
summed over the figures' months, its place on the proportion funnel (the lines checked against the
textbook Wilson interval with SciPy), the other trusts' median, a period the warehouse lacks said in
words, and small numbers hidden."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from stocktake.files.peer_figures import PeerFigures
from stocktake.metrics.catalogue import load_catalogue
from stocktake.verdicts.peers import funnel_method
from stocktake.verdicts.trusts import compare_with_trusts, own_counts

METRIC = load_catalogue().metric("hipfx_surgery_36h")  # a percentage of cases, better when higher

# Eleven other trusts of 400 cases each, 3,104 operated on in time; ours 256 of 400 over 2024:
# 3,360 of 4,800 in all, an average of 70%. At n = 400 the lines are 70 ± z·√(0.7·0.3/400)·100:
#   95%:   70 ± 1.959964 × 2.291288 = 70 ± 4.490839 → 65.509161 to 74.490839
#   99.8%: 70 ± 3.090232 × 2.291288 = 70 ± 7.080613 → 62.919387 to 77.080613
# Ours, 64.0%, is between the lower lines: Low (0.025).
PEERS = {
    "Trust A": 290,
    "Trust B": 280,
    "Trust C": 300,  # 75.0%: above 74.49, High (0.025)
    "Trust D": 270,
    "Trust E": 285,
    "Trust F": 295,
    "Trust G": 275,
    "Trust H": 288,
    "Trust I": 282,
    "Trust J": 279,
    "Trust K": 260,  # 65.0%: below 65.51, Low (0.025)
}
FIGURES = PeerFigures(tuple(PEERS), tuple(map(float, PEERS.values())), (400.0,) * 11, ("2024-01", "2024-12"))
BY_HAND = {"lower_95": 65.509161, "upper_95": 74.490839, "lower_998": 62.919387, "upper_998": 77.080613}


def _series(months: pd.DatetimeIndex, numerators, denominators) -> pd.DataFrame:
    return pd.DataFrame({"period": months, "numerator": numerators, "denominator": denominators})


def ours() -> pd.DataFrame:
    """2023 (not in the figures' period), 2024 (256 of 400) and January 2025 (after it)."""
    before = _series(pd.date_range("2023-01-01", periods=12, freq="MS"), [30] * 12, [31] * 12)
    during = _series(
        pd.date_range("2024-01-01", periods=12, freq="MS"), [21] * 8 + [22] * 4, [33] * 8 + [34] * 4
    )
    after = _series(pd.DatetimeIndex(["2025-01-01"]), [1], [40])
    return pd.concat([before, during, after], ignore_index=True)


def wilson_bound(p: float, n: int, z: float, upper: bool) -> float:
    """The Wilson score interval's bound (Wilson 1927), from the textbook formula."""
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + (spread if upper else -spread)) / (1 + z * z / n)


def test_our_trust_placed_by_hand():
    compared = compare_with_trusts(METRIC, ours(), FIGURES, own="Northshire NHS Trust", source="NHFD 2024")
    f, i = compared.funnel, compared.own_index
    assert compared.units[-1] == "Northshire NHS Trust" and len(compared.units) == 12
    assert (f.numerator[i], f.denominator[i]) == (256, 400)  # 2024 only: 2023 and 2025 left out
    assert f.value[i] == pytest.approx(64.0) and f.baseline == pytest.approx(70.0)
    assert compared.limits() == pytest.approx(BY_HAND, abs=5e-6)
    assert f.significance[i] == "Low (0.025)"
    assert f.significance[2] == "High (0.025)" and f.significance[10] == "Low (0.025)"
    assert compared.sentence() == "Our trust: 64.0% — Low (0.025) among 12 trusts"
    # the median of the other trusts' values, ours left out
    assert compared.peers_median == pytest.approx(statistics.median(100 * e / 400 for e in PEERS.values()))
    assert compared.peers_median == pytest.approx(70.5)
    assert compared.mismatch == "" and compared.period == "January 2024 to December 2024"


@pytest.mark.parametrize(("level", "z"), [("95", norm.ppf(0.975)), ("998", norm.ppf(0.999))])
def test_the_lines_at_our_size_are_where_a_wilson_interval_just_reaches_the_average(level, z):
    """Independently of the package's arithmetic: the lower line is the proportion whose Wilson upper
    bound is the average (70%), the upper line the one whose Wilson lower bound is."""
    limits = compare_with_trusts(METRIC, ours(), FIGURES).limits()
    lower = brentq(lambda p: wilson_bound(p, 400, z, upper=True) - 0.7, 0.01, 0.7)
    upper = brentq(lambda p: wilson_bound(p, 400, z, upper=False) - 0.7, 0.7, 0.99)
    assert limits[f"lower_{level}"] == pytest.approx(100 * lower, abs=1e-6)
    assert limits[f"upper_{level}"] == pytest.approx(100 * upper, abs=1e-6)


def test_a_period_the_warehouse_does_not_hold_whole_uses_the_latest_twelve_months_and_says_so():
    figures = PeerFigures(FIGURES.units, FIGURES.numerator, FIGURES.denominator, ("2022-04", "2023-03"))
    compared = compare_with_trusts(METRIC, ours(), figures)
    f, i = compared.funnel, compared.own_index
    # February 2024 to January 2025: 2024 less January (21 of 33) plus January 2025 (1 of 40)
    assert (f.numerator[i], f.denominator[i]) == (256 - 21 + 1, 400 - 33 + 40)
    assert compared.period == "February 2024 to January 2025"
    assert compared.mismatch == (
        "the other trusts' figures are for April 2022 to March 2023, which the warehouse does not hold "
        "whole (it holds January 2023 to January 2025); ours are the latest 12 complete months, "
        "February 2024 to January 2025: not the same period"
    )


def test_figures_without_a_period_are_compared_with_our_latest_twelve_months():
    numerator, denominator, first, last, why = own_counts(ours(), None)
    assert (numerator, denominator) == (236, 407) and first == pd.Timestamp("2024-02-01")
    assert last == pd.Timestamp("2025-01-31") and why.startswith(
        "the other trusts' figures do not say their period"
    )


def test_a_census_is_read_at_the_periods_last_month_end_not_summed():
    """An outside check: "Our trust: April 2024 to March 2025, 29,533 of 41,888" for a list of 3,571,
    twelve month-ends summed. A census (% within 18 weeks) is read as a trust's return is, at the
    period's last month alone: December 2024's 22 of 34 here; without a period, the latest month's."""
    census = load_catalogue().metric("rtt_within_18_weeks")
    assert census.stock
    compared = compare_with_trusts(census, ours(), FIGURES)
    f, i = compared.funnel, compared.own_index
    assert (f.numerator[i], f.denominator[i]) == (22, 34)
    assert compared.period == "December 2024" and compared.mismatch == ""
    numerator, denominator, first, last, why = own_counts(ours(), None, census=True)
    assert (numerator, denominator, first, last) == (
        1,
        40,
        pd.Timestamp("2025-01-01"),
        pd.Timestamp("2025-01-31"),
    )
    assert why.endswith("ours are those waiting at the end of the latest complete month, January 2025")


def test_our_small_numbers_are_hidden():
    small = _series(pd.date_range("2024-01-01", periods=12, freq="MS"), [0] * 11 + [3], [0] * 11 + [5])
    compared = compare_with_trusts(METRIC, small, FIGURES)
    assert compared.hidden and compared.label == "*"
    assert (
        compared.sentence() == "Our trust: * (1 to 7 cases or events, or a count another table "
        "would give away by subtraction: not shown) among 12 trusts"
    )
    assert "60" not in compared.sentence()
    shown = compare_with_trusts(METRIC, small, FIGURES, suppress=False)
    assert not shown.hidden and np.isclose(shown.funnel.value[-1], 60.0)


def test_no_comparison_for_a_measure_without_a_funnel_or_without_our_cases():
    no_funnel = next(m for m in load_catalogue().metrics if funnel_method(m) is None)
    assert compare_with_trusts(no_funnel, ours(), FIGURES) is None
    empty = _series(pd.date_range("2024-01-01", periods=12, freq="MS"), [0] * 12, [0] * 12)
    assert compare_with_trusts(METRIC, empty, FIGURES) is None


def _hidden_as(events: int, cases: int):
    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    return compare_with_trusts(METRIC, _series(months, [0] * 11 + [events], [0] * 11 + [cases]), FIGURES)


def test_when_ours_are_hidden_the_lines_and_labels_are_the_other_trusts_alone():
    """An average over every trust, less the peers' published counts, would give our hidden counts
    back (as would the peers' labels, or an axis spanning our denominator): so they are the peers'."""
    five, six = _hidden_as(5, 38), _hidden_as(6, 39)
    assert five.hidden and six.hidden and five.peers_only
    average = 100 * sum(PEERS.values()) / (400 * len(PEERS))  # the peers' 3,104 of 4,400
    for compared in (five, six):
        f = compared.funnel
        assert np.isclose(f.baseline, average)
        assert compared.label == "*" and f.significance[-1] == "*"
        # the peers' labels against their own average, 70.545% ± 1.959964 × √(.70545 × .29455 / 400):
        # 66.077 to 75.013, so Trust C (75.0%) is no longer High; Trust K (65.0%) still Low
        assert f.significance[2] == "Not significant" and f.significance[10] == "Low (0.025)"
        assert len(f.significance) == len(compared.units) == 12
        drawn = compared.drawn_limits()
        assert np.isclose(drawn.denominator.min(), 0.9 * 400) and np.isclose(
            drawn.denominator.max(), 1.1 * 400
        )
    # nothing drawn or labelled differs when our hidden counts do
    a, b = five.funnel, six.funnel
    assert a.baseline == b.baseline and a.significance == b.significance
    for k in ("denominator", "lower_95", "upper_95", "lower_998", "upper_998"):
        assert np.array_equal(getattr(five.drawn_limits(), k), getattr(six.drawn_limits(), k))
        assert np.array_equal(getattr(a.limits, k)[:-1], getattr(b.limits, k)[:-1])
    assert five.peers_median == six.peers_median
    # and the board report's row (its workbook sheet masks the same figures) is the same too
    from stocktake.report.board import trust_sections

    assert trust_sections((five,)) == trust_sections((six,))
