"""Scenarios on the weeks-waited projection, worked by hand: the zero scenario is the baseline exactly,
demand growth compounds as (1 + g) ** (k / 12), extra lists are cases per list × days ÷ 7 to the
longest waiters, a validation sweep takes its share of every wait, and the extra lists that
``capacity_for_target`` solves for reach the target in the target month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stocktake.waitinglist.capacity import WaitTarget, capacity_for_target
from stocktake.waitinglist.scenario import (
    Scenario,
    ScenarioError,
    apply,
    compare,
    scenario_inputs,
)
from stocktake.waitinglist.weeks_waited import RenegeCapacityParams, WaitingList, project

MONTH = pd.Period("2025-03", freq="M")
#: 720 within 18 weeks, 850 from 18 to 52 weeks, 200 from 52 to 72 weeks: 1,770 waiting.
BANDS = np.r_[np.full(18, 40.0), np.full(34, 25.0), np.full(20, 10.0), np.zeros(33)]
PARAMS = RenegeCapacityParams(tuple([0.01] * 25), tuple([1.0] * 25))
STILL = RenegeCapacityParams(tuple([0.0] * 25), tuple([1.0] * 25))  # no one reneges
REFERRALS, CAPACITY = [170.0] * 12, [170.0] * 12


@pytest.fixture
def origin() -> WaitingList:
    return WaitingList.from_week_bands(MONTH, BANDS)


def test_the_zero_scenario_is_the_baseline_exactly(origin):
    baseline = project(origin, REFERRALS, CAPACITY, PARAMS)
    same = apply(origin, REFERRALS, CAPACITY, PARAMS, Scenario(), cases_per_list=3.5)
    assert Scenario().is_baseline and Scenario().describe() == "no change"
    assert same.origin is origin
    for a, b in zip(baseline.steps, same.steps, strict=True):
        assert np.array_equal(a.waiting_list.by_day, b.waiting_list.by_day)
        assert (a.referrals, a.treatments, a.reneges) == (b.referrals, b.treatments, b.reneges)
    for pair in compare(baseline, same):
        assert pair.waiting[0] == pair.waiting[1]
        assert pair.pct_within_18_weeks[0] == pair.pct_within_18_weeks[1]
        assert pair.over_52_weeks[0] == pair.over_52_weeks[1]


def test_demand_growth_compounds_monthly_to_the_yearly_rate(origin):
    inputs = scenario_inputs(origin, [100.0] * 24, [0.0] * 24, Scenario(demand_growth_pct=12))
    assert inputs.referrals[11] == pytest.approx(112.0)  # a year on: 1.12 × 100
    assert inputs.referrals[23] == pytest.approx(125.44)  # two years: 1.12² × 100
    assert inputs.referrals[5] == pytest.approx(100 * 1.12**0.5)  # √1.12 × 100 = 105.83
    assert inputs.referrals[0] == pytest.approx(100 * 1.12 ** (1 / 12))  # 100.949
    # With no one treated and no one reneging, the list grows by exactly the referrals:
    # 1,770 + 100 × r (r¹² − 1) ÷ (r − 1), r = 1.12^(1/12), a geometric sum (= 1,770 + 1,276.65).
    r = 1.12 ** (1 / 12)
    grown = apply(origin, [100.0] * 12, [0.0] * 12, STILL, Scenario(demand_growth_pct=12))
    assert grown.steps[-1].waiting_list.total == pytest.approx(1770 + 100 * r * (r**12 - 1) / (r - 1))
    assert grown.steps[-1].waiting_list.total == pytest.approx(3046.65, abs=0.01)
    falling = scenario_inputs(origin, [100.0] * 12, [0.0] * 12, Scenario(demand_growth_pct=-10))
    assert falling.referrals[11] == pytest.approx(90.0)


def test_extra_lists_are_cases_per_list_times_the_months_days_to_the_longest_waiters(origin):
    # 2 lists × 3.5 cases = 7 treatments a week = 1 a day: 30 in April, 31 in May.
    scenario = Scenario(extra_lists_per_week=2)
    inputs = scenario_inputs(origin, [0.0] * 2, [0.0] * 2, scenario, cases_per_list=3.5)
    assert inputs.extra_per_week == 7.0
    assert list(inputs.extra) == pytest.approx([30.0, 31.0])
    assert "2 extra theatre lists a week (7.0 treatments)" in scenario.describe(3.5)
    assert Scenario(extra_lists_per_week=1).describe(3.5) == "1 extra theatre list a week (3.5 treatments)"
    assert Scenario(validation_pct=5).describe() == "5% of the list removed by validation, once, next month"
    ahead = apply(origin, [0.0] * 2, [0.0] * 2, STILL, scenario, cases_per_list=3.5)
    assert ahead.steps[0].waiting_list.total == pytest.approx(1770 - 30)
    assert ahead.steps[1].waiting_list.total == pytest.approx(1770 - 61)
    # The longest waiters go first: the 200 over 52 weeks lose the 30, no one within 18 weeks does
    # (the list has waited a month longer, so the within-18-weeks count is read from the baseline).
    baseline = project(origin, [0.0] * 2, [0.0] * 2, STILL)
    first, base = ahead.steps[0].waiting_list.summary(), baseline.steps[0].waiting_list.summary()
    assert first.over_52_weeks == pytest.approx(base.over_52_weeks - 30)
    assert first.within_18_weeks == pytest.approx(base.within_18_weeks)


def test_extra_lists_need_the_departments_cases_per_list(origin):
    with pytest.raises(ScenarioError, match="cases per list"):
        scenario_inputs(origin, [0.0], [0.0], Scenario(extra_lists_per_week=1), cases_per_list=None)


def test_validation_removes_its_share_of_every_wait_once(origin):
    swept = apply(origin, [0.0] * 3, [0.0] * 3, STILL, Scenario(validation_pct=10))
    baseline = project(origin, [0.0] * 3, [0.0] * 3, STILL)
    assert swept.origin is origin  # the table starts from the list as it stands
    for k in range(3):  # 10% of the list gone, and no more in later months
        assert swept.steps[k].waiting_list.total == pytest.approx(1593.0)
        assert np.allclose(swept.steps[k].waiting_list.by_day, 0.9 * baseline.steps[k].waiting_list.by_day)
    pair = compare(baseline, swept)[0]
    assert pair.pct_within_18_weeks[1] == pytest.approx(pair.pct_within_18_weeks[0])  # alike at every wait
    assert pair.over_52_weeks[1] == pytest.approx(0.9 * pair.over_52_weeks[0])


def _started_before(projection, k: int) -> np.ndarray:
    """Which days of month k's list (0: the first projected) hold those waiting at the origin: every
    later referral has waited fewer days than the months since."""
    since = sum((MONTH + j).days_in_month for j in range(1, k + 2))
    return np.arange(len(projection.steps[k].waiting_list.by_day)) >= since


@pytest.mark.parametrize("share", [0.2, 1.0])
def test_validation_frees_no_treatment_everyone_else_waits_as_before(origin, share):
    """Three outside checks: a 20% sweep took 52-week waiters from 117 to 37, as three extra lists a
    week would (the same treatments given to fewer people); letting those removed leave only by
    reneging emptied the long waits at 5%. Those it removes would have left later anyway: everyone
    referred since waits exactly as in the baseline, and of those waiting at the origin ``1 − share``
    of the baseline's remain, so the 52-week waiters (all waiting at the origin, in the first 11
    months) fall by the share and no more, and the list is never below 0."""
    baseline = project(origin, REFERRALS, CAPACITY, PARAMS)
    swept = apply(origin, REFERRALS, CAPACITY, PARAMS, Scenario(validation_pct=100 * share))
    for k in range(11):
        before = _started_before(baseline, k)
        base, left = baseline.steps[k].waiting_list.by_day, swept.steps[k].waiting_list.by_day
        assert np.allclose(left[~before], base[~before])
        assert np.allclose(left[before], (1 - share) * base[before])
        pair = compare(baseline, swept)[k]
        assert pair.over_52_weeks[1] == pytest.approx((1 - share) * pair.over_52_weeks[0])
    # the flows still add up, none below 0: the list is the last list, plus referrals, less what left
    for k, step in enumerate(swept.steps):
        last = origin.total * (1 - share) if k == 0 else swept.steps[k - 1].waiting_list.total
        assert min(step.treatments, step.extra_treatments, step.reneges) >= 0
        removed = step.treatments + step.extra_treatments + step.reneges
        assert step.waiting_list.total == pytest.approx(last + 170.0 - removed)


@pytest.mark.parametrize(
    "target",
    [WaitTarget(MONTH + 9, pct_within_18_weeks=80.0), WaitTarget(MONTH + 6, no_52_week_waiters=True)],
)
def test_the_capacity_gap_in_lists_reaches_the_target_in_the_target_month(origin, target):
    per_list = 3.5
    answer = capacity_for_target(origin, REFERRALS, CAPACITY, PARAMS, target, MONTH + 1, per_list)
    assert answer.extra_per_week > 0 and not target.met(
        project(origin, REFERRALS, CAPACITY, PARAMS).at(target.by)
    )
    enough = apply(
        origin, REFERRALS, CAPACITY, PARAMS, Scenario(extra_lists_per_week=answer.lists_per_week), per_list
    )
    assert target.met(enough.at(target.by))
    if target.pct_within_18_weeks is not None:
        # the share climbs some 4 points a case a week here: a tenth of a case moves it 0.4
        assert 80.0 <= target.measure(enough.at(target.by)) < 80.5
    # A tenth less misses it: the gap is the least tenth that will do (``capacity_for_target``).
    short = (answer.extra_per_week - 0.1) / per_list
    fewer = apply(origin, REFERRALS, CAPACITY, PARAMS, Scenario(extra_lists_per_week=short), per_list)
    assert not target.met(fewer.at(target.by))


def test_the_three_together_are_the_projection_of_the_changed_inputs(origin):
    scenario = Scenario(demand_growth_pct=5, extra_lists_per_week=1.5, validation_pct=4)
    together = apply(origin, REFERRALS, CAPACITY, PARAMS, scenario, cases_per_list=4.0)
    months = [MONTH + k for k in range(1, 13)]
    by_hand = project(
        origin,
        [170.0 * 1.05 ** (k / 12) for k in range(1, 13)],
        CAPACITY,
        PARAMS,
        extra=[6.0 * m.days_in_month / 7 for m in months],
    )
    for k, (a, b) in enumerate(zip(together.steps, by_hand.steps, strict=True)):
        if k < 11:  # those waiting at the origin, 4% fewer; everyone since as they were
            before = _started_before(by_hand, k)
            expected = np.where(before, 0.96 * b.waiting_list.by_day, b.waiting_list.by_day)
            assert np.allclose(a.waiting_list.by_day, expected)
