"""Forms without the session's CSRF token are refused; sign-in is logged and starts a new session."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from stocktake.appdb.models import AuditEvent, User

POSTS = [
    "/metrics/hipfx_surgery_36h/target",
    "/metrics/hipfx_surgery_36h/annotations",
    "/projects",
    "/audits",
    "/decisions",
    "/uploads",
    "/admin/users",
    "/sign-out",
]


def _count(app) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count(AuditEvent.id)))


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("token", [None, "forged"])
def test_a_form_without_the_sessions_token_is_refused(app, clients, path, token):
    before = _count(app)
    data = {"title": "x", "aim": "y", "value": "1", "basis": "b", "username": "mallory", "password": "p" * 20}
    if token:
        data["csrf_token"] = token
    answer = clients["admin"].post(path, data=data, follow_redirects=False)
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert _count(app) == before
    assert clients["admin"].get("/admin/users").status_code == 200  # still signed in


def test_htmx_may_send_the_token_as_a_header(clients):
    client = clients["editor"]
    answer = client.post(
        "/decisions",
        data={"decided_on": "2024-01-02", "title": "t", "rationale": "r", "decided_by": "d"},
        headers={"X-CSRF-Token": client.csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_sign_in_is_logged_and_replaces_the_session(app, sign_in_as):
    client = sign_in_as(None)
    before = client.cookies.get("stocktake_session")
    wrong = client.post("/sign-in", data={"username": "admin", "password": "nope", "csrf_token": client.csrf})
    assert wrong.status_code == 401
    right = client.post(
        "/sign-in",
        data={
            "username": "admin",
            "password": "a long enough password",
            "csrf_token": client.csrf,
            "next": "//evil",
        },
        follow_redirects=False,
    )
    assert right.headers["location"] == "/"  # never off-site
    assert client.cookies.get("stocktake_session") != before
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        latest = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert [e.action for e in latest] == ["sign_in", "sign_in_failed"]
    assert latest[0].user_id == admin.id and latest[1].user_id is None
    assert admin.password_hash.startswith("$argon2id$")


def test_admin_adds_a_user_who_can_then_sign_in(clients, sign_in_as):
    admin = clients["admin"]
    data = {
        "username": "Nurse.Lead",
        "full_name": "N Lead",
        "password": "another long password",
        "role": "editor",
    }
    assert (
        "Added nurse.lead as editor"
        in admin.post("/admin/users", data=data | {"csrf_token": admin.csrf}).text
    )
    short = admin.post(
        "/admin/users", data=data | {"username": "x", "password": "short", "csrf_token": admin.csrf}
    )
    assert short.status_code == 422 and "at least 12 characters" in short.text
    client = sign_in_as(None)
    answer = client.post(
        "/sign-in",
        data={"username": "nurse.lead", "password": "another long password", "csrf_token": client.csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert client.get("/uploads").status_code == 200
