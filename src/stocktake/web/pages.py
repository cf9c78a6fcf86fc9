"""Rendering a page: every template gets the user, the CSRF token and the navigation."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse

from stocktake.appdb.actions import ActionError
from stocktake.appdb.models import User
from stocktake.web.security import csrf_token
from stocktake.web.templating import templates


def render(request: Request, template: str, user: User | None, *, status_code: int = 200, **context):
    return templates.TemplateResponse(
        request,
        template,
        {"user": user, "csrf_token": csrf_token(request), **context},
        status_code=status_code,
    )


def change_then_redirect(change: Callable[[], object], *, to: str, page: Callable[..., object]):
    """Run one change; if it is refused, the form's page again with the reason (422), else go to ``to``."""
    try:
        change()
    except ActionError as error:
        return page(errors=[str(error)], status_code=422)
    return RedirectResponse(to, status_code=303)
