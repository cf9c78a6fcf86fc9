"""`stocktake waitinglist project|stats` end to end: the shared series, a warehouse, and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app

WL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "waitinglist"
ENGLAND = WL / "england_rtt_monthly.csv"
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["waitinglist", *map(str, args)])


def test_project_the_shared_series_before_its_break(tmp_path):
    history = tmp_path / "england.csv"
    table = pd.read_csv(ENGLAND, dtype=str, keep_default_na=False)
    table.iloc[:109].to_csv(history, index=False)  # 2007-08 … 2016-08, the stretch before the withheld years
    out = tmp_path / "projection.csv"
    result = _run("project", history, "--months", 12, "--out", out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert list(got.columns[:4]) == ["month", "waiting", "waiting_low", "waiting_high"]
    assert list(got["month"]) == [str(m) for m in pd.period_range("2016-09", periods=12, freq="M")]
    assert (got["waiting_low"] < got["waiting"]).all() and (got["waiting"] < got["waiting_high"]).all()
    # The interval widens with the horizon, as errors accumulate.
    width = (got["waiting_high"] - got["waiting_low"]).to_numpy()
    assert width[-1] > width[0]
    # The list stays within a plausible year's change of the origin's 3.91 million.
    assert 3.5e6 < got["waiting"].iloc[-1] < 4.5e6


def test_the_whole_shared_file_has_a_break_named_and_since_skips_it(tmp_path):
    out = tmp_path / "projection.csv"
    result = _run("project", ENGLAND, "--months", 6, "--out", out)
    assert result.exit_code == 2
    assert "line 111: month 2021-04 follows 2016-08; the history has a gap" in result.output
    # The way round it is named, with the month the history resumes.
    assert "add --since 2021-04" in " ".join(result.output.split())
    assert not out.exists()
    result = _run("project", ENGLAND, "--months", 6, "--since", "2021-04", "--out", out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert got["month"].iloc[0] == "2023-09"
    # Clock starts are known for the whole stretch: projected, with other removals as the rest.
    np.testing.assert_allclose(got["clock_starts"] - got["other_removals"], got["net_additions"], atol=2)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.drop(index=30),
            "line 32: month 2010-03 follows 2010-01; the history has a gap (2010-02 missing)",
        ),
        (
            lambda t: pd.concat([t.iloc[:31], t.iloc[30:]]),
            "line 33: month 2010-02 is repeated (also line 32)",
        ),
        (
            lambda t: t.assign(
                clock_stops_non_admitted=t["clock_stops_non_admitted"].where(t.index != 5, "-12")
            ),
            "line 7, clock_stops_non_admitted: '-12'; a count of pathways is a whole number, 0 to 1,000",
        ),
        (lambda t: t.iloc[:20], "20 months of history; the projection needs at least 28"),
    ],
    ids=["gap", "repeated", "negative", "too-few"],
)
def test_bad_history_one_line_exit_2_nothing_written(tmp_path, edit, expected):
    table = pd.read_csv(ENGLAND, dtype=str, keep_default_na=False).iloc[:109]
    history = tmp_path / "history.csv"
    edit(table).to_csv(history, index=False)
    out = tmp_path / "projection.csv"
    result = _run("project", history, "--months", 12, "--out", out)
    assert result.exit_code == 2
    assert expected in " ".join(result.output.split())
    assert result.output.count("error:") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [history]


def test_a_gap_with_too_few_months_after_it_does_not_advise_since(tmp_path):
    """An analyst's check: "add --since 2015-07" led straight to "too few months"; a gap with fewer
    than 28 months after it says to fill the gap instead. With enough after it, --since is named."""
    table = pd.read_csv(ENGLAND, dtype=str, keep_default_na=False).iloc[:109]
    history = tmp_path / "history.csv"
    table.drop(index=100).to_csv(history, index=False)
    said = " ".join(_run("project", history, "--months", 12).output.split())
    assert "the 8 months after it are too few to project from alone (at least 28): fill in the" in said
    assert "--since" not in said
    table.drop(index=40).to_csv(history, index=False)
    said = " ".join(_run("project", history, "--months", 12).output.split())
    assert "add --since 2011-01" in said


def _pathways(months: int, seed: int = 5) -> pd.DataFrame:
    """Synthetic rtt_pathways: about 300 clock starts a month, waits of some 10 weeks, 5% removed."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2021-01-01", periods=months * 30 + 200, freq="D")
    starts = np.repeat(days.to_numpy(), rng.poisson(10, len(days)))
    stops = starts + pd.to_timedelta(np.round(rng.gamma(2.0, 35.0, len(starts))), unit="D").to_numpy()
    end = days[-1]
    waiting = stops > end
    return pd.DataFrame(
        {
            "pathway_id": [f"RTT{i:07d}" for i in range(len(starts))],
            "patient_id": [f"P{i:07d}" for i in range(len(starts))],
            "clock_start": pd.to_datetime(starts).date,
            "clock_stop": pd.Series(pd.to_datetime(stops).date).where(~waiting),
            "priority": rng.choice(["P1", "P2", "P3", "P4"], len(starts), p=(0.05, 0.3, 0.4, 0.25)),
            "procedure_group": rng.choice(["hip", "knee", "hand"], len(starts)),
            "status": np.where(
                waiting, "waiting", np.where(rng.random(len(starts)) < 0.05, "removed", "treated")
            ),
        }
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wl") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("incoming", _pathways(40))
        con.execute("CREATE TABLE rtt_pathways AS SELECT * FROM incoming")
    return path


def test_project_from_the_warehouse(tmp_path, warehouse):
    out = tmp_path / "projection.csv"
    result = _run("project", "--warehouse", warehouse, "--months", 6, "--out", out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert len(got) == 6
    # A steady list (about 10 starts a day, 10-week waits: roughly 700 waiting) stays steady.
    assert 500 < got["waiting"].mean() < 900
    assert got["other_removals"].notna().all()


def test_stats_by_priority_say_p5_and_p6_have_no_clinical_target(tmp_path, warehouse):
    """A P5 row held to 52 weeks beside P4's read as a clinical target (an outside check): the command
    says P5 and P6 have none, and only when they are there (ADR 63)."""
    import shutil

    assert (
        "P5, P6: a decision to admit"
        not in _run("stats", "--warehouse", warehouse, "--by", "priority").output
    )
    deferred = tmp_path / "deferred.duckdb"
    shutil.copy(warehouse, deferred)
    with duckdb.connect(str(deferred)) as con:
        con.execute("UPDATE rtt_pathways SET priority = 'P5' WHERE priority = 'P4'")
    out = tmp_path / "stats.csv"
    result = _run("stats", "--warehouse", deferred, "--by", "priority", "--out", out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out)["group"]) == ["P1", "P2", "P3", "P5"]
    said = " ".join(result.output.split())
    assert (
        "P5, P6: a decision to admit whose treatment the patient has chosen to defer, with no clinical"
        in said
    )


def test_stats_from_the_warehouse_by_priority(tmp_path, warehouse):
    out = tmp_path / "stats.csv"
    result = _run("stats", "--warehouse", warehouse, "--by", "priority", "--out", out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert list(got["group"]) == ["P1", "P2", "P3", "P4"]
    assert list(got["target_weeks"]) == pytest.approx([1, 4, 12, 365 / 7])
    # the console says P4's 52.14 weeks as the page does, "52" (an outside check read 52.1 beside 52)
    target_row = next(line for line in result.output.splitlines() if "target weeks" in line)
    assert target_row.replace("│", " ").split()[2:] == ["1", "4", "12", "52"]
    # About 10 starts a day in all: about 70 a week, split 5/30/40/25%.
    assert got["mean_demand"].sum() == pytest.approx(70, rel=0.05)
    # A steady list: over the last year (the default from a warehouse) capacity meets demand, and
    # the list is the one waiting now (about 700), not every pathway referred before the year began.
    assert got["mean_capacity"].sum() == pytest.approx(70, rel=0.1)
    assert 500 < got["queue_size"].sum() < 900
    assert "over the year to the end of the list's last complete month" in " ".join(result.output.split())


def test_stats_from_the_demo_department(demo_warehouse, tmp_path):
    out = tmp_path / "stats.csv"
    result = _run(
        "stats", "--warehouse", demo_warehouse, "--by", "procedure", "--target-weeks", 18, "--out", out
    )
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert "hip_replacement" in set(got["group"])
    assert (got["queue_size"] > 0).all() and (got["mean_capacity"] > 0).all()


def test_the_demo_department_is_too_short_to_project(demo_warehouse):
    """18 months of pathways: one clear line, not a projection without a tested interval."""
    result = _run("project", "--warehouse", demo_warehouse, "--months", 6)
    assert result.exit_code == 2
    assert "months of history; the projection needs at least 28" in " ".join(result.output.split())


def test_stats_from_a_csv_with_the_package_convention(tmp_path):
    pathways = tmp_path / "pathways.csv"
    pd.DataFrame(
        {
            "clock_start": ["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"],
            "clock_stop": ["2024-01-08", "", "", ""],
        }
    ).to_csv(pathways, index=False)
    out = tmp_path / "stats.csv"
    result = _run("stats", pathways, "--target-weeks", 4, "--convention", "nhsrwaitinglist", "--out", out)
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out).iloc[0]
    # wl_stats' own example (nhsrwaitinglist_wl_stats_expected.csv, wl_stats_example_defaults).
    assert row["mean_demand"] == pytest.approx(7 / 3) and row["mean_wait"] == 6 and row["pressure"] == 3


def test_stats_bad_pathways(tmp_path):
    pathways = tmp_path / "pathways.csv"
    pd.DataFrame({"clock_start": ["2024-01-01", "9434765919"], "clock_stop": ["", ""]}).to_csv(
        pathways, index=False
    )
    out = tmp_path / "stats.csv"
    result = _run("stats", pathways, "--out", out)
    assert result.exit_code == 2
    assert "line 3, clock_start" in result.output and "9434765919" not in result.output
    assert not out.exists()


def test_no_consultant_in_the_warehouse(warehouse):
    """A warehouse loaded without the column (or before it could be) says how to load it."""
    result = _run("stats", "--warehouse", warehouse, "--by", "consultant")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert (
        "rtt_pathways has no consultant loaded; map the extract's column to rtt_pathways consultant" in said
    )


def test_stats_by_consultant_from_a_warehouse_loaded_with_one(tmp_path):
    """An outside check: a PAS extract's `Consultant Name` could not be loaded (rtt_pathways had no
    consultant), so `stats --by consultant --warehouse` was refused and the analyst rebuilt the file by
    hand. Now mapped and loaded, each consultant's queue is those waiting at the window's end, counted
    here from the extract itself."""
    rng = np.random.default_rng(3)
    n = 400
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 600, n), "D")
    stop = start + pd.to_timedelta(rng.integers(10, 300, n), "D")
    waiting = stop > pd.Timestamp("2025-09-30")
    extract = pd.DataFrame(
        {
            "Pathway ID": [f"PW{i:05d}" for i in range(n)],
            "NHS Number": ["9434765919"] * n,
            "Referral Date": start.strftime("%d/%m/%Y"),
            "Treatment Date": np.where(waiting, "", stop.strftime("%d/%m/%Y")),
            "Consultant Name": rng.choice(["Mr A Smith", "Ms B Jones", "Dr C Patel"], n),
            "Status": np.where(waiting, "OPEN", "TREATED"),
        }
    )
    (tmp_path / "extracts").mkdir()
    extract.to_csv(tmp_path / "extracts" / "ptl.csv", index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "source: A trust (test)\ndatasets:\n  rtt_pathways:\n    file: ptl.csv\n    columns:\n"
        "      pathway_id: Pathway ID\n"
        "      patient_id: {column: NHS Number, check: nhs_number}\n"
        '      clock_start: {column: Referral Date, format: "%d/%m/%Y"}\n'
        '      clock_stop: {column: Treatment Date, format: "%d/%m/%Y"}\n'
        "      consultant: Consultant Name\n"
        "      status: {column: Status, codes: {OPEN: waiting, TREATED: treated}}\n"
    )
    warehouse = tmp_path / "w.duckdb"
    ingest = ["ingest", tmp_path / "extracts", "--mapping", mapping, "--warehouse", warehouse, "--partial"]
    loaded = runner.invoke(app, [str(a) for a in ingest])
    assert loaded.exit_code == 0, loaded.output
    out = tmp_path / "stats.csv"
    result = _run("stats", "--warehouse", warehouse, "--by", "consultant", "--out", out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out).set_index("group")
    end = pd.Timestamp(got["window_end"].iloc[0])
    stops = pd.to_datetime(extract["Treatment Date"], format="%d/%m/%Y")
    at_end = (pd.to_datetime(extract["Referral Date"], format="%d/%m/%Y") <= end) & (
        stops.isna() | (stops > end)
    )
    expected = at_end.groupby(extract["Consultant Name"]).sum()
    assert got["queue_size"].to_dict() == expected.to_dict()


def test_project_with_simulated_runs(tmp_path):
    """`--simulations N`: the same central path, the interval from N runs (and said so); a count below
    zero is one line, exit 2, nothing written."""
    history = tmp_path / "england.csv"
    pd.read_csv(ENGLAND, dtype=str, keep_default_na=False).iloc[:109].to_csv(history, index=False)
    plain, simulated = tmp_path / "plain.csv", tmp_path / "simulated.csv"
    assert _run("project", history, "--months", 24, "--out", plain).exit_code == 0
    result = _run("project", history, "--months", 24, "--simulations", 1000, "--out", simulated)
    assert result.exit_code == 0, result.output
    assert "percentiles of 1,000 simulated runs" in " ".join(result.output.split())
    a, b = pd.read_csv(plain), pd.read_csv(simulated)
    assert (a["waiting"] == b["waiting"]).all()
    assert not (a["waiting_high"] == b["waiting_high"]).all()
    assert (b["waiting_low"] < b["waiting"]).all() and (b["waiting"] < b["waiting_high"]).all()
    out = tmp_path / "refused.csv"
    result = _run("project", history, "--months", 12, "--simulations", -1, "--out", out)
    assert result.exit_code == 2
    assert "--simulations -1: must be 0 (none) or 100 or more" in " ".join(result.output.split())
    assert not out.exists()


def test_since_applies_to_the_warehouse_history_as_to_a_csv(tmp_path, warehouse):
    """Issue 26: `--since` with `--warehouse` was ignored. The warehouse's monthly flows written out as a
    CSV and projected from the same month give the same projection; without `--since` it differs."""
    from stocktake.files.waitinglist import warehouse_history

    history = tmp_path / "flows.csv"
    warehouse_history(warehouse)[0].to_csv(history, index=False)  # 2021-01 … 2024-10
    from_csv, from_warehouse, whole = (tmp_path / f"{n}.csv" for n in ("csv", "warehouse", "whole"))
    assert _run("project", history, "--since", "2021-07", "--months", 6, "--out", from_csv).exit_code == 0
    result = _run(
        "project", "--warehouse", warehouse, "--since", "2021-07", "--months", 6, "--out", from_warehouse
    )
    assert result.exit_code == 0, result.output
    assert _run("project", "--warehouse", warehouse, "--months", 6, "--out", whole).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(from_warehouse), pd.read_csv(from_csv))
    assert not pd.read_csv(whole).equals(pd.read_csv(from_warehouse))


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2023-01", "22 months of history; the projection needs at least 28"),
        ("2024-13", "--since '2024-13': not a month (like 2024-04, Apr-24 or 04/2024)"),
        # January in the US, February in the UK: refused (an outside check)
        ("01/02/2024", "--since '01/02/2024': a date in numbers can be one month in the UK and another"),
        ("Feb-24", "9 months of history; the projection needs at least 28"),  # as a file may write it
        ("Jan-30", "--since 'Jan-30': reads as 1930-01; write the year in full"),
        ("1999-12", "--since '1999-12': reads as 1999-12, before any data Stocktake reads"),
    ],
    ids=["too-few", "not-a-month", "day-first", "named", "two-digit-year", "last-century"],
)
def test_since_on_the_warehouse_refused_as_for_a_csv(tmp_path, warehouse, since, expected):
    out = tmp_path / "projection.csv"
    result = _run("project", "--warehouse", warehouse, "--since", since, "--months", 6, "--out", out)
    assert result.exit_code == 2
    assert expected in " ".join(result.output.split())
    assert result.output.count("error:") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_growth_is_said_as_a_yearly_change_never_below_minus_100_percent(tmp_path):
    """A list falling a fifth a month shrinks by 93% a year (0.8¹² − 1), not "−268%"."""
    import re

    months = pd.period_range("2021-01", periods=36, freq="M").astype(str)
    history = tmp_path / "shrink.csv"
    pd.DataFrame(
        {
            "month": months,
            "waiting": np.round(100_000 * 0.8 ** np.arange(36)) + 1,
            "clock_stops_admitted": 3000,
            "clock_stops_non_admitted": 2000,
        }
    ).to_csv(history, index=False)
    result = _run("project", history, "--months", 12, "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    rates = [float(r) for r in re.findall(r"([+-]\d+\.\d)% a year", " ".join(result.output.split()))]
    assert len(rates) == 2 and all(rate > -100 for rate in rates)
    assert "-93.1% a year" in " ".join(result.output.split())


def _england_history(tmp_path: Path, name: str = "history.csv") -> tuple[pd.DataFrame, Path]:
    table = pd.read_csv(ENGLAND, dtype=str, keep_default_na=False).iloc[:109]
    return table, tmp_path / name


def _months_as(table: pd.DataFrame, form: str) -> pd.DataFrame:
    months = pd.PeriodIndex(table["month"], freq="M")
    return table.assign(month=months.strftime(form))


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: _months_as(t, "%b-%y"),  # Excel in the UK: Apr-24
        lambda t: _months_as(t, "%B %Y"),  # April 2024
        lambda t: _months_as(t, "01/%m/%Y"),  # a date, day first
        lambda t: _months_as(t, "%Y-%m-01"),
        lambda t: t.set_axis([f" {c.capitalize()} " for c in t.columns], axis=1),  # names as typed
    ],
    ids=["mon-yy", "month-yyyy", "dd/mm/yyyy", "iso-date", "names"],
)
def test_a_history_with_months_or_names_as_excel_writes_them_is_read_as_the_plain_one(tmp_path, edit):
    """An analyst's check: a history opened in Excel and saved had its months turned into Sep-20 or
    01/09/2020, and every one was refused."""
    table, plain = _england_history(tmp_path)
    table.to_csv(plain, index=False)
    edited = tmp_path / "edited.csv"
    edit(table).to_csv(edited, index=False)
    for path, out in ((plain, "a.csv"), (edited, "b.csv")):
        result = _run("project", path, "--months", 6, "--out", tmp_path / out)
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))


def test_a_blank_line_in_a_history_is_skipped_and_later_lines_keep_their_numbers(tmp_path):
    table, path = _england_history(tmp_path)
    text = table.iloc[:20].to_csv(index=False) + "\n" + table.iloc[20:].to_csv(index=False, header=False)
    path.write_text(text)
    table.to_csv(tmp_path / "plain.csv", index=False)
    for given, out in ((path, "a.csv"), (tmp_path / "plain.csv", "b.csv")):
        assert _run("project", given, "--months", 6, "--out", tmp_path / out).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))
    broken = text.replace(f"\n{table['month'].iloc[30]},", "\nSomething,")
    path.write_text(broken)
    result = _run("project", path, "--months", 6)
    assert "line 33: month 'Something' is not a month" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            lambda t: t.assign(within_18_weeks=t["within_18_weeks"].where(t.index != 7, "9999999")),
            "line 9, within_18_weeks: 9,999,999 is more than the",
        ),
        (
            lambda t: t.assign(
                clock_stops=[
                    int(a) + int(b) + (999 if i == 4 else 0)
                    for i, (a, b) in enumerate(
                        zip(t["clock_stops_admitted"], t["clock_stops_non_admitted"], strict=True)
                    )
                ]
            ),
            "line 6, clock_stops: ",
        ),
    ],
    ids=["within-18-over-the-list", "stops-unlike-their-parts"],
)
def test_a_part_beyond_its_whole_is_refused(tmp_path, edit, said):
    table, path = _england_history(tmp_path)
    edit(table).to_csv(path, index=False)
    result = _run("project", path, "--months", 6, "--out", tmp_path / "p.csv")
    assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
    assert not (tmp_path / "p.csv").exists()


def test_one_blank_clock_start_is_said_when_it_stops_them_being_projected(tmp_path):
    """An analyst's check: one blank clock_starts cell emptied two columns of the output, unsaid."""
    table = pd.read_csv(ENGLAND, dtype=str, keep_default_na=False).iloc[109:]  # from 2021-04, all known
    path = tmp_path / "history.csv"
    table.to_csv(path, index=False)
    projected = _run("project", path, "--months", 6, "--out", tmp_path / "known.csv")
    assert projected.exit_code == 0 and pd.read_csv(tmp_path / "known.csv")["clock_starts"].notna().all()
    table.loc[table.index[-10], "clock_starts"] = ""
    table.to_csv(path, index=False)
    result = _run("project", path, "--months", 6, "--out", tmp_path / "p.csv")
    assert result.exit_code == 0
    said = " ".join(result.output.split())
    assert "clock starts (and so other removals) are not projected" in said
    assert f"{table['month'].iloc[-10]} has none" in said
    assert pd.read_csv(tmp_path / "p.csv")["clock_starts"].isna().all()


def test_a_sweep_in_englands_list_is_said_as_a_one_off(tmp_path):
    """800,000 taken off England's list in one month since 2021 (its clock starts known; some 206,000
    leave it beyond their treatments in a usual month): the command says the month was read as a
    one-off, not carried on as trend; the list as published says nothing."""
    table = pd.read_csv(ENGLAND).iloc[109:].reset_index(drop=True)
    path = tmp_path / "history.csv"
    table.to_csv(path, index=False)
    assert "one-off" not in _run("project", path, "--months", 6).output
    swept = pd.Period(table["month"].iloc[-6], freq="M")
    table.loc[table.index[-6:], "waiting"] -= 800_000
    table.to_csv(path, index=False)
    result = _run("project", path, "--months", 6)
    said = " ".join(result.output.split())
    assert result.exit_code == 0
    pattern = rf"In {swept.strftime('%B %Y')} about ([\d,]+) more left the list than in a usual month \(a"
    found = re.search(pattern, said)
    assert (
        found and 720_000 < int(found[1].replace(",", "")) < 880_000
    )  # beside a usual month's, which varies


def test_a_history_saved_from_excel_is_read_as_the_comma_separated_one(tmp_path):
    """Windows-1252 with a semicolon between fields and Excel's trailing empty rows: the same projection."""
    table, plain = _england_history(tmp_path)
    table.to_csv(plain, index=False)
    excel = tmp_path / "excel.csv"
    text = table.to_csv(index=False, sep=";", lineterminator="\r\n") + ";;;;;;\r\n;;;;;;\r\n"
    excel.write_bytes(text.encode("cp1252"))
    for path, out in ((plain, "a.csv"), (excel, "b.csv")):
        assert _run("project", path, "--months", 6, "--out", tmp_path / out).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (
            lambda table, path: table.assign(
                waiting=table["waiting"].where(table.index != 3, "2512345.5")
            ).to_csv(path, index=False),
            "line 5, waiting: '2512345.5'; a count of pathways is a whole number",
        ),
        (
            lambda table, path: path.with_suffix(".xlsx").write_bytes(b"PK\x03\x04"),
            "a workbook, not a CSV; save the sheet as CSV UTF-8",
        ),
    ],
    ids=["decimal", "workbook"],
)
def test_a_history_as_people_save_it_is_refused_by_its_own_line(tmp_path, write, expected):
    table, path = _england_history(tmp_path)
    write(table, path)
    given = path if path.exists() else path.with_suffix(".xlsx")
    result = _run("project", given, "--months", 6, "--out", tmp_path / "p.csv")
    assert result.exit_code == 2 and expected in " ".join(result.output.split())
    assert not (tmp_path / "p.csv").exists()


def test_the_statistics_fit_an_80_column_terminal_whatever_the_groups(monkeypatch):
    """Eleven headers in a row squeezed to "tar…" at 80 columns: the statistics go down the side, and
    the groups (nine, with long names) across as many tables as the width holds, every figure whole."""
    from rich.console import Console

    from stocktake.cli import common, waitinglist

    monkeypatch.setattr(common.console, "_width", 80)
    names = [f"consultant_with_a_long_name_{i}" for i in range(9)]
    row = {c: 1234.5 for c in waitinglist.STATS_SHOWN} | {"queue_size": 12345, "suppressed": False}
    table = pd.DataFrame([{"group": name} | row for name in names])
    table.loc[4, "suppressed"] = True
    screen = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    tables = waitinglist._stats_tables(table, "Waiting list")
    assert len(tables) > 1
    for shown in tables:
        screen.print(shown)
    text = screen.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    for label, _ in waitinglist.STATS_SHOWN.values():
        assert text.count(f"│ {label} ") == len(tables)
    # every figure of the 8 groups shown whole; the hidden one its target weeks and nine "*"
    assert text.count("12,345") == 8 and text.count("1234.5") == 8 * 8 + 1  # target queue size is "1234"
    assert text.count(" * ") == 9
    assert sum(len(shown.columns) - 1 for shown in tables) == 9


@pytest.mark.parametrize("command", ["stats", "project", "weeks", "capacity"])
def test_a_csv_is_never_written_under_a_workbooks_name(tmp_path, warehouse, command):
    """CSV text named .xlsx is a file Excel calls damaged: refused before any work, nothing written."""
    out = tmp_path / "result.xlsx"
    extra = {"project": ["--months", "6"], "capacity": ["--target-pct", "92", "--by", "2030-01"]}
    result = _run(command, "--warehouse", warehouse, *extra.get(command, []), "--out", out)
    assert result.exit_code == 2, result.output
    assert f"--out {out}: this command writes CSV; give a .csv name" in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["result.parquet", "result.json", "result"])
def test_a_csv_is_written_only_under_a_csv_name_or_through_a_device(tmp_path, warehouse, name):
    out = tmp_path / name
    result = _run("weeks", "--warehouse", warehouse, "--months", "2", "--out", out)
    assert result.exit_code == 2 and "this command writes CSV; give a .csv name" in " ".join(
        result.output.split()
    )
    assert _run("weeks", "--warehouse", warehouse, "--months", "2", "--out", "/dev/null").exit_code == 0


RBD = WL.parent / "rtt" / "rtt_provider_2024_11_RBD.csv"


@pytest.mark.parametrize(
    ("command", "args", "then"),
    [
        ("capacity", (RBD, "--target-pct", 65, "--by", "2025-09"), "the start months are counted from then"),
        ("weeks", (RBD, "--months", 3), "the projection runs from then"),
        ("project", (ENGLAND, "--months", 3, "--since", "2021-04"), "the projection runs from then"),
    ],
)
def test_old_figures_are_said_on_the_command_line(monkeypatch, command, args, then):
    """An outsider in December 2026: `capacity` said "12.1 extra treatments a week from 2025-04" of
    a list 20 months old, which the page and the report call old figures; the command line now does
    too, and says nothing of figures a month old."""
    import stocktake.report.waitinglist as words

    origin = {"project": "August 2023", "weeks": "November 2024", "capacity": "November 2024"}[command]
    monkeypatch.setattr(words, "today", lambda: pd.Timestamp("2026-12-04").date())
    result = _run(command, *args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"These figures run to {origin}, " in said and f"months ago: {then}" in said
    monkeypatch.setattr(words, "today", lambda: (pd.Period(origin) + 1).start_time.date())
    assert "These figures run to" not in " ".join(_run(command, *args).output.split())


@pytest.mark.parametrize(
    "args",
    [
        ("weeks", RBD, "--treatment-function", "9434765919"),
        ("capacity", RBD, "--target-pct", 65, "--by", "9,434,765,919"),
        ("project", ENGLAND, "--since", "9.434765919E+09"),
    ],
)
def test_an_nhs_number_typed_as_an_option_is_masked_in_the_refusal(args):
    """A second outside check: options were echoed whole ("--treatment-function '9434765919': not in
    the 2024-11 return"); every command's error line now masks an NHS number, wherever it came from."""
    result = _run(*args)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "943*******" in said and not re.search(r"9,?434,?765,?919|9\.434765919", said), said


def test_relief_capacity_is_told_apart_from_the_capacity_answer(demo_warehouse):
    """A clinical director read relief capacity (about 94 extra a week) beside the capacity answer
    (23 extra a week) and saw a fourfold difference unexplained. A list far over its target size
    (a 4-week target) says what relief capacity is, and that `capacity` answers another question."""
    result = _run("stats", "--warehouse", demo_warehouse, "--target-weeks", 4)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "bring the list to its target size in 26 weeks" in said
    assert "`waitinglist capacity` answers another question" in said and "the two figures differ" in said


def test_stats_by_group_writes_a_group_named_as_a_formula_as_text_and_masks_an_nhs_number(tmp_path):
    """An outside check: a consultant named ``=HYPERLINK(…)`` was written as a live formula, and one
    typed ``943.476.5919`` (an NHS number with dots) was written whole."""
    table = _pathways(4)
    names = ['=HYPERLINK("http://x","y")', "943.476.5919"]
    table["consultant"] = [names[i % 2] for i in range(len(table))]
    pathways, out = tmp_path / "pathways.csv", tmp_path / "stats.csv"
    table.to_csv(pathways, index=False)
    result = _run("stats", pathways, "--by", "consultant", "--out", out)
    assert result.exit_code == 0, result.output
    groups = set(pd.read_csv(out, dtype=str)["group"])
    assert groups == {'\'=HYPERLINK("http://x","y")', "943.***.****"}
    assert "476.5919" not in result.output


def test_an_out_in_a_folder_no_one_may_write_to_is_refused_before_the_work(tmp_path):
    """An analyst's read-only share: the output's temporary file failed after the whole projection, in
    a 47-line traceback. /proc takes no new file, even from root."""
    result = _run("project", ENGLAND, "--months", 6, "--since", "2021-04", "--out", "/proc/P.csv")
    assert result.exit_code == 2
    assert result.output.startswith("error: --out /proc/P.csv: cannot write into /proc (")
    assert "Traceback" not in result.output and "projection" not in result.output.lower()


def test_a_history_ending_after_this_month_is_refused(tmp_path):
    """An analyst's check: a history ending in 2027-08 (its years shifted) was projected from then."""
    table, path = _england_history(tmp_path)
    months = pd.PeriodIndex(table["month"], freq="M") + 12 * 90  # 2097 to 2106
    table.assign(month=months.astype(str)).to_csv(path, index=False)
    result = _run("project", path, "--months", 6, "--out", tmp_path / "p.csv")
    assert result.exit_code == 2 and "its last month, 2106-08, is after this month" in result.output
    assert not (tmp_path / "p.csv").exists()


def test_a_workbook_renamed_csv_is_named_a_workbook(tmp_path):
    """An analyst's check: an .xlsx renamed .csv was called a ZIP to unzip."""
    table, _ = _england_history(tmp_path)
    path = tmp_path / "history.csv"
    table.to_excel(path, index=False, engine="openpyxl")
    result = _run("project", path, "--months", 6)
    assert result.exit_code == 2 and "a workbook, not a CSV; save the sheet as CSV UTF-8" in result.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--months", 0), "error: --months 0: must be 1 to 60"),
        (("--months", 6, "--since", "2030-01"), "--since 2030-01: after the history's last month, 2016-08"),
    ],
)
def test_an_options_fault_is_the_options(tmp_path, args, said):
    """An analyst's check: "base.csv: months ahead must be 1 to 60, not 0" blamed the file, and a
    --since after the history read "0 months of history"."""
    table, path = _england_history(tmp_path)
    table.to_csv(path, index=False)
    result = _run("project", path, *args)
    assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output


def test_a_history_ending_this_month_is_refused_as_not_yet_over(tmp_path):
    """A director's check: a history ending in this month (its counts a part of it) was projected."""
    table, path = _england_history(tmp_path)
    this_month = pd.Period(pd.Timestamp.today(), freq="M")
    months = pd.period_range(end=this_month, periods=len(table), freq="M")
    table.assign(month=months.astype(str)).to_csv(path, index=False)
    result = _run("project", path, "--months", 6)
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and f"its last month, {this_month}, is this month, not yet over" in said


@pytest.mark.parametrize(
    ("form", "said"),
    [  # US dates, day 1: every month read as January, repeated
        (
            "%m/01/%Y",
            "line 3: month 2007-01 (written '09/01/2007', read day first) is repeated (also line 2:",
        ),
    ],
)
def test_a_month_misread_is_said_as_written(tmp_path, form, said):
    """A director's check: US dates were refused with "month 2021-01 is repeated" and "sort by month",
    sending a user after the wrong fix; the message now says how the month was written and read."""
    table, path = _england_history(tmp_path)
    _months_as(table, form).to_csv(path, index=False)
    result = _run("project", path, "--months", 6)
    assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output


def test_two_digit_years_and_spaced_names_are_read_as_excel_writes_them(tmp_path):
    """A director's check: Jan-97 was read as 2097 and refused as a month to come; `Clock Stops
    Admitted` was not the column clock_stops_admitted."""
    from stocktake.periods import history_month

    assert [str(history_month(t)) for t in ("Jan-97", "Dec-29", "Jan-30", "Apr-24")] == [
        "1997-01",
        "2029-12",
        "1930-01",
        "2024-04",
    ]
    table, plain = _england_history(tmp_path)
    table.to_csv(plain, index=False)
    spaced = tmp_path / "spaced.csv"
    table.set_axis([c.replace("_", " ").title() for c in table.columns], axis=1).to_csv(spaced, index=False)
    for path, out in ((plain, "a.csv"), (spaced, "b.csv")):
        assert _run("project", path, "--months", 6, "--out", tmp_path / out).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))


def test_within_18_and_over_52_weeks_together_beyond_the_list_are_refused(tmp_path):
    table, path = _england_history(tmp_path)
    waiting = table["waiting"].astype(int)
    within = table["within_18_weeks"].astype(int).where(table.index != 6, waiting - 10)
    table.assign(within_18_weeks=within).to_csv(path, index=False)
    result = _run("project", path, "--months", 6)
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "line 8: within_18_weeks and over_52_weeks add up to" in said


def test_a_us_date_past_the_twelfth_says_it_looks_month_first(tmp_path):
    """A third check: 04/30/2021 was "not a month", with nothing to say why."""
    table, path = _england_history(tmp_path)
    months = pd.PeriodIndex(table["month"], freq="M")
    table.assign(month=[f"{m.month:02d}/{m.days_in_month}/{m.year}" for m in months]).to_csv(
        path, index=False
    )
    said = " ".join(_run("project", path, "--months", 6).output.split())
    assert "line 2: month '08/31/2007' is not a month" in said
    assert "it looks month first, as in the US: write it 2007-08" in said


def test_a_column_named_twice_is_refused_not_read_from_its_first(tmp_path):
    """An outside check: `waiting` twice, the first a column of 1s, projected the list to 0 (pandas'
    reader renames the second `waiting.1`), where a repeat differing in case was refused."""
    table = pd.read_csv(ENGLAND).iloc[:60]
    text = table.to_csv(index=False).splitlines()
    doubled = ["waiting," + text[0]] + ["1," + line for line in text[1:]]
    history = tmp_path / "doubled.csv"
    history.write_text("\n".join(doubled) + "\n")
    out = tmp_path / "projection.csv"
    result = runner.invoke(app, ["waitinglist", "project", str(history), "--months", "6", "--out", str(out)])
    assert result.exit_code == 2
    assert "doubled.csv: more than one column named 'waiting' (columns 1 and 3, in any case)" in " ".join(
        result.output.split()
    )
    assert not out.exists()


def test_not_a_typo_lets_a_true_month_through_and_is_a_month(tmp_path):
    table = pd.read_csv(ENGLAND).iloc[:60].copy()
    table.loc[40, "clock_stops_admitted"] = table.loc[40, "clock_stops_admitted"] // 5
    history = tmp_path / "strike.csv"
    table.to_csv(history, index=False)
    month = table.loc[40, "month"]
    refused = runner.invoke(app, ["waitinglist", "project", str(history), "--months", "3"])
    assert refused.exit_code == 2 and f"give --not-a-typo {month}" in " ".join(refused.output.split())
    kept = runner.invoke(
        app, ["waitinglist", "project", str(history), "--months", "3", "--not-a-typo", month]
    )
    assert kept.exit_code == 0, kept.output
    wrong = runner.invoke(app, ["waitinglist", "project", str(history), "--not-a-typo", "Q4-22"])
    assert (
        wrong.exit_code == 2
        and "--not-a-typo 'Q4-22': not a month (like 2024-04, Apr-24 or 04/2024)" in wrong.output
    )
    # a month as the file may write it (an outside check had `--since Apr-21` refused)
    month_named = pd.Period(month, "M").strftime("%b-%y")
    assert (
        runner.invoke(app, ["waitinglist", "project", str(history), "--not-a-typo", month_named]).exit_code
        == 0
    )


def test_what_a_command_finds_goes_to_standard_output_and_its_errors_to_standard_error(tmp_path):
    """An analyst's outside check: `stocktake waitinglist weeks … > out.txt` wrote an empty file, every
    table and word having gone to standard error."""
    import os
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "stocktake.cli", "waitinglist", "weeks", *args]
        environment = {**os.environ, "STOCKTAKE_HOME": str(tmp_path)}
        return subprocess.run(command, capture_output=True, text=True, env=environment, check=False)

    found = run(str(RBD), "--treatment-function", "C_110", "--months", "2")
    assert found.returncode == 0, found.stderr
    assert "3,439 waiting at the end of 2024-11" in found.stdout and "2025-01" in found.stdout
    assert found.stderr == ""
    # piped, a sentence is one line, so `| grep` finds its words (they were wrapped at 80 columns)
    assert any(
        line.startswith("No 95% intervals: published returns hold no pathways")
        and line.endswith("present flows")
        for line in found.stdout.splitlines()
    )
    refused = run(str(tmp_path / "missing.csv"))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("error: ")


def test_a_negative_renege_in_the_table_is_read_for_the_reader():
    """An outside check: reneges of -244 to -408 in the weeks table, nothing on screen to read them by."""
    from stocktake.cli.waitinglist import negative_reneges_note

    assert negative_reneges_note(pd.Series([float("nan"), 44.8, 46.1])) is None
    assert negative_reneges_note(pd.Series([float("nan"), -244.0, 12.0])).startswith(
        "A negative renege is a net one"
    )


def test_a_growth_that_rounds_to_nothing_is_said_without_a_minus_sign():
    """An outside check read "the list itself -0.0% a year"; a growth of 1% a month is 12.7% a year."""
    from stocktake.cli.waitinglist import _a_year

    assert [_a_year(g) for g in (-1e-6, 0.0, 1e-6)] == ["+0.0%"] * 3
    assert (_a_year(0.01), _a_year(-0.01)) == ("+12.7%", "-11.3%")
