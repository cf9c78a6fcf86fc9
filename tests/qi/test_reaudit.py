"""A re-audit's change against published and independently computed values.

Intervals: Newcombe RG (1998), "Interval estimation for the difference between independent
proportions: comparison of eleven methods", Statistics in Medicine 17:873–890, Table II, method 10
(hybrid score, no continuity correction), its eight examples (a)–(h), to the 4 decimals printed there.
(The example 56/70 − 48/80 is a difference of 0.2000 with an interval of 0.0524 to 0.3339.)

p-values: the pooled z-test is R's ``prop.test(x, n, correct = FALSE)``, whose X-squared is z²; the
values below were computed with ``scipy.stats.chi2_contingency(table, correction=False)`` (scipy
1.17.1), which gives the same statistic, and Fisher's with ``scipy.stats.fisher_exact`` — outside the
code under test, which computes z by hand.
"""

from __future__ import annotations

import pytest

from stocktake.qi.reaudit import compare, p_text, verdict, wilson

#: (before met, eligible, after met, eligible) → (difference, low, high): Newcombe 1998, Table II.
NEWCOMBE = {
    "a": ((48, 80, 56, 70), (0.2000, 0.0524, 0.3339)),
    "b": ((3, 10, 9, 10), (0.6000, 0.1705, 0.8090)),
    "c": ((2, 7, 6, 7), (0.5714, 0.0582, 0.8062)),
    "d": ((0, 29, 5, 56), (0.0893, -0.0381, 0.1926)),
    "e": ((0, 20, 0, 10), (0.0000, -0.1611, 0.2775)),
    "f": ((0, 10, 0, 10), (0.0000, -0.2775, 0.2775)),
    "g": ((0, 20, 10, 10), (1.0000, 0.6791, 1.0000)),
    "h": ((0, 10, 10, 10), (1.0000, 0.6075, 1.0000)),
}


@pytest.mark.parametrize("example", NEWCOMBE)
def test_the_interval_is_newcombes_method_10(example):
    counts, (difference, low, high) = NEWCOMBE[example]
    change = compare(*counts)
    assert change.difference == pytest.approx(difference, abs=5e-5)
    assert change.low == pytest.approx(low, abs=5e-5)
    assert change.high == pytest.approx(high, abs=5e-5)


def test_the_wilson_interval():
    # 56/70 worked by hand: centre (0.8 + z²/140)/(1 + z²/70) = 0.78438, half-width
    # z·√(0.8·0.2/70 + z²/19600)/(1 + z²/70) = 0.09257, so 0.6918 to 0.8770 (Wilson 1927)
    low, high = wilson(56, 70, 1.959963984540054)
    assert (round(low, 4), round(high, 4)) == (0.6918, 0.8770)


# (counts, p-value, test): prop.test(correct = FALSE) via chi2_contingency(correction=False) for z;
# fisher_exact where a count expected under "no change" is below 5.
P_VALUES = [
    ((48, 80, 56, 70), 0.008045081368196582, "z"),  # X-squared = 7.0234
    ((30, 50, 40, 50), 0.029096331741252267, "z"),  # X-squared = 4.7619
    ((3, 10, 9, 10), 0.019766611097880443, "fisher"),  # expected 6 and 4 per cycle
    ((2, 7, 6, 7), 0.10256410256410256, "fisher"),
    ((0, 20, 0, 10), 1.0, "fisher"),
]


@pytest.mark.parametrize(("counts", "p_value", "test"), P_VALUES)
def test_the_p_value_is_the_pooled_z_test_or_fishers_for_small_counts(counts, p_value, test):
    change = compare(*counts)
    assert change.test == test
    assert change.p_value == pytest.approx(p_value, rel=1e-9)


def test_the_verdict_in_plain_words():
    assert verdict(compare(48, 80, 56, 70)) == (
        "The rise from 60% to 80% is more than chance would explain "
        "(p = 0.008; the true change is between +5 and +33 points)"
    )
    assert verdict(compare(6, 7, 2, 7)) == (
        "The fall from 86% to 29% could be chance (p = 0.1; the true change is between −81 and −6 points)"
    )
    assert verdict(compare(0, 20, 10, 10)).startswith("The rise from 0% to 100% is more than chance")
    assert "(p < 0.001;" in verdict(compare(0, 20, 10, 10))
    assert verdict(compare(5, 10, 5, 10)).startswith("The change from 50% to 50% could be chance (p = 1;")


def test_p_text():
    assert [p_text(p) for p in (0.00049, 0.001, 0.0123, 0.049, 0.5, 1.0)] == [
        "p < 0.001",
        "p = 0.001",
        "p = 0.012",
        "p = 0.049",
        "p = 0.5",
        "p = 1",
    ]


def test_a_change_needs_eligible_cases_and_sensible_counts():
    with pytest.raises(ValueError, match="before: no eligible cases"):
        compare(0, 0, 3, 10)
    with pytest.raises(ValueError, match="after: met"):
        compare(3, 10, 11, 10)


def test_the_result_is_frozen():
    change = compare(48, 80, 56, 70)
    with pytest.raises(AttributeError):
        change.p_value = 0.5  # type: ignore[misc]
    assert (change.before, change.after, change.more_than_chance) == (0.6, 0.8, True)
