"""Clinical audits: their criteria and the results of each cycle."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.actions.corrections import Edit, editable, record_edit, revise
from stocktake.appdb.models import AuditCriterion, AuditCycle, ClinicalAudit, CriterionResult, User
from stocktake.qi.compliance import Measured


def create_audit(
    session: Session, *, by: User, title: str, standard: str, criteria: list[tuple[str, float]]
) -> ClinicalAudit:
    _check_audit(title, standard, criteria)
    with _transaction(session):
        audit = ClinicalAudit(title=title.strip(), standard=standard.strip())
        audit.criteria = [AuditCriterion(text=t.strip(), target_percent=p) for t, p in criteria]
        session.add(audit)
        session.flush()
        record(session, user=by, action="audit_created", subject=f"audit:{audit.id}")
    return audit


def _check_audit(title: str, standard: str, criteria: list[tuple[str, float]], *, new: bool = True) -> None:
    """``new``: an audit being set up needs a criterion; an edit may leave its criteria as they are."""
    if not title.strip() or not standard.strip():
        raise ActionError("title and standard: both are needed")
    if new and not criteria:
        raise ActionError("criteria: at least one")
    for text, target in criteria:
        if not text.strip() or not 0 <= target <= 100:
            raise ActionError(f"criterion {text!r}: a statement and a target between 0 and 100%")


def edit_audit(
    session: Session,
    *,
    by: User,
    audit_id: int,
    title: str,
    standard: str,
    criteria: dict[int, tuple[str, float]],
    reason: str = "",
) -> tuple[str, ...]:
    """Correct an audit's title, standard, or a criterion's statement or target (by criterion id:
    ``text:<id>``, ``target_percent:<id>`` in the history; a criterion not given stays as it is);
    the fields changed."""
    _check_audit(title, standard, list(criteria.values()), new=False)
    with _transaction(session):
        audit = editable(session, "audit", audit_id)
        own = {c.id: c for c in audit.criteria}
        unknown = set(criteria) - set(own)
        if unknown:
            raise ActionError(f"criterion {sorted(unknown)[0]}: not one of this audit's")
        edits = [
            Edit("title", audit, "title", title.strip()),
            Edit("standard", audit, "standard", standard.strip()),
        ]
        for criterion_id, (text, target) in sorted(criteria.items()):
            edits.append(Edit(f"text:{criterion_id}", own[criterion_id], "text", text.strip()))
            edits.append(Edit(f"target_percent:{criterion_id}", own[criterion_id], "target_percent", target))
        changed = revise(session, by=by, kind="audit", record_id=audit_id, edits=edits, reason=reason)
        if changed:
            record_edit(session, by=by, kind="audit", found=audit, fields=changed)
    return changed


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


def edit_audit_cycle(
    session: Session,
    *,
    by: User,
    cycle_id: int,
    label: str,
    started_on: date,
    ended_on: date,
    sample: str,
    results: dict[int, Measured],
    reason: str = "",
) -> tuple[str, ...]:
    """Correct a cycle: its name, dates, sample, or a criterion's counts (a mistyped count), given as
    the whole new set of results: a criterion left out loses its result. In the history the counts
    are ``eligible:<criterion id>`` and ``met:<criterion id>``. The fields changed."""
    if ended_on < started_on:
        raise ActionError("ended on: the cycle cannot end before it starts")
    with _transaction(session):
        cycle = editable(session, "audit_cycle", cycle_id)
        audit = session.get(ClinicalAudit, cycle.audit_id)
        unknown = set(results) - {c.id for c in audit.criteria}
        if unknown:
            raise ActionError(f"criterion {sorted(unknown)[0]}: not one of this audit's")
        edits = [
            Edit("label", cycle, "label", label.strip()),
            Edit("started_on", cycle, "started_on", started_on),
            Edit("ended_on", cycle, "ended_on", ended_on),
            Edit("sample", cycle, "sample", sample),
        ]
        held = {r.criterion_id: r for r in cycle.results}
        added, removed = [], []
        for criterion in audit.criteria:
            new, result = results.get(criterion.id), held.get(criterion.id)
            if new is None and result is None:
                continue
            if result is None:  # a criterion first measured now: its counts were empty
                result = CriterionResult(criterion_id=criterion.id)
                added.append(result)
            elif new is None:
                removed.append(result)
            edits.append(Edit(f"eligible:{criterion.id}", result, "eligible", new.eligible if new else None))
            edits.append(Edit(f"met:{criterion.id}", result, "met", new.met if new else None))
        changed = revise(session, by=by, kind="audit_cycle", record_id=cycle_id, edits=edits, reason=reason)
        cycle.results.extend(added)
        for result in removed:
            cycle.results.remove(result)
        if changed:
            record_edit(session, by=by, kind="audit_cycle", found=cycle, fields=changed)
    return changed
