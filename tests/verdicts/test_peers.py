"""A catalogue measure compared across groups on a funnel: which measures can be, an injected
outlier found, small groups hidden with their complement."""

import numpy as np
import pandas as pd
import pytest

from stocktake.funnel import HIGH_001, LOW_001, NOT_SIGNIFICANT
from stocktake.metrics.catalogue import Aggregate, Metric
from stocktake.verdicts.peers import compare_peers, funnel_method

COUNT = Aggregate("admissions", "admitted_at")
SHARE = Metric(
    "share", "Share", "Area", "%", "increase", "hand-made", numerator=COUNT, denominator=COUNT, scale=100.0
)
MONTHS = pd.date_range("2023-01-01", periods=18, freq="MS")


def _frame(per_month: dict[str, tuple[int, int]]) -> pd.DataFrame:
    rows = [
        {"period": m, "site": site, "numerator": float(a), "denominator": float(n)}
        for m in MONTHS
        for site, (a, n) in per_month.items()
    ]
    return pd.DataFrame(rows)


def test_which_measures_have_a_funnel():
    assert funnel_method(SHARE).statistic == "proportion"
    per_100 = Metric(
        "r", "R", "A", "per 100 referrals", "decrease", "h", numerator=COUNT, denominator=COUNT, scale=100.0
    )
    assert (funnel_method(per_100).statistic, funnel_method(per_100).multiplier) == ("rate", 100.0)
    mean = Aggregate("admissions", "admitted_at", statistic="mean")
    stay = Metric("los", "LOS", "A", "days", "decrease", "h", numerator=mean, denominator=COUNT)
    assert funnel_method(stay) is None
    volume = Metric("v", "V", "A", "patients", "neutral", "h", numerator=COUNT)
    assert funnel_method(volume) is None


def test_the_last_twelve_months_summed_and_an_injected_outlier_found():
    # Four sites at 80%, one at 60%, each 100 cases a month: 1,200 cases a year each.
    frame = _frame({"A": (80, 100), "B": (80, 100), "C": (80, 100), "D": (80, 100), "Low": (60, 100)})
    peers = compare_peers(SHARE, frame, "site")
    assert (peers.first, peers.last) == (MONTHS[-12], MONTHS[-1])
    labels = dict(zip(peers.groups, peers.funnel.significance, strict=True))
    assert labels["Low"] == LOW_001
    assert peers.funnel.baseline == pytest.approx(76.0)  # (4 × 960 + 720) / 6000
    assert list(peers.funnel.denominator) == [1200.0] * 5
    assert not peers.hidden.any()


def test_a_census_is_compared_at_its_latest_month_not_summed_over_a_year():
    """Those waiting at each month's end are mostly the same patients month after month: a year's
    censuses summed made one patient twelve cases. Hand-worked: the latest month's 60 of 100 and
    45 of 100 are compared (z of 60% against the pooled 52.5% is inside the 95% limits), where twelve
    months summed (720 of 1,200 and 540 of 1,200) put both sites far beyond the 99.8% limits."""
    census = Aggregate("rtt_pathways", "clock_start", census=("clock_start", "clock_stop"))
    within = Metric(
        "w", "Within", "A", "%", "increase", "h", numerator=census, denominator=census, scale=100.0
    )
    assert within.stock
    compared = compare_peers(within, _frame({"North": (60, 100), "South": (45, 100)}), "site")
    assert compared.census and compared.first == compared.last == MONTHS[-1]
    assert list(compared.funnel.denominator) == [100.0, 100.0]
    assert set(compared.funnel.significance) == {NOT_SIGNIFICANT}
    summed = compare_peers(SHARE, _frame({"North": (60, 100), "South": (45, 100)}), "site")
    assert list(summed.funnel.denominator) == [1200.0, 1200.0] and not summed.census
    assert set(summed.funnel.significance) == {HIGH_001, LOW_001}


def test_a_proportions_other_side_of_one_to_seven_is_hidden_with_a_partner():
    """An outside check read "25 of 30" within 18 weeks on the funnel, so 5 over 18 weeks, which the
    drill-down hid. Cases less events is a count too: North (5 outside) is hidden, and with it the
    group whose outside count is next smallest (Mid, 40), so the pooled average cannot give 5 back."""
    census = Aggregate("rtt_pathways", "clock_start", census=("clock_start", "clock_stop"))
    within = Metric(
        "w", "Within", "A", "%", "increase", "h", numerator=census, denominator=census, scale=100.0
    )
    frame = _frame({"North": (25, 30), "Mid": (100, 140), "South": (120, 200)})
    compared = compare_peers(within, frame, "site")
    assert dict(zip(compared.groups, compared.hidden, strict=True)) == {
        "Mid": True, "North": True, "South": False,
    }  # fmt: skip
    assert not compare_peers(within, frame, "site", suppress=False).hidden.any()


def test_a_small_group_and_the_group_that_would_give_it_away_are_hidden():
    frame = _frame({"A": (80, 100), "B": (90, 100), "C": (50, 60), "Tiny": (0, 0)})
    frame.loc[(frame["site"] == "Tiny") & (frame["period"] == MONTHS[-1]), ["numerator", "denominator"]] = [
        3,
        5,
    ]
    peers = compare_peers(SHARE, frame, "site")
    hidden = dict(zip(peers.groups, peers.hidden, strict=True))
    assert hidden == {"A": False, "B": False, "C": True, "Tiny": True}  # C: the next smallest (720 cases)
    shown = compare_peers(SHARE, frame, "site", suppress=False)
    assert not shown.hidden.any()


def test_no_funnel_with_fewer_than_two_groups():
    assert compare_peers(SHARE, _frame({"A": (80, 100)}), "site") is None


def test_a_rate_above_the_average_is_high():
    rate = Metric(
        "r", "R", "A", "per 100 referrals", "decrease", "h", numerator=COUNT, denominator=COUNT, scale=100.0
    )
    frame = _frame({"A": (30, 100), "B": (30, 100), "C": (30, 100), "High": (60, 100)})
    peers = compare_peers(rate, frame, "site")
    labels = dict(zip(peers.groups, peers.funnel.significance, strict=True))
    assert labels["High"] == HIGH_001 and np.isclose(peers.funnel.value[peers.groups.index("High")], 60.0)
    assert {labels[g] for g in "ABC"} <= {NOT_SIGNIFICANT, "Low (0.025)", LOW_001}


def test_sites_that_add_up_to_a_year_less_its_shown_months_are_hidden_two_at_least():
    """An outside check: three sites, none small over the year, but November's whole department is 3
    deaths of 5 (hidden on its chart); the sites summed, less the eleven months shown, gave November
    back. Now two sites are hidden (the smallest, and its complement), so the sites do not add up;
    observed ÷ expected hides the same ones. A year without a hidden month hides none."""
    from stocktake.metrics.catalogue import load_catalogue
    from stocktake.verdicts.expected import compare_observed_expected

    metric = load_catalogue().metric("hipfx_mortality_30d")
    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    rows = []
    for i, month in enumerate(months):
        for site, deaths, cases in (("A", 4, 20), ("B", 3, 15), ("C", 2, 12)):
            if i == 7:
                deaths, cases = (2, 2) if site == "A" else (1, 2) if site == "B" else (0, 1)
            rows.append((month, site, deaths, cases))
    frame = pd.DataFrame(rows, columns=["period", "site", "numerator", "denominator"])
    compared = compare_peers(metric, frame, "site")
    assert compared.groups == ("A", "B", "C") and list(compared.hidden) == [False, True, True]
    expected = compare_observed_expected(metric, frame, "site", {"A": 40.0, "B": 30.0, "C": 20.0})
    assert list(expected.peers.hidden) == [False, True, True]
    whole_year = frame[frame["period"] != months[7]]
    assert not compare_peers(metric, whole_year, "site").hidden.any()
