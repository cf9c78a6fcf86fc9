"""Reading a job plan from YAML or a workbook, every mistake named by file, row and field.

YAML: the fields of ``example_jobplan.yaml``; each activity is a row of ``activities`` (row 1 is the
first). A workbook: a ``Plan`` sheet of ``field, value`` rows (the on-call fields as ``on_call_rota``,
``on_call_category``, ``on_call_one_in``, ``on_call_doctor``, ``on_call_unpredictable_pas``) and an
``Activities`` sheet with a column per activity field (row 2 is the first activity). YAML is read with
every value as text, so ``13:00`` stays a time rather than YAML 1.1's base-60 number 780.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stocktake.jobplan.arithmetic import find_overlaps
from stocktake.jobplan.model import (
    CATEGORIES,
    FULL_WEEKDAYS,
    STATES,
    TYPES,
    WEEKDAYS,
    Activity,
    JobPlan,
    OnCallCommitment,
    WeekPattern,
    clock,
    consultant_code,
    financial_year,
)
from stocktake.rota.duties import UnreadableWorkbook, clock_time, read_workbook
from stocktake.rota.model import refuse_control_characters

EXAMPLE = Path(__file__).with_name("example_jobplan.yaml")
PLAN_SHEET, ACTIVITY_SHEET = "Plan", "Activities"
ACTIVITY_FIELDS = ("weekday", "start", "end", "activity", "type", "site", "weeks", "per_year")
ON_CALL_FIELDS = ("rota", "category", "one_in", "doctor", "unpredictable_pas")
TYPE_NAMES = {t.lower().replace("_", " "): t for t in TYPES} | {
    "additional nhs responsibility": "additional_nhs"
}
ONE_IN = re.compile(r"1\s*(?:in|:)\s*(\d+(?:\.\d+)?)(?:\s*weeks?)?", re.IGNORECASE)
DAY_NAMES = {
    name.lower(): short for short, full in zip(WEEKDAYS, FULL_WEEKDAYS, strict=True) for name in (short, full)
}
# Bounds past which a number is a typing slip, not a plan: they keep inf, 1e999 and nan (which
# pydantic reads from YAML's text as floats) and absurd sizes out of the arithmetic.
MOST_ONE_IN = 52.0  # on call 1 in 52: once a year; the low band starts at 1 in 9
MOST_UNPREDICTABLE_PAS = 12.0  # past a whole week's PAs (the terms' warning line)
LEAST_WORKING_WEEKS = 26.0  # half the year: below it the leave typed is not a consultant's
CODE = re.compile(r"[A-Za-z0-9._-]*[A-Za-z0-9][A-Za-z0-9._-]*")  # no space or slash; a letter or digit
MOST_YEARS_AHEAD = 2  # a plan's year starting (1 April) later than this many years from today is a slip


class JobPlanInputError(ValueError):
    """A job plan that cannot be used; the message names the file, row and field. ``loc`` is where in
    the plan's mapping (``("activities", 2, "end")``) and ``reason`` the message without the place,
    for a form to name the place in its own words."""

    def __init__(self, message: str, loc: tuple = (), reason: str = ""):
        super().__init__(message)
        self.loc = tuple(loc)
        self.reason = reason or message


def _minutes(text: str) -> int:
    """Minutes after midnight; seconds other than :00 (a spreadsheet's time cell) are refused rather
    than cut, since a plan is timed to the minute."""
    moment = clock_time(text)
    if moment.second or moment.microsecond:
        raise ValueError(f"{text!r} has seconds; a job plan's times are to the minute, like 08:00")
    if text.strip().startswith("24"):
        return 24 * 60  # clock_time reads only 24:00 (or 24:00:00) this way
    return moment.hour * 60 + moment.minute


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control(cls, value):
        """Every field is one line: a vertical tab pasted from Word, a NUL or an ESC would be saved and
        then fail the check's workbook, so it is refused here, naming the row and field."""
        return refuse_control_characters(value)

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data):
        """An empty cell or YAML value is a field not given."""
        if isinstance(data, dict):
            return {
                k: v for k, v in data.items() if not (v is None or (isinstance(v, str) and not v.strip()))
            }
        return data


class _ActivitySpec(_Strict):
    weekday: str
    start: str
    end: str
    activity: str = Field(min_length=1)
    type: str
    site: str = ""
    weeks: str = "every"
    per_year: float | None = Field(None, gt=0, le=52)

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value: str) -> str:
        """A full name or its three letters (Mon, Monday), any case; not ``Monkey``."""
        short = DAY_NAMES.get(value.lower())
        if short is None:
            raise ValueError(
                f"{value!r} is not a day of the week; use {', '.join(WEEKDAYS)} or the full name"
            )
        return short

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        try:
            _minutes(value)
        except ValueError as error:
            if "has seconds" in str(error):
                raise
            raise ValueError(f"{value!r} is not a time like 08:00") from None
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        known = TYPE_NAMES.get(value.lower().replace("_", " "))
        if known is None:
            raise ValueError(f"{value!r} is not an activity type; use {', '.join(TYPES)}")
        return known

    @field_validator("weeks")
    @classmethod
    def _weeks(cls, value: str) -> str:
        _pattern(value, None)
        return value


class _OnCallSpec(_Strict):
    rota: str = Field(min_length=1)
    category: str
    one_in: float | None = Field(None, ge=1, le=MOST_ONE_IN)
    doctor: str = ""
    unpredictable_pas: float = Field(0.0, ge=0, le=MOST_UNPREDICTABLE_PAS)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value.upper() not in CATEGORIES:
            raise ValueError(f"{value!r} is not an on-call category; use A or B")
        return value.upper()


class _PlanSpec(_Strict):
    consultant: str = Field(min_length=1, max_length=80)
    year: str = Field(min_length=1)
    name: str = ""
    state: str = "draft"
    agreed_by: str = ""
    agreed_on: date | None = None
    working_weeks: float = Field(42.0, ge=LEAST_WORKING_WEEKS, le=52)
    activities: list[_ActivitySpec] = Field(min_length=1)
    on_call: _OnCallSpec | None = None

    @field_validator("consultant")
    @classmethod
    def _consultant(cls, value: str) -> str:
        """A consultant's code is one person however it is typed: ``c01`` is ``C01``. Letters, digits,
        ``-``, ``_`` and ``.`` only: the code names the plan's file, its downloads and its rows."""
        code = consultant_code(value)
        if not CODE.fullmatch(code):
            raise ValueError(
                f"{value!r} is not a consultant's code; use letters, digits, - _ or . only, "
                "with at least one letter or digit"
            )
        return code

    @field_validator("year")
    @classmethod
    def _year(cls, value: str, info: ValidationInfo) -> str:
        """``YYYY/YY`` however it was typed, so years compare as text and in order; a year far ahead
        (``2062/63`` for ``2026/27``) is refused, or it would stand before every later agreement. A
        plan kept before that rule (``far_ahead``) is read with its year, which the store reports."""
        year = financial_year(value)
        context = info.context or {}
        too_far = year_too_far(year, context.get("today"))
        if too_far and not context.get("far_ahead"):
            raise ValueError(f"{value!r} {too_far}")
        return year

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        if value.lower() not in STATES:
            raise ValueError(f"{value!r} is not a state; use {', '.join(STATES)}")
        return value.lower()


def year_too_far(year: str, today: date | None = None) -> str:
    """Why a ``YYYY/YY`` year is past the limit (it starts, on 1 April, more than MOST_YEARS_AHEAD
    years after ``today``), or "" when it is not."""
    today = today or date.today()
    limit = date(today.year + MOST_YEARS_AHEAD, today.month, min(today.day, 28))
    if date(int(year[:4]), 4, 1) > limit:
        return f"starts more than {MOST_YEARS_AHEAD} years after today ({today.isoformat()})"
    return ""


def _pattern(weeks: str, per_year: float | None) -> WeekPattern:
    text = weeks.strip()
    if per_year is not None:
        if text.lower() not in ("", "every", "every week"):
            raise ValueError(f"per_year is given, so weeks must be every (not {weeks!r})")
        return WeekPattern("per_year", per_year)
    if text.lower() in ("", "every", "every week", "weekly"):
        return WeekPattern()
    if text.upper() in ("A", "B", "WEEK A", "WEEK B"):
        return WeekPattern(text.upper()[-1])
    match = ONE_IN.fullmatch(text)
    if match and 1 <= float(match.group(1)) <= MOST_ONE_IN:
        return WeekPattern("one_in", float(match.group(1)))
    raise ValueError(f"{weeks!r} is not a week pattern; use every, A, B or '1 in N' (or per_year)")


@dataclass(frozen=True)
class PlanFile:
    """A job plan and where each of its fields sits in its file, for messages."""

    path: Path
    plan: JobPlan
    places: dict[str, str] = field(default_factory=dict)  # field → "sheet Plan, row 7"

    def where(self, name: str) -> str:
        """``file, place, field name`` for a plan field (``on_call.doctor``) or ``activities.3.end``."""
        return f"{self.path}, {_place([int(p) if p.isdigit() else p for p in name.split('.')], self.places)}"


def _place(loc: list, places: dict[str, str]) -> str:
    if loc and loc[0] == "activities" and len(loc) >= 2 and isinstance(loc[1], int):
        row, named = places.get("activities.row0"), places.get(f"activities.{loc[1]}")  # a form's own row
        where = f"sheet {ACTIVITY_SHEET}, row {loc[1] + int(row)}" if row else f"activities row {loc[1] + 1}"
        where = named or where
        return where + (f", field {loc[2]}" if len(loc) > 2 else "")
    name = ".".join(str(p) for p in loc) or "top level"
    at = places.get(name) or (places.get(".".join(str(p) for p in loc[:1])) if loc else None)
    return f"{at}, field {name}" if at else f"field {name}"


def read_plan(path: Path, *, today: date | None = None, far_ahead: bool = False) -> PlanFile:
    """``today``: the date a plan's year is checked against (the clock's, unless a test gives one).
    ``far_ahead``: read a year past the limit rather than refuse it (a plan kept before the limit, whose
    year the store reports instead; ADR 0041)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        data, places = _from_workbook(path)
    else:
        data, places = _from_yaml(path), {}
    return read_mapping(data, path, places, today=today, far_ahead=far_ahead)


def read_mapping(
    data: dict,
    path: Path,
    places: dict[str, str] | None = None,
    *,
    today: date | None = None,
    far_ahead: bool = False,
) -> PlanFile:
    """A plan from the mapping its YAML holds (or a workbook or the workspace's form gives), checked
    as a file is; ``path`` names it in messages."""
    places = places or {}
    try:
        spec = _PlanSpec.model_validate(data, context={"today": today, "far_ahead": far_ahead})
    except ValidationError as error:
        found = "; ".join(f"{_place(list(e['loc']), places)}: {_reason(e)}" for e in error.errors())
        first = error.errors()[0]
        raise JobPlanInputError(f"{path}, {found}", first["loc"], _reason(first)) from None
    for index, activity in enumerate(spec.activities):
        try:
            _pattern(activity.weeks, activity.per_year)
        except ValueError as error:
            raise JobPlanInputError(
                f"{path}, {_place(['activities', index, 'per_year'], places)}: {error}",
                ("activities", index, "per_year"),
                str(error),
            ) from None
    return _checked(PlanFile(path, _plan(spec), places))


def field_problems(data: dict, *, today: date | None = None) -> list[tuple[tuple, str]]:
    """Every field the model refuses, at once, as (place in the mapping, reason): what a form shows
    beside each field before the checks across rows (``read_mapping``) are made."""
    try:
        _PlanSpec.model_validate(data, context={"today": today})
    except ValidationError as error:
        return [(tuple(e["loc"]), _reason(e)) for e in error.errors()]
    return []


def _reason(problem) -> str:
    """Pydantic's message for one field, with the value found said once: added only when the message
    does not already name it ("'25:00' is not a time like 08:00", not "... ('25:00')")."""
    message = problem["msg"].removeprefix("Value error, ")
    value = problem.get("input")
    shown = (
        problem["type"] != "missing" and isinstance(value, str | int | float) and not isinstance(value, bool)
    )
    if shown and repr(value) not in message:
        message += f" ({value!r})"
    return message


def _from_yaml(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)  # every scalar as text
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        said = " ".join(str(error.problem or error.context or "not YAML").split())
        raise JobPlanInputError(f"{path}{where}: not valid YAML: {said}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        said = " ".join(str(error).split())
        raise JobPlanInputError(f"{path}: cannot read the job plan: {said}") from None
    if not isinstance(data, dict):
        raise JobPlanInputError(f"{path}: expected a mapping with consultant, year, activities")
    return data


def _from_workbook(path: Path) -> tuple[dict, dict[str, str]]:
    try:
        sheets = read_workbook(path)
    except UnreadableWorkbook as error:
        raise JobPlanInputError(f"{path}: {error}") from None
    except (OSError, ValueError) as error:
        raise JobPlanInputError(f"{path}: cannot read the job plan: {error}") from None
    named = {str(name).strip().lower(): frame.fillna("") for name, frame in sheets.items()}
    for sheet, columns in ((PLAN_SHEET, ("field", "value")), (ACTIVITY_SHEET, ("weekday",))):
        frame = named.get(sheet.lower())
        if frame is None:
            raise JobPlanInputError(
                f"{path}: no {sheet!r} sheet (a job plan workbook has Plan and Activities)"
            )
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise JobPlanInputError(f"{path}, sheet {sheet}, row 1: missing column(s) {', '.join(missing)}")
    data: dict = {}
    places = {"activities.row0": "2"}
    on_call: dict = {}
    for index, row in named[PLAN_SHEET.lower()].iterrows():
        key, value = str(row["field"]).strip(), str(row["value"]).strip()
        if not key:
            continue
        place = f"sheet {PLAN_SHEET}, row {index + 2}"
        if key.startswith("on_call_"):
            on_call[key.removeprefix("on_call_")] = value
            places[f"on_call.{key.removeprefix('on_call_')}"] = place
            places.setdefault("on_call", place)
        else:
            data[key] = value
            places[key] = place
    if any(on_call.values()):
        data["on_call"] = on_call
    activities = named[ACTIVITY_SHEET.lower()]
    data["activities"] = [
        {c: str(row[c]) for c in activities.columns if not str(c).startswith("Unnamed")}
        for _, row in activities.iterrows()
        if any(str(v).strip() for v in row.values)
    ]
    return data, places


def _plan(spec: _PlanSpec) -> JobPlan:
    activities = tuple(
        Activity(
            WEEKDAYS.index(a.weekday),
            _minutes(a.start),
            _minutes(a.end),
            a.activity,
            a.type,
            a.site,
            _pattern(a.weeks, a.per_year),
        )
        for a in spec.activities
    )
    on_call = None
    if spec.on_call is not None:
        c = spec.on_call
        on_call = OnCallCommitment(c.rota, c.category, c.one_in, c.doctor, c.unpredictable_pas)
    return JobPlan(
        spec.consultant,
        spec.year,
        activities,
        on_call,
        spec.name,
        spec.state,
        spec.agreed_by,
        spec.agreed_on,
        spec.working_weeks,
    )


def _checked(found: PlanFile) -> PlanFile:
    """What pydantic cannot see row by row: a session ending before it starts, sessions that overlap,
    a per_year count above the working weeks, an agreed plan without who agreed it."""
    plan = found.plan
    for index, activity in enumerate(plan.activities):
        if activity.end <= activity.start:
            _refuse(
                found,
                ("activities", index, "end"),
                f"{clock(activity.end)} is not after the start {clock(activity.start)} (an activity ends "
                "on the day it starts; a session to midnight ends 24:00)",
            )
        if activity.weeks.kind == "per_year" and (activity.weeks.n or 0) > plan.working_weeks + 1e-9:
            _refuse(
                found,
                ("activities", index, "per_year"),
                f"{activity.weeks.n:g} a year is more than once a week over {plan.working_weeks:g} "
                "working weeks",
            )
    for first, second in find_overlaps(plan.activities, plan.working_weeks):
        a, b = plan.activities[first], plan.activities[second]
        _refuse(
            found,
            ("activities", second, "start"),
            f"{b.when} {b.activity} overlaps {_row(found, first)} ({a.when} {a.activity})",
        )
    if plan.state == "agreed" and not (plan.agreed_by and plan.agreed_on):
        _refuse(found, ("agreed_by",), "an agreed plan says who agreed it and when (agreed_on)")
    return found


def _refuse(found: PlanFile, loc: tuple, reason: str):
    raise JobPlanInputError(f"{found.where('.'.join(str(p) for p in loc))}: {reason}", loc, reason)


def _row(found: PlanFile, index: int) -> str:
    return _place(["activities", index], found.places)
