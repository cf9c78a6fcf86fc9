"""What every action shares: the refusal they raise, their one transaction, and the clock.

The clock is ``base._now`` looked up at each call (never imported by name), so a test that moves it
moves it for every action at once.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.orm import Session


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
    """Naive UTC, as the database stores times; tests move every action's clock by patching this."""
    return datetime.now(UTC).replace(tzinfo=None)
