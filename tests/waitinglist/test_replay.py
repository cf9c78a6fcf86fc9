"""The model replayed over its own months says whether it follows the list's course: no drift where
the lists join up with the flows as the model moves them, the referrals withheld where they do not."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from synthetic_histories import T_AND_O, months_of_returns
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.files.rtt import read_rtt_returns, weeks_inputs_from_returns
from stocktake.waitinglist.replay import LEAVES_COURSE, replay
from stocktake.waitinglist.weeks_waited import (
    MAX_MONTHS_WAITED,
    RenegeCapacityParams,
    WaitingList,
    advance,
    calibrate,
)

#: Nobody reneges in their first month (so a referral withheld is a patient missing, whole); then 2% a
#: month, treatments weighted towards the longer waits.
PARAMS = RenegeCapacityParams(
    renege=(0.0,) + (0.02,) * MAX_MONTHS_WAITED,
    capacity=(0.05, *np.linspace(0.1, 0.4, MAX_MONTHS_WAITED).tolist()),
)


def _course(
    months: int = 13, referrals: float = 400.0, treatments: float = 380.0, band: float = 30.0
) -> list[WaitingList]:
    """A list moved month by month by the model itself: its course joins up by construction."""
    lists = [WaitingList.from_week_bands(pd.Period("2024-01", freq="M"), np.full(105, band))]
    for _ in range(months - 1):
        lists.append(advance(lists[-1], referrals, treatments, PARAMS).waiting_list)
    return lists


def test_a_course_the_model_made_replays_exactly():
    lists = _course()
    found = replay(lists, [400.0] * 13, [380.0] * 13, PARAMS)
    assert found.gaps == pytest.approx([0.0] * 12, abs=1e-9)
    assert found.months == tuple(pd.period_range("2024-02", periods=12, freq="M"))
    assert not found.leaves_course
    assert "over 12 returned months (2024-02 … 2025-01)" in found.words()
    assert found.caution() is None


def test_referrals_counted_short_show_as_the_patients_missing():
    """Part 3 counting 40 fewer than were referred each month: each month's replay is 40 short (none
    renege in their first month, and the month's treatments are the same whatever bin 0 holds), 480
    in a year, said against the latest list."""
    lists = _course()
    found = replay(lists, [360.0] * 13, [380.0] * 13, PARAMS)
    assert found.gaps == pytest.approx([-40.0] * 12)
    assert found.drift == pytest.approx(-480 / lists[-1].total)
    assert f"480 fewer than the returns report in all ({found.drift:+.1%}" in found.words()
    assert abs(found.drift) > LEAVES_COURSE
    assert f"runs {abs(found.drift):.0%} below what they report" in found.caution()
    assert "too small" not in found.caution()  # 360 a month is not a small list


def test_a_month_left_out_is_not_replayed_and_does_not_carry_on():
    """A sweep of 500 in one month: the model does not know it, so that month is left out, and the
    next is replayed from the swept list, as reported."""
    lists = _course()
    swept = lists[6].by_day * (1 - 500 / lists[6].total)
    lists[6] = WaitingList(lists[6].month, swept)
    for k in range(7, 13):
        lists[k] = advance(lists[k - 1], 400.0, 380.0, PARAMS).waiting_list
    assert replay(lists, [400.0] * 13, [380.0] * 13, PARAMS).gaps[5] == pytest.approx(500.0)
    found = replay(lists, [400.0] * 13, [380.0] * 13, PARAMS, left_out=(lists[6].month,))
    assert found.gaps == pytest.approx([0.0] * 12, abs=1e-9)
    assert "July 2024 left out (one-offs)" in found.words()
    assert "over 11 returned months" in found.words()
    with pytest.raises(ValueError, match="every month"):
        replay(lists[:2], [400.0] * 2, [380.0] * 2, PARAMS, left_out=(lists[1].month,))


def test_a_small_list_is_said_to_be_small():
    lists = _course(referrals=10.0, treatments=9.0, band=0.5)
    found = replay(lists, [5.0] * 13, [9.0] * 13, PARAMS)
    assert found.leaves_course
    assert "a list fed about 5 referrals a month is also too small" in found.caution()


def test_the_calibration_before_adr_69_would_have_been_caught(tmp_path):
    """Dorset County's real return, the same 14 months: the calibration as it was before ADR 69 (renege
    rates below 0 floored, Part 3's referrals) replays a third of the T&O list away in a year, and is
    said to leave the course; today's follows it."""
    returns = read_rtt_returns(months_of_returns(tmp_path, 14))
    inputs = weeks_inputs_from_returns(returns, T_AND_O)
    assert abs(inputs.replay.drift) < 0.01 and inputs.replay.caution() is None

    def bins(r):
        return WaitingList.from_week_bands(r.month, r.by_week("Part_2", T_AND_O)).months_waited()

    def completed(r):
        bands = r.by_week("Part_1A", T_AND_O) + r.by_week("Part_1B", T_AND_O)
        return WaitingList.from_week_bands(r.month, bands).months_waited()

    counted = [r.total("Part_3", T_AND_O) for r in returns]
    floored = calibrate(counted, [bins(r) for r in returns], [completed(r) for r in returns])
    lists = [WaitingList.from_week_bands(r.month, r.by_week("Part_2", T_AND_O)) for r in returns[-13:]]
    before = replay(lists, counted[-13:], [completed(r).sum() for r in returns[-13:]], floored)
    assert before.drift < -0.3 and before.leaves_course


def _growing_open_band(paths, per_month: int) -> None:
    """The 104-weeks-and-over band of one T&O line gaining ``per_month`` each month, flowing in from
    nowhere: a rate below 0 in the open top bin, which the calibration floors (ADR 69 addendum)."""
    for k, path in enumerate(paths):
        table = pd.read_csv(path)
        row = table.index[
            (table["Treatment Function Code"] == T_AND_O) & (table["RTT Part Type"] == "Part_2")
        ][0]
        for column in ("Gt 104 Weeks SUM 1", "Total All"):
            table.loc[row, column] += per_month * k
        table.to_csv(path, index=False, float_format="%.0f")


def test_weeks_says_the_replay_and_cautions_where_the_model_leaves_the_course(tmp_path):
    paths = months_of_returns(tmp_path, 14)
    steady = CliRunner().invoke(
        app, ["waitinglist", "weeks", *map(str, paths), "--treatment-function", "C_110"]
    )
    assert steady.exit_code == 0, steady.output
    said = " ".join(steady.stdout.split())
    assert "Replayed month by month over 12 returned months (2024-01 … 2024-12)" in said
    assert "does not follow" not in said
    _growing_open_band(paths, 300)
    drifting = CliRunner().invoke(
        app,
        [
            "waitinglist",
            "capacity",
            *map(str, paths),
            "--treatment-function",
            "C_110",
            "--target-pct",
            "70",
            "--by",
            "2025-12",
        ],
    )
    assert drifting.exit_code == 0, drifting.output
    said = " ".join(drifting.stdout.split())
    # 300 a month unexplained, 3,600 in a year beside a list of about 36,000
    found = re.search(r"comes to ([\d,]+) fewer than the returns report", said)
    assert found and 3_000 < int(found.group(1).replace(",", "")) < 4_000
    assert "The model does not follow the returns' own course" in said
