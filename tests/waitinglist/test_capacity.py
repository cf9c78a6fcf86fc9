"""Capacity for a target: hand-worked lists needing exactly k extra a week, and answers re-checked by
projecting again with them."""

from __future__ import annotations

import itertools
import math
import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.files.rtt import read_rtt_returns, weeks_inputs_from_returns
from stocktake.metrics.suppression import SHOWN_HERE
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
    # Lists a week are operations a week (the return's share with a decision to admit among the
    # longest waiters reached, ADR 61) over the department's cases per list (its own theatre measures).
    assert 0.68 < first["operations_share"] < 1
    assert first["lists_per_week"] == pytest.approx(
        first["extra_per_week"] * first["operations_share"] / first["cases_per_list"], abs=0.01
    )
    assert 2 < first["cases_per_list"] < 5
    assert (got["with_uplift"] >= 60 - 1e-6).all()
    assert "longest waiters first" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--target-pct", "92"], "--target-pct needs --by YYYY-MM"),
        (
            ["--target-pct", "92", "--by", "2025-13"],
            "--by '2025-13': not a month (like 2024-04, Apr-24 or 04/2024)",
        ),
        (
            ["--target-pct", "92", "--by", "2025/06"],
            "--by '2025/06': not a month (like 2024-04, Apr-24 or 04/2024)",
        ),
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
        assert row["lists_to_book"] == answer.lists_to_book  # the tenth the screen says, in the CSV too
        for said in (answer.extra_per_week, row["extra_per_week"], row["lists_per_week"] * 3.5):
            extra = extra_by_month(month_list, answer.start, said)
            again = project(inputs.origin, referrals, capacity, inputs.params, extra=extra)
            assert again.steps[-1].waiting_list.summary().pct_within_18_weeks >= 65, (answer.start, said)


@pytest.mark.parametrize(
    ("target", "value", "written"),
    [
        (WaitTarget(pd.Period("2026-01"), no_52_week_waiters=True), 0.4999, "0.499"),  # met: not "0.50"
        (WaitTarget(pd.Period("2026-01"), no_52_week_waiters=True), 0.5, "0.50"),  # missed
        (WaitTarget(pd.Period("2026-01"), no_52_week_waiters=True), 1234.567, "1,234.57"),  # nearest
        (WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=92), 72.56, "72.6%"),  # as the tables say
        (WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=49.196), 49.1959, "49.19%"),  # missed
        (WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=49.196), 49.1965, "49.2%"),  # met
        (WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=49.25), 49.25, "49.25%"),  # not "49.2%"
        (WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=92), 91.96, "91.96%"),  # missed: not "92.0%"
        (WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=92), 92.0, "92.0%"),  # met
        (
            WaitTarget(pd.Period("2026-01"), pct_within_18_weeks=92),
            91.99999999999,
            "92.0%",
        ),  # met, as met() says
    ],
)
def test_a_figure_beside_its_target_reads_met_exactly_when_it_is(target, value, written):
    """Outside checks: 0.4999 52-week waiters, met (under half a patient), was shown as "0.50"; then,
    rounded down always, 72.56% was "72.5%" beside the projection table's "72.6%", and 49.1965% beside
    a target of 49.196% read as missed; then 49.19586% beside 49.2% was "49.1%" (a third check). To the
    nearest unless that misreads; then down, at one more place or as many as it takes."""
    assert target.written(value) == written


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
    # the operations are said without lists, on what they rest: the return's decisions to admit
    assert "those of them with a decision to admit (the 2024-11 return's Part 2A" in " ".join(
        plain.output.split()
    )
    assert "not turned into theatre lists: RTT returns carry no theatre history" in " ".join(
        plain.output.split()
    )
    assert "theatre lists count only the operations" in " ".join(with_lists.output.split())


def _bands_from_the_csv(part: str, treatment_function: str) -> np.ndarray:
    """A part's counts by completed weeks waited (105 bands), summed over commissioners from the
    return's band columns as published."""
    import csv

    bands = np.zeros(105)
    with RBD.open(newline="", encoding="utf-8-sig") as file:
        for row in csv.DictReader(file):
            if row["RTT Part Type"] == part and row["Treatment Function Code"] == treatment_function:
                for column, value in row.items():
                    if column.startswith("Gt ") and value.strip():
                        bands[int(column.split()[1])] += float(value)
    return bands


def _share_of_longest(waiting: np.ndarray, admitted: np.ndarray, n: float) -> float:
    """Worked here: bands from the longest down until n are taken, the last in proportion."""
    taken = taken_admitted = 0.0
    for w, a in zip(waiting[::-1], admitted[::-1], strict=True):
        if w == 0:
            continue
        part = min(w, n - taken)
        if part <= 0:
            break
        taken, taken_admitted = taken + part, taken_admitted + a * part / w
    return taken_admitted / taken


def test_theatre_lists_count_only_the_operations_among_the_longest_waiters_reached(tmp_path):
    """A trust's list is admitted and non-admitted pathways; a non-admitted one is treated in clinic.
    Every extra treatment had been turned into theatre lists. The extra go to the longest waiters
    first, so the operations are the share with a decision to admit (the return's Part 2A) among as
    many of the longest waiters as there are extra treatments in all: for T&O's 65% by September 2025
    from December, some 1,700 waiters, worked out here from the CSV's band columns."""
    waiting, decided = _bands_from_the_csv("Part_2", "C_110"), _bands_from_the_csv("Part_2A", "C_110")
    out = tmp_path / "capacity.csv"
    target = ["--target-pct", "65", "--by", "2025-09", "--treatment-function", "C_110"]
    result = runner.invoke(
        app, ["waitinglist", "capacity", str(RBD), *target, "--cases-per-list", "3.5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    table = pd.read_csv(out)
    assert (table["extra_per_week"] > 0).all()
    for row in table.itertuples():
        months = pd.period_range(row.start, "2025-09", freq="M")
        n = row.extra_per_week * sum(m.days_in_month for m in months) / 7
        share = _share_of_longest(waiting, decided, n)
        assert row.operations_share == pytest.approx(share, abs=1e-4)
        # the lists rounded up to a hundredth from the exact operations a week
        assert row.lists_per_week == pytest.approx(row.extra_per_week * share / 3.5, abs=0.011)
    first = table.iloc[0]
    operations = first["extra_per_week"] * first["operations_share"]
    assert f"{operations:.1f} of them operations: " in said
    assert (
        f"the other {first['extra_per_week'] - operations:.1f} a week with no decision to admit yet" in said
    )
    assert "in clinic capacity Stocktake does not plan" in said
    # no 52-week waiters by June reaches only the longest, who have a decision to admit far more often
    # than those over 18 weeks (68%): an outsider's check, counting over 18 weeks, had too few lists
    fewer = tmp_path / "no52.csv"
    target = ["--no-52-week-waiters-by", "2025-06", "--treatment-function", "C_110", "--cases-per-list", "4"]
    result = runner.invoke(app, ["waitinglist", "capacity", str(RBD), *target, "--out", str(fewer)])
    assert result.exit_code == 0, result.output
    first = pd.read_csv(fewer).iloc[0]
    assert first["operations_share"] > decided[18:].sum() / waiting[18:].sum() + 0.15


def test_a_treatment_function_with_no_part_2a_lines_has_no_operations(tmp_path):
    """A return holds Part 2A, but not for this treatment function: its missing lines are true zeros
    (published returns leave empty lines out), so the lists are none, not every treatment's."""
    lines = RBD.read_text(encoding="utf-8-sig").splitlines()
    kept = [line for line in lines if not (",Part_2A," in line and ",C_110," in line)]
    assert len(kept) < len(lines)
    edited = tmp_path / "return.csv"
    edited.write_text("\n".join(kept) + "\n", encoding="utf-8")
    out = tmp_path / "capacity.csv"
    target = ["--target-pct", "65", "--by", "2025-09", "--treatment-function", "C_110"]
    result = runner.invoke(
        app, ["waitinglist", "capacity", str(edited), *target, "--cases-per-list", "3.5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert (table["operations_share"] == 0).all() and (table["lists_per_week"] == 0).all()
    # with no Part 2A at all, the return says nothing of operations: every treatment counted, and said
    none = tmp_path / "none.csv"
    none.write_text("\n".join(x for x in lines if ",Part_2A," not in x) + "\n", encoding="utf-8")
    every = tmp_path / "every.csv"
    result = runner.invoke(
        app, ["waitinglist", "capacity", str(none), *target, "--cases-per-list", "3.5", "--out", str(every)]
    )
    assert (pd.read_csv(every)["operations_share"] == 1.0).all()  # the share used: blank is hidden only
    said = " ".join(result.output.split())
    assert "counting every one as an operation" in said
    assert "these data record no decision to admit" in said and "may be more than the operations need" in said


def test_the_share_with_a_decision_to_admit_from_hand_made_pathways():
    """At June 2024's end: 12 waiting 200 days with a priority, 18 waiting 127 days without one
    (non-admitted), 40 waiting 14 days, 9 whose clocks stopped (not waiting). The 20 longest: the 12
    and 8 of the 18 (tied on their day, in proportion)."""
    from stocktake.waitinglist.capacity import admitted_of_pathways

    end = pd.Timestamp("2024-06-30")
    rows = (
        [(end - pd.Timedelta(days=200), None, "P3")] * 12
        + [(end - pd.Timedelta(days=127), None, None)] * 18
        + [(end - pd.Timedelta(days=14), None, None)] * 40
        + [(end - pd.Timedelta(days=300), end - pd.Timedelta(days=5), "P2")] * 9
    )
    pathways = pd.DataFrame(rows, columns=["clock_start", "clock_stop", "priority"])
    found = admitted_of_pathways(pathways, pd.Period("2024-06", freq="M"))
    assert sum(found.waiting) == 70 and sum(found.admitted) == 12
    # by days waited: the longest are counted by the patient
    assert (found.waiting[200], found.admitted[200], found.waiting[127], found.waiting[14]) == (
        12,
        12,
        18,
        40,
    )
    assert found.longest(20) == pytest.approx((12, 20))
    assert found.share_of_longest(12) == 1.0 and found.share_of_longest(30) == pytest.approx(0.4)
    assert found.share_of_longest(1000) == pytest.approx(12 / 70)  # more than the list: all of it
    # no priority recorded for anyone waiting: the list does not say who needs an operation
    assert admitted_of_pathways(pathways.assign(priority=None), pd.Period("2024-06", freq="M")) is None
    # deferred at the patient's choice (P5, P6) is still a decision to admit: an operation (ADR 63)
    deferred = pathways.assign(priority=pathways["priority"].replace("P3", "P5"))
    found = admitted_of_pathways(deferred, pd.Period("2024-06", freq="M"))
    assert found.longest(20) == pytest.approx((12, 20))
    # and the assumptions say so: a clinical director would not assume lists for those who declined
    assert "P5 and P6, deferred at the patient's choice, count as operations, though they take a list" in (
        found.source
    )
    assert "a target is reached only if those among the longest waiters are ready by then" in found.source
    assert "P5" not in admitted_of_pathways(pathways, pd.Period("2024-06", freq="M")).source


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
    # the least uplift reaching the target centrally leaves it a coin toss: said, and where to see more
    assert "a week is the least that reaches the target in the projection's best estimate" in said
    assert "so the target is about as likely missed as met. Plan for more than" in said
    assert "not turned into theatre lists" in said and "has no theatre_cases, theatre_sessions" in said
    assert "--cases-per-list" in said
    got = pd.read_csv(out)
    assert got["lists_per_week"].isna().all() and got["lists_to_book"].isna().all()
    # which of them are operations is still said, as the CSV's share gives it: here about a third of
    # those waiting have no priority recorded, so no decision to admit
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE rtt_pathways SET priority = NULL WHERE clock_stop IS NULL AND hash(pathway_id) % 3 = 0"
        )
    result = runner.invoke(app, [*question, month, "--out", str(out)])
    said = " ".join(result.output.split())
    found = re.search(
        r"([\d.]+) extra treatments a week .*?\(([\d.]+) of them operations, the other ([\d.]+)", said
    )
    assert found, said
    extra, operations, others = (float(v) for v in found.groups())
    share = pd.read_csv(out).iloc[0]["operations_share"]
    assert 0.3 < share < 0.95
    assert operations == pytest.approx(extra * share, abs=0.06) and operations + others == pytest.approx(
        extra, abs=0.11
    )
    with_lists = tmp_path / "with_lists.csv"
    result = runner.invoke(app, [*question, month, "--cases-per-list", "3", "--out", str(with_lists)])
    assert result.exit_code == 0, result.output
    given = pd.read_csv(with_lists)
    pd.testing.assert_series_equal(got["extra_per_week"], given["extra_per_week"])
    assert given["lists_per_week"].notna().any()
    # and on what the split rests, with the warning when the longest waiters have priorities far less
    # often than the rest (an outside check: said with lists only)
    assert "those of them with a decision to admit (" in said and "are the operations" in said
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE rtt_pathways SET priority = NULL WHERE pathway_id IN (SELECT pathway_id "
            "FROM rtt_pathways WHERE clock_stop IS NULL ORDER BY clock_start, pathway_id LIMIT 100)"
        )
    result = runner.invoke(
        app, ["waitinglist", "capacity", "--warehouse", str(warehouse), "--no-52-week-waiters-by", "2024-03"]
    )
    said = " ".join(result.output.split())
    assert "more of them need an operation than this says" in said and "lists are too few" not in said, said


def _warehouse_with(demo_warehouse, tmp_path, sql: str) -> Path:
    import shutil

    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)
    return warehouse


#: Waiting at the demo warehouse's list month (August 2023).
WAITING_AT_THE_END = (
    "clock_start <= DATE '2023-08-31' AND (clock_stop IS NULL OR clock_stop > DATE '2023-08-31')"
)


def test_lists_that_would_give_away_a_few_with_a_decision_to_admit_are_hidden_in_the_export(
    demo_warehouse, tmp_path
):
    """Of those waiting, only the 5 longest have a priority: the lists a week (the uplift times the
    share of the longest reached, over the cases a list) would give the 5 away."""
    warehouse = _warehouse_with(
        demo_warehouse,
        tmp_path,
        f"UPDATE rtt_pathways SET priority = NULL WHERE {WAITING_AT_THE_END} AND pathway_id NOT IN "
        f"(SELECT pathway_id FROM rtt_pathways WHERE {WAITING_AT_THE_END} ORDER BY clock_start LIMIT 5)",
    )
    out = tmp_path / "capacity.csv"
    result = runner.invoke(
        app,
        ["waitinglist", "capacity", "--warehouse", str(warehouse), "--target-pct", "90", "--by", "2025-06",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "(* of them operations, or more if older pathways' priorities are missing: * extra theatre" in said
    assert "the share with one among the longest waiters reached is hidden" in said
    # from the warehouse (priorities known), a plan by priority is said to treat the overdue first (a
    # director's check: the command said urgent patients are treated in time, unqualified)
    assert "a plan booking by priority treats them first, and the target may be reached later" in said
    table = pd.read_csv(out)
    assert (table["extra_per_week"] > 0).all()
    assert table["lists_per_week"].isna().all() and table["operations_share"].isna().all()
    assert table["lists_to_book"].isna().all()  # the tenth the screen hides, hidden in the CSV too


def test_long_waiters_with_far_fewer_priorities_than_the_rest_are_questioned(demo_warehouse, tmp_path):
    """An outsider: priorities recorded only for the newer pathways read as no operations at all for
    the longest waiters, and no lists, unremarked. Now it is said that the lists may be too few."""
    warehouse = _warehouse_with(
        demo_warehouse,
        tmp_path,
        f"UPDATE rtt_pathways SET priority = NULL WHERE {WAITING_AT_THE_END} "
        "AND clock_start < DATE '2023-04-01'",
    )
    result = runner.invoke(
        app,
        ["waitinglist", "capacity", "--warehouse", str(warehouse), "--target-pct", "90", "--by", "2025-06"],
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    longest = re.search(
        r"longest waiting now \(the extra treatments in all are [\d,]+; the share is read among a multiple "
        r"of 50 of the longest, the nearest that gives no 1–7 patients away\), (\d+)% have one",
        said,
    )
    assert longest is not None and int(longest.group(1)) < 50
    warned = "against 100% of the rest of the list: if priorities were not recorded for older pathways"
    assert (
        f"have one, {warned}, more of them need an operation than this says, and the lists are too few"
        in said
    )


def test_no_two_runs_can_be_subtracted_to_count_a_few_patients(demo_warehouse, tmp_path):
    """An outside check ran two ordinary targets a month apart, subtracted reach × share, and counted
    8 with and 1 without a decision to admit between them (within one run, rows had been checked
    against each other, but a rule inside one run cannot see another). The share is now read only at
    points of a grid the list fixes, every 50 of the longest, hidden where a point leaves 1–7 beside
    any shown before it (ADR 62). So every share any run shows is a grid point's, counted here from the
    patients by days waited, and any two differ by none or at least 8 of each kind."""
    import duckdb

    # 1 in 12 waiting with no priority: about 4 in 50, so many points leave 1–7 beside the last shown
    warehouse = _warehouse_with(
        demo_warehouse,
        tmp_path,
        "UPDATE rtt_pathways SET priority = NULL WHERE clock_stop IS NULL AND hash(pathway_id) % 12 = 0",
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        days = con.execute(
            "SELECT date_diff('day', clock_start, DATE '2023-08-31'), priority IS NOT NULL "
            f"FROM rtt_pathways WHERE {WAITING_AT_THE_END}"
        ).fetchnumpy()
    waited, has_one = (np.asarray(column, dtype=int) for column in days.values())
    waiting, decided = np.bincount(waited), np.bincount(waited, weights=has_one, minlength=waited.max() + 1)
    points = [*range(50, len(waited), 50), len(waited)]
    counted = {n: _share_of_longest(waiting, decided, n) for n in points}
    allowed, kept = set(), [(0.0, 0.0), (decided.sum(), waiting.sum() - decided.sum())]
    for n in points:  # in order: shown unless 1-7 of either kind apart from one kept (ADR 62)
        mine = (counted[n] * n, n - counted[n] * n)
        if not any(0 < abs(x - y) < 8 for other in kept for x, y in zip(mine, other, strict=True)):
            allowed.add(n)
            kept.append(mine)

    targets = [
        ["--no-52-week-waiters-by", "2024-03"],
        ["--no-52-week-waiters-by", "2024-03", "--from", "2024-01"],
        ["--no-52-week-waiters-by", "2024-06"],
        ["--target-pct", "80", "--by", "2024-06"],
        ["--target-pct", "90", "--by", "2024-09"],
    ]
    tables = []
    for i, target in enumerate(targets):
        out = tmp_path / f"capacity_{i}.csv"
        result = runner.invoke(
            app, ["waitinglist", "capacity", "--warehouse", str(warehouse), *target, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        tables.append(pd.read_csv(out))
    # which start months are hidden does not depend on --from (an earlier outside check)
    pd.testing.assert_frame_equal(tables[1], tables[0])
    every = pd.concat(
        table.assign(by=target[-1 if "--by" in target else 1])
        for table, target in zip(tables, targets, strict=True)
    )
    assert (every["extra_per_week"] > 0).all()
    assert every["operations_share"].isna().sum() >= 5 and every["operations_share"].notna().sum() >= 5
    shown = set()
    for row in every.dropna(subset=["operations_share"]).itertuples():
        months = pd.period_range(row.start, row.by, freq="M")
        treated = row.extra_per_week * sum(m.days_in_month for m in months) / 7  # its extra in all
        # a grid point within a tenth of its treatments (or 25) with that share, to its 4 places
        reached = min(treated, points[-1])
        near = [
            point
            for point in points
            if abs(point - reached) <= max(25, reached / 10) + 1
            and abs(counted[point] - row.operations_share) < 5e-5
        ]
        assert near, (row.start, row.by, treated, row.operations_share)
        # two points can share a share to 4 places: the one the rule shows, worked here in plain loops
        n = min((p for p in near if p in allowed), key=lambda point: abs(point - reached))
        shown.add((counted[n] * n, n - counted[n] * n))
    assert len(shown) >= 3
    whole = (decided.sum(), waiting.sum() - decided.sum())  # public in the statistics by priority
    for (a1, b1), (a2, b2) in itertools.combinations([(0, 0), whole, *shown], 2):
        assert not (0 < abs(a1 - a2) < 8 or 0 < abs(b1 - b2) < 8), ((a1, b1), (a2, b2))


def test_the_csv_reads_every_answer_as_meeting_its_target(tmp_path):
    """An outside check: the CSV rounded to the nearest, so 0.4951 52-week waiters (met: under half a
    patient) was written 0.5. Every answer meets its target by construction; so must what is written."""
    out = tmp_path / "capacity.csv"
    target = ["--no-52-week-waiters-by", "2025-06", "--treatment-function", "C_110", "--out", str(out)]
    result = runner.invoke(app, ["waitinglist", "capacity", str(RBD), *target])
    assert result.exit_code == 0, result.output
    reached = pd.read_csv(out)["with_uplift"].dropna()
    assert len(reached) > 3 and (reached < 0.5).all(), reached.tolist()


def test_a_small_lists_answer_is_shown_inside_the_trust_with_no_suppress(demo_warehouse, tmp_path):
    """An outside check: a list cut to some 90 waiting gave "* extra treatments a week" and every start
    month "* * *", and capacity had no --no-suppress, so a sub-specialty list could not be planned."""
    thinned = shutil.copy(demo_warehouse, tmp_path / "thinned.duckdb")
    with duckdb.connect(str(thinned)) as con:
        con.execute("DELETE FROM rtt_pathways WHERE CAST(substr(pathway_id, 4) AS INTEGER) % 40 <> 0")
    target = ["--target-pct", "92", "--by", "2024-09"]
    args = ["waitinglist", "capacity", "--warehouse", str(thinned), *target]
    hidden = runner.invoke(app, [*args, "--out", str(tmp_path / "hidden.csv")])
    shown = runner.invoke(app, [*args, "--no-suppress", "--out", str(tmp_path / "shown.csv")])
    assert hidden.exit_code == 0 and shown.exit_code == 0, shown.output
    assert "--no-suppress shows them" in " ".join(hidden.output.split())
    exact = pd.read_csv(tmp_path / "shown.csv")
    assert exact["extra_per_week"].notna().all() and (exact["small_numbers"] == SHOWN_HERE).all()
    assert pd.read_csv(tmp_path / "hidden.csv")["extra_per_week"].isna().any()
    assert "counts of 1–7 patients are not hidden here (--no-suppress)" in " ".join(shown.output.split())
