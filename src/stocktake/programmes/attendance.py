"""Attendance rates and completion, from who attended which of a cohort's sessions.

A session counts once its attendance is recorded (anyone marked present or absent); before that it
is scheduled, and counts in neither rate. A participant not marked for a recorded session was not
there. A participant completes when their attended sessions reach the programme's share of all the
cohort's sessions, scheduled ones included (``needed``): until the last session is recorded someone
short of it is "in progress", after it "not completed".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

COMPLETED, IN_PROGRESS, NOT_COMPLETED = "completed", "in progress", "not completed"


@dataclass(frozen=True)
class SessionMarks:
    """A session: its id, its module and who was marked (participant id → attended)."""

    id: int
    module: str
    marks: Mapping[int, bool]

    @property
    def recorded(self) -> bool:
        return bool(self.marks)


@dataclass(frozen=True)
class Rate:
    attended: int
    possible: int

    @property
    def share(self) -> float:
        return self.attended / self.possible if self.possible else float("nan")

    @property
    def percent(self) -> str:
        return "–" if not self.possible else f"{100 * self.share:.0f}%"


@dataclass(frozen=True)
class ParticipantAttendance:
    participant_id: int
    rate: Rate
    status: str


@dataclass(frozen=True)
class CohortAttendance:
    sessions: int  # every session of the cohort, scheduled or recorded
    recorded: int
    needed: int  # sessions to attend to complete
    by_participant: tuple[ParticipantAttendance, ...]
    by_module: tuple[tuple[str, Rate], ...]

    @property
    def completed(self) -> int:
        return sum(p.status == COMPLETED for p in self.by_participant)

    @property
    def overall(self) -> Rate:
        return Rate(
            sum(p.rate.attended for p in self.by_participant), self.recorded * len(self.by_participant)
        )


def sessions_needed(sessions: int, share: float) -> int:
    """The sessions to attend for ``share`` of ``sessions`` (rounded up: 80% of 6 is 5)."""
    return math.ceil(round(share * sessions, 9))


def cohort_attendance(
    participants: Sequence[int], sessions: Sequence[SessionMarks], share: float
) -> CohortAttendance:
    recorded = [s for s in sessions if s.recorded]
    needed = sessions_needed(len(sessions), share)
    rows = []
    for pid in participants:
        attended = sum(bool(s.marks.get(pid, False)) for s in recorded)
        if attended >= needed and sessions:
            status = COMPLETED
        elif len(recorded) < len(sessions):
            status = IN_PROGRESS
        else:
            status = NOT_COMPLETED
        rows.append(ParticipantAttendance(pid, Rate(attended, len(recorded)), status))
    modules: dict[str, list[int]] = {}
    for s in recorded:
        tally = modules.setdefault(s.module, [0, 0])
        tally[0] += sum(bool(s.marks.get(pid, False)) for pid in participants)
        tally[1] += len(participants)
    for s in sessions:  # modules with no recorded session yet are listed too
        modules.setdefault(s.module, [0, 0])
    return CohortAttendance(
        sessions=len(sessions),
        recorded=len(recorded),
        needed=needed,
        by_participant=tuple(rows),
        by_module=tuple((m, Rate(a, p)) for m, (a, p) in modules.items()),
    )
