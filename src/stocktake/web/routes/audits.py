"""Clinical audits: criteria with their standards, cycles measured, compliance across the cycles."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import ClinicalAudit, User
from stocktake.qi.compliance import CriterionCompliance, Measured, overall
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date, a_number, texts
from stocktake.web.security import database, editor, viewer

router = APIRouter(prefix="/audits")


@router.get("")
def audits_page(request: Request, user: User = Depends(viewer), db: Session = Depends(database)):
    return _list(request, user, db)


def _list(request, user, db, **context):
    audits = db.scalars(select(ClinicalAudit).order_by(ClinicalAudit.id.desc())).all()
    return render(request, "audits.html", user, title="Clinical audits", audits=audits, **context)


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


def compliance(audit: ClinicalAudit) -> list[CriterionCompliance]:
    found = {
        (r.cycle_id, r.criterion_id): Measured(r.eligible, r.met) for c in audit.cycles for r in c.results
    }
    return [
        CriterionCompliance(
            criterion.text,
            criterion.target_percent,
            tuple(found.get((c.id, criterion.id)) for c in audit.cycles),
        )
        for criterion in audit.criteria
    ]


def _audit_page(request, user, db, audit_id: int, **context):
    audit = db.get(ClinicalAudit, audit_id)
    if audit is None:
        raise HTTPException(404, f"no audit {audit_id}")
    rows = compliance(audit)
    return render(
        request,
        "audit.html",
        user,
        title=audit.title,
        audit=audit,
        rows=rows,
        overall=[overall(rows, i) for i in range(len(audit.cycles))],
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
