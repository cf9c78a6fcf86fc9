"""Fairness of a rota: each doctor's share of the burdens against their whole-time equivalent.

A burden is counted per doctor over the doctors who can carry it (those eligible for at least one of
its duties); a doctor's fair share is the total times their WTE over the group's WTE. The optimiser
minimises the distance from these shares; the same definitions measure any rota afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stocktake.rota.check import is_long, is_night, weekends_worked
from stocktake.rota.model import Doctor, RotaProblem, Slot


@dataclass(frozen=True)
class Burden:
    name: str
    weight: int  # cost of one unit of distance from the fair share, relative to the other burdens
    value: Callable[[Slot], int]  # units this slot adds (0 = not part of this burden)
    doctors: tuple[Doctor, ...]
    unit: str = "duties"


HALF_HOURS_PER_HOUR = 2
DUTY_WEIGHT = 20  # one duty away from a fair share costs as much as five hours of work (4 per hour)


def _half_hours(slot: Slot) -> int:
    return round(slot.duty.work_hours * HALF_HOURS_PER_HOUR)


def _carriers(problem: RotaProblem, counts: Callable[[Slot], object]) -> tuple[Doctor, ...]:
    """The doctors eligible for at least one slot that counts."""
    ids = {d.id for s in problem.slots() if counts(s) for d in problem.eligible(s.shift)}
    return tuple(d for d in problem.doctors if d.id in ids)


def burdens(problem: RotaProblem) -> list[Burden]:
    """Each 1-in-n pattern, nights, long shifts and hours of work (weekends are counted apart)."""
    found = []
    for pattern in problem.patterns:
        value = lambda s, shifts=pattern.shifts: int(s.shift.id in shifts)  # noqa: E731
        doctors = tuple(d for d in problem.doctors if d.id in pattern.doctors)
        found.append(Burden(pattern.name, DUTY_WEIGHT, value, doctors))
    for name, kind in (("nights", is_night), ("long shifts", is_long)):
        value = lambda s, kind=kind: int(kind(s.duty))  # noqa: E731
        if carriers := _carriers(problem, value):
            found.append(Burden(name, DUTY_WEIGHT, value, carriers))
    found.append(Burden("hours of work", 2, _half_hours, problem.doctors, "half hours"))
    return found


WEEKENDS = "weekends worked"


def weekend_carriers(problem: RotaProblem) -> tuple[Doctor, ...]:
    """Doctors who could work a weekend (a Friday duty can run into Saturday)."""
    return _carriers(problem, lambda s: s.date.weekday() >= 4)


@dataclass(frozen=True)
class Share:
    burden: str
    doctor: str
    wte: float
    count: float
    fair_share: float

    @property
    def difference(self) -> float:
        return self.count - self.fair_share


def shares(problem: RotaProblem, assigned: dict[str, list[Slot]]) -> list[Share]:
    """Each doctor's count of each burden beside their fair share (hours in hours)."""
    rows = []
    for burden in burdens(problem):
        scale = HALF_HOURS_PER_HOUR if burden.unit == "half hours" else 1
        counts = {d.id: sum(burden.value(s) for s in assigned.get(d.id, [])) / scale for d in burden.doctors}
        rows += _against_wte(burden.name, burden.doctors, counts)
    carriers = weekend_carriers(problem)
    worked = {
        d.id: weekends_worked(
            [s.shift.duty(d.id, s.date) for s in assigned.get(d.id, [])], problem.start, problem.end
        )[0]
        for d in carriers
    }
    return rows + _against_wte(WEEKENDS, carriers, worked)


def _against_wte(name: str, doctors, counts: dict[str, float]) -> list[Share]:
    total, wte = sum(counts.values()), sum(d.wte for d in doctors)
    return [Share(name, d.id, d.wte, counts[d.id], total * d.wte / wte if wte else 0.0) for d in doctors]


@dataclass(frozen=True)
class Frequency:
    """How often a doctor works a 1-in-n pattern: its days over the doctor's duties in it."""

    pattern: str
    stated: int
    doctor: str
    duties: int
    days: int

    @property
    def one_in(self) -> float | None:
        return self.days / self.duties if self.duties else None


def frequencies(problem: RotaProblem, assigned: dict[str, list[Slot]]) -> list[Frequency]:
    slots = problem.slots()
    found = []
    for pattern in problem.patterns:
        days = len({s.date for s in slots if s.shift.id in pattern.shifts})
        for doctor_id in pattern.doctors:
            duties = sum(s.shift.id in pattern.shifts for s in assigned.get(doctor_id, []))
            found.append(Frequency(pattern.name, pattern.one_in, doctor_id, duties, days))
    return found
