"""The department's web workspace: `create_app(settings)` builds the FastAPI application.

The routes (``routes/``) are thin: they check the role, read a form, call an action or the
workspace, and render a template. Front-end assets come from the npm packages `make setup` installs
(``node_modules``: NHS.UK frontend, htmx) and from Plotly's Python package.
"""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.settings import Settings
from stocktake.web.pages import render
from stocktake.web.routes import accounts, audits, decisions, metrics, overview, projects, reports, uploads
from stocktake.web.security import CsrfRefused, Forbidden, NotSignedIn, check_csrf
from stocktake.workspace import Workspace

NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
SESSION_HOURS = 8


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    if migrate:
        upgrade(settings.database_url)
    app = FastAPI(
        title="Stocktake", docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(check_csrf)]
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessions = session_factory(app.state.engine)
    app.state.workspace = Workspace(settings.warehouse, settings.catalogue)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="stocktake_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    _mount_assets(app)
    for module in (overview, metrics, uploads, projects, audits, decisions, reports, accounts):
        app.include_router(module.router)
    _handle_refusals(app)
    return app


def _mount_assets(app: FastAPI) -> None:
    frontend = NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk"
    if not frontend.is_dir():
        raise RuntimeError(f"{frontend} is missing: run `make setup` (it installs the npm packages)")
    app.mount("/assets", StaticFiles(directory=frontend / "assets"), name="assets")
    app.mount("/nhsuk", StaticFiles(directory=frontend), name="nhsuk")
    app.mount("/htmx", StaticFiles(directory=NODE_MODULES / "htmx.org" / "dist"), name="htmx")
    app.mount("/plotly", StaticFiles(directory=Path(plotly.__file__).parent / "package_data"), name="plotly")
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")


def _handle_refusals(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _sign_in_first(request: Request, _error):
        if request.headers.get("HX-Request"):
            return render(request, "refused.html", None, status_code=401, reason="Your session has ended.")
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden):
        reason = f"This needs the {error.needed} role. Ask an admin of this workspace if you need it."
        return render(request, "refused.html", None, status_code=403, reason=reason)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _error):
        reason = (
            "The form had expired or did not come from this site. Go back, reload the page and try again."
        )
        return render(request, "refused.html", None, status_code=403, reason=reason)
