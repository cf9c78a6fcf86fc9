"""The audit log: every action records one event here, with where the change came from."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.base import _transaction
from stocktake.appdb.models import AuditEvent, User

REFUSALS_LOGGED_PER_MINUTE = 30
_SERVER_LOG = logging.getLogger("stocktake.audit")

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
    """A refused request (403, CSRF, upload) in the log, unless its sender has already had
    ``REFUSALS_LOGGED_PER_MINUTE`` logged in the last minute (:func:`record_capped`)."""
    record_capped(session, user=user, action="request_refused", subject=subject, detail=detail)


def record_capped(
    session: Session, *, user: User | None, action: str, subject: str, detail: str = ""
) -> None:
    """:func:`add_capped` in a transaction of its own, one at a time in this process: counted and written
    together, so that a concurrent flood does not read the same count and overshoot the cap."""
    with _CAPPED_ONE_AT_A_TIME, _transaction(session):
        add_capped(session, user=user, action=action, subject=subject, detail=detail)


_CAPPED_ONE_AT_A_TIME = threading.Lock()


def add_capped(session: Session, *, user: User | None, action: str, subject: str, detail: str = "") -> None:
    """An event that a client can fire at will (a refused request, a throttled sign-in), added to the
    caller's transaction up to ``REFUSALS_LOGGED_PER_MINUTE`` a minute from one sender, so that a
    flood cannot push everything else off the log's first pages; past that, written to the server's
    own log instead (the ``stocktake.audit`` logger, on standard error), so nothing goes unrecorded.
    The sender is the signed-in user, or with no one signed in the address: one user's flood, or one
    colleague's behind the same proxy, silences no one else's refusals."""
    client = _ORIGIN.get()[0]
    if user is not None:
        sender = AuditEvent.user_id == user.id
    else:
        sender = (AuditEvent.client == client) & AuditEvent.user_id.is_(None)
    logged = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, sender, AuditEvent.at > base._now() - timedelta(minutes=1))
    )
    if logged < REFUSALS_LOGGED_PER_MINUTE:
        record(session, user=user, action=action, subject=subject, detail=detail)
        return
    _SERVER_LOG.warning(
        "%s from %s (%s, %s), over %d a minute, kept here not in the audit log: %s: %s",
        action,
        client or "the command line",
        f"user {user.id} {user.username}" if user is not None else "no one signed in",
        _ORIGIN.get()[1] or "no browser named",
        REFUSALS_LOGGED_PER_MINUTE,
        subject,
        detail,
    )
