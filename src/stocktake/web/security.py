"""Who is asking and may they: the signed-in user, roles checked on every route, CSRF on every form.

The session cookie is signed and holds a random CSRF token and, once signed in, the token of a
session kept in the app database (``WebSession``), so that signing out, a password change or reset
and disabling the account end it wherever its cookie has been copied. A form's CSRF token must
match the cookie's (``secrets.compare_digest``) on every POST but sign-out (which is safe without
one, and must work from a stale tab on a shared ward PC). HTMX sends the token as a header instead.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from stocktake.appdb import actions
from stocktake.appdb.models import ROLES, User
from stocktake.web.form_text import CHECKED_BY_ROUTE, unfit_fields

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
SIGN_OUT = "/sign-out"


class NotSignedIn(Exception):
    """Raised by a route that needs a user when there is none: the app redirects to sign in."""


class Forbidden(Exception):
    def __init__(self, needed: str, user: User):
        self.needed, self.user = needed, user


class CsrfRefused(Exception):
    pass


class UnfitText(Exception):
    """A form field holding what cannot be kept (``form_text.unfit_fields``): one line per field."""

    def __init__(self, problems: list[str]):
        self.problems = problems


class RecordOrigin:
    """Pure ASGI middleware: every audit event of a request records the client's address and user
    agent (``actions.acting_from``), whichever route or action writes it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("",))[0] or ""
        agent = next((v for k, v in scope["headers"] if k == b"user-agent"), b"").decode("latin-1")
        with actions.acting_from(client, agent):
            await self.app(scope, receive, send)


def database(request: Request):
    """One app-database session per request (dependencies are plain functions: a wait for a pooled
    connection must block a worker thread, never the event loop)."""
    with request.app.state.sessions() as session:
        yield session


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


#: Forms allowed more than Starlette's 1000 fields, by path (a route adds its own): the form is read
#: here first, and read once, so its limit is set here.
FORM_FIELDS: dict[str, int] = {}


async def check_csrf(request: Request) -> None:
    """Refuse any unsafe request whose token is missing or does not match the session's."""
    if request.method in SAFE_METHODS or request.url.path == SIGN_OUT:
        return
    sent, form = request.headers.get(CSRF_HEADER), None
    # a form is read whichever way its token came: sent in the header, its text had skipped the check
    # below (an outside check stored a NUL, and an NHS number shown to every viewer)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if sent is None or kind in FORM_TYPES:
        form = await request.form(max_fields=FORM_FIELDS.get(request.url.path, 1000))
        sent = form.get(CSRF_FIELD) if sent is None else sent
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRefused()
    if request.url.path in CHECKED_BY_ROUTE:  # read whole by its route, and given back with its refusals
        return
    # read off the event loop: a megabyte of digits and separators takes seconds to read, and every
    # other request waited for it (a recheck: before sign-in, which needs only a page's token)
    if form is not None and (problems := await run_in_threadpool(unfit_fields, form.multi_items())):
        raise UnfitText(problems)


def session_user(cookie: dict, db: Session, idle: timedelta) -> User | None:
    """The user of the cookie's session if it is still live (``actions.session_user``); an ended or
    expired one is forgotten (the CSRF token stays, so a form sent after it leads to sign-in)."""
    token = cookie.get("session")
    user = actions.session_user(db, token=token, idle=idle) if isinstance(token, str) else None
    if user is None:
        cookie.pop("session", None)
    return user


def current_user(request: Request, db: Session = Depends(database)) -> User | None:
    """The signed-in user; the page they get is told when their session will end (``session_timing``)."""
    idle = request.app.state.settings.idle_timeout
    user = session_user(request.session, db, idle)
    if user is not None:
        request.state.session_ends = actions.session_ends(db, token=request.session["session"], idle=idle)
    # The read's transaction ended, so its pooled connection is given back before the route waits for a
    # worker thread: an outside check's 80 requests at once had every thread waiting for a connection
    # held by requests waiting for a thread, and other users' pages failed after 30 s.
    db.commit()
    return user


#: A page warns this long before its session ends (a quarter of the idle timeout when that is short).
WARN_BEFORE = timedelta(minutes=5)


def session_timing(ends: actions.SessionEnds | None, idle: timedelta) -> dict[str, int] | None:
    """What a page's script needs to warn before its session ends: seconds to the idle end and to the
    absolute end, and how early to warn. Seconds, not clock times: a ward PC's clock may be wrong."""
    if ends is None:
        return None
    idle_left, absolute_left = ends.seconds_left(actions.base._now())
    warn = int(min(WARN_BEFORE, idle / 4).total_seconds())
    return {"idle": idle_left, "absolute": absolute_left, "warn": warn}


def require(role: str):
    """A dependency giving the signed-in user if their role is ``role`` or above."""
    needed = ROLES.index(role)

    def dependency(user: User | None = Depends(current_user)) -> User:
        if user is None:
            raise NotSignedIn()
        if ROLES.index(user.role) < needed:
            raise Forbidden(role, user)
        return user

    return dependency


def sign_in(request: Request, user: User, db: Session) -> None:
    """A fresh session (a new CSRF token too) so a session planted before sign-in is worthless."""
    request.session.clear()
    request.session["session"] = actions.start_session(db, user=user)
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request, db: Session) -> None:
    """End the session here and in the app database, whatever state the page was in."""
    token = request.session.get("session")
    if isinstance(token, str):
        actions.end_session(db, token=token)
    request.session.clear()


viewer, editor, admin = require("viewer"), require("editor"), require("admin")
