"""Which change dates restart the limits: only those that at least 12 values follow (hand-counted)."""

import numpy as np
import pandas as pd

from stocktake.spc.rebase import MIN_REBASE_POINTS, plan_rebases, provisional_points, rebase_point


def test_the_minimum_is_the_twelve_points_below_which_limits_are_trial_limits():
    assert MIN_REBASE_POINTS == 12


def test_a_change_with_six_values_after_it_waits_and_one_with_twelve_restarts():
    y = np.arange(36.0)
    assert plan_rebases([30], y).honoured == () and plan_rebases([30], y).deferred == ((30, 6),)
    assert plan_rebases([24], y).honoured == (24,) and plan_rebases([24], y).deferred == ()


def test_two_changes_close_together_are_judged_on_the_values_up_to_the_next_restart():
    # 36 points; changes at 14, 20 and 30. 30 has 6 after it: waits. 20 then has 16 (to the end): restarts.
    # 14 has only 6 before the restart at 20: waits.
    plan = plan_rebases([30, 14, 20], np.arange(36.0))
    assert plan.honoured == (20,)
    assert plan.deferred == ((14, 6), (30, 6))


def test_missing_values_do_not_count_and_the_first_point_restarts_nothing():
    y = np.arange(36.0)
    y[30] = np.nan  # 12 points follow index 24, but only 11 values
    assert plan_rebases([0, 24], y).deferred == ((24, 11),)
    assert plan_rebases([0, 24], y).honoured == ()


def test_points_on_limits_from_fewer_than_twelve_values_are_provisional():
    y = np.r_[np.arange(9.0), np.arange(14.0)]
    y[3] = np.nan
    groups = np.r_[np.zeros(9), np.ones(14)]
    # Period 0: 8 values (provisional); period 1: 14 values.
    assert provisional_points(y, groups).tolist() == [True] * 9 + [False] * 14


MONTHS = pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])


def test_a_change_date_restarts_the_limits_at_the_first_point_on_or_after_it():
    assert rebase_point(MONTHS, "2024-03-01") == 2  # on a point: that point
    assert rebase_point(MONTHS, "2024-02-15") == 2  # between points: the next one
    assert rebase_point(MONTHS, pd.Timestamp("2024-04-01").date()) == 3


def test_a_change_date_on_or_before_the_first_point_or_after_the_last_restarts_nothing():
    assert rebase_point(MONTHS, "2024-01-01") is None
    assert rebase_point(MONTHS, "2023-06-01") is None
    assert rebase_point(MONTHS, "2024-04-02") is None
