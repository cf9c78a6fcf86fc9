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


def test_counts_for_a_year_past_are_compared_when_the_data_read_ends_with_it():
    """A board report cut to end in December 2023 reads the data to then: its tables by site are for
    2023, and counts for 2023 are compared over it."""
    to_2023 = FRAME[FRAME["period"] <= "2023-12-01"]
    found = compare_observed_expected(DEATHS, to_2023, "site", FOR_2023, period=("2023-01", "2023-12"))
    np.testing.assert_allclose(found.peers.funnel.value, [1.0, 1.0])  # 12 ÷ 12 each
    np.testing.assert_allclose(found.cases, [240, 240])
    assert (found.peers.first, found.peers.last) == (pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-01"))
    assert found.note == ""


@pytest.mark.parametrize(
    "period",
    [("2023-01", "2023-12"), ("2024-01", "2024-11"), ("2023-07", "2024-06"), ("2023-01", "2024-11")],
)
def test_counts_for_other_months_than_the_tables_beside_them_are_not_compared(period):
    """Outside checks: an O/E table over months inside the peers table's year gave a month's deaths by
    subtraction (25 − 21 = March's 4), one half-overlapping it did with a third table, and hiding the
    sites that differed by a few left every table "*" after a yearly re-keep. So counts are compared
    only over the months of the tables of the same groups beside them: the latest 12 the data read
    holds (2024 here), a past year in a report cut to end with it."""
    found = compare_observed_expected(DEATHS, FRAME, "site", FOR_2023, period=period)
    assert found.peers.groups == ()
    first, last = (pd.Period(m, "M").strftime("%B %Y") for m in period)
    assert found.note == (
        f"Not compared: the expected counts are for {first} to {last}, and the tables of the same groups "
        "beside them are for the latest 12 months the data read holds, January 2024 to December 2024. "
        "Over other months than those tables, observed deaths could be subtracted from theirs to give a "
        "month's few deaths away, so they are compared only over the same months: keep counts for "
        f"January 2024 to December 2024, or cut a board report to end in {last} (stocktake report "
        f"--period {period[1]}) to compare these."
    )


def test_without_months_the_latest_twelve_are_compared_as_before():
    """Counts kept before months were recorded: the data's last year, where A's 36 deaths read three
    times the 2023 expectation."""
    found = compare_observed_expected(DEATHS, FRAME, "site", FOR_2023)
    np.testing.assert_allclose(found.peers.funnel.value, [3.0, 1.0])
    assert found.peers.first == pd.Timestamp("2024-01-01")


LATER = "they are compared once the data read holds every one of those months"
NEVER = "keep counts for months the data read holds"  # months before the data's first never arrive


@pytest.mark.parametrize(
    ("period", "holds", "months", "then"),
    [
        (("2024-07", "2025-06"), "holds 6 of those 12 months", "July 2024 to June 2025", LATER),
        (("2025-01", "2025-12"), "holds none of those 12 months", "January 2025 to December 2025", LATER),
        (("2022-07", "2023-06"), "holds 6 of those 12 months", "July 2022 to June 2023", NEVER),
        (("2025-01", "2025-01"), "does not hold that month", "January 2025", LATER),
    ],
)
def test_months_the_data_does_not_hold_whole_are_not_compared_and_said(period, holds, months, then):
    found = compare_observed_expected(DEATHS, FRAME, "site", FOR_2023, period=period)
    assert found.peers.groups == ()
    assert found.note == (
        f"Not compared: the expected counts are for {months}, and the data read {holds} (it holds "
        "January 2023 to December 2024). Observed events over fewer months than the expected counts "
        f"would read as better than expected: {then}."
    )
    assert found.not_in_data == () and found.without_expected == ()  # "no cases" would be untrue


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
    assert (
        now.months is None and now.months_words == "months not recorded: compared over the latest 12 months"
    )
    assert old.months == ("2023-01", "2023-12") and old.name == "m.csv"
    keep_expected(tmp_path, "hipfx_mortality_30d", FILE, name="o.csv", who="cy", at=datetime(2026, 12, 3))
    withdrawn = withdrawn_expected(tmp_path, "hipfx_mortality_30d")[0]
    assert (
        withdrawn.name == "n.csv" and withdrawn.months_words == "months not recorded"
    )  # compared with nothing


@pytest.mark.parametrize("months", [["2023-13", "2023-12"], ["2023-12", "2023-01"], ["2023-01"], "2023"])
def test_months_damaged_in_the_kept_file_are_said_as_damage(tmp_path, months):
    kept, _ = keep_expected(tmp_path, "hipfx_mortality_30d", FILE, name="m.csv", who="ann", at=ONE)
    about = kept.path.with_suffix(".json")
    about.write_text(json.dumps(json.loads(about.read_text()) | {"months": months}))
    with pytest.raises(ExpectedFileError, match=r"hipfx_mortality_30d.json: missing or damaged"):
        kept_expected(tmp_path, "hipfx_mortality_30d")


@pytest.mark.parametrize(
    ("first", "last"),
    [("2024-12", "２０２４-０１"), ("٢٠٢٤-٠١", "2024-12"), ("0000-01", "0000-12"), ("2024-01", "9999-12")],
)
def test_months_in_other_digits_or_beyond_any_date_are_refused(tmp_path, first, last):
    """An outside check: full-width digits were kept, compared as text (so "December 2024 to January
    2024"), and the board report then failed; year 0 was a crash."""
    with pytest.raises(ExpectedFileError, match="is not a month"):
        keep_expected(
            tmp_path, "hipfx_mortality_30d", FILE, name="m.csv", who="ann", at=ONE, months=(first, last)
        )
    assert kept_expected(tmp_path, "hipfx_mortality_30d") is None


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


def test_the_board_report_names_the_counts_and_says_why_when_not_compared():
    """An outside check: the report's heading named the months held as if compared, with the text on
    limits no chart drew, and said sites had "no cases in the period" of months the data lacks."""
    import dataclasses

    from stocktake.report.html import render_report
    from stocktake.verdicts.stocktake import build

    found = compare_observed_expected(DEATHS, FRAME, "site", FOR_2023, period=("2024-07", "2025-06"))
    found = dataclasses.replace(
        found, source="m.csv, kept by ann on 01 December 2026; for July 2024 to June 2025"
    )
    page = render_report(dataclasses.replace(build("Test", "hand-made", []), observed_expected=(found,)))
    section = page.split('id="observed-expected-hipfx_mortality_30d"')[1].split("<h3")[0]
    assert (
        "Expected counts of a case-mix model: m.csv, kept by ann on 01 December 2026; for July 2024"
        in section
    )
    assert "Not compared: the expected counts are for July 2024 to June 2025" in section
    assert "each site&#39;s observed events" not in section and "each site's observed events" not in section
    assert "no cases in the period" not in section


def test_counts_more_than_the_cases_of_their_months_are_not_compared():
    """Kept ahead of a load, counts are not checked against cases; once the data holds their months,
    a site expecting more deaths than it had cases is said, not drawn (12 expected of 20 cases is a
    ratio; 300 is not)."""
    found = compare_observed_expected(
        DEATHS, FRAME, "site", {"A": 300.0, "B": 12.0}, period=("2024-01", "2024-12")
    )
    assert found.peers.groups == ()
    assert found.note == (
        "Not compared: the expected counts of A are more events than its cases in January 2024 to "
        "December 2024; they cannot be for those months. Keep counts made for them."
    )
