"""The decision log: what was decided, why, by whom, on what evidence."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.actions.corrections import Edit, editable, record_edit, revise
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
    _check_decision(title, rationale, decided_by)
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


def _check_decision(title: str, rationale: str, decided_by: str) -> None:
    if not title.strip() or not rationale.strip() or not decided_by.strip():
        raise ActionError("what, why and who: all three are needed")


def edit_decision(
    session: Session,
    *,
    by: User,
    decision_id: int,
    decided_on: date,
    title: str,
    rationale: str,
    decided_by: str,
    evidence: str = "",
    metric_id: str | None = None,
    reason: str = "",
) -> tuple[str, ...]:
    """Correct an entry of the decision log; the old wording stays in its history. The fields changed."""
    _check_decision(title, rationale, decided_by)
    with _transaction(session):
        decision = editable(session, "decision", decision_id)
        new = {
            "decided_on": decided_on,
            "title": title.strip(),
            "rationale": rationale.strip(),
            "evidence": evidence.strip(),
            "metric_id": metric_id or None,
            "decided_by": decided_by.strip(),
        }
        edits = [Edit(field, decision, field, value) for field, value in new.items()]
        changed = revise(session, by=by, kind="decision", record_id=decision_id, edits=edits, reason=reason)
        if changed:
            record_edit(session, by=by, kind="decision", found=decision, fields=changed)
    return changed
