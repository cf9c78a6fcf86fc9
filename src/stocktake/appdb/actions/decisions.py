"""The decision log: what was decided, why, by whom, on what evidence."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import Decision, User


def record_decision(
    session: Session,
    *,
    by: User,
    decided_on: date,
    title: str,
    rationale: str,
    decided_by: str,
    evidence: str = "",
    metric_id: str | None = None,
) -> Decision:
    if not title.strip() or not rationale.strip() or not decided_by.strip():
        raise ActionError("what, why and who: all three are needed")
    with _transaction(session):
        decision = Decision(
            decided_on=decided_on,
            title=title.strip(),
            rationale=rationale.strip(),
            evidence=evidence.strip(),
            metric_id=metric_id or None,
            decided_by=decided_by.strip(),
            recorded_by=by.id,
        )
        session.add(decision)
        session.flush()
        record(session, user=by, action="decision_recorded", subject=f"decision:{decision.id}")
    return decision
