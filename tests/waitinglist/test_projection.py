"""The projection (stock-and-flow and list models, averaged) on synthetic histories with known trend,
seasons and noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic_histories import ADD_SEASON, ENGLAND, GROWTH, STOP_SEASON, synthetic

from stocktake.waitinglist.history import HistoryError, history_from_table
from stocktake.waitinglist.projection import (
    FlowFit,
    _median_by_month,
    backtest_errors,
    error_columns,
    fit,
    fit_list,
    flows_unexplained,
    forecast,
    project,
    simulate,
    theil_sen_slope,
)


def test_theil_sen_ignores_a_minority_of_wild_points():
    values = 2.0 + 0.5 * np.arange(20.0)
    values[[3, 9, 15]] = [-50, 80, 0]
    assert theil_sen_slope(values) == pytest.approx(0.5)


def test_injected_growth_and_seasons_are_recovered():
    table = synthetic(72)
    model = fit(history_from_table(table))
    assert model.growth == pytest.approx(GROWTH, abs=2e-4)
    admitted = model.stops[0]
    assert admitted.name == "clock_stops_admitted"
    np.testing.assert_allclose(admitted.season, STOP_SEASON, atol=0.01)
    np.testing.assert_allclose(model.net_additions.season, ADD_SEASON, atol=0.01)
    # Level at the origin (month 71) per month, seasonally adjusted: 0.25 × 10,000 × e^(71 g).
    assert admitted.level == pytest.approx(2_500 * np.exp(GROWTH * 71), rel=0.01)


def test_noise_free_projection_follows_the_truth():
    whole = synthetic(84)
    history = history_from_table(whole.iloc[:72])
    path = forecast(fit(history), 12)
    truth = whole["waiting"].to_numpy()[72:]
    np.testing.assert_allclose(path.waiting, truth, rtol=2e-3)
    # Clock starts were known throughout, so they are projected and other removals are the rest.
    assert path.clock_starts is not None
    np.testing.assert_allclose(path.clock_starts - path.other_removals, path.net_additions)


def test_flows_add_up_to_the_list():
    projection = project(history_from_table(synthetic(60, seed=1, noise=0.02)), 6)
    table = projection.table()
    change = np.diff(np.r_[projection.model.waiting, projection.path.waiting])
    outflow = sum(projection.path.stops.values())
    np.testing.assert_allclose(change, projection.path.net_additions - outflow)
    assert list(table.columns[:4]) == ["month", "waiting", "waiting_low", "waiting_high"]
    assert (table["waiting_low"] <= table["waiting"]).all() and (
        table["waiting"] <= table["waiting_high"]
    ).all()


def test_interval_covers_about_the_nominal_share_on_simulated_noise():
    """40 simulated lists with noise and a drifting level: the 95% intervals, sized only by each
    history's own backtest, cover the next 12 months' truth in roughly 95% of months."""
    inside = []
    for seed in range(40):
        whole = synthetic(72, seed=seed, noise=0.02, shock=0.005)
        projection = project(history_from_table(whole.iloc[:60]), 12)
        truth = whole["waiting"].to_numpy()[60:]
        inside.append((truth >= projection.low) & (truth <= projection.high))
    coverage = np.mean(inside)
    assert 0.85 <= coverage <= 0.995, coverage


#: Month-of-year change in the log list (January … December), summing to nothing over a year.
LIST_SEASON = np.array([-0.02, 0.01, 0.02, 0.025, 0.02, 0.0, 0.005, -0.005, -0.01, -0.005, -0.02, -0.02])
LIST_SEASON = LIST_SEASON - LIST_SEASON.mean()
LIST_DRIFT = 0.005  # log per month


def seasonal_random_walk(months: int, seed: int, sigma: float = 0.008) -> pd.DataFrame:
    """A list whose log is a seasonal random walk with drift (the list model's own process):
    ``log list_t = log list_{t−1} + 0.005 + season(month) + N(0, sigma)``; its clock stops grow at the
    same rate with their own seasons and 2% noise, and net additions are whatever the list implies."""
    rng = np.random.default_rng(seed)
    index = pd.period_range("2010-01", periods=months, freq="M")
    m = index.month.to_numpy() - 1
    log_list = np.log(3e6) + np.cumsum(LIST_DRIFT + LIST_SEASON[m] + rng.normal(0, sigma, months))
    stops = np.round(
        1.2e6 * np.exp(LIST_DRIFT * np.arange(months)) * STOP_SEASON[m] * (1 + rng.normal(0, 0.02, months))
    )
    admitted = np.round(0.25 * stops)
    return pd.DataFrame(
        {
            "month": index.astype(str),
            "waiting": np.round(np.exp(log_list)),
            "clock_stops_admitted": admitted,
            "clock_stops_non_admitted": stops - admitted,
        }
    )


def test_list_model_recovers_injected_drift_and_seasons():
    model = fit_list(history_from_table(seasonal_random_walk(96, seed=0, sigma=0.0)))
    assert model.growth == pytest.approx(LIST_DRIFT, abs=1e-6)  # the list is rounded to pathways
    np.testing.assert_allclose(model.season, LIST_SEASON, atol=1e-5)
    # One step on from December 2017: the list grows by the drift and January's season.
    assert model.path(np.array([1]))[0] == pytest.approx(model.waiting * np.exp(LIST_DRIFT + LIST_SEASON[0]))


def test_projection_is_the_average_of_the_two_models_with_flows_reconciled():
    history = history_from_table(synthetic(60, seed=2, noise=0.02))
    projection = project(history, 12)
    flows = forecast(fit(history), 12).waiting
    listed = fit_list(history).path(projection.path.months.month.to_numpy())
    np.testing.assert_allclose(projection.path.waiting, (flows + listed) / 2)
    # The clock stops are the stock-and-flow model's; the net additions make up the difference.
    np.testing.assert_allclose(
        projection.path.stops["clock_stops_admitted"],
        forecast(fit(history), 12).stops["clock_stops_admitted"],
    )
    np.testing.assert_allclose(
        projection.path.clock_starts - projection.path.other_removals, projection.path.net_additions
    )


def test_interval_covers_the_nominal_share_of_a_seasonal_random_walk_with_drift():
    """60 simulated lists from a known seasonal random walk with drift, each projected 12 months from
    an origin after five years: the 95% intervals, sized only by each history's own backtest, cover
    the truth in 90–99% of the 720 months (too wide or too narrow an interval fails)."""
    inside = []
    for seed in range(60):
        whole = seasonal_random_walk(72, seed=seed)
        projection = project(history_from_table(whole.iloc[:60]), 12)
        truth = whole["waiting"].to_numpy()[60:]
        inside.append((truth >= projection.low) & (truth <= projection.high))
    coverage = np.mean(inside)
    assert 0.90 <= coverage <= 0.99, coverage


def test_error_columns_by_hand():
    """Four origins' errors at horizons 1–3: horizon 2 is the longest with three errors, so each
    horizon to 2 gives its own errors and their negatives, and horizons 3 and 4 horizon 2's in
    proportion (× 3/2, × 4/2)."""
    nan = np.nan
    errors = np.array([[0.01, 0.02, nan], [0.02, 0.04, nan], [0.03, nan, nan], [0.01, 0.03, 0.05]])
    columns = error_columns(errors, 4)
    np.testing.assert_allclose(columns[0], [-0.03, -0.02, -0.01, -0.01, 0.01, 0.01, 0.02, 0.03])
    np.testing.assert_allclose(columns[1], [-0.04, -0.03, -0.02, 0.02, 0.03, 0.04])
    np.testing.assert_allclose(columns[2], [-0.06, -0.045, -0.03, 0.03, 0.045, 0.06])
    np.testing.assert_allclose(columns[3], [-0.08, -0.06, -0.04, 0.04, 0.06, 0.08])


def test_a_simulated_months_interval_does_not_hang_on_how_far_the_run_looks():
    """An analyst's second look: England cut at 2014-12, 2015-03's simulated interval was a third
    narrower with --months 24 than with 12 (whole paths known to the furthest horizon, older ones).
    Each run now keeps one rank across horizons, read from each horizon's own errors."""
    history = history_from_table(synthetic(72, seed=4, noise=0.02, shock=0.01))
    short, long = (project(history, months, simulations=500, seed=3) for months in (6, 24))
    np.testing.assert_allclose(long.low[:6], short.low)
    np.testing.assert_allclose(long.high[:6], short.high)
    runs = long.runs / long.path.waiting
    ranks = np.argsort(np.argsort(runs, axis=0), axis=0)
    assert np.corrcoef(ranks[:, 0], ranks[:, 11])[0, 1] > 0.8  # a run high early stays high


def test_a_large_simulation_is_centred_on_the_central_projection():
    """20,000 runs: each month's median run is the central path (the runs are symmetric about it),
    and a run is the central path times one minus-or-plus backtest error path, never a new centre."""
    history = history_from_table(seasonal_random_walk(72, seed=5))
    projection = project(history, 24, simulations=20_000, seed=1)
    central = projection.path.waiting
    assert projection.runs.shape == (20_000, 24)
    np.testing.assert_allclose(np.median(projection.runs, axis=0), central, rtol=2e-3)
    np.testing.assert_allclose(projection.low, np.percentile(projection.runs, 2.5, axis=0))
    # The central path is the plain projection's: simulating changes the interval only.
    np.testing.assert_allclose(central, project(history, 24).path.waiting)


def test_simulated_interval_widens_with_the_horizon():
    """A list with a drifting level: the simulated 95% interval's relative width grows month by month
    (errors persist over the horizon), and in proportion past the longest tested horizon."""
    whole = synthetic(84, seed=7, noise=0.02, shock=0.005)
    history = history_from_table(whole)
    projection = project(history, 36, simulations=4_000, seed=2)
    width = (projection.high - projection.low) / projection.path.waiting
    assert width[0] < width[5] < width[11] < width[23] < width[35]
    assert np.mean(np.diff(width) > 0) > 0.8


def test_simulation_is_reproducible_and_a_count_below_zero_refused():
    history = history_from_table(seasonal_random_walk(60, seed=3))
    one = simulate(np.full(6, 1e6), backtest_errors(history, 6), 50, seed=9)
    np.testing.assert_array_equal(one, simulate(np.full(6, 1e6), backtest_errors(history, 6), 50, seed=9))
    for runs in (-1, 1, 99):  # one or two runs gave an "interval" that missed the central path
        with pytest.raises(
            HistoryError, match=f"simulations must be 0 \\(none\\) or 100 or more .*not {runs}"
        ):
            project(history, 6, simulations=runs)
    assert project(history, 6, simulations=100).runs.shape == (100, 6)
    with pytest.raises(HistoryError, match="months ahead must be 1 to 60, not 61"):
        project(history, 61)


def test_simulated_interval_covers_the_nominal_share_of_a_seasonal_random_walk_with_drift():
    """As the backtest interval is checked: 40 known seasonal random walks, 12 months from an origin
    after five years, 1,000 runs each; the simulated 95% interval covers 88–99% of the 480 months."""
    inside = []
    for seed in range(40):
        whole = seasonal_random_walk(72, seed=100 + seed)
        projection = project(history_from_table(whole.iloc[:60]), 12, simulations=1_000, seed=seed)
        truth = whole["waiting"].to_numpy()[60:]
        inside.append((truth >= projection.low) & (truth <= projection.high))
    coverage = np.mean(inside)
    assert 0.88 <= coverage <= 0.99, coverage


def test_backtest_refits_on_the_past_only():
    """Changing the last month changes no backtest forecast made before it (only its own error)."""
    table = synthetic(40, seed=3, noise=0.02)
    errors = backtest_errors(history_from_table(table), 3)
    changed = table.copy()
    changed.loc[39, "waiting"] += 5_000
    again = backtest_errors(history_from_table(changed), 3)
    np.testing.assert_allclose(errors[:-3], again[:-3])  # origins whose targets end before month 39
    assert not np.allclose(errors[-1, 0], again[-1, 0])


def test_a_list_running_down_to_few_is_never_projected_below_none():
    """A list falling a fifth a month with steady stops: the flows alone would carry it below zero."""
    table = synthetic(40)
    table["waiting"] = np.round(100_000 * 0.8 ** np.arange(40)) + 1
    projection = project(history_from_table(table), 24)
    frame = projection.table()
    assert (frame["waiting"] >= 0).all()
    assert (frame["waiting_low"] <= frame["waiting"]).all() and (
        frame["waiting"] <= frame["waiting_high"]
    ).all()


def test_the_printed_flows_add_up_to_the_printed_list_exactly():
    history = history_from_table(synthetic(60, seed=4, noise=0.03))
    frame = project(history, 60).table()
    before = np.r_[round(history.waiting[-1]), frame["waiting"].to_numpy()[:-1]]
    stops = frame["clock_stops_admitted"] + frame["clock_stops_non_admitted"]
    assert (frame["waiting"] - before == frame["net_additions"] - stops).all()
    assert (frame["clock_starts"] - frame["other_removals"] == frame["net_additions"]).all()


def test_a_flow_that_is_0_in_some_months_every_year_gets_added_seasons(recwarn):
    table = synthetic(48)
    table["clock_stops_admitted"] = np.where(pd.PeriodIndex(table["month"], freq="M").month == 8, 0, 500)
    model = fit(history_from_table(table))
    admitted = next(flow for flow in model.stops if flow.name == "clock_stops_admitted")
    assert not admitted.multiplicative and admitted.season[7] < -400  # August: about 500 fewer
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_flow_with_added_seasons_is_never_projected_below_0():
    """Every flow 0 each August (a service shut) gave additive seasons deeper than the level: −8
    clock starts projected. A flow of 10 a month with August 30 below it is 0 in August, not −20."""

    season = tuple(-30.0 if m == 8 else 30 / 11 for m in range(1, 13))
    flow = FlowFit("clock_starts", level=10.0, season=season, multiplicative=False)
    path = flow.path(np.arange(1, 13), growth=0.0)
    assert path[7] == 0 and (path >= 0).all() and path[0] == pytest.approx(10 + 30 / 11)


def test_a_months_interval_does_not_hang_on_how_far_the_run_looks():
    """An analyst's check: cut at one month, next month's interval differed between --months 1, 6, 12
    and 24 (the backtest's origins moved with the horizon). Each horizon now rests on its own latest
    24 errors, the same whatever the run's length."""
    history = history_from_table(synthetic(72, seed=4, noise=0.02, shock=0.01))
    runs = {months: project(history, months) for months in (1, 6, 12, 24)}
    for months, run in runs.items():
        assert run.low[0] == pytest.approx(runs[1].low[0], rel=1e-12), months
        assert run.width.errors_used[0] == 24
        if months >= 6:
            np.testing.assert_allclose(run.high[:6], runs[6].high, rtol=1e-12)


def test_the_t_quantile_has_no_step_at_30_degrees_of_freedom():
    """The table stopped at 30 and fell to 1.96: 31 errors gave a wider interval than 32 by 4%."""
    from stocktake.targets.projection import t_quantile

    assert t_quantile(30) == pytest.approx(2.0423, abs=1e-4)  # published tables
    assert t_quantile(31) == pytest.approx(2.0395, abs=1e-4)
    assert t_quantile(60) == pytest.approx(2.0003, abs=1e-4)
    assert t_quantile(30) > t_quantile(31) > t_quantile(60) > 1.96


def test_the_interval_says_where_it_stops_being_tested():
    """30 months of history test the model a few months ahead only; beyond, the width is grown with
    the horizon, untested, and the words say so."""
    short = project(history_from_table(synthetic(30, seed=5, noise=0.02)), 12)
    assert short.width.tested_months < 12
    words = short.width.basis()
    assert f"tested to {short.width.tested_months} month" in words and "untested" in words
    long = project(history_from_table(synthetic(72, seed=5, noise=0.02)), 12)
    assert long.width.basis() == "24 backtest forecasts a month ahead and 24 at 12 months"


def test_the_page_says_the_untested_horizon_once():
    """A clinical director read "(…, tested to 9 months ahead only: a rough guide) … (untested: read it
    as a rough guide))" in one sentence: beside the projection the basis no longer repeats it."""
    short = project(history_from_table(synthetic(30, seed=5, noise=0.02)), 12)
    months = short.width.tested_months
    words = short.width.basis(untested=False)
    assert words.endswith(f"widened beyond {months} months in proportion to the horizon")
    assert "rough guide" not in words and "untested" not in words and "(" not in words


def test_a_small_services_projected_flows_are_never_negative_and_add_up():
    """An analyst's check: a service of some 50 waiting, with no removals but its treatments, was
    projected with "-3 other removals" (starts, projected apart from the list, rounded below what the
    list and its stops need)."""
    rng = np.random.default_rng(1)
    index = pd.period_range("2020-09", periods=48, freq="M")
    starts = rng.poisson(8, len(index))
    admitted = rng.binomial(starts, 0.2)
    non_admitted = np.minimum(rng.poisson(6, len(index)), starts - admitted + 2)
    waiting = 40 + np.cumsum(starts - admitted - non_admitted)
    table = pd.DataFrame(
        {
            "month": index.astype(str),
            "waiting": np.maximum(waiting, 1),
            "clock_starts": starts,
            "clock_stops_admitted": admitted,
            "clock_stops_non_admitted": non_admitted,
        }
    )
    projected = project(history_from_table(table), 12).table()
    assert projected["clock_starts"].notna().all()
    assert (projected[["clock_starts", "other_removals"]] >= 0).all().all()
    flows = (
        projected["clock_starts"] - projected["clock_stops_admitted"] - projected["clock_stops_non_admitted"]
    )
    change = np.diff(np.r_[table["waiting"].iloc[-1], projected["waiting"]])
    assert ((flows - projected["other_removals"]).to_numpy() == change).all()


def test_each_months_median_is_numpys_for_every_count_nan_and_empty_month():
    """The seasons' one-pass median against NumPy's own, month by month, on random histories with
    gaps: odd and even counts, a month with no value, a month of NaN only, and no values at all."""

    rng = np.random.default_rng(5)
    for size in (0, 1, 5, 13, 36):
        values = rng.normal(size=size)
        values[rng.random(size) < 0.2] = np.nan
        months = rng.integers(1, 12, size=size)  # December never drawn: a month with none
        got = _median_by_month(values, months)
        for m in range(1, 13):
            mine = values[(months == m) & np.isfinite(values)]
            expected = np.median(mine) if len(mine) else np.nan
            np.testing.assert_equal(got[m - 1], expected)


def test_flows_that_do_not_explain_the_list_are_said():
    """An outside check: a list growing 50,000 a month with starts equal to stops (and one flat at 5
    million beside starts of 1.7 million and stops of 200) were projected without a word. The synthetic
    history's other removals are a tenth of its starts (said nothing), England's since 2021 too."""

    table = synthetic(48)
    assert flows_unexplained(history_from_table(table)) is None
    assert fit(history_from_table(table)).unexplained is None
    grows = table.assign(waiting=table["waiting"] + 5_000 * np.arange(48))  # 5,000 a month unexplained
    said = flows_unexplained(history_from_table(grows))
    assert said.startswith("The flows do not explain the list: from 2013-01 to 2013-12 the list grew by ")
    implied = grows["clock_starts"] - grows["clock_stops_admitted"] - grows["clock_stops_non_admitted"]
    other = (implied - grows["waiting"].diff()).iloc[-12:].sum()
    assert other < 0 and f"grew by {-other:,.0f} more" in said
    assert fit(history_from_table(grows)).unexplained == said
    falls = table.assign(clock_starts=table["clock_starts"] * 3)  # two thirds of the starts removed
    assert "of the starts, where England's other removals run 11–17%" in flows_unexplained(
        history_from_table(falls)
    )
    england = pd.read_csv(ENGLAND)
    before = england[england["month"] <= "2016-08"]
    for end in range(30, len(before) + 1, 6):  # every half year's origin before the break
        assert flows_unexplained(history_from_table(before.iloc[end - 30 : end])) is None
    assert flows_unexplained(history_from_table(england[england["month"] >= "2021-04"])) is None
