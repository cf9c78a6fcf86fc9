"""Targets and projections worked by hand."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from stocktake.targets.projection import project
from stocktake.targets.setting import Benchmark, at_least_better, baseline, between, trajectory_values

MONTHS = pd.date_range("2024-01-01", periods=12, freq="MS")


def test_midway_between_baseline_and_girft():
    # LOS of 4.0, 4.4, 3.6 days in the baseline quarter: mean 4.0; GIRFT ambition 1 day → midway 2.5.
    values = [4.0, 4.4, 3.6] + [3.0] * 9
    start = baseline(MONTHS, values, date(2024, 1, 1), date(2024, 3, 1))
    target = between(start, Benchmark(1.0, "GIRFT ambulatory hip and knee", 2021))
    assert start == pytest.approx(4.0)
    assert target.value == pytest.approx(2.5)
    assert "midway" in target.basis and "GIRFT" in target.basis
    assert between(start, Benchmark(1.0, "GIRFT"), fraction=0.25).value == pytest.approx(3.25)


def test_a_benchmarks_year_is_said_once():
    """An outside check read "65% by March 2026 (Elective Reform Plan, January 2025) (2025)"."""
    assert (
        str(Benchmark(65.0, "GIRFT ambulatory hip and knee", 2021)) == "GIRFT ambulatory hip and knee (2021)"
    )
    said = "65% by March 2026 (Elective Reform Plan, January 2025)"
    assert str(Benchmark(65.0, said, 2025)) == said


def test_baseline_needs_values_in_its_period():
    with pytest.raises(ValueError, match="no values"):
        baseline(MONTHS, [1.0] * 12, date(2020, 1, 1), date(2020, 6, 1))


def test_trajectory_is_straight_between_milestones():
    planned = trajectory_values(MONTHS, ((date(2024, 3, 1), 60.0), (date(2024, 5, 1), 70.0)))
    assert np.isnan(planned[0]) and np.isnan(planned[-1])
    assert planned[2] == 60.0 and planned[4] == 70.0
    # 1 April is 31 of the 61 days from 1 March to 1 May.
    assert planned[3] == pytest.approx(60 + 10 * 31 / 61)


def test_a_steady_climb_is_projected_with_its_range():
    days = (MONTHS - MONTHS[0]).days.to_numpy()
    values = 50 + 0.1 * days + np.tile([1.0, -1.0], 6)  # about 3 points a month, with noise
    projection = project(MONTHS, values, 95.0, "increase", current_mean=values.mean())
    assert projection.status == "projected"
    assert projection.earliest < projection.when < projection.latest
    assert projection.describe().startswith(
        "If the trend of the latest 12 values (since January 2024) continues, the target would be reached"
    )


def test_an_exact_line_is_projected_to_the_day():
    # 0.1 a day from 50 on 1 Jan 2024: 83.5 on 1 Dec 2024 (day 335); 95 is 115 days later.
    days = (MONTHS - MONTHS[0]).days.to_numpy()
    projection = project(MONTHS, 50 + 0.1 * days, 95.0, "increase", current_mean=66.0)
    assert projection.when == projection.earliest == projection.latest
    assert projection.when == pd.Timestamp("2024-12-01") + pd.Timedelta(days=115)


def test_no_reliable_movement_is_not_on_course():
    values = 50 + np.tile([1.0, -1.0, 0.5, -0.5], 3)
    projection = project(MONTHS, values, 60.0, "increase", current_mean=values.mean())
    assert projection.status == "not_on_course"
    assert "Not on the current course" in projection.describe()


def test_moving_away_from_the_target_is_not_on_course():
    values = 50 - 0.5 * np.arange(12.0)
    assert project(MONTHS, values, 60.0, "increase", current_mean=values.mean()).status == "not_on_course"


def test_already_at_target():
    assert project(MONTHS, [70.0] * 12, 60.0, "increase", current_mean=70.0).status == "met"
    assert project(MONTHS, [2.0] * 12, 2.5, "decrease", current_mean=2.0).status == "met"


def test_a_trend_already_past_the_target_says_so_instead_of_a_date():
    # LOS falling 0.1 a day from 5: the fitted line ends at 5 − 33.5 < 2.5 while the mean is still above it.
    days = (MONTHS - MONTHS[0]).days.to_numpy()
    projection = project(MONTHS, 5 - 0.01 * days, 2.5, "decrease", current_mean=3.3)
    assert projection.status == "trend_reached"
    assert "rebase" in projection.describe()


def test_a_slope_barely_above_zero_is_projected_no_further_than_a_century():
    """A report for May 2023 failed: a rate a hair above 0 put the target millennia away, past what a
    timestamp holds (OutOfBoundsDatetime). The date is capped a century on."""
    x = pd.date_range("2021-01-01", periods=24, freq="MS")
    days = (x - x[0]).days.to_numpy(dtype=float)
    found = project(x, 50 + 1e-7 * days, 100.0, "increase", 50.0)
    assert found.status == "projected"
    assert found.when == (x[-1] + pd.Timedelta(days=36_525)).round("D")


def test_a_current_period_without_values_is_not_on_course_not_a_crash():
    """An outside check: a new department's first month had no stays for one measure, and the report
    stopped on an IndexError."""
    x = pd.date_range("2025-02-01", periods=1, freq="MS")
    assert project(x, [np.nan], 5.0, "decrease", np.nan).status == "not_on_course"


def test_a_period_that_improved_and_levelled_off_is_not_projected_from_where_it_was_heading():
    """A clinical director read "reached around July 2025 (95% range June to August 2025)" of a length
    of stay that fell from 3.6 to 1.5 days over two years and has been flat at 1.5 for the latest
    year: the line through the whole period ran on from the fall. The trend is now read from the
    latest 12 values: flat, so not on course; with the fall still going on, projected."""
    x = pd.date_range("2022-04-01", periods=36, freq="MS")
    falling = np.linspace(3.6, 1.5, 24)
    levelled = np.r_[falling, 1.5 + np.tile([0.1, -0.1], 6)]
    found = project(x, levelled, 1.0, "decrease", current_mean=levelled.mean())
    assert found.status == "not_on_course"
    whole_line = np.polyfit(np.arange(36), levelled, 1)[0]  # what the whole period's line said
    assert whole_line < -0.05
    still_falling = np.linspace(3.6, 1.5, 36) + np.tile([0.02, -0.02], 18)
    found = project(x, still_falling, 1.0, "decrease", current_mean=still_falling.mean())
    assert found.status == "projected" and found.points == 12 and found.since == x[24]


def test_at_least_better_is_the_value_or_the_start_moved_the_gain_whichever_is_further():
    assert at_least_better(65.0, "increase", 62.3, 5.0) == pytest.approx(67.3)
    assert at_least_better(65.0, "increase", 55.0, 5.0) == 65.0
    assert at_least_better(25.0, "decrease", 20.0, 3.0) == pytest.approx(17.0)
    assert at_least_better(25.0, "decrease", 40.0, 3.0) == 25.0
