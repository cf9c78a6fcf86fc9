"""The weeks-waited projection calibrated on a run of real RTT returns keeps a list whose returns are the
same every month the same: its referrals, its renege rates and its list join up (ADR 69)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic_histories import months_of_returns, within_a_month

from stocktake.files.rtt import read_rtt_returns, weeks_inputs_from_returns
from stocktake.waitinglist.weeks_waited import MonthlyBins, calibrate, project


@pytest.mark.parametrize(("treatment_function", "raised"), [("C_110", "12%"), ("C_999", "18%")])
def test_a_list_the_same_every_month_is_projected_the_same(tmp_path, treatment_function, raised):
    """An analyst's outside check: with two years of returns, the list was projected to halve in a year
    against its own steady growth. Dorset County's real return, the same for 14 months (a list that does
    not change), shows it: its
    T&O list was projected to lose 68% in a year (all specialties 45%). The calibration counted those
    waiting or treated within a month of referral beyond Part 3's count as referrals it does not count,
    and the projection fed Part 3's alone; and a bin's negative renege rate was set to 0, so those
    patients were lost every month."""
    returns = read_rtt_returns(months_of_returns(tmp_path, 14))
    inputs = weeks_inputs_from_returns(returns, treatment_function)
    start = inputs.origin.summary().waiting
    ahead = project(inputs.origin, [inputs.referrals] * 12, [inputs.capacity] * 12, inputs.params)
    assert ahead.table()["waiting"].iloc[-1] == pytest.approx(start, rel=0.01)
    assert f"referrals raised by {raised}: in some months Part 3 counts fewer" in inputs.calibration
    # each month's referrals at least those waiting or treated within a month of referral (each month's
    # weeks fall into months by its own calendar), the calibration's own inflow, over the latest 12
    counted = returns[-1].total("Part_3", treatment_function)
    assert all(within_a_month(r, treatment_function) > counted for r in returns)
    latest = [within_a_month(r, treatment_function) for r in returns[-12:]]
    assert inputs.referrals == pytest.approx(np.mean(latest))
    assert min(inputs.params.renege) < 0  # kept, not floored: the return's bins need them


def test_negative_renege_rates_are_kept_where_the_bin_is_full_and_not_open():
    """Bin 1: 50 waited a month and 55 are in the next bin a month on, none treated: 5 more than flowed
    in, a rate of −5 ÷ 50, which NHSRtt's calibration floors by default and a run of returns keeps.
    Bin 2 (sparse, 4 flowing in) and the open top bin 3 gain too: their shared rate, (−2 − 10) ÷ (4 +
    40), is floored, since a recheck's small list grew fivefold in a year on such rates (the top bin
    keeps its own, compounding them)."""
    referrals = [100.0, 100.0]
    incompletes = [[50.0, 4.0, 40.0, 0.0], [60.0, 55.0, 6.0, 50.0]]
    completes = [[0.0] * 4, [40.0, 0.0, 0.0, 0.0]]
    floored = calibrate(referrals, incompletes, completes)
    assert floored.renege[1:] == (0.0, 0.0, 0.0)
    months = tuple(pd.period_range("2024-01", periods=2, freq="M"))
    bins = MonthlyBins(months, np.array(referrals), np.array(incompletes), np.array(completes))
    assert calibrate(referrals, incompletes, completes, allow_negative_params=True).renege[2] < 0
    assert bins.calibrate().renege[1:] == (pytest.approx((50 - 0 - 55) / 50), 0.0, 0.0)


def test_sparse_bins_share_one_rate_so_noise_between_them_cancels():
    """A recheck's diagnosis: a return's week bands read as calendar months move patients between
    neighbouring bins. A steady list: bin 2 (10 flowing in a month) loses 3 that bin 3 (7 flowing in)
    gains, and the open top bin (15 in) loses 1 to reneging. Each sparse bin floored alone, bin 2 kept
    +0.3 and the list lost 3 a month nobody lost (lists fed 10 referrals a month projected 12% low);
    shared, the sparse bins and the top bin reneges are (3 − 3 + 1) ÷ (10 + 7 + 15). Bin 1 (60 in)
    keeps its own."""
    steady = [60.0, 10.0, 7.0, 10.0, 5.0]
    treated = [40.0, 50.0, 0.0, 0.0, 9.0]
    referrals, incompletes, completes = [100.0] * 3, [steady] * 3, [treated] * 3
    assert calibrate(referrals, incompletes, completes).renege[2] == pytest.approx(0.3)  # each alone
    months = tuple(pd.period_range("2024-01", periods=3, freq="M"))
    params = MonthlyBins(months, np.array(referrals), np.array(incompletes), np.array(completes)).calibrate()
    assert params.renege[:2] == (0.0, 0.0)
    assert params.renege[2:] == (pytest.approx(1 / 32),) * 3
