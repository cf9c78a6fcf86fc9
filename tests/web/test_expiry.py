"""A session's end, seen from the page: the timing a page's warning works from (hand-worked against a
moved clock), "Stay signed in", htmx requests after the end told so in their swap, and signing in
again after a form sent too late landing on the form's page, never on an address that takes POSTs."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, User

IDLE = timedelta(minutes=30)  # the settings' default, which the conftest's app takes
PASSWORD = "a long enough password, kettle"  # the conftest's users'


@pytest.fixture
def clock(monkeypatch):
    """The actions' clock stopped now (a sign-in happens then); ``clock(by)`` moves it on ``by``."""
    start = actions.base._now()
    monkeypatch.setattr(actions.base, "_now", lambda: start)
    return lambda by: monkeypatch.setattr(actions.base, "_now", lambda: start + by)


def _timing(page: str) -> dict[str, int]:
    found = re.search(
        r'data-idle-seconds="(\d+)" data-absolute-seconds="(\d+)"\s+data-warn-seconds="(\d+)"', page
    )
    assert found, "the page carries no session timing"
    return dict(zip(("idle", "absolute", "warn"), map(int, found.groups()), strict=True))


def test_the_page_knows_when_its_session_ends(sign_in_as, clock):
    client = sign_in_as("viewer")
    clock(timedelta(seconds=50))  # within a minute of sign-in: the last use stays the sign-in
    page = client.get("/projects").text
    assert _timing(page) == {"idle": 30 * 60 - 50, "absolute": 8 * 3600 - 50, "warn": 5 * 60}
    assert 'id="session-dialog"' in page and "Stay signed in" in page
    assert 'name="stocktake-user" content="' in page


def test_asking_how_long_is_left_is_not_a_use_and_staying_signed_in_is(sign_in_as, clock):
    client = sign_in_as("viewer")
    clock(timedelta(minutes=20))
    assert client.get("/session").json() == {
        "signed_in": True,
        "idle": 10 * 60,
        "absolute": 8 * 3600 - 20 * 60,
        "warn": 300,
    }
    clock(timedelta(minutes=25))  # still asking, never using: the idle end has not moved
    assert client.get("/session").json()["idle"] == 5 * 60
    kept = client.post("/session/keep", headers={"X-CSRF-Token": client.csrf}).json()
    assert (kept["idle"], kept["absolute"]) == (30 * 60, 8 * 3600 - 25 * 60)  # only the idle end moves
    clock(timedelta(minutes=25 + 31))
    assert client.get("/session").json() == {"signed_in": False}
    assert client.post("/session/keep", headers={"X-CSRF-Token": client.csrf}).json() == {
        "signed_in": False
    }  # an ended session is not revived
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_stay_signed_in_needs_the_forms_token(sign_in_as):
    client = sign_in_as("viewer")
    assert client.post("/session/keep", headers={"X-CSRF-Token": "forged"}).status_code == 403


def test_an_htmx_request_after_the_session_ended_gets_the_message_in_its_swap(sign_in_as, clock):
    client = sign_in_as("viewer")
    clock(IDLE + timedelta(seconds=1))
    answer = client.get(
        "/",
        params={"area": "Theatres"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/?area=Theatres"},
    )
    assert answer.status_code == 401
    assert answer.headers["HX-Trigger"] == "session-ended"
    assert "Your session has ended" in answer.text and "<html" not in answer.text  # a part, not a page
    link = re.search(r'href="(/sign-in\?[^"]+)"', answer.text).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query)["next"] == ["/?area=Theatres"]  # back to the filtered page


def _project(app) -> int:
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        return actions.create_project(db, by=admin, title="Faster to theatre", aim="80% in 36 h", lead="A").id


@pytest.mark.parametrize("referer", [True, False])
def test_signing_in_after_a_form_sent_too_late_lands_on_the_forms_page(
    app, sign_in_as, clock, monkeypatch, referer
):
    project = _project(app)
    client = sign_in_as("editor")
    clock(IDLE + timedelta(seconds=1))
    form = {"title": "Ring-fenced slot", "started_on": "2024-03-04", "csrf_token": client.csrf}
    headers = {"Referer": f"http://testserver/projects/{project}?tab=cycles"} if referer else {}
    answer = client.post(f"/projects/{project}/cycles", data=form, headers=headers, follow_redirects=False)
    assert answer.status_code == 303
    sign_in = answer.headers["location"]
    back = parse_qs(urlsplit(sign_in).query)["next"][0]
    # the form's page (from the Referer), else the nearest page above the POST's address
    assert back == (f"/projects/{project}?tab=cycles" if referer else f"/projects/{project}")
    monkeypatch.undo()  # back to now: sign in again
    page = client.get(sign_in)
    assert f'value="{back}"' in page.text.replace("&amp;", "&")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    again = client.post(
        "/sign-in",
        data={"username": "editor", "password": PASSWORD, "next": back, "csrf_token": token},
        follow_redirects=False,
    )
    assert again.headers["location"] == back
    landed = client.get(back)
    assert landed.status_code == 200 and landed.headers["content-type"].startswith("text/html")
    assert "Faster to theatre" in landed.text


def test_a_form_sent_to_an_address_only_for_posts_returns_to_a_page(sign_in_as, clock):
    client = sign_in_as("admin")
    clock(IDLE + timedelta(seconds=1))
    answer = client.post("/admin/users/1/unlock", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["next"] == ["/admin/users"]


def test_a_form_from_a_tab_left_overnight_is_refused_with_a_way_back_and_logged(app, sign_in_as):
    client = sign_in_as(None)  # the cookie expired: no session, and the page's token is stale
    client.cookies.clear()
    before = _events(app)
    answer = client.post(
        "/decisions",
        data={"title": "t", "csrf_token": "yesterdays"},
        headers={"Referer": "http://testserver/decisions"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "Your session had ended" in answer.text
    link = re.search(r'href="(/sign-in\?[^"]+)">Sign in again', answer.text).group(1)
    assert parse_qs(urlsplit(link).query)["next"] == ["/decisions"]
    assert _events(app)[len(before) :] == ["request_refused"]


def _events(app) -> list[str]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
