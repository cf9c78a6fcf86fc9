"""The Waiting list page on a 36-month demo warehouse whose spine list is cut to three waiting
patients: the figures on the page are the pure functions' (read independently of the page's own
reading), the spine group and the one that would give it away are shown as "*", a target can be
chosen, a scenario (demand growth, extra lists, validation) is shown beside the baseline from GET
parameters or swapped in by htmx, and a warehouse without pathways (or without a warehouse) says
what to upload."""

from __future__ import annotations

import dataclasses
import html
import math
import re
import time

import duckdb
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from stocktake.demo.generate import Department, generate
from stocktake.files.rtt import weeks_inputs_from_warehouse
from stocktake.files.theatre import cases_per_list
from stocktake.waitinglist.capacity import WaitTarget, capacity_for_target
from stocktake.waitinglist.history import history_from_pathways, history_from_table
from stocktake.waitinglist.projection import project
from stocktake.waitinglist.scenario import Scenario, apply
from stocktake.waitinglist.stats import stats_by_group
from stocktake.waitinglist.weeks_waited import project as project_weeks
from stocktake.workspace import Workspace

SMALL_GROUP = "spine"


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):  # conftest's app (and so its clients) is built on this one
    tables = generate(Department(seed=11, months=36))
    pathways = tables["rtt_pathways"]
    spine_waiting = pathways.index[
        (pathways["procedure_group"] == SMALL_GROUP) & pathways["clock_stop"].isna()
    ]
    tables["rtt_pathways"] = pathways.drop(spine_waiting[3:]).reset_index(drop=True)
    path = tmp_path_factory.mktemp("waiting") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return path


@pytest.fixture(scope="module")
def expected(demo_warehouse):
    """The figures from the waiting-list functions and the CLI's readers, not the page's code."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        pathways = con.execute("SELECT * FROM rtt_pathways").fetch_df()
    inputs = weeks_inputs_from_warehouse(demo_warehouse)
    month = inputs.origin.month
    end = month.end_time.normalize()
    stops = pd.to_datetime(pathways["clock_stop"])
    waiting = (pd.to_datetime(pathways["clock_start"]) <= end) & (stops.isna() | (stops > end))
    projection = project(history_from_table(history_from_pathways(pathways)), 12).table()
    weeks = project_weeks(inputs.origin, [inputs.referrals] * 12, [inputs.capacity] * 12, inputs.params)
    per_list, _ = cases_per_list(demo_warehouse)
    answer = capacity_for_target(
        inputs.origin,
        [inputs.referrals] * 12,
        [inputs.capacity] * 12,
        inputs.params,
        WaitTarget(month + 12, pct_within_18_weeks=92.0),
        month + 1,
        per_list,
    )
    window = (end - pd.Timedelta(days=364)).to_datetime64(), end.to_datetime64()
    by_priority = dict(stats_by_group(pathways, "priority", 18.0, *window))
    starts = pd.to_datetime(pathways["clock_start"])
    in_window = (starts >= pd.Timestamp(window[0])) & (starts <= pd.Timestamp(window[1]))
    return {
        "month": month,
        "waiting": int(waiting.sum()),
        "by_group": waiting.groupby(pathways["procedure_group"]).sum().to_dict(),
        "referrals_by_group": in_window.groupby(pathways["procedure_group"]).sum().to_dict(),
        "projection": projection,
        "weeks": weeks.table(),
        "answer": answer,
        "by_priority": by_priority,
        "pathways": pathways,
        "inputs": inputs,
        "per_list": per_list,
    }


def _cells(page: str, table_id: str) -> list[list[str]]:
    table = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    body = table.split("<tbody")[1]
    return [
        [html.unescape(c) for c in re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)]
        for row in body.split("</tr>")
        if "<td" in row
    ]


@pytest.fixture(scope="module")
def page(clients):
    answer = clients["viewer"].get("/waiting-list")
    assert answer.status_code == 200, answer.text
    return answer.text


def test_viewers_see_it_in_the_navigation_and_anonymous_visitors_sign_in(clients, page):
    assert 'href="/waiting-list"' in page
    anonymous = clients[None].get("/waiting-list", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/sign-in" in anonymous.headers["location"]


def test_the_size_now_is_the_patients_waiting_at_the_months_end(page, expected):
    month = expected["month"].strftime("%B %Y")
    assert f"{expected['waiting']:,} patients waiting at the end of {month}" in page
    bands = _cells(page, "weeks-waited")
    assert sum(int(n.replace(",", "")) for _, n in bands) == expected["waiting"]  # nothing hidden there


def test_the_projection_is_the_projection_functions_with_its_interval(page, expected):
    rows = _cells(page, "projection-table")
    table, weeks = expected["projection"], expected["weeks"]
    assert len(rows) == 12
    for row, central, low, high, pct in zip(
        rows,
        table["waiting"],
        table["waiting_low"],
        table["waiting_high"],
        weeks["pct_within_18_weeks"],
        strict=True,
    ):
        assert row[1:4] == [f"{central:,}", f"{low:,}", f"{high:,}"]
        assert row[4].startswith(f"{pct:.1f}% (")  # its interval: the report's section's tests check it
    assert 'data-figure="' in page and "95% interval" in page
    # the shares are of the weeks-waited model's list, said under the table (a director's check)
    note = " ".join(page.split('id="projection-table-models">')[1].split("</p>")[0].split())
    last = weeks.iloc[-1]
    assert f"whose own list in {rows[-1][0]} is {round(last['waiting']):,}: a share times the" in note


def test_the_capacity_is_the_solved_uplift_and_its_theatre_lists(page, expected):
    answer = expected["answer"]
    assert answer.extra_per_week > 0
    words = html.unescape(page.split('id="capacity-answer"')[1].split("</p>")[0])
    assert f"{answer.extra_per_week:.1f} extra treatments a week" in words
    # rounded up to a tenth, as booked: the page's link offers the same lists, which reach the target
    assert answer.lists_to_book >= answer.lists_per_week > answer.lists_to_book - 0.1
    assert f"{answer.lists_to_book:.1f} extra theatre lists a week, rounded up" in words
    # 92% is named as the national standard: the department's own 18-week target may be lower (a
    # clinician read "Reliably at target" in the measures beside "Capacity gap. 92% …")
    by = (expected["month"] + 12).strftime("%B %Y")
    assert f"92% within 18 weeks (the NHS constitutional standard) by {by}" in words


def test_priority_statistics_are_the_packages_over_the_last_year(page, expected):
    rows = {r[0]: r for r in _cells(page, "by-1")}
    for priority, stats in expected["by_priority"].items():
        row = rows[priority]
        assert row[2:6] == [
            f"{stats.mean_demand:.1f}",
            f"{stats.mean_capacity:.1f}",
            f"{stats.load:.2f}",
            f"{stats.mean_wait:.1f}",
        ]
    # P5 and P6 held to a year are said to have no clinical target (ADR 63; an outside check)
    assert "P5 and P6, deferred at the patient's choice, have no clinical target" in " ".join(page.split())


def test_those_past_their_prioritys_target_are_counted_and_the_assumption_says_so(
    page, expected, demo_warehouse
):
    """A director's check: 30 of 96 P2 and 528 of 1,492 P3 patients were past their target, nowhere on
    the page, beside "urgent patients are treated in time from the present capacity". Recounted here
    from the warehouse: waited more than the priority's days at the list's month end."""
    end = expected["month"].end_time.normalize()
    targets = {"P1": 7, "P2": 28, "P3": 84}
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        found = dict(
            con.execute(
                "SELECT priority, count(*) FILTER (WHERE datediff('day', clock_start, ?) > CASE priority "
                "WHEN 'P1' THEN 7 WHEN 'P2' THEN 28 ELSE 84 END) FROM rtt_pathways "
                "WHERE clock_start <= ? AND (clock_stop IS NULL OR clock_stop > ?) "
                "AND priority IN ('P1', 'P2', 'P3') GROUP BY 1",
                [end, end, end],
            ).fetchall()
        )
    assert found and any(n > 7 for n in found.values())
    rows = {r[0]: r for r in _cells(page, "by-1")}
    for priority in targets:
        if priority in rows:
            n = found.get(priority, 0)
            assert rows[priority][-1] == ("*" if 1 <= n <= 7 else f"{n:,}")
    assert rows["P4"][-1] == "–"  # its year is the 52-week count's
    words = " ".join(html.unescape(page).split())
    assert "but some are past their priority's target now" in words
    assert "Past target now" in page
    # and the sweep is said to free no theatre time (the same director read the slider as worthless)
    assert "it frees no theatre time" in words


def test_a_small_group_and_the_one_that_would_give_it_away_are_hidden(page, expected):
    assert expected["by_group"][SMALL_GROUP] == 3
    rows = {r[0]: r for r in _cells(page, "by-2")}
    assert set(rows[SMALL_GROUP][1:6]) == {"*"}
    sizes = {g: n for g, n in expected["by_group"].items() if g != SMALL_GROUP}
    # its complement by the count it is small in: the total waiting less the others would show it, so
    # the group with the fewest waiting, as `stats --by` and the measure's drill-down choose it (one set
    # per count: outside checks recovered a P1 from two outputs that chose differently)
    smallest = min(sizes, key=sizes.get)
    assert rows[smallest][1] == "*"
    referrals = expected["referrals_by_group"]
    assert not 1 <= referrals[SMALL_GROUP] <= 7  # small by waiting alone: no partner by referrals
    shown = [g for g in sizes if g != smallest]
    assert all(rows[g][1] == f"{sizes[g]:,}" for g in shown)
    assert "1 to 7 patients" in page


def test_another_target_is_solved_and_a_bad_one_is_refused_on_the_page(clients, expected):
    month = expected["month"]
    answer = clients["viewer"].get("/waiting-list", params={"target": "80", "by": str(month + 6)})
    assert answer.status_code == 200
    assert f"80% within 18 weeks by {(month + 6).strftime('%B %Y')}" in answer.text
    for params in ({"target": "ninety"}, {"target": "120"}, {"by": "2020-01"}, {"by": "soon"}):
        refused = clients["viewer"].get("/waiting-list", params=params)
        assert refused.status_code == 422 and "nhsuk-error-summary" in refused.text
        assert "92% within 18 weeks by" in refused.text  # the default answer still shown


@pytest.mark.parametrize("field", ["target", "by", "growth", "lists", "validation"])
@pytest.mark.parametrize("typed", ["9434765919", "943 476 5919", "9,434,765,919", "9.434765919E+09"])
def test_an_nhs_number_typed_into_a_field_is_shown_masked(clients, field, typed):
    """An outsider: `?target=9434765919` came back as "The target share '9434765919' must be…", in
    the page and in the scenario fragment, where every other refusal masks it."""
    for headers in ({}, {"HX-Request": "true", "HX-Target": "scenario-results"}):
        answer = clients["viewer"].get("/waiting-list", params={field: typed}, headers=headers)
        assert answer.status_code in (200, 422)
        assert not re.search(r"9434765919|943\s476\s5919|9,434,765,919|9\.434765919E", answer.text)
        assert "943" in answer.text or bool(headers)  # the page says it, masked


def test_a_workspace_showing_small_numbers_shows_every_count_and_logs_each_view(app, clients, expected):
    """An IG review with STOCKTAKE_DRILLDOWN_SMALL_NUMBERS=show: the small spine group was still "*"
    while its complement was shown (so it could be worked out), the footnote said it was hidden so
    that no patient can be recognised, and no view was logged. Now every count is shown, with no
    footnote, and each view of the page and each slider move is in the audit log."""
    from sqlalchemy import select

    from stocktake.appdb.models import AuditEvent
    from stocktake.web.app import create_app

    settings = dataclasses.replace(app.state.settings, drilldown_small_numbers="show")
    showing = TestClient(create_app(settings, migrate=False))
    showing.cookies = clients["viewer"].cookies

    def views(detail: str = "small numbers shown") -> int:
        with app.state.sessions() as db:
            found = db.scalars(select(AuditEvent).where(AuditEvent.action == "waiting_list_viewed"))
            return sum(e.detail == detail for e in found)

    before = views()
    page = showing.get("/waiting-list", params={"lists": "0.6"}).text
    rows = {r[0]: r for r in _cells(page, "by-2")}
    assert rows[SMALL_GROUP][1] == f"{expected['by_group'][SMALL_GROUP]:,}"
    assert "*" not in {cell for row in _cells(page, "by-2") for cell in row}
    assert "so that no patient can be recognised" not in page
    assert views() == before + 1
    showing.get(
        "/waiting-list",
        params={"lists": "1"},
        headers={"HX-Request": "true", "HX-Target": "scenario-results"},
    )
    # a slider's answer shows small numbers too: logged as such (an outside check fetched the scenario
    # alone, unlogged)
    assert views() == before + 1 and views("scenario, small numbers shown") >= 1
    # a flood of them is capped as refusals are (an outside check wrote 200 rows in 9.5 s)
    from stocktake.appdb.actions import REFUSALS_LOGGED_PER_MINUTE

    for _ in range(REFUSALS_LOGGED_PER_MINUTE + 5):
        showing.get(
            "/waiting-list",
            params={"lists": "1"},
            headers={"HX-Request": "true", "HX-Target": "scenario-results"},
        )
    assert views("scenario, small numbers shown") <= REFUSALS_LOGGED_PER_MINUTE
    clients["viewer"].get("/waiting-list")
    assert views() == before + 1  # hidden small numbers: not logged, as before


def test_the_second_view_is_kept(app, clients):
    workspace = app.state.workspace
    clients["viewer"].get("/waiting-list")  # the first view (this test may run first on its worker)
    built = dict(workspace._built)
    clients["viewer"].get("/waiting-list")
    assert len(workspace._built) == len(built)  # nothing computed again


@pytest.fixture
def workspace_on(app):
    """Put the app on another warehouse for one test, and back after it."""
    kept = app.state.workspace

    def use(path):
        app.state.workspace = Workspace(path, app.state.settings.catalogue)

    yield use
    app.state.workspace = kept


def test_a_warehouse_without_pathways_says_what_to_upload(app, clients, tmp_path, workspace_on):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(app.state.workspace.warehouse.read_bytes())
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE rtt_pathways")
    workspace_on(path)
    answer = clients["viewer"].get("/waiting-list")
    assert answer.status_code == 200
    assert "No waiting list is loaded" in answer.text and "rtt_pathways" in answer.text
    assert "plotly" not in answer.text


def test_no_warehouse_at_all_says_so(clients, tmp_path, workspace_on):
    workspace_on(tmp_path / "none.duckdb")
    answer = clients["viewer"].get("/waiting-list")
    assert answer.status_code == 200 and "There is no warehouse yet" in answer.text


def test_a_short_history_shows_the_list_without_an_interval(expected):
    from stocktake.verdicts.waitinglist import overview

    pathways = expected["pathways"]
    recent = pathways[
        pd.to_datetime(pathways["clock_start"]) >= expected["month"].start_time - pd.DateOffset(months=20)
    ]
    found = overview(recent)
    assert found.projection is None and "the projection needs at least" in found.projection_problem
    assert np.isclose(found.weeks.origin.total, found.waiting)


def test_a_short_historys_page_claims_no_interval_for_the_scenarios_list(
    app, clients, tmp_path, workspace_on
):
    """The scenario's caption had pointed to "the 95% interval above" on a page that has none (an
    outside check, on 14 months of pathways)."""
    assert "the 95% interval above" in clients["viewer"].get("/waiting-list").text  # the demo's page has one
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(app.state.workspace.warehouse.read_bytes())
    with duckdb.connect(str(path)) as con:
        last = con.execute("SELECT max(clock_start) FROM rtt_pathways").fetchone()[0]
        con.execute("DELETE FROM rtt_pathways WHERE clock_start < ?", [last - pd.DateOffset(months=14)])
    workspace_on(path)
    answer = clients["viewer"].get("/waiting-list")
    assert answer.status_code == 200 and "without an interval" in answer.text
    assert "interval above" not in answer.text
    fragment = clients["viewer"].get("/waiting-list", params={"growth": "10"}, headers=HTMX)
    assert "Scenario: demand +10% a year." in fragment.text and "interval above" not in fragment.text


def test_those_waiting_with_no_priority_recorded_are_said_beside_the_groups(
    app, clients, tmp_path, workspace_on
):
    """A pathway loaded without a priority (ADR 60: a non-admitted one, or a treated one) that was
    waiting at the page's month end is in the list and in no priority's row: the rows added up to less
    than the list, unsaid (an outside check)."""
    assert 'id="groups-unrecorded"' not in clients["viewer"].get("/waiting-list").text
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(app.state.workspace.warehouse.read_bytes())
    with duckdb.connect(str(path)) as con:  # treated in the page's year, or still waiting
        last = con.execute("SELECT max(clock_stop) FROM rtt_pathways").fetchone()[0]
        con.execute(
            "UPDATE rtt_pathways SET priority = NULL WHERE pathway_id IN (SELECT pathway_id FROM "
            "rtt_pathways WHERE clock_stop > ? ORDER BY pathway_id LIMIT 40) OR pathway_id IN (SELECT "
            "pathway_id FROM rtt_pathways WHERE clock_stop IS NULL ORDER BY pathway_id LIMIT 20)",
            [last - pd.DateOffset(months=6)],
        )
    workspace_on(path)
    answer = clients["viewer"].get("/waiting-list")
    assert answer.status_code == 200
    assert "Some pathways of the year have no priority recorded" in answer.text
    assert "in no row of these tables, whose waiting, additions and removals add up to less" in answer.text
    assert "no procedure group recorded" not in answer.text


# --- scenarios ------------------------------------------------------------------------------------

HTMX = {"HX-Request": "true", "HX-Target": "scenario-results"}


def _scenario_columns(page: str) -> list[list[str]]:
    return _cells(page, "scenario-table")


def _scenario_by_hand(expected, scenario: Scenario):
    """The scenario from the CLI's readers and the pure function, not the page's code."""
    inputs = expected["inputs"]
    return apply(
        inputs.origin,
        [inputs.referrals] * 12,
        [inputs.capacity] * 12,
        inputs.params,
        scenario,
        expected["per_list"],
    ).table()


def _count(value: float) -> str:
    n = round(value)
    return "*" if 1 <= n <= 7 else f"{n:,}"


def test_the_sliders_are_range_inputs_with_their_numbers_and_no_change_is_the_baseline(page, expected):
    for name, low, high in (
        ("growth", "-10.0", "20.0"),
        ("lists", "0.0", "30.0"),
        ("validation", "0.0", "20.0"),
    ):
        field = re.search(
            rf'<input class="scenario-slider" type="range" id="{name}" name="{name}"[^>]*>', page
        )
        assert (
            field and f'min="{low}"' in field[0] and f'max="{high}"' in field[0] and 'value="0"' in field[0]
        )
        assert f'<output for="{name}" id="{name}-value"' in page
    assert 'hx-get="/waiting-list"' in page and 'hx-target="#scenario-results"' in page
    assert '<script src="/static/waitinglist.js"></script>' in page
    assert "Scenario: no change." in page
    rows, weeks = _scenario_columns(page), expected["weeks"]
    assert len(rows) == 12
    for row, waiting, pct, over in zip(
        rows, weeks["waiting"], weeks["pct_within_18_weeks"], weeks["over_52_weeks"], strict=True
    ):
        assert row[1] == row[2] == f"{waiting:,.0f}"
        assert row[3] == row[4] == f"{pct:.1f}%"
        assert row[5] == row[6] == _count(over)


def test_a_scenario_by_get_parameters_is_the_pure_functions_beside_the_baseline(clients, expected):
    answer = clients["viewer"].get("/waiting-list", params={"growth": "3", "lists": "2", "validation": "5"})
    assert answer.status_code == 200
    scenario = Scenario(demand_growth_pct=3, extra_lists_per_week=2, validation_pct=5)
    mine, weeks = _scenario_by_hand(expected, scenario), expected["weeks"]
    rows = _scenario_columns(answer.text)
    for k, row in enumerate(rows):
        assert row[1] == f"{weeks['waiting'][k]:,.0f}" and row[2] == f"{mine['waiting'][k]:,.0f}"
        assert row[3] == f"{weeks['pct_within_18_weeks'][k]:.1f}%"
        assert row[4] == f"{mine['pct_within_18_weeks'][k]:.1f}%"
        assert row[5] == _count(weeks["over_52_weeks"][k]) and row[6] == _count(mine["over_52_weeks"][k])
    assert mine["waiting"].iloc[-1] < weeks["waiting"].iloc[-1]
    words = html.unescape(answer.text)
    per_week = 2 * expected["per_list"]
    assert f"demand +3% a year, 2 extra theatre lists a week ({per_week:.1f} treatments)" in words
    # the sliders keep the values, and the target form carries them too
    assert re.search(r'id="growth" name="growth"[^>]*value="3"', answer.text)
    assert '<input type="hidden" name="validation" value="5">' in answer.text
    assert 'class="chart scenario-chart" data-figure="' in answer.text


def test_a_slider_moved_with_javascript_swaps_in_only_the_results_quickly(app, clients, expected):
    clients["viewer"].get("/waiting-list")  # the picture built (the first view's second)
    built = dict(app.state.workspace._built)
    started = time.perf_counter()
    answer = clients["viewer"].get("/waiting-list", params={"growth": "10"}, headers=HTMX)
    seconds = time.perf_counter() - started
    assert answer.status_code == 200
    assert "<html" not in answer.text and "scenario-form" not in answer.text
    assert 'id="scenario-table"' in answer.text and 'hx-swap-oob="innerHTML"' in answer.text
    assert "Scenario: demand +10% a year." in answer.text
    assert len(app.state.workspace._built) == len(built)  # the picture is not built again
    assert (
        seconds < 5
    )  # generous for a loaded machine; benchmarks/bench_waitinglist.py holds the goal (< 1 s)
    mine = _scenario_by_hand(expected, Scenario(demand_growth_pct=10))
    assert _scenario_columns(answer.text)[-1][2] == f"{mine['waiting'].iloc[-1]:,.0f}"


def test_the_targets_lists_in_the_scenario_reach_the_target(clients, page, expected):
    answer = expected["answer"]
    link = html.unescape(re.search(r'href="([^"]+)" id="try-target-lists"', page)[1])
    lists = float(re.search(r"lists=([0-9.]+)", link)[1])
    assert lists == pytest.approx(answer.lists_per_week, abs=0.1) and lists >= answer.lists_per_week
    tried = clients["viewer"].get(link)
    assert tried.status_code == 200
    last = _scenario_columns(tried.text)[-1]
    assert last[0] == (expected["month"] + 12).strftime("%B %Y")
    assert float(last[3].rstrip("%")) < 92.0 <= float(last[4].rstrip("%"))
    # the link drops growth and validation (the answer assumes neither), and says so (an outsider)
    assert "growth" not in link and "validation" not in link
    assert "(with no demand growth or validation, as the answer assumes)" in " ".join(page.split())


@pytest.mark.parametrize(
    "params, words",
    [
        ({"growth": "lots"}, "Demand growth 'lots' is not a number"),
        ({"growth": "50"}, "Demand growth must be from -10 to 20"),
        ({"lists": "-1"}, "Extra theatre lists a week must be from 0 to 30"),
        ({"validation": "60"}, "Validation removals must be from 0 to 20"),
    ],
)
def test_a_scenario_value_that_cannot_be_used_is_refused_and_taken_as_zero(clients, params, words):
    refused = clients["viewer"].get("/waiting-list", params=params)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "The scenario could not be used as asked" in text and words in text
    assert f'href="#{next(iter(params))}"' in refused.text  # the summary links to the control
    assert "Scenario: no change." in text
    swapped = clients["viewer"].get("/waiting-list", params=params, headers=HTMX)
    assert swapped.status_code == 200 and words in html.unescape(swapped.text)  # htmx swaps no 4xx


def test_the_most_extra_lists_leave_the_patients_too_recently_referred_to_be_operated_on(clients):
    """30 extra lists a week would have emptied the list ("0 waiting, 100% within 18 weeks"): extra
    treatments reach no one waiting less than the quickest tenth of last year's treatments waited."""
    answer = clients["viewer"].get("/waiting-list", params={"lists": "30"})
    assert answer.status_code == 200
    rows = _scenario_columns(answer.text)
    assert all(float(row[2].replace(",", "")) > 50 for row in rows)  # never near empty
    assert "treatments, present or extra, reach no one waiting under" in html.unescape(answer.text)
    assert "Both are central paths at steady flows, not forecasts" in html.unescape(answer.text)


def test_the_outsiders_scenario_keeps_those_referred_under_the_floor(clients, expected):
    """/waiting-list?lists=30&growth=-10&validation=20 reached 0 waiting: every month's scenario list
    now holds at least the month's referrals under the floor (the days a treatment cannot reach), less
    the youngest bin's own reneging, worked from the CLI's readers."""
    answer = clients["viewer"].get(
        "/waiting-list", params={"lists": "30", "growth": "-10", "validation": "20"}
    )
    assert answer.status_code == 200
    inputs = expected["inputs"]
    floor_days = inputs.params.soonest_extra_days - 1  # waits of fewer than soonest_extra_days
    assert 0 < floor_days < 28  # within the month: only its own referrals
    kept = 1 - inputs.params.renege[0]
    for k, row in enumerate(_scenario_columns(answer.text), start=1):
        month = expected["month"] + k
        referrals = inputs.referrals * 0.9 ** (k / 12)
        under = kept * referrals * floor_days / month.days_in_month
        assert row[0] == month.strftime("%B %Y")
        assert float(row[2].replace(",", "")) >= round(under) - 1, row


def test_a_target_after_the_months_shown_says_its_lists_show_the_way_there(clients, expected):
    """A target two years on: its lists cannot reach it within the scenario's 12 months, and the page
    says so, instead of seeming to fall short (an outsider read 84% against a 92% target)."""
    by = expected["month"] + 24
    page = html.unescape(clients["viewer"].get("/waiting-list", params={"target": "92", "by": str(by)}).text)
    words = " ".join(page.split("try-target-lists")[1].split("</p>")[0].split())
    assert f"(the target is for {by.strftime('%B %Y')}, after the months shown here" in words
    near = html.unescape(clients["viewer"].get("/waiting-list", params={"target": "92"}).text)
    assert "after the months shown here" not in near


def test_a_hidden_band_is_explained_beside_the_bands(page):
    """A third look: the bands showed "*" with nothing near them saying what it means."""
    table = page.split('id="weeks-waited"')[1].split("</table>")[0]
    cells = re.findall(r'cell--numeric">([^<]*)<', table)
    summary = page.split("Waiting more than 52 weeks</dt>")[1].split("</dd>")[0]
    hidden = "*" in cells or summary.endswith(">*")
    assert ('id="bands-mask"' in page) == hidden
    if hidden:
        assert "1 to 7 patients, or a count that would give such a number away" in page


def test_the_pressure_legend_does_not_promise_no_one_waits_past_the_target(page):
    """A clinician's reading: P4 at pressure 0.67 beside 33 P4 patients over a year, under "above 1,
    the target is being missed", read as "P4 is fine". Below 1 the tail can still miss it."""
    assert "the target is being missed" not in page
    assert "below 1 some patients can still wait past the target" in " ".join(page.split())


def test_a_hidden_modelled_count_in_the_scenario_is_explained_under_its_table(clients):
    """An outsider with `?lists=0.6`: "* waiting more than 52 weeks (baseline 42)" and five months of
    "*" with no note beside the table (the page's only legend, by the bands, spoke of patients)."""
    shown = {}
    for lists in (f"{tenths / 5:g}" for tenths in range(31)):  # 0 to 6 lists a week, by 0.2
        text = clients["viewer"].get("/waiting-list", params={"lists": lists}).text
        table = text.split('id="scenario-table"')[1].split("</table>")[0]
        shown[lists] = (">*<" in table, 'id="scenario-mask"' in text)
    assert any(star for star, _ in shown.values())  # some scenario reaches 1–7 over 52 weeks
    assert all(star == said for star, said in shown.values()), shown


def test_a_year_ahead_tested_for_fewer_months_is_called_a_rough_guide_where_it_is_said(page, demo_warehouse):
    """An outsider: the report's headline gave March 2026 as "1,657 (1,307 to 2,008)", its "tested to
    9 months ahead only … rough guide" a page later, under the table."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        pathways = con.execute("SELECT * FROM rtt_pathways").fetch_df()
    tested = project(history_from_table(history_from_pathways(pathways)), 12).width.tested_months
    assert tested < 12  # 36 months of history: the year ahead is not fully tested
    sentence = " ".join(page.split("The list is projected at ")[1].split(":")[0].split())
    assert f"tested to {tested} months ahead only" in sentence, sentence


def test_lists_the_model_cannot_fill_are_said_to_treat_no_more(clients):
    """An outsider: `?lists=30` read "30 extra theatre lists a week (106.1 treatments)" while the list
    stopped at 313 from about 8 lists a week: most of those treatments had no one to treat."""
    words = {}
    for lists in ("1", "30"):
        text = clients["viewer"].get("/waiting-list", params={"lists": lists}).text
        words[lists] = " ".join(html.unescape(text.split('id="scenario-words"')[1].split("</p>")[0]).split())
    assert "find a patient" not in words["1"]
    found = r"Only ([\d,]+) of the ([\d,]+) extra treatments these lists give find a patient"
    said = re.search(found, words["30"])
    assert said and int(said[1].replace(",", "")) < int(said[2].replace(",", "")), words["30"]
    assert "so more lists treat no more" in words["30"]


def test_the_scenario_hides_a_share_or_count_the_weeks_table_would():
    """The scenario's rows and chart follow the weeks table's rule: 400 waiting with 5 over 18 weeks
    hides the share (it gives the 5 back); 300 over 18 weeks does not. A 52-week count of 3 is hidden."""
    from stocktake.waitinglist.scenario import MonthPair
    from stocktake.web.routes.waitinglist import _rows, scenario_figure

    pair = MonthPair("2025-04", (400.0, 400.0), (98.75, 25.0), (3.0, 40.0))
    row = _rows((pair,))[0]
    assert row.pct_within_18_weeks == ("*", "25.0%")
    assert row.over_52_weeks == ("*", "40")
    # a modelled list of 3 (an outside check: "3 waiting, 100.0% within 18 weeks" was shown)
    small = _rows((MonthPair("2026-03", (26.0, 3.0), (60.0, 100.0), (0.0, 0.0)),))[0]
    assert small.waiting == ("26", "*")
    inside = _rows((pair,), suppress=False)[0]
    assert inside.pct_within_18_weeks == ("98.8%", "25.0%") and inside.over_52_weeks == ("3", "40")
    figure = scenario_figure((pair,))
    share = [trace["y"] for trace in figure["data"] if trace.get("yaxis") == "y2"]
    assert share == [[None], [25.0]]


def test_a_sweep_beside_extra_lists_is_not_blamed_on_the_lists_floor(clients):
    """A director's check: 8 extra lists with a 20% sweep read "Only 1,386 of the 1,475 extra
    treatments these lists give find a patient: … no one waiting under 4 weeks", said of the lists
    alone by no one: the shortfall was the sweep's share of those the lists reach."""
    alone = clients["viewer"].get("/waiting-list", params={"lists": "8"})
    swept = clients["viewer"].get("/waiting-list", params={"lists": "8", "validation": "20"})
    assert alone.status_code == swept.status_code == 200
    assert ("find a patient" in alone.text) == ("find a patient" in swept.text)


def test_a_scenario_share_beside_the_target_reads_met_only_when_it_is():
    """A director's check: 27.9 treatments a week reached 91.9665% and the scenario read "92.0%"
    under the answer that 28.0 is the least that reaches 92%."""
    from stocktake.waitinglist.scenario import MonthPair
    from stocktake.web.routes.waitinglist import _rows, share_beside

    pair = MonthPair("2026-03", (3651.0, 3400.0), (68.9, 91.9665), (40.0, 10.0))
    beside_92 = share_beside(WaitTarget(pd.Period("2026-03", "M"), pct_within_18_weeks=92.0))
    assert _rows((pair,), share=beside_92)[0].pct_within_18_weeks == ("68.9%", "91.96%")
    reached = MonthPair("2026-03", (3651.0, 3400.0), (68.9, 92.04), (40.0, 10.0))
    assert _rows((reached,), share=beside_92)[0].pct_within_18_weeks == ("68.9%", "92.0%")
    beside_none = share_beside(WaitTarget(pd.Period("2026-03", "M"), no_52_week_waiters=True))
    assert _rows((pair,), share=beside_none)[0].pct_within_18_weeks == ("68.9%", "92.0%")


def test_a_refused_target_month_is_not_carried_into_the_lists_link(clients, expected):
    """A director's check: `by` before the list's month was refused, the default target's answer shown,
    and its "Try the target's lists" link carried the refused month, refused again when followed."""
    early = str(expected["month"] - 1)
    refused = clients["viewer"].get("/waiting-list", params={"target": "92", "by": early})
    assert refused.status_code == 422
    link = html.unescape(re.search(r'href="([^"]+)" id="try-target-lists"', refused.text)[1])
    assert f"by={early}" not in link and f"by={expected['month'] + 12}" in link
    assert clients["viewer"].get(link).status_code == 200


def test_a_target_met_at_the_present_flows_says_when_its_interval_reaches_below(clients, expected):
    """A director's check: "met without extra capacity (68.9% … then)" for a 68% target, where the
    month's 95% interval ran from 65.8%: the answer is a central figure, and now says so."""
    by = expected["month"] + 12
    central = float(expected["weeks"].set_index("month").loc[str(by), "pct_within_18_weeks"])
    near = f"{np.floor(central * 10) / 10 - 0.1:.1f}"  # met by the central path, by a tenth or two
    page = html.unescape(clients["viewer"].get("/waiting-list", params={"target": near, "by": str(by)}).text)
    said = " ".join(page.split())
    assert "met without extra capacity" in said
    assert re.search(r"its 95% interval, [\d.]+% to [\d.]+%, reaches below the target", said)
    far = html.unescape(clients["viewer"].get("/waiting-list", params={"target": "5", "by": str(by)}).text)
    assert "met without extra capacity" in far and "reaches below the target" not in far


def test_the_departments_own_target_is_offered_beside_the_92_the_page_starts_at(
    demo_warehouse, clients, page
):
    """An outside check: the page answered for 92% while the stock-take held the service to 75.3% for
    the same share. The catalogue's target there is 65%, or March 2025's share 5 points better,
    whichever is higher: read here from the pathways themselves."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        waiting, within = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE DATE '2025-03-31' - clock_start::DATE <= 126) "
            "FROM rtt_pathways WHERE clock_start::DATE <= DATE '2025-03-31' "
            "AND (clock_stop IS NULL OR clock_stop::DATE > DATE '2025-03-31')"
        ).fetchone()
    assert waiting > 0
    own = max(65.0, 100 * within / waiting + 5)
    planned = f"{math.ceil(round(own * 100, 6)) / 100:g}%"  # to a hundredth, rounded up
    shown = f"{planned}, {own:.1f}% in its table"
    said = " ".join(html.unescape(page.split('id="own-target">')[1].split("</p>")[0]).split())
    assert said.startswith(f"The department's own target for this share is {shown}, the stock-take's for")
    assert "the answer below is for the NHS constitution's standard, 92% by" in said
    link = html.unescape(re.search(r'href="([^"]+)" id="own-target-link"', page).group(1))
    followed = clients["viewer"].get(link)
    answer = " ".join(html.unescape(followed.text.split('id="capacity-answer"')[1].split("</p>")[0]).split())
    assert followed.status_code == 200 and f"{planned} within 18 weeks" in answer
    # once asked, the page says no more than the target is its own
    again = " ".join(html.unescape(followed.text.split('id="own-target">')[1].split("</p>")[0]).split())
    assert "the answer below" not in again and 'id="own-target-link"' not in followed.text


def test_the_page_stands_without_the_own_target_when_the_stock_take_fails(app, clients, monkeypatch):
    """An outside check: a dataset the catalogue could not read failed the stock-take, and with it
    this page, which had stood before the own target was read from it."""

    def broken(*args, **kwargs):
        raise ValueError("Column 'spell_id' is not found in table hip_fractures")

    monkeypatch.setattr(app.state.workspace, "stocktake", broken)
    answer = clients["viewer"].get("/waiting-list")
    assert answer.status_code == 200 and 'id="capacity-answer"' in answer.text
    assert 'id="own-target"' not in answer.text
