"""A monthly history checked as a person wrote it, or counted from pathways: every refusal names the
line and what is wrong."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from synthetic_histories import synthetic

from stocktake.waitinglist.history import HistoryError, history_from_pathways, history_from_table
from stocktake.waitinglist.projection import (
    fit,
    project,
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(index=10), "line 12: month 2010-12 follows 2010-10; the history has a gap"),
        (  # two months swapped: not a gap, and --since would throw the history away
            lambda t: t.iloc[[*range(10), 11, 10, *range(12, len(t))]],
            "line 12: month 2010-12 follows 2010-10, and 2010-11 is on line 13; sort by month",
        ),
        (  # a typo in one stop column's name would have dropped that flow
            lambda t: t.rename(columns={"clock_stops_admitted": "clock_stops_admited"}),
            "no column clock_stops_admitted beside clock_stops_non_admitted: give both, or their sum",
        ),
        (lambda t: pd.concat([t.iloc[:6], t.iloc[5:]]), "line 8: month 2010-06 is repeated (also line 7)"),
        (
            lambda t: t.assign(clock_stops_admitted=t["clock_stops_admitted"].where(t.index != 4, -3)),
            "line 6, clock_stops_admitted: '-3.0'; a count of pathways is a whole number, 0 to 1,000,000,000",
        ),
        (lambda t: t.iloc[:27], "27 months of history; the projection needs at least 28"),
        (
            lambda t: t.assign(waiting=t["waiting"].astype(object).where(t.index != 2, "")),
            "line 4, waiting: blank",
        ),
        (
            lambda t: t.assign(month=t["month"].where(t.index != 0, "Q1 2010")),
            "line 2: month 'Q1 2010' is not a month (like 2024-04, Apr-24, April 2024",
        ),
        (  # an extra three digits typed in one month
            lambda t: t.assign(waiting=t["waiting"].where(t.index != 20, t["waiting"] * 1000)),
            "line 22, waiting: ",
        ),
        (  # a month's stops left 0 in a copy-paste
            lambda t: t.assign(clock_stops_admitted=t["clock_stops_admitted"].where(t.index != 9, 0)),
            "line 11, clock_stops_admitted: 0 against ",
        ),
        (
            lambda t: t.assign(waiting=t["waiting"].where(t.index != 0, 0)),
            "line 2, waiting: 0; the projection",
        ),
        (  # the origin itself, the month every projected month starts from
            lambda t: t.assign(waiting=t["waiting"].where(t.index != 39, t["waiting"] * 10)),
            "line 41, waiting: ",
        ),
        (
            lambda t: t.assign(waiting=t["waiting"].where(t.index != 0, t["waiting"] // 10)),
            "line 2, waiting: ",
        ),
        (  # an outside check: an extra digit in the origin's admitted stops, read as 2.5 million moved in
            lambda t: t.assign(
                clock_stops_admitted=t["clock_stops_admitted"].where(
                    t.index != 39, t["clock_stops_admitted"] * 10
                )
            ),
            "line 41, clock_stops_admitted: ",
        ),
        (
            lambda t: t.assign(waiting=t["waiting"].astype(object).where(t.index != 5, "5" + "0" * 18)),
            "a whole number, 0 to 1,000,000,000",
        ),
        (  # a spreadsheet's "General" format: 6,527,149 saved as three figures
            lambda t: t.assign(waiting=t["waiting"].astype(object).where(t.index != 7, "6.53E+06")),
            "line 9, waiting: '6.53E+06' is in scientific notation, which a spreadsheet writes when it "
            "rounds a count",
        ),
        (  # float() reads 6_527_149; a person did not write it
            lambda t: t.assign(clock_starts=t["clock_starts"].astype(object).where(t.index != 3, "6_527")),
            "line 5, clock_starts: '6_527' is not a count (a whole number, 0 or more, in the digits 0-9",
        ),
        (  # grouped in twos, or with full stops: not thousands as this file writes them
            lambda t: t.assign(waiting=t["waiting"].astype(object).where(t.index != 4, "65,27,149")),
            "line 6, waiting: '65,27,149' is not a count",
        ),
        (  # four thousand as a semicolon file writes it: read as 4 by the other reader's rule before
            lambda t: t.assign(clock_starts=t["clock_starts"].astype(object).where(t.index != 6, "4.000")),
            "line 8, clock_starts: '4.000' groups its thousands with full stops or spaces",
        ),
        (  # digits of another script: read here and refused by the returns' reader, before
            lambda t: t.assign(waiting=t["waiting"].astype(object).where(t.index != 2, "\uff16\uff15\uff12")),
            "in the digits 0-9",
        ),
    ],
    ids=[
        "gap",
        "swapped",
        "stop-column-misspelt",
        "repeated",
        "negative",
        "too-few",
        "blank-list",
        "bad-month",
        "typo",
        "zero-month",
        "empty",
        "typo-at-origin",
        "typo-first",
        "flow-typo-at-origin",
        "overflow",
        "scientific",
        "underscores",
        "odd-grouping",
        "dot-grouping",
        "full-width",
    ],
)
def test_bad_histories_are_named_by_line(change, message):
    table = change(synthetic(40)).reset_index(drop=True)
    with pytest.raises(HistoryError, match=re.escape(message)):
        history_from_table(table, source="h.csv")


def test_blank_clock_starts_are_allowed():
    table = synthetic(40)
    table.loc[:20, "clock_starts"] = np.nan
    history = history_from_table(table)
    assert np.isnan(history.clock_starts[:21]).all()
    assert fit(history).clock_starts is None  # 19 known months: too few for their seasons


def test_monthly_flows_from_pathways_by_hand():
    """Four pathways, extract to 31 March 2024. January: A starts, B (from December) is treated.
    February: C starts, A is removed. March: D starts; C is treated. Waiting at each month's end:
    January {A}, February {C}, March {D}."""
    pathways = pd.DataFrame(
        {
            "clock_start": pd.to_datetime(["2024-01-10", "2023-12-01", "2024-02-03", "2024-03-31"]),
            "clock_stop": pd.to_datetime(["2024-02-20", "2024-01-15", "2024-03-05", None]),
            "status": ["removed", "treated", "treated", "waiting"],
        }
    )
    table = history_from_pathways(pathways)
    assert table.to_dict("list") == {
        "month": ["2024-01", "2024-02", "2024-03"],
        "waiting": [1, 1, 1],
        "clock_starts": [1, 1, 1],
        "clock_stops": [1, 0, 1],
        "other_removals": [0, 1, 0],
    }
    # Extract ending mid-month: March is incomplete and left out.
    cut = pathways.assign(
        clock_start=pathways["clock_start"].where(pathways.index != 3, pd.Timestamp("2024-03-30"))
    )
    assert list(history_from_pathways(cut)["month"]) == ["2024-01", "2024-02"]


def test_a_list_halved_in_its_last_month_is_projected_not_refused():
    """A validation exercise halves the list at the origin: real, so projected (the typo rule is 3×).
    So are the origin's flows fallen to a third or less (England's in April 2020)."""
    table = synthetic(40)
    table.loc[39, "waiting"] = table.loc[39, "waiting"] // 2
    assert project(history_from_table(table), 6).table()["waiting"].iloc[0] > 0
    table.loc[39, "clock_stops_admitted"] = table.loc[38, "clock_stops_admitted"] // 4
    assert project(history_from_table(table), 6).table()["waiting"].iloc[0] > 0


def test_a_month_as_it_was_is_not_refused_as_a_typo():
    """An outside check: a real one-off month (a strike, a cyber attack: admitted stops to a quarter)
    was refused as a typo with no way through, and a small list's last month the same."""
    table = synthetic(48)
    dip = table.assign(
        clock_stops_admitted=table["clock_stops_admitted"].where(
            table.index != 30, table["clock_stops_admitted"] // 4
        )
    )
    month = pd.Period(table["month"].iloc[30], "M")
    with pytest.raises(HistoryError, match=f"line 32, clock_stops_admitted: .*give --not-a-typo {month}"):
        history_from_table(dip)
    kept = history_from_table(dip, as_recorded=frozenset({month}))
    assert kept.stops["clock_stops_admitted"][30] == dip["clock_stops_admitted"].iloc[30]
    last = table.assign(waiting=table["waiting"].where(table.index != 47, table["waiting"] // 10))
    with pytest.raises(HistoryError, match=f"give --not-a-typo {table['month'].iloc[47]}"):
        history_from_table(last)
    assert history_from_table(last, as_recorded=frozenset({pd.Period(table["month"].iloc[47], "M")}))
    with pytest.raises(HistoryError):  # another month given leaves this one refused
        history_from_table(dip, as_recorded=frozenset({month + 1}))
    with pytest.raises(HistoryError, match="--not-a-typo 2019-01: not a month of the history"):
        history_from_table(dip, as_recorded=frozenset({month, pd.Period("2019-01", "M")}))


def test_a_totals_row_and_a_list_without_stops_are_told_what_to_do():
    """An outside check: "month 'Total' is not a month" and "no column clock_stops_admitted,
    clock_stops_non_admitted" left the reader to guess the remedy."""
    table = synthetic(36)
    totals = pd.concat([table, pd.DataFrame([{"month": "Grand total", "waiting": 1}])], ignore_index=True)
    with pytest.raises(
        HistoryError, match=r"line 38: month 'Grand total' is not a month .*a totals row: delete it"
    ):
        history_from_table(totals)
    with pytest.raises(HistoryError, match=r"\(or the two stops' sum, clock_stops\)"):
        history_from_table(table[["month", "waiting"]])


def test_a_month_written_month_and_year_in_numbers_is_read():
    """A recheck: `03/2026`, a common UK way to write a month, was refused (in a file and an option)."""
    from stocktake.periods import history_month

    assert [str(history_month(t)) for t in ("03/2026", "3/2026", " 12/2025 ")] == [
        "2026-03",
        "2026-03",
        "2025-12",
    ]
    assert history_month("13/2026") is None
    table = synthetic(36)
    written = table.assign(month=pd.PeriodIndex(table["month"], freq="M").strftime("%m/%Y"))
    assert list(history_from_table(written).months) == list(history_from_table(table).months)


def test_a_second_header_and_a_long_cell_are_named_and_cut():
    """A recheck: `cat` of two histories said "month 'month' is not a month"; 3,000 characters were
    echoed whole."""
    table = synthetic(40).astype(object)
    joined = pd.concat([table.iloc[:30], pd.DataFrame([{c: c for c in table.columns}]), table.iloc[30:]])
    with pytest.raises(
        HistoryError, match=r"h.csv, line 32: the header again, so this file joins two histories"
    ):
        history_from_table(joined.reset_index(drop=True), source="h.csv")
    for column in ("month", "waiting"):
        long = table.assign(**{column: table[column].where(table.index != 3, "7" * 3000)})
        with pytest.raises(HistoryError) as error:
            history_from_table(long, source="h.csv")
        assert "7" * 40 + "…" in str(error.value) and len(str(error.value)) < 400
