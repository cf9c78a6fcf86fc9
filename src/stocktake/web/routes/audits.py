"""Clinical audits: criteria with their standards, cycles measured, compliance across the cycles;
audits and cycles corrected with history (a mistyped count), or withdrawn (ADR 0024)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import AuditCycle, ClinicalAudit, User
from stocktake.qi.compliance import CriterionCompliance, Measured, overall
from stocktake.web.corrections import Field, edit_page, labels_of, shown, with_values
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date, a_number, texts
from stocktake.web.security import database, editor, viewer

router = APIRouter(prefix="/audits")


@router.get("")
def audits_page(request: Request, user: User = Depends(viewer), db: Session = Depends(database)):
    return _list(request, user, db)


def _showing_withdrawn(request: Request) -> bool:
    return request.query_params.get("withdrawn") == "1"


def _list(request, user, db, **context):
    audits = db.scalars(select(ClinicalAudit).order_by(ClinicalAudit.id.desc())).all()
    showing = _showing_withdrawn(request)
    return render(
        request,
        "audits.html",
        user,
        title="Clinical audits",
        audits=[a for a in audits if showing or not a.withdrawn],
        showing_withdrawn=showing,
        withdrawn_count=sum(a.withdrawn for a in audits),
        **context,
    )


def parse_criteria(text: str) -> list[tuple[str, float]]:
    """One criterion a line: 'statement | target %' (e.g. 'Operated on within 36 h | 85')."""
    criteria = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        statement, bar, target = line.rpartition("|")
        if not bar:
            raise actions.ActionError(f"criteria, line {number}: 'statement | target %', e.g. '… | 90'")
        criteria.append((statement.strip(), a_number(f"criteria, line {number}, target", target.strip(" %"))))
    return criteria


@router.post("")
def create_audit(
    request: Request,
    title: str = Form(""),
    standard: str = Form(""),
    criteria: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.create_audit(
            db, by=user, title=title, standard=standard, criteria=parse_criteria(criteria)
        ),
        to=lambda audit: f"/audits/{audit.id}",
        page=partial(_list, request, user, db),
    )


def measured_cycles(audit: ClinicalAudit) -> list[AuditCycle]:
    """The cycles compliance is read from: a withdrawn cycle counts no more."""
    return [c for c in audit.cycles if not c.withdrawn]


def compliance(audit: ClinicalAudit) -> list[CriterionCompliance]:
    cycles = measured_cycles(audit)
    found = {(r.cycle_id, r.criterion_id): Measured(r.eligible, r.met) for c in cycles for r in c.results}
    return [
        CriterionCompliance(
            criterion.text,
            criterion.target_percent,
            tuple(found.get((c.id, criterion.id)) for c in cycles),
        )
        for criterion in audit.criteria
    ]


def _audit_page(request, user, db, audit_id: int, **context):
    audit = db.get(ClinicalAudit, audit_id)
    if audit is None:
        raise HTTPException(404, f"no audit {audit_id}")
    rows = compliance(audit)
    cycles = measured_cycles(audit)
    return render(
        request,
        "audit.html",
        user,
        title=audit.title,
        audit=audit,
        cycles=cycles,
        withdrawn_cycles=[c for c in audit.cycles if c.withdrawn] if _showing_withdrawn(request) else [],
        showing_withdrawn=_showing_withdrawn(request),
        withdrawn_count=len(audit.cycles) - len(cycles),
        rows=rows,
        overall=[overall(rows, i) for i in range(len(cycles))],
        changes=actions.history(db, "audit", [audit.id])[audit.id],
        audit_labels=labels_of(_audit_fields(audit)),
        cycle_changes=actions.history(db, "audit_cycle", [c.id for c in audit.cycles]),
        cycle_labels=labels_of(_cycle_fields(audit, None)),
        **context,
    )


@router.get("/{audit_id}")
def audit_page(
    request: Request, audit_id: int, user: User = Depends(viewer), db: Session = Depends(database)
):
    return _audit_page(request, user, db, audit_id)


@router.post("/{audit_id}/cycles")
async def add_cycle(
    request: Request, audit_id: int, user: User = Depends(editor), db: Session = Depends(database)
):
    audit = db.get(ClinicalAudit, audit_id)
    if audit is None:
        raise HTTPException(404, f"no audit {audit_id}")
    try:
        form = texts(await request.form())
        results = {}
        for criterion in audit.criteria:
            eligible, met = form.get(f"eligible_{criterion.id}", ""), form.get(f"met_{criterion.id}", "")
            if eligible.strip() or met.strip():
                where = f"criterion '{criterion.text}'"
                results[criterion.id] = Measured(
                    a_number(f"{where}, eligible", eligible, int), a_number(f"{where}, met", met, int)
                )
        actions.add_audit_cycle(
            db,
            by=user,
            audit_id=audit_id,
            label=form.get("label", "") or f"Cycle {len(audit.cycles) + 1}",
            started_on=a_date("Started on", form.get("started_on", "")),
            ended_on=a_date("Ended on", form.get("ended_on", "")),
            sample=form.get("sample", ""),
            results=results,
        )
    except ValueError as error:  # ActionError, or Measured refusing met > eligible
        return _audit_page(request, user, db, audit_id, errors=[str(error)], status_code=422)
    return RedirectResponse(f"/audits/{audit_id}", status_code=303)


# Corrections: an edit form prefilled, a withdrawal with its reason, the history kept


def _audit_fields(audit: ClinicalAudit) -> list[Field]:
    fields = [
        Field("title", "Title", audit.title),
        Field("standard", "Standard audited against", audit.standard),
    ]
    for number, c in enumerate(audit.criteria, start=1):
        fields.append(Field(f"text:{c.id}", f"Criterion {number}: statement", c.text))
        fields.append(
            Field(
                f"target_percent:{c.id}", f"Criterion {number}: target %", shown(c.target_percent), "number"
            )
        )
    return fields


def _cycle_fields(audit: ClinicalAudit, cycle: AuditCycle | None) -> list[Field]:
    results = {r.criterion_id: r for r in cycle.results} if cycle else {}
    value = (lambda name: shown(getattr(cycle, name))) if cycle else (lambda name: "")
    fields = [
        Field("label", "Cycle name", value("label")),
        Field("started_on", "Cases from", value("started_on"), "date"),
        Field("ended_on", "Cases to", value("ended_on"), "date"),
        Field("sample", "Sample", value("sample")),
    ]
    for c in audit.criteria:
        result = results.get(c.id)
        fields.append(
            Field(
                f"eligible:{c.id}", f"Eligible cases: {c.text}", shown(result and result.eligible), "number"
            )
        )
        fields.append(Field(f"met:{c.id}", f"Meeting it: {c.text}", shown(result and result.met), "number"))
    return fields


def _audit_or_404(db: Session, audit_id: int) -> ClinicalAudit:
    audit = db.get(ClinicalAudit, audit_id)
    if audit is None:
        raise HTTPException(404, f"no audit {audit_id}")
    return audit


def _edit_audit_page(request, user, db, audit_id: int, sent: dict | None = None, **context):
    audit = _audit_or_404(db, audit_id)
    return edit_page(
        request,
        user,
        noun="audit",
        name=audit.title,
        back=f"/audits/{audit_id}",
        action=f"/audits/{audit_id}/edit",
        fields=with_values(_audit_fields(audit), sent),
        changes=actions.history(db, "audit", [audit_id])[audit_id],
        **context,
    )


@router.get("/{audit_id}/edit")
def edit_audit_page(
    request: Request, audit_id: int, user: User = Depends(editor), db: Session = Depends(database)
):
    return _edit_audit_page(request, user, db, audit_id)


@router.post("/{audit_id}/edit")
async def edit_audit(
    request: Request, audit_id: int, user: User = Depends(editor), db: Session = Depends(database)
):
    audit = _audit_or_404(db, audit_id)
    sent = None
    try:
        sent = texts(await request.form())
        criteria = {}
        for number, c in enumerate(audit.criteria, start=1):
            if f"text:{c.id}" in sent or f"target_percent:{c.id}" in sent:
                target = sent.get(f"target_percent:{c.id}", "").strip(" %")
                criteria[c.id] = (
                    sent.get(f"text:{c.id}", c.text),
                    a_number(f"criterion {number}, target", target),
                )
        actions.edit_audit(
            db,
            by=user,
            audit_id=audit_id,
            title=sent.get("title", ""),
            standard=sent.get("standard", ""),
            criteria=criteria,
            reason=sent.get("reason", ""),
        )
    except actions.ActionError as error:
        return _edit_audit_page(request, user, db, audit_id, sent, errors=[str(error)], status_code=422)
    return RedirectResponse(f"/audits/{audit_id}", status_code=303)


@router.post("/{audit_id}/withdraw")
def withdraw_audit(
    request: Request,
    audit_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.withdraw(db, by=user, kind="audit", record_id=audit_id, reason=reason),
        to=f"/audits/{audit_id}",
        page=partial(_edit_audit_page, request, user, db, audit_id),
    )


def _cycle(db: Session, audit_id: int, audit_cycle_id: int) -> AuditCycle:
    cycle = db.get(AuditCycle, audit_cycle_id)
    if cycle is None or cycle.audit_id != audit_id:
        raise HTTPException(404, f"no cycle {audit_cycle_id} in audit {audit_id}")
    return cycle


def _edit_cycle_page(
    request, user, db, audit_id: int, audit_cycle_id: int, sent: dict | None = None, **context
):
    cycle = _cycle(db, audit_id, audit_cycle_id)
    audit = _audit_or_404(db, audit_id)
    return edit_page(
        request,
        user,
        noun="audit cycle",
        name=f"{audit.title}: {cycle.label}",
        back=f"/audits/{audit_id}",
        action=f"/audits/{audit_id}/cycles/{audit_cycle_id}/edit",
        fields=with_values(_cycle_fields(audit, cycle), sent),
        changes=actions.history(db, "audit_cycle", [audit_cycle_id])[audit_cycle_id],
        **context,
    )


@router.get("/{audit_id}/cycles/{audit_cycle_id}/edit")
def edit_cycle_page(
    request: Request,
    audit_id: int,
    audit_cycle_id: int,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _edit_cycle_page(request, user, db, audit_id, audit_cycle_id)


@router.post("/{audit_id}/cycles/{audit_cycle_id}/edit")
async def edit_cycle(
    request: Request,
    audit_id: int,
    audit_cycle_id: int,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cycle(db, audit_id, audit_cycle_id)
    audit = _audit_or_404(db, audit_id)
    sent = None
    try:
        sent = texts(await request.form())
        results = {}
        for c in audit.criteria:
            eligible, met = sent.get(f"eligible:{c.id}", ""), sent.get(f"met:{c.id}", "")
            if eligible.strip() or met.strip():
                where = f"criterion '{c.text}'"
                results[c.id] = Measured(
                    a_number(f"{where}, eligible", eligible, int), a_number(f"{where}, met", met, int)
                )
        actions.edit_audit_cycle(
            db,
            by=user,
            cycle_id=audit_cycle_id,
            label=sent.get("label", ""),
            started_on=a_date("Cases from", sent.get("started_on", "")),
            ended_on=a_date("Cases to", sent.get("ended_on", "")),
            sample=sent.get("sample", ""),
            results=results,
            reason=sent.get("reason", ""),
        )
    except ValueError as error:  # ActionError, or Measured refusing met > eligible
        return _edit_cycle_page(
            request, user, db, audit_id, audit_cycle_id, sent, errors=[str(error)], status_code=422
        )
    return RedirectResponse(f"/audits/{audit_id}", status_code=303)


@router.post("/{audit_id}/cycles/{audit_cycle_id}/withdraw")
def withdraw_cycle(
    request: Request,
    audit_id: int,
    audit_cycle_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cycle(db, audit_id, audit_cycle_id)
    return change_then_redirect(
        lambda: actions.withdraw(db, by=user, kind="audit_cycle", record_id=audit_cycle_id, reason=reason),
        to=f"/audits/{audit_id}",
        page=partial(_edit_cycle_page, request, user, db, audit_id, audit_cycle_id),
    )
