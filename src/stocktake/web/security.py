"""Who is asking and may they: the signed-in user, roles checked on every route, CSRF on every form.

The session is a signed cookie holding the user's id and a random CSRF token; a form's token must
match it (``secrets.compare_digest``) on every POST. HTMX sends the token as a header instead.
"""

from __future__ import annotations

import secrets

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from stocktake.appdb.models import ROLES, User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"


class NotSignedIn(Exception):
    """Raised by a route that needs a user when there is none: the app redirects to sign in."""


class Forbidden(Exception):
    def __init__(self, needed: str):
        self.needed = needed


class CsrfRefused(Exception):
    pass


def database(request: Request):
    """One app-database session per request (dependencies are plain functions: a wait for a pooled
    connection must block a worker thread, never the event loop)."""
    with request.app.state.sessions() as session:
        yield session


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


async def check_csrf(request: Request) -> None:
    """Refuse any unsafe request whose token is missing or does not match the session's."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        sent = (await request.form()).get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRefused()


def current_user(request: Request, db: Session = Depends(database)) -> User | None:
    user_id = request.session.get("user_id")
    user = db.get(User, user_id) if user_id is not None else None
    if user is not None and not user.active:
        request.session.clear()
        return None
    return user


def require(role: str):
    """A dependency giving the signed-in user if their role is ``role`` or above."""
    needed = ROLES.index(role)

    def dependency(user: User | None = Depends(current_user)) -> User:
        if user is None:
            raise NotSignedIn()
        if ROLES.index(user.role) < needed:
            raise Forbidden(role)
        return user

    return dependency


def sign_in(request: Request, user: User) -> None:
    """A fresh session (a new CSRF token too) so a session planted before sign-in is worthless."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)


viewer, editor, admin = require("viewer"), require("editor"), require("admin")
