"""Every route, every role: anonymous visitors are sent to sign in, lower roles are refused (403),
the rest get their page. Adding a route without adding it here fails the first test."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from stocktake.appdb import actions
from stocktake.appdb.models import ROLES, User

ANYONE = None
#: (method, path) → the least role that may use it.
ROUTES = {
    ("GET", "/sign-in"): ANYONE,
    ("POST", "/sign-in"): ANYONE,
    ("GET", "/healthz"): ANYONE,
    ("POST", "/sign-out"): ANYONE,
    ("GET", "/"): "viewer",
    ("GET", "/metrics/{metric_id}"): "viewer",
    ("GET", "/metrics/{metric_id}/drilldown"): "viewer",
    ("GET", "/metrics/{metric_id}/funnel"): "viewer",
    ("POST", "/metrics/{metric_id}/funnel"): "viewer",
    ("POST", "/metrics/{metric_id}/expected"): "editor",
    ("POST", "/metrics/{metric_id}/peers"): "editor",
    ("GET", "/metrics/{metric_id}/slide.{fmt}"): "viewer",
    ("GET", "/metrics/{metric_id}/chart.svg"): "viewer",
    ("GET", "/search"): "viewer",
    ("POST", "/metrics/{metric_id}/target"): "editor",
    ("POST", "/metrics/{metric_id}/annotations"): "editor",
    ("POST", "/metrics/{metric_id}/annotations/{annotation_id}/delete"): "editor",
    ("GET", "/metrics/{metric_id}/comments"): "viewer",
    ("POST", "/metrics/{metric_id}/comments"): "editor",
    ("POST", "/metrics/{metric_id}/comments/{comment_id}/withdraw"): "editor",
    ("GET", "/uploads"): "editor",
    ("POST", "/uploads"): "editor",
    ("POST", "/uploads/{token}/confirm"): "editor",
    ("POST", "/uploads/{token}/cancel"): "editor",
    ("POST", "/uploads/loads/{load_id}/undo"): "admin",
    ("GET", "/projects"): "viewer",
    ("POST", "/projects"): "editor",
    ("GET", "/projects/{project_id}"): "viewer",
    ("POST", "/projects/{project_id}/measures"): "editor",
    ("POST", "/projects/{project_id}/change-ideas"): "editor",
    ("POST", "/projects/{project_id}/cycles"): "editor",
    ("POST", "/projects/{project_id}/progress"): "editor",
    ("GET", "/projects/{project_id}/edit"): "editor",
    ("POST", "/projects/{project_id}/edit"): "editor",
    ("POST", "/projects/{project_id}/withdraw"): "editor",
    ("GET", "/projects/{project_id}/cycles/{cycle_id}/edit"): "editor",
    ("POST", "/projects/{project_id}/cycles/{cycle_id}/edit"): "editor",
    ("POST", "/projects/{project_id}/cycles/{cycle_id}/withdraw"): "editor",
    ("GET", "/projects/{project_id}/comments"): "viewer",
    ("POST", "/projects/{project_id}/comments"): "editor",
    ("POST", "/projects/{project_id}/comments/{comment_id}/withdraw"): "editor",
    ("GET", "/audits"): "viewer",
    ("POST", "/audits"): "editor",
    ("GET", "/audits/{audit_id}"): "viewer",
    ("POST", "/audits/{audit_id}/cycles"): "editor",
    ("GET", "/audits/{audit_id}/edit"): "editor",
    ("POST", "/audits/{audit_id}/edit"): "editor",
    ("POST", "/audits/{audit_id}/withdraw"): "editor",
    ("GET", "/audits/{audit_id}/cycles/{audit_cycle_id}/edit"): "editor",
    ("POST", "/audits/{audit_id}/cycles/{audit_cycle_id}/edit"): "editor",
    ("POST", "/audits/{audit_id}/cycles/{audit_cycle_id}/withdraw"): "editor",
    ("POST", "/audits/{audit_id}/actions"): "editor",
    ("GET", "/audits/{audit_id}/actions/{action_id}/edit"): "editor",
    ("POST", "/audits/{audit_id}/actions/{action_id}/edit"): "editor",
    ("POST", "/audits/{audit_id}/actions/{action_id}/withdraw"): "editor",
    ("GET", "/decisions"): "viewer",
    ("POST", "/decisions"): "editor",
    ("GET", "/decisions/{decision_id}"): "viewer",
    ("GET", "/decisions/{decision_id}/edit"): "editor",
    ("POST", "/decisions/{decision_id}/edit"): "editor",
    ("POST", "/decisions/{decision_id}/withdraw"): "editor",
    ("GET", "/decisions/{decision_id}/documents"): "viewer",
    ("POST", "/decisions/{decision_id}/documents"): "editor",
    ("GET", "/decisions/{decision_id}/documents/{document_id}"): "viewer",
    ("POST", "/decisions/{decision_id}/documents/{document_id}/withdraw"): "editor",
    ("GET", "/programmes"): "viewer",
    ("POST", "/programmes"): "editor",
    ("GET", "/programmes/{programme_id}"): "viewer",
    ("POST", "/programmes/{programme_id}/completion"): "editor",
    ("POST", "/programmes/{programme_id}/modules"): "editor",
    ("POST", "/programmes/{programme_id}/cohorts"): "editor",
    ("POST", "/programmes/{programme_id}/files"): "editor",
    ("GET", "/programmes/{programme_id}/report.{fmt}"): "viewer",
    ("GET", "/programmes/{programme_id}/cohorts/{cohort_id}"): "viewer",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/participants"): "editor",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/participants/import"): "editor",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/attendance/import"): "editor",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/sessions"): "editor",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/sessions/{session_id}/attendance"): "editor",
    (
        "POST",
        "/programmes/{programme_id}/cohorts/{cohort_id}/participants/{participant_id}/projects",
    ): "editor",
    (
        "POST",
        "/programmes/{programme_id}/cohorts/{cohort_id}/participants/{participant_id}/account",
    ): "editor",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/evaluations"): "editor",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/imports/{token}/confirm"): "editor",
    ("POST", "/programmes/{programme_id}/cohorts/{cohort_id}/imports/{token}/cancel"): "editor",
    (
        "POST",
        "/programmes/{programme_id}/cohorts/{cohort_id}/participants/{participant_id}/withdraw",
    ): "editor",
    (
        "POST",
        "/programmes/{programme_id}/cohorts/{cohort_id}/evaluations/{evaluation_id}/withdraw",
    ): "editor",
    ("GET", "/procurement"): "viewer",
    ("GET", "/procurement/opportunities.xlsx"): "viewer",
    ("GET", "/waiting-list"): "viewer",
    ("GET", "/rotas"): "viewer",
    ("POST", "/rotas/upload"): "editor",
    ("POST", "/rotas/build"): "editor",
    ("GET", "/rotas/form"): "editor",
    ("POST", "/rotas/form"): "editor",
    ("GET", "/rotas/job"): "viewer",
    ("GET", "/rotas/{slug}"): "viewer",
    ("POST", "/rotas/{slug}/publish"): "editor",
    ("POST", "/rotas/{slug}/replan"): "editor",
    ("GET", "/rotas/{slug}/rota.xlsx"): "viewer",
    ("GET", "/rotas/{slug}/spec.yaml"): "viewer",
    ("GET", "/rotas/{slug}/calendars/{doctor}.ics"): "viewer",
    ("GET", "/job-plans"): "viewer",
    ("POST", "/job-plans/upload"): "editor",
    ("GET", "/job-plans/compare"): "viewer",
    ("GET", "/job-plans/{slug}"): "viewer",
    ("POST", "/job-plans/{slug}/propose"): "editor",
    ("POST", "/job-plans/{slug}/agree"): "editor",
    ("POST", "/job-plans/{slug}/withdraw"): "editor",
    ("POST", "/job-plans/capacity"): "editor",
    ("GET", "/job-plans/new"): "editor",
    ("POST", "/job-plans/new"): "editor",
    ("GET", "/job-plans/{slug}/plan.yaml"): "viewer",
    ("GET", "/job-plans/{slug}/check.xlsx"): "viewer",
    ("GET", "/reports"): "viewer",
    ("GET", "/reports/stocktake.{fmt}"): "viewer",
    ("POST", "/reports/build"): "viewer",
    ("GET", "/reports/job"): "viewer",
    ("GET", "/reports/built/{key}/stocktake.{fmt}"): "viewer",
    ("GET", "/session"): ANYONE,
    ("POST", "/session/keep"): ANYONE,
    ("GET", "/account"): "viewer",
    ("POST", "/account/password"): "viewer",
    ("GET", "/admin/users"): "admin",
    ("POST", "/admin/users"): "admin",
    ("POST", "/admin/users/{user_id}"): "admin",
    ("POST", "/admin/users/{user_id}/unlock"): "admin",
    ("GET", "/admin/audit-log"): "admin",
    ("GET", "/admin/mapping"): "admin",
    ("POST", "/admin/mapping"): "admin",
    ("POST", "/admin/mapping/{token}"): "admin",
}


def test_every_route_is_in_the_table(app):
    found = {(m.upper(), path) for path, methods in app.openapi()["paths"].items() for m in methods}
    assert found == set(ROUTES)


@pytest.fixture(scope="module")
def ids(app):
    """Real records for the path parameters."""
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        viewer = db.scalar(select(User).where(User.username == "viewer"))
        project = actions.create_project(db, by=admin, title="Faster to theatre", aim="80% in 36 h", lead="A")
        audit = actions.create_audit(db, by=admin, title="Bone health", standard="NICE", criteria=[("x", 90)])
        day = date(2024, 1, 1)
        cycle = actions.add_pdsa_cycle(db, by=admin, project_id=project.id, title="C", started_on=day)
        actions.add_audit_cycle(
            db, by=admin, audit_id=audit.id, label="A", started_on=day, ended_on=day, sample="", results={}
        )
        decision = actions.record_decision(
            db, by=admin, decided_on=day, title="Keep the list", rationale="It works", decided_by="CD"
        )
        action = actions.add_audit_action(
            db, by=admin, cycle_id=audit.cycles[0].id, what="Teach", owner="CD", due_on=day
        )
        document = actions.attach_document(
            db, by=admin, decision_id=decision.id, filename="minutes.pdf", content=b"%PDF-1.7\n%%EOF\n"
        )
        comment = actions.add_comment(
            db, by=admin, subject_kind="project", subject_id=str(project.id), body="Hi"
        )
        programme = actions.create_programme(db, by=admin, name="Leaders", modules=["Change"])
        cohort = actions.add_cohort(db, by=admin, programme_id=programme.id, name="One")
        participant = actions.add_participant(db, by=admin, cohort_id=cohort.id, code="P1", name="Ann")
        held = actions.add_session(
            db, by=admin, cohort_id=cohort.id, module_id=programme.modules[0].id, held_on=day
        )
    return {
        "metric_id": "hipfx_surgery_36h",
        "annotation_id": "999999",
        "project_id": str(project.id),
        "audit_id": str(audit.id),
        "cycle_id": str(cycle.id),
        "audit_cycle_id": str(audit.cycles[0].id),
        "decision_id": str(decision.id),
        "action_id": str(action.id),
        "document_id": str(document.id),
        "comment_id": str(comment.id),
        "programme_id": str(programme.id),
        "cohort_id": str(cohort.id),
        "participant_id": str(participant.id),
        "session_id": str(held.id),
        "evaluation_id": "999999",
        "user_id": str(viewer.id),
        "fmt": "html",
        "token": "no-such-upload-token-000000000000",
        "load_id": "999999",
        "key": "0000000000000000",
        "slug": "no-such-rota",
        "doctor": "N1",
    }


FORMS = {  # enough to reach the route; most are refused as incomplete (422), which is fine here
    "/admin/users/{user_id}": {"role": "viewer", "active": "true"},
    "/projects/{project_id}/progress": {"score": "1.0"},
    "/reports/build": {"period": "not-a-month"},  # refused (422): no build started by this table
}


def _call(client, method: str, path: str, ids: dict):
    url = path.format(**ids)
    if method == "GET":
        return client.get(url, follow_redirects=False)
    data = {"csrf_token": client.csrf, **FORMS.get(path, {})}
    files = {"extract": ("extract.csv", b"")} if path == "/uploads" else None
    return client.post(url, data=data, files=files, follow_redirects=False)


CASES = [(m, p, role) for (m, p) in ROUTES for role in (None, *ROLES)]


@pytest.mark.parametrize(("method", "path", "role"), CASES, ids=[f"{m} {p} as {r}" for m, p, r in CASES])
def test_route_answers_each_role(clients, sign_in_as, ids, method, path, role):
    needed = ROUTES[(method, path)]
    fresh = path in ("/sign-in", "/sign-out")  # these change the session: use a client of their own
    client = sign_in_as(role) if fresh else clients[role]
    answer = _call(client, method, path, ids)
    if needed is not ANYONE and role is None:
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in")
    elif needed is not ANYONE and ROLES.index(role) < ROLES.index(needed):
        assert answer.status_code == 403
        assert "Not allowed" in answer.text
    else:
        assert answer.status_code < 500 or (path == "/healthz" and answer.status_code == 503)  # not warm yet
        assert answer.status_code not in (401, 403) or path == "/sign-in"
        assert not answer.headers.get("location", "").startswith("/sign-in") or path == "/sign-out"


def test_a_page_shows_only_the_navigation_a_role_may_use(clients):
    viewer_page, admin_page = clients["viewer"].get("/projects").text, clients["admin"].get("/projects").text
    assert 'href="/admin/audit-log"' in admin_page and 'href="/admin/audit-log"' not in viewer_page
    assert 'href="/uploads"' not in viewer_page
    assert "Start a project" in clients["editor"].get("/projects").text
    assert "Start a project" not in viewer_page


def test_a_deactivated_user_is_signed_out(app, sign_in_as):
    client = sign_in_as("editor")
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        editor = db.scalar(select(User).where(User.username == "editor"))
        actions.set_role(db, by=admin, user_id=editor.id, role="editor", active=False)
    try:
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")
        bad = client.post(
            "/sign-in",
            data={
                "username": "editor",
                "password": "a long enough password, kettle",
                "csrf_token": client.csrf,
            },
        )
        assert bad.status_code in (401, 403)
    finally:
        with app.state.sessions() as db:
            actions.set_role(db, by=admin, user_id=editor.id, role="editor", active=True)
