"""`stocktake report` on a warehouse lacking some extracts: their measures are listed as having no
data and left out; a damaged warehouse is one line, not a traceback."""

import shutil
from datetime import datetime

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.report.run import ReportRequest, stock_take

runner = CliRunner()
TARGETS = """
targets:
  rtt_within_18_weeks: {value: 92, source: NHS Constitution}
  hipfx_surgery_36h: {value: 80, source: NHFD}
"""


@pytest.fixture(scope="module")
def partial_warehouse(demo_warehouse, tmp_path_factory):
    path = tmp_path_factory.mktemp("partial") / "warehouse.duckdb"
    shutil.copy(demo_warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE rtt_pathways")
    return path


def test_measures_without_data_are_listed_and_left_out(partial_warehouse, tmp_path):
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS)  # a target for a measure without data is no reason to fail
    taken = stock_take(ReportRequest(partial_warehouse, tmp_path, ("html",), targets=targets))
    rtt = {
        "rtt_within_18_weeks",
        "rtt_median_wait",
        "rtt_p95_wait",
        "rtt_waiting_list_size",
        "rtt_over_52_weeks",
        "rtt_over_65_weeks",
        "rtt_over_78_weeks",
    }
    assert dict(taken.no_data) == {metric_id: ("rtt_pathways",) for metric_id in rtt}
    shown = {entry.result.metric.id for entry in taken.entries}
    assert not shown & rtt and "hipfx_surgery_36h" in shown
    assert (
        next(e for e in taken.entries if e.result.metric.id == "hipfx_surgery_36h").result.chart.target == 80
    )


def test_the_command_writes_the_report_and_names_what_has_no_data(partial_warehouse, tmp_path):
    result = runner.invoke(
        app, ["report", "--warehouse", str(partial_warehouse), "--out", str(tmp_path), "--format", "html"]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"No data (no rtt_pathways in {partial_warehouse}): rtt_within_18_weeks, rtt_median_wait" in said
    page = (tmp_path / "stocktake.html").read_text()
    assert "for want of data in the warehouse: rtt_within_18_weeks (needs rtt_pathways)" in page


def test_the_workbook_names_the_measures_without_data(partial_warehouse, tmp_path):
    import openpyxl

    result = runner.invoke(
        app, ["report", "--warehouse", str(partial_warehouse), "--out", str(tmp_path), "--format", "xlsx"]
    )
    assert result.exit_code == 0, result.output
    rows = [
        r for r in openpyxl.load_workbook(tmp_path / "stocktake.xlsx")["Summary"].iter_rows(values_only=True)
    ]
    said = next(r[1] for r in rows if r[0] == "Not in this stock-take, for want of data:")
    assert said.startswith("rtt_within_18_weeks (needs rtt_pathways)")


def test_a_damaged_warehouse_is_one_line(demo_warehouse, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    data = bytearray(demo_warehouse.read_bytes())
    for i in range(16384, len(data), 8192):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    result = runner.invoke(app, ["report", "--warehouse", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: not a readable Stocktake warehouse")
    # alerts, which cron mails, had printed some 120 lines of traceback (an outside check)
    (tmp_path / "stocktake.toml").write_text("")
    result = runner.invoke(app, ["alerts", "--home", str(tmp_path)])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {path}: not a readable Stocktake warehouse")


def test_a_report_out_that_is_a_file_is_one_line(demo_warehouse, tmp_path):
    """An outside check: a traceback ending FileExistsError."""
    taken = tmp_path / "series.csv"
    taken.write_text("kept")
    result = runner.invoke(app, ["report", "--warehouse", str(demo_warehouse), "--out", str(taken)])
    assert result.exit_code == 2 and result.output.strip() == (
        f"error: --out {taken}: a file, not a folder; give the folder the report's files go in"
    )
    assert taken.read_text() == "kept"


@pytest.mark.parametrize("command", ["report", "metrics"])
def test_a_duckdb_file_that_is_not_a_warehouse_is_one_line(tmp_path, command):
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE admissions (x INTEGER)")
    where = ["--warehouse", str(path)] if command == "report" else ["--source", str(path)]
    out = ["--out", str(tmp_path / ("o" if command == "report" else "s.csv"))]
    result = runner.invoke(app, [command, *where, *out])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "not a Stocktake warehouse" in said and "Traceback" not in said


@pytest.mark.parametrize(
    ("period", "why"),
    [
        ("2025-1", "not a month"),
        ("2025-13", "not a month"),
        ("03/01/2025", "a date in numbers can be one month in the UK and another in the US"),
        ("Jan-99", "reads as 1999-01; write the year in full"),
    ],
)
def test_a_report_period_that_is_not_a_month_is_refused(tmp_path, period, why):
    result = runner.invoke(app, ["report", "--period", period, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"--period {period!r}: {why}" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("period", ["2025-03", "Mar-25", "March 2025", "03/2025", "2025-03-31"])
def test_a_report_period_is_read_as_the_waiting_list_commands_read_a_month(
    tmp_path, monkeypatch, demo_warehouse, period
):
    """An analyst who typed `--since Mar-25` for the waiting list types the same for the report."""
    asked = []

    def build_and_write(request):
        asked.append(request.period)
        raise ValueError("stop here")

    monkeypatch.setattr("stocktake.report.run.build_and_write", build_and_write)
    where = ["--warehouse", str(demo_warehouse), "--out", str(tmp_path / "out")]
    result = runner.invoke(app, ["report", "--period", period, *where])
    assert asked == ["2025-03"], result.output


def test_a_report_period_not_yet_come_is_refused(tmp_path, monkeypatch, demo_warehouse):
    """An outside check: `--period 2031-01` wrote a report whose waiting list read "These figures run to
    November 2026, 50 months ago" (read as at January 2031)."""
    monkeypatch.setattr("stocktake.report.waitinglist.today", lambda: datetime(2026, 12, 7).date())
    where = ["--warehouse", str(demo_warehouse), "--out", str(tmp_path / "out")]
    result = runner.invoke(app, ["report", "--period", "2031-01", *where])
    assert result.exit_code == 2
    assert "--period '2031-01': January 2031 has not come yet" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_a_report_period_before_any_data_is_refused_not_written_empty(tmp_path, demo_warehouse):
    """The same check: `--period 2022-01`, before the data, wrote "No measure has data yet", exit 0."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        first = con.execute("SELECT min(admitted_at) FROM admissions").fetchone()[0]
    before = (pd.Timestamp(first) - pd.DateOffset(years=2)).strftime("%Y-%m")
    where = ["--warehouse", str(demo_warehouse), "--out", str(tmp_path / "out")]
    result = runner.invoke(app, ["report", "--period", before, *where])
    assert result.exit_code == 2, result.output
    assert f"--period {before}: before any measure's data, which start in" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_a_report_period_after_the_data_says_where_the_data_end(tmp_path, monkeypatch, demo_warehouse):
    """A recheck: `--period 2026-06` of data to March 2025 built the report to March 2025 unsaid."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        last = pd.Timestamp(con.execute("SELECT max(admitted_at) FROM admissions").fetchone()[0])
    later = (last + pd.DateOffset(months=6)).strftime("%Y-%m")
    monkeypatch.setattr("stocktake.report.waitinglist.today", lambda: (last + pd.DateOffset(years=1)).date())
    where = ["--warehouse", str(demo_warehouse), "--out", str(tmp_path / "out"), "--format", "html"]
    result = runner.invoke(app, ["report", "--period", later, *where])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"--period {later}: the data run to " in said and "so the report runs to then" in said
