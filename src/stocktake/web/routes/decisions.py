"""The decision log: what was decided, why, on what evidence, by whom and when; each entry corrected
with its history kept, or withdrawn (ADR 0024)."""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import Decision, User
from stocktake.web.corrections import Field, edit_page, labels_of, shown, with_values
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date
from stocktake.web.security import database, editor, viewer

router = APIRouter(prefix="/decisions")


def _page(request, user, db, **context):
    decisions = db.scalars(select(Decision).order_by(Decision.decided_on.desc(), Decision.id.desc())).all()
    metrics = {m.id: m for m in request.app.state.workspace.catalogue.metrics}
    showing = request.query_params.get("withdrawn") == "1"
    changes = actions.history(db, "decision", [d.id for d in decisions])
    return render(
        request,
        "decisions.html",
        user,
        title="Decision log",
        decisions=[d for d in decisions if showing or not d.withdrawn],
        showing_withdrawn=showing,
        withdrawn_count=sum(d.withdrawn for d in decisions),
        corrected={i for i, found in changes.items() if any(c.field != "withdrawn" for c in found)},
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


def _decision(db: Session, decision_id: int) -> Decision:
    decision = db.get(Decision, decision_id)
    if decision is None:
        raise HTTPException(404, f"no decision {decision_id}")
    return decision


def _fields(request: Request, decision: Decision) -> list[Field]:
    metrics = request.app.state.workspace.catalogue.metrics
    return [
        Field("decided_on", "Decided on", shown(decision.decided_on), "date"),
        Field("title", "What was decided", decision.title),
        Field("rationale", "Why", decision.rationale, "textarea"),
        Field(
            "metric_id",
            "Metric it rests on (optional)",
            decision.metric_id or "",
            "select",
            (("", "None"), *((m.id, f"{m.area}: {m.title}") for m in metrics)),
        ),
        Field("evidence", "Other evidence", decision.evidence, "textarea"),
        Field("decided_by", "Decided by", decision.decided_by),
    ]


@router.get("/{decision_id}")
def decision_page(
    request: Request, decision_id: int, user: User = Depends(viewer), db: Session = Depends(database)
):
    decision = _decision(db, decision_id)
    return render(
        request,
        "decision.html",
        user,
        title=decision.title,
        decision=decision,
        metrics={m.id: m for m in request.app.state.workspace.catalogue.metrics},
        changes=actions.history(db, "decision", [decision_id])[decision_id],
        labels=labels_of(_fields(request, decision)),
    )


def _edit_page(request, user, db, decision_id: int, sent: dict | None = None, **context):
    decision = _decision(db, decision_id)
    return edit_page(
        request,
        user,
        noun="decision",
        name=decision.title,
        back=f"/decisions/{decision_id}",
        action=f"/decisions/{decision_id}/edit",
        fields=with_values(_fields(request, decision), sent),
        changes=actions.history(db, "decision", [decision_id])[decision_id],
        **context,
    )


@router.get("/{decision_id}/edit")
def edit_decision_page(
    request: Request, decision_id: int, user: User = Depends(editor), db: Session = Depends(database)
):
    return _edit_page(request, user, db, decision_id)


@router.post("/{decision_id}/edit")
def edit_decision(
    request: Request,
    decision_id: int,
    decided_on: str = Form(""),
    title: str = Form(""),
    rationale: str = Form(""),
    evidence: str = Form(""),
    metric_id: str = Form(""),
    decided_by: str = Form(""),
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    catalogue = request.app.state.workspace.catalogue
    sent = {
        "decided_on": decided_on,
        "title": title,
        "rationale": rationale,
        "evidence": evidence,
        "metric_id": metric_id,
        "decided_by": decided_by,
    }

    def change():
        if metric_id and not catalogue.has(metric_id):
            raise actions.ActionError(f"evidence metric: {metric_id!r} is not a metric of this department")
        return actions.edit_decision(
            db,
            by=user,
            decision_id=decision_id,
            decided_on=a_date("Decided on", decided_on),
            title=title,
            rationale=rationale,
            evidence=evidence,
            metric_id=metric_id or None,
            decided_by=decided_by,
            reason=reason,
        )

    return change_then_redirect(
        change, to=f"/decisions/{decision_id}", page=partial(_edit_page, request, user, db, decision_id, sent)
    )


@router.post("/{decision_id}/withdraw")
def withdraw_decision(
    request: Request,
    decision_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.withdraw(db, by=user, kind="decision", record_id=decision_id, reason=reason),
        to=f"/decisions/{decision_id}",
        page=partial(_edit_page, request, user, db, decision_id),
    )
