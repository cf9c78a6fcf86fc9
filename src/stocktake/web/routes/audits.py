"""Clinical audits: criteria with their standards, cycles measured, compliance across the cycles and
whether a re-audit's change is more than chance; audits and cycles corrected with history (a mistyped
count), or withdrawn (ADR 0024); each cycle's action plan, overdue actions marked (ADR 0028)."""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import ACTION_STATUSES, AuditAction, AuditCycle, ClinicalAudit, User
from stocktake.qi.compliance import CriterionCompliance, Measured, overall
from stocktake.qi.reaudit import compare, verdict
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
        reaudits=reaudits(rows, cycles),
        **_plan(request, db, audit),
        **context,
    )


def reaudits(rows: list[CriterionCompliance], cycles: list[AuditCycle]) -> list[dict[str, str]]:
    """For each criterion measured in two cycles or more: the first against the latest (the table's
    "change since first"), in plain words, with the test and interval of ``qi.reaudit``."""
    found = []
    for row in rows:
        measured = [i for i, m in enumerate(row.by_cycle) if m is not None and m.eligible]
        if len(measured) < 2:
            continue
        first, latest = row.by_cycle[measured[0]], row.by_cycle[measured[-1]]
        change = compare(first.met, first.eligible, latest.met, latest.eligible)
        found.append(
            {
                "criterion": row.criterion,
                "cycles": f"{cycles[measured[0]].label} to {cycles[measured[-1]].label}",
                "words": verdict(change),
                "test": "Fisher's exact test" if change.test == "fisher" else "two-proportion z-test",
            }
        )
    return found


def _plan(request: Request, db: Session, audit: ClinicalAudit) -> dict:
    """The audit's action plan: every cycle's actions (withdrawn ones when asked), with their history."""
    cycle_ids = [c.id for c in audit.cycles]
    found = (
        db.scalars(
            select(AuditAction)
            .where(AuditAction.cycle_id.in_(cycle_ids))
            .order_by(AuditAction.due_on, AuditAction.id)
        ).all()
        if cycle_ids
        else []
    )
    showing = _showing_withdrawn(request)
    return {
        "plan": [a for a in found if showing or not a.withdrawn],
        "plan_withdrawn_count": sum(a.withdrawn for a in found),
        "plan_changes": actions.history(db, "audit_action", [a.id for a in found]),
        "plan_labels": labels_of(_action_fields(audit, None)),
        "statuses": ACTION_STATUSES,
        "today": date.today(),
    }


@router.get("/{audit_id}")
def audit_page(
    request: Request, audit_id: int, user: User = Depends(viewer), db: Session = Depends(database)
):
    return _audit_page(request, user, db, audit_id)


@router.post("/{audit_id}/cycles")
async def add_cycle(
    request: Request, audit_id: int, user: User = Depends(editor), db: Session = Depends(database)
):
    audit = _audit_or_404(db, audit_id)
    form = await request.form()

    def change():
        sent = texts(form)
        actions.add_audit_cycle(
            db,
            by=user,
            audit_id=audit_id,
            label=sent.get("label", "") or f"Cycle {len(audit.cycles) + 1}",
            started_on=a_date("Started on", sent.get("started_on", "")),
            ended_on=a_date("Ended on", sent.get("ended_on", "")),
            sample=sent.get("sample", ""),
            results=_results(audit, sent, "eligible_{}", "met_{}"),
        )

    return change_then_redirect(
        change, to=f"/audits/{audit_id}", page=partial(_audit_page, request, user, db, audit_id)
    )


def _results(audit: ClinicalAudit, sent: dict[str, str], eligible: str, met: str) -> dict[int, Measured]:
    """The counts typed for each criterion (fields named by ``eligible`` and ``met`` with the
    criterion's id); a criterion left blank is not measured. Counts that cannot be (met above
    eligible) are refused as any other action's refusal is."""
    results = {}
    for criterion in audit.criteria:
        typed = sent.get(eligible.format(criterion.id), ""), sent.get(met.format(criterion.id), "")
        if typed[0].strip() or typed[1].strip():
            where = f"criterion '{criterion.text}'"
            counts = a_number(f"{where}, eligible", typed[0], int), a_number(f"{where}, met", typed[1], int)
            try:
                results[criterion.id] = Measured(*counts)
            except ValueError as error:
                raise actions.ActionError(f"{where}: {error}") from None
    return results


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
    form = await request.form()
    sent: dict[str, str] = {}  # as typed, for the form shown again on a refusal (empty: as stored)

    def change():
        sent.update(texts(form))
        criteria = {}
        for number, c in enumerate(audit.criteria, start=1):
            if f"text:{c.id}" in sent or f"target_percent:{c.id}" in sent:
                target = sent.get(f"target_percent:{c.id}", "").strip(" %")
                criteria[c.id] = (
                    sent.get(f"text:{c.id}", c.text),
                    a_number(f"criterion {number}, target", target),
                )
        return actions.edit_audit(
            db,
            by=user,
            audit_id=audit_id,
            title=sent.get("title", ""),
            standard=sent.get("standard", ""),
            criteria=criteria,
            reason=sent.get("reason", ""),
        )

    return change_then_redirect(
        change, to=f"/audits/{audit_id}", page=partial(_edit_audit_page, request, user, db, audit_id, sent)
    )


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
    form = await request.form()
    sent: dict[str, str] = {}  # as typed, for the form shown again on a refusal (empty: as stored)

    def change():
        sent.update(texts(form))
        return actions.edit_audit_cycle(
            db,
            by=user,
            cycle_id=audit_cycle_id,
            label=sent.get("label", ""),
            started_on=a_date("Cases from", sent.get("started_on", "")),
            ended_on=a_date("Cases to", sent.get("ended_on", "")),
            sample=sent.get("sample", ""),
            results=_results(audit, sent, "eligible:{}", "met:{}"),
            reason=sent.get("reason", ""),
        )

    return change_then_redirect(
        change,
        to=f"/audits/{audit_id}",
        page=partial(_edit_cycle_page, request, user, db, audit_id, audit_cycle_id, sent),
    )


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


# Action plans: what is to be done after a cycle, by whom, by when; corrected with history (ADR 0028)


def _action_fields(audit: ClinicalAudit, action: AuditAction | None) -> list[Field]:
    value = (lambda name: shown(getattr(action, name))) if action else (lambda name: "")
    return [
        Field("what", "Action", value("what"), "textarea"),
        Field("owner", "Owner", value("owner")),
        Field("due_on", "Due by", value("due_on"), "date"),
        Field("status", "Status", value("status"), "select", tuple((s, s) for s in ACTION_STATUSES)),
    ]


def _action(db: Session, audit_id: int, action_id: int) -> AuditAction:
    action = db.get(AuditAction, action_id)
    if action is None or action.cycle.audit_id != audit_id:
        raise HTTPException(404, f"no action {action_id} in audit {audit_id}")
    return action


@router.post("/{audit_id}/actions")
def add_action(
    request: Request,
    audit_id: int,
    cycle_id: str = Form(""),
    what: str = Form(""),
    owner: str = Form(""),
    due_on: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    audit = _audit_or_404(db, audit_id)

    def change():
        cycle = a_number("Cycle", cycle_id, int)
        if cycle not in {c.id for c in audit.cycles}:
            raise actions.ActionError(f"cycle: not one of this audit's, not {cycle_id!r}")
        return actions.add_audit_action(
            db, by=user, cycle_id=cycle, what=what, owner=owner, due_on=a_date("Due by", due_on)
        )

    return change_then_redirect(
        change, to=f"/audits/{audit_id}#action-plan", page=partial(_audit_page, request, user, db, audit_id)
    )


def _edit_action_page(request, user, db, audit_id: int, action_id: int, sent: dict | None = None, **context):
    action = _action(db, audit_id, action_id)
    audit = _audit_or_404(db, audit_id)
    return edit_page(
        request,
        user,
        noun="audit action",
        name=f"{audit.title}: {action.cycle.label}",
        back=f"/audits/{audit_id}#action-plan",
        action=f"/audits/{audit_id}/actions/{action_id}/edit",
        fields=with_values(_action_fields(audit, action), sent),
        changes=actions.history(db, "audit_action", [action_id])[action_id],
        **context,
    )


@router.get("/{audit_id}/actions/{action_id}/edit")
def edit_action_page(
    request: Request,
    audit_id: int,
    action_id: int,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _edit_action_page(request, user, db, audit_id, action_id)


@router.post("/{audit_id}/actions/{action_id}/edit")
def edit_action(
    request: Request,
    audit_id: int,
    action_id: int,
    what: str = Form(""),
    owner: str = Form(""),
    due_on: str = Form(""),
    status: str = Form(""),
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _action(db, audit_id, action_id)
    sent = {"what": what, "owner": owner, "due_on": due_on, "status": status}
    return change_then_redirect(
        lambda: actions.edit_audit_action(
            db,
            by=user,
            action_id=action_id,
            what=what,
            owner=owner,
            due_on=a_date("Due by", due_on),
            status=status,
            reason=reason,
        ),
        to=f"/audits/{audit_id}#action-plan",
        page=partial(_edit_action_page, request, user, db, audit_id, action_id, sent),
    )


@router.post("/{audit_id}/actions/{action_id}/withdraw")
def withdraw_action(
    request: Request,
    audit_id: int,
    action_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _action(db, audit_id, action_id)
    return change_then_redirect(
        lambda: actions.withdraw(db, by=user, kind="audit_action", record_id=action_id, reason=reason),
        to=f"/audits/{audit_id}#action-plan",
        page=partial(_edit_action_page, request, user, db, audit_id, action_id),
    )
