"""The pages a refused or failed request gets (NHS.UK pages, never raw JSON or plain text), and the
audit event a refusal leaves. Used by the app's exception handlers and by ``limits``, which refuses
some requests before any route runs."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Mount

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.web.pages import render
from stocktake.web.security import session_user
from stocktake.web.templating import templates

HEADINGS = {
    400: "The request could not be read",
    403: "Not allowed",
    404: "Page not found",
    405: "Page not found",
    413: "Too large",
    422: "Some of what was sent is not right",
    500: "Sorry, there is a problem with the service",
}


def not_signed_in(request: Request):
    """To the sign-in page, then back to the page the user was on. HTMX (which cannot follow to a
    whole page) gets a 401 part saying the session has ended, with the same link; the page's script
    swaps it into the target and opens its session-ended notice (``session-ended`` event)."""
    sign_in = "/sign-in?" + urlencode({"next": return_to(request)}, safe="/")
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(
            request,
            "_session_ended.html",
            {"sign_in": sign_in},
            status_code=401,
            headers={"HX-Trigger": "session-ended"},
        )
    return RedirectResponse(sign_in, status_code=303)


def sign_in_again(request: Request):
    """A form sent with no session at all (its cookie expired overnight): refused as any form without
    its token is (403), with a way to sign in and come back to the form's page, where the page's
    script puts back what was typed."""
    reason = (
        "Your session had ended, so what you sent was not saved. Sign in again to carry on: what you"
        " typed is kept in this browser tab and put back into the form."
    )
    back = return_to(request)  # from a stale sign-in page: that page again, its ``next`` kept
    sign_in = back if back.startswith("/sign-in") else "/sign-in?" + urlencode({"next": back}, safe="/")
    return render(request, "refused.html", None, status_code=403, reason=reason, sign_in=sign_in)


def return_to(request: Request) -> str:
    """The page to come back to after signing in: a GET's own address; for a form sent after the
    session ended (a POST address has no page), the page the form was on (its Referer, or for an
    htmx request the page's address), else the nearest page above the POST's address
    (``/projects/3/cycles`` → ``/projects/3``): never an address that only takes a POST."""
    if request.method in ("GET", "HEAD") and not request.headers.get("HX-Request"):
        return _path_and_query(request.url.path, request.url.query)
    for header in ("HX-Current-URL", "Referer"):
        came_from = urlsplit(request.headers.get(header, ""))
        if came_from.netloc == request.url.netloc and _is_page(request, came_from.path):
            return _path_and_query(came_from.path, came_from.query)
    path = request.url.path.rstrip("/")
    while path and not _is_page(request, path):
        path = path.rsplit("/", 1)[0]
    return path or "/"


def _is_page(request: Request, path: str) -> bool:
    """Whether a GET route of the app answers ``path`` with a page (not the session's JSON)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return path != "/session" and any(
        not isinstance(route, Mount) and route.matches(scope)[0] == Match.FULL
        for route in request.app.router.routes
    )


def _path_and_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


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
    await run_in_threadpool(record_refusal_now, request, detail, user)


def record_refusal_now(request: Request, detail: str, user: User | None = None) -> None:
    """:func:`record_refusal` from a route already off the event loop (a sync route: a staged upload
    tried by another user)."""
    with request.app.state.sessions() as db:
        if user is None and "session" in request.scope:
            user = session_user(dict(request.session), db, request.app.state.settings.idle_timeout)
        subject = f"{request.method} {logged_path(request.url.path)}"[:200]
        actions.record_refusal(db, user=user, subject=subject, detail=detail)


#: A path segment this long of a token's characters is a capability (a staged upload's token), kept
#: out of the log as every other secret is.
_TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_-]{24,}(?=/|$)")


def logged_path(path: str) -> str:
    """``path`` as the audit log keeps it: "/uploads/…/confirm", not the token that confirms."""
    return _TOKEN_SEGMENT.sub("…", path)
