"""Capacity for a target: hand-worked lists needing exactly k extra a week, and answers re-checked by
projecting again with them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.files.rtt import read_rtt_returns, weeks_inputs_from_returns
from stocktake.waitinglist.capacity import (
    CapacityAnswer,
    WaitTarget,
    capacity_by_start,
    capacity_for_target,
    extra_by_month,
    projection_with,
)
from stocktake.waitinglist.weeks_waited import RenegeCapacityParams, WaitingList, project

RBD = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "rtt" / "rtt_provider_2024_11_RBD.csv"
runner = CliRunner()
#: No reneging and no present capacity: only the extra treatments move anyone.
STILL = RenegeCapacityParams(renege=(0.0,) * 25, capacity=(0.0,) * 25)


def _list(month: str, **bands: float) -> WaitingList:
    counts = np.zeros(105)
    for band, n in bands.items():
        counts[int(band.removeprefix("w"))] = n
    return WaitingList.from_week_bands(pd.Period(month), counts)


def test_no_52_week_waiters_needs_exactly_this_many_a_week():
    """590 people already past 60 weeks at the end of December, nobody else, no referrals. Extra
    treatments from January go to them first; by the end of February (31 + 28 days = 59/7 weeks)
    u × 59/7 of them are treated. "No 52-week waiters" is fewer than half a person left, so
    u = (590 − 0.5) × 7 / 59 = 69.94 a week: said as the least tenth that does it, 70.0."""
    origin = _list("2025-12", w60=590)
    target = WaitTarget(pd.Period("2026-02"), no_52_week_waiters=True)
    answer = capacity_for_target(
        origin, [0, 0], [0, 0], STILL, target, pd.Period("2026-01"), cases_per_list=3.5
    )
    assert answer.extra_per_week == math.ceil(589.5 * 7 / 59 * 10) / 10 == 70.0
    assert answer.whole_cases_per_week == 70
    assert answer.lists_per_week == pytest.approx(answer.extra_per_week / 3.5)
    assert answer.baseline == pytest.approx(590)
    # Starting a month later, February alone (4 weeks) must do it all.
    late = capacity_for_target(origin, [0, 0], [0, 0], STILL, target, pd.Period("2026-02"))
    assert late.extra_per_week == math.ceil(589.5 / 4 * 10) / 10 == 147.4


def test_pct_within_18_weeks_needs_exactly_this_many_a_week():
    """100 waiting 2–3 weeks and 100 waiting 30–31 weeks; January (31 days) moves them to about 7 and
    35 weeks. 75% within 18 weeks needs 100 / (200 − x) ≥ 0.75: x = 66.67 of the long waiters
    treated, u = 66.67 × 7 / 31 = 15.05 a week: 15.1 to a tenth, treating 15.1 × 31 / 7 of them."""
    origin = _list("2025-12", w2=100, w30=100)
    target = WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=75)
    answer = capacity_for_target(origin, [0], [0], STILL, target, pd.Period("2026-01"))
    assert answer.extra_per_week == math.ceil((200 - 400 / 3) * 7 / 31 * 10) / 10 == 15.1
    assert answer.achieved == pytest.approx(100 * 100 / (200 - 15.1 * 31 / 7), abs=0.01)
    assert answer.baseline == pytest.approx(50)


def test_a_target_already_met_needs_nothing_and_a_start_after_the_target_is_refused():
    origin = _list("2025-12", w2=100)
    met = capacity_for_target(
        origin, [0], [0], STILL, WaitTarget(pd.Period("2026-01"), 90), pd.Period("2026-01")
    )
    assert met.extra_per_week == 0
    with pytest.raises(ValueError, match="start month"):
        capacity_for_target(
            origin, [0], [0], STILL, WaitTarget(pd.Period("2026-01"), 90), pd.Period("2026-02")
        )


def test_the_answer_on_the_real_return_re_projects_onto_the_target():
    """Independent re-check: project again with the answer's uplift and read the target month."""
    inputs = weeks_inputs_from_returns(read_rtt_returns([RBD]), "C_110")
    target = WaitTarget(pd.Period("2025-09"), no_52_week_waiters=True)
    months = (target.by - inputs.origin.month).n
    referrals, capacity = [inputs.referrals] * months, [inputs.capacity] * months
    answers = capacity_by_start(inputs.origin, referrals, capacity, inputs.params, target)
    assert str(answers[0].start) == "2024-12" and len(answers) == months
    needs = [a.extra_per_week for a in answers]
    assert needs == sorted(needs), "starting later never needs less"
    for answer in answers:
        month_list = [inputs.origin.month + k for k in range(1, months + 1)]
        extra = extra_by_month(month_list, answer.start, answer.extra_per_week)
        again = project(inputs.origin, referrals, capacity, inputs.params, extra=extra)
        assert again.steps[-1].waiting_list.summary().over_52_weeks < 0.5
        short = extra_by_month(month_list, answer.start, answer.extra_per_week - 0.1)  # a tenth less
        fewer = project(inputs.origin, referrals, capacity, inputs.params, extra=short)
        assert fewer.steps[-1].waiting_list.summary().over_52_weeks >= 0.5
    shown = projection_with(inputs.origin, referrals, capacity, inputs.params, answers[0])
    assert shown.steps[-1].waiting_list.summary().over_52_weeks < 0.5


def test_the_capacity_command_with_lists_from_the_warehouse(demo_warehouse, tmp_path):
    out = tmp_path / "capacity.csv"
    result = runner.invoke(
        app,
        [
            "waitinglist", "capacity", str(RBD), "--treatment-function", "C_110", "--target-pct", "60",
            "--by", "2025-06", "--warehouse", str(demo_warehouse), "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert list(got["start"]) == [str(p) for p in pd.period_range("2024-12", "2025-06", freq="M")]
    first = got.iloc[0]
    # Lists a week are operations a week (the return's share with a decision to admit, ADR 61) over
    # the department's cases per list (its own theatre measures).
    assert first["admitted_share"] == pytest.approx(1278 / 1881, abs=1e-4)
    assert first["lists_per_week"] == pytest.approx(
        first["extra_per_week"] * first["admitted_share"] / first["cases_per_list"], abs=0.01
    )
    assert 2 < first["cases_per_list"] < 5
    assert (got["with_uplift"] >= 60 - 1e-6).all()
    assert "longest waiters first" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--target-pct", "92"], "--target-pct needs --by YYYY-MM"),
        (["--target-pct", "92", "--by", "2025-13"], "--by '2025-13': not a month (YYYY-MM)"),
        (["--target-pct", "92", "--by", "06/2025"], "--by '06/2025': not a month (YYYY-MM)"),
        (["--target-pct", "120", "--by", "2025-06"], "--target-pct 120: expected more than 0"),
        (
            ["--no-52-week-waiters-by", "2024-10"],
            "the target month 2024-10 is not after the list's month 2024-11",
        ),
        ([], "give --target-pct with --by, or --no-52-week-waiters-by"),
        (
            ["--no-52-week-waiters-by", "2025-06", "--from", "2025-07"],
            "--from 2025-07: expected a month after",
        ),
    ],
)
def test_bad_capacity_questions(args, expected, tmp_path):
    out = tmp_path / "capacity.csv"
    result = runner.invoke(app, ["waitinglist", "capacity", str(RBD), *args, "--out", str(out)])
    assert result.exit_code == 2
    assert expected in " ".join(result.output.split())
    assert not out.exists()


def _capacity_from(warehouse, *args: str):
    return runner.invoke(app, ["waitinglist", "capacity", "--warehouse", str(warehouse), *args])


def test_a_target_already_met_is_said_to_be_met_not_zero_extra(demo_warehouse, tmp_path):
    result = _capacity_from(demo_warehouse, "--target-pct", "10", "--by", "2026-12")
    words = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "10% within 18 weeks by 2026-12" in words and "met without extra capacity (" in words
    assert "% within 18 weeks in 2026-12 at the present referrals and treatments)" in words
    assert "0.0 extra treatments a week" not in words


def test_a_file_given_as_the_warehouse_or_a_folder_as_the_plan_is_named_for_what_it_is(
    demo_warehouse, tmp_path
):
    text = tmp_path / "history.csv"
    text.write_text("month,waiting\n2024-01,5\n")
    result = runner.invoke(app, ["waitinglist", "stats", "--warehouse", str(text)])
    assert result.exit_code == 2 and "not a readable Stocktake warehouse" in " ".join(result.output.split())
    result = runner.invoke(
        app,
        [
            "waitinglist",
            "plan",
            "--warehouse",
            str(demo_warehouse),
            "--month",
            "2025-04",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2 and f"like{tmp_path / 'plan.xlsx'}" in "".join(result.output.split())


def test_a_target_month_years_away_is_refused_not_searched_for_hours(demo_warehouse):
    result = _capacity_from(demo_warehouse, "--target-pct", "92", "--by", "2045-03")
    assert result.exit_code == 2
    assert "is more than 60 months after the list's month" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("extra", "per_list", "lists"), [(12.07, 3.54, 3.5), (7.0, 3.5, 2.0), (7.01, 3.5, 2.1)]
)
def test_the_lists_to_book_are_rounded_up_to_a_tenth(extra, per_list, lists):
    """3.41 lists a week said as 3.4 missed the target by a tenth of a point (an outsider's check)."""
    target = WaitTarget(pd.Period("2026-01", freq="M"), pct_within_18_weeks=92)
    answer = CapacityAnswer(target, pd.Period("2025-01", freq="M"), extra, 80.0, 92.0, per_list)
    assert answer.lists_to_book == lists


def test_every_figure_said_or_written_still_meets_the_target():
    """An analyst's check on the real return: 303.72 a week said as 303.7 reached 64.9987%, and the
    CSV's lists a week at 2 decimals (rounded to the nearest) times cases a list fell short too. Each
    is now rounded up; re-projected with each, every start month reaches 65%."""
    from stocktake.waitinglist.capacity import answers_table

    inputs = weeks_inputs_from_returns(read_rtt_returns([RBD]), "C_110")
    target = WaitTarget(pd.Period("2025-09"), pct_within_18_weeks=65)
    months = (target.by - inputs.origin.month).n
    referrals, capacity = [inputs.referrals] * months, [inputs.capacity] * months
    answers = capacity_by_start(inputs.origin, referrals, capacity, inputs.params, target, cases_per_list=3.5)
    table = answers_table(answers).set_index("start")
    month_list = [inputs.origin.month + k for k in range(1, months + 1)]
    for answer in answers:
        if answer.extra_per_week is None:
            continue
        row = table.loc[str(answer.start)]
        for said in (answer.extra_per_week, row["extra_per_week"], row["lists_per_week"] * 3.5):
            extra = extra_by_month(month_list, answer.start, said)
            again = project(inputs.origin, referrals, capacity, inputs.params, extra=extra)
            assert again.steps[-1].waiting_list.summary().pct_within_18_weeks >= 65, (answer.start, said)


def test_no_52_week_waiters_says_what_counts_as_none():
    """ "with them 0.5" beside a target of none read as a miss: the model's fraction is shown to two
    places and the rule for none said."""
    target = ["--no-52-week-waiters-by", "2025-06"]
    result = runner.invoke(
        app, ["waitinglist", "capacity", str(RBD), "--treatment-function", "C_110", *target]
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    with_them = float(said.split("with them ")[1].split(" ")[0])
    assert with_them < 0.5
    assert "(the model's fraction of a patient: under 0.5 counts as no one)" in said


def test_what_lists_assume_is_said_only_where_lists_are_given(tmp_path):
    """An outsider: capacity from a return (no theatre history) showed an empty "lists a week" column
    and still said what turning treatments into theatre lists assumes."""
    target = ["--target-pct", "65", "--by", "2025-09", "--treatment-function", "C_110"]
    plain = runner.invoke(app, ["waitinglist", "capacity", str(RBD), *target])
    with_lists = runner.invoke(app, ["waitinglist", "capacity", str(RBD), *target, "--cases-per-list", "3.5"])
    assert plain.exit_code == 0 and with_lists.exit_code == 0, plain.output + with_lists.output
    assert "theatre lists count" not in " ".join(plain.output.split())
    assert "theatre lists count only the extra treatments of patients with a decision to admit" in " ".join(
        with_lists.output.split()
    )


def _over_18_weeks_from_the_csv(part: str, treatment_function: str) -> int:
    """The return's waits over 18 weeks for a part, summed from its band columns as published."""
    import csv

    with RBD.open(newline="", encoding="utf-8-sig") as file:
        total = 0.0
        for row in csv.DictReader(file):
            if row["RTT Part Type"] == part and row["Treatment Function Code"] == treatment_function:
                for column, value in row.items():
                    if column.startswith("Gt ") and int(column.split()[1]) >= 18 and value.strip():
                        total += float(value)
    return round(total)


def test_theatre_lists_count_only_the_waiters_with_a_decision_to_admit(tmp_path):
    """A trust's list is admitted and non-admitted pathways; a non-admitted one is treated in clinic.
    Every extra treatment had been turned into theatre lists: for the real return's T&O (C_110), 1.47
    times the lists needed. The share is the return's own Part_2A (incomplete pathways with a decision
    to admit) over 18 weeks, read here from the CSV's columns."""
    decided, waiting = (
        _over_18_weeks_from_the_csv("Part_2A", "C_110"),
        _over_18_weeks_from_the_csv("Part_2", "C_110"),
    )
    assert 0 < decided < waiting
    out = tmp_path / "capacity.csv"
    target = ["--target-pct", "65", "--by", "2025-09", "--treatment-function", "C_110"]
    result = runner.invoke(
        app, ["waitinglist", "capacity", str(RBD), *target, "--cases-per-list", "3.5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        f"({decided / waiting:.0%}; the 2024-11 return's incomplete pathways with a decision to admit)"
        in said
    )
    assert "; for those of them with a decision to admit, " in said
    table = pd.read_csv(out)
    reached = table[table["extra_per_week"] > 0]
    assert len(reached) > 0
    assert np.allclose(reached["admitted_share"], round(decided / waiting, 4))
    expected = reached["extra_per_week"] * decided / waiting / 3.5
    # both rounded up to a hundredth, from the exact uplift and from its rounding: within one step
    assert np.all(np.abs(reached["lists_per_week"] - expected) <= 0.011)
    assert np.all(reached["lists_per_week"] < reached["extra_per_week"] / 3.5 - 0.01)


def test_the_share_with_a_decision_to_admit_from_hand_made_pathways():
    """At June 2024's end: 12 waiting over 18 weeks with a priority, 18 without (non-admitted), 40
    within 18 weeks without one, 9 over 18 weeks whose clocks stopped (not waiting): 12 of 30."""
    from stocktake.waitinglist.capacity import admitted_of_pathways

    end = pd.Timestamp("2024-06-30")
    rows = (
        [(end - pd.Timedelta(days=200), None, "P3")] * 12
        + [(end - pd.Timedelta(days=127), None, None)] * 18
        + [(end - pd.Timedelta(days=126), None, None)] * 40  # 126 days is within 18 weeks
        + [(end - pd.Timedelta(days=300), end - pd.Timedelta(days=5), "P2")] * 9
    )
    pathways = pd.DataFrame(rows, columns=["clock_start", "clock_stop", "priority"])
    found = admitted_of_pathways(pathways, pd.Period("2024-06", freq="M"))
    assert (found.admitted, found.waiting, found.not_admitted) == (12, 30, 18)
    # a month earlier the 9 were still waiting and the 18 not yet over 18 weeks: all 21 over it had a
    # decision to admit, so every extra treatment is an operation, as before (no share to say)
    assert admitted_of_pathways(pathways, pd.Period("2024-05", freq="M")) is None
    # no priority recorded for anyone waiting: the list does not say who needs an operation
    assert admitted_of_pathways(pathways.assign(priority=None), pd.Period("2024-06", freq="M")) is None
    few = admitted_of_pathways(pathways.iloc[7:], pd.Period("2024-06", freq="M"))
    assert (few.admitted, few.waiting) == (5, 23)


def test_an_uplift_beyond_what_the_service_gives_now_is_said_so():
    """An analyst's check: 99% by next month answered "416.7 extra treatments a week" beside a service
    treating some 94 a week, unremarked; a director's: "1.0 times" read as "the same", a 60% jump went
    unremarked, and a hidden answer lost the warning. 409 a month is 94.4 a week."""
    from stocktake.waitinglist.capacity import beyond_present

    assert beyond_present(416.7, 409.0) == (
        "That adds 4.4 times as many to the 94.4 treatments a week the service gives now: a target this "
        "near may not be one to plan for; try a later month"
    )
    assert beyond_present(97.0, 409.0).startswith("That adds 103% to the 94.4 treatments a week")
    assert beyond_present(56.6, 409.0).startswith("That adds 60% to the 94.4")
    assert beyond_present(42.9, 409.0) is None and beyond_present(None, 409.0) is None
    assert beyond_present(10.0, 0.0) is None
    hidden = beyond_present(97.0, 409.0, hidden=True)
    assert hidden.startswith("That adds more than half to the 94.4") and "97" not in hidden


def test_a_warehouse_without_theatre_history_gets_the_answer_in_treatments(demo_warehouse, tmp_path):
    """As the page and the report do: the treatments a week, and why there are no lists (the command
    had refused outright, naming the theatre tables, though --cases-per-list was the way on)."""
    import shutil

    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DROP TABLE theatre_cases")
        con.execute("DROP TABLE theatre_sessions")
    question = ["waitinglist", "capacity", "--warehouse", str(warehouse), "--target-pct", "92", "--by"]
    month = "2024-09"  # a year after the list's month (the demo department's 18 months end in 2023)
    out = tmp_path / "capacity.csv"
    result = runner.invoke(app, [*question, month, "--out", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "extra treatments a week" in said
    assert "not turned into theatre lists" in said and "has no theatre_cases, theatre_sessions" in said
    assert "--cases-per-list" in said
    got = pd.read_csv(out)
    assert got["lists_per_week"].isna().all()
    with_lists = tmp_path / "with_lists.csv"
    result = runner.invoke(app, [*question, month, "--cases-per-list", "3", "--out", str(with_lists)])
    assert result.exit_code == 0, result.output
    given = pd.read_csv(with_lists)
    pd.testing.assert_series_equal(got["extra_per_week"], given["extra_per_week"])
    assert given["lists_per_week"].notna().any()


def test_lists_that_would_give_away_a_few_with_a_decision_to_admit_are_hidden_in_the_export(
    demo_warehouse, tmp_path
):
    """Of those waiting over 18 weeks at the list's month, only 5 have a priority: the lists a week (the
    uplift times 5 over the long waiters, over the cases a list) would give the 5 away."""
    import shutil

    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    long_waiting = (
        "clock_start <= DATE '2023-08-31' - 127 AND (clock_stop IS NULL OR clock_stop > DATE '2023-08-31')"
    )
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"UPDATE rtt_pathways SET priority = NULL WHERE {long_waiting} AND pathway_id NOT IN "
            f"(SELECT pathway_id FROM rtt_pathways WHERE {long_waiting} ORDER BY pathway_id LIMIT 5)"
        )
    out = tmp_path / "capacity.csv"
    result = runner.invoke(
        app,
        [
            "waitinglist",
            "capacity",
            "--warehouse",
            str(warehouse),
            "--target-pct",
            "90",
            "--by",
            "2025-06",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "for those of them with a decision to admit, * extra theatre lists a week" in said
    assert "a share hidden: it would give 1–7 patients away" in said
    table = pd.read_csv(out)
    assert (table["extra_per_week"] > 0).all()
    assert table["lists_per_week"].isna().all() and table["admitted_share"].isna().all()
