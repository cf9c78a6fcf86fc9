"""Board-ready downloads of the stock-take as the workspace shows it (the department's own targets
and change dates): HTML, PDF and Excel, with small numbers suppressed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.report.run import write_stocktake
from stocktake.web.pages import render
from stocktake.web.security import database, viewer

router = APIRouter(prefix="/reports")
MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("")
def reports_page(request: Request, user: User = Depends(viewer)):
    return render(request, "reports.html", user, title="Reports", formats=MEDIA)


@router.get("/stocktake.{fmt}")
def download(request: Request, fmt: str, user: User = Depends(viewer), db: Session = Depends(database)):
    if fmt not in MEDIA:
        raise HTTPException(404, f"no report format {fmt!r} (html, pdf or xlsx)")
    stocktake = request.app.state.workspace.stocktake(db)
    with tempfile.TemporaryDirectory() as folder:
        [path] = write_stocktake(stocktake, Path(folder), (fmt,))
        content = path.read_bytes()
    actions.record_now(db, user=user, action="report_downloaded", subject=f"report:{fmt}")
    disposition = f'attachment; filename="stocktake-{stocktake.entries[0].result.x.max():%Y-%m}.{fmt}"'
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})
