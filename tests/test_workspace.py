"""The workspace's stock-take per site, and its cache following the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import event

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.metrics.catalogue import DEFAULT_CATALOGUE
from stocktake.verdicts.narrative import CATEGORIES, category
from stocktake.workspace import NO_RECORDS_HERE, NOT_BY_SITE, Breakdown, Workspace, complemented


@pytest.fixture
def workspace_and_db(tmp_path, demo_warehouse):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    upgrade(url)
    with session_factory(make_engine(url))() as db:
        yield Workspace(warehouse, DEFAULT_CATALOGUE), db


def test_a_site_with_only_some_data_lists_only_those_measures(workspace_and_db):
    workspace, db = workspace_and_db
    with duckdb.connect(str(workspace.warehouse)) as con:  # a new site that so far only orders implants
        con.execute("INSERT INTO procurement SELECT * REPLACE ('Hilltop' AS site) FROM procurement LIMIT 50")
    assert "Hilltop" in workspace.groups("site")
    areas = {e.result.metric.area for e in workspace.stocktake(db, site="Hilltop").entries}
    assert areas == {"Procurement"}
    assert len(workspace.stocktake(db).entries) == len(workspace.catalogue.metrics)


def test_a_sites_stocktake_names_the_measures_whose_records_hold_no_site(workspace_and_db):
    """The waiting list's pathways record no site: a site's report once left its measures out unsaid."""
    workspace, db = workspace_and_db
    site = workspace.groups("site")[0]
    taken = workspace.stocktake(db, site=site)
    waiting = {m.title for m in workspace.catalogue.metrics if m.area == "Waiting list"}
    assert waiting and not waiting & {e.result.metric.title for e in taken.entries}
    named = {title for title, lacking in taken.no_data if lacking == (NOT_BY_SITE,)}
    assert waiting <= named and not named & {e.result.metric.title for e in taken.entries}
    assert not any(lacking == (NOT_BY_SITE,) for _, lacking in workspace.stocktake(db).no_data)


def test_a_sites_stocktake_names_the_measures_it_has_no_record_of(workspace_and_db):
    """A site that only orders implants: its report named none of the clinical measures it lacks."""
    workspace, db = workspace_and_db
    with duckdb.connect(str(workspace.warehouse)) as con:
        con.execute("INSERT INTO procurement SELECT * REPLACE ('Hilltop' AS site) FROM procurement LIMIT 50")
    taken = workspace.stocktake(db, site="Hilltop")
    shown = {e.result.metric.id for e in taken.entries}
    by_site = set(workspace.series("site"))
    missing = {workspace.catalogue.metric(i).title for i in by_site - shown}
    assert missing and missing == {title for title, lacking in taken.no_data if lacking == (NO_RECORDS_HERE,)}


def test_a_warehouse_holding_only_some_datasets_shows_the_measures_it_can(workspace_and_db):
    """What `ingest --partial` with one extract leaves: the others' measures are left out, no crash."""
    workspace, db = workspace_and_db
    with duckdb.connect(str(workspace.warehouse)) as con:
        for name in ("rtt_pathways", "procurement"):
            con.execute(f"DROP TABLE {name}")
    areas = {e.result.metric.area for e in workspace.stocktake(db).entries}
    assert areas and not areas & {"Procurement", "Waiting list"}
    assert "Theatres" in areas


def test_a_page_reads_the_revision_once_yet_sees_its_own_change(workspace_and_db):
    """The revision is read once per transaction; a change commits, so the next read is fresh."""
    workspace, db = workspace_and_db
    admin = actions.create_user(
        db, by=None, username="lead", full_name="Lead", password="a long password here, fern", role="admin"
    )
    metric_id = workspace.catalogue.metrics[0].id
    before = workspace.stocktake(db)
    queries = []
    event.listen(db.get_bind(), "before_cursor_execute", lambda *args: queries.append(args[2]))
    assert workspace.stocktake(db) is before and workspace.revision(db) == workspace.revision(db)
    assert not queries  # both answered from the cache and the transaction's revision
    actions.set_target(db, by=admin, metric_id=metric_id, value=0.5, basis="hand-set")
    after = workspace.stocktake(db)
    assert after is not before
    assert next(e for e in after.entries if e.result.metric.id == metric_id).result.chart.target == 0.5


def _category(chart) -> str:
    return CATEGORIES[category(chart.latest.variation_type, chart.latest.assurance_type, chart.improvement)]


def test_a_new_rebase_is_described_with_the_verdict_with_and_without_it(
    workspace_and_db, verdict_changing_rebase
):
    workspace, db = workspace_and_db
    metric, when, with_it, without = verdict_changing_rebase(workspace)
    detail = workspace.rebase_readings(db, metric.id, when)
    assert detail.startswith("limits start again. ")
    assert f"With it: {_category(with_it)}." in detail and f"Without it: {_category(without)}." in detail


def test_a_rebase_too_late_to_restart_the_limits_is_described_as_deferred(workspace_and_db):
    workspace, db = workspace_and_db
    frame = workspace.series()["rtt_over_78_weeks"]
    detail = workspace.rebase_readings(db, "rtt_over_78_weeks", frame["period"].iloc[-6].date())
    assert detail.startswith("limits to start again, deferred: 6 of 12 values follow it. ")
    verdict = detail.split("With it: ")[1].split(".")[0]
    assert f"Without it: {verdict}." in detail  # deferred: both readings are the chart without it


def test_one_hidden_value_in_a_drilldown_hides_the_next_smallest_too():
    """Total 52, one site's 5 hidden: shown alone, 20 and 27 would give it away (52 − 20 − 27)."""
    from types import SimpleNamespace

    import numpy as np

    from stocktake.workspace import Breakdown, complemented

    def row(group, latest_cases, hidden):
        counted = SimpleNamespace(numerator_is_count=False)  # a mean's cases: one count behind it
        result = SimpleNamespace(denominator=np.array([30.0, latest_cases]), numerator=None, metric=counted)
        return Breakdown(group, result, latest_hidden=hidden)

    rows = [row("Riverside", 27, False), row("Northshire", 5, True), row("Hilltop", 20, False)]
    assert [r.latest_hidden for r in complemented(rows)] == [False, True, True]
    two = [row("A", 27, False), row("B", 5, True), row("C", 6, True)]  # two hidden: neither derivable
    assert complemented(two) == two


def test_a_warehouse_holding_only_the_waiting_list_has_no_sites_and_still_takes_stock(workspace_and_db):
    """The RTT extract has no site: the site filter is empty, the overview shows the waiting list."""
    workspace, db = workspace_and_db
    with duckdb.connect(str(workspace.warehouse)) as con:
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            if name != "rtt_pathways":
                con.execute(f"DROP TABLE {name}")
    assert workspace.groups("site") == []
    assert {e.result.metric.area for e in workspace.stocktake(db).entries} == {"Waiting list"}


def test_a_drilldown_reads_each_group_against_the_departments_target(workspace_and_db):
    workspace, db = workspace_and_db
    metric_id = "hipfx_surgery_36h"  # no catalogue target: every group says "No target" until one is set
    assert workspace.catalogue.metric(metric_id).target is None
    assert {r.result.assurance_type for r in workspace.drilldown(db, metric_id, "site")} == {None}
    lead = actions.create_user(
        db, by=None, username="lead", full_name="Lead", password="a long password here, fern", role="admin"
    )
    actions.set_target(db, by=lead, metric_id=metric_id, value=99.0, basis="hand-set", percent=True)
    rows = workspace.drilldown(db, metric_id, "site")
    readings = {r.result.assurance_type for r in rows}
    assert rows and None not in readings and "consistent_fail" in readings  # 99%: far above most sites


def test_drilldown_groups_are_named_as_people_call_them():
    names = {"consultant": {"C1234567": "Ms A Khan"}}
    workspace = Workspace(__file__, DEFAULT_CATALOGUE, names=names)
    assert workspace.name_of("consultant", "C1234567") == "Ms A Khan"
    assert workspace.name_of("consultant", "C7654321") == "C7654321"  # not named: the code
    assert workspace.name_of("procedure_group", "hip_fracture_fixation") == "Hip fracture fixation"
    assert workspace.name_of("procedure_group", "hand") == "Hand"  # read alike in one table
    assert workspace.name_of("site", "General") == "General"


def test_a_page_already_made_is_not_kept_waiting_while_something_else_is_made(workspace_and_db):
    """The start-up warming (or a slow first drill-down) makes one thing; a page whose answer is
    already made returns at once, and a second asker of the thing being made waits for it, once."""
    import threading

    workspace, db = workspace_and_db
    made = workspace.cached(("made",), db, lambda: "ready")
    started, release, calls = threading.Event(), threading.Event(), []

    def slow():
        calls.append(1)
        started.set()
        release.wait(10)
        return "slow"

    first = threading.Thread(target=lambda: workspace.cached(("slow",), db, slow))
    first.start()
    assert started.wait(10)
    answers = []
    second = threading.Thread(target=lambda: answers.append(workspace.cached(("slow",), db, slow)))
    second.start()
    assert workspace.cached(("made",), db, lambda: "made again") == made  # not blocked, not remade
    assert second.is_alive()  # waits for the first asker's answer rather than making its own
    release.set()
    first.join(10), second.join(10)
    assert answers == ["slow"] and calls == [1]


def test_warming_makes_every_dimensions_series_and_the_stocktake(workspace_and_db, tmp_path):
    workspace, _db = workspace_and_db
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    workspace.warm(session_factory(make_engine(url)))
    made = {key[1] for key in workspace._series}
    assert made == {None, *workspace.catalogue.dimensions}
    assert any(key[0] == "stocktake" for key in workspace._built)


def test_no_sites_hidden_point_can_be_worked_out_from_the_other_sites_reports_and_the_whole(
    workspace_and_db,
):
    """An outside check: Riverside's elective hip length of stay in September 2022 was "*" (6 spells)
    in its report, and the trust's 36 less Northshire's 16 and Westfield's 14 gave it back. Now, in
    every measure and month, the sites' reports hide none or every site (so no two measures sharing a
    count can choose different partners), and the hidden sites' cases add to 8 or more."""
    workspace, db = workspace_and_db
    sites = workspace.groups("site")
    assert len(sites) >= 3
    reports = {
        site: {e.result.metric.id: e for e in workspace.stocktake(db, site=site).entries} for site in sites
    }
    by_site = workspace.series("site")
    checked = small_seen = 0
    for metric_id, frame in by_site.items():
        if "denominator" not in frame:
            continue
        for period, rows in frame.groupby("period"):
            hidden, sizes = [], []
            for site, row in zip(rows["site"].astype(str), rows.itertuples(), strict=True):
                entry = reports[site].get(metric_id)
                if entry is None:
                    continue
                k = entry.result.x.get_indexer([period])[0]
                if k >= 0 and entry.hidden[k]:
                    hidden.append(site)
                    sizes.append(row.denominator)
                small_seen += int(1 <= row.denominator <= 7)
            checked += 1
            assert len(hidden) in (0, len(rows)), (metric_id, period, hidden)
            assert not hidden or sum(sizes) >= 8, (metric_id, period, hidden, sizes)
    assert checked > 100 and small_seen > 0  # the demo has small site-months to protect


def _crafted_list(tmp_path, make) -> Path:
    """A warehouse of a list crafted so that two drill-downs of one count could choose differently."""
    groups = {
        "P1": (0, 1, 4),
        "P2": (40, 56, 200),
        "P3": (100, 200, 400),
        "P4": (150, 250, 300),
        "P5": (2, 200, 20),
    }
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("incoming", make(groups, 7))
        con.execute("CREATE TABLE rtt_pathways AS SELECT * FROM incoming")
    return path


def test_two_drill_downs_of_one_count_hide_nested_sets(tmp_path, pathways_by_priority):
    """A final outside check: "Patients waiting" by priority hid P1 and P2, "within 18 weeks" by
    priority P1 and P5 (P5 hidden for its 2 within 18 weeks took P2's place as P1's partner), showing
    P2's waiting as its cases; with the total, the lone P1 came back. Each count now has its own set,
    and a drill-down hides the union of its counts' sets: the within-18 drill-down hides everything the
    waiting drill-down hides, so together they give no more away than one."""
    from stocktake.metrics.catalogue import CATALOGUE_DIR

    workspace = Workspace(
        _crafted_list(tmp_path, pathways_by_priority), CATALOGUE_DIR / "elective_surgery.yaml"
    )

    def hidden(metric_id: str) -> set[str]:
        groups = workspace._drilldown(metric_id, "priority", None)
        rows = complemented(
            [Breakdown.of(g, r, True) for g, r in groups], workspace._whole_latest(metric_id, "priority")
        )
        return {r.group for r in rows if r.latest_hidden}

    waiting, within = hidden("rtt_waiting_list_size"), hidden("rtt_within_18_weeks")
    assert waiting == {"P1", "P2"}  # the lone P1 and the fewest waiting beside it
    assert within >= waiting and "P5" in within


def test_two_drill_downs_of_one_chain_never_differ_by_a_small_number(tmp_path):
    """A final outside check: one consultant's "Patients waiting" drill-down showed 12 and "more than 52
    weeks" 9, so 3 waited a year or less. A measure of the chain (waiting, over 18, over 52 weeks …) is
    now read with the chain for each group: the 9 and the over-18 count are hidden, each with a partner
    (alone, the total less the groups shown would give the 9 back), and the 12 is shown."""
    import pandas as pd

    from stocktake.metrics.catalogue import CATALOGUE_DIR

    end = pd.Timestamp("2025-11-30")
    rows = []
    for group, recent, year_plus in (("P1", 3, 9), ("P2", 50, 30), ("P3", 100, 60), ("P4", 120, 40)):
        rows += [(end - pd.Timedelta(days=30 + i % 60), group) for i in range(recent)]
        rows += [(end - pd.Timedelta(days=400 + i % 60), group) for i in range(year_plus)]
    frame = pd.DataFrame(rows, columns=["clock_start", "priority"]).assign(
        clock_stop=pd.NaT, status="waiting", procedure_group="all", consultant=None
    )
    frame.insert(0, "patient_id", [f"x{i}" for i in range(len(frame))])
    frame.insert(0, "pathway_id", [f"p{i}" for i in range(len(frame))])
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("incoming", frame)
        con.execute("CREATE TABLE rtt_pathways AS SELECT * FROM incoming")
    workspace = Workspace(path, CATALOGUE_DIR / "elective_surgery.yaml")

    def shown(metric_id: str) -> dict[str, float]:
        groups = workspace._drilldown(metric_id, "priority", None)
        rows = complemented(
            [Breakdown.of(g, r, True) for g, r in groups],
            workspace._whole_latest(metric_id, "priority"),
            workspace._held_count(metric_id),
        )
        # a partner's exact mean is never shown: 16 points of a mean 5 less those shown gave its latest
        # back; a count's is "*", a share's coarsened (``test_a_partners_mean_is_coarsened``)
        for r in rows:
            if r.latest_hidden and r.result.metric.denominator is None:
                assert r.mean is None
        return {r.group: r.result.numerator[-1] for r in rows if not r.latest_hidden}

    waiting, over_52, within = (
        shown(i) for i in ("rtt_waiting_list_size", "rtt_over_52_weeks", "rtt_within_18_weeks")
    )
    assert waiting == {"P1": 12, "P2": 80, "P3": 160, "P4": 160}
    assert "P1" not in over_52 and len(over_52) == 2  # with its partner, the fewest over 52 weeks (P2)
    assert "P1" not in within and len(within) == 2
    for metric_id, groups in (("rtt_over_52_weeks", over_52), ("rtt_within_18_weeks", within)):
        kept = set(groups)
        for group in kept & set(waiting):  # no two shown counts of one group differ by 1-7
            assert not 1 <= abs(waiting[group] - groups[group]) <= 7, (metric_id, group)


def test_a_column_loaded_blank_gives_no_drill_down_rather_than_one_row_of_everyone(workspace_and_db):
    """A final outside check: a consultant column loaded but blank gave a drill-down of one row,
    "(not recorded)", the whole list under another name. Now there is no breakdown, said so."""
    workspace, db = workspace_and_db
    with duckdb.connect(str(workspace.warehouse)) as con:
        con.execute("UPDATE rtt_pathways SET consultant = NULL")
    assert workspace.drilldown(db, "rtt_waiting_list_size", "consultant") == []
    assert len(workspace.drilldown(db, "rtt_waiting_list_size", "priority")) >= 3


def test_a_drill_down_by_priority_spans_the_departments_chart_not_the_lists_first_clock_start(
    workspace_and_db,
):
    """An outside check: by priority (which only the waiting list has) the series began at the first
    clock start, years of a list filling up before the department's chart starts; P4 read 100% within
    18 weeks in 2020 and its mean was hidden for those months. Every group now starts with the chart."""
    workspace, db = workspace_and_db
    whole = workspace.series()["rtt_within_18_weeks"]["period"].min()
    assert workspace.series("priority")["rtt_within_18_weeks"]["period"].min() == whole
    for row in workspace.drilldown(db, "rtt_within_18_weeks", "priority"):
        assert row.result.x.min() == whole


def test_a_partners_mean_is_coarsened_so_its_hidden_latest_is_not_given_back():
    """An outside check: a partner row (its latest hidden only to protect another group's) showed its
    exact mean, and 16 points times it, less the months a CSV shows, gave the latest back. A share's
    mean beside a hidden latest is now coarsened as exports coarsen it: the latest it leaves possible
    spans the limits' width. A stay's mean with no point hidden stays exact."""
    from types import SimpleNamespace

    import numpy as np

    from stocktake.metrics.catalogue import Aggregate, Metric
    from stocktake.metrics.suppression import _nice_step
    from stocktake.spc.xmr import xmr

    count = Aggregate("rtt_pathways", "clock_start")
    share = Metric("s", "S", "A", "%", "increase", "h", numerator=count, denominator=count, scale=100.0)
    y = np.random.default_rng(7).normal(70, 4, 16).round(1)
    chart = xmr(y)
    result = SimpleNamespace(chart=chart, hidden=np.zeros(16, bool), metric=share, one_person=None)
    assert Breakdown("P2", result).mean == pytest.approx(chart.latest.mean)  # nothing hidden: exact
    partner = Breakdown("P2", result, latest_hidden=True)
    width = float(chart.upl[-1] - chart.lpl[-1])
    step = _nice_step(width / 16)  # the shown mean is a multiple of this
    assert partner.mean == pytest.approx(round(chart.latest.mean / step) * step)
    # every latest from 16 × (mean ± half a step) less the 15 shown fits the shown mean: the truth too
    low, high = (16 * (partner.mean + k * step / 2) - y[:-1].sum() for k in (-1, 1))
    assert high - low >= width and low <= y[-1] <= high
    # a hidden month of 3 cases moves by 33 points a person: 16 of them over 16 points is a step of 50,
    # beside limits some 25 wide, and a mean rounded so would misread: "*"
    few = SimpleNamespace(**(vars(result) | {"one_person": np.full(16, 100 / 3)}))
    assert Breakdown("P2", few, latest_hidden=True).mean is None
    assert partner.mean_rounded and not Breakdown("P2", result).mean_rounded
    assert not partner.latest_empty
    empty = xmr(np.r_[y[:-1], np.nan])
    assert Breakdown("P2", SimpleNamespace(**(vars(result) | {"chart": empty}))).latest_empty
    # a final check: limits 0-260% passed the rule and a step of 50 read 66.9% as 50%; as drawn, 0-100%
    wide = xmr(np.where(np.arange(16) % 2 == 0, 10.0, 100.0))
    assert wide.upl[-1] - wide.lpl[-1] > 200  # computed limits far beyond a percentage
    swings = SimpleNamespace(
        chart=wide, hidden=np.zeros(16, bool), metric=share, one_person=np.full(16, 50.0)
    )
    assert Breakdown("C1", swings, latest_hidden=True).mean is None
    # a last check: a mortality of 7.7%, rounded to a step of 5, read "about 10%": a quarter of itself
    low = xmr(np.clip(np.random.default_rng(3).normal(7.7, 6, 16), 0, 100).round(1))
    assert min(low.upl[-1], 100) - max(low.lpl[-1], 0) >= 4 * 5 > 2 * low.latest.mean  # width would pass
    rate = SimpleNamespace(chart=low, hidden=np.zeros(16, bool), metric=share, one_person=np.full(16, 5.0))
    assert Breakdown("C2", rate, latest_hidden=True).mean is None


def test_a_drill_downs_mean_is_hidden_where_its_points_are(tmp_path, pathways_by_priority):
    """The same check: a group of one waiting patient had every month "*" and its mean 1.0 beside
    them. The mean of a period holding a hidden point is "*" too."""
    from stocktake.metrics.catalogue import CATALOGUE_DIR

    workspace = Workspace(
        _crafted_list(tmp_path, pathways_by_priority), CATALOGUE_DIR / "elective_surgery.yaml"
    )
    rows = {
        g: Breakdown.of(g, r, True)
        for g, r in workspace._drilldown("rtt_waiting_list_size", "priority", None)
    }
    assert rows["P1"].mean is None and rows["P4"].mean is not None


def test_priorities_are_not_put_on_one_funnel_nor_read_against_the_18_weeks(workspace_and_db):
    """An outside check: by priority, "within 18 weeks" read P2 as "will consistently meet the target"
    while 31% of P2 were past their own month, and a funnel called P2 high and P4 low: only that their
    target times differ. A dimension with ``own_standards`` (priority) has neither; consultants keep
    both."""
    workspace, db = workspace_and_db
    assert workspace.catalogue.dimensions["priority"].own_standards
    assert not workspace.catalogue.dimensions["consultant"].own_standards
    by_priority = workspace.drilldown(db, "rtt_within_18_weeks", "priority")
    assert by_priority and {r.result.assurance_type for r in by_priority} == {None}
    assert workspace.peers(db, "rtt_within_18_weeks", "priority") is None
    by_consultant = workspace.drilldown(db, "rtt_within_18_weeks", "consultant")
    assert {r.result.assurance_type for r in by_consultant} - {None}
    assert workspace.peers(db, "rtt_within_18_weeks", "consultant") is not None
