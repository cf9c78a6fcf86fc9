"""The Procurement page: the last year's largest price-per-unit savings by site, item and category,
each with every site's price behind its target, and the same as a workbook.

Order lines hold no patient data, so viewing the page is not logged; a download is (an audit event
per workbook taken away), as every download of the workspace is.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.files.procurement import (
    ProcurementFileError,
    holds_orders,
    opportunity_sheets,
    warehouse_opportunities,
    workbook_bytes,
)
from stocktake.procurement import Opportunities, PriceTarget
from stocktake.report.board import procurement_section
from stocktake.web.pages import render
from stocktake.web.security import database, viewer

router = APIRouter(prefix="/procurement")
#: How many opportunities of each level the page lists; the workbook holds them all.
SHOWN = 20
#: The targets offered on the page (any percentile 0–100 is accepted in the address).
TARGETS = (("10", "10th percentile (OpenPrescribing)"), ("25", "25th percentile"), ("median", "Median"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _target(percentile: str) -> PriceTarget:
    try:
        return PriceTarget.parse(percentile)
    except ValueError as error:
        raise HTTPException(422, str(error).replace("--percentile", "percentile")) from None


def _opportunities(request: Request, db: Session, target: PriceTarget, top: int | None):
    """The opportunities, or None and the reason there are none to show."""
    workspace = request.app.state.workspace
    if not workspace.warehouse.exists():
        return None, "There is no warehouse yet: upload the department's extracts first."
    try:
        with workspace.lock:  # an upload writing the warehouse holds it
            if not holds_orders(workspace.warehouse):
                return None, "No procurement orders are loaded: upload the procurement order lines first."
            return workspace.cached(
                ("procurement", target, top),
                db,
                lambda: warehouse_opportunities(workspace.warehouse, target=target, top=top),
            ), None
    except ProcurementFileError as error:
        return None, f"The procurement orders cannot be priced: {error}"


@router.get("")
def procurement_page(
    request: Request, percentile: str = "10", user: User = Depends(viewer), db: Session = Depends(database)
):
    target = _target(percentile)
    found, problem = _opportunities(request, db, target, SHOWN)
    return render(
        request,
        "procurement.html",
        user,
        title="Procurement",
        found=found,
        section=procurement_section(found),
        problem=problem,
        percentile=percentile,
        targets=TARGETS,
    )


@router.get("/opportunities.xlsx")
def download(
    request: Request, percentile: str = "10", user: User = Depends(viewer), db: Session = Depends(database)
):
    target = _target(percentile)
    found, problem = _opportunities(request, db, target, None)
    if found is None:
        raise HTTPException(404, problem)
    content = workbook_bytes(opportunity_sheets(found))
    actions.record_now(
        db,
        user=user,
        action="procurement_downloaded",
        subject="procurement:opportunities",
        detail=_said(found),
    )
    disposition = f'attachment; filename="procurement-opportunities-{found.last}.xlsx"'
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


def _said(found: Opportunities) -> str:
    return f"{found.first} to {found.last}, target {found.target.label}"
