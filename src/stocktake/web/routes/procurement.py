"""The Procurement page: the last year's largest price-per-unit savings by site (or by trust, when
other trusts' orders are kept in the home), item and category, each with every unit's price behind
its target, and the same as a workbook.

Order lines hold no patient data, so viewing the page is not logged; a download is (an audit event
per workbook taken away), as every download of the workspace is.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.files.peer_orders import home_opportunities, peer_order_files
from stocktake.files.procurement import (
    ProcurementFileError,
    holds_orders,
    opportunity_sheets,
    warehouse_opportunities,
    workbook_bytes,
)
from stocktake.periods import months_between
from stocktake.procurement import Opportunities, PriceTarget
from stocktake.procurement.opportunities import WINDOW_MONTHS
from stocktake.report.board import procurement_section
from stocktake.web.pages import render
from stocktake.web.security import database, viewer

router = APIRouter(prefix="/procurement")
#: How many opportunities of each level the page lists; the workbook holds them all.
SHOWN = 20
#: The targets offered on the page (any percentile 0–100 is accepted in the address).
TARGETS = (
    ("10", "10th percentile (OpenPrescribing)"),
    ("25", "25th percentile"),
    ("median", "Median"),
    ("best", "Best price"),
)
#: The periods offered: the last year ordered, or every month (what the command prices by default).
PERIODS = (("12", "The last 12 months ordered"), ("all", "Every month ordered"))
UNITS = (("site", "By site"), ("trust", "By trust"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _target(percentile: str) -> PriceTarget:
    try:
        return PriceTarget.parse(percentile)
    except ValueError as error:
        raise HTTPException(422, str(error).replace("--percentile", "percentile")) from None


def _asked(by: str, months: str) -> tuple[str, int | None]:
    if by not in dict(UNITS):
        raise HTTPException(422, f"by {by!r}: expected site or trust")
    if months not in dict(PERIODS):
        raise HTTPException(422, f"months {months!r}: expected 12 or all")
    return by, None if months == "all" else int(months)


def _peers(request: Request) -> tuple:
    """Other trusts' orders files kept in the home, with their sizes and times (the cache's key)."""
    files = peer_order_files(request.app.state.settings.home)
    return tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def _opportunities(request: Request, db: Session, target: PriceTarget, top: int | None, by: str, months):
    """The opportunities, or None and the reason there are none to show."""
    workspace, settings = request.app.state.workspace, request.app.state.settings
    if not workspace.warehouse.exists():
        return None, "There is no warehouse yet: upload the department's extracts first."
    peers = _peers(request)
    if by == "trust" and not peers:
        return (
            None,
            "No other trust's orders are kept in this home (HOME/peers/): there is no trust to compare.",
        )
    try:
        with workspace.lock:  # an upload writing the warehouse holds it
            if not holds_orders(workspace.warehouse):
                return None, "No procurement orders are loaded: upload the procurement order lines first."
            if by == "site" and months == WINDOW_MONTHS:  # the board report's own figures
                make = lambda: warehouse_opportunities(workspace.warehouse, target=target, top=top)  # noqa: E731
            else:
                make = lambda: home_opportunities(  # noqa: E731
                    workspace.warehouse,
                    tuple(p for p, *_ in peers),
                    by=by,
                    own_trust=settings.trust,
                    target=target,
                    months=months,
                    top=top,
                )
            return workspace.cached(("procurement", target, top, by, months, peers), db, make), None
    except ProcurementFileError as error:
        return None, f"The procurement orders cannot be priced: {_from_home(str(error), settings.home)}"


def _from_home(message: str, home) -> str:
    """The message with the home's files named from the home (peers/southvale.csv), never by the
    server's absolute path, which a viewer has no business seeing."""
    for prefix in {str(home), str(Path(home).resolve())}:
        message = message.replace(prefix.rstrip("/") + "/", "")
    return message


@router.get("")
def procurement_page(
    request: Request,
    percentile: str = "10",
    by: str = "site",
    months: str = "12",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    target = _target(percentile)
    unit, window = _asked(by, months)
    found, problem = _opportunities(request, db, target, SHOWN, unit, window)
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
        by=unit,
        units=UNITS if _peers(request) else (),
        unit_label=unit,
        months=months,
        periods=PERIODS,
    )


@router.get("/opportunities.xlsx")
def download(
    request: Request,
    percentile: str = "10",
    by: str = "site",
    months: str = "12",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    target = _target(percentile)
    unit, window = _asked(by, months)
    found, problem = _opportunities(request, db, target, None, unit, window)
    if found is None:
        raise HTTPException(404, problem)
    sheets = opportunity_sheets(found)
    if unit == "trust":  # the sheets name the unit "Site"
        sheets = {
            name: table.rename(
                columns={
                    "Site": "Trust",
                    "Price per unit at each site (quantity)": "Price per unit at each trust (quantity)",
                }
            )
            for name, table in sheets.items()
        }
    content = workbook_bytes(sheets)
    actions.record_capped(
        db,
        user=user,
        action="procurement_downloaded",
        subject="procurement:opportunities",
        detail=_said(found),
    )
    disposition = f'attachment; filename="procurement-opportunities-{found.last}.xlsx"'
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


def _said(found: Opportunities) -> str:
    return f"{months_between(found.first, found.last)}, by {found.unit}, target {found.target.label}"
