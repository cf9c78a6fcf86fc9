"""Rendering a page: every template gets the user, the CSRF token and the navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse

from stocktake.appdb.actions import ActionError
from stocktake.appdb.models import User
from stocktake.web.security import csrf_token, session_timing
from stocktake.web.templating import templates

T = TypeVar("T")


def render(request: Request, template: str, user: User | None, *, status_code: int = 200, **context):
    timing = None
    if user is not None:
        ends = getattr(request.state, "session_ends", None)
        timing = session_timing(ends, request.app.state.settings.idle_timeout)
    return templates.TemplateResponse(
        request,
        template,
        {"user": user, "csrf_token": csrf_token(request), "session_timing": timing, **context},
        status_code=status_code,
    )


def change_then(change: Callable[[], T], *, then: Callable[[T], object], page: Callable[..., object]):
    """Run one change; if it is refused, the form's page again with the reason (422), else
    ``then(what the change returned)``: one place decides how a refused change is shown."""
    try:
        done = change()
    except ActionError as error:
        return page(errors=[str(error)], status_code=422)
    return then(done)


def change_then_redirect(
    change: Callable[[], T], *, to: str | Callable[[T], str], page: Callable[..., object]
):
    """``change_then``, going on to ``to``, or to ``to(what the change returned)`` (a new record's page)."""
    return change_then(
        change,
        then=lambda done: RedirectResponse(to(done) if callable(to) else to, status_code=303),
        page=page,
    )
