"""Jinja2 with the NHS.UK frontend's templates (nhsuk-frontend-jinja) and the page helpers."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader
from markupsafe import Markup

from stocktake.appdb.models import ROLES
from stocktake.report.icons import assurance_icon, variation_icon

environment = Environment(
    loader=ChoiceLoader(
        [FileSystemLoader(Path(__file__).parent / "templates"), PackageLoader("nhsuk_frontend_jinja")]
    ),
    undefined=ChainableUndefined,  # the NHS.UK macros read optional parameters through chains
    autoescape=True,
)
environment.globals.update(
    variation_icon=lambda kind, improvement: Markup(variation_icon(kind, improvement)),
    assurance_icon=lambda kind: Markup(assurance_icon(kind)),
    can=lambda user, role: user is not None and ROLES.index(user.role) >= ROLES.index(role),
)
templates = Jinja2Templates(env=environment)
