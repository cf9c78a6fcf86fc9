"""Request bodies: an upload is refused before a byte of it is read unless an editor sends it, and a
body over its cap is refused with 413 — from its declared length, or once the bytes streamed pass it
— and logged; nothing reaches the staging folder."""

from __future__ import annotations

import asyncio
import dataclasses
import warnings

import pytest
from sqlalchemy import select

from stocktake.appdb.models import AuditEvent
from stocktake.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

PASSWORD = "a long enough password, kettle"
UPLOAD_LIMIT, BODY_LIMIT = 4096, 1024


@pytest.fixture(scope="module")
def small(app):
    """The same workspace, with small caps."""
    settings = dataclasses.replace(app.state.settings, upload_limit=UPLOAD_LIMIT, body_limit=BODY_LIMIT)
    return create_app(settings, migrate=False)


def _cookie(app, role: str | None) -> str:
    client = TestClient(app)
    page = client.get("/sign-in").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    if role:
        data = {"username": role, "password": PASSWORD, "csrf_token": token}
        assert client.post("/sign-in", data=data, follow_redirects=False).status_code == 303
    return f"stocktake_session={client.cookies.get('stocktake_session')}"


def _post(app, path: str, chunks: list[bytes], *, cookie: str, declare: bool) -> tuple[int, int, dict]:
    """POST ``chunks`` straight to the ASGI app: (status, chunks the app read, response headers)."""
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    read, sent = [], []

    async def receive():
        if not pending:
            return {"type": "http.disconnect"}
        read.append(1)
        return pending.pop(0)

    async def send(message):
        sent.append(message)

    headers = [(b"cookie", cookie.encode()), (b"content-type", b"multipart/form-data; boundary=xyz")]
    if declare:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("10.5.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], len(read), {k.decode(): v.decode() for k, v in start["headers"]}


def _refusals(app) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return db.scalars(select(AuditEvent).where(AuditEvent.action == "request_refused")).all()


def _staged(app) -> list:
    staging = app.state.settings.home / "staging"
    return list(staging.iterdir()) if staging.exists() else []


PART = b'--xyz\r\nContent-Disposition: form-data; name="extract"; filename="x.csv"\r\n\r\n'
BODY = PART + b"x" * (300 * 1024 - len(PART))
BIG = [BODY[i : i + 1024] for i in range(0, len(BODY), 1024)]  # 300 KB: far over the small caps


@pytest.mark.parametrize(("role", "status"), [(None, 303), ("viewer", 403)])
def test_an_upload_is_refused_unread_without_the_editor_role(small, role, status):
    before = len(_refusals(small))
    answer, read, headers = _post(small, "/uploads", BIG, cookie=_cookie(small, role), declare=False)
    assert (answer, read) == (status, 0)
    assert headers["connection"] == "close"  # the client stops sending
    if role == "viewer":
        logged = _refusals(small)[-1]
        assert (logged.subject, logged.detail, logged.client) == (
            "POST /uploads",
            "needs the editor role",
            "10.5.0.1",
        )
    else:
        assert len(_refusals(small)) == before
        assert headers["location"] == "/sign-in?next=/uploads"


def test_a_declared_body_over_the_cap_is_refused_unread(small):
    answer, read, headers = _post(small, "/uploads", BIG, cookie=_cookie(small, "editor"), declare=True)
    assert (answer, read, headers["connection"]) == (413, 0, "close")
    assert _refusals(small)[-1].detail == f"body of {300 * 1024} bytes, over {UPLOAD_LIMIT}"
    assert _staged(small) == []


@pytest.mark.parametrize(("path", "limit"), [("/uploads", UPLOAD_LIMIT), ("/decisions", BODY_LIMIT)])
def test_a_streamed_body_is_refused_once_it_passes_the_cap(small, path, limit):
    answer, read, headers = _post(small, path, BIG, cookie=_cookie(small, "editor"), declare=False)
    assert answer == 413 and "text/html" in headers["content-type"]
    assert read == limit // 1024 + 1  # stopped at the first chunk over the cap, not the 300th
    assert _refusals(small)[-1].detail == f"body over {limit} bytes (streamed)"
    assert _staged(small) == []


def test_a_body_within_the_caps_reaches_the_route(small):
    client = TestClient(small)
    client.get("/sign-in")
    client.cookies.set("stocktake_session", _cookie(small, "editor").split("=", 1)[1])
    token = client.get("/uploads").text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/uploads",
        data={"dataset": "nonsense", "csrf_token": token},
        files={"extract": ("x.csv", b"a,b\n1,2\n")},
    )
    assert answer.status_code == 422 and "Dataset: choose one of" in answer.text
    too_big = client.post(
        "/uploads",
        data={"dataset": "nonsense", "csrf_token": token},
        files={"extract": ("x.csv", b"x" * (UPLOAD_LIMIT + 1))},
    )
    assert too_big.status_code == 413 and "at most" in too_big.text
