"""For every reference case, the generated sentence agrees with the classification."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.spc import xmr
from stocktake.verdicts.narrative import Formatter, category, sentence

SPC = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "spc"
CASES = pd.read_csv(SPC / "cases.csv", dtype=str, keep_default_na=False)

# What each category's sentence must say, and what it must never say.
SAYS = {
    "going_backwards": "Special-cause concern",
    "moved_the_needle": "Special-cause improvement",
    "reliably_at_target": "will be met every month",
    "grindingly_slow": "No evidence of change",
    "no_change_yet": ("No evidence of change", "Too few points to judge"),
    "steady": "No evidence of change",
    "changed": "neither better nor worse",
}
NEVER = {
    "going_backwards": ["improvement", "No evidence of change"],
    "moved_the_needle": ["concern", "No evidence of change"],
    "reliably_at_target": ["Special-cause", "will not be met"],
    "grindingly_slow": ["Special-cause", "will be met every month", "No target"],
    "no_change_yet": [
        "Special-cause",
        "will be met every month",
        "will not be met",
        "within the process limits:",
    ],
    "steady": ["Special-cause", "will be met every month"],
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
