"""`stocktake funnel` end to end: the package's ratio data through the command, a per-case file
added up by unit, DSRs, overdispersion, and each kind of bad input refused with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.funnel import FunnelMethod, compare_units

runner = CliRunner()
UNIT_COLUMNS = "unit,numerator,denominator,value,lower_95,upper_95,lower_998,upper_998,significance"
LIMIT_COLUMNS = "denominator,lower_95,upper_95,lower_998,upper_998,baseline"


@pytest.fixture(scope="module")
def ratio_inputs(fixtures_dir) -> pd.DataFrame:
    return pd.read_csv(fixtures_dir / "funnel" / "funnel_ratio_inputs.csv", encoding="utf-8-sig")


def _funnel(*args) -> object:
    return runner.invoke(app, ["funnel", *map(str, args)])


def test_the_packages_ratios_through_the_command(tmp_path, ratio_inputs):
    data = tmp_path / "trusts.csv"
    ratio_inputs.assign(trust=[f"T{i:03d}" for i in range(len(ratio_inputs))]).to_csv(data, index=False)
    out, limits, chart = tmp_path / "units.csv", tmp_path / "limits.csv", tmp_path / "funnel.html"
    result = _funnel(
        data, "--unit", "trust", "--numerator", "obs", "--denominator", "expected", "--statistic", "ratio",
        "--out", out, "--limits-out", limits, "--limits-at", "5,50,500", "--chart", chart,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == UNIT_COLUMNS
    units = pd.read_csv(out)
    assert units["significance"].tolist() == ratio_inputs["significance"].tolist()
    np.testing.assert_allclose(
        units["value"], 100 * ratio_inputs["obs"] / ratio_inputs["expected"], rtol=1e-15
    )
    assert limits.read_text().splitlines()[0] == LIMIT_COLUMNS
    lines = pd.read_csv(limits)
    core = compare_units(ratio_inputs["obs"], ratio_inputs["expected"], FunnelMethod("ratio")).limits_at(
        [5, 50, 500]
    )
    assert lines["denominator"].tolist() == [5, 50, 500]
    np.testing.assert_allclose(lines["upper_998"], core.upper_998, rtol=1e-15)
    assert (lines["baseline"] == 100).all()
    page = chart.read_text()
    assert page.startswith("<!DOCTYPE html>") and "T000" in page and "<script src=" not in page


def test_one_row_per_case_is_added_up_by_unit(tmp_path):
    # The hand-worked units of test_proportion.py, one row per case (1 = event): A 40/400 … F 10/100
    totals = {"A": (40, 400), "B": (25, 100), "C": (110, 400), "D": (25, 100), "E": (30, 100), "F": (10, 100)}
    rows = [(unit, int(i < events), 1) for unit, (events, cases) in totals.items() for i in range(cases)]
    rng = np.random.default_rng(4)
    rows = [rows[i] for i in rng.permutation(len(rows))]
    data = tmp_path / "cases.csv"
    pd.DataFrame(rows, columns=["surgeon", "died", "case"]).to_csv(data, index=False)
    out, limits = tmp_path / "units.csv", tmp_path / "limits.csv"
    result = _funnel(data, "--unit", "surgeon", "--numerator", "died", "--denominator", "case", "--out", out,
                     "--limits-out", limits)  # fmt: skip
    assert result.exit_code == 0, result.output
    units = pd.read_csv(out).set_index("unit").loc[list(totals)]
    assert units[["numerator", "denominator"]].to_records(index=False).tolist() == list(totals.values())
    assert units["significance"].tolist() == [
        "Low (0.001)", "Not significant", "High (0.001)", "Not significant", "High (0.025)", "Low (0.025)",
    ]  # fmt: skip
    lines = pd.read_csv(limits)  # the default: 100 denominators from 90 to 440 (90%, 110% of 100, 400)
    assert len(lines) == 100
    assert lines["denominator"].iloc[[0, -1]].tolist() == pytest.approx([90, 440])
    assert (np.diff(lines["upper_95"]) < 0).all()


def test_dsr_with_overdispersion_and_a_static_chart(tmp_path):
    data = tmp_path / "dsr.csv"
    data.write_text(
        "area,deaths,pop,dsr\nA,9,5000,150\nB,40,30000,140\nC,120,90000,130\nD,80,50000,190\nE,60,70000,80\n"
        "F,0,4000,0\n"
    )
    out, chart = tmp_path / "units.csv", tmp_path / "funnel.svg"
    result = _funnel(
        data, "--unit", "area", "--numerator", "deaths", "--denominator", "pop", "--statistic", "rate",
        "--rate-type", "dsr", "--rate", "dsr", "--overdispersion", "additive", "--out", out, "--chart", chart,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    units = pd.read_csv(out)
    assert units["value"].tolist() == [150, 140, 130, 190, 80, 0]
    too_few = "Not applicable for events less than 10 for dsrs"
    assert units["significance"].iloc[[0, 5]].tolist() == [too_few, too_few]
    assert units["lower_95"].isna().iloc[5]  # no events: the DSR places it nowhere
    output = " ".join(result.output.split())
    assert "φ =" in output and "τ² =" in output and "on 4 df" in output  # five units placed, F not
    assert chart.read_bytes().lstrip().startswith(b"<?xml")


BAD = [
    ("u,n,d\nA,3,10\nB,2,-4\n", [], "row 3, column d: '-4' is not above zero"),
    ("u,n,d\nA,3,10\nB,2,0\n", [], "row 3, column d: '0' is not above zero"),
    ("u,n,d\nA,3,10\nB,12,10\n", [], "row 3, column n: '12' is above the row's d (a proportion is at most"),
    ("u,n,d\nA,3,10\nB,two,10\n", [], "row 3, column n: 'two' is not a number"),
    ("u,n,d\nA,3,10\nB,,10\n", [], "row 3, column n: is empty"),
    ("u,n,d\nA,-3,10\nB,2,10\n", ["--statistic", "ratio"], "row 2, column n: '-3' is negative"),
    ("u,n,d\nA,3,10\n,2,10\n", [], "row 3, column u: is empty"),
    ("u,n,d\nA,3,10\nB,2,10\n", ["--denominator", "pop"], "row 1: no column 'pop'"),
    ("u,n,d\nA,3,10\nB,2,10\n", ["--statistic", "odds"], "--statistic must be one of proportion, rate"),
    ("u,n,d\nA,3,10\nB,2,10\n", ["--rate-type", "dsr", "--statistic", "rate"], "needs --rate COL"),
    ("u,n,d\nA,3,10\nB,2,10\n", ["--limits-at", "100,abc"], "'abc' is not a number"),
    ("u,n,d\nA,3,10\nB,2,10\n", ["--chart", "{tmp}/c.pdf"], "a chart must be .html, .svg or .png"),
    ("u,n,d\nA,0,10\nB,2,10\nC,4,9\n", ["--statistic", "ratio", "--overdispersion", "additive"],
     "row 2, column n: 0 (the unit's total) is 0: the log (SHMI) scale cannot place a unit with no events"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "extra", "message"), BAD)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, text, extra, message):
    data = tmp_path / "in.csv"
    data.write_text(text)
    outputs = ["--out", tmp_path / "units.csv", "--limits-out", tmp_path / "limits.csv"]
    args = [data, "--unit", "u", "--numerator", "n", "--denominator", "d", *outputs]
    result = _funnel(*args, *[e.format(tmp=tmp_path) for e in extra])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no output, no temporary file


def test_the_error_is_a_single_line_on_a_wide_terminal(tmp_path):
    data = tmp_path / "in.csv"
    data.write_text("site,n,d\nA,3,10\nB,2,0\n")
    out = tmp_path / "units.csv"
    environment = {**os.environ, "COLUMNS": "400"}
    done = subprocess.run(
        [sys.executable, "-m", "stocktake.cli", "funnel", str(data), "--unit", "site", "--numerator", "n",
         "--denominator", "d", "--out", str(out)],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {data}, row 3, column d: '0' is not above zero "
                                                "(expected a positive number)"]  # fmt: skip
    assert not out.exists()


def test_an_existing_output_is_left_as_it_was_when_the_input_is_bad(tmp_path):
    data, out = tmp_path / "in.csv", tmp_path / "units.csv"
    data.write_text("u,n,d\nA,3,10\nB,x,10\n")
    out.write_text("yesterday's\n")
    result = _funnel(data, "--unit", "u", "--numerator", "n", "--denominator", "d", "--out", out)
    assert result.exit_code == 2
    assert out.read_text() == "yesterday's\n"


def test_written_files_have_ordinary_permissions(tmp_path):
    data, out = tmp_path / "in.csv", tmp_path / "units.csv"
    data.write_text("u,n,d\nA,3,10\nB,4,10\n")
    assert _funnel(data, "--unit", "u", "--numerator", "n", "--denominator", "d", "--out", out).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert Path(out).read_text().count("\n") == 3


def test_a_unit_named_as_a_formula_or_an_nhs_number_is_written_as_safe_text(tmp_path):
    """A security check: units named ``=HYPERLINK(…)``, ``@SUM(1+1)`` or ``(943) 476-5919`` were written
    as they were: a formula a spreadsheet runs, and a patient's number in clear."""
    data = tmp_path / "units.csv"
    names = ['=HYPERLINK("http://evil","click")', "@SUM(1+1)", "(943) 476-5919", "Site A"]
    pd.DataFrame({"unit": names, "num": [10, 12, 9, 11], "den": [100] * 4}).to_csv(data, index=False)
    out = tmp_path / "out.csv"
    result = _funnel(data, "--unit", "unit", "--numerator", "num", "--denominator", "den", "--out", out)
    assert result.exit_code == 0, result.output
    written = set(pd.read_csv(out, dtype=str)["unit"])
    assert written == {'\'=HYPERLINK("http://evil","click")', "'@SUM(1+1)", "(943) ***-****", "Site A"}
