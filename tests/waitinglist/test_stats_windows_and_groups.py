"""`stocktake waitinglist stats` on what outsiders tried: who is waiting at the window's
end, windows with no pathway or shorter than a week, NHS numbers as group names, dates in the future,
and the footnote worded from the window actually used."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.waitinglist import stats
from stocktake.waitinglist.stats import NHSRWAITINGLIST, STOCKTAKE, WindowError

runner = CliRunner()


def _days(values) -> np.ndarray:
    return np.array([v or "NaT" for v in values], dtype="datetime64[D]")


def _run(*args) -> tuple[int, str]:
    result = runner.invoke(app, ["waitinglist", *map(str, args)])
    return result.exit_code, " ".join(result.output.split())


# --- 1. only those referred by the end and not removed by it are waiting ---------------------------

#: Referred 1, 10, 20 January and 1 February 2024; removed 15 January, never, 5 and 10 February.
LIST = (
    ["2024-01-01", "2024-01-10", "2024-01-20", "2024-02-01"],
    ["2024-01-15", None, "2024-02-05", "2024-02-10"],
)


@pytest.mark.parametrize(("convention", "unit"), [(STOCKTAKE, 7), (NHSRWAITINGLIST, 1)])
def test_mean_wait_counts_only_those_waiting_at_the_end(convention, unit):
    """At 25 January, by hand (NHSRwaitinglist's "mean wait" of the patients waiting at the end date):
    the first left on 15 January; the second has waited 15 days, the third 5; the fourth was referred
    on 1 February, after the end, and is not on the list (before, it counted with -7 days).
    Mean (15 + 5) / 2 = 10 days."""
    referrals, removals = (_days(v) for v in LIST)
    got = stats.waiting_list_stats(referrals, removals, 4, "2024-01-01", "2024-01-25", convention)
    assert got.mean_wait == pytest.approx(10 / unit)
    assert got.queue_size == 2  # the same two, counted by the queue-size table
    assert got.pressure == pytest.approx(2 * (10 / unit) / 4)
    assert stats.mean_wait(referrals, removals, "2024-01-25", in_days=True) == pytest.approx(10)


def _warehouse_of(path: Path, frame: pd.DataFrame) -> None:
    """A warehouse at ``path`` whose rtt_pathways is ``frame``."""
    with duckdb.connect(str(path)) as con:
        con.register("incoming", frame)
        con.execute("CREATE TABLE rtt_pathways AS SELECT * FROM incoming")


def _warehouse_pathways(path: Path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.execute("SELECT clock_start, clock_stop FROM rtt_pathways").fetch_df()
    return frame.assign(
        clock_start=pd.to_datetime(frame["clock_start"]), clock_stop=pd.to_datetime(frame["clock_stop"])
    )


def test_the_demo_departments_mean_wait_at_an_earlier_end_is_the_waiting_lists(demo_warehouse):
    """An --end inside the data (the outsider's case: -2.30 weeks on the demo). Checked against the list
    counted with pandas: referred by the end, not stopped by it; their waits' mean in weeks."""
    pathways = _warehouse_pathways(demo_warehouse)
    end = pathways["clock_start"].min() + (pathways["clock_start"].max() - pathways["clock_start"].min()) / 2
    end = end.normalize()
    start = end - pd.Timedelta(days=stats.RECENT_DAYS)
    waiting = (pathways["clock_start"] <= end) & (
        pathways["clock_stop"].isna() | (pathways["clock_stop"] > end)
    )
    assert (pathways["clock_start"] > end).sum() > 100  # many referred after the end: the case that broke
    want = ((end - pathways.loc[waiting, "clock_start"]).dt.days / 7).mean()
    ((_, got),) = stats.stats_by_group(pathways, None, 18.0, start.to_datetime64(), end.to_datetime64())
    assert got.mean_wait == pytest.approx(want) and got.mean_wait > 0
    assert got.queue_size == waiting.sum()
    assert got.pressure == pytest.approx(2 * want / 18)


# --- 2. windows with no pathway in them, or shorter than a week ------------------------------------


def test_a_window_that_ends_before_it_starts_is_named_with_the_datas_dates():
    referrals, removals = (_days(v) for v in LIST)
    with pytest.raises(WindowError) as error:
        stats.check_window(referrals, removals, end="2020-01-01")
    assert str(error.value) == (
        "the window 2024-01-01 to 2020-01-01 ends before it starts, so no pathway is in it; the pathways "
        "run from 2024-01-01 to 2024-02-10"
    )
    with pytest.raises(WindowError, match=r"^the window 2030-01-01 to 2024-02-01 ends before it starts"):
        stats.check_window(referrals, removals, start="2030-01-01")


def test_a_window_holding_no_pathway_is_refused():
    """Window 1-31 March: every pathway was removed before it began (the second on 31 January)."""
    referrals, removals = _days(LIST[0]), _days(["2024-01-15", "2024-01-31", "2024-02-05", "2024-02-10"])
    with pytest.raises(WindowError) as error:
        stats.check_window(referrals, removals, "2024-03-01", "2024-03-31")
    assert str(error.value) == (
        "no pathway in the window 2024-03-01 to 2024-03-31; the pathways run from 2024-01-01 to 2024-02-10"
    )
    # a pathway removed on the window's first day is in it
    assert stats.check_window(referrals, removals, "2024-02-10", "2024-02-20") == (
        np.datetime64("2024-02-10"),
        np.datetime64("2024-02-20"),
    )


@pytest.mark.parametrize(
    ("start", "end", "days"), [("2024-01-20", "2024-01-20", 0), ("2024-01-20", "2024-01-26", 6)]
)
def test_a_window_shorter_than_a_week_is_refused(start, end, days):
    """A one-day window gave a capacity of inf and a negative wait: the statistics are weekly."""
    referrals, removals = (_days(v) for v in LIST)
    for call in (
        lambda: stats.check_window(referrals, removals, start, end),
        lambda: stats.waiting_list_stats(referrals, removals, 4, start, end),
    ):
        with pytest.raises(WindowError) as error:
            call()
        assert str(error.value).startswith(f"the window {start} to {end} is {days} day")
        assert "the statistics are per week" in str(error.value) and "at least 7 days" in str(error.value)
    # a week is enough: one referral (20 January) in 20-27 January
    assert stats.waiting_list_stats(referrals, removals, 4, "2024-01-20", "2024-01-27").count_demand == 1


def test_the_statistics_carry_their_window():
    referrals, removals = (_days(v) for v in LIST)
    got = stats.waiting_list_stats(referrals, removals, 4, "2024-01-01", "2024-01-25")
    assert (got.window_start, got.window_end) == ("2024-01-01", "2024-01-25")


# --- through the command ---------------------------------------------------------------------------


def _pathways_csv(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / "pathways.csv"
    pd.DataFrame(rows, columns=["clock_start", "clock_stop", "consultant"]).to_csv(path, index=False)
    return path


def _steady_rows() -> list[tuple[str, str, str]]:
    """60 pathways, one every 3 days from 1 January 2024, each waiting 30 days (the last ten still
    waiting), consultants A and B alternately."""
    rows = []
    for i in range(60):
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=3 * i)
        stop = "" if i >= 50 else str((start + pd.Timedelta(days=30)).date())
        rows.append((str(start.date()), stop, "Ms A" if i % 2 else "Mr B"))
    return rows


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--end", "2020-01-01"],
            "ends before it starts, so no pathway is in it; the pathways run from 2024-01-01 to",
        ),
        (["--start", "2030-01-01"], "--start 2030-01-01: after the data, which run to 2024-06-26"),
        (["--start", "2024-03-01", "--end", "2024-02-01"], "the window 2024-03-01 to 2024-02-01 ends before"),
        (["--start", "2024-06-01", "--end", "2024-06-01"], "is 0 days long; the statistics are per week"),
        # pandas reads 01/02/2024 as 2 January; a UK reader means 1 February: neither is guessed
        (["--start", "01/02/2024"], "--start '01/02/2024': not a date (YYYY-MM-DD)"),
    ],
)
def test_the_command_refuses_a_window_in_one_line_and_writes_nothing(tmp_path, args, expected):
    pathways = _pathways_csv(tmp_path, _steady_rows())
    out = tmp_path / "stats.csv"
    code, text = _run("stats", pathways, *args, "--out", out)
    assert code == 2, text
    assert expected in text and text.count("error:") == 1
    assert "Traceback" not in text and "IndexError" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pathways.csv"]


def test_the_command_refuses_a_warehouse_window_with_no_pathway(tmp_path, demo_warehouse):
    out = tmp_path / "stats.csv"
    code, text = _run("stats", "--warehouse", demo_warehouse, "--end", "2010-06-30", "--out", out)
    assert code == 2, text
    assert re.search(
        r"no pathway in the window 2009-07-01 to 2010-06-30; the pathways run from \S+ to \S+", text
    )
    assert not out.exists()


# --- 3. an NHS number typed as a group's name ------------------------------------------------------


@pytest.mark.parametrize("written", ["9434765919", "9.434765919E+09", "9,434,765,919"])
def test_an_nhs_number_as_a_consultant_is_never_printed_or_written(tmp_path, written):
    """However it is written: `9.434765919E+09` (as Excel writes it) was printed and written whole."""
    rows = _steady_rows()
    rows[7] = (rows[7][0], rows[7][1], written)
    rows[9] = (rows[9][0], rows[9][1], "Dr 943 476 5919")
    pathways = _pathways_csv(tmp_path, rows)
    out = tmp_path / "stats.csv"
    result = runner.invoke(
        app, ["waitinglist", "stats", str(pathways), "--by", "consultant", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = out.read_text()
    for text in (result.output, written):
        assert not re.search(r"9434765919|943\s*476\s*5919|9\.434765919E", text)
    written = pd.read_csv(out)
    assert len(written) == 4 and {"Ms A", "Mr B"} <= set(written["group"])
    # the two groups of one pathway each are blanked, with a complement so they add to 8 or more
    hidden = written[written["suppressed"]]
    assert len(hidden) >= 3 and hidden["count_demand"].isna().all() and hidden["mean_wait"].isna().all()
    shown = written[~written["suppressed"]]
    assert not shown["count_demand"].between(1, 7).any() and not shown["queue_size"].between(1, 7).any()
    assert "blanked and flagged in the suppressed column" in " ".join(result.output.split())
    raw = tmp_path / "raw.csv"
    again = runner.invoke(
        app, ["waitinglist", "stats", str(pathways), "--by", "consultant", "--no-suppress", "--out", str(raw)]
    )
    assert again.exit_code == 0 and pd.read_csv(raw)["count_demand"].between(1, 7).any()
    assert (pd.read_csv(raw)["small_numbers"] == "1-7 shown (--no-suppress): for use inside the trust").all()
    assert "small_numbers" not in written.columns
    assert "not suppressed here (--no-suppress)" in " ".join(again.output.split())
    assert not re.search(r"9434765919|943\s*476\s*5919", again.output + raw.read_text())


@pytest.mark.parametrize("written", ["9434765918", "485 777 3456", "4857773456", "94347659190", "943476591"])
def test_a_mistyped_nhs_number_as_a_consultant_is_masked_too(tmp_path, written):
    """An outside check: one digit off (the check digit fails), an NHS number was printed whole."""
    rows = _steady_rows()
    rows[7] = (rows[7][0], rows[7][1], written)
    pathways = _pathways_csv(tmp_path, rows)
    out = tmp_path / "stats.csv"
    result = runner.invoke(
        app, ["waitinglist", "stats", str(pathways), "--by", "consultant", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    digits = written.replace(" ", "")
    for text in (result.output, out.read_text()):
        assert not re.search(r"\s?".join(digits[3:]), text)
    assert f"{digits[:3]}*******" in out.read_text() or f"{written[:3]}" in out.read_text()


def test_a_blank_priority_in_a_csv_is_a_row_of_its_own_as_from_the_warehouse(tmp_path):
    """An outside check: a real export's non-admitted pathways have no priority, and `stats --by
    priority` on the CSV was refused on its first blank, where the guide promises "(not recorded)"."""
    rows = _steady_rows()
    table = pd.DataFrame(rows, columns=["clock_start", "clock_stop", "consultant"])
    table["priority"] = ["P3", "P2", ""] * 20
    path = tmp_path / "pathways.csv"
    table.drop(columns="consultant").to_csv(path, index=False)
    whole, by = tmp_path / "whole.csv", tmp_path / "by.csv"
    assert runner.invoke(app, ["waitinglist", "stats", str(path), "--out", str(whole)]).exit_code == 0
    result = runner.invoke(
        app, ["waitinglist", "stats", str(path), "--by", "priority", "--no-suppress", "--out", str(by)]
    )
    assert result.exit_code == 0, result.output
    rows_by = pd.read_csv(by).set_index("group")
    assert set(rows_by.index) == {"P2", "P3", "(not recorded)"}
    assert rows_by["queue_size"].sum() == pd.read_csv(whole)["queue_size"].iloc[0] == 10
    assert rows_by.loc["(not recorded)", "queue_size"] == 3  # the waiting ten: every third blank
    table.loc[5, "priority"] = "urgent"  # a priority written otherwise is still refused, named
    table.drop(columns="consultant").to_csv(path, index=False)
    refused = runner.invoke(app, ["waitinglist", "stats", str(path), "--by", "priority"])
    assert refused.exit_code == 2 and "line 7, priority: 'urgent'" in refused.output
    table.loc[5, "priority"] = "9434765918"  # an NHS number, its check digit wrong, where a priority goes
    table.drop(columns="consultant").to_csv(path, index=False)
    refused = runner.invoke(app, ["waitinglist", "stats", str(path), "--by", "priority"])
    assert refused.exit_code == 2 and "line 7, priority: '943*******'" in refused.output


# --- 4. a clock start or stop in the future ---------------------------------------------------------


@pytest.mark.parametrize(("row", "column"), [(0, "clock_start"), (1, "clock_stop")])
def test_a_date_in_the_future_is_refused_by_line_and_column(tmp_path, row, column):
    rows = _steady_rows()
    # a clock start typed as 2999 (later than any clock stop: also caught if stops were checked first)
    rows[row + 4] = (
        ("2999-01-01", "", "Ms A") if column == "clock_start" else (rows[row + 4][0], "2999-01-01", "Ms A")
    )
    pathways = _pathways_csv(tmp_path, rows)
    out = tmp_path / "stats.csv"
    code, text = _run("stats", pathways, "--out", out)
    assert code == 2, text
    assert f"line {row + 6}, {column}: 2999-01-01 is in the future" in text
    assert not out.exists()


def test_a_warehouse_with_a_date_in_the_future_is_refused(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    frame = pd.DataFrame(_steady_rows(), columns=["clock_start", "clock_stop", "consultant"])
    frame.loc[3, "clock_start"] = "2999-01-01"
    frame = frame.assign(
        clock_start=pd.to_datetime(frame["clock_start"]).dt.date,
        clock_stop=pd.to_datetime(frame["clock_stop"].replace("", None)).dt.date,
        status=np.where(frame["clock_stop"] == "", "waiting", "treated"),
        priority="P2",
        procedure_group="hip",
    ).drop(columns="consultant")
    _warehouse_of(warehouse, frame)
    out = tmp_path / "stats.csv"
    code, text = _run("stats", "--warehouse", warehouse, "--out", out)
    assert code == 2, text
    assert "rtt_pathways: 1 pathway has a clock_start in the future (2999-01-01)" in text
    assert not out.exists()


# --- 5. the footnote worded from the window used -----------------------------------------------------


def test_the_footnote_names_the_window_given(tmp_path, demo_warehouse):
    code, text = _run("stats", "--warehouse", demo_warehouse, "--end", "2023-03-31")
    assert code == 0, text
    assert "statistics over the year to --end, 2022-04-01 to 2023-03-31 (--start for another window)" in text
    assert "the list's latest date" not in text
    code, text = _run("stats", "--warehouse", demo_warehouse, "--start", "2023-01-01", "--end", "2023-03-31")
    assert "statistics over 2023-01-01 to 2023-03-31" in text and "the year to" not in text


def test_the_footnote_names_the_default_windows(tmp_path, demo_warehouse):
    code, text = _run("stats", "--warehouse", demo_warehouse)
    assert code == 0, text
    assert re.search(
        r"statistics over the year to the end of the list's last complete month, as the page "
        r"counts it, \S+ to \S+ \(--start for",
        text,
    )
    pathways = _pathways_csv(tmp_path, _steady_rows())
    code, text = _run("stats", pathways)
    assert "statistics over 2024-01-01 to 2024-06-26 (the first to the last clock start" in text


def test_a_warehouses_default_window_ends_where_the_pages_list_does(tmp_path):
    """The page counts the list at the end of its last complete month; the command had ended its year at
    the last clock start, then at the latest date: two figures for one list (outside checks). The steady
    list's last start is 26 June 2024 and pathway 50 of 60 is made to stop on 27 June, so the last
    complete month is May. On 31 May, by hand: referred by then are pathways 1-51 (the 51st on 30 May),
    stopped by then those referred by 1 May (1-41); waiting, 42-51: ten."""
    rows = _steady_rows()
    rows[49] = (rows[49][0], "2024-06-27", rows[49][2])
    path = tmp_path / "warehouse.duckdb"
    frame = pd.DataFrame(
        {
            "clock_start": pd.to_datetime([r[0] for r in rows]),
            "clock_stop": pd.to_datetime([r[1] or None for r in rows]),
            "status": ["closed" if r[1] else "open" for r in rows],
        }
    )
    _warehouse_of(path, frame)
    out = tmp_path / "stats.csv"
    code, text = _run("stats", "--warehouse", path, "--out", out)
    assert code == 0, text
    row = pd.read_csv(out).iloc[0]
    assert (row["window_start"], row["window_end"], row["queue_size"]) == ("2023-06-02", "2024-05-31", 10)
    assert "the year to the end of the list's last complete month, as the page counts it, 2023-06-02" in text


@pytest.mark.parametrize(
    ("warehouse", "start", "end", "why"),
    [
        (
            True,
            False,
            False,
            "statistics over the year to the end of the list's last complete month, as the page counts "
            "it, A to B",
        ),
        (True, False, True, "statistics over the year to --end, A to B (--start for another window)"),
        (True, True, False, "statistics over A to B"),
        (False, True, True, "statistics over A to B"),
        (False, True, False, "statistics over A to B (to the last clock start; --end for another)"),
        (False, False, True, "statistics over A to B (from the first clock start; --start for another)"),
        (False, False, False, "statistics over A to B (the first to the last clock start, NHSRwaitinglist's"),
    ],
)
def test_the_window_is_worded_for_each_way_it_is_chosen(warehouse, start, end, why):
    note = stats.window_note("A", "B", warehouse, start, end)
    assert note.startswith(why)
    assert ("(" in note) != bool(start and (end or warehouse))  # a window given is said as it is


@pytest.mark.parametrize("args", [["--start", "2030-01-01", "--end", "2030-06-30"], ["--end", "2030-01-01"]])
def test_a_window_after_the_data_is_refused(demo_warehouse, tmp_path, args):
    """Demand 0 and a mean wait of 79 weeks had been given for a window after the warehouse's data."""
    out = tmp_path / "stats.csv"
    code, text = _run("stats", "--warehouse", demo_warehouse, *args, "--out", out)
    assert code == 2 and re.search(r"after the data, which run to \d{4}-\d\d-\d\d", text), text
    assert not out.exists()


def test_pathways_loaded_without_a_priority_are_counted_under_the_groups(tmp_path):
    """Pathways may be loaded with no priority (ADRs 59, 60). The steady list's 60 pathways, every fifth
    of the first fifty (closed) without one: ten, all in the year to the latest date, had been in no
    priority's column, the count said only with --no-suppress. They are a row of their own."""
    rows = _steady_rows()
    path = tmp_path / "warehouse.duckdb"
    frame = pd.DataFrame(
        {
            "clock_start": pd.to_datetime([r[0] for r in rows]),
            "clock_stop": pd.to_datetime([r[1] or None for r in rows]),
            "status": ["treated" if r[1] else "waiting" for r in rows],
            "priority": [None if i < 50 and i % 5 == 0 else ("P3", "P4")[i % 2] for i in range(len(rows))],
        }
    )
    _warehouse_of(path, frame)
    whole, by = tmp_path / "whole.csv", tmp_path / "by.csv"
    code, text = _run("stats", "--warehouse", path, "--out", whole)
    assert code == 0 and "no priority recorded" not in text, text
    code, text = _run("stats", "--warehouse", path, "--by", "priority", "--out", by)
    assert code == 0, text
    assert "(not recorded): the window's pathways with no priority recorded" in " ".join(text.split())
    assert list(pd.read_csv(by)["group"]) == ["P3", "P4", "(not recorded)"]  # hidden: queues of 1-7
    code, text = _run("stats", "--warehouse", path, "--by", "priority", "--no-suppress", "--out", by)
    rows, list_ = pd.read_csv(by).set_index("group"), pd.read_csv(whole).iloc[0]
    assert list(rows.index) == ["P3", "P4", "(not recorded)"]
    assert rows.loc["(not recorded)", "count_demand"] == 10  # the ten, all referred in the window
    # the rows add up to the whole list: no pathway is in none of them (ADR 60)
    assert rows["count_demand"].sum() == list_["count_demand"]
    assert rows["queue_size"].sum() == list_["queue_size"]


def test_a_few_pathways_with_no_priority_are_a_hidden_cell_the_groups_do_not_give_away(tmp_path):
    """Three treated pathways with no priority (one of them a blank text, which had ended in a
    traceback): 3 is 1-7, so like a group of 3 it is a cell never shown, and a group must be hidden with
    it, or the whole list's queue and demand less the groups' would give it back (a reviewer's check)."""
    rows = _steady_rows()
    priority = [("P3", "P4")[i % 2] for i in range(len(rows))]
    for i, blank in ((0, None), (5, ""), (10, None)):  # closed pathways
        priority[i] = blank
    frame = pd.DataFrame(
        {
            "clock_start": pd.to_datetime([r[0] for r in rows]),
            "clock_stop": pd.to_datetime([r[1] or None for r in rows]),
            "status": ["treated" if r[1] else "waiting" for r in rows],
            "priority": priority,
        }
    )
    path = tmp_path / "warehouse.duckdb"
    _warehouse_of(path, frame)
    out = tmp_path / "stats.csv"
    code, text = _run("stats", "--warehouse", path, "--by", "priority", "--out", out)
    assert code == 0 and "Traceback" not in text, text
    shown = pd.read_csv(out).set_index("group")
    assert list(shown.index) == ["P3", "P4", "(not recorded)"] and shown["suppressed"].sum() >= 2
    assert shown.loc["(not recorded)", "suppressed"] and pd.isna(shown.loc["(not recorded)", "count_demand"])
    code, text = _run("stats", "--warehouse", path, "--by", "priority", "--no-suppress", "--out", out)
    shown = pd.read_csv(out).set_index("group")
    assert shown.loc["(not recorded)", "count_demand"] == 3 and not shown["count_demand"].isna().any()


def test_dates_as_exports_write_them_lines_skipped_and_priorities_in_any_case(tmp_path):
    """An outside check: Excel's UK dates (27/11/2024), a database's '2024-11-27 00:00:00', a blank
    line and 'p2' were each refused by `stats`, where `project` reads its own file's kinds."""
    rows = _steady_rows()
    iso = pd.DataFrame(rows, columns=["clock_start", "clock_stop", "consultant"])
    iso["priority"] = ["P2", "P3"] * 30
    written = iso.copy()
    day_first = lambda d: "" if d == "" else pd.Timestamp(d).strftime("%d/%m/%Y")  # noqa: E731
    written["clock_start"] = [
        day_first(d) if i % 2 else f"{d} 00:00:00" for i, d in enumerate(iso["clock_start"])
    ]
    written["clock_stop"] = iso["clock_stop"].map(day_first)
    written["priority"] = ["p2", " P3 "] * 30
    lines = written.to_csv(index=False).splitlines()
    messy = tmp_path / "messy.csv"
    messy.write_text("\n".join([*lines[:11], ",,,", *lines[11:]]) + "\n")
    plain = tmp_path / "plain.csv"
    iso.to_csv(plain, index=False)
    outs = []
    for path in (plain, messy):
        out = tmp_path / f"{path.stem}-out.csv"
        result = runner.invoke(
            app, ["waitinglist", "stats", str(path), "--by", "priority", "--no-suppress", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        outs.append(pd.read_csv(out).drop(columns="small_numbers", errors="ignore"))
    pd.testing.assert_frame_equal(outs[0], outs[1])
    # a month-first (US) column is read so only where its days past the 12th settle it (as an
    # extract's are); where nothing settles it, a date that reads two ways is refused, named
    us = iso.copy()
    us["clock_start"] = [pd.Timestamp(d).strftime("%m/%d/%Y") for d in iso["clock_start"]]
    us.to_csv(plain, index=False)
    out = tmp_path / "us-out.csv"
    args = ["waitinglist", "stats", str(plain), "--by", "priority", "--no-suppress", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(out).drop(columns="small_numbers"), outs[0])
    # and how each column was read is said, as the extracts' reader says its guesses (a recheck: a
    # start read day first beside a stop read month first went unsaid)
    said = " ".join(runner.invoke(app, args).output.split())
    assert "dates not written YYYY-MM-DD read: clock_start month first (as in the US)" in said
    us.loc[us["clock_start"].str[3:5].astype(int) > 12, "clock_start"] = "01/02/2024"
    us.to_csv(plain, index=False)
    refused = runner.invoke(app, ["waitinglist", "stats", str(plain)])
    assert refused.exit_code == 2 and "could be" in refused.output and "YYYY-MM-DD" in refused.output
    # the line numbers count the blank line: line 14 is the 12th pathway
    written.loc[11, "clock_start"] = "someday"
    lines = written.to_csv(index=False).splitlines()
    messy.write_text("\n".join([*lines[:11], ",,,", *lines[11:]]) + "\n")
    refused = runner.invoke(app, ["waitinglist", "stats", str(messy)])
    assert refused.exit_code == 2 and "line 14, clock_start: 'someday' is not a date" in refused.output
    # a month with no day is no clock date (a recheck: 2024-06 had been read as the 1st, unsaid)
    for month in ("2024-06", "Jun-24"):
        written.loc[11, "clock_start"] = month
        lines = written.to_csv(index=False).splitlines()
        messy.write_text("\n".join([*lines[:11], ",,,", *lines[11:]]) + "\n")
        refused = runner.invoke(app, ["waitinglist", "stats", str(messy)])
        assert refused.exit_code == 2
        assert f"line 14, clock_start: '{month}' is a month, not a day" in refused.output


def _same_stats_by_consultant(tmp_path: Path, plain: Path, other: Path) -> None:
    """`stats --by consultant` gives the same table from ``other`` as from ``plain`` (the file as
    pandas writes it): the other is read as written."""
    outs = []
    for path in (plain, other):
        out = tmp_path / f"{path.stem}-out.csv"
        result = runner.invoke(
            app, ["waitinglist", "stats", str(path), "--by", "consultant", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        outs.append(pd.read_csv(out))
    pd.testing.assert_frame_equal(outs[0], outs[1])


def test_rows_ending_in_a_comma_are_read_and_a_note_past_the_header_refused(tmp_path):
    """An outside check: every row ending in a comma made pandas take the first column as the index,
    every column shifted left, and `stats` crashed. Read now; but a note in the first row beyond the
    header had then let a later "Smith, J" through, shifted (a procedure group "J"): any non-blank cell
    past the header is refused, whichever row it is on."""
    table = pd.DataFrame(_steady_rows(), columns=["clock_start", "clock_stop", "consultant"])
    plain, trailing = tmp_path / "plain.csv", tmp_path / "trailing.csv"
    table.to_csv(plain, index=False)
    lines = table.to_csv(index=False).splitlines()
    trailing.write_text("\n".join([lines[0], *(f"{line}," for line in lines[1:])]) + "\n")
    _same_stats_by_consultant(tmp_path, plain, trailing)
    noted = tmp_path / "noted.csv"
    names = [*lines[1:6], f"{lines[6].rsplit(',', 1)[0]},Smith, J", *lines[7:]]
    noted.write_text("\n".join([lines[0], f"{names[0]},checked by AB", *names[1:]]) + "\n")
    refused = runner.invoke(app, ["waitinglist", "stats", str(noted), "--by", "consultant"])
    assert refused.exit_code == 2
    assert "line 2: 4 cells where the header has 3" in " ".join(refused.output.split())
    noted.write_text("\n".join([lines[0], *names]) + "\n")  # without the note: the name's line
    refused = runner.invoke(app, ["waitinglist", "stats", str(noted), "--by", "consultant"])
    assert refused.exit_code == 2 and "line 7: 4 cells where the header has 3" in " ".join(
        refused.output.split()
    )


def test_a_column_named_twice_in_another_case_is_refused(tmp_path):
    """A recheck: `priority` beside `Priority` read one and ignored the other, unsaid."""
    path = tmp_path / "twice.csv"
    path.write_text("clock_start,clock_stop,priority,Priority\n2024-01-01,,P2,P3\n")
    refused = runner.invoke(app, ["waitinglist", "stats", str(path), "--by", "priority"])
    assert refused.exit_code == 2
    assert "more than one column named 'Priority' (columns 3 and 4, in any case)" in refused.output


def test_a_file_with_line_ends_of_cr_alone_is_read_and_two_digit_years_are_said(tmp_path):
    """A last check: a Mac's old "CSV (Macintosh)" (lines ended by CR alone) crashed with the csv
    module's traceback; and 24/03/04 read as 24 March 2004 was said only as "day first"."""
    table = pd.DataFrame(_steady_rows(), columns=["clock_start", "clock_stop", "consultant"])
    plain, mac = tmp_path / "plain.csv", tmp_path / "mac.csv"
    table.to_csv(plain, index=False)
    mac.write_bytes(plain.read_bytes().replace(b"\n", b"\r"))
    _same_stats_by_consultant(tmp_path, plain, mac)
    table.loc[0, "clock_start"] = "13/01/24"
    table.to_csv(plain, index=False)
    said = " ".join(runner.invoke(app, ["waitinglist", "stats", str(plain)]).output.split())
    assert "clock_start day first (as in the UK), two-digit years 00–68 as 2000–2068" in said
