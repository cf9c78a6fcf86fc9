"""The overview: every metric's latest value, target, variation and assurance; filter by area and site."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from stocktake.appdb.models import User
from stocktake.report.narrative import CATEGORIES
from stocktake.report.stocktake import ASSURANCE_COLUMNS
from stocktake.web.pages import render
from stocktake.web.security import database, viewer

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
    stocktake = workspace.stocktake(db, site=site if site in sites else None)
    areas = sorted({e.result.metric.area for e in stocktake.entries})
    entries = [e for e in stocktake.entries if not area or e.result.metric.area == area]
    template = "_overview_table.html" if request.headers.get("HX-Request") else "overview.html"
    return render(
        request,
        template,
        user,
        title="Overview",
        stocktake=stocktake,
        entries=entries,
        areas=areas,
        sites=sites,
        area=area,
        site=site,
        categories=CATEGORIES,
        assurance_columns=ASSURANCE_COLUMNS,
    )
