"""Correcting records through the pages (ADR 0024): an edit form prefilled, the history under each
record with the old value, a withdrawal that asks why, hides the record from the lists (a toggle
shows it) and takes a PDSA cycle's mark off its charts; a viewer reads the history but cannot edit."""

from __future__ import annotations

import html
import json
import re

from sqlalchemy import func, select

from stocktake.appdb.models import AuditEvent, RecordChange

METRIC = "hipfx_surgery_36h"


def _post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": client.csrf, **data}, follow_redirects=False)


def _chart_marks(page: str) -> list[tuple[str, str]]:
    attribute = re.search(r'<div id="chart" class="chart" data-figure="([^"]*)"', page)[1]
    figure = json.loads(html.unescape(attribute))
    return [(a["text"], a["x"][:10]) for a in figure["layout"]["annotations"] if a["text"].startswith("PDSA")]


def _written(app) -> tuple[int, int]:
    with app.state.sessions() as db:
        return (
            db.scalar(select(func.count()).select_from(RecordChange)),
            db.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "request_refused")
            ),
        )


def _new_audit(editor) -> tuple[str, list[str]]:
    audit = _post(
        editor,
        "/audits",
        {
            "title": "Hip fracture bone health",
            "standard": "NICE CG124",
            "criteria": "Bone health assessed | 90\nOrthogeriatric review within 72 h | 85",
        },
    ).headers["location"]
    criteria = re.findall(r'name="eligible_(\d+)"', editor.get(audit).text)
    return audit, criteria


def test_an_editor_corrects_a_mistyped_audit_count_and_the_compliance_follows(clients):
    editor, viewer = clients["editor"], clients["viewer"]
    audit, (first, second) = _new_audit(editor)
    typed = {
        "label": "Audit",
        "started_on": "2024-01-01",
        "ended_on": "2024-01-31",
        "sample": "40 consecutive",
        f"eligible_{first}": "40",
        f"met_{first}": "39",  # 30 was meant
        f"eligible_{second}": "40",
        f"met_{second}": "34",
    }
    assert _post(editor, f"{audit}/cycles", typed).status_code == 303
    page = editor.get(audit).text
    assert "98%</span> (39/40)" in page  # 39/40 = 97.5%: shown as 98%
    assert ">91%<" in page  # pooled: (39 + 34)/80 = 91.25%
    cycle = re.search(rf'href="{audit}/cycles/(\d+)/edit"', page)[1]
    form = editor.get(f"{audit}/cycles/{cycle}/edit").text
    assert f'name="met:{first}" type="text" inputmode="decimal" value="39"' in form  # prefilled
    assert 'name="sample" type="text" value="40 consecutive"' in form
    corrected = {
        "label": "Audit",
        "started_on": "2024-01-01",
        "ended_on": "2024-01-31",
        "sample": "40 consecutive",
        f"eligible:{first}": "40",
        f"met:{first}": "30",
        f"eligible:{second}": "40",
        f"met:{second}": "34",
        "reason": "39 typed for 30",
    }
    assert _post(editor, f"{audit}/cycles/{cycle}/edit", corrected).status_code == 303
    page = viewer.get(audit).text  # a viewer reads the corrected record and its history
    # Hand-worked: 30/40 = 75% (below the 90% standard); pooled (30 + 34)/80 = 80%.
    assert "75%</span> (30/40)" in page and "98%" not in page
    assert ">80%<" in page
    history = page[page.index("History of Audit") :]
    assert "<strong>Meeting it: Bone health assessed</strong>:" in history
    assert "<del>39</del> → <ins>30</ins>" in history
    assert "by A editor" in history and "Why: 39 typed for 30" in history
    assert f"audits/{audit.rsplit('/', 1)[1]}/cycles/{cycle}/edit" not in page  # no Edit link for a viewer


def test_a_refused_correction_comes_back_as_typed_and_writes_nothing(app, clients):
    editor = clients["editor"]
    audit, (first, _second) = _new_audit(editor)
    data = {"label": "Audit", "started_on": "2024-01-01", "ended_on": "2024-01-31"}
    data |= {f"eligible_{first}": "40", f"met_{first}": "30"}
    _post(editor, f"{audit}/cycles", data)
    cycle = re.search(rf'href="{audit}/cycles/(\d+)/edit"', editor.get(audit).text)[1]
    before = _written(app)
    bad = {
        "started_on": "2024-01-01",
        "ended_on": "2024-01-31",
        f"eligible:{first}": "40",
        f"met:{first}": "41",
    }
    refused = _post(editor, f"{audit}/cycles/{cycle}/edit", bad)
    assert refused.status_code == 422 and "must be between 0 and eligible" in refused.text
    assert f'name="met:{first}" type="text" inputmode="decimal" value="41"' in refused.text
    assert _written(app) == before
    assert "75%</span> (30/40)" in editor.get(audit).text
    unchanged = _post(editor, f"{audit}/cycles/{cycle}/edit", {**bad, f"met:{first}": "30", "label": "Audit"})
    assert unchanged.status_code == 303 and _written(app) == before  # nothing changed: nothing written


def test_a_viewer_cannot_edit_or_withdraw(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    project = _post(editor, "/projects", {"title": "Theatre access", "aim": "85% in 36 h", "lead": "Dr Lee"})
    project = project.headers["location"]
    before = _written(app)
    assert viewer.get(f"{project}/edit").status_code == 403
    attempt = {"title": "Hijacked", "aim": "x", "lead": "y", "reason": "z"}
    assert _post(viewer, f"{project}/edit", attempt).status_code == 403
    assert _post(viewer, f"{project}/withdraw", {"reason": "z"}).status_code == 403
    assert _written(app) == before
    page = viewer.get(project).text
    assert "Theatre access" in page and "Hijacked" not in page and f'href="{project}/edit"' not in page
    assert f'href="{project}/edit"' in editor.get(project).text


def test_a_withdrawn_pdsa_cycle_leaves_the_chart_and_stays_in_the_record(clients):
    editor, viewer = clients["editor"], clients["viewer"]
    project = _post(editor, "/projects", {"title": "Faster to theatre", "aim": "85% in 36 h", "lead": "A"})
    project = project.headers["location"]
    _post(editor, f"{project}/measures", {"metric_id": METRIC, "kind": "outcome"})
    _post(editor, f"{project}/cycles", {"title": "Ring-fenced slot", "started_on": "2023-03-06"})
    _post(editor, f"{project}/cycles", {"title": "Entered twice", "started_on": "2023-06-05"})
    assert _chart_marks(editor.get(f"/metrics/{METRIC}").text) == [
        ("PDSA: Ring-fenced slot (Faster to theatre)", "2023-03-06"),
        ("PDSA: Entered twice (Faster to theatre)", "2023-06-05"),
    ]
    page = editor.get(project).text
    twice = re.findall(rf'href="{project}/cycles/(\d+)/edit"', page)[1]
    assert "Entered twice" in editor.get(f"{project}/cycles/{twice}/edit").text
    refused = _post(editor, f"{project}/cycles/{twice}/withdraw", {"reason": "  "})
    assert refused.status_code == 422 and "say why the record is withdrawn" in refused.text
    assert len(_chart_marks(editor.get(f"/metrics/{METRIC}").text)) == 2
    assert _post(editor, f"{project}/cycles/{twice}/withdraw", {"reason": "A duplicate"}).status_code == 303
    assert _chart_marks(viewer.get(f"/metrics/{METRIC}").text) == [
        ("PDSA: Ring-fenced slot (Faster to theatre)", "2023-03-06")
    ]
    page = viewer.get(project).text
    assert "Entered twice" not in page and "Show withdrawn (1)" in page
    shown = viewer.get(f"{project}?withdrawn=1").text
    assert "Entered twice" in shown and "Withdrawn</strong>" in shown and "by A editor: A duplicate" in shown
    assert "Hide withdrawn (1)" in shown
    again = _post(editor, f"{project}/cycles/{twice}/edit", {"title": "Back", "started_on": "2023-06-05"})
    assert again.status_code == 422 and "withdrawn, so it stays as it was" in again.text


def test_a_corrected_start_date_moves_the_mark_with_the_old_date_in_the_history(clients):
    editor = clients["editor"]
    project = _post(editor, "/projects", {"title": "Nerve blocks", "aim": "All in ED", "lead": "B"})
    project = project.headers["location"]
    _post(editor, f"{project}/measures", {"metric_id": METRIC, "kind": "process"})
    _post(editor, f"{project}/cycles", {"title": "Block in ED", "started_on": "2023-09-04", "plan": "Train"})
    marks = _chart_marks(editor.get(f"/metrics/{METRIC}").text)
    assert ("PDSA: Block in ED (Nerve blocks)", "2023-09-04") in marks
    cycle = re.search(rf'href="{project}/cycles/(\d+)/edit"', editor.get(project).text)[1]
    form = editor.get(f"{project}/cycles/{cycle}/edit").text
    assert 'name="started_on" type="date" value="2023-09-04"' in form and ">Train</textarea>" in form
    edit = {"title": "Block in ED", "started_on": "2023-10-02", "plan": "Train", "reason": "Began in October"}
    assert _post(editor, f"{project}/cycles/{cycle}/edit", edit).status_code == 303
    marks = _chart_marks(editor.get(f"/metrics/{METRIC}").text)
    assert ("PDSA: Block in ED (Nerve blocks)", "2023-10-02") in marks
    assert ("PDSA: Block in ED (Nerve blocks)", "2023-09-04") not in marks
    page = editor.get(project).text
    assert "<strong>Started on</strong>:" in page and "<del>2023-09-04</del> → <ins>2023-10-02</ins>" in page


def test_a_decision_is_corrected_with_its_history_then_withdrawn(clients):
    editor, viewer = clients["editor"], clients["viewer"]
    entry = {
        "decided_on": "2024-05-14",
        "title": "Add a Saturday trauma lsit",
        "rationale": "Breaches cluster after Friday admissions",
        "metric_id": METRIC,
        "decided_by": "T&O governance",
    }
    _post(editor, "/decisions", entry)
    log = viewer.get("/decisions").text
    decision = re.search(r'href="/decisions/(\d+)">Add a Saturday trauma lsit<', log)[1]
    form = editor.get(f"/decisions/{decision}/edit").text
    assert 'value="Add a Saturday trauma lsit"' in form and f'<option value="{METRIC}" selected>' in form
    fixed = entry | {"title": "Add a Saturday trauma list", "reason": "Typo"}
    assert _post(editor, f"/decisions/{decision}/edit", fixed).status_code == 303
    page = viewer.get(f"/decisions/{decision}").text
    assert "<h1>Add a Saturday trauma list</h1>" in page
    assert "<strong>What was decided</strong>:" in page
    assert "<del>Add a Saturday trauma lsit</del> → <ins>Add a Saturday trauma list</ins>" in page
    assert "Corrected: see its history" in viewer.get("/decisions").text
    assert _post(editor, f"/decisions/{decision}/withdraw", {"reason": "Never agreed"}).status_code == 303
    log = viewer.get("/decisions").text
    assert "Add a Saturday trauma list" not in log and "Show withdrawn (1)" in log
    shown = viewer.get("/decisions?withdrawn=1").text
    assert "Add a Saturday trauma list" in shown and "by A editor: Never agreed" in shown
    page = viewer.get(f"/decisions/{decision}").text
    assert "Withdrawn</strong>" in page and f'href="/decisions/{decision}/edit"' not in page


def test_a_withdrawn_project_and_audit_leave_their_lists(clients):
    editor, viewer = clients["editor"], clients["viewer"]
    project = _post(editor, "/projects", {"title": "Started by mistake", "aim": "None", "lead": ""})
    project = project.headers["location"]
    edit = {"title": "Started by mistake", "aim": "None really", "lead": "C", "reason": ""}
    assert _post(editor, f"{project}/edit", edit).status_code == 303
    assert "<del>None</del> → <ins>None really</ins>" in viewer.get(project).text
    assert _post(editor, f"{project}/withdraw", {"reason": "Not a project"}).status_code == 303
    assert "Started by mistake" not in viewer.get("/projects").text
    assert "Started by mistake" in viewer.get("/projects?withdrawn=1").text
    audit, _ = _new_audit(editor)
    audit_id = audit.rsplit("/", 1)[1]
    assert _post(editor, f"{audit}/withdraw", {"reason": "Duplicate audit"}).status_code == 303
    listing = viewer.get("/audits").text
    assert f'href="{audit}"' not in listing and f'href="{audit}"' in viewer.get("/audits?withdrawn=1").text
    assert "by A editor: Duplicate audit" in viewer.get(audit).text
    assert f'href="/audits/{audit_id}/edit"' not in editor.get(audit).text
