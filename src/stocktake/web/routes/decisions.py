"""The decision log: what was decided, why, on what evidence, by whom and when."""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import Decision, User
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date
from stocktake.web.security import database, editor, viewer

router = APIRouter(prefix="/decisions")


def _page(request, user, db, **context):
    decisions = db.scalars(select(Decision).order_by(Decision.decided_on.desc(), Decision.id.desc())).all()
    metrics = {m.id: m for m in request.app.state.workspace.catalogue.metrics}
    return render(
        request,
        "decisions.html",
        user,
        title="Decision log",
        decisions=decisions,
        metrics=metrics,
        today=date.today().isoformat(),
        **context,
    )


@router.get("")
def decisions_page(request: Request, user: User = Depends(viewer), db: Session = Depends(database)):
    return _page(request, user, db)


@router.post("")
def record_decision(
    request: Request,
    decided_on: str = Form(""),
    title: str = Form(""),
    rationale: str = Form(""),
    evidence: str = Form(""),
    metric_id: str = Form(""),
    decided_by: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    catalogue = request.app.state.workspace.catalogue

    def change():
        if metric_id and not catalogue.has(metric_id):
            raise actions.ActionError(f"evidence metric: {metric_id!r} is not a metric of this department")
        actions.record_decision(
            db,
            by=user,
            decided_on=a_date("Decided on", decided_on),
            title=title,
            rationale=rationale,
            evidence=evidence,
            metric_id=metric_id or None,
            decided_by=decided_by,
        )

    return change_then_redirect(change, to="/decisions", page=partial(_page, request, user, db))
