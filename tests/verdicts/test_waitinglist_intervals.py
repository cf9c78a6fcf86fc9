"""The weeks-waited figures' 95% intervals on the page and in the report: never beyond what the list
could hold, however wide the model's own errors are."""

from __future__ import annotations

import numpy as np

from stocktake.demo.generate import Department, generate
from stocktake.verdicts.waitinglist import overview
from stocktake.waitinglist.weeks_waited import most_possible


def test_a_list_of_eight_has_no_interval_beyond_eight_over_52_weeks():
    """An outside check: a list of 8 read "0 (95% interval 0 to 10)" waiting more than 52 weeks. The
    demo's history, with all but eight of those waiting at its end taken away: the backtest's errors
    come from the years the list was large, but no more than the eight and the earliest referrals can
    wait over 52 weeks within the year."""
    pathways = generate(Department(seed=11, months=30))["rtt_pathways"]
    waiting = pathways.index[pathways["clock_stop"].isna()]
    found = overview(pathways.drop(waiting[8:]), suppress=False)
    assert found.waiting == 8
    assert "over_52_weeks" in found.widths
    most = most_possible(found.weeks)
    highs = np.array([found.interval("over_52_weeks", k)[1] for k in range(len(found.weeks.steps))])
    assert (highs <= most["over_52_weeks"] + 1e-9).all()
    # within a year no referral since can wait more than 52 weeks (one on the first day of the year
    # ahead has waited 364 days at its end, as clock starts are counted)
    assert highs.max() <= 8 and most["over_52_weeks"].max() == 8
    half = found.widths["over_52_weeks"].half_width
    assert half.max() > 8, "the model's own width alone would have gone past the eight"
    for k in range(len(found.weeks.steps)):
        low, high = found.interval("p92_weeks", k)
        assert low <= found.weeks.steps[k].waiting_list.summary().p92_weeks <= high <= most["p92_weeks"][k]


def test_a_cap_of_1_to_7_patients_is_not_given_away():
    """The cap is an exact count (those who could be waiting over 52 weeks by then), not a model's end:
    in every export a cap of 1–7 is raised to 8, so no interval's top names a small count."""
    pathways = generate(Department(seed=11, months=30))["rtt_pathways"]
    waiting = pathways.index[pathways["clock_stop"].isna()]
    found = overview(pathways.drop(waiting[5:]), suppress=True)
    assert found.waiting == 5
    most = most_possible(found.weeks)["over_52_weeks"]
    assert ((np.round(most) >= 1) & (np.round(most) <= 7)).any(), "some month's cap is small"
    highs = [found.interval("over_52_weeks", k)[1] for k in range(len(found.weeks.steps))]
    assert not any(1 <= round(high) <= 7 for high in highs), highs
