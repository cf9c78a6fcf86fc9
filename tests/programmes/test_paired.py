"""Paired statistics: R's sleep data reproduced exactly, and small cohorts worked by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from stocktake.programmes import MIN_PAIRED, compare_paired, effect_size, paired_t, signed_rank
from stocktake.programmes.paired import (
    APPROX_CONVENTION,
    CAUTION_BELOW,
    EXACT_CONVENTION,
    holm,
    smallest_exact_p,
)

LEADERSHIP = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "leadership"


@pytest.fixture(scope="module")
def sleep():
    data = pd.read_csv(LEADERSHIP / "sleep_paired.csv")
    expected = pd.read_csv(LEADERSHIP / "sleep_paired_expected.csv").set_index("quantity")["value"]
    return data["extra_group1"].to_numpy(), data["extra_group2"].to_numpy(), expected


def test_sleep_paired_t_as_r_prints_it(sleep):
    x, y, expected = sleep
    result = compare_paired(x, y)
    t = result.t_test
    assert result.n == 10
    assert t.t == pytest.approx(expected["paired_t.statistic"], rel=1e-12)
    assert t.df == expected["paired_t.df"]
    assert t.p == pytest.approx(expected["paired_t.p_two_sided"], rel=1e-12)
    assert t.mean_difference == pytest.approx(expected["paired_t.mean_difference"], rel=1e-12)
    assert t.ci95_low == pytest.approx(expected["paired_t.ci95_low"], rel=1e-12)
    assert t.ci95_high == pytest.approx(expected["paired_t.ci95_high"], rel=1e-12)


def test_sleep_effect_sizes_with_their_formulas_named(sleep):
    x, y, expected = sleep
    effect = compare_paired(x, y).effect
    assert effect.d_z == pytest.approx(expected["cohen_dz"], rel=1e-12)
    assert effect.g_z == pytest.approx(expected["hedges_gz"], rel=1e-12)
    assert "1 - 3 / (4 df - 1)" in effect.g_convention and "mean(d) / sd(d)" in effect.d_convention


def test_sleep_wilcoxon_uses_the_corrected_normal_approximation_as_r_does(sleep):
    # One zero difference (subject 5) and a tie (|-1.3| twice): R warns and approximates.
    x, y, expected = sleep
    rank = compare_paired(x, y).signed_rank
    assert rank.v == expected["wilcoxon.V"] == 0
    assert rank.p == pytest.approx(expected["wilcoxon.p_two_sided"], rel=1e-12)
    assert (rank.n_nonzero, rank.zeros, rank.ties) == (9, 1, True)
    assert rank.method == "normal approximation" and rank.convention == APPROX_CONVENTION
    assert "zero differences dropped" in rank.convention and "continuity correction" in rank.convention


def test_five_positive_differences_use_the_exact_distribution():
    # d = 1..5, no ties, no zeros: V = 1+2+3+4+5 = 15, the largest of 2^5 = 32 equally likely sign
    # patterns; two-sided p = 2 x 1/32 = 0.0625. t: mean 3, sd sqrt(2.5), t = 3 / (sqrt(2.5)/sqrt(5))
    # = 3 / sqrt(0.5) = 4.2426; d_z = 3 / sqrt(2.5) = 1.8974; g_z = d_z x (1 - 3/15) = 1.5179.
    result = compare_paired([1, 2, 3, 4, 5], [0, 0, 0, 0, 0])
    assert result.signed_rank.v == 15
    assert result.signed_rank.p == pytest.approx(0.0625, abs=1e-15)
    assert result.signed_rank.method == "exact" and result.signed_rank.convention == EXACT_CONVENTION
    assert result.t_test.t == pytest.approx(3 / np.sqrt(0.5), rel=1e-12)
    assert result.effect.d_z == pytest.approx(3 / np.sqrt(2.5), rel=1e-12)
    assert result.effect.g_z == pytest.approx(3 / np.sqrt(2.5) * 0.8, rel=1e-12)


def test_six_differences_one_negative_exact():
    # d = -1, 2, 3, 4, 5, 6: ranks 1..6, V = 2+3+4+5+6 = 20. Of 64 sign patterns, V >= 20 for two
    # (V = 21, V = 20), so the two-sided p = 2 x 2/64 = 0.0625. x - y: the after minus the before.
    rank = signed_rank([0, 3, 4, 5, 6, 7], [1, 1, 1, 1, 1, 1])
    assert (rank.v, rank.method) == (20, "exact")
    assert rank.p == pytest.approx(4 / 64, abs=1e-15)


def test_ties_and_a_zero_worked_by_hand():
    # d = 1, 1, 1, 1, 2, -2, 0. Wilcoxon drops the zero: n = 6. |d| ranks: the four 1s share ranks
    # 1-4 (2.5 each), the two 2s share 5-6 (5.5 each). V = 4 x 2.5 + 5.5 = 15.5.
    # E[V] = n(n+1)/4 = 10.5. Var = n(n+1)(2n+1)/24 - sum(t^3 - t)/48 = 22.75 - (60 + 6)/48 = 21.375.
    # z = (15.5 - 10.5 - 0.5) / sqrt(21.375) (the 0.5: continuity correction towards the mean).
    d = np.array([1, 1, 1, 1, 2, -2, 0])
    z = (15.5 - 10.5 - 0.5) / np.sqrt(21.375)
    result = compare_paired(d, np.zeros(7))
    rank = result.signed_rank
    assert (rank.v, rank.n_nonzero, rank.zeros, rank.ties) == (15.5, 6, 1, True)
    assert rank.p == pytest.approx(2 * stats.norm.sf(z), rel=1e-12)
    assert rank.p == pytest.approx(0.33039, abs=5e-6)
    # The t test keeps the zero: n = 7, mean 4/7, variance (12 - 7 (4/7)^2) / 6 = 68/42.
    mean, sd = 4 / 7, np.sqrt(68 / 42)
    assert result.t_test.mean_difference == pytest.approx(mean, rel=1e-12)
    assert result.t_test.t == pytest.approx(mean / (sd / np.sqrt(7)), rel=1e-12)
    assert result.t_test.df == 6
    assert result.effect.d_z == pytest.approx(mean / sd, rel=1e-12)
    assert result.effect.g_z == pytest.approx(mean / sd * (1 - 3 / 23), rel=1e-12)


def test_differences_equal_on_paper_tie_despite_float_error():
    # 7/3 - 4/3 is 1.0000000000000002 in floating point, but a domain mean of 7/3 against 4/3 is
    # a difference of one level, exactly as 2 - 1 is: they tie, so the test is the approximation.
    rank = signed_rank([7 / 3, 2, 4, 6, 8], [4 / 3, 1, 1, 1, 1])
    assert rank.ties and rank.method == "normal approximation"
    assert rank.v == 15  # all positive: ranks 1.5, 1.5, 3, 4, 5


def test_four_pairs_give_counts_only_and_say_why():
    result = compare_paired([3, 4, 5, 4], [2, 2, 3, 4])
    assert result.n == 4 == MIN_PAIRED - 1
    assert result.t_test is None and result.signed_rank is None and result.effect is None
    assert result.notes == (
        "counts only: 4 paired responses, fewer than 5; a p-value from so few people would mislead (ADR 23)",
    )


def test_no_change_at_all_is_said_rather_than_tested():
    result = compare_paired([3, 3, 3, 3, 3], [3, 3, 3, 3, 3])
    assert result.t_test is None and result.signed_rank is None
    assert "every one of the 5 differences is 0" in result.notes[0]


def test_the_same_gain_for_everyone_still_gets_its_signed_rank():
    # Five differences of +1 tie: V = 15, approximation; no spread, so no t and no effect size.
    result = compare_paired([2, 2, 2, 2, 2], [1, 1, 1, 1, 1])
    assert result.t_test is None and result.effect is None
    assert result.signed_rank.v == 15 and result.signed_rank.method == "normal approximation"


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1, 2, 3], [1, 2], "equal-length"),
        ([1, np.nan, 3, 4, 5], [1, 2, 3, 4, 5], "unpaired"),
    ],
)
def test_unpaired_input_is_refused(x, y, message):
    with pytest.raises(ValueError, match=message):
        compare_paired(x, y)


def test_the_parts_agree_with_the_whole(sleep):
    x, y, _ = sleep
    whole = compare_paired(x, y)
    assert whole.t_test == paired_t(x, y)
    assert whole.signed_rank == signed_rank(x, y)
    assert whole.effect == effect_size(x, y)


# --- small numbers of pairs: the exact floor and the cautions (ADR 23, addendum of 3 December 2026) -----


def test_five_equal_gains_get_a_caution_naming_the_exact_tests_floor():
    # d = +1 x5: every |d| ties, so R (and we) approximate. V = 15, E[V] = 7.5,
    # Var = 5 x 6 x 11 / 24 - (5^3 - 5) / 48 = 13.75 - 2.5 = 11.25, z = (15 - 7.5 - 0.5) / sqrt(11.25).
    # The exact test on 5 differences: all positive is 1 pattern of 2^5, two-sided p = 2/32 = 0.0625,
    # its smallest possible value; the approximation's 0.0369 is below it, which no exact test allows.
    result = compare_paired([2, 2, 2, 2, 2], [1, 1, 1, 1, 1])
    p = 2 * stats.norm.sf(7 / np.sqrt(11.25))
    assert result.signed_rank.p == pytest.approx(p, rel=1e-12) and p < 0.0625
    assert smallest_exact_p(5) == 0.0625
    caution = [n for n in result.notes if n.startswith("caution")]
    assert caution == [
        "caution: tied differences force the normal approximation on 5 non-zero differences, where the "
        f"exact signed-rank test could never give p below 2/2^5 = 0.0625; the approximate p ({p:.3g}) is "
        "below that: read it as no smaller than 0.0625"
    ]


def test_a_zero_and_ties_at_six_pairs_caution_both_tests():
    # d = 1, 1, 2, 3, 0, 2: one zero dropped (n = 5 non-zero), ties: approximation, floor 2/2^5.
    # Six pairs, fewer than CAUTION_BELOW: the t test's normality cannot be checked either.
    result = compare_paired([1, 1, 2, 3, 0, 2], np.zeros(6))
    assert result.signed_rank.method == "normal approximation" and result.signed_rank.zeros == 1
    assert any(
        "tied differences and 1 zero difference force" in n and "2/2^5 = 0.0625" in n for n in result.notes
    )
    assert any(n.startswith("caution: 6 pairs are too few") for n in result.notes)


def test_no_caution_where_the_test_is_exact_and_the_pairs_are_ten_or_more():
    # d = 1..10: no ties, no zeros, exact (as R); ten pairs: no caution at all.
    result = compare_paired(np.arange(1, 11), np.zeros(10))
    assert result.signed_rank.method == "exact" and CAUTION_BELOW == 10
    assert result.notes == ()
    # Five such pairs are exact too: only the t test's caution.
    five = compare_paired([1, 2, 3, 4, 5], np.zeros(5))
    assert five.signed_rank.method == "exact" and len(five.notes) == 1 and "5 pairs" in five.notes[0]


@pytest.mark.parametrize(
    ("raw", "adjusted"),
    [
        # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") = 0.05 0.08 0.09 0.09 0.09
        # (0.01 x 5, 0.02 x 4, 0.03 x 3, then 0.04 x 2 = 0.08 and 0.05 x 1 held up to 0.09).
        ((0.01, 0.02, 0.03, 0.04, 0.05), (0.05, 0.08, 0.09, 0.09, 0.09)),
        # Order kept: sorted 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 held at 0.06.
        ((0.01, 0.04, 0.03, 0.005), (0.03, 0.06, 0.06, 0.02)),
        # No test (None) is not counted: m = 2.
        ((0.01, None, 0.02), (0.02, None, 0.02)),
        # Capped at 1.
        ((0.6, 0.7), (1.0, 1.0)),
    ],
)
def test_holm_as_r_adjusts(raw, adjusted):
    assert list(holm(raw)) == [None if a is None else pytest.approx(a, abs=1e-15) for a in adjusted]
