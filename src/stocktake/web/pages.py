"""Rendering a page: every template gets the user, the CSRF token and the navigation."""

from __future__ import annotations

from fastapi import Request

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
