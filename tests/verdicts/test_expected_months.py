"""Expected counts are for months: observed events are counted over the same months, not over a last
year that moves on as data arrives, and months the data does not hold all of are not compared
(ADR 54). Hand-worked: two sites, 20 cases a month each for 2023 and 2024; A dies once a month in
2023 and three times a month in 2024, B once a month throughout."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from stocktake.files.expected import ExpectedFileError, keep_expected, kept_expected, withdrawn_expected
from stocktake.metrics.catalogue import load_catalogue
from stocktake.verdicts.expected import (
    cases_by_group,
    compare_observed_expected,
    compared_months,
    kept_for,
)

DEATHS = load_catalogue().metric("hipfx_mortality_30d")
MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")
FRAME = pd.DataFrame(
    [(m, site, (3 if m.year == 2024 else 1) if site == "A" else 1, 20) for site in "AB" for m in MONTHS],
    columns=["period", "site", "numerator", "denominator"],
)
FOR_2023 = {"A": 12.0, "B": 12.0}  # what a case-mix model expected in 2023: as it happened


def test_counts_for_a_year_past_are_compared_over_that_year():
    found = compare_observed_expected(DEATHS, FRAME, "site", FOR_2023, period=("2023-01", "2023-12"))
    np.testing.assert_allclose(found.peers.funnel.value, [1.0, 1.0])  # 12 ÷ 12 each
    np.testing.assert_allclose(found.cases, [240, 240])
    assert (found.peers.first, found.peers.last) == (pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-01"))
    assert found.note == ""


def test_without_months_the_latest_twelve_are_compared_as_before():
    """Counts kept before months were recorded: the data's last year, where A's 36 deaths read three
    times the 2023 expectation."""
    found = compare_observed_expected(DEATHS, FRAME, "site", FOR_2023)
    np.testing.assert_allclose(found.peers.funnel.value, [3.0, 1.0])
    assert found.peers.first == pd.Timestamp("2024-01-01")


@pytest.mark.parametrize(
    ("period", "holds", "months"),
    [
        (("2024-07", "2025-06"), 6, "July 2024 to June 2025"),
        (("2025-01", "2025-12"), 0, "January 2025 to December 2025"),
        (("2022-07", "2023-06"), 6, "July 2022 to June 2023"),
    ],
)
def test_months_the_data_does_not_hold_whole_are_not_compared_and_said(period, holds, months):
    found = compare_observed_expected(DEATHS, FRAME, "site", FOR_2023, period=period)
    assert found.peers.groups == ()
    assert found.note == (
        f"Not compared: the expected counts are for {months}, and the data holds {holds} of those 12 "
        "months (it holds January 2023 to December 2024). Observed events over fewer months than the "
        "expected counts would read as better than expected; keep expected counts for months the data "
        "holds."
    )


def test_cases_and_the_months_recorded_when_kept():
    assert cases_by_group(FRAME, "site", period=("2023-07", "2023-09")) == {"A": 60.0, "B": 60.0}
    assert kept_for(FRAME, None) == ("2024-01", "2024-12")  # none given: the latest 12, recorded
    assert kept_for(FRAME, ("2023-01", "2023-12")) == ("2023-01", "2023-12")
    assert kept_for(None, None) is None
    assert len(compared_months(FRAME, ("2025-01", "2025-03"))[0]) == 0


ONE, TWO = datetime(2026, 12, 1, 9), datetime(2026, 12, 2, 9)
FILE = b"unit,expected\nA,12\nB,12\n"


def test_the_months_are_kept_beside_the_counts_and_withdrawn_with_them(tmp_path):
    kept, _ = keep_expected(
        tmp_path, "hipfx_mortality_30d", FILE, name="m.csv", who="ann", at=ONE, months=("2023-01", "2023-12")
    )
    about = json.loads(kept.path.with_suffix(".json").read_text())
    assert about["months"] == ["2023-01", "2023-12"]
    assert kept_expected(tmp_path, "hipfx_mortality_30d").months == ("2023-01", "2023-12")
    assert kept.months_words == "for January 2023 to December 2023"
    keep_expected(tmp_path, "hipfx_mortality_30d", FILE, name="n.csv", who="bo", at=TWO)
    now, [old] = (
        kept_expected(tmp_path, "hipfx_mortality_30d"),
        withdrawn_expected(tmp_path, "hipfx_mortality_30d"),
    )
    assert now.months is None and now.months_words.startswith("months not recorded")
    assert old.months == ("2023-01", "2023-12") and old.name == "m.csv"


@pytest.mark.parametrize("months", [["2023-13", "2023-12"], ["2023-12", "2023-01"], ["2023-01"], "2023"])
def test_months_damaged_in_the_kept_file_are_said_as_damage(tmp_path, months):
    kept, _ = keep_expected(tmp_path, "hipfx_mortality_30d", FILE, name="m.csv", who="ann", at=ONE)
    about = kept.path.with_suffix(".json")
    about.write_text(json.dumps(json.loads(about.read_text()) | {"months": months}))
    with pytest.raises(ExpectedFileError, match=r"hipfx_mortality_30d.json: missing or damaged"):
        kept_expected(tmp_path, "hipfx_mortality_30d")


def test_months_given_wrong_are_refused_and_nothing_kept(tmp_path):
    with pytest.raises(ExpectedFileError, match="2024-01 is after 2023-01"):
        keep_expected(
            tmp_path,
            "hipfx_mortality_30d",
            FILE,
            name="m.csv",
            who="ann",
            at=ONE,
            months=("2024-01", "2023-01"),
        )
    assert kept_expected(tmp_path, "hipfx_mortality_30d") is None
