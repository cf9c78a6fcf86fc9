"""A consultant's job plan: the weekly timetable, each activity typed, and the on-call commitment.

Times are minutes after midnight on the activity's weekday (an evening list to midnight ends at
1440), so the arithmetic needs no dates. A week pattern says how often an activity happens: every
week, in week A or week B of a two-week cycle, one week in N, or a number of times a year (an
annualised plan).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FULL_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TYPES = ("DCC", "SPA", "additional_nhs", "external")
STATES = ("draft", "proposed", "agreed", "superseded")
CATEGORIES = ("A", "B")


@dataclass(frozen=True)
class WeekPattern:
    """How often an activity happens: ``every``, ``A``, ``B``, ``one_in`` (``n`` weeks) or
    ``per_year`` (``n`` times a year)."""

    kind: str = "every"
    n: float | None = None

    def per_working_week(self, working_weeks: float) -> float:
        """Average occurrences in a working week (an annualised count spread over the weeks worked)."""
        if self.kind == "every":
            return 1.0
        if self.kind in ("A", "B"):
            return 0.5
        if self.kind == "one_in":
            return 1.0 / float(self.n or 1)
        return float(self.n or 0) / working_weeks

    def may_coincide(self, other: WeekPattern) -> bool:
        """Week A and week B never fall in the same week; any other pair may."""
        return {self.kind, other.kind} != {"A", "B"}

    @property
    def label(self) -> str:
        if self.kind == "every":
            return "every week"
        if self.kind in ("A", "B"):
            return f"week {self.kind}"
        if self.kind == "one_in":
            return f"1 in {self.n:g} weeks"
        return f"{self.n:g} a year"


EVERY_WEEK = WeekPattern()


@dataclass(frozen=True)
class Activity:
    weekday: int  # Monday = 0
    start: int  # minutes after midnight
    end: int  # minutes after midnight, after start; 1440 is midnight at the end of the day
    activity: str  # what the session is: theatre, clinic, fracture clinic, VFC, ward round, SPA…
    type: str  # DCC | SPA | additional_nhs | external
    site: str = ""
    weeks: WeekPattern = EVERY_WEEK

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 60

    @property
    def when(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {clock(self.start)}–{clock(self.end)}"


@dataclass(frozen=True)
class OnCallCommitment:
    """The on-call rota a consultant is on; ``doctor`` is their name in the rota file."""

    rota: str
    category: str  # A or B (Schedule 16)
    one_in: float | None = None  # the stated frequency, used when no rota file is given
    doctor: str = ""
    unpredictable_pas: float = 0.0  # agreed PAs of unpredictable emergency work, where known


@dataclass(frozen=True)
class JobPlan:
    consultant: str
    year: str
    activities: tuple[Activity, ...]
    on_call: OnCallCommitment | None = None
    name: str = ""
    state: str = "draft"  # draft → proposed → agreed → superseded; the workspace keeps its own (store.py)
    agreed_by: str = ""
    agreed_on: date | None = None
    working_weeks: float = 42.0

    @property
    def sites(self) -> frozenset[str]:
        return frozenset(a.site for a in self.activities if a.site)

    @property
    def rota_doctor(self) -> str:
        return (self.on_call.doctor if self.on_call and self.on_call.doctor else "") or self.consultant


def consultant_code(text: str) -> str:
    """The form a consultant's code is kept and compared in: trimmed, inner spaces single, upper case."""
    return " ".join(str(text).split()).upper()


def financial_year(text: str) -> str:
    """A financial year as it is kept and compared: ``YYYY/YY``. Read from ``2026/27``, ``2026-27``,
    ``26/27`` or ``2026/2027``; the second year must follow the first. Anything else is refused, since a
    year that does not parse cannot be put in order against the others."""
    value = str(text).strip()
    found = _YEAR_FORMS.fullmatch(value)
    if found is None:
        raise ValueError(f"{value!r} is not a financial year; write it like 2026/27")
    first, second = (g for g in found.groups() if g is not None)
    start = int(first) if len(first) == 4 else 2000 + int(first)
    follows = int(second) == start + 1 if len(second) == 4 else int(second) == (start + 1) % 100
    if not follows:
        raise ValueError(f"{value!r} is not a financial year: {second} does not follow {first}")
    return f"{start}/{(start + 1) % 100:02d}"


def year_key(year: str) -> tuple[int, str]:
    """A plan year's order, and its identity: ``26/27``, ``2026-27`` and ``2026/27`` are one year, and
    2025/26 comes before it. A year that does not parse (a plan kept before years were checked) comes
    before every year that does, and so stands before no agreement."""
    try:
        year = financial_year(year)
    except ValueError:
        return (-1, str(year))
    return (int(year[:4]), year)


_YEAR_FORMS = re.compile(r"(\d{4})[/-](\d{2})|(\d{2})/(\d{2})|(\d{4})/(\d{4})")


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
