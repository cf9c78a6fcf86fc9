"""Every NHSRwaitinglist and NHSRtt expected value in ../shared/fixtures/waitinglist, and each departure."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.waitinglist import stats
from stocktake.waitinglist.stats import NHSRWAITINGLIST, STOCKTAKE

WL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "waitinglist"

# The package's own test fixtures (tests/testthat/test-wl_*.R), which its expected values were run on.
FOUR_REFERRALS = (["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"], ["2024-01-08", None, None, None])
TWO_REFERRALS = (["2024-01-01", "2024-01-04"], ["2024-01-08", None])
QUEUE_FIXTURES = {
    "qs_one_removal": (*FOUR_REFERRALS, "2024-01-01", "2024-01-31"),
    "qs_two_removals": (
        ["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"],
        ["2024-01-08", "2024-01-15", None, None],
        "2024-01-01",
        "2024-01-31",
    ),
    "qs_no_removals": (
        ["2024-01-01", "2024-01-04", "2024-01-10"],
        [None, None, None],
        "2024-01-01",
        "2024-01-10",
    ),
}


def _dates(values) -> np.ndarray:
    return np.array([v if v not in (None, "NA") else "NaT" for v in values], dtype="datetime64[D]")


def _same(got: float, want: str) -> None:
    if want in ("NA", "NaN"):
        assert math.isnan(got), got
    elif want in ("TRUE", "FALSE"):
        assert got is (want == "TRUE")
    else:
        assert got == pytest.approx(float(want), rel=1e-12, abs=1e-12)


CALC = pd.read_csv(WL / "nhsrwaitinglist_calc_expected.csv", dtype=str)
FUNCTIONS = {
    "calc_target_mean_wait": stats.target_mean_wait,
    "calc_target_queue_size": stats.target_queue_size,
    "calc_queue_load": stats.queue_load,
    "calc_relief_capacity": stats.relief_capacity,
    "calc_target_capacity": stats.target_capacity,
    "calc_waiting_list_pressure": stats.waiting_list_pressure,
}


@pytest.mark.parametrize("row", CALC.to_dict("records"), ids=lambda r: f"{r['function_name']}({r['args']})")
def test_formulas(row):
    arguments = {}
    for part in row["args"].split(" (")[0].split(","):
        name, _, value = part.partition("=")
        arguments[{"mean_wait": "mean_wait"}.get(name.strip(), name.strip())] = float(value)
    _same(FUNCTIONS[row["function_name"]](**arguments), row["expected"])


def test_queue_size_every_day():
    expected = pd.read_csv(WL / "nhsrwaitinglist_queue_size_expected.csv", dtype=str)
    assert set(expected["fixture"]) == set(QUEUE_FIXTURES)
    for fixture, want in expected.groupby("fixture"):
        referrals, removals, start, end = QUEUE_FIXTURES[fixture]
        got = stats.queue_size(_dates(referrals), _dates(removals), start, end)
        assert [str(d) for d in got["date"].to_numpy().astype("datetime64[D]")] == list(want["date"])
        assert list(got["queue_size"]) == [int(v) for v in want["queue_size"]]


def test_referral_stats():
    want = pd.read_csv(WL / "nhsrwaitinglist_referral_stats_expected.csv", dtype=str).iloc[0]
    assert want["fixture"] == "4ref_1rem_defaults"
    got = stats.referral_stats(_dates(FOUR_REFERRALS[0]), convention=NHSRWAITINGLIST)
    _same(got.weekly, want["demand_weekly"])
    _same(got.daily, want["demand_daily"])
    _same(got.cv, want["demand_cov"])
    assert got.count == int(want["demand_count"])


@pytest.mark.parametrize("fixture", ["4ref_1rem_defaults", "2ref_1rem_defaults"])
def test_removal_stats(fixture):
    table = pd.read_csv(WL / "nhsrwaitinglist_removal_stats_expected.csv", dtype=str)
    want = table[table["fixture"] == fixture].iloc[0]
    referrals, removals = FOUR_REFERRALS if fixture.startswith("4") else TWO_REFERRALS
    got = stats.removal_stats(_dates(referrals), _dates(removals), convention=NHSRWAITINGLIST)
    _same(got.weekly, want["capacity_weekly"])
    _same(got.daily, want["capacity_daily"])
    _same(got.cv, want["capacity_cov"])
    assert got.count == int(want["removal_count"])


WL_STATS = pd.read_csv(WL / "nhsrwaitinglist_wl_stats_expected.csv", dtype=str, keep_default_na=False)
COLUMNS = [
    "mean_demand",
    "mean_capacity",
    "load",
    "load_too_big",
    "count_demand",
    "queue_size",
    "target_queue_size",
    "queue_too_big",
    "mean_wait",
    "cv_arrival",
    "cv_removal",
    "target_capacity",
    "relief_capacity",
    "pressure",
]


@pytest.mark.parametrize("row", WL_STATS.to_dict("records"), ids=lambda r: r["fixture"])
def test_wl_stats_every_column(row):
    got = stats.waiting_list_stats(
        _dates(row["referrals"].split(";")),
        _dates(row["removals"].split(";")),
        target_weeks=float(row["target_wait"]),
        start=None if row["start_date"] == "NULL" else row["start_date"],
        end=None if row["end_date"] == "NULL" else row["end_date"],
        convention=NHSRWAITINGLIST,
    )
    for column in COLUMNS:
        value = getattr(got, column)
        if column == "load_too_big" and value is None:
            assert row[column] == "NA"
        elif column in ("count_demand", "queue_size"):
            assert value == int(row[column]), column
        else:
            _same(value, row[column])


def test_the_departures_on_the_package_example():
    """wl_stats' own example under Stocktake's convention, worked by hand.

    Referrals 1, 4, 10 and 16 January, one removal on 8 January, window 1–16 January (15 days).
    Demand: 4 referrals in 15 days = 28/15 a week; gaps 3, 6, 6 days → sd √3, cv √3/5.
    Capacity: one removal, 7 days after the window opened: 1 a week; one gap, so no known cv.
    Mean wait at 16 January of the three still waiting: (12 + 6 + 0) / 3 = 6 days = 6/7 weeks.
    """
    referrals, removals = (_dates(v) for v in FOUR_REFERRALS)
    got = stats.waiting_list_stats(referrals, removals, target_weeks=4, convention=STOCKTAKE)
    assert got.mean_demand == pytest.approx(28 / 15)
    assert got.count_demand == 4
    assert got.cv_arrival == pytest.approx(math.sqrt(3) / 5)
    assert got.mean_capacity == pytest.approx(1.0)
    assert math.isnan(got.cv_removal)
    assert got.mean_wait == pytest.approx(6 / 7)
    assert got.pressure == pytest.approx(2 * (6 / 7) / 4)
    assert got.target_queue_size == pytest.approx(28 / 15)


def test_removals_outside_the_window_are_not_capacity():
    """The package counts a removal after the window (8 Jan, window 1–4 Jan); Stocktake does not."""
    referrals, removals = (_dates(v) for v in TWO_REFERRALS)
    assert stats.removal_stats(referrals, removals, convention=NHSRWAITINGLIST).count == 1
    assert stats.removal_stats(referrals, removals, convention=STOCKTAKE).count == 0


def test_a_removal_that_empties_the_queue_is_timed_from_the_last_removal():
    """One referral 1 Jan, removed 5 Jan: the queue is empty on 5 Jan. The package puts the empty day
    first and measures 0 days; Stocktake measures the 4 days since the window opened."""
    referrals, removals = _dates(["2024-01-01", "2024-01-09"]), _dates(["2024-01-05", None])
    assert stats.removal_stats(referrals, removals, convention=NHSRWAITINGLIST).daily == math.inf
    assert stats.removal_stats(referrals, removals, convention=STOCKTAKE).daily == pytest.approx(1 / 4)


def test_a_removal_after_an_empty_spell_is_timed_in_days_from_its_last_empty_day():
    """Window 1–10 Jan. A, referred 1 Jan, removed 3 Jan; B referred 6 Jan, removed 8 Jan. The queue
    is empty on 3–5 and 8–10 Jan. A's removal is 2 days from the window's start; B's 3 days from the
    last empty day (5 Jan). Mean 2.5 days: 0.4 a day, 2.8 a week, cv = sd(2, 3) ÷ 2.5. (Before the
    intervals were vectorised, the empty days came back from a pandas 3 frame in seconds and B's
    interval was 259,200 "days".)"""
    referrals, removals = _dates(["2024-01-01", "2024-01-06"]), _dates(["2024-01-03", "2024-01-08"])
    capacity = stats.removal_stats(referrals, removals, "2024-01-01", "2024-01-10", convention=STOCKTAKE)
    assert capacity.count == 2
    assert capacity.daily == pytest.approx(0.4)
    assert capacity.weekly == pytest.approx(2.8)
    assert capacity.cv == pytest.approx(np.std([2, 3], ddof=1) / 2.5)


STEADY = pd.read_csv(WL / "nhsrtt_steady_state_expected.csv", dtype=str)


@pytest.mark.parametrize("row", STEADY.to_dict("records"), ids=lambda r: r["case"])
def test_nhsrtt_steady_state(row):
    numbers = lambda text: [float(v) for v in text.split(";")]  # noqa: E731
    got = stats.steady_state(float(row["referrals"]), numbers(row["renege_r"]), numbers(row["service"]))
    assert got.waiting == pytest.approx(numbers(row["expected_wlsize"]), abs=1e-12)
    assert got.served == pytest.approx(numbers(row["expected_sigma"]), abs=1e-12)


def test_priority_targets_by_group():
    """Grouped by priority each group is held to its own target, and demand adds up to the whole."""
    pathways = pd.DataFrame(
        {
            "clock_start": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-11"]),
            "clock_stop": pd.to_datetime(["2024-01-03", None, None, None]),
            "priority": ["P2", "P2", "P4", "P4"],
        }
    )
    rows = dict(stats.stats_by_group(pathways, "priority", target_weeks=18))
    assert rows["P2"].target_weeks == 4 and rows["P4"].target_weeks == pytest.approx(365 / 7)
    whole = dict(stats.stats_by_group(pathways, None, target_weeks=18))["all"]
    assert rows["P2"].mean_demand + rows["P4"].mean_demand == pytest.approx(whole.mean_demand)
    assert whole.queue_size == 3 and rows["P2"].queue_size == 1


def test_priorities_deferred_at_the_patients_choice_have_rows_held_to_the_packages_365_days():
    """P5 and P6 have no clinical target; NHSRwaitinglist's calc_priority_to_target gives every
    priority but P1-P3 365 days, so their rows are held to that (ADR 63), and demand still adds up."""
    pathways = pd.DataFrame(
        {
            "clock_start": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-11"]),
            "clock_stop": pd.to_datetime(["2024-01-03", None, None, None]),
            "priority": ["P2", "P5", "P6", "P6"],
        }
    )
    rows = dict(stats.stats_by_group(pathways, "priority", target_weeks=18))
    assert rows["P5"].target_weeks == rows["P6"].target_weeks == pytest.approx(365 / 7)
    assert rows["P6"].queue_size == 2
    whole = dict(stats.stats_by_group(pathways, None, target_weeks=18))["all"]
    assert sum(r.mean_demand for r in rows.values()) == pytest.approx(whole.mean_demand)


def test_a_pathway_removed_before_the_window_is_not_waiting_in_it():
    """Hand-worked: three pathways, the window from 20 January. The first left on 10 January, so it
    is not on the list; the second waits throughout; the third waits from 1 to 5 February."""
    referrals = np.array(["2024-01-01", "2024-01-05", "2024-02-01"], dtype="datetime64[D]")
    removals = np.array(["2024-01-10", "NaT", "2024-02-05"], dtype="datetime64[D]")
    sizes = stats.queue_size(referrals, removals, start="2024-01-20", end="2024-02-10")
    by_day = dict(zip(sizes["date"].astype(str), sizes["queue_size"], strict=True))
    assert (by_day["2024-01-20"], by_day["2024-02-01"], by_day["2024-02-05"], by_day["2024-02-10"]) == (
        1,
        2,
        1,
        1,
    )
