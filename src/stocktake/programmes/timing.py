"""Level 4: did a measure's change come after the cohort began? A shift that started before the
participants joined the programme is not evidence of the programme, and the report says so beside the
verdict rather than let "Moved the needle" stand next to their names (issue 29's attack, ADR 31).

Pure: the chart's dates and point types, the verdict's category and the change dates that restarted
the limits are given; nothing here reads the stock-take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

#: The special-cause points behind a verdict that claims a change, and the opposite ones that mark
#: the time before it.
CHANGE_POINTS = {
    "moved_the_needle": ("special_cause_improvement", "special_cause_concern"),
    "going_backwards": ("special_cause_concern", "special_cause_improvement"),
    "changed": ("special_cause_neutral_high", "special_cause_neutral_low"),
}


@dataclass(frozen=True)
class ChangeTiming:
    """When the change the verdict reads began (None: the verdict claims no change), and in words
    against the cohort's start."""

    changed_on: date | None
    after_start: bool | None
    words: str


def change_began(dates: Sequence[date], point_types: Sequence[str], category: str, rebases=()) -> date | None:
    """The month the verdict's change began: the latest change date that restarted the limits when
    there is one; else the first point of the verdict's kind after the last point of the opposite kind
    (a step's before and after sit on opposite sides of the one mean). None when the verdict claims
    no change."""
    if category not in CHANGE_POINTS:
        return None
    if rebases:
        return max(rebases)
    kind, opposite = CHANGE_POINTS[category]
    types = list(point_types)
    if category == "changed":  # neutral: whichever side the latest special point is on
        latest = next((t for t in reversed(types) if t.startswith("special_cause_neutral")), None)
        if latest is None:
            return None
        kind = latest
        opposite = "special_cause_neutral_low" if latest.endswith("high") else "special_cause_neutral_high"
    last_opposite = max((i for i, t in enumerate(types) if t == opposite), default=-1)
    first = next((i for i in range(last_opposite + 1, len(types)) if types[i] == kind), None)
    return None if first is None else _day(dates[first])


def _day(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def against_cohort(changed_on: date | None, starts_on: date | None) -> ChangeTiming:
    """The change's date against the cohort's start, in words the report prints beside the verdict."""
    if changed_on is None:
        return ChangeTiming(None, None, "")
    if starts_on is None:
        return ChangeTiming(changed_on, None, f"changed in {changed_on:%b %Y}; the cohort has no start date")
    if changed_on >= _month(starts_on):
        return ChangeTiming(
            changed_on, True, f"changed in {changed_on:%b %Y}, after this cohort began in {starts_on:%b %Y}"
        )
    return ChangeTiming(
        changed_on,
        False,
        f"changed in {changed_on:%b %Y}, before this cohort began in {starts_on:%b %Y}: "
        "not evidence of the programme",
    )


def _month(day: date) -> date:
    """A monthly measure's point is dated the 1st: a cohort starting on 8 Jan 2024 began in January."""
    return day.replace(day=1)
