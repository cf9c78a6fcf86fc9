"""Every point and summary of the NHSRplotthedots 0.2.2 reference outputs, limits to 1e-9."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.spc import xmr

SPC = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "spc"
CASES = pd.read_csv(SPC / "cases.csv", dtype=str, keep_default_na=False)
PTD = SPC / "nhsrplotthedots_tests"
PTD_CASES = pd.read_csv(PTD / "ptd_test_cases.csv", dtype=str, keep_default_na=False)
PTD_POINTS = pd.read_csv(PTD / "ptd_test_points.csv", dtype={"value": float}, keep_default_na=True)
PTD_SUMMARY = pd.read_csv(PTD / "ptd_test_summary.csv")


def _rebase_dates(spec: str) -> dict[str, list[str]]:
    """'R1F=2018-04-01;RAJ=2017-10-01|2018-10-01' -> {facet: [dates]}; a bare date applies to all."""
    dates: dict[str, list[str]] = {}
    for part in filter(None, spec.split(";")):
        facet, _, when = part.rpartition("=")
        dates[facet] = when.split("|")
    return dates


def _chart(series: pd.DataFrame, value: str, case, rebase: list[str], fix: str):
    x = series["period"].tolist()
    return xmr(
        series[value].to_numpy(dtype=float),
        improvement=case["improvement"],
        target=float(case["target"]) if case["target"] else None,
        rebase_at=[x.index(d) for d in rebase],
        fix_after_n_points=int(fix) if fix else None,
        screen_outliers=case["screen_outliers"] == "TRUE",
    )


@pytest.mark.parametrize("case_id", CASES["case_id"])
def test_reference_case(case_id):
    case = CASES.set_index("case_id").loc[case_id]
    data = pd.read_csv(SPC / case["input"], dtype={"period": str})
    if case["series"]:
        data = data[data["series"] == case["series"]]
    facet_col = case["facet"] or None
    expected = pd.read_csv(SPC / "expected" / f"{case_id}_points.csv", keep_default_na=False)
    summary = pd.read_csv(SPC / "expected" / f"{case_id}_summary.csv", keep_default_na=False)
    rebase = _rebase_dates(case["rebase"])
    groups = data.groupby(facet_col, sort=True) if facet_col else [("", data)]
    for facet, series in groups:
        series = series.sort_values("period")
        chart = _chart(series, case["value"], case, rebase.get(facet, []), case["fix_after_n_points"])
        want = expected[expected["facet"].astype(str) == str(facet)]
        _assert_points(chart, want)
        want_summary = summary[summary["facet"].astype(str) == str(facet)]
        _assert_segments(chart, want_summary)


def _assert_points(chart, want):
    assert len(want) == len(chart.y)
    for column in ("mean", "lpl", "upl"):
        np.testing.assert_allclose(getattr(chart, column), want[column].astype(float), rtol=0, atol=1e-9)
    assert list(chart.outside_limits.astype(bool)) == _flags(want["outside_limits"])
    assert list(chart.close_to_limits.astype(bool)) == _flags(want["close_to_limits"])
    assert list(chart.relative_to_mean.astype(int)) == list(want["relative_to_mean"].astype(int))
    assert list(chart.point_type) == list(want["point_type"])


def _flags(column) -> list[bool]:
    return list(column.astype(str).str.upper() == "TRUE")


def _assert_segments(chart, want):
    assert len(chart.segments) == len(want)
    for segment, (_, row) in zip(chart.segments, want.iterrows(), strict=True):
        assert segment.rebase_group == int(row["rebase_group"])
        assert segment.n == int(row["n"])
        np.testing.assert_allclose(
            [segment.mean, segment.lpl, segment.upl],
            [float(row["mean"]), float(row["lpl"]), float(row["upl"])],
            atol=1e-9,
        )
        assert segment.variation_type == row["variation_type"]
        assert (segment.assurance_type or "NA") == (row["assurance_type"] or "NA")


RULE_NAMES = {
    "Above UCL": "outside_limits",
    "Below LCL": "outside_limits",
    "7 Point Trend (Increasing)": "trend",
    "7 Point Trend (Decreasing)": "trend",
    "2 in 3 Above CL": "two_in_three",
    "2 in 3 Below CL": "two_in_three",
    "7 Points Above CL": "shift",
    "7 Points Below CL": "shift",
    "Common Cause": "",
}


@pytest.mark.parametrize("case_id", PTD_CASES["case_id"])
def test_package_test_case(case_id):
    case = PTD_CASES.set_index("case_id").loc[case_id]
    points = PTD_POINTS[PTD_POINTS["case_id"] == case_id]
    for facet, series in points.groupby("facet", sort=False):
        series = series.sort_values("date")
        dates = series["date"].tolist()
        rebase = [dates.index(d) for d in case["rebase"].split("|") if d]
        chart = xmr(
            series["value"].to_numpy(dtype=float),
            improvement=case["improvement_direction"],
            target=float(case["target"]) if case["target"] else None,
            rebase_at=rebase,
            fix_after_n_points=int(case["fix_after_n_points"]) if case["fix_after_n_points"] else None,
            screen_outliers=case["screen_outliers"] == "TRUE",
        )
        for column in ("mean", "lpl", "upl"):
            np.testing.assert_allclose(getattr(chart, column), series[column], rtol=0, atol=1e-9)
        assert list(chart.point_type) == list(series["point_type"])
        assert list(chart.rule) == [RULE_NAMES[r] for r in series["special_cause_type"]]
        summary = PTD_SUMMARY[(PTD_SUMMARY["case_id"] == case_id) & (PTD_SUMMARY["facet"] == facet)]
        latest = chart.latest
        assert latest.variation_type == summary["variation_type"].item()
        assert (latest.assurance_type or "") == (summary["assurance_type"].fillna("").item())
