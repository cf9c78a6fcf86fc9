"""Rendering a page: every template gets the user, the CSRF token and the navigation."""

from __future__ import annotations

from fastapi import Request

from stocktake.appdb.models import User
from stocktake.web.security import csrf_token
from stocktake.web.templating import templates

NAVIGATION = (
    ("/", "Overview", "viewer"),
    ("/projects", "QI projects", "viewer"),
    ("/audits", "Audits", "viewer"),
    ("/decisions", "Decisions", "viewer"),
    ("/reports", "Reports", "viewer"),
    ("/uploads", "Upload data", "editor"),
    ("/admin/users", "Users", "admin"),
    ("/admin/audit-log", "Audit log", "admin"),
)


def render(request: Request, template: str, user: User | None, *, status_code: int = 200, **context):
    return templates.TemplateResponse(
        request,
        template,
        {"user": user, "csrf_token": csrf_token(request), "navigation": NAVIGATION, **context},
        status_code=status_code,
    )
