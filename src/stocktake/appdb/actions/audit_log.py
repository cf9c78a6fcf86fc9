"""The audit log: every action records one event here, with where the change came from."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.base import _transaction
from stocktake.appdb.models import AuditEvent, User

REFUSALS_LOGGED_PER_MINUTE = 30

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


def record(session: Session, *, user: User | None, action: str, subject: str = "", detail: str = "") -> None:
    """Add an audit event to the session's transaction (the caller commits)."""
    client, agent = _ORIGIN.get()
    user_id = user.id if user else None
    session.add(
        AuditEvent(
            at=base._now(),
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
                AuditEvent.at > base._now() - timedelta(minutes=1),
            )
        )
        if logged < REFUSALS_LOGGED_PER_MINUTE:
            record(session, user=user, action="request_refused", subject=subject, detail=detail)
