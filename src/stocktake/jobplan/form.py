"""A job plan from the workspace's form, for those who would rather not write YAML or a workbook: the
consultant and year, rows of the weekly timetable, and the on-call commitment, each a text field (or
a select), as ``rota/form.py`` does for rotas.

The form is turned into the mapping the YAML holds and read by the files' own reader
(``read.read_mapping``), so a plan saved from the form is the plan the same YAML would give, and the
file kept for it (``write.plan_yaml``) is one ``stocktake jobplan check`` reads. Every field the
model refuses is listed at once, each naming the form's section, row and field ("Timetable, row 3,
Ends: ..."); then the checks across rows (an end before the start, an overlap) one at a time, named
the same way. The text is kept as typed. A row whose text fields are all blank is left out, which is
how a row is removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from stocktake.jobplan.model import CATEGORIES, TYPES, WEEKDAYS
from stocktake.jobplan.read import JobPlanInputError, PlanFile, field_problems, read_mapping

Row = Mapping[str, str]
SOURCE = Path("the form")
BLANK_ROWS = 20  # the timetable's rows on a blank form
ADD_ROWS = 5  # rows "Add rows" adds
MAX_ROWS = 100  # more is refused, never cut (a week has 14 half-day sessions; the YAML takes any number)
TOP = (
    ("consultant", "Consultant (code)"),
    ("name", "Name"),
    ("year", "Financial year"),
    ("working_weeks", "Working weeks a year"),
)
ON_CALL = (
    ("rota", "On-call rota"),
    ("one_in", "Frequency (1 in N)"),
    ("category", "Category"),
    ("doctor", "Name on the rota"),
    ("unpredictable_pas", "PAs of unpredictable on-call work"),
)
ROW = (
    ("weekday", "Weekday"),
    ("start", "Starts"),
    ("end", "Ends"),
    ("activity", "Activity"),
    ("type", "Type"),
    ("site", "Site"),
    ("weeks", "Weeks"),
)
CHOICES: Mapping[str, tuple[str, ...]] = {"weekday": ("", *WEEKDAYS), "type": TYPES}
ON_CALL_CHOICES: Mapping[str, tuple[str, ...]] = {"category": ("", *CATEGORIES)}
TYPE_LABELS = {"DCC": "DCC", "SPA": "SPA", "additional_nhs": "Additional NHS", "external": "External"}
PER_YEAR = re.compile(r"(\d+(?:\.\d+)?)\s*(?:a|per|/|times a|x a)\s*year", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    message: str
    anchor: str = ""  # the form field's id (``activities-2-end``), to link to and mark


class JobPlanFormError(ValueError):
    """A form that does not make a plan: every problem found, each naming its section, row and field."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class JobPlanForm:
    """The form as typed: every value text, every row kept (blank ones too)."""

    top: Mapping[str, str] = field(default_factory=dict)
    on_call: Mapping[str, str] = field(default_factory=dict)
    rows: tuple[Row, ...] = ()

    def with_rows(self, count: int = ADD_ROWS) -> JobPlanForm:
        """``count`` more blank rows (the form's "Add rows" button), never past MAX_ROWS."""
        count = min(count, self.rows_left)
        return replace(self, rows=(*self.rows, *(blank_row() for _ in range(count))))

    @property
    def rows_left(self) -> int:
        """How many rows "Add rows" may still add: none at MAX_ROWS, when the button is not shown."""
        return max(0, MAX_ROWS - len(self.rows))


def blank_row() -> dict[str, str]:
    return {key: CHOICES[key][0] if key in CHOICES else "" for key, _ in ROW}


def blank_form(rows: int = BLANK_ROWS) -> JobPlanForm:
    return JobPlanForm(
        {k: "" for k, _ in TOP}, {k: "" for k, _ in ON_CALL}, tuple(blank_row() for _ in range(rows))
    )


def read_form(values: Callable[[str], list[str]], one: Callable[[str], str]) -> JobPlanForm:
    """The form from a request's fields: ``values(name)`` every value of a repeated field (one a row,
    in order), ``one(name)`` a single field's value."""
    columns = {key: values(f"activities-{key}") for key, _ in ROW}
    count = max((len(c) for c in columns.values()), default=0)
    rows = tuple(
        {key: (column[i] if i < len(column) else "") for key, column in columns.items()} for i in range(count)
    )
    return JobPlanForm(
        {key: one(key) for key, _ in TOP}, {key: one(f"on_call-{key}") for key, _ in ON_CALL}, rows
    )


def row_count(values: Callable[[str], list[str]]) -> int:
    """The most rows any of the timetable's fields was sent with (to refuse more than MAX_ROWS)."""
    return max(len(values(f"activities-{key}")) for key, _ in ROW)


def is_blank(row: Row) -> bool:
    """Every text field empty and every select at its default (a weekday chosen is a row begun)."""
    return not any(
        str(row.get(key, "")).strip() != (CHOICES[key][0] if key in CHOICES else "") for key, _ in ROW
    )


# --- the form to a plan --------------------------------------------------------------------------


def form_plan(form: JobPlanForm, *, today: date | None = None) -> PlanFile:
    """The plan the form describes, read as a file is; ``JobPlanFormError`` with every problem."""
    data, rows = form_data(form)
    if not data["activities"]:
        raise JobPlanFormError([Problem("Timetable: give at least one session", "activities-0-weekday")])
    problems = [_problem(loc, reason, rows) for loc, reason in field_problems(data, today=today)]
    if problems:
        raise JobPlanFormError(problems)
    places = {f"activities.{i}": _row_title(index) for i, index in enumerate(rows)}
    try:
        return read_mapping(data, SOURCE, places, today=today)
    except JobPlanInputError as error:
        raise JobPlanFormError([_problem(error.loc, error.reason, rows)]) from None


def form_data(form: JobPlanForm) -> tuple[dict, list[int]]:
    """The mapping the YAML would hold, blank fields and rows left out, and each kept row's place on
    the form (its index)."""
    data: dict = {k: form.top.get(k, "").strip() for k, _ in TOP if form.top.get(k, "").strip()}
    activities, rows = [], []
    for index, row in enumerate(form.rows):
        if is_blank(row):
            continue
        out = {k: str(row.get(k, "")).strip() for k, _ in ROW if str(row.get(k, "")).strip()}
        found = PER_YEAR.fullmatch(out.get("weeks", ""))
        if found:  # "10 a year": an annualised session, the YAML's per_year
            out["per_year"] = found.group(1)
            del out["weeks"]
        activities.append(out)
        rows.append(index)
    data["activities"] = activities
    on_call = {k: form.on_call.get(k, "").strip() for k, _ in ON_CALL if form.on_call.get(k, "").strip()}
    if on_call:
        data["on_call"] = on_call
    return data, rows


def field_label(name: str, nth: int) -> str:
    """A field named as this form's own refusals name it ("Timetable, row 3, Activity"), from its name
    on the form and which of that name's values it is; any other field by its name."""
    part, _, key = name.partition("-")
    if part == "activities" and key in dict(ROW):
        return f"{_row_title(nth)}, {dict(ROW)[key]}"
    if part == "on_call" and key in dict(ON_CALL):
        return f"On call, {dict(ON_CALL)[key]}"
    return dict(TOP).get(name, name)


def _row_title(index: int) -> str:
    return f"Timetable, row {index + 1}"


def _problem(loc: tuple, reason: str, rows: list[int]) -> Problem:
    """A reader's problem named by the form's section, row and field instead of the YAML's place."""
    loc = tuple(loc)
    reason = "needed" if reason == "Field required" else reason
    if len(loc) >= 2 and loc[0] == "activities" and isinstance(loc[1], int) and loc[1] < len(rows):
        index = rows[loc[1]]
        key = "weeks" if len(loc) < 3 or loc[2] == "per_year" else str(loc[2])
        label = dict(ROW).get(key, key)
        return Problem(f"{_row_title(index)}, {label}: {reason}", f"activities-{index}-{key}")
    if loc and loc[0] == "on_call":
        key = str(loc[1]) if len(loc) > 1 else "rota"
        return Problem(f"On call, {dict(ON_CALL).get(key, key)}: {reason}", f"on_call-{key}")
    if loc and loc[0] in dict(TOP):
        return Problem(f"{dict(TOP)[loc[0]]}: {reason}", str(loc[0]))
    return Problem(reason)


# --- a plan back into the form ------------------------------------------------------------------


def plan_form(data: dict, rows: int = BLANK_ROWS) -> JobPlanForm:
    """The form filled from a plan's mapping (``write.plan_data``), padded with blank rows to
    ``rows``, so a kept plan can be changed and saved as its next version."""
    filled = []
    for item in data.get("activities") or []:
        row = {key: str(item.get(key, "")) for key, _ in ROW}
        if item.get("per_year") is not None:
            row["weeks"] = f"{item['per_year']} a year"
        row["weeks"] = "" if row["weeks"] in ("every", "every week") else row["weeks"]
        filled.append(row)
    blanks = tuple(blank_row() for _ in range(max(0, rows - len(filled))))
    on_call = data.get("on_call") or {}
    return JobPlanForm(
        {key: str(data.get(key, "")) for key, _ in TOP},
        {key: str(on_call.get(key, "")) for key, _ in ON_CALL},
        (*filled, *blanks),
    )
