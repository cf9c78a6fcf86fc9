"""p, u, Laney and t charts and Anhøj's rules: qicharts2 0.8.1 outputs and hand-worked examples."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.spc.attribute import p_chart, u_chart
from stocktake.spc.runs import anhoej, crossings_limit, longest_run_limit
from stocktake.spc.tchart import t_chart

SPC = Path(__file__).resolve().parents[3] / "shared/fixtures/spc"
Q = SPC / "qicharts2"


def _limits(chart, expected: pd.DataFrame) -> None:
    for ours, theirs in ((chart.cl, "cl"), (chart.lcl, "lcl"), (chart.ucl, "ucl")):
        np.testing.assert_allclose(ours, expected[theirs].astype(float), rtol=0, atol=1e-12)


def _runs(chart, expected: pd.DataFrame) -> None:
    for run, (_, row) in zip(chart.runs, expected.drop_duplicates("part").iterrows(), strict=True):
        assert (
            run.n_obs,
            run.n_useful,
            run.longest_run,
            run.longest_run_max,
            run.n_crossings,
            run.n_crossings_min,
            run.signal,
        ) == (
            row["n.obs"],
            row["n.useful"],
            row["longest.run"],
            int(row["longest.run.max"]),
            int(row["n.crossings"]),
            int(row["n.crossings.min"]),
            bool(row["runs.signal"]),
        )


def test_thresholds_for_1_to_200_useful_points():
    table = pd.read_csv(SPC / "anhoej_run_thresholds.csv")
    assert [longest_run_limit(n) for n in table["n_useful"]] == list(table["qicharts2_longest_run_max"])
    assert [crossings_limit(n) for n in table["n_useful"]] == list(table["qicharts2_n_crossings_min"])


def test_p_chart_with_two_parts_and_excluded_samples():  # Montgomery table 7.3
    data, expected = pd.read_csv(Q / "input_tbl_07.03.csv"), pd.read_csv(Q / "ex_7.1_5.csv")
    chart = p_chart(data["count"], data["size"], part=data["phase"], exclude=[14, 22])
    _limits(chart, expected)
    _runs(chart, expected)
    assert list(chart.included) == list(expected["include"])
    assert list(chart.outside_limits) == list(expected["sigma.signal"])


def test_p_chart_limits_vary_with_the_denominator():  # Montgomery table 7.4
    data, expected = pd.read_csv(Q / "input_tbl_07.04.csv"), pd.read_csv(Q / "tbl_7.4_1.csv")
    chart = p_chart(data["count"], data["size"])
    _limits(chart, expected)
    _runs(chart, expected)


def test_u_chart_defects_per_unit():  # Montgomery table 7.10: defects per unit, 50 units a sample
    data, expected = pd.read_csv(Q / "input_tbl_07.10.csv"), pd.read_csv(Q / "ex_7.4_1.csv")
    chart = u_chart(data["count"], data["size"])
    _limits(chart, expected)
    _runs(chart, expected)


def test_u_chart_with_varying_exposure():  # Montgomery table 7.11: defects per 50 m of cloth
    data, expected = pd.read_csv(Q / "input_tbl_07.11.csv"), pd.read_csv(Q / "ex_7.5_1.csv")
    chart = u_chart(data["count"], data["meters"] / 50)
    _limits(chart, expected)
    _runs(chart, expected)


@pytest.mark.parametrize(
    ("summary", "by"),
    [("hai_1.csv", []), ("hai_2.csv", ["infection"]), ("hai_3.csv", ["hospital", "infection"])],
)
def test_hospital_infection_u_charts(summary, by):
    infections = pd.read_csv(Q / "input_hospital_infections.csv")
    expected = pd.read_csv(Q / summary, dtype={"facet1": str, "facet2": str})
    groups = infections.groupby(by) if by else [((), infections)]
    for (_, rows), (_, row) in zip(groups, expected.iterrows(), strict=True):
        monthly = rows.groupby("month")[["n", "days"]].sum()
        chart = u_chart(monthly["n"], monthly["days"])
        assert chart.cl[0] == pytest.approx(float(row["CL"]), abs=1e-15)
        assert chart.lcl.mean() == pytest.approx(float(row["aLCL"]), abs=1e-15)
        assert chart.ucl.mean() == pytest.approx(float(row["aUCL"]), abs=1e-15)
        run = chart.runs[0]
        assert (run.longest_run, run.n_crossings, run.signal) == (
            row["longest.run"],
            int(row["n.crossings"]),
            bool(row["runs.signal"]),
        )


def test_t_chart_matches_qicharts2_with_its_constant():  # Montgomery table 7.14: hours between failures
    data, expected = pd.read_csv(Q / "input_tbl_07.14.csv"), pd.read_csv(Q / "ex_7.6_1.csv")
    chart = t_chart(data["hours"], screen_outliers=False, limit=3 / 1.128)
    np.testing.assert_allclose(chart.mean, expected["cl"], rtol=1e-12)
    np.testing.assert_allclose(chart.upl, expected["ucl"], rtol=1e-12)
    np.testing.assert_allclose(chart.lpl, expected["lcl"], atol=1e-12)


def test_laney_hand_worked():
    # p = 0.1, 0.2, 0.3 on n = 100: p̄ = 0.2, σ = 0.04, z = −2.5, 0, 2.5, mean moving range 2.5,
    # σz = 2.5 / 1.128, so the p′ limits are 0.2 ± 3 × 0.04 × 2.216.
    chart = p_chart([10, 20, 30], [100, 100, 100], laney=True)
    sigma_z = 2.5 / 1.128
    assert chart.sigma_z[0] == pytest.approx(sigma_z)
    assert chart.ucl[0] == pytest.approx(0.2 + 3 * 0.04 * sigma_z)


def test_national_four_hour_performance_is_overdispersed():
    """England's monthly type-1 4-hour performance: p limits flag most months; p′ does not."""
    ae = pd.read_csv(SPC / "ae_attendances.csv")
    national = ae[ae["type"].astype(str) == "1"].groupby("period")[["attendances", "breaches"]].sum()
    within = national["attendances"] - national["breaches"]
    p, laney = p_chart(within, national["attendances"]), p_chart(within, national["attendances"], laney=True)
    assert laney.sigma_z[0] > 10
    assert p.outside_limits.mean() > 0.5
    assert laney.outside_limits.mean() < 0.2


def test_anhoej_skips_points_on_the_centre_line():
    run = anhoej([1, 2, 5, 5, 5, 8, 9, 5, 1], 5)
    assert (run.n_obs, run.n_useful, run.longest_run, run.n_crossings) == (9, 5, 2, 2)
