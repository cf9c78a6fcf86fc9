"""Times as staff read them: London's wall clock (the database and the jobs keep UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def local_time(moment: datetime | str) -> str:
    """A moment as London's wall clock reads it, e.g. 5 December 2026, 05:12 (a naive time is the
    database's UTC)."""
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).strftime("%-d %B %Y, %H:%M")
