"""Request bodies: who may send one, and how big it may be — checked before it is read.

A pure ASGI middleware (inside the session middleware, so it can see who is signed in): an upload
is refused before a byte of it is read unless the session is signed in with the role uploads need,
and any body larger than its cap (``Settings.upload_limit`` for uploads, ``body_limit`` elsewhere)
is refused with 413 — at once when ``Content-Length`` says so, else as soon as the bytes streamed
pass the cap, so a large body is never spooled to disk. Refusals made before reading the body close
the connection, so the client stops sending.
"""

from __future__ import annotations

import re

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from stocktake.appdb.actions import DOCUMENT_LIMIT, PROGRAMME_FILE_LIMIT
from stocktake.appdb.models import ROLES
from stocktake.web import refusals
from stocktake.web.security import SAFE_METHODS, session_user

#: Paths taking large bodies, and the role needed to send one.
UPLOADS = {"/uploads": "editor", "/admin/mapping": "admin"}
#: A document attached to a decision (ADR 0028): an editor's, up to ``DOCUMENT_LIMIT``.
DOCUMENTS = re.compile(r"/decisions/\d+/documents")
#: A programme's files (ADR 0031): one file a request up to ``PROGRAMME_FILE_LIMIT`` (10 MB), an
#: evaluation's four at once; an editor's.
PROGRAMME_FILES = re.compile(r"/programmes/\d+/(files|cohorts/\d+/(participants|attendance)/import)")
PROGRAMME_EVALUATIONS = re.compile(r"/programmes/\d+/cohorts/\d+/evaluations")


class BodyTooLarge(HTTPException):
    """An HTTP exception, so a route reading the body lets it through to the app's error page."""

    def __init__(self, limit: int):
        super().__init__(413, f"A request may send at most {limit / 1024 / 1024:g} MB here.")


class RequestLimits:
    def __init__(self, app, *, upload_limit: int, body_limit: int):
        self.app = app
        self.upload_limit, self.body_limit = upload_limit, body_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        request = Request(scope)
        needed = UPLOADS.get(scope["path"])
        limit = self.upload_limit if needed else self.body_limit
        if DOCUMENTS.fullmatch(scope["path"]):
            needed, limit = "editor", DOCUMENT_LIMIT + self.body_limit  # the file and its form around it
        elif PROGRAMME_FILES.fullmatch(scope["path"]):
            needed, limit = "editor", PROGRAMME_FILE_LIMIT + self.body_limit
        elif PROGRAMME_EVALUATIONS.fullmatch(scope["path"]):
            needed, limit = "editor", 4 * PROGRAMME_FILE_LIMIT + self.body_limit
        refusal = await _identity(request, needed) if needed else None
        if refusal is None and _declared(scope) > limit:
            await refusals.record_refusal(request, f"body of {_declared(scope)} bytes, over {limit}")
            refusal = refusals.error_page(request, 413, BodyTooLarge(limit).detail)
        if refusal is not None:
            refusal.headers["connection"] = "close"
            return await refusal(scope, receive, send)
        await self._counted(request, receive, send, limit)

    async def _counted(self, request: Request, receive, send, limit: int) -> None:
        """Run the app, refusing the body as soon as more than ``limit`` bytes have come."""
        counted = 0

        async def limited():
            nonlocal counted
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(request.scope, limited, send)
        if counted > limit:
            await refusals.record_refusal(request, f"body over {limit} bytes (streamed)")


async def _identity(request: Request, needed: str):
    """None if the session's user has the role ``needed``, else the refusal to send."""
    app = request.app
    user = await run_in_threadpool(_user, app, dict(request.session))
    if user is None:
        return refusals.not_signed_in(request)
    if ROLES.index(user.role) < ROLES.index(needed):
        await refusals.record_refusal(request, f"needs the {needed} role", user)
        return refusals.forbidden(request, user, needed)
    return None


def _user(app, cookie: dict):
    with app.state.sessions() as db:
        return session_user(cookie, db, app.state.settings.idle_timeout)


def _declared(scope) -> int:
    """The body's declared length (0 when not declared or not a number)."""
    value = next((v for k, v in scope["headers"] if k == b"content-length"), b"0")
    return int(value) if value.isdigit() else 0
