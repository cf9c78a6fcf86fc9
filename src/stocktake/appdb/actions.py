"""Every change to the workspace's records: keyword-only arguments, one transaction, one audit event.

The web routes and the CLI call these and nothing else to write, so no change escapes the audit
log. Audit events carry what was touched (a metric, a project) but never patient identifiers.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stocktake.appdb.models import (
    ROLES,
    Annotation,
    AuditCriterion,
    AuditCycle,
    AuditEvent,
    ChangeIdea,
    ClinicalAudit,
    CriterionResult,
    Decision,
    PdsaCycle,
    Project,
    ProjectMeasure,
    TargetSetting,
    User,
)
from stocktake.qi.compliance import Measured
from stocktake.qi.progress import SCALE

_HASHER = PasswordHasher()
PASSWORD_LENGTH = 12
#: An account refuses sign-in for this long after this many failed attempts in a row.
SIGN_IN_ATTEMPTS, SIGN_IN_LOCK = 5, timedelta(minutes=15)
MEASURE_KINDS = ("outcome", "process", "balancing")
PDSA_ACTS = ("", "adopt", "adapt", "abandon")
#: Actions that change what the charts show; the web's cached results are keyed on the latest.
CHART_CHANGES = (
    "target_set",
    "annotation_added",
    "annotation_removed",
    "pdsa_added",
    "upload",
    "measure_added",
)


class ActionError(ValueError):
    """The change was refused; the message says which field and why."""


@contextmanager
def _transaction(session: Session):
    """One transaction for the change; reads the caller made first end here (their objects stay)."""
    if session.in_transaction():
        session.commit()
    with session.begin():
        yield


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record(session: Session, *, user: User | None, action: str, subject: str = "", detail: str = "") -> None:
    """Add an audit event to the session's transaction (the caller commits)."""
    session.add(
        AuditEvent(
            at=_now(), user_id=user.id if user else None, action=action, subject=subject, detail=detail
        )
    )


def record_now(session: Session, **event) -> None:
    """An audit event on its own: a sign-in, a view of patient-level data."""
    with _transaction(session):
        record(session, **event)


# Accounts


def create_user(
    session: Session, *, by: User | None, username: str, full_name: str, password: str, role: str
) -> User:
    username = username.strip().lower()
    if role not in ROLES:
        raise ActionError(f"role: expected one of {', '.join(ROLES)}, not {role!r}")
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ActionError("username: letters, digits, '.', '-' and '_' only")
    _check_new_password(password)
    with _transaction(session):
        if session.scalar(select(User).where(User.username == username)):
            raise ActionError(f"username: {username!r} is taken")
        user = User(
            username=username,
            full_name=full_name.strip() or username,
            password_hash=_HASHER.hash(password),
            role=role,
            active=True,
            created_at=_now(),
        )
        session.add(user)
        session.flush()
        record(session, user=by, action="user_created", subject=f"user:{user.id}", detail=f"role {role}")
    return user


def set_role(session: Session, *, by: User, user_id: int, role: str, active: bool) -> None:
    if role not in ROLES:
        raise ActionError(f"role: expected one of {', '.join(ROLES)}, not {role!r}")
    with _transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise ActionError(f"no user {user_id}")
        if user.id == by.id and (role != "admin" or not active):
            raise ActionError("role: you cannot remove your own admin role")
        user.role, user.active = role, active
        record(
            session,
            user=by,
            action="user_changed",
            subject=f"user:{user.id}",
            detail=f"{role}, active={active}",
        )


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None; either way the attempt is logged.

    After ``SIGN_IN_ATTEMPTS`` failures in a row an account is locked for ``SIGN_IN_LOCK``, counted
    from the audit log; attempts while locked are logged apart and do not extend the lock.
    """
    with _transaction(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        locked = user is not None and _failures_in_a_row(session, user) >= SIGN_IN_ATTEMPTS
        ok = not locked and user is not None and user.active and _verifies(user.password_hash, password)
        if user is None:  # the same argon2 work as for an account, so the time taken names no one
            _verifies(_unused_hash(), password)
        if ok and _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        action = "sign_in" if ok else "sign_in_locked" if locked else "sign_in_failed"
        record(session, user=user if ok else None, action=action, subject=f"user:{user.id}" if user else "")
    return user if ok else None


def change_password(session: Session, *, user: User, current: str, new: str, again: str) -> None:
    """A signed-in user's own password: they prove the current one first."""
    if not _verifies(user.password_hash, current):
        raise ActionError("current password: not right")
    _check_new_password(new)
    if new != again:
        raise ActionError("new password again: the two new passwords differ")
    with _transaction(session):
        user.password_hash = _HASHER.hash(new)
        record(session, user=user, action="password_changed", subject=f"user:{user.id}")


def reset_password(session: Session, *, by: User | None, username: str, password: str) -> None:
    """Someone's forgotten password replaced (from the command line, by whoever runs the server)."""
    _check_new_password(password)
    with _transaction(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise ActionError(f"username: no account {username!r}")
        user.password_hash = _HASHER.hash(password)
        record(session, user=by, action="password_reset", subject=f"user:{user.id}")


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _unused_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def _check_new_password(password: str) -> None:
    if len(password) < PASSWORD_LENGTH:
        raise ActionError(f"password: at least {PASSWORD_LENGTH} characters")


def _failures_in_a_row(session: Session, user: User) -> int:
    """Failed sign-ins to this account within the lock period and since its last good one."""
    recent = (AuditEvent.subject == f"user:{user.id}", AuditEvent.at > _now() - SIGN_IN_LOCK)
    last_good = select(func.coalesce(func.max(AuditEvent.id), 0)).where(
        AuditEvent.action == "sign_in", *recent
    )
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "sign_in_failed", AuditEvent.id > last_good.scalar_subquery(), *recent)
    )


# Targets and annotations


def set_target(session: Session, *, by: User, metric_id: str, value: float, basis: str) -> None:
    if not basis.strip():
        raise ActionError("basis: say how the target was set (e.g. 'midway to GIRFT 2020')")
    with _transaction(session):
        setting = session.get(TargetSetting, metric_id) or TargetSetting(metric_id=metric_id)
        setting.value, setting.basis, setting.set_by, setting.set_at = value, basis.strip(), by.id, _now()
        session.add(setting)
        record(session, user=by, action="target_set", subject=f"metric:{metric_id}", detail=f"{value:g}")


def add_annotation(
    session: Session, *, by: User, metric_id: str, dated: date, label: str, rebase: bool
) -> Annotation:
    if not label.strip():
        raise ActionError("label: say what changed")
    with _transaction(session):
        annotation = Annotation(
            metric_id=metric_id, dated=dated, label=label.strip(), rebase=rebase, created_by=by.id
        )
        session.add(annotation)
        record(session, user=by, action="annotation_added", subject=f"metric:{metric_id}", detail=str(dated))
    return annotation


def remove_annotation(session: Session, *, by: User, annotation_id: int) -> None:
    with _transaction(session):
        annotation = session.get(Annotation, annotation_id)
        if annotation is None:
            raise ActionError(f"no annotation {annotation_id}")
        session.delete(annotation)
        record(session, user=by, action="annotation_removed", subject=f"metric:{annotation.metric_id}")


# QI projects


def create_project(session: Session, *, by: User, title: str, aim: str, lead: str) -> Project:
    if not title.strip() or not aim.strip():
        raise ActionError("title and aim: both are needed (what are we trying to accomplish?)")
    with _transaction(session):
        project = Project(title=title.strip(), aim=aim.strip(), lead=lead.strip(), created_at=_now())
        session.add(project)
        session.flush()
        record(session, user=by, action="project_created", subject=f"project:{project.id}")
    return project


def set_progress(session: Session, *, by: User, project_id: int, score: float) -> None:
    if score not in SCALE:
        raise ActionError(f"progress score: one of {', '.join(map(str, SCALE))}")
    with _transaction(session):
        _project(session, project_id).progress_score = score
        record(session, user=by, action="progress_set", subject=f"project:{project_id}", detail=f"{score}")


def add_measure(session: Session, *, by: User, project_id: int, metric_id: str, kind: str) -> None:
    if kind not in MEASURE_KINDS:
        raise ActionError(f"kind: one of {', '.join(MEASURE_KINDS)}")
    with _transaction(session):
        project = _project(session, project_id)
        if any(m.metric_id == metric_id for m in project.measures):
            raise ActionError(f"measure: {metric_id} is already linked")
        project.measures.append(ProjectMeasure(metric_id=metric_id, kind=kind))
        record(session, user=by, action="measure_added", subject=f"project:{project_id}", detail=metric_id)


def add_change_idea(session: Session, *, by: User, project_id: int, description: str) -> None:
    if not description.strip():
        raise ActionError("change idea: describe it")
    with _transaction(session):
        _project(session, project_id).change_ideas.append(ChangeIdea(description=description.strip()))
        record(session, user=by, action="change_idea_added", subject=f"project:{project_id}")


def add_pdsa_cycle(
    session: Session,
    *,
    by: User,
    project_id: int,
    title: str,
    started_on: date,
    ended_on: date | None = None,
    change_idea_id: int | None = None,
    plan: str = "",
    prediction: str = "",
    study: str = "",
    act: str = "",
) -> PdsaCycle:
    if not title.strip():
        raise ActionError("title: name the cycle")
    if ended_on is not None and ended_on < started_on:
        raise ActionError("ended on: the cycle cannot end before it starts")
    if act not in PDSA_ACTS:
        raise ActionError("act: adopt, adapt or abandon")
    with _transaction(session):
        project = _project(session, project_id)
        if change_idea_id is not None and change_idea_id not in {c.id for c in project.change_ideas}:
            raise ActionError("change idea: not one of this project's")
        cycle = PdsaCycle(
            title=title.strip(),
            started_on=started_on,
            ended_on=ended_on,
            change_idea_id=change_idea_id,
            plan=plan,
            prediction=prediction,
            study=study,
            act=act,
        )
        project.cycles.append(cycle)
        record(session, user=by, action="pdsa_added", subject=f"project:{project_id}", detail=str(started_on))
    return cycle


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise ActionError(f"no project {project_id}")
    return project


# Clinical audits


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


# Decision log


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
