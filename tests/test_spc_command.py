"""`stocktake spc`: every reference case through the command line, and bad input explained."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app

SPC = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "spc"
CASES = pd.read_csv(SPC / "cases.csv", dtype=str, keep_default_na=False)
runner = CliRunner()


def _arguments(case, data: Path, points: Path, summary: Path) -> list[str]:
    args = [
        "spc",
        str(data),
        "--date",
        "period",
        "--value",
        case["value"],
        "--improvement",
        case["improvement"],
        "--points-out",
        str(points),
        "--summary-out",
        str(summary),
    ]
    if case["facet"]:
        args += ["--facet", case["facet"]]
    if case["target"]:
        args += ["--target", case["target"]]
    if case["fix_after_n_points"]:
        args += ["--fix-after", case["fix_after_n_points"]]
    if case["screen_outliers"] == "FALSE":
        args += ["--no-screen-outliers"]
    for part in filter(None, case["rebase"].split(";")):
        facet, _, dates = part.partition("=")
        args += [a for d in dates.split("|") for a in ("--rebase", f"{facet}:{d}")]
    return args


def _assert_same(ours: Path, expected: Path) -> None:
    got, want = pd.read_csv(ours, keep_default_na=False), pd.read_csv(expected, keep_default_na=False)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for column in want.columns:
        if column in ("mean", "lpl", "upl", "y"):
            np.testing.assert_allclose(
                got[column].astype(float), want[column].astype(float), rtol=0, atol=1e-9
            )
        else:
            assert list(got[column].astype(str)) == list(want[column].astype(str)), column


@pytest.mark.parametrize("case_id", CASES["case_id"])
def test_reference_case_through_the_command(case_id, tmp_path):
    case = CASES.set_index("case_id").loc[case_id]
    data = SPC / case["input"]
    if case["series"]:
        data = tmp_path / "input.csv"
        frame = pd.read_csv(SPC / case["input"])
        frame[frame["series"] == case["series"]].to_csv(data, index=False)
    points, summary = tmp_path / "points.csv", tmp_path / "summary.csv"
    result = runner.invoke(app, _arguments(case, data, points, summary))
    assert result.exit_code == 0, result.output
    _assert_same(points, SPC / "expected" / f"{case_id}_points.csv")
    _assert_same(summary, SPC / "expected" / f"{case_id}_summary.csv")


def test_filter_and_chart(tmp_path):
    points, summary, chart = tmp_path / "p.csv", tmp_path / "s.csv", tmp_path / "chart.svg"
    result = runner.invoke(
        app,
        [
            "spc",
            str(SPC / "synthetic.csv"),
            "--date",
            "period",
            "--value",
            "value0",
            "--filter",
            "series=shift_seven",
            "--points-out",
            str(points),
            "--summary-out",
            str(summary),
            "--chart",
            str(chart),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(points)) == len(pd.read_csv(SPC / "expected/syn_shift_seven_increase_points.csv"))
    assert chart.read_text().lstrip().startswith("<?xml")


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "input.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("csv_text", "extra", "message"),
    [
        (
            "when,n\n2024-01-01,3\n2024-02-01,4\n",
            ["--value", "count"],
            "row 1: no column 'count' (columns: when, n)",
        ),
        ("when,n\n2024-01-01,3\nsoon,4\n", [], "row 3, column when: 'soon' is not a date"),
        ("when,n\n2024-01-01,3\n2024-02-01,four\n", [], "row 3, column n: 'four' is not a number"),
        (
            "when,n\n2024-01-01,3\n2024-02-01,4\n2024-01-01,5\n",
            [],
            "row 4, column when: the date 2024-01-01 appears again (first on row 2)",
        ),
        ("when,n\n2024-01-01,3\n", [], "too few points (1): an XmR chart needs at least 2"),
        ("when,n\n2024-01-01,3\n2024-02-01,4\n", ["--improvement", "up"], "--improvement must be"),
        ("when,n\n2024-01-01,3\n2024-02-01,4\n", ["--rebase", "2030-01-01"], "after the last date"),
    ],
)
def test_bad_input_is_one_line_with_row_and_column(tmp_path, csv_text, extra, message):
    path = _write(tmp_path, csv_text)
    args = [
        "spc",
        str(path),
        "--date",
        "when",
        "--value",
        "n",
        "--points-out",
        str(tmp_path / "p.csv"),
        "--summary-out",
        str(tmp_path / "s.csv"),
    ]
    result = runner.invoke(app, args + extra)
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert message in output
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("suffix", [".html", ".png"])
def test_charts_carry_the_icons(tmp_path, suffix):
    chart = tmp_path / f"chart{suffix}"
    result = runner.invoke(
        app,
        [
            "spc",
            str(SPC / "ae_type1.csv"),
            "--date",
            "period",
            "--value",
            "perf_4h",
            "--facet",
            "org_code",
            "--target",
            "0.95",
            "--points-out",
            str(tmp_path / "p.csv"),
            "--summary-out",
            str(tmp_path / "s.csv"),
            "--chart",
            str(chart),
        ],
    )
    assert result.exit_code == 0, result.output
    if suffix == ".png":
        assert chart.read_bytes().startswith(b"\x89PNG")
    else:
        html = chart.read_text()
        assert html.count("The process will consistently fail the target") >= 9  # nine of the twelve trusts
        assert "<script src" not in html


def _spc(path: Path, points: Path, summary: Path, *extra: str):
    args = ["spc", str(path), "--date", "when", "--value", "n", "--points-out", str(points)]
    return runner.invoke(app, [*args, "--summary-out", str(summary), *extra])


def test_a_semicolon_file_with_decimal_commas_is_read_as_numbers(tmp_path):
    # 3.5, 4.25, 5: mean 4.25; moving ranges 0.75 and 0.75, so the limits are 4.25 ± 2.66 × 0.75.
    path = _write(tmp_path, "when;n\n2024-01-01;3,5\n2024-02-01;4,25\n2024-03-01;5\n")
    result = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "p.csv")
    assert list(points["y"]) == [3.5, 4.25, 5.0]
    assert points["lpl"].iloc[0] == pytest.approx(4.25 - 2.66 * 0.75)
    assert points["upl"].iloc[0] == pytest.approx(4.25 + 2.66 * 0.75)


@pytest.mark.parametrize(
    ("option", "where", "message"),
    [
        (
            "--points-out",
            "missing/p.csv",
            "--points-out {tmp}/missing/p.csv: the folder {tmp}/missing does not",
        ),
        ("--summary-out", "", "--summary-out {tmp}: is a folder; expected a file name"),
        ("--summary-out", "p.csv", "--summary-out {tmp}/p.csv: also given to --points-out"),
    ],
)
def test_an_output_that_cannot_be_written_is_named_before_any_work(tmp_path, option, where, message):
    path = _write(tmp_path, "when,n\n2024-01-01,3\n2024-02-01,4\n")
    outputs = {"--points-out": tmp_path / "p.csv", "--summary-out": tmp_path / "s.csv"}
    outputs[option] = tmp_path / where if where else tmp_path
    result = _spc(path, outputs["--points-out"], outputs["--summary-out"])
    assert result.exit_code == 2
    assert message.format(tmp=tmp_path) in "".join(result.output.split("\n"))
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("inf", "is infinite or too large"),
        ("-inf", "is infinite or too large"),
        ("Infinity", "is infinite or too large"),
        ("1e400", "is infinite or too large"),  # beyond the largest float: read as infinity
        ("NaN", "is not a number (leave the cell empty or write NA"),
    ],
)
def test_non_finite_values_are_refused_with_row_and_column(tmp_path, value, why):
    path = _write(tmp_path, f"when,n\n2024-01-01,3\n2024-02-01,{value}\n2024-03-01,5\n")
    result = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert f"row 3, column n: '{value}' {why}" in " ".join(result.output.split())
    assert not (tmp_path / "p.csv").exists()


def test_values_whose_limits_overflow_are_refused_naming_the_largest(tmp_path):
    # 1e308 is a float, but the mean ± 2.66 × the mean moving range (about 1e308) is beyond one.
    path = _write(tmp_path, "when,n\n2024-01-01,3\n2024-02-01,1e308\n2024-03-01,5\n")
    result = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "row 3, column n: '1e308' is too large to chart (the limits overflow)" in " ".join(
        result.output.split()
    )


@pytest.mark.parametrize("target", ["inf", "nan", "-inf"])
def test_a_non_finite_target_is_refused(tmp_path, target):
    path = _write(tmp_path, "when,n\n2024-01-01,3\n2024-02-01,4\n")
    result = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv", "--target", target)
    assert result.exit_code == 2
    assert "--target" in result.output and "expected a finite number" in result.output


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path):
    path = _write(tmp_path, "when,n\n2024-01-01,3,7\n2024-02-01,4\n")
    result = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "row 2: found '3 fields', expected 2 fields, as the header has" in " ".join(result.output.split())
    strict = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv", "--strict")
    assert strict.exit_code == 2
    assert "some rows have more cells than the header" in " ".join(strict.output.split())


@pytest.mark.parametrize("name", ["counts.tsv", "counts.txt"])
def test_tab_delimited_text_is_read_whatever_its_suffix(tmp_path, name):
    """Issue 24: `stocktake spc x.tsv` was refused though tab content in a .csv is read."""
    path = tmp_path / name
    path.write_text("when\tn\n2024-01-01\t3\n2024-02-01\t4\n2024-03-01\t5\n")
    result = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(tmp_path / "p.csv")["y"]) == [3, 4, 5]


def test_a_facet_a_spreadsheet_would_run_is_written_as_text(tmp_path):
    """An outside check: a group named ``=HYPERLINK(…)`` was written as a live formula (OWASP's CSV
    injection); it keeps an apostrophe, as every other CSV Stocktake writes does."""
    rows = [f'"=HYPERLINK(""http://x"",""y"")",2024-{m:02d}-01,{m}' for m in range(1, 13)]
    path = _write(tmp_path, "site,when,n\n" + "\n".join(rows) + "\n")
    result = _spc(path, tmp_path / "p.csv", tmp_path / "s.csv", "--facet", "site")
    assert result.exit_code == 0, result.output
    for written in ("p.csv", "s.csv"):
        facets = pd.read_csv(tmp_path / written, dtype=str)["facet"]
        assert set(facets) == {'\'=HYPERLINK("http://x","y")'}
