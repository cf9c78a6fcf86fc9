"""The overview: every metric's latest value, target, variation and assurance; filter by area and site."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from stocktake.appdb.models import User
from stocktake.verdicts.narrative import CATEGORIES
from stocktake.web.pages import render
from stocktake.web.security import database, viewer
from stocktake.web.templating import environment

router = APIRouter()


@router.get("/")
def overview(
    request: Request,
    area: str = "",
    site: str = "",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    workspace = request.app.state.workspace
    if not workspace.warehouse.exists():
        return render(request, "empty.html", user, title="No data yet")
    sites = workspace.groups("site")
    site = site if site in sites else ""
    stocktake = workspace.stocktake(db, site=site or None)
    areas = sorted({e.result.metric.area for e in stocktake.entries})
    area = area if area in areas else ""
    table = workspace.cached(("overview", site, area), db, lambda: _table(stocktake, site, area))
    if request.headers.get("HX-Request"):
        return HTMLResponse(table)
    return render(
        request,
        "overview.html",
        user,
        title="Overview",
        stocktake=stocktake,
        table=table,
        areas=areas,
        sites=sites,
        area=area,
        site=site,
    )


def _table(stocktake, site: str, area: str) -> Markup:
    """The table of measures: the same for every user, so rendered once per change of the data."""
    entries = [e for e in stocktake.entries if not area or e.result.metric.area == area]
    html = environment.get_template("_overview_table.html").render(
        entries=entries, site=site, area=area, categories=CATEGORIES
    )
    return Markup(html)
