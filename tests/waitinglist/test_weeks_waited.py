"""The list by weeks waited: NHSRtt's steady states, its calibration and projection, a hand-worked month,
the publication's percentile rule, and the `weeks` command on the real return."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.waitinglist.weeks_waited import (
    RenegeCapacityParams,
    WaitingList,
    bins_from_pathways,
    calibrate,
    percentile_weeks,
    project,
    project_bins,
    redistribute,
    steady_state_by_months,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
RBD = FIXTURES / "rtt" / "rtt_provider_2024_11_RBD.csv"
runner = CliRunner()


def _numbers(text: str) -> list[float]:
    return [float(v) for v in str(text).split(";")]


@pytest.mark.parametrize(
    "case", pd.read_csv(FIXTURES / "waitinglist" / "nhsrtt_steady_state_expected.csv").to_dict("records")
)
def test_nhsrtt_steady_states(case):
    waiting, served = steady_state_by_months(
        case["referrals"], _numbers(case["renege_r"]), _numbers(case["service"])
    )
    assert waiting == pytest.approx(_numbers(case["expected_wlsize"]), abs=1e-9)
    assert served == pytest.approx(_numbers(case["expected_sigma"]), abs=1e-9)


def test_a_hand_worked_month_with_two_bands():
    """70 waiting 0–1 week and 70 waiting 1–2 weeks at the end of November; December has 31 days,
    31 referrals (one a day), 10 treatments, bins: this month (0) and earlier (1+).

    Everyone on the list moves 31 days on: days 31…44, now bin 1 (started in November). Bin 0 holds
    December's 31 referrals, counted as clock starts are: 31 December's and 30 December's at index 0,
    1 December's at index 29. Capacity weights c × inflow = (1 × 31, 0 × 140): all 10 treatments in
    bin 0, which keeps 21 (21/31 a referral). Bin 1 reneges half: 70 left, 5 a day on days 31…44.
    Weeks: days 0–6 hold 8 × 21/31, 7–13, 14–20, 21–27 7 × 21/31 each; days 28–29 2 × 21/31 and
    days 31–34 4 × 5 (band 4); days 35–41 7 × 5 (band 5); days 42–44 3 × 5 (band 6).
    """
    bands = np.zeros(105)
    bands[:2] = 70
    origin = WaitingList.from_week_bands(pd.Period("2025-11"), bands)
    params = RenegeCapacityParams(renege=(0.0, 0.5), capacity=(1.0, 0.0))
    step = project(origin, [31], [10], params).steps[0]
    got = step.waiting_list.week_bands()
    a_day = 21 / 31
    expected = [8 * a_day] + [7 * a_day] * 3 + [2 * a_day + 20, 35, 15]
    assert got[:7] == pytest.approx(expected)
    assert got[7:].sum() == 0
    assert (step.treatments, step.reneges) == pytest.approx((10, 70))
    summary = step.waiting_list.summary()
    assert summary.waiting == pytest.approx(91)
    assert summary.pct_within_18_weeks == pytest.approx(100)
    # 92nd percentile: rank 0.92 × 91 = 83.72; 76 before band 6, 15 in it: 6 + 7.72/15.
    assert summary.p92_weeks == pytest.approx(6 + (0.92 * 91 - 76) / 15)


def test_the_percentile_rule_reproduces_the_publications_95th_percentiles():
    """The published national 95th percentiles (March 2015) from their own week bands."""
    table = pd.read_csv(FIXTURES / "rtt" / "rtt_incomplete_national_by_tf_2015_03.csv")
    bands = [c for c in table.columns if c.startswith("gt_")]
    assert len(bands) == 53
    for row in table.itertuples():
        got = percentile_weeks(np.array([getattr(row, c) for c in bands], dtype=float), 0.95)
        assert got == pytest.approx(row.p95_wait_weeks, abs=0.006)


def _nhsrtt_forward(referrals, start, renege, capacity_share):
    """Data made by known per-bin rates: treatments = share × inflow, reneges = rate × inflow."""
    incompletes, completes = [start], [np.zeros_like(start)]
    for r in referrals[1:]:
        inflow = np.concatenate([[r], incompletes[-1][:-1]])
        inflow[-1] += incompletes[-1][-1]
        completes.append(capacity_share * inflow)
        incompletes.append(inflow * (1 - renege - capacity_share))
    return np.array(incompletes), np.array(completes)


def test_calibration_recovers_the_rates_the_data_were_made_with():
    rng = np.random.default_rng(3)
    renege = np.array([0.0, 0.02, 0.05, 0.04, 0.1])
    share = np.array([0.1, 0.2, 0.25, 0.3, 0.4])
    referrals = rng.integers(400, 600, 7).astype(float)
    incompletes, completes = _nhsrtt_forward(referrals, rng.uniform(100, 300, 5), renege, share)
    params = calibrate(referrals, incompletes, completes)
    assert params.renege == pytest.approx(renege)
    assert params.capacity == pytest.approx(share)


def test_calibration_takes_negative_bin_0_reneges_as_uncounted_referrals():
    """One period, bin 0: 100 referrals, 30 treated, 80 still waiting: reneges −10, so the inflow is
    110; renege 0, capacity 30/110 (NHSRtt's redistribute_m0_reneges)."""
    params = calibrate([0, 100], [[0, 0], [80, 0]], [[0, 0], [30, 0]])
    assert params.renege[0] == 0
    assert params.capacity[0] == pytest.approx(30 / 110)
    plain = calibrate([0, 100], [[0, 0], [80, 0]], [[0, 0], [30, 0]], redistribute_m0_reneges=False)
    assert plain.capacity[0] == pytest.approx(0.3) and plain.renege[0] == 0  # −0.1 set to 0


@pytest.mark.parametrize("redistribution", ["none", "evenly", "prioritise_long_waiters"])
def test_by_days_summed_by_months_is_nhsrtts_projection(redistribution):
    """The day-level model, read by months waited, equals a direct port of apply_params_to_projections."""
    rng = np.random.default_rng(11)
    bands = rng.poisson(60, 105).astype(float) * np.exp(-np.arange(105) / 30)
    origin = WaitingList.from_week_bands(pd.Period("2024-11"), bands)
    params = RenegeCapacityParams(
        tuple(rng.uniform(0, 0.05, 25)), tuple(np.linspace(0.05, 0.6, 25) * rng.uniform(0.8, 1.2, 25))
    )
    referrals = rng.uniform(400, 500, 14)
    capacity = rng.uniform(350, 900, 14)  # some months beyond what bins hold: negatives to redistribute
    ours = project(origin, referrals, capacity, params, redistribution)
    theirs = project_bins(origin.months_waited(24), referrals, capacity, params, redistribution)
    for step, expected in zip(ours.steps, theirs, strict=True):
        assert step.waiting_list.months_waited(24) == pytest.approx(expected, abs=1e-6)


def test_redistribution_by_hand():
    assert list(redistribute(np.array([10.0, -4.0, 6.0]), "evenly")) == [8, 0, 4]
    assert list(redistribute(np.array([10.0, -4.0, 6.0]), "prioritise_long_waiters")) == [10, 0, 2]
    assert list(redistribute(np.array([1.0, -4.0, 2.0]), "evenly")) == [0, 0, 0]


def test_monthly_stocks_from_pathways_are_counted_right():
    """Three pathways by hand: months-waited bins at each month's end, referrals and completions."""
    starts = np.array(["2024-01-10", "2024-02-03", "2024-02-20"], dtype="datetime64[D]")
    stops = np.array(["2024-03-05", "NaT", "2024-02-25"], dtype="datetime64[D]")
    bins = bins_from_pathways(
        starts, stops, [True, False, False], pd.Period("2024-01"), pd.Period("2024-03"), 3
    )
    assert list(bins.referrals) == [1, 2, 0]
    assert bins.incompletes.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0]]
    # The first pathway is treated in March, two months after its January start; the third was removed.
    assert bins.completes.tolist() == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]


def test_the_weeks_command_on_the_real_return(tmp_path):
    out = tmp_path / "proj.csv"
    result = runner.invoke(
        app,
        [
            "waitinglist",
            "weeks",
            str(RBD),
            "--treatment-function",
            "C_110",
            "--months",
            "6",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    # the month it starts from first, as the console shows it (an outside check: the CSV lacked it)
    months = ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    assert list(got["month"]) == months and list(got["basis"]) == ["recorded"] + ["projected"] * 6
    # the return's own counts for November 2024: Part_2 summed over commissioners, 1,558 of 3,439 in
    # the first 18 week bands and one in "Gt 78 To 79 Weeks"
    origin = got.iloc[0]
    assert (origin["waiting"], origin["within_18_weeks"], origin["over_78_weeks"]) == (3439, 1558, 1)
    assert origin[["referrals", "treatments", "reneges"]].isna().all()  # nothing projected in it
    # One return: referrals (409 new periods) equal completions (280 + 129), no reneging: the list holds.
    assert got["waiting"].to_numpy() == pytest.approx(3439)
    assert (got["over_52_weeks"] >= got["over_65_weeks"]).all() and (
        got["over_65_weeks"] >= got["over_78_weeks"]
    ).all()
    assert "one return only" in " ".join(result.output.split())
    assert "over_52_weeks_low" not in got  # no pathways to backtest a return's projection on
    assert "No 95% intervals: published returns hold no pathways to test the projection on" in " ".join(
        result.output.split()
    )


def test_the_weeks_command_on_a_short_history_says_why_it_has_no_intervals(demo_warehouse, tmp_path):
    """14 months of pathways (an outside check): the CSV had no interval columns and no word why."""
    import shutil

    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        last = con.execute("SELECT max(clock_start) FROM rtt_pathways").fetchone()[0]
        con.execute("DELETE FROM rtt_pathways WHERE clock_start < ?", [last - pd.DateOffset(months=14)])
    out = tmp_path / "weeks.csv"
    result = runner.invoke(app, ["waitinglist", "weeks", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "over_52_weeks_low" not in pd.read_csv(out)
    said = " ".join(result.output.split())
    assert (
        "No 95% intervals: the pathways' history is too short to test the projection on its own past" in said
    )


def test_the_weeks_command_from_the_warehouse(demo_warehouse, tmp_path):
    out = tmp_path / "proj.csv"
    result = runner.invoke(
        app, ["waitinglist", "weeks", "--warehouse", str(demo_warehouse), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert list(written["basis"]) == ["recorded"] + ["projected"] * 12
    got = written.iloc[1:].reset_index(drop=True)
    said = " ".join(result.output.split())
    assert f"{written['waiting'].iloc[0]:,.0f} waiting at the end of {written['month'].iloc[0]}" in said
    assert "NHSRtt calibration on the warehouse's rtt_pathways" in said
    # the 52-week count with its 95% interval from the projection's own backtest (issue 26)
    assert (got["over_52_weeks_low"] <= got["over_52_weeks"]).all()
    assert (got["over_52_weeks"] <= got["over_52_weeks_high"]).all()
    half = got["over_52_weeks_high"] - got["over_52_weeks"]
    assert half.iloc[-1] > half.iloc[0] > 0
    last = got.iloc[-1]
    low, high = last["over_52_weeks_low"], last["over_52_weeks_high"]
    share, share_low, share_high = (last[f"pct_within_18_weeks{end}"] for end in ("", "_low", "_high"))
    assert share_low < share < share_high <= 100
    assert (
        f"{last['month']} with 95% intervals: % ≤18 wk {share:.1f} ({share_low:.1f} to {share_high:.1f}); "
        f"92nd pct wk {last['p92_weeks']:.1f} ({last['p92_weeks_low']:.1f} to {last['p92_weeks_high']:.1f}); "
        f"52+ wk {last['over_52_weeks']:,.0f} ({low:,.0f} to {high:,.0f}). Each month's intervals "
        "(<figure>_low and _high in"
    ) in said
    # the list is from April 2020: origins before April 2022 (24 months on) are not tested
    assert "from this projection's own errors on the warehouse's history: 16 backtest forecasts" in said


def test_the_weeks_export_from_patients_hides_small_counts_and_their_differences(demo_warehouse, tmp_path):
    """An analyst's check: 78+ weeks = 5 was printed and written from patient-level pathways while
    `stats --by` blanked its small groups. Now no shown count, and no difference between two shown
    counts of the chain (waiting ⊃ over 18 ⊃ over 52 ⊃ over 65 ⊃ over 78), rounds to 1–7; with
    --no-suppress every count is there (within the trust). The demo's list is thinned to one pathway
    in three, so that its 78-week tail is small."""
    demo_warehouse = shutil.copy(demo_warehouse, tmp_path / "thinned.duckdb")
    with duckdb.connect(str(demo_warehouse)) as con:
        con.execute("DELETE FROM rtt_pathways WHERE CAST(substr(pathway_id, 4) AS INTEGER) % 3 <> 0")
    out, whole = tmp_path / "proj.csv", tmp_path / "whole.csv"
    args = ["waitinglist", "weeks", "--warehouse", str(demo_warehouse), "--months", "24"]
    assert runner.invoke(app, [*args, "--out", str(out)]).exit_code == 0
    unhidden = runner.invoke(app, [*args, "--out", str(whole), "--no-suppress"])
    assert unhidden.exit_code == 0
    inside = "counts of 1–7 patients are not hidden here (--no-suppress): for use inside the trust"
    assert inside in " ".join(unhidden.output.split())  # an IG review: nothing said so
    shown, exact = pd.read_csv(out), pd.read_csv(whole)
    assert (shown.pop("basis") == exact.pop("basis")).all()
    # the month it starts from, hidden as the console hides it; it has no projected flows
    assert exact.iloc[0][["referrals", "treatments", "reneges"]].isna().all()
    shown, exact = shown.iloc[1:].reset_index(drop=True), exact.iloc[1:].reset_index(drop=True)
    # the file itself says so on every row (a governance lead's check: the two files were alike)
    assert "small_numbers" not in shown.columns
    assert (exact.pop("small_numbers") == "1-7 shown (--no-suppress): for use inside the trust").all()
    assert exact.notna().all().all()
    chain = exact.assign(over_18_weeks=exact["waiting"] - exact["within_18_weeks"])[
        ["waiting", "over_18_weeks", "over_52_weeks", "over_65_weeks", "over_78_weeks"]
    ].round()
    visible = chain.where(shown.assign(over_18_weeks=shown["within_18_weeks"]).notna()[chain.columns])
    for _, row in visible.iterrows():
        counts = row.dropna().to_numpy()
        assert not ((counts >= 1) & (counts <= 7)).any()
        assert not ((np.diff(counts) <= -1) & (np.diff(counts) >= -7)).any()
    assert shown.isna().any().any(), "the demo's 78-week tail is small: something is hidden"
    # a hidden 52-week count hides its interval (the two ends' midpoint would give it back)
    hidden_52 = shown["over_52_weeks"].isna()
    assert shown.loc[hidden_52, ["over_52_weeks_low", "over_52_weeks_high"]].isna().all().all()
    assert shown.loc[~hidden_52, ["over_52_weeks_low", "over_52_weeks_high"]].notna().all().all()
    shown_values = shown.notna()
    # the percentile to a tenth where small numbers are hidden (its decimals had given counts away)
    percentiles = [c for c in exact if c.startswith("p92_weeks")]
    exact[percentiles] = exact[percentiles].round(1)
    pd.testing.assert_frame_equal(shown[shown_values].fillna(0), exact[shown_values].fillna(0))


def test_week_bands_count_as_the_publication_and_the_catalogue_do():
    """More than i, up to i + 1 weeks: 126 days is within 18 weeks, 364 days is not over 52."""
    end = np.datetime64("2025-03-31")
    waited = np.array([0, 1, 7, 8, 126, 127, 364, 365, 455, 456, 546, 547])
    summary = WaitingList.from_clock_starts(pd.Period("2025-03"), end - waited).summary()
    assert summary.within_18_weeks == 5  # 0, 1, 7, 8 and 126 days
    assert summary.over_52_weeks == 5  # 365, 455, 456, 546, 547 days
    assert summary.over_65_weeks == 3  # 456, 546, 547 (65 weeks is 455 days)
    assert summary.over_78_weeks == 1  # 547 (78 weeks is 546 days)
    bands = WaitingList.from_clock_starts(pd.Period("2025-03"), end - waited).week_bands()
    assert bands[0] == 3 and bands[1] == 1  # up to 7 days, then 8 days


def test_the_list_by_weeks_agrees_with_the_catalogues_measures_on_the_warehouse(demo_warehouse):
    import duckdb
    import ibis

    from stocktake.metrics.catalogue import load_catalogue
    from stocktake.metrics.run import run_catalogue

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        pathways = con.execute("SELECT clock_start, clock_stop, status FROM rtt_pathways").df()
    series = run_catalogue(ibis.duckdb.connect(str(demo_warehouse), read_only=True), load_catalogue())
    month = pd.Period(series["rtt_over_52_weeks"]["period"].iloc[-1], freq="M")
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    end = np.datetime64(month.end_time.date(), "D")
    waiting = (starts <= end) & (np.isnat(stops) | (stops > end))
    summary = WaitingList.from_clock_starts(month, starts[waiting]).summary()

    def latest(metric_id: str) -> float:
        frame = series[metric_id]
        return float(frame[pd.PeriodIndex(frame["period"], freq="M") == month]["value"].iloc[0])

    assert summary.over_52_weeks == latest("rtt_over_52_weeks")
    assert summary.over_65_weeks == latest("rtt_over_65_weeks")
    assert summary.pct_within_18_weeks == pytest.approx(latest("rtt_within_18_weeks"), abs=0.05)


def test_extra_treatments_reach_no_one_waiting_less_than_the_soonest_days():
    """April's 30 referrals, one a day, 100 extra treatments, none sooner than 8 days: the eight
    referred from 23 to 30 April, waiting 7 days down to 0 at April's end, stay; the other 22 are
    treated (and only 22 counted as given)."""
    params = RenegeCapacityParams(renege=(0.0, 0.0), capacity=(1.0, 1.0), soonest_extra_days=8)
    origin = WaitingList(pd.Period("2025-03"), np.zeros(801))
    step = project(origin, [30.0], [0.0], params, "none", extra=[100.0]).steps[0]
    assert step.extra_treatments == pytest.approx(22.0)
    assert step.waiting_list.total == pytest.approx(8.0)
    assert step.waiting_list.by_day[:7].sum() == pytest.approx(8.0)


def test_the_soonest_extra_treatment_is_the_quickest_tenth_treated_in_the_warehouse(demo_warehouse):
    import duckdb

    from stocktake.waitinglist.weeks_waited import list_month, weeks_inputs

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        pathways = con.execute("SELECT clock_start, clock_stop, status FROM rtt_pathways").df()
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    last = list_month(starts, stops)
    _, params, _, _, how = weeks_inputs(pathways, last)
    treated = pathways[(pathways["status"] == "treated") & pathways["clock_stop"].notna()]
    stop = pd.to_datetime(treated["clock_stop"])
    recent = treated[(stop > (last - 12).end_time) & (stop <= last.end_time)]
    waits = (pd.to_datetime(recent["clock_stop"]) - pd.to_datetime(recent["clock_start"])).dt.days
    assert abs(params.soonest_extra_days - waits.quantile(0.1)) <= 1
    assert params.soonest_extra_days > 7 and f"under {params.soonest_extra_days / 7:.0f} weeks" in how


def _under_the_floor(step, soonest_days: int) -> float:
    """The month's referrals waiting fewer than ``soonest_days`` at its end: a day's at each index below
    the first one treatments reach, two at index 0 (a start on the month's last day and the day before
    both count there); the floors used here are shorter than any month."""
    month = step.waiting_list.month
    return step.referrals * soonest_days / month.days_in_month


@pytest.mark.parametrize("growth", [-10.0, 0.0, 20.0])
@pytest.mark.parametrize("lists", [0.0, 10.0, 30.0])
@pytest.mark.parametrize("validation", [0.0, 20.0])
def test_present_capacity_reaches_no_one_below_the_floor(growth, lists, validation):
    """Issue 26: once extra lists have cleared the long waiters, the capacity NHSRtt shares by bin
    must not empty the list down to those referred days ago. With no reneging in the youngest bin,
    every projected month keeps at least (and, below the floor, exactly) the referrals of the days
    under the floor, whatever the scenario."""
    from stocktake.waitinglist.scenario import Scenario, apply

    rng = np.random.default_rng(26)
    bands = rng.poisson(40, 105).astype(float) * np.exp(-np.arange(105) / 25)
    origin = WaitingList.from_week_bands(pd.Period("2025-03"), bands)
    params = RenegeCapacityParams(
        (0.0, *np.full(24, 0.01)), (0.055, *np.linspace(0.18, 0.5, 24)), soonest_extra_days=24
    )
    projected = apply(
        origin, [420.0] * 12, [400.0] * 12, params, Scenario(growth, lists, validation), cases_per_list=3.5
    )
    for step in projected.steps:
        under = _under_the_floor(step, 24)
        assert step.waiting_list.total >= under - 1e-9, step.waiting_list.month
        assert step.waiting_list.by_day[:23].sum() == pytest.approx(under)


def test_the_outsiders_scenario_on_the_demo_warehouse_keeps_the_recent_referrals(demo_warehouse):
    """The page's 30 extra lists, demand −10% and a 20% validation on the demo department: no month
    falls below the referrals under the floor, less the youngest bin's own reneging."""
    from stocktake.files.rtt import weeks_inputs_from_warehouse
    from stocktake.files.theatre import cases_per_list
    from stocktake.waitinglist.scenario import Scenario, apply

    inputs = weeks_inputs_from_warehouse(demo_warehouse)
    per_list, _ = cases_per_list(demo_warehouse)
    soonest = inputs.params.soonest_extra_days
    assert 1 < soonest < 28
    projected = apply(
        inputs.origin,
        [inputs.referrals] * 12,
        [inputs.capacity] * 12,
        inputs.params,
        Scenario(-10.0, 30.0, 20.0),
        per_list,
    )
    kept = 1 - inputs.params.renege[0]
    for step in projected.steps:
        assert step.waiting_list.total >= kept * _under_the_floor(step, soonest) - 1e-6


def test_with_a_floor_a_list_in_its_usual_state_is_still_nhsrtts_by_months_waited():
    """While every bin holds enough people at or above the floor, the floor only moves who inside the
    youngest bin is treated: summed by months waited, the projection is the direct port's."""
    rng = np.random.default_rng(11)
    bands = rng.poisson(60, 105).astype(float) * np.exp(-np.arange(105) / 30)
    origin = WaitingList.from_week_bands(pd.Period("2024-11"), bands)
    params = RenegeCapacityParams(
        tuple(rng.uniform(0, 0.05, 25)),
        tuple(np.linspace(0.05, 0.6, 25) * rng.uniform(0.8, 1.2, 25)),
        soonest_extra_days=24,
    )
    referrals = rng.uniform(400, 500, 14)
    capacity = rng.uniform(300, 380, 14)
    ours = project(origin, referrals, capacity, params, "none")
    theirs = project_bins(origin.months_waited(24), referrals, capacity, params, "none")
    assert theirs.min() > 0  # no bin given more than it holds: nothing to redistribute
    for step, expected, given in zip(ours.steps, theirs, capacity, strict=True):
        assert step.waiting_list.months_waited(24) == pytest.approx(expected, abs=1e-6)
        assert step.treatments == pytest.approx(given)  # every treatment found someone to treat


def _steady_list_with_a_cohort(treated_on: str | None) -> pd.DataFrame:
    """200 referrals on the first of every month of 2021–2024, each treated exactly 140 days on (all
    in their fourth month waited, none near 52 weeks: a list NHSRtt's model projects exactly), and a
    cohort of 30 referred on 4 January 2021 never treated, or all treated on ``treated_on``: the only
    patients ever waiting more than 52 weeks."""
    days = pd.date_range("2021-01-01", "2024-12-01", freq="MS")
    starts = np.repeat(days.to_numpy(), 200)
    stops = starts + np.timedelta64(140, "D")
    stops = np.where(stops > np.datetime64("2024-12-31"), np.datetime64("NaT"), stops)
    cohort_start = np.full(30, np.datetime64("2021-01-04"))
    cohort_stop = np.full(30, np.datetime64("NaT") if treated_on is None else np.datetime64(treated_on))
    frame = pd.DataFrame(
        {
            "clock_start": pd.to_datetime(np.r_[starts, cohort_start]),
            "clock_stop": pd.to_datetime(np.r_[stops, cohort_stop]),
        }
    )
    frame["status"] = np.where(frame["clock_stop"].isna(), "waiting", "treated")
    return frame


def test_the_52_week_backtest_finds_an_injected_treatment_of_the_long_waiters():
    """Issue 26: the 52-week count had no interval. Its backtest (actual − projected, by origin and
    months ahead) on two lists that differ only in a cohort of 30 long waiters all treated on 15 June
    2024, which no origin before June can foresee: from each such origin the two projections are the
    same, so the errors differ by exactly −30 in every month from June and by nothing before it."""
    from stocktake.waitinglist.weeks_waited import backtest_weeks

    last, horizon = pd.Period("2024-12", freq="M"), 12
    listed = _steady_list_with_a_cohort(None)
    both = (
        backtest_weeks(listed, last, horizon),
        backtest_weeks(_steady_list_with_a_cohort("2024-06-15"), last, horizon),
    )
    waiting_on, treated = (errors["over_52_weeks"] for errors in both)
    share_on, share_treated = (errors["pct_within_18_weeks"] for errors in both)
    # every origin 2023-01 … 2024-11 tested; 2022-12 is before the pathways span the model's 24 months
    assert np.isfinite(waiting_on[1:, 0]).all() and np.isnan(waiting_on[0]).all()
    june = pd.Period("2024-06", freq="M")
    checked = 0
    for row, origin in enumerate(last - k for k in range(24, 0, -1)):
        if origin >= june or row == 0:  # 2022-12: untested (above)
            continue
        for h in range(min(horizon, (last - origin).n)):
            expected = -30 if origin + h + 1 >= june else 0
            assert treated[row, h] - waiting_on[row, h] == pytest.approx(expected, abs=1e-6), (origin, h)
            checked += expected != 0
            # the share within 18 weeks: by hand, W of the T waiting then were within 18 weeks (126
            # days); with the cohort (all long waiters) treated, W of T − 30 were
            end = (origin + h + 1).end_time.normalize()
            waiting = (listed["clock_start"] <= end) & (
                listed["clock_stop"].isna() | (listed["clock_stop"] > end)
            )
            total = int(waiting.sum())
            within = int((waiting & ((end - listed["clock_start"]).dt.days <= 126)).sum())
            gained = 100 * within / (total - 30) - 100 * within / total if expected else 0.0
            assert share_treated[row, h] - share_on[row, h] == pytest.approx(gained, abs=1e-9), (origin, h)
    assert checked > 50
    # months not yet known from an origin are left unknown, not 0
    assert np.isnan(waiting_on[-1, 1:]).all() and np.isfinite(waiting_on[-1, 0])


def test_the_backtest_leaves_out_origins_before_the_pathways_span_the_models_24_months():
    """An outside check: ten months of pathways gave "774 (95% interval 774 to 774)" waiting more than
    52 weeks. No origin's list could yet hold a 52-week waiter, so every error was 0 by construction.
    An origin is tested only once the pathways reach 24 months (the model's months-waited bins) before
    it; here the list starts in January 2023, so origins from January 2025 on would be, and none is."""
    from stocktake.waitinglist.weeks_waited import backtest_weeks

    recent = _steady_list_with_a_cohort(None)
    recent = recent[recent["clock_start"] >= "2023-01-01"].reset_index(drop=True)
    errors = backtest_weeks(recent, pd.Period("2024-12", freq="M"), 12)
    assert all(np.isnan(found).all() for found in errors.values())
    # the whole list, from January 2021: origins from January 2023 on are tested, December 2022 not
    tested = backtest_weeks(_steady_list_with_a_cohort(None), pd.Period("2024-12", freq="M"), 12)
    assert np.isfinite(tested["over_52_weeks"][1:, 0]).all() and np.isnan(tested["over_52_weeks"][0, 0])


def test_most_possible_is_the_list_aged_with_no_one_leaving():
    """Hand-worked: 3 waiting 301 days and 2 waiting 11 at the end of December 2024, 31 referrals a
    month. The 3 pass 52 weeks (more than 364 days) in March (301 + 31 + 28 + 31 = 391); the 2 in
    December 2025 (11 + 365 = 376); no referral yet (one on 1 January has waited 364 days by 31
    December, not more: an outside check found the referrals counted a day older than clock starts)."""
    from stocktake.waitinglist.weeks_waited import most_possible

    by_day = np.zeros(801)
    by_day[300], by_day[10] = 3, 2  # index k: more than k, up to k + 1 days
    origin = WaitingList(pd.Period("2024-12", freq="M"), by_day)
    params = RenegeCapacityParams(renege=(0.1,) * 25, capacity=(1.0,) * 25)
    projection = project(origin, [31.0] * 12, [20.0] * 12, params)
    most = most_possible(projection)
    assert most["over_52_weeks"] == pytest.approx([0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 5])
    # the oldest waits 301 + 31 days by January: band 47 (more than 47, up to 48 weeks); 104 is the open band
    assert most["p92_weeks"][0] == 48
    assert most["p92_weeks"][2] == (300 + 31 + 28 + 31) // 7 + 1
    # the projection itself (a tenth reneging each month, 20 treated) stays within them
    table = projection.table()
    assert (table["over_52_weeks"].to_numpy() <= most["over_52_weeks"] + 1e-9).all()
    assert (table["p92_weeks"].to_numpy() <= most["p92_weeks"] + 1e-9).all()
    assert table["waiting"].min() > 0


def test_a_small_lists_interval_stops_at_what_it_could_hold():
    """An outside check: a list of 8 read "0 (95% interval 0 to 10)" waiting more than 52 weeks. The
    interval's top is now the most the list could hold over 52 weeks, whatever the model's errors."""
    from stocktake.verdicts.waitinglist import bounded_interval

    low, high = bounded_interval(
        "over_52_weeks", np.array([0.0, 2.0]), np.array([10.0, 10.0]), np.array([8.0, 1.0])
    )
    assert list(low) == [0, 0] and list(high) == [8, 2]  # never below the central figure itself
    # the cap is an exact count of patients: hidden when small, it is raised to 8, still a true bound
    hidden = bounded_interval(
        "over_52_weeks", np.array([0.0, 0.0]), np.array([10.0, 10.0]), np.array([3.0, 0.0]), True
    )
    assert list(hidden[1]) == [8, 0]
    assert list(bounded_interval("over_52_weeks", 0.0, 10.0, 3.0)[1:]) == [3]  # inside the trust: as it is
    low, high = bounded_interval("p92_weeks", 30.0, 12.0, 38.0)
    assert (low, high) == (18.0, 38.0)
    assert bounded_interval("pct_within_18_weeks", 95.0, 10.0) == (85.0, 100.0)


def test_the_92nd_percentile_of_a_list_under_100_is_hidden_from_patient_level_data(demo_warehouse, tmp_path):
    """An IG check: the list now's 92nd percentile, to three decimals, gave exact counts of 1-7 back
    (14 waiting, 60.880 weeks: one patient in week 60 and one beyond, a hidden 65+ count of 1). It is
    read among the longest 8%, so below 100 waiting it describes 1-7 people: hidden, with its interval,
    in every month whose list is under 100; elsewhere written to a tenth, as shown. Published returns
    are public: shown."""
    from stocktake.verdicts.waitinglist import percentile_hidden

    assert [percentile_hidden(n) for n in (0, 14, 96, 99, 99.4, 100, 3571)] == [
        True, True, True, True, True, False, False,
    ]  # fmt: skip
    thinned = shutil.copy(demo_warehouse, tmp_path / "thinned.duckdb")
    with duckdb.connect(str(thinned)) as con:
        con.execute("DELETE FROM rtt_pathways WHERE CAST(substr(pathway_id, 4) AS INTEGER) % 40 <> 0")
    out, whole = tmp_path / "weeks.csv", tmp_path / "whole.csv"
    args = ["waitinglist", "weeks", "--warehouse", str(thinned), "--months", "6"]  # 96 waiting, growing
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, [*args, "--out", str(whole), "--no-suppress"]).exit_code == 0
    shown, exact = pd.read_csv(out), pd.read_csv(whole)
    assert exact["p92_weeks"].notna().all()
    under = exact["waiting"].round() < 100  # the list as counted (a projected one in fractions)
    assert under.iloc[0] and under.sum() >= 3 and (~under).any()
    percentiles = [c for c in shown if c.startswith("p92_weeks")]
    assert shown.loc[under, percentiles].isna().all().all()
    # a list of 100 or more shows its percentile, to a tenth
    assert shown.loc[~under, percentiles].notna().all().all()
    assert (shown.loc[~under, "p92_weeks"] == exact.loc[~under, "p92_weeks"].round(1)).all()
    origin_line = next(
        line
        for line in result.output.splitlines()
        if line.startswith("│") and "recorded" not in line and str(exact["month"].iloc[0]) in line
    )
    assert origin_line.split("│")[4].strip() == "*"  # the console's 92nd percentile column
