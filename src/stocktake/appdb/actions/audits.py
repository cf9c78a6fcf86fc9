"""Clinical audits: their criteria and the results of each cycle."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import AuditCriterion, AuditCycle, ClinicalAudit, CriterionResult, User
from stocktake.qi.compliance import Measured


def create_audit(
    session: Session, *, by: User, title: str, standard: str, criteria: list[tuple[str, float]]
) -> ClinicalAudit:
    if not title.strip() or not standard.strip():
        raise ActionError("title and standard: both are needed")
    if not criteria:
        raise ActionError("criteria: at least one")
    for text, target in criteria:
        if not text.strip() or not 0 <= target <= 100:
            raise ActionError(f"criterion {text!r}: a statement and a target between 0 and 100%")
    with _transaction(session):
        audit = ClinicalAudit(title=title.strip(), standard=standard.strip())
        audit.criteria = [AuditCriterion(text=t.strip(), target_percent=p) for t, p in criteria]
        session.add(audit)
        session.flush()
        record(session, user=by, action="audit_created", subject=f"audit:{audit.id}")
    return audit


def add_audit_cycle(
    session: Session,
    *,
    by: User,
    audit_id: int,
    label: str,
    started_on: date,
    ended_on: date,
    sample: str,
    results: dict[int, Measured],
) -> None:
    if ended_on < started_on:
        raise ActionError("ended on: the cycle cannot end before it starts")
    with _transaction(session):
        audit = session.get(ClinicalAudit, audit_id)
        if audit is None:
            raise ActionError(f"no audit {audit_id}")
        unknown = set(results) - {c.id for c in audit.criteria}
        if unknown:
            raise ActionError(f"criterion {sorted(unknown)[0]}: not one of this audit's")
        cycle = AuditCycle(label=label.strip(), started_on=started_on, ended_on=ended_on, sample=sample)
        cycle.results = [
            CriterionResult(criterion_id=i, eligible=m.eligible, met=m.met) for i, m in results.items()
        ]
        audit.cycles.append(cycle)
        record(session, user=by, action="audit_cycle_added", subject=f"audit:{audit_id}", detail=label)
