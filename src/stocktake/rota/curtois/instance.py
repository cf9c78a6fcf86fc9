"""The Employee Shift Scheduling Benchmark (Curtois, 2014): instances, rosters and their score.

The scorer is written from the format's description alone, independently of the solver, so that a
solver's roster counts only when it re-scores to the claimed objective with no hard rule broken.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Shift:
    id: str
    minutes: int
    cannot_follow: frozenset[str]  # shifts that may not be worked the day after this one


@dataclass(frozen=True)
class Staff:
    id: str
    max_shifts: dict[str, int]
    max_minutes: int
    min_minutes: int
    max_consecutive: int
    min_consecutive: int
    min_consecutive_off: int
    max_weekends: int


@dataclass(frozen=True)
class Request:
    staff: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class Cover:
    day: int
    shift: str
    requirement: int
    under_weight: int
    over_weight: int


@dataclass(frozen=True)
class Instance:
    name: str
    days: int
    shifts: tuple[Shift, ...]
    staff: tuple[Staff, ...]
    days_off: dict[str, frozenset[int]]
    on_requests: tuple[Request, ...]
    off_requests: tuple[Request, ...]
    cover: tuple[Cover, ...]

    def shift(self, shift_id: str) -> Shift:
        return next(s for s in self.shifts if s.id == shift_id)

    @property
    def weekends(self) -> list[tuple[int, int]]:
        """(Saturday, Sunday) day pairs; day 0 is a Monday."""
        return [(d, d + 1) for d in range(5, self.days, 7)]


def read_instance(path: Path) -> Instance:
    sections: dict[str, list[list[str]]] = defaultdict(list)
    current = None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            current = line
            continue
        sections[current].append([part.strip() for part in line.split(",")])
    shifts = tuple(
        Shift(r[0], int(r[1]), frozenset(p for p in r[2].split("|") if p) if len(r) > 2 else frozenset())
        for r in sections["SECTION_SHIFTS"]
    )
    staff = tuple(
        Staff(
            r[0],
            {k: int(v) for k, v in (p.split("=") for p in r[1].split("|") if p)},
            int(r[2]),
            int(r[3]),
            int(r[4]),
            int(r[5]),
            int(r[6]),
            int(r[7]),
        )
        for r in sections["SECTION_STAFF"]
    )
    return Instance(
        name=Path(path).stem,
        days=int(sections["SECTION_HORIZON"][0][0]),
        shifts=shifts,
        staff=staff,
        days_off={r[0]: frozenset(int(d) for d in r[1:] if d) for r in sections["SECTION_DAYS_OFF"]},
        on_requests=tuple(
            Request(r[0], int(r[1]), r[2], int(r[3])) for r in sections["SECTION_SHIFT_ON_REQUESTS"]
        ),
        off_requests=tuple(
            Request(r[0], int(r[1]), r[2], int(r[3])) for r in sections["SECTION_SHIFT_OFF_REQUESTS"]
        ),
        cover=tuple(
            Cover(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4])) for r in sections["SECTION_COVER"]
        ),
    )


Roster = dict[tuple[str, int], str]  # (staff, day) → shift; absent means off


@dataclass(frozen=True)
class Score:
    objective: int
    violations: tuple[str, ...]  # hard rules broken, in words


def _runs(worked: list[bool], value: bool) -> list[tuple[int, int]]:
    """(start, length) of each run of ``value``."""
    runs, start = [], None
    for day, flag in enumerate([*worked, not value]):
        if flag == value and start is None:
            start = day
        elif flag != value and start is not None:
            runs.append((start, day - start))
            start = None
    return runs


def score(instance: Instance, roster: Roster) -> Score:
    """The objective of ``roster`` and every hard rule it breaks.

    Runs of work or rest that touch the start or end of the horizon are not held to the minimum
    lengths: they may continue outside it.
    """
    broken = []
    for person in instance.staff:
        shifts = [roster.get((person.id, d)) for d in range(instance.days)]
        worked = [s is not None for s in shifts]
        for shift_id, most in person.max_shifts.items():
            if shifts.count(shift_id) > most:
                broken.append(f"{person.id}: {shifts.count(shift_id)} {shift_id} shifts, at most {most}")
        minutes = sum(instance.shift(s).minutes for s in shifts if s)
        if not person.min_minutes <= minutes <= person.max_minutes:
            broken.append(
                f"{person.id}: {minutes} minutes, outside {person.min_minutes}–{person.max_minutes}"
            )
        for day in range(instance.days - 1):
            if shifts[day] and shifts[day + 1] in instance.shift(shifts[day]).cannot_follow:
                broken.append(f"{person.id}: {shifts[day + 1]} on day {day + 1} after {shifts[day]}")
        for start, length in _runs(worked, True):
            if length > person.max_consecutive:
                broken.append(f"{person.id}: {length} shifts in a row from day {start}")
            if length < person.min_consecutive and start > 0 and start + length < instance.days:
                broken.append(f"{person.id}: only {length} shifts in a row from day {start}")
        for start, length in _runs(worked, False):
            if length < person.min_consecutive_off and start > 0 and start + length < instance.days:
                broken.append(f"{person.id}: only {length} days off in a row from day {start}")
        weekends = sum(worked[sat] or (sun < instance.days and worked[sun]) for sat, sun in instance.weekends)
        if weekends > person.max_weekends:
            broken.append(f"{person.id}: {weekends} weekends worked, at most {person.max_weekends}")
        for day in instance.days_off.get(person.id, ()):
            if worked[day]:
                broken.append(f"{person.id}: works on day {day}, a day off")
    penalty = sum(r.weight for r in instance.on_requests if roster.get((r.staff, r.day)) != r.shift)
    penalty += sum(r.weight for r in instance.off_requests if roster.get((r.staff, r.day)) == r.shift)
    for cover in instance.cover:
        on = sum(1 for p in instance.staff if roster.get((p.id, cover.day)) == cover.shift)
        penalty += cover.under_weight * max(cover.requirement - on, 0) + cover.over_weight * max(
            on - cover.requirement, 0
        )
    return Score(penalty, tuple(broken))


def read_roster(path: Path) -> Roster:
    """employee,day,shift rows (day from 0), as `stocktake rota curtois` writes them."""
    lines = Path(path).read_text().splitlines()[1:]
    return {(e, int(d)): s for e, d, s in (line.split(",") for line in lines if line)}


def write_roster(roster: Roster, path: Path) -> None:
    rows = sorted(roster.items(), key=lambda item: (item[0][0], item[0][1]))
    Path(path).write_text("employee,day,shift\n" + "".join(f"{e},{d},{s}\n" for (e, d), s in rows))
