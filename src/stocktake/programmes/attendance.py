"""Attendance rates and completion, from who attended which of a cohort's sessions.

A session counts once its attendance is recorded (anyone marked present or absent); before that it
is scheduled, and counts in neither rate. A participant not marked for a recorded session was not
there. A participant completes when their attended sessions reach the programme's share of all the
cohort's sessions, scheduled ones included (``needed``): until the last session is recorded someone
short of it is "in progress", after it "not completed".

A load of marks is compared before it is written (``compare``): the sessions it would create, the
marks it would add or change, the people it would make absent by recording a session they are not
marked for, and completion before and after, so that the lead confirms what the load does.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

COMPLETED, IN_PROGRESS, NOT_COMPLETED = "completed", "in progress", "not completed"


@dataclass(frozen=True)
class SessionMarks:
    """A session: its id, its module and who was marked (participant id → attended); ``label`` names
    it to people (module and date)."""

    id: int
    module: str
    marks: Mapping[int, bool]
    label: str = field(default="", compare=False)

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
        elif len(recorded) < len(sessions) or not sessions:  # no session yet: nothing missed
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


#: A register's cells read as present or absent (compared lower-cased, spaces trimmed); a blank cell
#: in a recorded session is absent, as an unmarked person is. Anything else is listed, never guessed:
#: "x" among them, which some registers use for present and others for absent.
PRESENT = frozenset({"y", "yes", "present", "attended", "✓", "✔", "1", "true", "p", "/"})
ABSENT = frozenset({"n", "no", "absent", "did not attend", "dna", "0", "false", "a", ""})


def mark_of(cell: str) -> bool | None:
    """A register cell as attended (True), absent (False) or unknown (None)."""
    text = " ".join(cell.strip().lower().split())
    if text in PRESENT:
        return True
    if text in ABSENT:
        return False
    return None


@dataclass(frozen=True)
class MarkChange:
    session: str  # the session's label
    participant_id: int
    old: bool | None  # None: not marked before
    new: bool


@dataclass(frozen=True)
class StatusChange:
    participant_id: int
    old: str
    new: str


@dataclass(frozen=True)
class AttendancePreview:
    """What writing a load of marks (or adding people) would change, for the lead to confirm."""

    created: tuple[str, ...]  # sessions the load would create
    added: tuple[MarkChange, ...]
    changed: tuple[MarkChange, ...]
    unchanged: int
    made_absent: tuple[MarkChange, ...]  # not marked in a session the load records for the first time
    joining: tuple[int, ...]  # participants the load adds
    before: CohortAttendance
    after: CohortAttendance
    statuses: tuple[StatusChange, ...]  # everyone whose completion would change

    @property
    def needs_confirming(self) -> bool:
        """Anything beyond new marks in existing sessions: a created session, a changed mark, someone
        made absent, someone who would lose their completion, or people added."""
        lost = any(s.old == COMPLETED for s in self.statuses)
        return bool(self.created or self.changed or self.made_absent or lost or self.joining)

    def summary(self) -> list:
        """What the preview promised, comparable with a later one (JSON-safe): its changes, and the
        sessions and completion before and after, so a session added or a mark changed by someone
        else meanwhile shows the new preview instead of writing."""

        def state(attendance: CohortAttendance) -> list:
            people = [
                [p.participant_id, p.status, p.rate.attended, p.rate.possible]
                for p in attendance.by_participant
            ]
            return [attendance.sessions, attendance.recorded, attendance.needed, people]

        return [
            list(self.created),
            [[c.session, c.participant_id, c.old, c.new] for c in self.added + self.changed],
            [[c.session, c.participant_id] for c in self.made_absent],
            list(self.joining),
            self.unchanged,
            state(self.before),
            state(self.after),
        ]


def compare(
    participants: Sequence[int],
    before: Sequence[SessionMarks],
    after: Sequence[SessionMarks],
    share: float,
    joining: Sequence[int] = (),
    loaded: Collection[tuple[int, int]] | None = None,
) -> AttendancePreview:
    """``before``: the cohort's sessions now; ``after``: the same sessions (same ids) with the load's
    marks merged in, and any new ones (ids not in ``before``); ``joining``: participants the load adds
    (in neither list before); ``loaded``: the (session id, participant id) marks the file gives, so
    that "unchanged" counts only those (None: every mark in ``after``)."""
    old = {s.id: s for s in before}
    added, changed, absent, unchanged = [], [], [], 0
    everyone = [*participants, *joining]
    for held in after:
        was = old.get(held.id)
        was_marks = was.marks if was is not None else {}
        for pid, present in held.marks.items():
            if pid not in was_marks:
                added.append(MarkChange(held.label, pid, None, bool(present)))
            elif bool(was_marks[pid]) != bool(present):
                changed.append(MarkChange(held.label, pid, bool(was_marks[pid]), bool(present)))
            elif loaded is None or (held.id, pid) in loaded:
                unchanged += 1
        if held.recorded and not was_marks:  # recorded for the first time: the unmarked are absent
            absent.extend(
                MarkChange(held.label, pid, None, False) for pid in everyone if pid not in held.marks
            )
    then = cohort_attendance(participants, before, share)
    now = cohort_attendance(everyone, after, share)
    was_status = {p.participant_id: p.status for p in then.by_participant}
    statuses = tuple(
        StatusChange(p.participant_id, was_status[p.participant_id], p.status)
        for p in now.by_participant
        if p.participant_id in was_status and was_status[p.participant_id] != p.status
    )
    return AttendancePreview(
        created=tuple(s.label for s in after if s.id not in old),
        added=tuple(added),
        changed=tuple(changed),
        unchanged=unchanged,
        made_absent=tuple(absent),
        joining=tuple(joining),
        before=then,
        after=now,
        statuses=statuses,
    )
