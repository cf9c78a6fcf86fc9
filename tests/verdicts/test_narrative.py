"""For every reference case, the generated sentence agrees with the classification."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.spc import xmr
from stocktake.verdicts.narrative import OPENINGS, Formatter, category, sentence

SPC = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "spc"
CASES = pd.read_csv(SPC / "cases.csv", dtype=str, keep_default_na=False)

# What each category's sentence must say, and what it must never say.
SAYS = {
    "going_backwards": "Special-cause concern",
    "moved_the_needle": "Special-cause improvement",
    "reliably_at_target": "will be met every month",
    "grindingly_slow": "Grindingly slow",
    "no_change_yet": ("No evidence of change", "Too few points to judge"),
    "steady": "Steady",
    "changed": "neither better nor worse",
}
NEVER = {
    "going_backwards": ["improvement", "No evidence of change"],
    "moved_the_needle": ["concern", "No evidence of change"],
    "reliably_at_target": ["Special-cause", "will not be met", "No evidence of change"],
    "grindingly_slow": ["Special-cause", "will be met every month", "No target", "No evidence of change"],
    "no_change_yet": [
        "Special-cause",
        "will be met every month",
        "will not be met",
        "within the process limits:",
    ],
    "steady": ["Special-cause", "will be met every month", "No evidence of change"],
    "changed": ["improvement", "concern"],
}


def _alternatives(said) -> tuple[str, ...]:
    return said if isinstance(said, tuple) else (said,)


def test_a_measure_claims_only_what_its_chart_shows():
    """Common cause is "grindingly slow" only where a target is set and not assured; with no target
    there is no evidence of change; a volume with no better direction is steady."""
    assert category("common_cause", "consistent_fail", "increase") == "grindingly_slow"
    assert category("common_cause", "inconsistent", "decrease") == "grindingly_slow"
    assert category("common_cause", None, "increase") == "no_change_yet"
    assert category(None, None, "increase") == "no_change_yet"
    assert category("common_cause", None, "neutral") == "steady"
    assert category("common_cause", "consistent_pass", "increase") == "reliably_at_target"
    assert category("special_cause_neutral_high", None, "neutral") == "changed"


def _charts(case):
    data = pd.read_csv(SPC / case["input"], dtype={"period": str})
    if case["series"]:
        data = data[data["series"] == case["series"]]
    groups = data.groupby(case["facet"]) if case["facet"] else [("", data)]
    for facet, series in groups:
        series = series.sort_values("period")
        x = pd.DatetimeIndex(pd.to_datetime(series["period"]))
        rebase = [
            d
            for part in case["rebase"].split(";")
            if part.startswith(f"{facet}=")
            for d in part.split("=")[1].split("|")
        ]
        yield (
            x,
            xmr(
                series[case["value"]].to_numpy(dtype=float),
                improvement=case["improvement"],
                target=float(case["target"]) if case["target"] else None,
                rebase_at=[list(x).index(pd.Timestamp(d)) for d in rebase],
                fix_after_n_points=int(case["fix_after_n_points"]) if case["fix_after_n_points"] else None,
                screen_outliers=case["screen_outliers"] == "TRUE",
            ),
        )


@pytest.mark.parametrize("case_id", CASES["case_id"])
def test_sentence_agrees_with_the_classification(case_id):
    case = CASES.set_index("case_id").loc[case_id]
    expected = pd.read_csv(SPC / "expected" / f"{case_id}_summary.csv", keep_default_na=False)
    for (x, chart), (_, row) in zip(_charts(case), expected.groupby("facet", sort=True), strict=True):
        latest = row.iloc[-1]
        assurance = latest["assurance_type"] if latest["assurance_type"] not in ("", "NA") else None
        kind = category(latest["variation_type"], assurance, case["improvement"])
        assert kind == category(chart.latest.variation_type, chart.latest.assurance_type, chart.improvement)
        text = sentence(chart, x, Formatter())
        assert any(said in text for said in _alternatives(SAYS[kind])), text
        assert not any(word in text for word in NEVER[kind]), text
        too_few = chart.latest.variation_type is None
        assert text.startswith("Too few points to judge:" if too_few else f"{OPENINGS[kind]}:"), text
        if chart.target is None:
            assert "No target" in text


def test_a_lone_point_beyond_the_limit_is_called_a_single_point():
    x = pd.date_range("2024-01-01", periods=15, freq="MS")
    chart = xmr([10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 10, 12, 11, 10, 30])
    text = sentence(chart, x, Formatter("%", 0))
    assert text.startswith("Special-cause improvement: the latest value (30%, Mar 2025) is above the upper")
    assert "A single point" in text


def test_a_shift_names_its_length_and_start():
    x = pd.date_range("2024-01-01", periods=20, freq="MS")
    chart = xmr(
        [10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 10, 12, 13, 12.6, 12.8, 13.1, 12.7, 12.9, 13.0, 12.8],
        improvement="decrease",
    )
    text = sentence(chart, x, Formatter("days", 1))
    # mean 11.6: the last nine values (12 in Dec 2024, then 12.6 to 13.1) are all above it
    assert text.startswith(
        "Special-cause concern: the latest 9 values, since Dec 2024, are all above the mean (11.6 days)"
    )


def test_limits_from_fewer_than_twelve_values_are_called_provisional():
    x = pd.date_range("2024-01-01", periods=10, freq="MS")
    chart = xmr([10, 11, 10, 12, float("nan"), 10, 11, 12, 10, 11])
    text = sentence(chart, x, Formatter("%", 0))
    assert (
        "The limits are provisional: they rest on 9 values and move with each new one until there are 12."
        in text
    )
    settled = xmr([10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 10, 12])
    assert "provisional" not in sentence(
        settled, pd.date_range("2024-01-01", periods=12, freq="MS"), Formatter()
    )


def test_a_value_and_the_limit_it_crossed_never_read_the_same():
    # Hand-made: 19 values of 10.0 and 10.2 alternating, then 9.46. Mean (10 × 10.0 + 9 × 10.2 +
    # 9.46) / 20 = 10.063; mean moving range (18 × 0.2 + 0.54) / 19 = 0.21790; lower limit
    # 10.063 − 2.66 × 0.21790 = 9.4834. Below it, but both read 9.5 at one decimal.
    values = [10.0, 10.2] * 9 + [10.0, 9.46]
    chart = xmr(np.array(values), improvement="increase")
    x = pd.date_range("2024-01-01", periods=len(values), freq="MS")
    said = sentence(chart, x, Formatter("weeks", 1))
    assert "the latest value (9.46 weeks, Aug 2025) is below the lower process limit (9.48 weeks)" in said


def test_one_day_is_a_day():
    assert Formatter("days", 0)(1.0) == "1 day" and Formatter("days", 0)(2.0) == "2 days"


# --- Issue 23 (outsider findings): the words say only what the chart shows -----------------------------

MONTHS = pd.date_range("2023-04-01", periods=24, freq="MS")


def _entry(values, unit="days", improvement="decrease", target=None, decimals=1):
    from stocktake.metrics.catalogue import Catalogue, Metric, Target
    from stocktake.verdicts.analysis import analyse
    from stocktake.verdicts.stocktake import build

    aim = Target(target, "hand-made") if target is not None else None
    metric = Metric("m", "Measure", "Area", unit, improvement, "hand-made", decimals=decimals, target=aim)
    series = {"m": pd.DataFrame({"period": MONTHS[: len(values)], "value": np.asarray(values, float)})}
    return build("Test", "hand-made", analyse(Catalogue("Test", (metric,)), series)).entries[0]


def test_a_hit_and_miss_target_the_average_beats_is_never_said_to_be_met():
    # 24 months alternating 16 and 20 days: mean 18.0, every moving range 4, limits 18 ± 2.66 × 4 =
    # 7.36 to 28.64. A 21.4-day target (better is lower) lies inside them: hit and miss (Making Data
    # Count), so "grindingly slow", though the average beats it.
    entry = _entry(np.tile([16.0, 20.0], 12), target=21.4)
    assert entry.category == "grindingly_slow" and entry.result.assurance_type == "inconsistent"
    assert entry.sentence == (
        "Grindingly slow: the recent values vary by chance within the process limits (7.4 days to "
        "28.6 days) around a mean of 18.0 days. The average (18.0 days) is better than the target "
        "(21.4 days) but the process limits straddle it, so some months will miss it."
    )
    assert "already meets" not in entry.sentence
    # The average on the wrong side (mean 23.0, limits 12.4 to 33.6): met in some months, missed in others.
    worse = _entry(np.tile([21.0, 25.0], 12), target=21.4)
    assert "it will be met in some months and missed in others" in worse.sentence
    assert "The average" not in worse.sentence


def test_a_target_the_limits_miss_is_not_said_unreachable_beside_a_trend_reaching_it():
    """An outside check read "it will not be met without a change to the process" and, in the same
    paragraph, "the target would be reached around …": the trend is the change. A year steady about
    3.1 days, then a year falling to 2.0 (better is lower), a target of 1.0 below the limits."""
    values = np.r_[np.tile([3.0, 3.2], 6), np.linspace(3.0, 2.0, 12) + np.tile([0.05, -0.05], 6)]
    entry = _entry(values, target=1.0)
    assert entry.result.assurance_type == "consistent_fail" and entry.projection.status == "projected"
    assert "without a change to the process" not in entry.sentence
    assert (
        "The target (1.0 days) lies outside the process limits on the wrong side: it will not be met while "
        "the process stays as these limits describe it. If the trend of the latest 12 values"
    ) in entry.sentence


def test_the_sentence_quotes_the_limits_the_chart_draws():
    # 90% and 100% alternating: mean 95, moving range 10, limits 95 ± 26.6 = 68.4% to 121.6%; the chart
    # stops at 100%, and so does the sentence.
    share = _entry(np.tile([90.0, 100.0], 12), unit="%", improvement="increase")
    assert "within the process limits (68.4% to 100.0%) around a mean of 95.0%." in share.sentence
    # A count of 1 and 5 alternating: mean 3, limits 3 ± 10.64; no limit is drawn below zero.
    count = _entry(np.tile([1.0, 5.0], 12), unit="pathways", decimals=0)
    assert "(0 pathways to 14 pathways) around a mean of 3 pathways." in count.sentence
    # A variance that goes below zero keeps its computed lower limit (−532 = 0 − 2.66 × 200).
    signed = _entry(np.tile([-100.0, 100.0], 12), unit="£", decimals=0)
    assert f"({Formatter('£', 0)(-532.0)} to £532)" in signed.sentence


def test_every_common_cause_sentence_opens_with_its_own_category():
    steady = np.tile([16.0, 20.0], 12)  # limits 7.36 to 28.64 around 18.0
    openings = {
        "reliably_at_target": _entry(steady, target=30.0),
        "grindingly_slow": _entry(steady, target=5.0),
        "no_change_yet": _entry(steady),
        "steady": _entry(steady, improvement="neutral"),
    }
    for kind, entry in openings.items():
        assert entry.category == kind
        assert entry.sentence.startswith(f"{OPENINGS[kind]}: the recent values vary by chance"), (
            entry.sentence
        )
    assert sum("No evidence of change" in e.sentence for e in openings.values()) == 1


# 36 months, Apr 2022 to Mar 2025: 21 alternating £2,250 and £2,450, then 11 (Jan to Nov 2024) alternating
# £1,950 and £2,050, then £2,250, £2,450, £2,250, £2,450. Mean 80,600 / 36 = £2,238.9; moving ranges
# 20 × 200, 300, 10 × 100, 300, 3 × 200: mean 6,200 / 35 = 177.1, limits 2,238.9 ± 471.2 (no point
# near or beyond them). The eleven are below the mean (a shift: special-cause improvement when lower is
# better); the last four are above it, so the latest point is common cause.
ENDED_X = pd.date_range("2022-04-01", periods=36, freq="MS")
ENDED_Y = np.r_[
    np.tile([2250.0, 2450.0], 11)[:21], np.tile([1950.0, 2050.0], 6)[:11], np.tile([2250.0, 2450.0], 2)
]


def test_a_sustained_shift_that_ended_is_said_though_the_latest_point_is_common_cause():
    from stocktake.verdicts.narrative import ended_shift

    chart = xmr(ENDED_Y, improvement="decrease")
    assert chart.latest.variation_type == "common_cause"
    assert round(chart.latest.mean, 1) == 2238.9 and round(chart.latest.lpl, 1) == 1767.7
    assert list(chart.point_type[21:32]) == ["special_cause_improvement"] * 11
    text = sentence(chart, ENDED_X, Formatter("£", 0))
    assert text == (
        "No evidence of change: the recent values vary by chance within the process limits (£1,768 to "
        "£2,710) around a mean of £2,239. A run of 11 months below the mean from January to November 2024 "
        "(special-cause improvement) ended; consider whether a change was made and should be marked. "
        "No target is set."
    )
    # Only within the last 24 months (here: 3, and it ended four months before the latest point) ...
    assert ended_shift(chart, ENDED_X, months=3) == ""
    # ... only on a monthly chart (a t chart's points are events) ...
    assert "A run of" not in sentence(chart, ENDED_X, Formatter("£", 0), monthly=False)
    # ... and only with no rebase since: limits restarted after the run read the new period alone.
    rebased = xmr(ENDED_Y, improvement="decrease", rebase_at=[32])
    assert "A run of" not in sentence(rebased, ENDED_X, Formatter("£", 0))
    # A run still going makes the latest point special cause: the opening says so, not a note.
    going = xmr(ENDED_Y[:32], improvement="decrease")
    assert sentence(going, ENDED_X[:32], Formatter("£", 0)).startswith(
        "Special-cause improvement: the latest 11"
    )


@pytest.mark.parametrize(
    ("unit", "decimals", "value", "said"),
    [
        ("pathways", 0, 6.5, "6.5 pathways"),  # the 78-week measure's mean, drawn at 6.5, read "6"
        ("pathways", 0, 2.5, "2.5 pathways"),  # its lower limit, drawn at 2.5, read "2"
        ("pathways", 0, 6.02, "6 pathways"),
        ("pathways", 0, 13.6, "14 pathways"),  # half a count is under 5% of it
        ("£", 0, 2238.9, "£2,239"),
        ("%", 1, 87.93, "87.9%"),
    ],
)
def test_a_small_counts_mean_or_limit_is_said_as_drawn(unit, decimals, value, said):
    """An outsider: the report's text said limits "2 pathways to 10 pathways" around "a mean of 6",
    while its chart drew 2.5, 10 and 6.5."""
    assert Formatter(unit, decimals).statistic(value) == said


def test_a_shift_whose_earlier_points_are_beyond_the_limits_names_its_whole_length():
    """The demo's day-case rate read "the latest 1 values, since Mar 2025, are all above the mean":
    the run's earlier points, beyond the upper limit, carry that rule's name, so the run by rule was 1.
    Limits fixed on the first 12 values: mean 130 / 12 = 10.83, so the run above it starts at the 12th
    value (12, Dec 2024) and is nine long; its 14th to 18th values are beyond the upper limit."""
    x = pd.date_range("2024-01-01", periods=20, freq="MS")
    y = [10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 10, 12, 13, 16, 17, 16.5, 15, 16, 13, 12.5]
    chart = xmr(y, improvement="decrease", fix_after_n_points=12)
    assert chart.rule[-1] == "shift" and chart.rule[-3] == "outside_limits"
    text = sentence(chart, x, Formatter("days", 1))
    assert text.startswith(
        "Special-cause concern: the latest 9 values, since Dec 2024, are all above the mean (10.8 days)"
    ), text


def test_a_chart_without_limits_is_not_called_provisional():
    """One value: there are no limits to call provisional ("they rest on 1 values" had been said)."""
    x = pd.date_range("2024-01-01", periods=20, freq="MS")
    chart = xmr(np.r_[np.full(19, np.nan), 3.0])
    text = sentence(chart, x, Formatter("patients", 0))
    assert "no variation to draw process limits from (mean 3 patients)" in text
    assert "provisional" not in text


def test_no_variation_beside_hidden_points_says_no_mean():
    """Twenty months of 3 patients, every one hidden: "no variation (mean 3 patients)" was every hidden
    value, and a single hidden 3 read "mean 0 patients" (its mean rounded to a step of 16). Nor is
    "no variation" said: with a quarter's 9 exported, it gave each month's 3 (a re-check)."""
    from stocktake.metrics.suppression import coarse_chart

    x = pd.date_range("2024-01-01", periods=20, freq="MS")
    for y in (np.full(20, 3.0), np.r_[np.full(19, np.nan), 3.0]):
        hidden = y == 3.0
        text = sentence(coarse_chart(xmr(y), hidden), x, Formatter("patients", 0), latest_hidden=True)
        assert "no process limits can be drawn from the recent values." in text
        assert "mean" not in text and "variation" not in text


def test_an_ended_run_is_named_by_its_side_not_by_its_last_points_rule():
    """A clinical director read "A run of 13 months below the mean ... (special-cause concern) ended"
    of patients waiting more than 52 weeks (fewer is better): the run's last point had been flagged
    as concern by a rising trend into its end. Here the eleven months below the mean end in a rising
    trend (1,500 up to 1,800): the run is still an improvement when lower is better, and a
    concern when higher is (the trend runs on to the first point above the mean; the latest is common
    cause)."""
    from stocktake.verdicts.narrative import ended_shift

    y = np.r_[np.tile([2250.0, 2450.0], 11)[:21], [1500.0] * 5, 1550, 1600, 1650, 1700, 1750, 1800]
    y = np.r_[y, 2450, 2250, 2450, 2250]
    x = pd.date_range("2022-04-01", periods=len(y), freq="MS")
    lower = xmr(y, improvement="decrease")
    assert lower.point_type[31] == "special_cause_concern"  # the trend's reading of the run's last point
    assert "below the mean from January to November 2024 (special-cause improvement) ended" in ended_shift(
        lower, x
    )
    higher = xmr(y, improvement="increase")
    assert "(special-cause concern) ended" in ended_shift(higher, x)
    neutral = xmr(y, improvement="neutral")
    assert "(special-cause variation, neither better nor worse) ended" in ended_shift(neutral, x)


def test_a_t_charts_centre_line_is_not_called_a_mean():
    """A clinical director read "around a mean of 57 days" between deaths whose gaps average 78: a t
    chart's centre line is the mean of the gaps to the power 1/3.6, transformed back."""
    from stocktake.spc.tchart import t_chart

    gaps = np.array([10.0, 200.0, 30.0, 60.0, 15.0, 120.0, 45.0, 90.0, 20.0, 150.0, 40.0])
    chart = t_chart(gaps, improvement="increase")
    x = pd.date_range("2023-01-01", periods=len(gaps), freq="MS")
    said = sentence(chart, x, Formatter("days", 0), monthly=False)
    centre = np.mean(gaps ** (1 / 3.6)) ** 3.6
    assert f"around a centre line of {centre:.0f} days" in said and "mean" not in said
    assert abs(centre - gaps.mean()) > 10  # not the gaps' mean


def test_a_restarted_period_says_what_the_change_moved():
    """A clinical director marked the implant switch of 1 October 2023 and read only "No evidence of
    change ... around a mean of £1,991": the step from £2,210 was never said. 18 months at £2,200 ±
    100 then 18 at £2,000 ± 100, limits restarted at the change: the sentence gives both means."""
    from stocktake.verdicts.narrative import step_at_rebase

    y = np.r_[np.tile([2100.0, 2300.0], 9), np.tile([1900.0, 2100.0], 9)]
    x = pd.date_range("2022-04-01", periods=36, freq="MS")
    chart = xmr(y, improvement="decrease", rebase_at=[18])
    fmt = Formatter("£", 0)
    assert step_at_rebase(chart, fmt, x[18].date()) == (
        "At the change on 1 Oct 2023, where the limits start again, the mean moved from £2,200 to £2,000 "
        "(better)."
    )
    assert step_at_rebase(xmr(y, improvement="increase", rebase_at=[18]), fmt, x[18].date()).endswith(
        "(worse)."
    )
    assert step_at_rebase(xmr(y, improvement="decrease"), fmt, x[18].date()) == ""  # no restart, no step
    flat = np.tile([2100.0, 2300.0], 18)
    assert step_at_rebase(xmr(flat, improvement="decrease", rebase_at=[18]), fmt, x[18].date()) == (
        "At the change on 1 Oct 2023, where the limits start again, the mean stayed at £2,200."
    )


def test_a_negative_sum_of_money_reads_minus_pounds():
    """An outside recheck: a target of −£500 had read "£-500"."""
    assert Formatter("£", 0)(-500.0) == "−£500" and Formatter("£", 0)(1234.0) == "£1,234"


def test_a_coarse_figure_is_written_to_its_steps_decimals_beside_another():
    """An outside check: "above the upper process limit (15.0%)" beside a table's exact 15.4%."""
    from stocktake.verdicts.narrative import Formatter

    coarse = Formatter("%", 1, coarse=True)
    assert coarse.apart(15.0, 22.1) == "15%" and coarse.statistic(8.0) == "8%"
    assert coarse.apart(8.0, 8.04) == "8.00%"  # still told apart from a figure near it
    assert Formatter("%", 1).apart(15.0, 22.1) == "15.0%"  # an exact limit keeps the measure's decimals
