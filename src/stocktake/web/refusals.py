"""The pages a refused or failed request gets (NHS.UK pages, never raw JSON or plain text), and the
audit event a refusal leaves. Used by the app's exception handlers and by ``limits``, which refuses
some requests before any route runs."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.web.pages import render
from stocktake.web.security import session_user
from stocktake.web.templating import templates

HEADINGS = {
    400: "The request could not be read",
    404: "Page not found",
    405: "Page not found",
    413: "Too large",
    422: "Some of what was sent is not right",
    500: "Sorry, there is a problem with the service",
}


def not_signed_in(request: Request):
    """To the sign-in page, then back; HTMX (which cannot follow to a whole page) gets a 401 part."""
    if request.headers.get("HX-Request"):
        return render(request, "refused.html", None, status_code=401, reason="Your session has ended.")
    return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)


def forbidden(request: Request, user: User | None, needed: str):
    reason = f"This needs the {needed} role. Ask an admin of this workspace if you need it."
    return render(request, "refused.html", user, status_code=403, reason=reason)


def error_page(
    request: Request, status: int, reason: str, problems: list[str] | None = None, *, headers=None
):
    """An NHS.UK page for an error. It reads no database, so it works when the database does not;
    the header is the signed-out one."""
    context = {
        "user": None,
        "csrf_token": request.scope.get("session", {}).get("csrf", ""),
        "heading": HEADINGS.get(status, "Something went wrong"),
        "reason": reason,
        "problems": problems or [],
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)


async def record_refusal(request: Request, detail: str, user: User | None = None) -> None:
    """A refused request in the audit log: who (if signed in), where from, what and why."""
    await run_in_threadpool(_record, request, detail, user)


def _record(request: Request, detail: str, user: User | None) -> None:
    with request.app.state.sessions() as db:
        if user is None and "session" in request.scope:
            user = session_user(dict(request.session), db, request.app.state.settings.idle_timeout)
        subject = f"{request.method} {request.url.path}"[:200]
        actions.record_refusal(db, user=user, subject=subject, detail=detail)
