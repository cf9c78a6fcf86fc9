"""A consultant's job plan: the weekly timetable, each activity typed, and the on-call commitment.

Times are minutes after midnight on the activity's weekday (an evening list to midnight ends at
1440), so the arithmetic needs no dates. A week pattern says how often an activity happens: every
week, in week A or week B of a two-week cycle, one week in N, or a number of times a year (an
annualised plan).
"""

from __future__ import annotations

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


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
