"""Errors get NHS.UK pages (never raw JSON or plain text), huge ids are 404s, and the target form
refuses what no chart can show."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import select

from stocktake.appdb.models import TargetSetting

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

HUGE = "9" * 30  # beyond any database's integers


def _is_page(answer, status: int, heading: str) -> None:
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert "nhsuk-header" in answer.text and f"<h1>{heading}</h1>" in answer.text


@pytest.mark.parametrize(
    ("method", "path", "role", "status", "heading", "says"),
    [
        ("GET", "/nowhere", "viewer", 404, "Page not found", "There is nothing at this address."),
        (
            "GET",
            "/metrics/no_such_metric",
            "viewer",
            404,
            "Page not found",
            "no metric &#39;no_such_metric&#39;",
        ),
        ("GET", f"/projects/{HUGE}", "viewer", 404, "Page not found", "There is nothing at this address."),
        ("GET", f"/audits/{HUGE}", "viewer", 404, "Page not found", "There is nothing at this address."),
        ("GET", "/projects/twelve", "viewer", 422, "Some of what was sent is not right", "path project_id"),
        (
            "GET",
            "/admin/audit-log?page=many",
            "admin",
            422,
            "Some of what was sent is not right",
            "query page",
        ),
        ("GET", f"/admin/audit-log?page={HUGE}", "admin", 404, "Page not found", "nothing at this address"),
        ("PUT", "/", "viewer", 405, "Page not found", "There is nothing at this address."),
    ],
)
def test_errors_get_an_nhs_page(clients, method, path, role, status, heading, says):
    answer = clients[role].request(method, path, follow_redirects=False)
    _is_page(answer, status, heading)
    assert says in answer.text


def test_a_huge_id_in_a_form_address_is_a_404(clients):
    admin = clients["admin"]
    answer = admin.post(f"/admin/users/{HUGE}", data={"role": "viewer", "csrf_token": admin.csrf})
    _is_page(answer, 404, "Page not found")


def test_a_failure_gets_an_nhs_page_not_plain_text(app, clients, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the warehouse is on fire")

    monkeypatch.setattr(app.state.workspace, "stocktake", broken)
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies = clients["viewer"].cookies
    answer = client.get("/")
    _is_page(answer, 500, "Sorry, there is a problem with the service")
    assert "on fire" not in answer.text
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("nan", "a finite number, not nan"),
        ("inf", "a finite number, not inf"),
        ("101", "a percentage from 0 to 100, not 101"),
        ("-1", "a percentage from 0 to 100, not -1"),
    ],
)
def test_a_target_must_be_finite_and_a_percentage_within_0_to_100(app, clients, value, reason):
    editor = clients["editor"]
    data = {"value": value, "basis": "a guess", "csrf_token": editor.csrf}
    answer = editor.post("/metrics/hipfx_surgery_36h/target", data=data)  # a measure in %
    assert answer.status_code == 422 and reason in answer.text
    with app.state.sessions() as db:
        assert db.scalar(select(TargetSetting).where(TargetSetting.metric_id == "hipfx_surgery_36h")) is None


def _address_logged(app, headers: dict) -> str:
    """Serve the app as `stocktake serve` does, send a failed sign-in, and read the address logged."""
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    from stocktake.appdb.models import AuditEvent
    from stocktake.web.app import server_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))
    server.config.log_level = "warning"
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            page = client.get("/sign-in")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            form = {"username": "nobody", "password": "wrong password here", "csrf_token": token}
            client.post("/sign-in", data=form, headers=headers)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    with app.state.sessions() as db:
        return db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first().client


def test_a_forwarded_address_is_believed_only_from_the_trusted_proxy(app):
    import dataclasses

    spoof = {"X-Forwarded-For": "203.0.113.66"}
    assert _address_logged(app, spoof) == "127.0.0.1"  # any local client could send the header
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, trusted_proxy="127.0.0.1")
    try:
        assert _address_logged(app, spoof) == "203.0.113.66"
    finally:
        app.state.settings = settings


def test_a_target_beyond_any_measures_reach_is_refused(clients):
    editor = clients["editor"]
    data = {"value": "1e308", "basis": "a slip", "csrf_token": editor.csrf}
    answer = editor.post("/metrics/rtt_waiting_list_size/target", data=data)  # a count, not a %
    assert answer.status_code == 422 and "at most 1,000,000,000,000 either way, not 1e+308" in answer.text
