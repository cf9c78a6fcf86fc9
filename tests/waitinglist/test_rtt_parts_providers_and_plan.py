"""RTT returns and the plan on what outsiders tried: a return missing parts, two providers in one
file, and the plan's lists repeated for any month after the theatre history (and refused before it
or too far on)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.files.theatre import REPEAT_MONTHS, _month_lists
from stocktake.files.waitinglist import WaitingListInputError
from stocktake.waitinglist.rtt_return import RttReturnError, parse_rtt_return

RBD = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "rtt" / "rtt_provider_2024_11_RBD.csv"
runner = CliRunner()


def _table() -> pd.DataFrame:
    return pd.read_csv(RBD, dtype=str, keep_default_na=False)


def _weeks(tmp_path: Path, table: pd.DataFrame, *args: str):
    path = tmp_path / "return.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "proj.csv"
    result = runner.invoke(app, ["waitinglist", "weeks", str(path), "--out", str(out), *args])
    return result, " ".join(result.output.split()), out


# --- a return missing parts ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["weeks", "capacity"])
def test_a_treatment_function_with_no_line_of_a_part_in_a_whole_return_takes_it_as_0(tmp_path, command):
    """An outside check: the published return has no Part_1A line for C_430 (no admitted completions
    that month; empty lines are left out), and both commands refused it: "give the whole return"."""
    target = ["--target-pct", "65", "--by", "2025-09"] if command == "capacity" else []
    result = runner.invoke(app, ["waitinglist", command, str(RBD), "--treatment-function", "C_430", *target])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        "no Part_1A lines for C_430 in 2024-11 (completed admitted pathways, so no admitted treatments): "
        "none published, taken as 0" in said
    )
    assert "MISSING" not in said


def _weeks_two(tmp_path: Path, october: pd.DataFrame, november: pd.DataFrame, *args: str):
    """October's and November's returns (the fixture's November, relabelled for October)."""
    paths = [tmp_path / "october.csv", tmp_path / "november.csv"]
    october.assign(Period="RTT-October-2024").to_csv(paths[0], index=False)
    november.to_csv(paths[1], index=False)
    out = tmp_path / "proj.csv"
    result = runner.invoke(app, ["waitinglist", "weeks", *map(str, paths), "--out", str(out), *args])
    return result, " ".join(result.output.split()), out


def test_a_month_of_only_the_list_says_it_has_no_referrals_or_treatments(tmp_path):
    """Only Part_2 lines in October: the list is there, but no clock starts (Part_3) and no
    completions (1A, 1B), which the projection took as 0 without a word; November's are averaged."""
    table = _table()
    result, text, out = _weeks_two(tmp_path, table[table["RTT Part Type"] == "Part_2"], table)
    assert result.exit_code == 0, result.output
    assert "MISSING for C_999: Part_1A (completed admitted pathways, so no admitted treatments)" in text
    assert "Part_1B (completed non-admitted pathways, so no non-admitted treatments)" in text
    assert "Part_3 (new RTT periods, so no referrals) in 2024-10: left out of the monthly averages" in text
    assert out.exists()


def test_a_month_missing_only_the_clock_starts_names_only_them(tmp_path):
    table = _table()
    result, text, _ = _weeks_two(tmp_path, table[table["RTT Part Type"] != "Part_3"], table)
    assert result.exit_code == 0, result.output
    assert "MISSING for C_999: Part_3 (new RTT periods, so no referrals) in 2024-10" in text
    assert "Part_1A" not in text and "Part_1B" not in text


@pytest.mark.parametrize(
    ("left_out", "said"),
    [
        (
            ("Part_3",),
            "no Part_3 lines at all in {path}, the 2024-11 return (new RTT periods, so no referrals)",
        ),
        (
            ("Part_1A", "Part_1B"),
            "no Part_1A or Part_1B lines at all in {path}, the 2024-11 return (completed admitted",
        ),
    ],
)
@pytest.mark.parametrize("command", ["weeks", "capacity"])
def test_a_single_return_missing_a_flow_is_refused(tmp_path, left_out, said, command):
    """An outsider's single return without its Part_3 lines: referrals taken as 0 emptied the list
    by August and `capacity` answered "met without extra capacity"; without Part_1A/1B, treatments 0
    and 113.6 extra a week (43.2 with the whole return). With no other month to average, refused."""
    table = _table()
    path = tmp_path / "return.csv"
    table[~table["RTT Part Type"].isin(left_out)].to_csv(path, index=False)
    out = tmp_path / "out.csv"
    target = ["--target-pct", "65", "--by", "2025-09"] if command == "capacity" else []
    result = runner.invoke(
        app,
        ["waitinglist", command, str(path), "--treatment-function", "110", *target, "--out", str(out)],
    )
    assert result.exit_code == 2, result.output
    assert said.format(path=path) in " ".join(result.output.split())  # the file named (an outside check)
    assert not out.exists()


def test_the_whole_return_carries_no_warning(tmp_path):
    result, text, _ = _weeks(tmp_path, _table())
    assert result.exit_code == 0, result.output
    assert "MISSING" not in text


def test_a_return_without_the_list_is_refused_and_nothing_written(tmp_path):
    table = _table()
    result, text, out = _weeks(tmp_path, table[~table["RTT Part Type"].isin(["Part_2", "Part_2A"])])
    assert result.exit_code == 2
    assert (
        "the 2024-11 return has no Part_2 (incomplete pathways) lines for C_999: that part is the waiting "
        "list itself, so there is no list to project" in text
    )
    assert not out.exists()


def test_a_treatment_function_without_its_list_is_refused(tmp_path):
    """Part_2 present for other treatment functions but not the one asked for: still no list."""
    table = _table()
    table = table[~((table["RTT Part Type"] == "Part_2") & (table["Treatment Function Code"] == "C_110"))]
    result, text, _ = _weeks(tmp_path, table, "--treatment-function", "C_110")
    assert result.exit_code == 2
    assert "no Part_2 (incomplete pathways) lines for C_110" in text


def test_capacity_refuses_a_return_without_the_list(tmp_path):
    table = _table()
    path = tmp_path / "return.csv"
    table[table["RTT Part Type"] == "Part_3"].to_csv(path, index=False)
    result = runner.invoke(
        app, ["waitinglist", "capacity", str(path), "--target-pct", "70", "--by", "2025-09"]
    )
    assert result.exit_code == 2
    assert "no Part_2 (incomplete pathways) lines" in " ".join(result.output.split())


# --- two providers --------------------------------------------------------------------------------


def test_two_providers_in_one_return_are_refused_by_name():
    table = _table()
    other = table[table["RTT Part Type"] == "Part_2"].head(3).copy()
    other["Provider Org Code"] = "RA7"
    with pytest.raises(RttReturnError) as error:
        parse_rtt_return(pd.concat([table, other], ignore_index=True), "r.csv")
    message = str(error.value)
    assert message.startswith("r.csv: holds the returns of 2 providers (RA7 (3 lines), RBD (512 lines))")
    assert message.endswith("the model is one provider's list: give --provider CODE to keep one")
    assert "\n" not in message


def test_the_provider_kept_reads_as_its_own_return():
    """RBD's lines kept from a file holding another provider's too: the same return as RBD's alone."""
    table = _table()
    other = table.copy()
    other["Provider Org Code"] = "RA7"
    counted = [c for c in other.columns if c.startswith("Gt ") or c in ("Total", "Total All")]
    other[counted] = other[counted].map(lambda v: str(2 * int(float(v))) if v.strip() else v)  # its own
    both = pd.concat([other.head(40), table, other.tail(10)], ignore_index=True)
    kept = parse_rtt_return(both, "r.csv", provider="RBD")
    alone = parse_rtt_return(table, "r.csv")
    assert kept.providers == ("RBD",) and len(kept.lines) == 512
    pd.testing.assert_frame_equal(kept.lines, alone.lines)
    np.testing.assert_array_equal(kept.bands, alone.bands)  # NaN (Part_3) where NaN
    assert kept.total("Part_2") == alone.total("Part_2")
    with pytest.raises(
        RttReturnError, match=r"r.csv: has no lines of provider 'RX1' \(it holds RA7 \(50 lines\)"
    ):
        parse_rtt_return(both, "r.csv", provider="RX1")


def test_the_command_keeps_the_provider_given(tmp_path):
    table = _table()
    other = table.head(2).copy()
    other["Provider Org Code"] = "RA7"
    _, alone_text, _ = _weeks(tmp_path, table)
    kept, kept_text, _ = _weeks(tmp_path, pd.concat([table, other]), "--provider", "RBD")
    assert kept.exit_code == 0, kept.output
    assert kept_text == alone_text


def test_the_command_refuses_two_providers_and_writes_nothing(tmp_path):
    table = _table()
    other = table.head(2).copy()
    other["Provider Org Code"] = "RA7"
    result, text, out = _weeks(tmp_path, pd.concat([table, other]))
    assert result.exit_code == 2
    assert "holds the returns of 2 providers (RA7 (2 lines), RBD (512 lines))" in text
    assert "give --provider CODE to keep one" in text
    assert not out.exists()


# --- the plan's lists for months after the history -------------------------------------------------


def _sessions() -> pd.DataFrame:
    """Four weeks of lists, Mondays and Thursdays 2 to 26 September 2024, one emergency list."""
    days = pd.to_datetime(["2024-09-02", "2024-09-05", "2024-09-09", "2024-09-12"])
    days = days.append(days + pd.Timedelta(days=14))
    rows = [
        {"session_id": f"S{i}", "date": d, "surgeon": "A", "minutes": 240.0, "site": "X", "theatre": "T1"}
        | {"session_type": "elective" if d.dayofweek == 0 else "day_case"}
        for i, d in enumerate(days)
    ]
    rows.append(
        rows[0] | {"session_id": "E", "session_type": "emergency", "date": pd.Timestamp("2024-09-20")}
    )
    return pd.DataFrame(rows)


#: The Monday and Thursday bank holidays of the months below, from gov.uk's published list.
MONDAY_OR_THURSDAY_HOLIDAYS = {
    pd.Timestamp("2025-08-25"): "Summer bank holiday 25 August",
    pd.Timestamp("2026-01-01"): "New Year's Day 1 January",
    pd.Timestamp("2025-12-25"): "Christmas Day 25 December",
}


def _expected_dates(month: str) -> list[pd.Timestamp]:
    """The lists' weekdays (Monday, Thursday) through the month, worked from the calendar: the
    pattern repeats every 28 days, and here every week, so each Monday and Thursday of the month
    that is not a bank holiday."""
    days = pd.period_range(pd.Period(month, "M").start_time, pd.Period(month, "M").end_time, freq="D")
    days = [d.to_timestamp() for d in days if d.dayofweek in (0, 3)]
    return [d for d in days if d not in MONDAY_OR_THURSDAY_HOLIDAYS]


@pytest.mark.parametrize("month", ["2024-10", "2025-08", "2025-09", "2026-01", "2026-09", "2025-12"])
def test_the_latest_four_weeks_repeat_in_any_month_after_the_history(month):
    """Before, 2025-09 onwards had no lists (eleven shifts of four weeks only); and a repeated list
    fell on Christmas week's bank holidays, booking patients on a day the theatres are shut."""
    lists, source = _month_lists(_sessions(), pd.Period(month, "M"))
    assert sorted(pd.Timestamp(t.date) for t in lists) == _expected_dates(month)
    assert {t.session_type for t in lists} == {"elective", "day_case"}
    said = f"no lists booked in {month}: the four weeks to 2024-09-26 repeated ({len(lists)} lists)"
    holidays = [words for day, words in MONDAY_OR_THURSDAY_HOLIDAYS.items() if day.strftime("%Y-%m") == month]
    if holidays:
        said += f"; 1 on bank holidays left out: {holidays[0]}"
    assert source == said
    assert len({t.list_id for t in lists}) == len(lists)


def test_a_bank_holiday_moved_from_the_weekend_is_named_so():
    sessions = _sessions().assign(date=lambda t: t["date"] + pd.Timedelta(days=364))  # same weekdays, 2025
    lists, source = _month_lists(sessions, pd.Period("2026-12", "M"))
    assert pd.Timestamp("2026-12-28") not in {pd.Timestamp(t.date) for t in lists}
    assert pd.Timestamp("2026-12-31") in {pd.Timestamp(t.date) for t in lists}  # a Thursday, not a holiday
    assert source.endswith("; 1 on bank holidays left out: Boxing Day (substitute day) 28 December")


def test_a_months_own_booked_lists_are_kept_on_a_bank_holiday():
    """A list the department booked on a bank holiday is its decision (an extra Easter Monday list)."""
    sessions = _sessions()
    sessions.loc[0, "date"] = pd.Timestamp("2024-08-26")  # Late Summer Bank Holiday
    lists, source = _month_lists(sessions, pd.Period("2024-08", "M"))
    assert [t.date.isoformat() for t in lists] == ["2024-08-26"] and "bank holiday" not in source


def test_a_month_with_its_own_lists_uses_them():
    lists, source = _month_lists(_sessions(), pd.Period("2024-09", "M"))
    assert len(lists) == 8 and source == "the 8 elective and day-case lists booked in 2024-09"


def test_a_month_before_the_history_is_refused():
    with pytest.raises(WaitingListInputError) as error:
        _month_lists(_sessions(), pd.Period("2024-08", "M"))
    assert str(error.value) == (
        "2024-08 is before the theatre history: the elective and day-case lists run from 2024-09-02 to "
        "2024-09-26"
    )


def test_a_month_beyond_the_horizon_is_refused():
    last = pd.Period("2024-09", "M")
    _month_lists(_sessions(), last + REPEAT_MONTHS)  # the last month planned
    with pytest.raises(WaitingListInputError, match=r"^2026-10 is more than 24 months after the theatre"):
        _month_lists(_sessions(), last + REPEAT_MONTHS + 1)


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2030-01", "2030-01 is more than 24 months after the theatre history (the elective and day-case"),
        ("2000-01", "2000-01 is before the theatre history: the elective and day-case lists run from"),
    ],
)
def test_the_plan_command_names_a_month_outside_the_history(demo_warehouse, tmp_path, month, expected):
    out = tmp_path / "plan.xlsx"
    result = runner.invoke(
        app, ["waitinglist", "plan", "--warehouse", str(demo_warehouse), "--month", month, "--out", str(out)]
    )
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert expected in text and text.count("error:") == 1
    assert "no elective or day-case lists to plan" not in text and "no done cases" not in text
    assert not out.exists()


def test_a_plan_well_after_the_pathways_says_how_old_its_list_is(demo_warehouse, tmp_path):
    """The demo's pathways are recorded to Friday 2023-09-29: a plan for 2024-03 books from a list five
    months old; a plan for October, from a list that reaches the last working day before it."""
    args = ["waitinglist", "plan", "--warehouse", str(demo_warehouse), "--out", str(tmp_path / "plan.xlsx")]
    args += ["--seconds", "1"]  # the words about the list's age, not the plan's quality
    later = runner.invoke(app, [*args, "--month", "2024-03"])
    assert later.exit_code == 0, later.output
    text = " ".join(later.output.split())
    assert "The waiting list is as recorded to 2023-09-29, 154 days before the month" in text
    waiting = pd.read_excel(tmp_path / "plan.xlsx", sheet_name="about").set_index("item")["value"]
    assert waiting["waiting, planned"].endswith("on 2023-09-29, as recorded")  # not "at the month's start"
    assert waiting["The waiting list is as recorded to 2023-09-29, 154 days before the month"]
    assert "waiting on 2023-09-29, as recorded" in text
    current = runner.invoke(app, [*args, "--month", "2023-10"])
    assert current.exit_code == 0, current.output
    assert "as recorded to" not in current.output and "waiting at the start of 2023-10" in current.output


def test_a_usual_list_day_without_lists_takes_its_weekdays_latest_lists():
    """A history ending just after Easter (no list on Easter Monday, 1 April 2024) had its gap repeated
    every four weeks, onto Monday 24 June; the empty Monday now takes the lists of the Monday before
    (25 March) in the pattern, and the line says so."""
    days = pd.date_range("2024-02-05", "2024-04-04", freq="D")
    days = [d for d in days if d.dayofweek in (0, 3) and d != pd.Timestamp("2024-04-01")]
    rows = [
        {"session_id": f"S{i}", "date": d, "surgeon": "A", "minutes": 240.0, "site": "X", "theatre": "T1"}
        | {"session_type": "elective"}
        for i, d in enumerate(days)
    ]
    lists, source = _month_lists(pd.DataFrame(rows), pd.Period("2024-06", "M"))
    expected = [d for d in pd.date_range("2024-06-01", "2024-06-30") if d.dayofweek in (0, 3)]  # no holidays
    assert sorted(pd.Timestamp(t.date) for t in lists) == expected
    assert source == (
        "no lists booked in 2024-06: the four weeks to 2024-04-04 repeated (8 lists); 1 usual list day "
        "of them without lists (a bank holiday, a closure, not yet booked) took their weekday's latest "
        "lists: 1 April"
    )
    assert len({t.list_id for t in lists}) == len(lists)


def test_lists_held_on_a_bank_holiday_are_repeated_as_held():
    """Five weeks of history with lists on Easter Monday: the four weeks are repeated as held, the
    Monday's lists onto an ordinary June Monday."""
    days = [d for d in pd.date_range("2024-03-04", "2024-04-04") if d.dayofweek in (0, 3)]
    rows = [
        {"session_id": f"S{i}", "date": d, "surgeon": "A", "minutes": 240.0, "site": "X", "theatre": "T1"}
        | {"session_type": "elective"}
        for i, d in enumerate(days)
    ]
    lists, source = _month_lists(pd.DataFrame(rows), pd.Period("2024-06", "M"))
    assert source == "no lists booked in 2024-06: the four weeks to 2024-04-04 repeated (8 lists)"
    assert len(lists) == 8


def test_a_month_booked_in_part_names_its_usual_days_without_lists():
    """A theatre manager's December: only the first week booked, so the plan filled those lists and
    left 47 patients to breach without a word. The days that usually have lists (Mondays and
    Thursdays here) and have none booked are named, bank holidays aside."""
    from stocktake.waitinglist.list_pattern import day_runs, unbooked_days

    sessions = _sessions()
    october = sessions.iloc[:2].assign(
        session_id=["O1", "O2"], date=pd.to_datetime(["2024-10-07", "2024-10-10"])
    )
    days = tuple(d for _, d in unbooked_days(pd.concat([sessions, october]), pd.Period("2024-10", "M")))
    assert [d.isoformat() for d in days] == [
        "2024-10-03", "2024-10-14", "2024-10-17", "2024-10-21", "2024-10-24", "2024-10-28", "2024-10-31"
    ]  # fmt: skip
    assert day_runs(days) == "3, 14, 17, 21, 24, 28 and 31 October"
    booked = _expected_dates("2024-10")  # every Monday and Thursday of October
    whole = sessions.iloc[[0] * len(booked)].assign(
        session_id=[f"O{i}" for i in range(len(booked))], date=booked
    )
    assert unbooked_days(pd.concat([sessions, whole]), pd.Period("2024-10", "M")) == ()
    assert unbooked_days(sessions, pd.Period("2024-11", "M")) == ()  # nothing booked: repeated instead


def test_day_runs_by_hand():
    from datetime import date

    from stocktake.waitinglist.list_pattern import day_runs

    december = [date(2026, 12, d) for d in (7, 8, 9, 10, 11, 14, 15, 29)]
    assert day_runs(tuple(december)) == "7–11, 14–15 and 29 December"
    assert day_runs((date(2026, 12, 31), date(2027, 1, 1))) == "31 December, 1 January"


def _weekday_lists(first: str, last: str, skip=(), weekdays=(0, 1, 2, 3, 4)) -> pd.DataFrame:
    """Two lists every chosen weekday from ``first`` to ``last``, none on the days in ``skip``."""
    skip = {pd.Timestamp(d) for d in skip}
    days = [d for d in pd.date_range(first, last) if d.dayofweek in weekdays and d not in skip]
    return pd.DataFrame(
        [
            {"session_id": f"S{d:%Y%m%d}{k}", "date": d, "surgeon": "A", "minutes": 240.0}
            | {"site": "X", "theatre": f"T{k}", "session_type": "elective"}
            for d in days
            for k in (1, 2)
        ]
    )


def _weekdays_less_holidays(month: str) -> int:
    from stocktake.bank_holidays import bank_holidays

    period = pd.Period(month, "M")
    days = pd.date_range(period.start_time, period.end_time.normalize())
    off = bank_holidays(days[0].date(), days[-1].date())
    return sum(d.dayofweek < 5 and d.date() not in off for d in days)


@pytest.mark.parametrize(
    ("last", "skip", "month"),
    [
        # a month-end extract in late May: Easter, Early May and Spring bank holidays all in the weeks
        ("2026-05-29", ("2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25"), "2026-06"),
        ("2026-06-19", ("2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25"), "2026-07"),
        # a Christmas shutdown, then three ordinary weeks
        ("2026-01-27", [d for d in pd.date_range("2025-12-22", "2026-01-02")], "2026-02"),
        # a fortnight's closure in October
        ("2025-10-31", [d for d in pd.date_range("2025-10-13", "2025-10-24")], "2025-11"),
    ],
    ids=["late-may", "mid-june", "christmas-shutdown", "closure"],
)
def test_every_usual_list_day_of_a_repeated_month_gets_its_lists(last, skip, month):
    """A theatre manager's second look: these histories repeated their gaps onto ordinary days (June
    lost 36 lists of 264, November half its lists) without a word."""
    lists, source = _month_lists(_weekday_lists("2025-09-01", last, skip), pd.Period(month, "M"))
    assert len(lists) == 2 * _weekdays_less_holidays(month), source
    assert "took their weekday's latest lists" in source


def test_lists_every_other_week_or_one_saturday_are_not_usual_days():
    """Fortnightly Wednesday lists and a single Saturday list had made a fully booked month's
    Wednesdays and Saturdays "days that usually have lists" but none booked."""
    from stocktake.waitinglist.list_pattern import unbooked_days, usual_weekdays

    weeks = _weekday_lists("2025-09-01", "2025-12-31", weekdays=(0, 1, 3, 4))
    wednesdays = _weekday_lists("2025-09-03", "2025-12-31", weekdays=(2,))
    fortnightly = wednesdays[((wednesdays["date"] - pd.Timestamp("2025-09-03")).dt.days // 7) % 2 == 0]
    saturday = _weekday_lists("2025-11-22", "2025-11-22", weekdays=(5,))
    sessions = pd.concat([weeks, fortnightly, saturday])
    assert usual_weekdays(sessions["date"], pd.Timestamp("2025-11-30")) == {0, 1, 3, 4}
    assert unbooked_days(sessions, pd.Period("2025-12", "M")) == ()


@pytest.mark.parametrize(
    ("first", "last", "month"),
    [
        ("2025-12-01", "2025-12-31", "2026-01"),
        ("2025-12-01", "2026-01-09", "2026-02"),
        ("2025-12-01", "2025-12-31", "2026-03"),
    ],
)
def test_a_short_history_over_christmas_repeats_no_gap(first, last, month):
    """Histories of four to six weeks over Christmas had repeated Christmas onto late January, and
    February, silently."""
    skip = ("2025-12-25", "2025-12-26", "2026-01-01")
    lists, source = _month_lists(_weekday_lists(first, last, skip), pd.Period(month, "M"))
    assert len(lists) == 2 * _weekdays_less_holidays(month), source


def test_a_two_week_history_repeats_into_a_whole_month():
    """A third look: two weeks of lists repeated as "four weeks" left 1–11 and 28–30 September empty.
    The days before the history starts take their weekday's earliest lists, and are named."""
    lists, source = _month_lists(_weekday_lists("2026-08-17", "2026-08-28"), pd.Period("2026-09", "M"))
    assert len(lists) == 2 * _weekdays_less_holidays("2026-09"), source
    assert "10 usual list days of them without lists" in source and "31 July–14 August" not in source


def test_a_site_closed_for_a_fortnight_is_filled_site_by_site_and_named():
    """Riverside shut for its last fortnight while Westfield ran: the department-wide rule saw every
    day held and repeated Riverside's closure onto 14–25 September. The days are named as the closed
    site's, not as the department's."""
    riverside = _weekday_lists("2026-06-01", "2026-08-28", skip=pd.date_range("2026-08-17", "2026-08-28"))
    westfield = _weekday_lists("2026-06-01", "2026-08-28").assign(
        site="W", session_id=lambda t: t["session_id"] + "w"
    )
    lists, source = _month_lists(pd.concat([riverside, westfield]), pd.Period("2026-09", "M"))
    assert len(lists) == 4 * _weekdays_less_holidays("2026-09"), source
    assert "took their weekday's latest lists: X 17–21 and 24–28 August" in source


def test_a_one_off_saturday_is_not_repeated():
    """Five lists on one Saturday in the four weeks were repeated every fourth Saturday."""
    weeks = _weekday_lists("2026-06-01", "2026-08-28")
    saturday = _weekday_lists("2026-08-22", "2026-08-22", weekdays=(5,))
    lists, source = _month_lists(pd.concat([weeks, saturday]), pd.Period("2026-09", "M"))
    assert all(t.date.weekday() < 5 for t in lists)
    odd = "lists on an odd day not repeated (a weekday with lists on under a quarter of its days)"
    assert source.endswith(f"{odd}: Saturday 22 August")


def test_a_month_with_one_site_booked_names_the_other_sites_days():
    """A theatre manager's second look: only Westfield's lists booked for December, and no caution;
    Riverside's usual days are now named, by site."""
    from stocktake.waitinglist.list_pattern import filled_words, unbooked_days

    riverside = _weekday_lists("2025-09-01", "2025-11-28")
    westfield = _weekday_lists("2025-09-01", "2025-12-31", skip=("2025-12-25", "2025-12-26")).assign(
        site="W", session_id=lambda t: t["session_id"] + "w"
    )
    days = unbooked_days(pd.concat([riverside, westfield]), pd.Period("2025-12", "M"))
    assert {site for site, _ in days} == {"X"}
    assert len(days) == _weekdays_less_holidays("2025-12")
    assert filled_words(days) == "1–5, 8–12, 15–19, 22–24 and 29–31 December"
    assert filled_words(days, frozenset({"X", "W"})) == "X 1–5, 8–12, 15–19, 22–24 and 29–31 December"
    assert filled_words(days, frozenset({"X"})) == "1–5, 8–12, 15–19, 22–24 and 29–31 December"
    first = days[0][1]
    assert filled_words((("X", first), ("W", first))) == "1 December"  # the same days at both
    assert filled_words((("X", first), ("W", first)), frozenset({"X", "W"})) == "1 December"
    assert filled_words((("X", first), ("W", days[1][1]))) == "W 2 December, X 1 December"


def test_cases_per_list_says_how_many_lists_a_week_the_department_runs(demo_warehouse):
    """A clinical director read "48.5 extra theatre lists a week" with nothing to set it beside: the
    source now says the lists run a week, counted here from the warehouse over the same 13 weeks."""
    import duckdb

    from stocktake.files.theatre import cases_per_list

    _, source = cases_per_list(demo_warehouse)
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        first, last, lists = con.execute(
            "SELECT min(date), max(date), count(*) FROM theatre_sessions "
            "WHERE session_type IN ('elective', 'day_case') "
            "AND date > (SELECT max(date) FROM theatre_sessions "
            "WHERE session_type IN ('elective', 'day_case')) - INTERVAL 13 WEEK"
        ).fetchone()
    a_week = lists / 13
    said = f"{lists:,} elective and day-case lists ({a_week:.0f} a week), {first.date()} … {last.date()}"
    assert said in source
    assert 50 <= a_week <= 65  # the demo's 12 planned lists a weekday, less its bank holidays


def test_recent_lists_by_hand():
    """Three elective lists in the 13 weeks (one over-runs, one has no times), a trauma list and an
    elective list from before the window; a case cancelled on the day on the over-running list."""
    from stocktake.files.theatre import _sessions, recent_lists

    def session(i, day, kind):
        return (f"S{i}", f"{day} 08:00", f"{day} 13:00", day, kind)

    sessions = _sessions(
        pd.DataFrame(
            [
                session(1, "2025-03-03", "elective"),
                session(2, "2025-03-10", "Day case"),
                session(3, "2025-03-17", "elective"),
                session(4, "2025-03-17", "trauma"),
                session(5, "2025-01-02", "elective"),  # within 13 weeks of 17 March
                session(6, "2024-06-03", "elective"),
            ],
            columns=["session_id", "planned_start", "planned_end", "date", "session_type"],
        )
    )
    cases = pd.DataFrame(
        {
            "session_id": ["S1", "S1", "S1", "S2", "S2", "S3", "S4", "S5", "S6"],
            "cancelled_on_day": [False, False, True, None, False, False, False, False, False],
            "out_of_theatre_at": [
                "2025-03-03 10:00",
                "2025-03-03 13:20",  # past the planned end: S1 over-ran
                "2025-03-03 14:00",  # cancelled: not a case, and not an over-run
                "2025-03-10 11:00",
                "2025-03-10 12:55",
                None,  # S3: no times
                "2025-03-17 18:00",  # trauma: not a planned list
                "2025-01-02 12:00",
                "2024-06-03 15:00",  # before the 13 weeks
            ],
        }
    )
    found = recent_lists(sessions, cases)
    # S1, S2, S3 and S5: 2 + 2 + 1 + 1 cases
    assert (found.lists, found.cases, found.overran, found.timed) == (4, 6, 1, 3)
    assert (found.first, found.last, found.cases_a_list) == (date(2025, 1, 2), date(2025, 3, 17), 1.5)
    assert recent_lists(sessions[sessions["session_type"] == "trauma"], cases) is None
