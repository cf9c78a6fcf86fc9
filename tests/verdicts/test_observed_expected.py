"""Outcome measures compared observed ÷ expected: the catalogue's flag, the expected-counts file,
the O/E funnel (PHEindicatormethods' ISR limits around 1) and the funnel page's upload."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from stocktake.files.expected import ExpectedFileError, parse_expected
from stocktake.funnel import FunnelMethod, compare_units
from stocktake.metrics.catalogue import load_catalogue
from stocktake.verdicts.expected import compare_observed_expected, compares_observed_expected

CATALOGUE = load_catalogue()
DEATHS = CATALOGUE.metric("hipfx_mortality_30d")


def test_only_the_outcome_measures_compare_observed_expected():
    flagged = [m.id for m in CATALOGUE.metrics if m.outcome]
    assert flagged == ["hipfx_mortality_30d"]
    assert compares_observed_expected(DEATHS)
    assert not compares_observed_expected(CATALOGUE.metric("hipfx_surgery_36h"))


def _frame(rows) -> pd.DataFrame:
    """Twelve months a site: (site, deaths a month, cases a month)."""
    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    return pd.DataFrame(
        [(m, site, d, n) for site, d, n in rows for m in months],
        columns=["period", "site", "numerator", "denominator"],
    )


FRAME = _frame([("A", 2, 20), ("B", 1, 30), ("C", 3, 25)])  # 24, 12 and 36 deaths in the year


def test_the_ratio_is_observed_over_expected_with_isr_limits():
    expected = {"A": 20.0, "B": 18.0, "C": 20.0}
    found = compare_observed_expected(DEATHS, FRAME, "site", expected)
    f = found.peers.funnel
    assert found.peers.groups == ("A", "B", "C")
    np.testing.assert_allclose(f.value, [24 / 20, 12 / 18, 36 / 20])
    np.testing.assert_allclose(found.cases, [240, 360, 300])
    # The same funnel as the library's ratio with a multiplier of 1 (PHEindicatormethods' ISR).
    same = compare_units([24, 12, 36], [20, 18, 20], FunnelMethod("ratio", multiplier=1, ratio_type="isr"))
    np.testing.assert_allclose(f.limits.upper_998, same.limits.upper_998)
    assert f.baseline == 1 and found.peers.metric.unit == "O/E"
    assert f.significance == same.significance
    assert f.significance[2] in ("High (0.025)", "High (0.001)")  # 36 observed where 20 were expected


def test_units_without_an_expected_count_are_left_out_and_named():
    found = compare_observed_expected(DEATHS, FRAME, "site", {"A": 20.0, "C": 25.0, "Z": 4.0})
    assert found.peers.groups == ("A", "C")
    assert found.without_expected == ("B",) and found.not_in_data == ("Z",)
    assert compare_observed_expected(DEATHS, FRAME, "site", {"A": 20.0}) is None  # one is no comparison
    assert compare_observed_expected(CATALOGUE.metric("hipfx_surgery_36h"), FRAME, "site", {"A": 1.0}) is None


def test_small_numbers_are_hidden_as_in_every_export():
    frame = _frame([("A", 2, 20), ("B", 1, 30), ("C", 0, 0)])
    small = pd.DataFrame(
        {"period": [pd.Timestamp("2025-12-01")], "site": ["D"], "numerator": [1], "denominator": [5]}
    )
    found = compare_observed_expected(DEATHS, pd.concat([frame, small]), "site", {"A": 20, "B": 15, "D": 1.0})
    hidden = dict(zip(found.peers.groups, found.peers.hidden, strict=True))
    assert hidden["D"]  # 1 death in 5 cases


def test_the_expected_counts_file():
    assert parse_expected(b'\xef\xbb\xbfUnit,Expected\nA,20.5\nB,"1,200"\n\n') == {"A": 20.5, "B": 1200.0}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"site,expected\nA,1\n", "row 1: no column 'unit'"),
        (b"unit,expected\nA,lots\n", "row 2, column expected: 'lots' is not a number"),
        (b"unit,expected\nA,1\nB,0\n", "row 3, column expected: '0'; an expected count must be above 0"),
        (b"unit,expected\nA,1\nA,2\n", "row 3, column unit: 'A' is listed twice"),
        (b"unit,expected\n,2\n", "row 2, column unit: empty"),
        (b"unit,expected\n", "no rows"),
        (b"\xff\xfe\x00", "not a text (CSV) file"),
    ],
)
def test_a_file_that_cannot_be_used_is_named_with_row_and_column(content, said):
    with pytest.raises(ExpectedFileError, match=re.escape(said)):
        parse_expected(content, "e.csv")
