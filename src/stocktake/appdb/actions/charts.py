"""What the charts show beyond the data: departments' targets and annotated changes."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import Annotation, TargetSetting, User

#: No measure's target lies beyond this: a larger number is a slip of the keyboard.
LARGEST_TARGET = 1e12
#: Actions that change what the charts show; the web's cached results are keyed on the latest.
CHART_CHANGES = (
    "target_set",
    "annotation_added",
    "annotation_removed",
    "pdsa_added",
    "pdsa_cycle_edited",  # a start date or title moved
    "pdsa_cycle_withdrawn",  # its mark leaves the charts
    "project_edited",  # its title is in its cycles' marks
    "project_withdrawn",  # its cycles' marks leave the charts
    "upload",
    "measure_added",
)


def set_target(
    session: Session, *, by: User, metric_id: str, value: float, basis: str, percent: bool = False
) -> None:
    """A department's own target; ``percent`` for a measure in % (the target is then 0 to 100)."""
    if not math.isfinite(value):
        raise ActionError(f"target: a finite number, not {value!r}")
    if abs(value) > LARGEST_TARGET:
        raise ActionError(f"target: a number of at most {LARGEST_TARGET:,.0f} either way, not {value:g}")
    if percent and not 0 <= value <= 100:
        raise ActionError(f"target: a percentage from 0 to 100, not {value:g}")
    if not basis.strip():
        raise ActionError("basis: say how the target was set (e.g. 'midway to GIRFT 2020')")
    with _transaction(session):
        setting = session.get(TargetSetting, metric_id) or TargetSetting(metric_id=metric_id)
        setting.value, setting.basis, setting.set_by = value, basis.strip(), by.id
        setting.set_at = base._now()
        session.add(setting)
        record(session, user=by, action="target_set", subject=f"metric:{metric_id}", detail=f"{value:g}")


def add_annotation(
    session: Session, *, by: User, metric_id: str, dated: date, label: str, rebase: bool, detail: str = ""
) -> Annotation:
    """``detail`` (the verdict with and without a rebase) goes into the audit event after the date."""
    if not label.strip():
        raise ActionError("label: say what changed")
    with _transaction(session):
        annotation = Annotation(
            metric_id=metric_id, dated=dated, label=label.strip(), rebase=rebase, created_by=by.id
        )
        session.add(annotation)
        record(
            session,
            user=by,
            action="annotation_added",
            subject=f"metric:{metric_id}",
            detail=_said(annotation) + (f": {detail}" if detail else ""),
        )
    return annotation


def _who(session: Session, user_id: int | None) -> str:
    """A user as the log names them elsewhere: by username."""
    user = session.get(User, user_id) if user_id is not None else None
    return user.username if user is not None else "no one recorded"


def _said(annotation: Annotation) -> str:
    """A change date as the log keeps it: a removed one must be known from the log alone (a review:
    the log had kept only its date)."""
    return f"{annotation.dated} {annotation.label!r}{' (limits restart)' if annotation.rebase else ''}"


def remove_annotation(session: Session, *, by: User, metric_id: str, annotation_id: int) -> None:
    """Remove a change date from ``metric_id``'s chart: one of another measure's is refused."""
    with _transaction(session):
        annotation = session.get(Annotation, annotation_id)
        if annotation is None or annotation.metric_id != metric_id:
            raise ActionError(f"no annotation {annotation_id} on this measure")
        session.delete(annotation)
        record(
            session,
            user=by,
            action="annotation_removed",
            subject=f"metric:{annotation.metric_id}",
            detail=f"{_said(annotation)}, added by {_who(session, annotation.created_by)}",
        )
