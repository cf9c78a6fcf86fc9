"""Small-number suppression on real published counts (RTT, T&O by commissioner, March 2015)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.metrics.suppression import (
    MASK,
    hidden_points,
    is_small,
    percentile_is_thin,
    secondary_suppression,
    suppress_counts,
)

RTT = (
    Path(__file__).resolve().parents[3]
    / "shared/fixtures/rtt/rtt_incomplete_ccg_trauma_orthopaedics_2015_03.csv"
)


def test_every_count_of_one_to_seven_is_masked_and_nothing_else():
    table = pd.read_csv(RTT)
    bands = [c for c in table.columns if c.startswith("gt_")]
    small = is_small(table[bands])
    assert small.sum() > 100  # the fixture is full of small counts
    shown = suppress_counts(table, bands)
    for column in bands:
        masked = shown[column] == MASK
        assert (masked == is_small(table[column])).all()
        kept = shown.loc[~masked, column].astype(float)
        assert ((kept == 0) | (kept >= 8)).all()
    assert np.array_equal(shown["ccg_code"], table["ccg_code"])


def test_a_rate_is_hidden_when_either_count_behind_it_is_small():
    numerator, denominator = np.array([0, 3, 9, 9, 40]), np.array([40, 40, 5, 40, 0])
    assert list(hidden_points(numerator, denominator, numerator_is_count=True)) == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert list(hidden_points(numerator, denominator, numerator_is_count=False)) == [
        False,
        False,
        True,
        False,
        False,
    ]


def test_a_percentile_read_among_fewer_than_eight_rows_is_hidden():
    """Hand-worked: a median is read among half the rows, so 15 rows (7.5 either side) hide it and 16
    show it; a 95th among the top 5%, so 159 rows (7.95) hide it and 160 show it; a 0th or 100th is one
    row's value at any size. No rows: no point to hide. A measure that reads no percentile: unchanged."""
    rows = np.array([15, 16, 159, 160, 10_000, 10_000, 0, 5])
    read_at = np.array([50, 50, 95, 95, 100, 0, 50, np.nan])
    assert list(percentile_is_thin(rows, read_at)) == [True, False, True, False, True, True, True, False]
    assert list(hidden_points(np.ones(8), rows, False, read_at)) == [
        True, False, True, False, True, True, False, True,
    ]  # fmt: skip
    assert list(hidden_points(np.ones(8), rows, False)) == list(is_small(rows))


def test_a_percentile_measures_thin_points_are_hidden_alike_in_the_chart_and_the_file():
    """A 95th percentile wait of 150 waiting: its decimals describe the longest 7.5 (an IG check worked
    counts of 1-7 out of such decimals). Hidden on the chart and blanked in ``stocktake metrics``' file;
    160 waiting are shown in both."""
    from stocktake.metrics.catalogue import Aggregate, Catalogue, Metric
    from stocktake.metrics.export import suppressed
    from stocktake.verdicts.analysis import analyse

    p95 = Aggregate("rtt_pathways", "clock_start", "percentile", percentile=95, method="bands")
    wait = Metric("p95", "95th percentile wait", "W", "weeks", "decrease", "h", numerator=p95)
    assert wait.percentile == 95 and not wait.numerator_is_count
    rows = [400.0] * 10 + [150.0, 160.0]
    series = pd.DataFrame(
        {
            "metric_id": "p95",
            "period": pd.date_range("2025-01-31", periods=12, freq="ME"),
            "numerator": np.linspace(20, 31, 12),
            "denominator": rows,
            "value": np.linspace(20, 31, 12),
        }
    )
    catalogue = Catalogue("d", (wait,))
    (chart,) = analyse(catalogue, {"p95": series})
    shown = suppressed(series, catalogue)
    assert list(chart.hidden) == list(shown["suppressed"]) == [False] * 10 + [True, False]
    assert shown["value"].isna().tolist() == [False] * 10 + [True, False]


def test_one_hidden_group_hides_the_smallest_shown_group_with_it():
    """Total 52, one group's 5 hidden: shown alone, 20 and 27 would give it away (52 − 20 − 27)."""
    assert list(secondary_suppression([False, True, False], [27, 5, 20])) == [False, True, True]
    assert list(secondary_suppression([False, True, True], [27, 5, 6])) == [False, True, True]  # two: safe
    assert list(secondary_suppression([False, False], [27, 20])) == [False, False]
    assert list(secondary_suppression([True], [5])) == [True]  # nothing shown to hide
    assert list(secondary_suppression([False, True, False], [np.nan, 5, 40])) == [False, True, True]


def test_the_series_file_hides_what_the_stock_take_hides():
    """``stocktake metrics`` blanks exactly the points ``hidden_points`` hides, per metric."""
    from stocktake.metrics.catalogue import Aggregate, Catalogue, Metric
    from stocktake.metrics.export import suppressed

    count, mean = Aggregate("admissions", "admitted_at"), Aggregate("admissions", "admitted_at", "mean")
    rate = Metric("rate", "Rate", "A", "%", "decrease", "h", numerator=count, denominator=count)
    stay = Metric("stay", "Stay", "A", "days", "decrease", "h", numerator=mean, denominator=count)
    assert rate.numerator_is_count and not stay.numerator_is_count
    numerator, denominator = [0.0, 3.0, 9.0, 9.0], [40.0, 40.0, 5.0, 40.0]
    table = pd.DataFrame(
        {
            "metric_id": ["rate"] * 4 + ["stay"] * 4,
            "numerator": numerator * 2,
            "denominator": denominator * 2,
            "value": [1.0] * 8,
        }
    )
    shown = suppressed(table, Catalogue("d", (rate, stay)))
    expected = [*hidden_points(numerator, denominator, True), *hidden_points(numerator, denominator, False)]
    assert list(shown["suppressed"]) == expected == [False, True, True, False, False, False, True, False]
    assert shown.loc[shown["suppressed"], ["numerator", "denominator", "value"]].isna().all().all()


def test_the_complement_is_never_a_zero_and_hidden_counts_never_add_to_a_small_number():
    # A 5 hidden with the 0 beside it would still add to 5: the 12 is hidden instead.
    assert list(
        secondary_suppression([False, False, False, True, False, False], [1000, 300, 100, 5, 0, 12])
    ) == [
        False,
        False,
        False,
        True,
        False,
        True,
    ]
    # Two small counts hidden together add to 5, which the total less the rest would show: one more goes.
    assert list(secondary_suppression([False, True, True, False], [27, 3, 2, 20])) == [
        False,
        True,
        True,
        True,
    ]
    # Only zeros left to hide: nothing more can help, and none is hidden for nothing.
    assert list(secondary_suppression([True, False], [4, 0])) == [True, False]


def test_nested_counts_never_differ_by_a_small_number_where_both_are_shown():
    """Waiting, over 18, over 52, over 65, over 78 weeks: 14 over 65 and 8 over 78 would show 6 between."""
    from stocktake.metrics.suppression import nested_hiding

    waiting = [1656, 453, 39, 14, 8]
    assert list(nested_hiding(waiting, [False] * 5)) == [False, False, False, False, True]
    # 3 over 78 is hidden as any small count; 15 over 52 and 12 over 65 would show 3 between them.
    assert list(nested_hiding([1656, 453, 15, 12, 3], [False] * 5)) == [False, False, False, True, True]
    # A measure without a value that month (NaN) is skipped: 20 and 14 are compared across it.
    assert list(nested_hiding([1656, 20, np.nan, 14], [False] * 4)) == [False, False, True, True]


def test_grouped_rows_are_complemented_by_every_count_they_carry():
    """The outsider's consultants: Dr Small has 100 referrals but 3 waiting, Dr Nine 9 referrals and
    none waiting. Complemented by referrals alone, Dr Nine was hidden with Dr Small and the queues
    shown added to the list less 3."""
    import pandas as pd

    from stocktake.metrics.suppression import suppressed_rows

    table = pd.DataFrame(
        {
            "group": ["Dr Nine", "Dr Patel", "Dr Small", "Mr Lone", "Mr Smith", "Ms Jones"],
            "count_demand": [9, 163, 100, 152, 152, 150],
            "queue_size": [0, 81, 3, 73, 80, 72],
        }
    )
    shown = suppressed_rows(table, ["count_demand", "queue_size"], keep=["group"])
    hidden = table[shown["suppressed"].to_numpy()]
    assert "Dr Small" in set(hidden["group"]) and len(hidden) >= 2
    for column in ("count_demand", "queue_size"):
        assert not 1 <= hidden[column].sum() <= 7
    assert shown.loc[shown["suppressed"], "queue_size"].isna().all()


def _consistent_hidden_values(y, hidden, mean, step) -> range:
    """The whole numbers a reader could put in the one hidden point given the exported mean (to its
    step): n × mean less the points shown, for every mean the rounding could have come from."""
    n = len(y)
    shown = np.asarray(y)[~hidden].sum()
    low, high = n * (mean - step / 2) - shown, n * (mean + step / 2) - shown
    return range(int(np.ceil(low)), int(np.floor(high)) + 1)


def test_an_exported_mean_no_longer_gives_back_the_one_hidden_point():
    """36 monthly counts, one of 5 hidden: with the exact mean, 36 × mean − the 35 shown is 5 (an
    outsider's finding); coarsened, at least 16 whole numbers fit, every one of 1–7 among them."""
    from stocktake.metrics.suppression import coarse_limits
    from stocktake.spc.xmr import xmr

    rng = np.random.default_rng(4)
    y = rng.poisson(20, 36).astype(float)
    y[17] = 5
    hidden = np.zeros(36, bool)
    hidden[17] = True
    chart = xmr(y)
    assert round(36 * chart.mean[0] - y[~hidden].sum(), 9) == 5  # the leak, before
    mean, _lpl, upl = coarse_limits(chart, hidden)
    # the limits are 31.0 wide: 31.0 / 36 points = 0.86, so a step of 1 (16 / 36 = 0.44 is less)
    assert chart.upl[0] - chart.lpl[0] == pytest.approx(31.008, abs=1e-3)
    step = 1.0
    assert mean[0] == round(chart.mean[0]) == 21
    fits = _consistent_hidden_values(y, hidden, mean[0], step)
    assert len(fits) >= 16 and set(range(1, 8)) <= set(fits)
    assert abs(mean[0] - chart.mean[0]) <= step / 2 and abs(upl[0] - chart.upl[0]) <= step / 2


def test_a_period_without_a_hidden_point_keeps_its_exact_mean_and_limits():
    from stocktake.metrics.suppression import coarse_limits
    from stocktake.spc.xmr import xmr

    y = np.r_[np.full(12, 20.0) + np.arange(12) % 3, np.full(12, 40.0) + np.arange(12) % 4]
    y[3] = 4
    hidden = np.zeros(24, bool)
    hidden[3] = True
    chart = xmr(y, rebase_at=[12])
    mean, _lpl, upl = coarse_limits(chart, hidden)
    np.testing.assert_array_equal(mean[12:], chart.mean[12:])
    np.testing.assert_array_equal(upl[12:], chart.upl[12:])
    assert not np.array_equal(mean[:12], chart.mean[:12])  # the period holding the hidden point
    none = coarse_limits(chart, np.zeros(24, bool))
    np.testing.assert_array_equal(none[0], chart.mean)


def test_a_period_of_zeros_beside_hidden_points_is_coarsened_by_its_values_range():
    """Every shown point 0 and the limits the mean itself (no width): n × mean was the hidden points'
    sum exactly (an outsider's report for a past month). The values' own range sets the step now."""
    from stocktake.metrics.suppression import coarse_limits
    from stocktake.spc.xmr import xmr

    y = np.zeros(16)
    y[[12, 15]] = [100 / 96 * 3, 100 / 89 * 4]  # 3 of 96 and 4 of 89, as percentages
    hidden = y > 0
    chart = xmr(y)
    assert 16 * chart.mean[0] == pytest.approx(y.sum())
    mean, _lpl, _upl = coarse_limits(chart, hidden)
    step = 0.5  # the values span 4.49 points: 4.49 / 16 = 0.28, so steps of 0.5
    assert mean[0] % step == 0 and abs(mean[0] - chart.mean[0]) <= step / 2
    assert mean[0] != chart.mean[0]  # 16 × mean now places the sum only within ±4 points


def test_months_without_a_value_do_not_shrink_the_step():
    """17 months, 2 with a value and one of them hidden (1 of 213): the step had been the width over 17,
    eight times too fine, and the hidden count came back within ±0.1 of a patient."""
    from stocktake.metrics.suppression import _nice_step, coarse_limits
    from stocktake.spc.xmr import xmr

    y = np.full(17, np.nan)
    y[15], y[16] = 0.0, 100 / 213
    hidden = np.zeros(17, bool)
    hidden[16] = True
    chart = xmr(y)
    mean, _, _ = coarse_limits(chart, hidden)
    step = _nice_step(float(np.nanmax(chart.upl - chart.lpl)) / 2)  # over the 2 points with a value
    assert step >= 1.0
    assert mean[16] / step == pytest.approx(round(mean[16] / step))
    # 2 × the mean, known to ± half a step, places the hidden share within ± a whole step: 2 patients
    assert step / 100 * 213 >= 2


def test_hidden_across_groups_hides_a_month_with_a_small_site_at_every_site():
    """Hand-worked, the outside checks' months. September: Riverside 6 spells, Northshire 16,
    Westfield 14, trust 36; Riverside alone hidden is 36 − 16 − 14, so every site's September is
    hidden. October has no small site: none. November: the counts of a measure whose numerator is
    the small one (Westfield 4 discharged of 30): a complement chosen by the denominator could be a
    site with 0 discharged, hiding nothing, so every site is hidden there too."""
    import pandas as pd

    from stocktake.metrics.suppression import hidden_across_groups

    september, october, november = (pd.Timestamp(f"2022-{m}-01") for m in (9, 10, 11))
    frame = pd.DataFrame(
        {
            "site": ["Riverside", "Northshire", "Westfield"] * 3,
            "period": [september] * 3 + [october] * 3 + [november] * 3,
            "numerator": [23.0, 56.0, 48.0, 40.0, 60.0, 50.0, 0.0, 80.0, 4.0],
            "denominator": [6.0, 16.0, 14.0, 12.0, 16.0, 14.0, 199.0, 221.0, 30.0],
        }
    )
    every = {"Riverside", "Northshire", "Westfield"}
    found = hidden_across_groups(frame, "site", numerator_is_count=True)
    assert set(found) == every and all(periods == {september, november} for periods in found.values())
    by_denominator = hidden_across_groups(frame, "site", numerator_is_count=False)
    assert set(by_denominator) == every and all(p == {september} for p in by_denominator.values())
    assert hidden_across_groups(frame.drop(columns=["numerator", "denominator"]), "site", False) == {}


def test_a_period_without_limits_beside_a_hidden_point_exports_no_mean():
    """The same value every month (or one value): no moving range, so no limits, and the mean is every
    value. Beside a hidden point it is blank; a period without one keeps its exact mean."""
    from stocktake.metrics.suppression import coarse_limits
    from stocktake.spc.xmr import xmr

    y = np.r_[np.full(12, 5.0), np.full(12, 30.0)]
    chart = xmr(y, rebase_at=[12])
    hidden = y == 5.0
    mean, lpl, upl = coarse_limits(chart, hidden)
    assert np.isnan(mean[:12]).all() and np.isnan(lpl[:12]).all() and np.isnan(upl[:12]).all()
    np.testing.assert_array_equal(mean[12:], np.full(12, 30.0))


def test_a_by_site_export_hides_every_site_in_a_period_where_one_is_hidden():
    """An outside check: November, Riverside 3 deaths of 18 hidden and Northshire General 9 of 40
    shown; the trust's own export (12 of 58) less Northshire's gave Riverside's 3 back. December has
    no small site and is shown whole; the other measure's November is its own."""
    from stocktake.metrics.catalogue import Aggregate, Catalogue, Metric
    from stocktake.metrics.export import suppressed

    count = Aggregate("hip_fractures", "arrived_at")
    deaths = Metric("deaths", "Deaths", "A", "%", "decrease", "h", numerator=count, denominator=count)
    other = Metric("other", "Other", "A", "%", "decrease", "h", numerator=count, denominator=count)
    table = pd.DataFrame(
        {
            "metric_id": ["deaths"] * 4 + ["other"] * 2,
            "site": ["Riverside", "Northshire General"] * 3,
            "period": ["2024-11-01"] * 2 + ["2024-12-01"] * 2 + ["2024-11-01"] * 2,
            "numerator": [3.0, 9.0, 10.0, 12.0, 10.0, 11.0],
            "denominator": [18.0, 40.0, 20.0, 41.0, 30.0, 30.0],
            "value": [1.0] * 6,
        }
    )
    shown = suppressed(table, Catalogue("d", (deaths, other)))
    assert list(shown["suppressed"]) == [True, True, False, False, False, False]
    assert shown.loc[1, ["numerator", "denominator"]].isna().all()


def test_a_quarter_that_less_its_shown_months_gives_a_hidden_month_back_is_hidden():
    """The outside check's numbers: October 10 deaths of 55, November 3 of 58 (hidden), December 10 of
    41; the quarter's 23 of 154 less the two shown months was November's 3. The next quarter has no
    hidden month and is shown."""
    from stocktake.metrics.catalogue import Aggregate, Catalogue, Metric
    from stocktake.metrics.export import suppressed

    count = Aggregate("hip_fractures", "arrived_at")
    deaths = Metric("deaths", "Deaths", "A", "%", "decrease", "h", numerator=count, denominator=count)
    months = pd.DataFrame(
        {
            "metric_id": "deaths",
            "period": pd.date_range("2024-10-01", periods=6, freq="MS"),
            "numerator": [10.0, 3.0, 10.0, 9.0, 11.0, 12.0],
            "denominator": [55.0, 58.0, 41.0, 50.0, 52.0, 49.0],
            "value": 1.0,
        }
    )
    quarters = pd.DataFrame(
        {
            "metric_id": "deaths",
            "period": pd.to_datetime(["2024-10-01", "2025-01-01"]),
            "numerator": [23.0, 32.0],
            "denominator": [154.0, 151.0],
            "value": 1.0,
        }
    )
    catalogue = Catalogue("d", (deaths,))
    assert not suppressed(quarters, catalogue)["suppressed"].any()  # alone, nothing small
    assert list(suppressed(quarters, catalogue, months)["suppressed"]) == [True, False]


def test_sites_quarters_that_add_up_to_a_quarter_giving_a_month_away_are_hidden():
    """The re-check: each site's deaths are 1–7 every month, so each site's hidden months add up to 8
    or more and its quarter was shown; the sites' quarters (13 + 10) less the trust's shown January
    and February (10 each) gave March's 3. Now every site's quarter is hidden."""
    from stocktake.metrics.catalogue import Aggregate, Catalogue, Metric
    from stocktake.metrics.export import suppressed

    count = Aggregate("hip_fractures", "arrived_at")
    deaths = Metric("deaths", "Deaths", "A", "%", "decrease", "h", numerator=count, denominator=count)
    months = pd.DataFrame(
        {
            "metric_id": "deaths",
            "site": ["A", "B"] * 3,
            "period": pd.to_datetime(["2025-01-01"] * 2 + ["2025-02-01"] * 2 + ["2025-03-01"] * 2),
            "numerator": [6.0, 4.0, 5.0, 5.0, 2.0, 1.0],
            "denominator": [50.0] * 6,
            "value": 1.0,
        }
    )
    quarters = pd.DataFrame(
        {
            "metric_id": "deaths",
            "site": ["A", "B"],
            "period": pd.to_datetime(["2025-01-01"] * 2),
            "numerator": [13.0, 10.0],
            "denominator": [150.0, 150.0],
            "value": 1.0,
        }
    )
    assert list(suppressed(quarters, Catalogue("d", (deaths,)), months)["suppressed"]) == [True, True]


def test_a_shares_coarse_mean_leaves_its_hidden_months_uncertain_by_eight_people():
    """An outside check: 18 months of "within 18 weeks" for a priority, 16 at 100% and two hidden (1 of
    37 and 1 of 40 waiting longer). Its mean, rounded to 0.2 beside limits of no width, fitted one pair
    of counts only. Given how far one person moves each point (as the drill-downs give it), the step is
    at least 16 people's worth at the hidden points over the points: 8 pairs of 1-7 and more fit."""
    from stocktake.metrics.catalogue import Aggregate, Metric
    from stocktake.metrics.suppression import coarse_limits, one_person
    from stocktake.spc.xmr import xmr

    census = Aggregate("rtt_pathways", "clock_start", census=("clock_start", "clock_stop"))
    share = Metric("w", "W", "A", "%", "increase", "h", numerator=census, denominator=census, scale=100.0)
    cases = np.full(18, 30.0)
    cases[[3, 13]] = [37, 40]
    hidden = np.zeros(18, bool)
    hidden[[3, 13]] = True

    def fitting(person) -> list[tuple[int, int]]:
        def shown(outside_a: int, outside_b: int):
            y = np.full(18, 100.0)
            y[3], y[13] = 100 * (37 - outside_a) / 37, 100 * (40 - outside_b) / 40
            mean, lpl, upl = coarse_limits(xmr(y), hidden, person)
            return round(mean[-1], 9), round(lpl[-1], 9), round(upl[-1], 9)

        return [(a, b) for a in range(1, 8) for b in range(1, 8) if shown(a, b) == shown(1, 1)]

    fits = fitting(one_person(share, cases))
    assert len(fits) >= 8 and (1, 1) in fits
    assert fitting(None) == [(1, 1)]  # without people's worth: the one pair
