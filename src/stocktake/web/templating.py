"""Jinja2 with the NHS.UK frontend's templates (nhsuk-frontend-jinja) and the page helpers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from fastapi.templating import Jinja2Templates
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader
from markupsafe import Markup

from stocktake.appdb.models import ROLES
from stocktake.metrics.suppression import MASK
from stocktake.periods import months_between
from stocktake.report.icons import assurance_icon, variation_icon

NAVIGATION = (
    ("/", "Overview", "viewer"),
    ("/projects", "QI projects", "viewer"),
    ("/audits", "Audits", "viewer"),
    ("/decisions", "Decisions", "viewer"),
    ("/programmes", "Programmes", "viewer"),
    ("/procurement", "Procurement", "viewer"),
    ("/waiting-list", "Waiting list", "viewer"),
    ("/rotas", "Rotas", "viewer"),
    ("/job-plans", "Job plans", "viewer"),
    ("/reports", "Reports", "viewer"),
    ("/uploads", "Upload data", "editor"),
    ("/admin/mapping", "Column mapping", "admin"),
    ("/admin/users", "Users", "admin"),
    ("/admin/audit-log", "Audit log", "admin"),
)


environment = Environment(
    loader=ChoiceLoader(
        [FileSystemLoader(Path(__file__).parent / "templates"), PackageLoader("nhsuk_frontend_jinja")]
    ),
    undefined=ChainableUndefined,  # the NHS.UK macros read optional parameters through chains
    autoescape=True,
    auto_reload=False,  # templates ship with the package; no need to stat every file per page
)


@lru_cache(maxsize=4096)
def _header(
    full_name: str | None, role: str | None, current: str | None, csrf_token: str, participant: bool = False
) -> Markup:
    user = SimpleNamespace(full_name=full_name, role=role, participant=participant) if role else None
    context = {"user": user, "current": current, "csrf_token": csrf_token, "navigation": NAVIGATION}
    return Markup(environment.get_template("_header.html").render(context))


def site_header(user, path: str, csrf_token: str) -> Markup:
    """The header with the user's navigation: the NHS.UK macro takes milliseconds, so it is kept."""
    current = next((href for href, _, _ in NAVIGATION if path == href or path.startswith(href + "/")), None)
    return _header(
        user.full_name if user else None, user.role if user else None, current, csrf_token, _participant(user)
    )


def _participant(user) -> bool:
    """A programme participant's account (``programme_view.sees_everyone``): its Job plans link would
    only be refused, so it is not shown."""
    from sqlalchemy.orm import object_session

    from stocktake.web.programme_view import sees_everyone

    session = object_session(user) if user is not None and user.role == "viewer" else None
    return session is not None and not sees_everyone(user, session)


@lru_cache(maxsize=1)
def site_footer() -> Markup:
    """The same footer on every page, rendered once."""
    return Markup(environment.get_template("_footer.html").render())


environment.globals.update(
    mask=MASK,  # what a value with 1–7 behind it shows as, here as in every export
    months_between=months_between,  # "June 2024", never "June 2024 to June 2024"
    site_header=site_header,
    site_footer=site_footer,
    variation_icon=lambda kind, improvement: Markup(variation_icon(kind, improvement)),
    assurance_icon=lambda kind: Markup(assurance_icon(kind)),
    can=lambda user, role: user is not None and ROLES.index(user.role) >= ROLES.index(role),
)
templates = Jinja2Templates(env=environment)

#: The status that tells htmx to stop an element's polling (and swap what came with it).
STOP_POLLING = 286
