"""Every change to the workspace's records: keyword-only arguments, one transaction, one audit event.

The web routes and the CLI call these and nothing else to write, so no change escapes the audit
log. Audit events carry what was touched (a metric, a project) but never patient identifiers.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
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
    WebSession,
)
from stocktake.qi.compliance import Measured
from stocktake.qi.progress import SCALE

_HASHER = PasswordHasher()
PASSWORD_LENGTH = 12
#: An account refuses sign-in from an address for this long after this many failed attempts in a
#: row from it; an address that fails this many times (on any names) is refused for as long.
SIGN_IN_ATTEMPTS, SIGN_IN_LOCK, ADDRESS_ATTEMPTS = 5, timedelta(minutes=15), 20
REFUSALS_LOGGED_PER_MINUTE = 30
#: No measure's target lies beyond this: a larger number is a slip of the keyboard.
LARGEST_TARGET = 1e12
#: A session ends this long after sign-in whatever happens; its last use is written this often.
SESSION_LIFETIME, SESSION_SEEN_EVERY = timedelta(hours=8), timedelta(minutes=1)
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


#: Where the changes come from (client address, user agent), for the audit log: the web sets it
#: per request (``acting_from``), so no action needs it as an argument; empty from the command line.
_ORIGIN: ContextVar[tuple[str, str]] = ContextVar("stocktake_origin", default=("", ""))


@contextmanager
def acting_from(client: str, agent: str):
    """Audit events recorded inside this block carry this client address and user agent."""
    reset = _ORIGIN.set((client[:64], agent[:200]))
    try:
        yield
    finally:
        _ORIGIN.reset(reset)


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
    client, agent = _ORIGIN.get()
    user_id = user.id if user else None
    session.add(
        AuditEvent(
            at=_now(),
            user_id=user_id,
            action=action,
            subject=subject,
            detail=detail,
            client=client,
            agent=agent,
        )
    )


def record_now(session: Session, **event) -> None:
    """An audit event on its own: a sign-in, a view of patient-level data."""
    with _transaction(session):
        record(session, **event)


def record_refusal(session: Session, *, user: User | None, subject: str, detail: str) -> None:
    """A refused request (403, CSRF, upload) in the log, unless this address has already had
    ``REFUSALS_LOGGED_PER_MINUTE`` logged in the last minute: a client firing refused requests would
    otherwise push everything else off the log's first pages (the web server's log keeps the rest)."""
    client = _ORIGIN.get()[0]
    with _transaction(session):
        logged = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "request_refused",
                AuditEvent.client == client,
                AuditEvent.at > _now() - timedelta(minutes=1),
            )
        )
        if logged < REFUSALS_LOGGED_PER_MINUTE:
            record(session, user=user, action="request_refused", subject=subject, detail=detail)


# Accounts

#: Usernames: ASCII only (look-alike letters from other scripts read the same in the audit log).
USERNAME = re.compile(r"[A-Za-z0-9._-]{1,80}")
FULL_NAME_LENGTH = 200


def create_user(
    session: Session, *, by: User | None, username: str, full_name: str, password: str, role: str
) -> User:
    if role not in ROLES:
        raise ActionError(f"role: expected one of {', '.join(ROLES)}, not {role!r}")
    if not USERNAME.fullmatch(username.strip()):  # checked before lower(): the Kelvin sign lowers to k
        raise ActionError(
            f"username: 1 to 80 of the letters A–Z, digits, '.', '-' and '_', not {username.strip()[:100]!r}"
        )
    if len(full_name.strip()) > FULL_NAME_LENGTH:
        raise ActionError(f"full name: at most {FULL_NAME_LENGTH} characters")
    username = username.strip().lower()
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
    """A user's role and whether they may sign in; disabling ends their sessions, so enabling them
    again later does not bring an old cookie back to life."""
    if role not in ROLES:
        raise ActionError(f"role: expected one of {', '.join(ROLES)}, not {role!r}")
    with _transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise ActionError(f"no user {user_id}")
        if user.id == by.id and (role != "admin" or not active):
            raise ActionError("role: you cannot remove your own admin role")
        user.role, user.active = role, active
        if not active:
            _end_sessions(session, user)
        record(
            session,
            user=by,
            action="user_changed",
            subject=f"user:{user.id}",
            detail=f"{role}, active={active}",
        )


def unlock_user(session: Session, *, by: User, user_id: int) -> None:
    """Let an account be signed in to again from addresses that had too many failed attempts."""
    with _transaction(session):
        if session.get(User, user_id) is None:
            raise ActionError(f"no user {user_id}")
        record(session, user=by, action="user_unlocked", subject=f"user:{user_id}")


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None; either way the attempt is logged with the
    client's address (``acting_from``).

    Refused without looking further: an address with ``ADDRESS_ATTEMPTS`` failures within
    ``SIGN_IN_LOCK`` (whatever the names tried), and an account from an address that failed on it
    ``SIGN_IN_ATTEMPTS`` times in a row, until ``SIGN_IN_LOCK`` has passed or an admin unlocks it.
    The lock is per address so that no one can lock a colleague out by guessing from elsewhere.
    Every path runs one argon2 verification, so the time taken tells no one whether a name exists
    or is locked or disabled.
    """
    client = _ORIGIN.get()[0]
    with _transaction(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        verified = _verifies(user.password_hash if user else _unused_hash(), password)
        if _address_failures(session, client, user) >= ADDRESS_ATTEMPTS:
            action = "sign_in_throttled"
        elif user is not None and _failures_in_a_row(session, user, client) >= SIGN_IN_ATTEMPTS:
            action = "sign_in_locked"
        elif verified and user.active:
            action = "sign_in"
        else:
            action = "sign_in_failed"
        ok = action == "sign_in"
        if ok and _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        record(session, user=user if ok else None, action=action, subject=f"user:{user.id}" if user else "")
    return user if ok else None


def locked_out(session: Session, user: User) -> list[str]:
    """The addresses this account is locked against now (for the admins' users page)."""
    tried = session.scalars(
        select(AuditEvent.client)
        .where(
            AuditEvent.action == "sign_in_failed",
            AuditEvent.subject == f"user:{user.id}",
            AuditEvent.at > _now() - SIGN_IN_LOCK,
        )
        .distinct()
    )
    return sorted(c for c in tried if _failures_in_a_row(session, user, c) >= SIGN_IN_ATTEMPTS)


def change_password(session: Session, *, user: User, current: str, new: str, again: str) -> None:
    """A signed-in user's own password: they prove the current one first. Every session of theirs
    ends (one signed in with the old password may be someone else's); the caller starts a new one."""
    if not _verifies(user.password_hash, current):
        raise ActionError("current password: not right")
    _check_new_password(new)
    if new != again:
        raise ActionError("new password again: the two new passwords differ")
    with _transaction(session):
        user.password_hash = _HASHER.hash(new)
        _end_sessions(session, user)
        record(session, user=user, action="password_changed", subject=f"user:{user.id}")


def reset_password(session: Session, *, by: User | None, username: str, password: str) -> None:
    """Someone's forgotten password replaced (from the command line, by whoever runs the server);
    every session of theirs ends."""
    _check_new_password(password)
    with _transaction(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise ActionError(f"username: no account {username!r}")
        user.password_hash = _HASHER.hash(password)
        _end_sessions(session, user)
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


def _failures_in_a_row(session: Session, user: User, client: str) -> int:
    """Failed sign-ins to this account from this address within the lock period, since the last
    good one from there or an admin's unlock."""
    recent = (AuditEvent.subject == f"user:{user.id}", AuditEvent.at > _now() - SIGN_IN_LOCK)
    good_here = (AuditEvent.action == "sign_in") & (AuditEvent.client == client)
    last_reset = select(func.coalesce(func.max(AuditEvent.id), 0)).where(
        good_here | (AuditEvent.action == "user_unlocked"), *recent
    )
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "sign_in_failed",
            AuditEvent.client == client,
            AuditEvent.id > last_reset.scalar_subquery(),
            *recent,
        )
    )


def _address_failures(session: Session, client: str, user: User | None) -> int:
    """Failed and locked-out sign-ins from this address within the lock period, to any name; for
    a user an admin has unlocked, only those since (a colleague behind the same address, or an
    attacker, must not keep staff out of their workspace)."""
    unlocked = select(func.coalesce(func.max(AuditEvent.id), 0)).where(
        AuditEvent.action == "user_unlocked", AuditEvent.subject == f"user:{user.id if user else ''}"
    )
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.client == client,
            AuditEvent.action.in_(("sign_in_failed", "sign_in_locked")),
            AuditEvent.at > _now() - SIGN_IN_LOCK,
            AuditEvent.id > unlocked.scalar_subquery(),
        )
    )


# Sessions


def start_session(session: Session, *, user: User) -> str:
    """A new session for a user who has just signed in: the token for their cookie."""
    token, now = secrets.token_urlsafe(32), _now()
    with _transaction(session):
        session.execute(delete(WebSession).where(WebSession.started_at < now - SESSION_LIFETIME))
        session.add(WebSession(id=_digest(token), user_id=user.id, started_at=now, seen_at=now))
    return token


def session_user(session: Session, *, token: str, idle: timedelta) -> User | None:
    """The user of a live session: not ended, started less than ``SESSION_LIFETIME`` ago, used
    within ``idle``, its account active. Its last use is written at most once a minute (a write on
    every page would cost more than the page)."""
    found = session.execute(
        select(WebSession, User).join(User).where(WebSession.id == _digest(token))
    ).first()
    now = _now()
    if found is None:
        return None
    web_session, user = found
    if (
        not user.active
        or web_session.started_at <= now - SESSION_LIFETIME
        or web_session.seen_at <= now - idle
    ):
        return None
    if web_session.seen_at <= now - SESSION_SEEN_EVERY:
        with _transaction(session):
            web_session.seen_at = now
    return user


def end_session(session: Session, *, token: str) -> None:
    """Sign-out: the session is deleted, so a copy of its cookie is worthless."""
    with _transaction(session):
        web_session = session.get(WebSession, _digest(token))
        if web_session is not None:
            user = session.get(User, web_session.user_id)
            session.delete(web_session)
            record(session, user=user, action="sign_out", subject=f"user:{user.id}")


def _end_sessions(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Targets and annotations


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
        setting.value, setting.basis, setting.set_by, setting.set_at = value, basis.strip(), by.id, _now()
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
            detail=f"{dated}: {detail}" if detail else str(dated),
        )
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
        project = _project(session, project_id)  # held: a collection cannot outlive its parent
        project.change_ideas.append(ChangeIdea(description=description.strip()))
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
