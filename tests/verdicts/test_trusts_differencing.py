"""Issue 28, third outside review: our trust's counts over the other trusts' period must not give a
small count away against another total of the measure shown beside them (the board's observed ÷
expected sites summed, its funnel across sites). The rule worked by hand on the outsider's numbers:
37 deaths of 511 for April 2024 to February 2025 beside 42 for April 2024 to March 2025."""

from __future__ import annotations

import pandas as pd
import pytest

from stocktake.files.peer_figures import PeerFigures
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.suppression import MASK
from stocktake.verdicts.trusts import ShownTotal, compare_with_trusts, differenced, own_counts

METRIC = load_catalogue().metric("hipfx_mortality_30d")
PEERS = PeerFigures(
    ("Peer A", "Peer B", "Peer C"), (3.0, 4.0, 2.0), (50.0, 60.0, 40.0), ("2024-04", "2025-02")
)
APRIL, FEBRUARY, MARCH = (pd.Timestamp(m) for m in ("2024-04-01", "2025-02-28", "2025-03-31"))


def _ours(march_deaths: int, march_cases: int = 45) -> pd.DataFrame:
    """Twelve months, April 2024 to March 2025: 37 deaths of 511 to February (as the demo had)."""
    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    deaths = [4, 3, 3, 4, 3, 3, 4, 3, 3, 4, 3, march_deaths]
    cases = [47, 46, 46, 47, 46, 46, 47, 46, 46, 47, 47, march_cases]
    assert sum(deaths[:11]) == 37 and sum(cases[:11]) == 511
    return pd.DataFrame({"period": months, "numerator": deaths, "denominator": cases})


def _year(frame) -> ShownTotal:
    """What observed ÷ expected shows: the sites summed over April 2024 to March 2025."""
    return ShownTotal(APRIL, MARCH, float(frame["numerator"].sum()), float(frame["denominator"].sum()))


@pytest.mark.parametrize(("march", "hidden"), [(0, False), (1, True), (5, True), (7, True), (8, False)])
def test_the_difference_hides_ours_only_when_it_is_1_to_7(march, hidden):
    # the cases differ by 45 (shown), so only the deaths' difference, March's, decides
    assert differenced(37, 511, APRIL, FEBRUARY, [_year(_ours(march))]) is hidden


def test_a_difference_in_cases_alone_hides_ours_too():
    year = ShownTotal(APRIL, MARCH, 60, 511 + 6)
    assert differenced(37, 511, APRIL, FEBRUARY, [year])
    assert (
        differenced(37, 511, APRIL, FEBRUARY, [ShownTotal(APRIL, MARCH, 60, 520)], numerator_is_count=False)
        is False
    )


def test_a_total_over_months_apart_from_ours_gives_nothing_away():
    later = ShownTotal(pd.Timestamp("2025-03-01"), pd.Timestamp("2025-05-31"), 40, 515)
    assert not differenced(37, 511, APRIL, FEBRUARY, [later])


def test_the_comparison_hides_ours_against_what_else_is_shown():
    frame = _ours(5)
    shown = compare_with_trusts(METRIC, frame, PEERS, own="Northshire")
    assert not shown.hidden and shown.funnel.numerator[-1] == 37  # before: 37 of 511, and 42 beside it
    hidden = compare_with_trusts(METRIC, frame, PEERS, own="Northshire", shown=[_year(frame)])
    assert hidden.hidden and hidden.label == MASK
    assert (
        hidden.sentence() == f"Our trust: {MASK} (1 to 7 cases or events, or a count another table "
        "would give away by subtraction: not shown) among 4 trusts"
    )
    # the lines are the other trusts' alone, as for any hidden count: equal whatever ours are
    other = compare_with_trusts(METRIC, _ours(6), PEERS, own="Northshire", shown=[_year(_ours(6))])
    assert hidden.funnel.limits.baseline == other.funnel.limits.baseline


@pytest.mark.parametrize("period", [("zzz", "zzz"), ("2024-13", "2025-01"), ("2025-02", "2024-04")])
def test_a_bad_period_counts_ours_over_the_latest_months_never_a_crash(period):
    numerator, denominator, first, _, why = own_counts(_ours(5), period)
    assert (numerator, denominator) == (42, 556) and first == APRIL
    assert why.startswith("the other trusts' figures do not say their period")


def test_ours_are_hidden_when_they_less_the_charts_shown_months_give_a_hidden_month_back():
    """An outside check: a year of 10 deaths of 40 a month but one month of 4 deaths of 5 cases
    (hidden on the chart); "Our trust 114 of 445" less the eleven months shown gave that month back.
    Two hidden months that add to 8 or more give nothing away: ours are shown."""
    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    deaths, cases = [10] * 12, [40] * 12
    deaths[7], cases[7] = 4, 5
    frame = pd.DataFrame({"period": months, "numerator": deaths, "denominator": cases})
    assert compare_with_trusts(METRIC, frame, PEERS, own="Northshire").hidden
    deaths[3], cases[3] = 5, 6  # two hidden months: 9 deaths of 11 cases between them
    frame = pd.DataFrame({"period": months, "numerator": deaths, "denominator": cases})
    assert not compare_with_trusts(METRIC, frame, PEERS, own="Northshire").hidden
