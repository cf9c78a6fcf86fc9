"""Correcting the governance record: edits that keep the old value, withdrawal instead of deletion.

One mechanism for every kind of record (ADR 0024): an edit action validates as its create action
does, then hands its new values to ``revise``, which writes one ``RecordChange`` per field that
really changed (none: nothing is written). ``withdraw`` marks a record taken back, with who and why;
the record stays, and its history says so. Audit events name the fields changed, never their values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import (
    AuditAction,
    AuditCycle,
    ClinicalAudit,
    Decision,
    PdsaCycle,
    Project,
    RecordChange,
    User,
    Withdrawable,
)

#: The records that can be corrected and withdrawn, by the name the history and the audit log use.
KINDS: dict[str, type[Withdrawable]] = {
    "project": Project,
    "pdsa_cycle": PdsaCycle,
    "audit": ClinicalAudit,
    "audit_cycle": AuditCycle,
    "decision": Decision,
    "audit_action": AuditAction,
}
#: The history's field for a withdrawal (its new value is ``WITHDRAWN``).
WITHDRAWN = "withdrawn"
REASON_LENGTH = 2000


@dataclass(frozen=True)
class Edit:
    """A field's new value: ``holder.attribute`` becomes ``value``; ``field`` names it in the history
    (an attribute of a part of the record, e.g. one criterion's count, gets a field of its own)."""

    field: str
    holder: object
    attribute: str
    value: object


def as_text(value: object) -> str | None:
    """How a value is kept in the history: dates ISO, whole numbers without a decimal point."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(old: object, new: object) -> bool:
    """Equal, reading a browser's CRLF line ends as the LF they were shown from."""
    if isinstance(old, str) and isinstance(new, str):
        return old.replace("\r\n", "\n") == new.replace("\r\n", "\n")
    return old == new


def revise(
    session: Session, *, by: User, kind: str, record_id: int, edits: Iterable[Edit], reason: str = ""
) -> tuple[str, ...]:
    """Apply the edits that change something, each leaving a ``RecordChange`` with the old value;
    the fields changed, in the order given (empty: nothing changed and nothing was written)."""
    if kind not in KINDS:
        raise ActionError(f"record kind: one of {', '.join(KINDS)}, not {kind!r}")
    changed = []
    at = base._now()
    for edit in edits:
        old = getattr(edit.holder, edit.attribute)
        if _same(old, edit.value):
            continue
        session.add(
            RecordChange(
                record_kind=kind,
                record_id=record_id,
                field=edit.field,
                old_value=as_text(old),
                new_value=as_text(edit.value),
                changed_by=by.id,
                changed_at=at,
                reason=reason.strip(),
            )
        )
        setattr(edit.holder, edit.attribute, edit.value)
        changed.append(edit.field)
    return tuple(changed)


def editable(session: Session, kind: str, record_id: int) -> Withdrawable:
    """The record to edit: it exists and has not been withdrawn (a withdrawn record stays as it was)."""
    found = session.get(KINDS[kind], record_id)
    if found is None:
        raise ActionError(f"no {kind.replace('_', ' ')} {record_id}")
    if found.withdrawn:
        raise ActionError(f"{kind.replace('_', ' ')} {record_id}: withdrawn, so it stays as it was")
    return found


def subject_of(kind: str, found: Withdrawable) -> tuple[str, str]:
    """The audit event's subject (the page the record is on) and how its detail names the record."""
    if kind == "pdsa_cycle":
        return f"project:{found.project_id}", f"pdsa cycle {found.id}"
    if kind == "audit_cycle":
        return f"audit:{found.audit_id}", f"cycle {found.id}"
    if kind == "audit_action":
        return f"audit:{found.cycle.audit_id}", f"action {found.id}"
    return f"{kind}:{found.id}", ""


def record_edit(
    session: Session, *, by: User, kind: str, found: Withdrawable, fields: tuple[str, ...]
) -> None:
    """The one audit event of an edit that changed ``fields`` (their names, never their values)."""
    subject, named = subject_of(kind, found)
    detail = ", ".join(fields)
    record(
        session,
        user=by,
        action=f"{kind}_edited",
        subject=subject,
        detail=f"{named}: {detail}" if named else detail,
    )


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ActionError("reason: say why the record is withdrawn")
    if len(reason) > REASON_LENGTH:
        raise ActionError(f"reason: at most {REASON_LENGTH} characters, not {len(reason)}")
    return reason


def withdraw(session: Session, *, by: User, kind: str, record_id: int, reason: str) -> Withdrawable:
    """Take a record back: it stays, marked with who withdrew it, when and why, and leaves the lists
    (and, for a PDSA cycle or a project, the charts); its history gains the withdrawal."""
    if kind not in KINDS:
        raise ActionError(f"record kind: one of {', '.join(KINDS)}, not {kind!r}")
    why = _reason(reason)
    with _transaction(session):
        found = editable(session, kind, record_id)
        at = base._now()
        found.withdrawn_at, found.withdrawn_by, found.withdrawn_reason = at, by.id, why
        session.add(
            RecordChange(
                record_kind=kind,
                record_id=record_id,
                field=WITHDRAWN,
                old_value=None,
                new_value=WITHDRAWN,
                changed_by=by.id,
                changed_at=at,
                reason=why,
            )
        )
        subject, named = subject_of(kind, found)
        record(session, user=by, action=f"{kind}_withdrawn", subject=subject, detail=named)
    return found


def history(session: Session, kind: str, record_ids: Iterable[int]) -> dict[int, list[RecordChange]]:
    """Each record's changes, oldest first, with who made them."""
    ids = list(record_ids)
    found: dict[int, list[RecordChange]] = {i: [] for i in ids}
    if not ids:
        return found
    changes = session.scalars(
        select(RecordChange)
        .where(RecordChange.record_kind == kind, RecordChange.record_id.in_(ids))
        .options(selectinload(RecordChange.user))
        .order_by(RecordChange.id)
    )
    for change in changes:
        found[change.record_id].append(change)
    return found
