"""The decision log: what was decided, why, on what evidence, by whom and when; each entry corrected
with its history kept, or withdrawn (ADR 0024)."""

from __future__ import annotations

from datetime import date
from functools import partial
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import Decision, DecisionDocument, User
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.web.corrections import Field, edit_page, labels_of, shown, with_values
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date, a_metric
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
        if metric_id:
            a_metric("evidence metric", metric_id, catalogue)
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
        if metric_id:
            a_metric("evidence metric", metric_id, catalogue)
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


# Documents attached to a decision (ADR 0028): kept in the app database, their kind sniffed from their
# bytes; sent back as attachments only; upload, download and withdrawal in the audit log


def _documents(request, user, db, decision_id: int, **context):
    decision = _decision(db, decision_id)
    found = db.scalars(
        select(DecisionDocument)
        .where(DecisionDocument.decision_id == decision_id)
        .order_by(DecisionDocument.uploaded_at, DecisionDocument.id)
    ).all()
    fragment = bool(request.headers.get("HX-Request")) and "errors" not in context
    return render(
        request,
        "_documents.html" if fragment else "documents.html",
        user,
        title=f"Documents: {decision.title}",
        decision=decision,
        documents=[d for d in found if not d.withdrawn],
        withdrawn_documents=[d for d in found if d.withdrawn],
        limit_mb=actions.DOCUMENT_LIMIT // (1024 * 1024),
        **context,
    )


@router.get("/{decision_id}/documents")
def decision_documents(
    request: Request, decision_id: int, user: User = Depends(viewer), db: Session = Depends(database)
):
    return _documents(request, user, db, decision_id)


@router.post("/{decision_id}/documents")
def attach_document(
    request: Request,
    decision_id: int,
    document: UploadFile | None = File(None),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _decision(db, decision_id)

    def change():
        if document is None:
            raise actions.ActionError("document: choose a file")
        content = document.file.read(actions.DOCUMENT_LIMIT + 1)
        return actions.attach_document(
            db,
            by=user,
            decision_id=decision_id,
            filename=mask_nhs_numbers(document.filename or ""),  # a name is shown and kept: never a number
            content=content,
        )

    return change_then_redirect(
        change,
        to=f"/decisions/{decision_id}#documents-heading",
        page=partial(_documents, request, user, db, decision_id),
    )


def content_disposition(filename: str) -> str:
    """``attachment`` (never shown in the browser), the name in ASCII and, for other letters, RFC 6266's
    UTF-8 ``filename*``."""
    plain = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{decision_id}/documents/{document_id}")
def download_document(
    request: Request,
    decision_id: int,
    document_id: int,
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    try:
        document = actions.document_of(db, decision_id, document_id)
    except actions.ActionError as error:
        raise HTTPException(404, str(error)) from None
    content = document.content
    actions.record_download(db, by=user, document=document)
    return Response(
        content,
        media_type=actions.DOCUMENT_KINDS[document.kind][0],
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/{decision_id}/documents/{document_id}/withdraw")
def withdraw_document(
    request: Request,
    decision_id: int,
    document_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.withdraw_document(
            db, by=user, decision_id=decision_id, document_id=document_id, reason=reason
        ),
        to=f"/decisions/{decision_id}#documents-heading",
        page=partial(_documents, request, user, db, decision_id),
    )
