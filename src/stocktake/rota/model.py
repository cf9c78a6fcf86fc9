"""What a rota must achieve: doctors, shift types, cover, 1-in-n patterns, leave and requests.

A rota problem is read from a YAML file (``stocktake rota example`` writes a worked one) and
checked by pydantic, so a mistake is reported with its place in the file. Every shift type is then
expanded into dated duties on real clock times, the unit both the optimiser and the checker use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, time, timedelta
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stocktake.rota.duties import Duty, control_character, duty_on
from stocktake.rota.rules import Limits

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RotaSpecError(ValueError):
    """A rota specification that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Doctor:
    id: str
    name: str
    grade: str
    sites: tuple[str, ...]
    wte: float = 1.0
    on_call: bool = True
    opted_out: bool = False
    leave: frozenset[date] = frozenset()


@dataclass(frozen=True)
class ShiftType:
    id: str
    label: str
    site: str
    start: time
    end: time  # at or before the start means the next day
    days: tuple[int, ...]  # weekdays, Monday = 0
    cover: int = 1
    cover_max: int = 1
    kind: str = "shift"  # "shift" or "on_call" (non-resident)
    expected_hours: float | None = None
    expected_episodes: float | None = None
    breaks: tuple[time, ...] | None = None  # start times of 30-minute breaks; None: not rostered

    def duty(self, doctor: str, day: date) -> Duty:
        return duty_on(doctor, day, self, self.label)


@dataclass(frozen=True)
class Pattern:
    """A 1-in-n rota: these doctors share these shift types, each in proportion to their WTE."""

    name: str
    one_in: int
    shifts: tuple[str, ...]
    doctors: tuple[str, ...]
    weekends_together: bool = False  # the same doctor works Saturday and Sunday


@dataclass(frozen=True)
class Request:
    """A doctor's wish: a day off (``shift`` None) or a particular duty; honoured when it can be."""

    doctor: str
    date: date
    shift: str | None = None
    weight: int = 2


@dataclass(frozen=True)
class Slot:
    """One shift type on one date: the thing cover counts and a doctor is assigned to."""

    shift: ShiftType
    date: date

    @cached_property
    def duty(self) -> Duty:
        return self.shift.duty("", self.date)


@dataclass(frozen=True)
class RotaProblem:
    name: str
    start: date
    weeks: int
    doctors: tuple[Doctor, ...]
    shifts: tuple[ShiftType, ...]
    patterns: tuple[Pattern, ...] = ()
    requests: tuple[Request, ...] = ()
    limits: Limits = field(default_factory=Limits)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=7 * self.weeks - 1)

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(7 * self.weeks)]

    def slots(self) -> list[Slot]:
        return [Slot(s, d) for d in self.dates for s in self.shifts if d.weekday() in s.days]

    def doctor(self, doctor_id: str) -> Doctor:
        return next(d for d in self.doctors if d.id == doctor_id)

    def shift(self, shift_id: str) -> ShiftType:
        return next(s for s in self.shifts if s.id == shift_id)

    def eligible(self, shift: ShiftType) -> tuple[Doctor, ...]:
        """A pattern's doctors for its shift types; otherwise every doctor of the shift's site."""
        sharing = [p for p in self.patterns if shift.id in p.shifts]
        if sharing:
            ids = {d for p in sharing for d in p.doctors}
            chosen = [d for d in self.doctors if d.id in ids]
        else:
            chosen = [d for d in self.doctors if shift.site in d.sites]
        return tuple(d for d in chosen if shift.kind == "shift" or d.on_call)


# --- reading the YAML ---------------------------------------------------------------------------


def refuse_control_characters(value):
    """A ``mode="before"`` check for every field: a text, or each text of a list, with no control
    character (``control_character``)."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str) and (why := control_character(text)):
            raise ValueError(why)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_control(cls, value):
        return refuse_control_characters(value)


class _DoctorSpec(_Strict):
    id: str
    name: str = ""
    grade: str = ""
    sites: list[str] = Field(min_length=1)
    wte: float = Field(1.0, gt=0, le=1)
    on_call: bool = True
    opted_out: bool = False
    leave: list[str] = []

    @field_validator("leave", mode="before")
    @classmethod
    def _as_text(cls, values):
        """YAML reads a bare ``2026-02-16`` as a date: the same day as the text would name."""
        if isinstance(values, list):
            return [v.isoformat() if isinstance(v, date) else v for v in values]
        return values

    @field_validator("leave")
    @classmethod
    def _dates(cls, values: list[str]) -> list[str]:
        for value in values:
            _leave_days(value)
        return values


class _ShiftSpec(_Strict):
    id: str
    label: str = ""
    site: str
    start: time
    end: time
    days: list[str] = list(WEEKDAYS)
    cover: int = Field(1, ge=0)
    cover_max: int | None = None
    kind: str = Field("shift", pattern="^(shift|on_call)$")
    expected_hours: float | None = Field(None, ge=0)
    expected_episodes: float | None = Field(None, ge=0)
    breaks: list[time] | None = None

    @field_validator("days")
    @classmethod
    def _weekdays(cls, values: list[str]) -> list[str]:
        wrong = [v for v in values if v not in WEEKDAYS]
        if wrong:
            raise ValueError(f"{wrong} are not days of the week; use {', '.join(WEEKDAYS)}")
        return values

    @model_validator(mode="after")
    def _on_call_hours(self) -> _ShiftSpec:
        if self.kind == "on_call" and self.expected_hours is None:
            raise ValueError("a non-resident on-call period needs expected_hours (the work expected in it)")
        if self.cover_max is not None and self.cover_max < self.cover:
            raise ValueError(f"cover_max {self.cover_max} is below cover {self.cover}")
        return self


class _PatternSpec(_Strict):
    name: str
    one_in: int = Field(ge=1)
    shifts: list[str] = Field(min_length=1)
    doctors: list[str] = Field(min_length=1)
    weekends_together: bool = False


class _RequestSpec(_Strict):
    doctor: str
    date: date
    shift: str | None = None
    weight: int = Field(2, ge=1)


class _ProblemSpec(_Strict):
    name: str
    start: date
    weeks: int = Field(ge=1, le=26)
    limits: dict[str, float | bool] = {}
    doctors: list[_DoctorSpec] = Field(min_length=1)
    shifts: list[_ShiftSpec] = Field(min_length=1)
    patterns: list[_PatternSpec] = []
    requests: list[_RequestSpec] = []

    @field_validator("start")
    @classmethod
    def _monday(cls, value: date) -> date:
        if value.weekday() != 0:
            raise ValueError(f"{value} is a {WEEKDAYS[value.weekday()]}; a rota period starts on a Monday")
        return value

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, values: dict) -> dict:
        known = {f.name for f in fields(Limits)} - {"opted_out", "wte"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown limit(s) {unknown}; known: {', '.join(sorted(known))}")
        return values

    @model_validator(mode="after")
    def _references(self) -> _ProblemSpec:
        doctors, shifts = {d.id for d in self.doctors}, {s.id for s in self.shifts}
        for pattern in self.patterns:
            _known(pattern.doctors, doctors, f"pattern {pattern.name!r}: doctor")
            _known(pattern.shifts, shifts, f"pattern {pattern.name!r}: shift")
        for request in self.requests:
            _known([request.doctor], doctors, "request: doctor")
            if request.shift is not None:
                _known([request.shift], shifts, "request: shift")
        _grid_codes([s.label or s.id for s in self.shifts])
        return self


def _grid_codes(labels: list[str]) -> None:
    """Labels are the grid's codes: each must name one shift type, and ``Leave`` is taken."""
    seen = {"LEAVE"}
    for label in labels:
        if "+" in label or label.upper() in seen:
            raise ValueError(
                f"shift label {label!r} is used twice, is 'Leave' or holds '+'; "
                "each label names its duties in the grid"
            )
        seen.add(label.upper())


def _known(values, known: set[str], what: str) -> None:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"{what} {unknown[0]!r} is not defined")


def _leave_days(value: str) -> list[date]:
    """``2026-02-16`` or a range ``2026-02-16..2026-02-20`` (both ends included)."""
    first, _, last = str(value).partition("..")
    try:
        begin, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
    except ValueError as error:
        raise ValueError(
            f"{value!r} is not a date like 2026-02-16 or a range 2026-02-16..2026-02-20"
        ) from error
    if end < begin:
        raise ValueError(f"{value!r} ends before it starts")
    return [begin + timedelta(days=i) for i in range((end - begin).days + 1)]


def spec_errors(data: dict) -> list[dict]:
    """pydantic's errors for a specification's mapping, each with its place (none: it is a rota), for
    a reader that names places in its own words (the rota form names a section, row and field)."""
    try:
        _ProblemSpec.model_validate(data)
    except ValidationError as error:
        return error.errors()
    return []


def spec_place(loc) -> str:
    """A place in a specification as the form names it, counted from 1: ``doctors, row 1, name`` rather
    than pydantic's ``doctors.0.name``; a place within a row's list is an item (``leave, item 2``)."""
    words, rows = [], 0
    for part in loc:
        if isinstance(part, int):
            words.append(f"{'row' if rows == 0 else 'item'} {part + 1}")
            rows += 1
        else:
            words.append(str(part))
    return ", ".join(words) or "top level"


def parse_problem(data: dict, where: str = "rota specification") -> RotaProblem:
    try:
        spec = _ProblemSpec.model_validate(data)
    except ValidationError as error:
        found = [f"{spec_place(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()]
        raise RotaSpecError(f"{where}: {found[0]} ({len(found)} problem(s) in all)") from error
    opted_out = frozenset(d.id for d in spec.doctors if d.opted_out)
    return RotaProblem(
        name=spec.name,
        start=spec.start,
        weeks=spec.weeks,
        doctors=tuple(
            Doctor(
                d.id,
                d.name or d.id,
                d.grade,
                tuple(d.sites),
                d.wte,
                d.on_call,
                d.opted_out,
                frozenset(day for value in d.leave for day in _leave_days(value)),
            )
            for d in spec.doctors
        ),
        shifts=tuple(
            ShiftType(
                s.id,
                s.label or s.id,
                s.site,
                s.start,
                s.end,
                tuple(WEEKDAYS.index(day) for day in s.days),
                s.cover,
                s.cover if s.cover_max is None else s.cover_max,
                s.kind,
                s.expected_hours,
                s.expected_episodes,
                None if s.breaks is None else tuple(s.breaks),
            )
            for s in spec.shifts
        ),
        patterns=tuple(
            Pattern(p.name, p.one_in, tuple(p.shifts), tuple(p.doctors), p.weekends_together)
            for p in spec.patterns
        ),
        requests=tuple(Request(r.doctor, r.date, r.shift, r.weight) for r in spec.requests),
        limits=Limits(
            **_typed_limits(spec.limits),
            opted_out=opted_out,
            wte=tuple((d.id, d.wte) for d in spec.doctors if d.wte < 1),
        ),
    )


def _typed_limits(values: dict) -> dict:
    """YAML numbers as the type each limit has (a count of shifts stays a whole number)."""
    defaults = Limits()
    return {name: type(getattr(defaults, name))(value) for name, value in values.items()}


def read_problem(path: Path) -> RotaProblem:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise RotaSpecError(f"{path}: cannot read the rota specification: {error}") from error
    if not isinstance(data, dict):
        raise RotaSpecError(f"{path}: expected a mapping with name, start, weeks, doctors, shifts")
    return parse_problem(data, str(path))


EXAMPLE = Path(__file__).with_name("example_rota.yaml")
