"""The department's web workspace: `create_app(settings)` builds the FastAPI application.

The routes (``routes/``) are thin: they check the role, read a form, call an action or the
workspace, and render a template. Front-end assets come from the npm packages `make setup` installs
(``node_modules``: NHS.UK frontend, htmx) and from Plotly's Python package.
"""

from __future__ import annotations

import copy
import re
import threading
from http import HTTPStatus
from pathlib import Path

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.settings import Settings
from stocktake.web import refusals
from stocktake.web.assets import CompressedStaticFiles
from stocktake.web.headers import SecurityHeaders, inline_script_hashes, security_headers
from stocktake.web.limits import RequestLimits
from stocktake.web.pages import render
from stocktake.web.report_jobs import DownloadTurns
from stocktake.web.routes import (
    accounts,
    audits,
    decisions,
    health,
    jobplans,
    mapping,
    metrics,
    overview,
    procurement,
    programmes,
    projects,
    reports,
    rotas,
    search,
    sessions,
    uploads,
    waitinglist,
)
from stocktake.web.security import (
    CsrfRefused,
    Forbidden,
    NotSignedIn,
    RecordOrigin,
    UnfitText,
    check_csrf,
)
from stocktake.web.templating import environment
from stocktake.workspace import Workspace

NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
SESSION_HOURS = 8


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    if migrate:
        upgrade(settings.database_url)
    app = FastAPI(
        title="Stocktake",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf)],
        # "/waiting-list/" is not found rather than redirected: Starlette's redirect is absolute, built
        # from the request's Host header, so a forged Host made it point elsewhere (a security check)
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessions = session_factory(app.state.engine)
    app.state.workspace = Workspace(
        settings.warehouse,
        settings.catalogue,
        settings.source,
        {d: dict(pairs) for d, pairs in settings.names},
        department=settings.department,
    )
    # Middleware added later wraps what was added before: limits see the session; every audit event
    # of a request, the limits' included, carries its origin.
    app.add_middleware(RequestLimits, upload_limit=settings.upload_limit, body_limit=settings.body_limit)
    app.add_middleware(RecordOrigin)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="stocktake_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    app.state.security_headers = security_headers(inline_script_hashes(environment))
    app.add_middleware(SecurityHeaders, headers=app.state.security_headers)
    _mount_assets(app)
    routers = (
        overview,
        metrics,
        uploads,
        mapping,
        projects,
        audits,
        decisions,
        programmes,
        procurement,
        waitinglist,
        rotas,
        jobplans,
        reports,
        search,
        health,
        accounts,
        sessions,
    )
    for module in routers:
        app.include_router(module.router)
    _handle_refusals(app)
    app.state.warm = lambda: _warm(app)
    # new targets on the Waiting list page worked out at once, at most (the others told to ask again)
    app.state.targets_at_once = threading.BoundedSemaphore(2)
    # reports built while a download waits, one at a time (the background builds keep their own rule)
    app.state.download_turns = DownloadTurns()
    return app


def _warm(app: FastAPI) -> None:
    """What the first visitors would otherwise wait for, at start-up and after each load (in a thread):
    the workspace's series and stock-take, then the Waiting list page's picture (2–3 s, a director
    found the page's first view slow with the server already "ready")."""
    app.state.workspace.warm(app.state.sessions)
    waitinglist.warm(app)


class FrontendMissing(RuntimeError):
    """The NHS.UK frontend's files are not installed: said in one line, not a traceback."""


def _mount_assets(app: FastAPI) -> None:
    """The front-end files, each compressed once (``web.assets``; Plotly's basic bundle, scatter and
    bar charts only, is 1.2 MB, a quarter of the full plotly.min.js the Python package carries; about
    0.4 MB gzipped). Only these files are compressed: pages carry CSRF tokens beside what a user
    typed, which compression could leak (BREACH)."""
    frontend = NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk"
    folders = {
        "nhsuk": frontend,
        "assets": frontend / "assets",
        "htmx": NODE_MODULES / "htmx.org" / "dist",
        "plotly": NODE_MODULES / "plotly.js-basic-dist-min",
        "static": Path(__file__).parent / "static",
    }
    for folder in folders.values():  # every package, not only the first: a part install had a traceback
        if not folder.is_dir():
            raise FrontendMissing(f"{folder} is missing: run `make setup` (it installs the npm packages)")
    styles = local_stylesheet(frontend / "nhsuk-frontend.min.css")
    app.add_api_route(
        "/styles/nhsuk-frontend.css",
        lambda: Response(styles, media_type="text/css"),
        include_in_schema=False,
    )
    for name, folder in folders.items():
        app.mount(f"/{name}", CompressedStaticFiles(directory=folder), name=name)


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """How uvicorn serves the app: forwarded headers are believed from the trusted proxy only."""
    proxy = app.state.settings.trusted_proxy
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    # what the audit log's caps keep out of it (a flood of refusals), timed, on standard error
    config["formatters"]["audit"] = {"format": "%(asctime)s %(name)s %(message)s"}
    config["handlers"]["audit"] = {
        "class": "logging.StreamHandler",
        "formatter": "audit",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["stocktake.audit"] = {"handlers": ["audit"], "level": "WARNING", "propagate": False}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        log_config=config,
        access_log=False,
        proxy_headers=proxy is not None,
        forwarded_allow_ips=proxy,
    )


def local_stylesheet(path: Path) -> str:
    """The NHS.UK stylesheet without its web fonts: Frutiger is licensed and served only from an
    NHS host, and no page may call out (trust intranets block it), so text falls back to Arial."""
    return re.sub(r"@font-face\{[^}]*\}", "", path.read_text())


def _handle_refusals(app: FastAPI) -> None:
    """Refusals and errors get NHS.UK pages; refused requests (403s, CSRF failures) are logged."""

    @app.exception_handler(NotSignedIn)
    async def _sign_in_first(request: Request, _error):
        return refusals.not_signed_in(request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden):
        await refusals.record_refusal(request, f"needs the {error.needed} role", error.user)
        return refusals.forbidden(request, error.user, error.needed)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _error):
        await refusals.record_refusal(request, "CSRF token missing or not this session's")
        if "session" not in request.session:  # not signed in (a tab left overnight): a way back too
            return refusals.sign_in_again(request)
        reason = (
            "The form had expired or did not come from this site. Go back, reload the page and try again."
        )
        return render(request, "refused.html", None, status_code=403, reason=reason)

    @app.exception_handler(UnfitText)
    async def _unfit(request: Request, error: UnfitText):
        return refusals.error_page(
            request, 422, "Go back, correct the form and send it again.", error.problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        reason = str(error.detail)
        if error.status_code in (404, 405) and reason == HTTPStatus(error.status_code).phrase:
            reason = "There is nothing at this address."
        return refusals.error_page(request, error.status_code, reason, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        problems = [_problem(e) for e in error.errors()]
        return refusals.error_page(request, 422, "Check the address or the form and try again.", problems)

    @app.exception_handler(OverflowError)
    async def _huge_number(request: Request, _error):  # an id beyond SQLite's 64 bits: no such record
        return refusals.error_page(request, 404, "There is nothing at this address.")

    @app.exception_handler(Exception)
    async def _failed(request: Request, _error):
        reason = "Try again later. What you were doing has not been saved unless the page said so."
        # Starlette answers an unhandled error outside every middleware: the headers come with it.
        return refusals.error_page(request, 500, reason, headers=app.state.security_headers)


def _problem(error: dict) -> str:
    """One line per bad field: where it was, what was expected and, for the address's own parts (a
    form's fields may be passwords), what came, shortened."""
    where = " ".join(str(part) for part in error.get("loc", ()))
    public = error.get("loc", ("",))[0] in ("path", "query") and error.get("input") is not None
    shown = f", not {str(error['input'])[:40]!r}" if public else ""
    return f"{where}: {error.get('msg', 'not valid')}{shown}"
