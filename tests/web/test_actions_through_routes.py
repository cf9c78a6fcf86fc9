"""Every action the web calls, called through its route with a valid form: it is accepted, lands,
and leaves its audit event. (Actions tested only directly hid a 500 on "add a change idea".)"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.models import (
    Annotation,
    AuditCycle,
    AuditEvent,
    ChangeIdea,
    ClinicalAudit,
    Decision,
    PdsaCycle,
    Project,
    ProjectMeasure,
    RecordChange,
    TargetSetting,
    User,
)

METRIC = "hipfx_surgery_36h"


@pytest.fixture(scope="module")
def records(app):
    """A project and an audit made directly, for the routes that add to them."""
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        project = actions.create_project(db, by=admin, title="Faster to theatre", aim="80% in 36 h", lead="A")
        audit = actions.create_audit(db, by=admin, title="Bone health", standard="NICE", criteria=[("x", 90)])
        criterion = audit.criteria[0].id
        day = date(2024, 1, 1)
        cycle = actions.add_pdsa_cycle(db, by=admin, project_id=project.id, title="C", started_on=day)
        actions.add_audit_cycle(
            db, by=admin, audit_id=audit.id, label="A", started_on=day, ended_on=day, sample="", results={}
        )
        decision = actions.record_decision(
            db, by=admin, decided_on=day, title="Keep the list", rationale="It works", decided_by="CD"
        )
        return {
            "project": project.id,
            "audit": audit.id,
            "criterion": criterion,
            "cycle": cycle.id,
            "audit_cycle": audit.cycles[0].id,
            "decision": decision.id,
        }


def _writes(records) -> list[tuple[str, str, dict, str, type]]:
    """(role, path, form, audit action, model gaining one row)."""
    p, a, c = records["project"], records["audit"], records["criterion"]
    pc, ac, d = records["cycle"], records["audit_cycle"], records["decision"]
    day = {"started_on": "2024-01-01", "ended_on": "2024-01-01"}
    decision = {
        "decided_on": "2024-01-01",
        "title": "Keep the list",
        "rationale": "It works",
        "decided_by": "CD",
    }
    return [
        # Corrections (ADR 0024): each changes one field, so leaves one history row.
        (
            "editor",
            f"/projects/{p}/edit",
            {"title": "Faster", "aim": "80% in 36 h", "lead": "A"},
            "project_edited",
            RecordChange,
        ),
        (
            "editor",
            f"/projects/{p}/cycles/{pc}/edit",
            {"title": "C2", "started_on": "2024-01-01"},
            "pdsa_cycle_edited",
            RecordChange,
        ),
        (
            "editor",
            f"/projects/{p}/cycles/{pc}/withdraw",
            {"reason": "Duplicate"},
            "pdsa_cycle_withdrawn",
            RecordChange,
        ),
        (
            "editor",
            f"/audits/{a}/edit",
            {"title": "Bone health 2", "standard": "NICE"},
            "audit_edited",
            RecordChange,
        ),
        (
            "editor",
            f"/audits/{a}/cycles/{ac}/edit",
            {"label": "A2", **day},
            "audit_cycle_edited",
            RecordChange,
        ),
        (
            "editor",
            f"/audits/{a}/cycles/{ac}/withdraw",
            {"reason": "Wrong audit"},
            "audit_cycle_withdrawn",
            RecordChange,
        ),
        (
            "editor",
            f"/decisions/{d}/edit",
            decision | {"evidence": "Minutes"},
            "decision_edited",
            RecordChange,
        ),
        (
            "editor",
            f"/decisions/{d}/withdraw",
            {"reason": "Never agreed"},
            "decision_withdrawn",
            RecordChange,
        ),
        (
            "editor",
            f"/metrics/{METRIC}/target",
            {"value": "80", "basis": "midway to GIRFT"},
            "target_set",
            TargetSetting,
        ),
        (
            "editor",
            f"/metrics/{METRIC}/annotations",
            {"dated": "2024-01-01", "label": "New pathway"},
            "annotation_added",
            Annotation,
        ),
        (
            "editor",
            "/projects",
            {"title": "Fewer delays", "aim": "Half the delays", "lead": "B"},
            "project_created",
            Project,
        ),
        (
            "editor",
            f"/projects/{p}/measures",
            {"metric_id": METRIC, "kind": "outcome"},
            "measure_added",
            ProjectMeasure,
        ),
        (
            "editor",
            f"/projects/{p}/change-ideas",
            {"description": "Ring-fenced trauma list"},
            "change_idea_added",
            ChangeIdea,
        ),
        (
            "editor",
            f"/projects/{p}/cycles",
            {"title": "First test", "started_on": "2024-02-01"},
            "pdsa_added",
            PdsaCycle,
        ),
        ("editor", f"/projects/{p}/progress", {"score": "2.0"}, "progress_set", None),
        (
            "editor",
            "/audits",
            {"title": "Consent", "standard": "GMC", "criteria": "Signed | 100"},
            "audit_created",
            ClinicalAudit,
        ),
        (
            "editor",
            f"/audits/{a}/cycles",
            {"started_on": "2024-01-01", "ended_on": "2024-02-01", f"eligible_{c}": "10", f"met_{c}": "9"},
            "audit_cycle_added",
            AuditCycle,
        ),
        (
            "editor",
            "/decisions",
            {
                "decided_on": "2024-03-01",
                "title": "Keep the list",
                "rationale": "It works",
                "decided_by": "CD",
            },
            "decision_recorded",
            Decision,
        ),
        (
            "admin",
            "/admin/users",
            {
                "username": "newcomer",
                "full_name": "A New",
                "password": "a long enough password, kettle",
                "role": "viewer",
            },
            "user_created",
            User,
        ),
    ]


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_every_writing_route_lands_its_change_with_an_audit_event(app, clients, records):
    for role, path, form, action, model in _writes(records):
        with app.state.sessions() as db:
            before = _count(db, model) if model else None
            events = db.scalar(select(func.count()).where(AuditEvent.action == action))
        client = clients[role]
        answer = client.post(path, data={"csrf_token": client.csrf, **form}, follow_redirects=False)
        assert answer.status_code in (200, 303), f"{path}: {answer.status_code} {answer.text[:300]}"
        with app.state.sessions() as db:
            assert db.scalar(select(func.count()).where(AuditEvent.action == action)) == events + 1, path
            if model:
                assert _count(db, model) == before + 1, path


def test_a_change_idea_added_on_the_web_is_on_the_project_page(app, clients, records):
    client = clients["editor"]
    path = f"/projects/{records['project']}"
    form = {"csrf_token": client.csrf, "description": "Anaesthetic block in ED"}
    assert client.post(path + "/change-ideas", data=form, follow_redirects=False).status_code == 303
    assert "Anaesthetic block in ED" in client.get(path).text


def test_a_file_sent_where_a_field_is_text_is_refused_by_name(clients, records):
    editor = clients["editor"]
    answer = editor.post(
        f"/audits/{records['audit']}/cycles",
        data={"csrf_token": editor.csrf, "started_on": "2024-01-01", "ended_on": "2024-02-01"},
        files={"label": ("label.txt", b"Cycle 1")},
    )
    assert answer.status_code == 422 and "label: text, not a file" in answer.text
