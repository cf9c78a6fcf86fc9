"""Audit action plans: what is to be done after an audit cycle, by whom and by when, and where it
stands (open, done, dropped); corrected with history and withdrawn like every governance record
(ADR 0024, 0028)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.actions.corrections import Edit, editable, record_edit, revise
from stocktake.appdb.models import ACTION_STATUSES, AuditAction, AuditCycle, User

WHAT_LENGTH = 2000
OWNER_LENGTH = 200


def _check_action(what: str, owner: str, status: str) -> None:
    if not what.strip() or not owner.strip():
        raise ActionError("what and owner: both are needed")
    if len(what.strip()) > WHAT_LENGTH:
        raise ActionError(f"what: at most {WHAT_LENGTH} characters, not {len(what.strip())}")
    if len(owner.strip()) > OWNER_LENGTH:
        raise ActionError(f"owner: at most {OWNER_LENGTH} characters, not {len(owner.strip())}")
    if status not in ACTION_STATUSES:
        raise ActionError(f"status: one of {', '.join(ACTION_STATUSES)}, not {status!r}")


def add_audit_action(
    session: Session, *, by: User, cycle_id: int, what: str, owner: str, due_on: date, status: str = "open"
) -> AuditAction:
    """An action on an audit cycle's plan; the audit event is on the audit's page."""
    _check_action(what, owner, status)
    with _transaction(session):
        cycle = session.get(AuditCycle, cycle_id)
        if cycle is None:
            raise ActionError(f"no audit cycle {cycle_id}")
        if cycle.withdrawn:
            raise ActionError(f"cycle {cycle.label!r}: withdrawn, so it takes no new actions")
        action = AuditAction(
            cycle_id=cycle_id,
            what=what.strip(),
            owner=owner.strip(),
            due_on=due_on,
            status=status,
            created_by=by.id,
            created_at=base._now(),
        )
        session.add(action)
        session.flush()
        record(
            session,
            user=by,
            action="audit_action_added",
            subject=f"audit:{cycle.audit_id}",
            detail=f"action {action.id}",
        )
    return action


def edit_audit_action(
    session: Session,
    *,
    by: User,
    action_id: int,
    what: str,
    owner: str,
    due_on: date,
    status: str,
    reason: str = "",
) -> tuple[str, ...]:
    """Correct an action or move it on (open → done or dropped); the old value stays in its history.
    The fields changed."""
    _check_action(what, owner, status)
    with _transaction(session):
        action = editable(session, "audit_action", action_id)
        new = {"what": what.strip(), "owner": owner.strip(), "due_on": due_on, "status": status}
        edits = [Edit(field, action, field, value) for field, value in new.items()]
        changed = revise(session, by=by, kind="audit_action", record_id=action_id, edits=edits, reason=reason)
        if changed:
            record_edit(session, by=by, kind="audit_action", found=action, fields=changed)
    return changed
