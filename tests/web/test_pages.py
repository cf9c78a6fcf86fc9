"""What the pages do, checked against the data behind them and effects injected with a known answer."""

from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from stocktake.appdb.actions import ActionError
from stocktake.appdb.models import AuditEvent
from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.ingest.mapping import load_mapping
from stocktake.settings import DEMO_MAPPING
from stocktake.verdicts.narrative import CATEGORIES, category
from stocktake.web.pages import change_then, change_then_redirect

METRIC = "hipfx_surgery_36h"


def events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return db.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def chart_of(page: str) -> dict:
    attribute = re.search(r'<div id="chart" class="chart" data-figure="([^"]*)"', page)[1]
    return json.loads(html.unescape(attribute))


def test_overview_lists_every_metric_with_its_verdict(app, clients):
    page = clients["viewer"].get("/").text
    catalogue = app.state.workspace.catalogue
    for metric in catalogue.metrics:
        assert f'href="/metrics/{metric.id}"' in page
    assert f"{len(catalogue.metrics)} measures" in page


def test_overview_filters_by_area_and_site(app, clients):
    theatres = clients["viewer"].get("/", params={"area": "Theatres"}).text
    expected = [m.id for m in app.state.workspace.catalogue.metrics if m.area == "Theatres"]
    assert sorted(re.findall(r'href="/metrics/([a-z0-9_]+)"', theatres)) == sorted(expected)
    site = app.state.workspace.groups("site")[0]
    at_site = clients["viewer"].get("/", params={"site": site}, headers={"HX-Request": "true"})
    assert at_site.status_code == 200
    assert "<html" not in at_site.text  # HTMX gets the table alone
    assert f"at {site}" in at_site.text


def test_overview_finds_what_is_going_backwards_in_one_click(app, clients):
    """Counts per verdict at the top, each a filter; the table then holds those measures only."""
    with app.state.sessions() as db:
        taken = app.state.workspace.stocktake(db)
    expected = {key: [e.result.metric.id for e in entries] for key, entries in taken.by_category().items()}
    page = clients["viewer"].get("/").text
    for key, ids in expected.items():
        if ids:
            assert re.search(
                rf'<span class="verdict-count__number">{len(ids)}</span> {CATEGORIES[key]}</a>', page
            )
    backwards = clients["viewer"].get("/", params={"verdict": "going_backwards"}).text
    table = backwards.split('id="overview-table"')[1]
    assert re.findall(r'href="/metrics/([a-z0-9_]+)"', table) == expected["going_backwards"]


def test_overview_matrix_counts_every_measure_once_and_its_cells_filter(app, clients):
    with app.state.sessions() as db:
        taken = app.state.workspace.stocktake(db)
    page = clients["viewer"].get("/").text
    matrix = page.split('class="nhsuk-table mdc-matrix"')[1].split("</table>")[0]
    counts = [int(n) for n in re.findall(r"<td class=\"nhsuk-table__cell\">(?:<a [^>]*>)?(\d+)", matrix)]
    assert len(counts) == 12 and sum(counts) == len(taken.entries)
    common_fail = [
        e.result.metric.id
        for e in taken.entries
        if e.result.variation_type == "common_cause" and e.result.assurance_type == "consistent_fail"
    ]
    cell = (
        clients["viewer"].get("/", params={"variation": "common_cause", "assurance": "consistent_fail"}).text
    )
    assert re.findall(r'href="/metrics/([a-z0-9_]+)"', cell.split('id="overview-table"')[1]) == common_fail


def test_overview_search_and_sort(app, clients):
    catalogue = app.state.workspace.catalogue
    found = clients["viewer"].get("/", params={"q": "hip 36"}, headers={"HX-Request": "true"}).text
    expected = [
        m.id for m in catalogue.metrics if all(w in f"{m.title} {m.area}".lower() for w in ("hip", "36"))
    ]
    assert (
        expected
        and re.findall(r'href="/metrics/([a-z0-9_]+)"', found.split('id="overview-table"')[1]) == expected
    )
    assert "No measure matches" in clients["viewer"].get("/", params={"q": "zzzz"}).text
    by_title = clients["viewer"].get("/", params={"sort": "title"}).text.split('id="overview-table"')[1]
    titles = {m.id: m.title.lower() for m in catalogue.metrics}
    ids = re.findall(r'href="/metrics/([a-z0-9_]+)"', by_title)
    assert [titles[i] for i in ids] == sorted(titles[i] for i in ids)
    unknown = clients["viewer"].get("/", params={"verdict": "<script>", "sort": "x", "assurance": "y"})
    assert unknown.status_code == 200 and "&lt;script&gt;" not in unknown.text


def test_site_overview_shows_that_sites_own_latest_value(app, clients):
    site = app.state.workspace.groups("site")[0]
    frame = app.state.workspace.series("site")[METRIC]
    latest = frame[frame["site"] == site].sort_values("period").iloc[-1]
    page = clients["viewer"].get(f"/metrics/{METRIC}", params={"site": site}).text
    assert f"{latest['value']:.1f}%" in page


def test_metric_page_has_a_titled_chart_and_its_data_as_a_table(app, clients):
    """For screen-reader and keyboard users, every point of the chart is in a table under it."""
    page = clients["viewer"].get(f"/metrics/{METRIC}").text
    figure = chart_of(page)
    metric = app.state.workspace.catalogue.metric(METRIC)
    assert figure["layout"]["title"]["text"] == metric.title
    frame = app.state.workspace.series()[METRIC]
    table = page.split('class="nhsuk-details chart-data"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", table)
    assert len(rows) == len(frame)
    last = frame.iloc[-1]
    assert rows[-1] == (pd.Timestamp(last["period"]).strftime("%b %Y"), f"{last['value']:.1f}%")


def test_the_chart_tables_limits_are_the_drawn_ones_never_a_negative_percentage(app, clients):
    """A clinical director read a mortality page whose sentence said 0.0% to 18.0% and whose table
    said a lower limit of -2.5%: the table now shows the limits as the chart draws them."""
    with app.state.sessions() as db:
        entries = app.state.workspace.stocktake(db).entries
    below_zero = [
        e.result.metric.id
        for e in entries
        if e.result.metric.unit == "%" and e.result.metric.monthly and np.nanmin(e.result.chart.lpl) < 0
    ]
    assert below_zero, "some percentage's computed lower limit is below 0 in the test department"
    for metric_id in below_zero:
        page = clients["viewer"].get(f"/metrics/{metric_id}").text
        table = page.split('class="nhsuk-details chart-data"')[1].split("</table>")[0]
        limits = re.findall(r"<tr><td>[^<]+</td><td>[^<]+</td><td>[^<]+</td><td>([^<]+)</td>", table)
        assert limits and not any(cell.startswith("-") for cell in limits), metric_id
        assert "0.0%" in limits


def test_editor_sets_a_target_that_the_chart_and_overview_then_use(app, clients):
    editor = clients["editor"]
    answer = editor.post(
        f"/metrics/{METRIC}/target",
        data={"value": "77.5", "basis": "midway to GIRFT", "csrf_token": editor.csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = clients["viewer"].get(f"/metrics/{METRIC}").text
    assert "77.5% — midway to GIRFT" in page
    target_line = next(t for t in chart_of(page)["data"] if t.get("name") == "Target")
    assert target_line["y"] == [77.5, 77.5]
    assert events(app, "target_set")[-1].subject == f"metric:{METRIC}"
    refused = editor.post(
        f"/metrics/{METRIC}/target", data={"value": "lots", "basis": "x", "csrf_token": editor.csrf}
    )
    assert refused.status_code == 422 and "Target: a number, not &#39;lots&#39;" in refused.text


def test_midway_target_from_a_chosen_baseline_to_a_typed_benchmark_and_used_in_one_click(app, clients):
    """No catalogue benchmark for this measure: the lead types one; the baseline defaults to the latest
    12 months and can be chosen; "Use" sets the target at the measure's own decimals."""
    editor = clients["editor"]
    frame = app.state.workspace.series()[METRIC]
    months = [f"{p:%Y-%m}" for p in pd.DatetimeIndex(frame["period"])]
    page = editor.get(f"/metrics/{METRIC}").text
    assert "Give a benchmark below" in page  # the catalogue has no benchmark for it
    assert f'<option value="{months[-12]}" selected>' in page  # default: the latest 12 months
    chosen = editor.get(
        f"/metrics/{METRIC}",
        params={
            "baseline_from": months[0],
            "baseline_to": months[11],
            "benchmark": "90",
            "benchmark_source": "NHFD best",
        },
    ).text
    baseline = frame["value"].iloc[:12].mean()
    expected = round(baseline + 0.5 * (90 - baseline), 1)  # midway, at the measure's one decimal
    assert f'name="value" value="{expected}"' in chosen
    basis = html.unescape(re.search(r'name="basis" value="([^"]*midway[^"]*)"', chosen)[1])
    assert basis.startswith(f"midway from the mean of {months[0]} to {months[11]} ({baseline:.1f}%)")
    used = editor.post(
        f"/metrics/{METRIC}/target",
        data={"value": str(expected), "basis": basis, "csrf_token": editor.csrf},
        follow_redirects=False,
    )
    assert used.status_code == 303
    assert f"{expected}% — midway from the mean" in editor.get(f"/metrics/{METRIC}").text


def test_no_midway_target_is_offered_that_would_ask_the_service_to_get_worse(app, clients):
    """A clinical director was offered "19.3 days: midway from ... (17.3 days) to national mean (21.4
    days)", longer stays, and saved it with one click. A benchmark the baseline already beats gives
    no such target, and says why."""
    editor = clients["editor"]
    frame = app.state.workspace.series()[METRIC]
    baseline = frame["value"].iloc[-12:].mean()  # the default baseline: the latest 12 months
    below = round(baseline - 20, 1)  # higher is better here: a benchmark 20 points below it
    page = editor.get(
        f"/metrics/{METRIC}", params={"benchmark": str(below), "benchmark_source": "Low bar"}
    ).text
    assert "Use " not in page.split("A midway target")[1].split("midway-choices")[0]
    said = html.unescape(re.search(r'<p id="midway-beyond">([^<]*)</p>', page)[1])
    assert f"({baseline:.1f}%) is already better than Low bar ({below:.1f}%)" in said
    assert "a target between them would ask the service to get worse" in said
    above = editor.get(f"/metrics/{METRIC}", params={"benchmark": str(round(baseline + 10, 1))}).text
    assert 'id="midway-beyond"' not in above and "Use " in above


def test_a_midway_that_rounds_to_the_baseline_or_an_impossible_benchmark_offers_no_target(app, clients):
    """An outside re-check: a mean of 1.684 days and a benchmark of 1.65 offered "Use 1.7 days",
    the level the service already beats once rounded; "150%" offered 102.7%, and -5 days -1.7."""
    editor = clients["editor"]
    frame = app.state.workspace.series()[METRIC]
    baseline = frame["value"].iloc[-12:].mean()
    delta = next(d / 100 for d in range(1, 10) if round(baseline + d / 200, 1) <= round(baseline, 1))
    page = editor.get(f"/metrics/{METRIC}", params={"benchmark": f"{baseline + delta:.4f}"}).text
    said = html.unescape(re.search(r'<p id="midway-beyond">([^<]*)</p>', page)[1])
    assert f"is {round(baseline, 1):.1f}% at this measure's decimals, no better than the service is" in said
    assert "Use " not in page.split("A midway target")[1].split("midway-choices")[0]
    for typed, problem in (("150", "a percentage from 0 to 100, not 150.0%"), ("-5", "not -5.0%")):
        page = editor.get(f"/metrics/{METRIC}", params={"benchmark": typed}).text
        assert problem in html.unescape(re.search(r'<p id="midway-problem"[^>]*>([^<]*)</p>', page)[1])
        assert "Use " not in page.split("A midway target")[1].split("midway-choices")[0]


def test_a_rare_event_charts_centre_line_is_named_so_on_its_page(app, clients):
    """The sentence said "centre line" but the table, the legend and the caption said "Mean" (58 days
    where the gaps' mean is 78)."""
    with app.state.sessions() as db:
        rare = next(e for e in app.state.workspace.stocktake(db).entries if not e.result.metric.monthly)
    page = clients["viewer"].get(f"/metrics/{rare.result.metric.id}").text
    names = {trace.get("name") for trace in chart_of(page)["data"]}
    assert "Mean" not in names and {"Centre line", "Centre line (provisional)"} & names
    assert '<th scope="col">Centre line</th>' in page and "event by event: values, centre line" in page


def test_a_sentence_beside_hidden_months_says_its_figures_are_as_exported(app, clients):
    """An outside re-check read "stayed at 8.0%" beside a table falling 7.9% to 7.5%: the sentence
    is the exports' (rounded beside hidden months); the page now says so, and only then."""
    with app.state.sessions() as db:
        entries = app.state.workspace.stocktake(db).entries
    hidden = next(e for e in entries if e.hidden is not None and e.hidden.any())
    shown = next(e for e in entries if e.hidden is None or not e.hidden.any())
    assert 'id="sentence-as-exported"' in clients["viewer"].get(f"/metrics/{hidden.result.metric.id}").text
    assert 'id="sentence-as-exported"' not in clients["viewer"].get(f"/metrics/{shown.result.metric.id}").text


def test_a_rebasing_annotation_restarts_the_limits_from_its_date(app, clients):
    editor = clients["editor"]
    x = app.state.workspace.series()[METRIC]["period"]
    when = pd.Timestamp(x.iloc[-12]).date()  # 12 values follow it: enough to restart the limits
    editor.post(
        f"/metrics/{METRIC}/annotations",
        data={
            "dated": when.isoformat(),
            "label": "New trauma list",
            "rebase": "true",
            "csrf_token": editor.csrf,
        },
    )
    with app.state.sessions() as db:
        entry = next(e for e in app.state.workspace.stocktake(db).entries if e.result.metric.id == METRIC)
    groups, start = entry.result.chart.rebase_group, len(x) - 12
    assert list(groups[:start]) == [groups[0]] * start and groups[start] != groups[start - 1]
    assert "New trauma list" in clients["viewer"].get(f"/metrics/{METRIC}").text


def _rebase(client, metric_id: str, when, label: str):
    return client.post(
        f"/metrics/{metric_id}/annotations",
        data={"dated": when.isoformat(), "label": label, "rebase": "true", "csrf_token": client.csrf},
    )


def test_a_rebase_that_changes_the_verdict_is_warned_and_logged_with_both_readings(
    app, clients, verdict_changing_rebase
):
    metric, when, *charts = verdict_changing_rebase(app.state.workspace)
    verdicts = [
        CATEGORIES[category(c.latest.variation_type, c.latest.assurance_type, c.improvement)] for c in charts
    ]
    _rebase(clients["editor"], metric.id, when, "Validation sprint")
    page = clients["viewer"].get(f"/metrics/{metric.id}").text
    assert "A rebase changed this verdict" in page
    assert f"{verdicts[1]} without the rebase on {when.day} {when:%b %Y}: with one set of limits" in page
    detail = events(app, "annotation_added")[-1].detail
    assert detail.startswith(f"{when} 'Validation sprint' (limits restart): limits start again.")
    assert f"With it: {verdicts[0]}." in detail and f"Without it: {verdicts[1]}." in detail


def test_a_rebase_six_months_before_the_end_waits_for_enough_values(app, clients):
    metric_id = "vfc_discharged_at_virtual_review"
    when = pd.Timestamp(app.state.workspace.series()[metric_id]["period"].iloc[-6]).date()
    _rebase(clients["editor"], metric_id, when, "Clinic moved")
    page = clients["viewer"].get(f"/metrics/{metric_id}").text
    marks = [a["text"] for a in chart_of(page)["layout"]["annotations"]]
    assert "Clinic moved (limits not restarted: 6 of 12 values)" in marks
    assert (
        f"The change on {when.day} {when:%b %Y} does not restart the limits yet: 6 values follow it" in page
    )
    with app.state.sessions() as db:
        entry = next(e for e in app.state.workspace.stocktake(db).entries if e.result.metric.id == metric_id)
    assert len(set(entry.result.chart.rebase_group)) == 1  # no limits from six values
    assert "deferred: 6 of 12 values follow it" in events(app, "annotation_added")[-1].detail


def test_pdsa_cycle_appears_on_the_linked_metrics_chart(app, clients):
    editor = clients["editor"]
    created = editor.post(
        "/projects",
        data={
            "title": "Theatre access",
            "aim": "85% within 36 h",
            "lead": "Dr Lee",
            "csrf_token": editor.csrf,
        },
        follow_redirects=False,
    )
    project = created.headers["location"]
    editor.post(
        f"{project}/measures", data={"metric_id": METRIC, "kind": "outcome", "csrf_token": editor.csrf}
    )
    editor.post(
        f"{project}/cycles",
        data={
            "title": "Ring-fenced slot",
            "started_on": "2023-03-06",
            "act": "adopt",
            "csrf_token": editor.csrf,
        },
    )
    page = editor.get(f"/metrics/{METRIC}").text
    marks = [a for a in chart_of(page)["layout"]["annotations"] if a["text"].startswith("PDSA")]
    assert len(marks) == 1
    assert marks[0]["text"] == "PDSA: Ring-fenced slot (Theatre access)" and marks[0]["x"].startswith(
        "2023-03-06"
    )
    assert "Ring-fenced slot" in editor.get(project).text
    other = next(m.id for m in app.state.workspace.catalogue.metrics if m.id != METRIC)
    assert "Ring-fenced slot" not in editor.get(f"/metrics/{other}").text


def test_progress_score_must_be_on_the_ihi_scale(clients):
    editor = clients["editor"]
    project = editor.post(
        "/projects",
        data={"title": "P", "aim": "A", "lead": "", "csrf_token": editor.csrf},
        follow_redirects=False,
    ).headers["location"]
    assert (
        editor.post(f"{project}/progress", data={"score": "2.7", "csrf_token": editor.csrf}).status_code
        == 422
    )
    editor.post(f"{project}/progress", data={"score": "3.5", "csrf_token": editor.csrf})
    assert "3.5 — Improvement" in editor.get(project).text


def test_drilldown_by_consultant_matches_the_warehouse_and_is_logged(app, clients, demo_warehouse):
    before = len(events(app, "drilldown_viewed"))
    page = clients["viewer"].get(f"/metrics/{METRIC}/drilldown", params={"by": "consultant"}).text
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        consultants = {
            row[0]
            for row in con.execute(
                "SELECT DISTINCT a.consultant FROM hip_fractures h JOIN admissions a USING (spell_id)"
            ).fetchall()
        }
    shown = set(
        re.findall(r'<tr class="nhsuk-table__row">\s*<td class="nhsuk-table__cell">([^<]+)</td>', page)
    )
    assert len(shown) >= 2 and shown <= consultants | {"(not recorded)"}
    logged = events(app, "drilldown_viewed")
    assert len(logged) == before + 1
    assert logged[-1].subject == f"metric:{METRIC}" and logged[-1].detail == "by consultant"


def test_funnel_by_site_places_every_site_and_is_logged(app, clients):
    before = len(events(app, "funnel_viewed"))
    metric_page = clients["viewer"].get(f"/metrics/{METRIC}").text
    assert f'href="/metrics/{METRIC}/funnel?by=site"' in metric_page
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel", params={"by": "site"}).text
    frame = app.state.workspace.series("site")[METRIC]
    recent = frame[frame["period"].isin(sorted(frame["period"].unique())[-12:])]
    sites = recent.groupby("site")["denominator"].sum().loc[lambda d: d > 0].index  # sites with cases
    table = page.split("<tbody")[1].split("</tbody>")[0]
    assert sorted(re.findall(r"<tr><td>([^<]+)</td>", table)) == sorted(sites)
    figure = chart_of(page)
    assert any(t.get("name") == "99.8% limits" for t in figure["data"])
    assert len(events(app, "funnel_viewed")) == before + 1
    stay = clients["viewer"].get("/metrics/los_elective_hip_knee/funnel", params={"by": "site"}).text
    assert "not a count of cases over a count" in stay
    assert clients["viewer"].get(f"/metrics/{METRIC}/funnel", params={"by": "nope"}).status_code == 404


def test_audit_cycles_give_compliance_per_criterion_and_across_cycles(clients):
    editor = clients["editor"]
    audit = editor.post(
        "/audits",
        data={
            "title": "Hip fracture bone health",
            "standard": "NICE CG124",
            "criteria": "Bone health assessed | 90\nOrthogeriatric review within 72 h | 85",
            "csrf_token": editor.csrf,
        },
        follow_redirects=False,
    ).headers["location"]
    ids = re.findall(r'name="eligible_(\d+)"', editor.get(audit).text)
    for label, (met_a, met_b) in (("Audit", ("30", "34")), ("Re-audit 1", ("38", "33"))):
        data = {
            "label": label,
            "started_on": "2024-01-01",
            "ended_on": "2024-01-31",
            "sample": "40 consecutive",
        }
        data |= {
            f"eligible_{ids[0]}": "40",
            f"met_{ids[0]}": met_a,
            f"eligible_{ids[1]}": "40",
            f"met_{ids[1]}": met_b,
        }
        assert (
            editor.post(
                f"{audit}/cycles", data=data | {"csrf_token": editor.csrf}, follow_redirects=False
            ).status_code
            == 303
        )
    table = editor.get(audit).text
    # Hand-worked: 30/40 = 75% → 38/40 = 95% (+20, meets 90%); 34/40 = 85% → 33/40 = 82.5% (−2.5, below 85%).
    assert "75%</span> (30/40)" in table and "95%</span> (38/40)" in table and "+20 points" in table
    assert "85%</span> (34/40)" in table and "82%</span> (33/40)" in table and "-2 points" in table
    assert "Meets the standard" in table and "Below the standard" in table
    assert ">80%<" in table and ">89%<" in table  # all criteria pooled: 64/80, 71/80 (88.75%)
    bad = {"label": "x", "started_on": "2024-02-01", "ended_on": "2024-02-28", f"eligible_{ids[0]}": "10"}
    refused = editor.post(f"{audit}/cycles", data=bad | {f"met_{ids[0]}": "11", "csrf_token": editor.csrf})
    assert refused.status_code == 422 and "must be between 0 and eligible" in refused.text


def test_decision_log_records_what_why_who_and_when(app, clients):
    editor = clients["editor"]
    data = {
        "decided_on": "2024-05-14",
        "title": "Add a Saturday trauma list",
        "rationale": "Breaches of 36 h cluster after Friday admissions",
        "evidence": "Drill-down by weekday",
        "metric_id": METRIC,
        "decided_by": "T&O governance meeting",
    }
    assert (
        editor.post("/decisions", data=data | {"csrf_token": editor.csrf}, follow_redirects=False).status_code
        == 303
    )
    page = clients["viewer"].get("/decisions").text
    assert (
        "14 May 2024" in page
        and "Add a Saturday trauma list" in page
        and "T&amp;O governance meeting" in page
    )
    assert f'href="/metrics/{METRIC}"' in page
    missing = editor.post("/decisions", data=data | {"rationale": "", "csrf_token": editor.csrf})
    assert missing.status_code == 422


def test_report_downloads_open_and_suppress_small_numbers(app, clients):
    with app.state.sessions() as db:
        entries = app.state.workspace.stocktake(db).entries
    hidden = sum(int(e.hidden.sum()) for e in entries)
    assert hidden > 0  # the demo has months with 1–7 patients behind a value
    book = load_workbook(io.BytesIO(clients["viewer"].get("/reports/stocktake.xlsx").content))
    stars = sum(cell.value == "*" for sheet in book for row in sheet.iter_rows() for cell in row)
    assert stars >= hidden
    html = clients["viewer"].get("/reports/stocktake.html")
    assert html.headers["content-disposition"].startswith("attachment")
    assert "Trauma &amp; Orthopaedics" in html.text
    assert events(app, "report_downloaded")


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """The demo department's raw extracts, as the trust exports them: dataset → a reader."""
    folder = tmp_path_factory.mktemp("raw")
    mapping = load_mapping(DEMO_MAPPING)
    export(generate(Department(seed=11, months=18)), mapping, folder)
    files = {name: folder / d.file for name, d in mapping.datasets.items()}
    return lambda name: pd.read_csv(files[name], dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def nhfd_extract(extracts) -> pd.DataFrame:
    return extracts("hip_fractures")


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_bad_upload_lists_its_rows_and_changes_nothing(app, clients, nhfd_extract, caplog):
    bad = nhfd_extract.copy()
    bad.loc[4, "ARRIVAL_DATETIME"] = "31/02/2024 10:00"
    warehouse = app.state.settings.warehouse
    before = _digest(warehouse)
    editor = clients["editor"]
    with caplog.at_level(logging.DEBUG):
        answer = editor.post(
            "/uploads",
            data={"dataset": "hip_fractures", "csrf_token": editor.csrf},
            files={"extract": ("nhfd_submission.csv", _csv(bad))},
        )
    assert answer.status_code == 422
    assert (
        "was not loaded: 1 error(s)" in answer.text and "Nothing in the warehouse has changed" in answer.text
    )
    row = re.search(
        r"<td[^>]*>nhfd_submission.csv</td><td[^>]*>(\d+)</td><td[^>]*>ARRIVAL_DATETIME</td>", answer.text
    )
    assert row and row[1] == "6"  # the header is row 1, so data row index 4 is row 6
    assert _digest(warehouse) == before
    assert events(app, "upload_failed")[-1].detail == "hip_fractures: 1 error(s)"
    assert not list((app.state.settings.home / "staging").iterdir())  # the raw copy is gone


def test_an_upload_error_never_shows_or_logs_the_patients_identifier(app, clients, extracts, caplog):
    bad = extracts("fracture_clinic").head(50).copy()
    bad.loc[3, "REFERRAL_DTTM"] = "yesterday"
    nhs_number = bad.loc[3, "NHS_NO"]
    editor = clients["editor"]
    with caplog.at_level(logging.DEBUG):
        answer = editor.post(
            "/uploads",
            data={"dataset": "fracture_clinic", "csrf_token": editor.csrf},
            files={"extract": ("fracture_clinic_referrals.csv", _csv(bad))},
        )
    assert answer.status_code == 422 and ">5</td><td" in answer.text and "REFERRAL_DTTM" in answer.text
    assert nhs_number not in answer.text
    assert nhs_number not in caplog.text
    with app.state.sessions() as db:
        logged = db.scalars(select(AuditEvent.detail)).all() + db.scalars(select(AuditEvent.subject)).all()
    assert not any(nhs_number in text for text in logged)


def test_a_good_upload_is_loaded_and_shown(app, clients, nhfd_extract):
    """Inject an effect: every patient in the last month operated on 12 h after arrival → 100%."""
    good = nhfd_extract.copy()
    arrived = pd.to_datetime(good["ARRIVAL_DATETIME"])
    last = arrived.dt.to_period("M") == arrived.max().to_period("M")
    good.loc[last, "ANAESTHESIA_START"] = (arrived[last] + pd.Timedelta(hours=12)).dt.strftime(
        "%Y-%m-%d %H:%M"
    )
    editor = clients["editor"]
    answer = editor.post(
        "/uploads",
        data={"dataset": "hip_fractures", "csrf_token": editor.csrf},
        files={"extract": ("nhfd_submission.csv", _csv(good))},
    )
    assert answer.status_code == 200 and "Check before loading" in answer.text, answer.text
    answer = _confirm(editor, answer)
    assert f"Loaded {len(good):,} rows of hip_fractures" in answer.text
    page = clients["viewer"].get(f"/metrics/{METRIC}").text
    assert re.search(r"Latest</dt><dd[^>]*>100\.0% \(" + arrived.max().strftime("%B %Y"), page)
    assert events(app, "upload")[-1].detail.startswith(f"hip_fractures: {len(good)} rows")


def test_an_upload_of_the_wrong_kind_of_file_is_refused(clients):
    editor = clients["editor"]
    answer = editor.post(
        "/uploads",
        data={"dataset": "hip_fractures", "csrf_token": editor.csrf},
        files={"extract": ("nhfd.xlsx", b"PK")},
    )
    assert answer.status_code == 422 and "the hip_fractures extract is a .csv file" in answer.text


# Preview, confirmation and undo (issue 22: "An upload silently wipes whole months")


def _confirm(client, preview, action: str = "confirm"):
    token = re.search(r'action="/uploads/([^/"]+)/confirm"', preview.text)[1]
    return client.post(f"/uploads/{token}/{action}", data={"csrf_token": client.csrf})


def _hip_fractures(app) -> tuple:
    """The warehouse's hip-fracture rows, exactly (count and a hash of every row). Read under the
    workspace's warehouse lock, as the app's own readers are: the warming after a load reads it too."""
    with app.state.workspace.lock, duckdb.connect(str(app.state.settings.warehouse), read_only=True) as con:
        return con.execute("SELECT count(*), hash(list(t ORDER BY t)) FROM hip_fractures t").fetchall()[0]


def test_a_one_row_upload_is_previewed_confirmed_and_undone_by_an_admin(app, clients, nhfd_extract):
    """A one-row file for a month: the preview counts the rest of that month at that site as
    removed (worked from the extract itself); nothing changes until confirmed; undo restores all."""
    month = nhfd_extract.ARRIVAL_DATETIME.str[:7].iloc[len(nhfd_extract) // 2]
    same = nhfd_extract[(nhfd_extract.ARRIVAL_DATETIME.str[:7] == month) & (nhfd_extract.HOSPITAL == "RNS01")]
    one_row = same.head(1).assign(DEAD_30D="Y" if same.DEAD_30D.iloc[0] == "N" else "N")
    editor, admin = clients["editor"], clients["admin"]
    before = _hip_fractures(app)
    preview = editor.post(
        "/uploads",
        data={"dataset": "hip_fractures", "kind": "months", "csrf_token": editor.csrf},
        files={"extract": ("nhfd_submission.csv", _csv(one_row))},
    )
    assert preview.status_code == 200
    cells = re.findall(r'<td class="nhsuk-table__cell">([^<]*)</td>', preview.text)
    assert cells == [month, "0", "1", "0", f"{len(same) - 1:,}"]
    assert f"{len(same) - 1:,} rows would be removed" in preview.text
    assert _hip_fractures(app) == before  # a preview writes nothing
    assert len(list((app.state.settings.home / "staging").iterdir())) == 1  # held until confirmed

    loaded = _confirm(editor, preview)
    assert loaded.status_code == 200 and f"{len(same) - 1:,} removed" in loaded.text
    assert _hip_fractures(app)[0] == before[0] - (len(same) - 1)
    assert not list((app.state.settings.home / "staging").iterdir())  # the raw copy is gone
    load_id = int(re.search(r"as load (\d+)", loaded.text)[1])
    assert f'action="/uploads/loads/{load_id}/undo"' not in loaded.text  # editors do not undo

    page = admin.get("/uploads")
    assert f'action="/uploads/loads/{load_id}/undo"' in page.text
    undone = admin.post(f"/uploads/loads/{load_id}/undo", data={"csrf_token": admin.csrf})
    assert undone.status_code == 200 and f"Load {load_id} undone" in undone.text
    assert _hip_fractures(app) == before
    assert events(app, "load_undone")[-1].subject == f"load:{load_id}"
    again = admin.post(f"/uploads/loads/{load_id}/undo", data={"csrf_token": admin.csrf})
    assert again.status_code == 422 and "already undone" in again.text


def test_a_staged_upload_is_its_uploaders_and_is_deleted_on_cancel_or_after_an_hour(
    app, clients, sign_in_as, nhfd_extract
):
    import os
    import time

    editor, other = clients["editor"], sign_in_as("admin")
    staging = app.state.settings.home / "staging"
    form = {"dataset": "hip_fractures", "kind": "rows", "csrf_token": editor.csrf}
    extract = {"extract": ("nhfd_submission.csv", _csv(nhfd_extract.head(2).assign(DEAD_30D="Y")))}
    preview = editor.post("/uploads", data=form, files=extract)
    token = re.search(r'action="/uploads/([^/"]+)/confirm"', preview.text)[1]
    # an IG review: the check (a patient file staged for an hour), another user's try at it and the
    # cancel were not in the audit log
    assert events(app, "upload_checked")[-1].detail == "nhfd_submission.csv: checked, staged for confirmation"
    assert other.post(f"/uploads/{token}/confirm", data={"csrf_token": other.csrf}).status_code == 404
    refused = events(app, "request_refused")[-1]
    assert (refused.subject, refused.detail) == (
        "POST /uploads/…/confirm",
        "another user's staged upload (hip_fractures)",
    )
    viewer = clients["viewer"]
    assert viewer.post(f"/uploads/{token}/confirm", data={"csrf_token": viewer.csrf}).status_code == 403
    assert editor.post(f"/uploads/{token}/cancel", data={"csrf_token": "wrong"}).status_code == 403
    logged = [e.subject for e in events(app, "request_refused")[-2:]]
    assert logged == ["POST /uploads/…/confirm", "POST /uploads/…/cancel"]  # no token in the log
    assert (staging / token).is_dir()
    assert _confirm(editor, preview, "cancel").status_code == 200  # back on the upload page
    assert not (staging / token).exists()
    cancelled = events(app, "upload_cancelled")[-1]
    assert (cancelled.subject, cancelled.detail) == (
        "dataset:hip_fractures",
        "nhfd_submission.csv: its staged copy deleted",
    )

    before = _hip_fractures(app)
    preview = editor.post("/uploads", data=form, files=extract)
    token = re.search(r'action="/uploads/([^/"]+)/confirm"', preview.text)[1]
    two_hours_ago = time.time() - 7200
    os.utime(staging / token, (two_hours_ago, two_hours_ago))
    late = _confirm(editor, preview)
    assert late.status_code == 404 and "no longer waiting" in late.text
    assert not (staging / token).exists() and _hip_fractures(app) == before


def test_an_nhs_number_in_an_uploaded_files_name_is_never_shown(clients):
    editor = clients["editor"]
    answer = editor.post(
        "/uploads",
        data={"dataset": "hip_fractures", "csrf_token": editor.csrf},
        files={"extract": ("9434765919.csv", b"SPELL_NO\nX1\n")},
    )
    assert answer.status_code == 422 and "943*******.csv" in answer.text
    assert "9434765919" not in answer.text


def test_a_refused_change_shows_its_form_again_with_the_reason_and_422():
    shown = []

    def refused():
        raise ActionError("title: say what the project is")

    def page(**context):
        shown.append(context)
        return "the form again"

    assert change_then(refused, then=lambda done: "went on", page=page) == "the form again"
    assert shown == [{"errors": ["title: say what the project is"], "status_code": 422}]
    assert change_then(lambda: 7, then=lambda done: done * 6, page=page) == 42  # then gets the result


def test_a_change_then_redirects_to_a_fixed_page_or_to_the_record_it_made():
    made = change_then_redirect(lambda: 7, to=lambda n: f"/projects/{n}", page=None)
    fixed = change_then_redirect(lambda: 7, to="/projects", page=None)
    assert (made.status_code, made.headers["location"]) == (303, "/projects/7")
    assert (fixed.status_code, fixed.headers["location"]) == (303, "/projects")


def _entry_of(metric, numerator, denominator):
    """The stock-take's entry for one hand-made measure of 30 months from April 2023 (a share)."""
    import numpy as np
    import pandas as pd

    from stocktake.metrics.catalogue import Catalogue
    from stocktake.verdicts.take import take_stock

    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    frame = pd.DataFrame(
        {
            "period": pd.date_range("2023-04-01", periods=30, freq="MS"),
            "value": 100 * numerator / denominator,
            "numerator": numerator,
            "denominator": denominator,
        }
    )
    [entry] = take_stock(Catalogue("Test", (metric,)), {metric.id: frame}, "test").entries
    return entry


def test_the_midway_tool_offers_the_national_level_not_the_services_own_least_gain():
    """An outside check (ADR 78): the tool's benchmark was the trust's own 75.3% (its March 2025 plus
    5 points), and "Use 72.9%" would have set a target below the guidance's own minimum."""
    import numpy as np

    from stocktake.metrics.catalogue import Metric, Target
    from stocktake.web.routes.metrics import MidwayAsk, _midway

    national = Target(65.0, "65% by March 2026", 2025, 5.0, "2025-03")
    metric = Metric("rtt", "Within 18 weeks", "Waiting list", "%", "increase", "hand-made", target=national)
    values = np.r_[np.full(23, 50.0), 62.3, np.full(6, 63.0)]
    entry = _entry_of(metric, values * 10, np.full(30, 1000.0))
    assert entry.result.chart.target == pytest.approx(67.3)  # the service's own least gain, as read
    offered = _midway(entry, MidwayAsk())
    assert offered["benchmark"].value == 65.0 and offered["benchmark"].source == "65% by March 2026"
    # a recheck: a midway short of the service's own least gain is said to be
    assert offered["value"] < 67.3 and offered["note"].startswith(
        "This is short of the measure's own target, 67.3%"
    )


def test_a_midway_baseline_holding_a_hidden_month_is_rounded_as_exports_round_it():
    """A recheck: "midway from the mean of 2024-04 to 2024-06 (12.5%)" beside April and June shown gave
    the hidden May back (3 × 12.5 − 16.0 − 14.43 = 7.07%); the basis is kept with the target and
    exported."""
    import numpy as np

    from stocktake.metrics.catalogue import Metric
    from stocktake.web.routes.metrics import MidwayAsk, _midway

    metric = Metric("dc", "Day cases", "Electives", "%", "increase", "hand-made")
    rng = np.random.default_rng(4)
    cases = np.r_[np.full(20, 100.0), 6.0, np.full(9, 100.0)]  # the 21st month: 6 cases, hidden
    done = np.r_[rng.integers(10, 20, 20), 1, rng.integers(10, 20, 9)].astype(float)
    entry = _entry_of(metric, done, cases)
    assert entry.hidden[20]
    ask = MidwayAsk(baseline_from="2024-11", baseline_to="2025-01", benchmark="90", benchmark_source="GIRFT")
    offered = _midway(entry, ask)
    exact = float(np.mean(100 * done[19:22] / cases[19:22]))
    said = re.search(r"the mean of 2024-11 to 2025-01 \(about ([\d.]+)%\)", offered["basis"])
    assert said, offered["basis"]
    assert float(said[1]) != round(exact, 1)  # rounded to the exports' step, not the exact mean
    assert abs(float(said[1]) - exact) < 10


def test_a_sites_page_offers_no_midway_target_for_the_department(clients):
    """A recheck: on a site's page the tool offered a target from the site's figures, saved as the
    department's, with no word of the site."""
    page = clients["editor"].get("/metrics/hipfx_surgery_36h", params={"site": "Riverside"}).text
    assert (
        "A midway target" not in page
        and "A midway target" in clients["editor"].get("/metrics/hipfx_surgery_36h").text
    )


def test_a_baseline_rounded_too_coarsely_to_read_against_the_benchmark_sets_no_target():
    """A recheck: a 30-day mortality of 8.1% in a hidden month, against a national 7.3%, read "about 0%
    … already better than national … keep to the present level". Here 1 death of 7 (14.3%)."""
    import numpy as np

    from stocktake.metrics.catalogue import Metric
    from stocktake.web.routes.metrics import MidwayAsk, _midway

    metric = Metric("mort", "Mortality", "Hip fracture", "%", "decrease", "hand-made")
    cases = np.r_[np.full(20, 100.0), 7.0, np.full(9, 100.0)]
    deaths = np.r_[np.tile([6.0, 8.0], 10), 1.0, np.tile([6.0, 8.0, 7.0], 3)]  # 1 of 7: 14.3%, hidden
    entry = _entry_of(metric, deaths, cases)
    assert entry.hidden[20]
    ask = MidwayAsk(
        baseline_from="2024-12", baseline_to="2024-12", benchmark="7.3", benchmark_source="national"
    )
    offered = _midway(entry, ask)
    assert offered["value"] is None and "better than" not in offered["beyond"]
    assert offered["beyond"].endswith(
        "is too coarse beside national (7.3%) to set a target from; choose a longer baseline"
    )
    assert "14.3" not in offered["beyond"]
