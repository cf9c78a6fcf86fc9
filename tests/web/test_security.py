"""Forms without the session's CSRF token are refused; sign-in is logged and starts a new session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, User

POSTS = [
    "/metrics/hipfx_surgery_36h/target",
    "/metrics/hipfx_surgery_36h/annotations",
    "/projects",
    "/audits",
    "/decisions",
    "/uploads",
    "/admin/users",
    "/account/password",
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


def _new_user(app, username: str) -> None:
    with app.state.sessions() as db:
        actions.create_user(
            db, by=None, username=username, full_name=username, password="the right password", role="viewer"
        )


def _sign_in(client, username: str, password: str) -> int:
    data = {"username": username, "password": password, "csrf_token": client.csrf}
    status = client.post("/sign-in", data=data, follow_redirects=False).status_code
    if status == 303:  # a new session, with its own token
        client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)[1]
    return status


def _actions_of(app, username: str) -> list[str]:
    with app.state.sessions() as db:
        user = db.scalar(select(User).where(User.username == username))
        subject = AuditEvent.subject == f"user:{user.id}"
        return list(db.scalars(select(AuditEvent.action).where(subject).order_by(AuditEvent.id)))


def test_five_wrong_passwords_in_a_row_lock_the_account_for_a_while(app, sign_in_as, monkeypatch):
    _new_user(app, "guessed")
    client = sign_in_as(None)
    for _ in range(4):
        assert _sign_in(client, "guessed", "a wrong password") == 401
    assert _sign_in(client, "guessed", "the right password") == 303  # four in a row: not yet
    client = sign_in_as(None)
    for _ in range(5):
        assert _sign_in(client, "guessed", "a wrong password") == 401
    assert _sign_in(client, "guessed", "the right password") == 401  # locked, even with the right one
    assert _actions_of(app, "guessed")[-2:] == ["sign_in_failed", "sign_in_locked"]
    later = actions._now() + actions.SIGN_IN_LOCK + timedelta(seconds=1)
    monkeypatch.setattr(actions, "_now", lambda: later)
    assert _sign_in(client, "guessed", "the right password") == 303


def test_a_user_changes_their_own_password(app, sign_in_as):
    _new_user(app, "changer")
    client = sign_in_as(None)
    assert _sign_in(client, "changer", "the right password") == 303
    assert "Change your password" in client.get("/account").text
    form = {"current": "the right password", "new": "a brand new password", "again": "a brand new password"}
    for wrong, reason in [
        ({"current": "not it"}, "current password: not right"),
        ({"again": "a brand new passw0rd"}, "the two new passwords differ"),
        ({"new": "short", "again": "short"}, "at least 12 characters"),
    ]:
        answer = client.post("/account/password", data=form | wrong | {"csrf_token": client.csrf})
        assert answer.status_code == 422 and reason in answer.text
    answer = client.post("/account/password", data=form | {"csrf_token": client.csrf})
    assert answer.status_code == 200 and "Your password is changed" in answer.text
    fresh = sign_in_as(None)
    assert _sign_in(fresh, "changer", "the right password") == 401
    assert _sign_in(fresh, "changer", "a brand new password") == 303
    assert "password_changed" in _actions_of(app, "changer")
