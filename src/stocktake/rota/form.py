"""A rota specification from a form, for those who would rather not write YAML: rows of doctors, shift
types (with their cover), 1-in-n patterns and requests, each a row of text fields.

The form is turned into the same mapping the YAML holds, and that mapping is checked by the YAML's
own model (``model.parse_problem``), so a rota built from the form is the rota the same YAML would
build, and ``spec.yaml`` kept beside it is a file ``stocktake rota solve`` reads. Each problem names
its section, row and field ("Doctors, row 2, WTE: ..."), and every problem is listed at once; the
form's text is kept as typed, so nothing is lost when it is refused. A row whose text fields are all
blank is left out, which is how a row is removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time

import yaml

from stocktake.rota.duties import parse_wte
from stocktake.rota.model import WEEKDAYS, RotaProblem, parse_problem, spec_errors

Row = Mapping[str, str]


@dataclass(frozen=True)
class Section:
    key: str  # the YAML's key, and the prefix of the form's field names
    title: str
    fields: tuple[tuple[str, str], ...]  # (YAML key, label)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # a select's options

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.fields)

    def blank(self) -> dict[str, str]:
        return {key: self.choices[key][0] if key in self.choices else "" for key, _ in self.fields}

    def is_blank(self, row: Row) -> bool:
        """Every text field empty (a select always has a value, so it does not count)."""
        return not any(row.get(key, "").strip() for key, _ in self.fields if key not in self.choices)


YES_NO = ("yes", "no")
NO_YES = ("no", "yes")
DOCTORS = Section(
    "doctors",
    "Doctors",
    (
        ("id", "Id"),
        ("name", "Name"),
        ("grade", "Grade"),
        ("sites", "Sites"),
        ("wte", "WTE"),
        ("on_call", "On call"),
        ("opted_out", "Opted out of the 48-hour average"),
        ("leave", "Leave"),
    ),
    {"on_call": YES_NO, "opted_out": NO_YES},
)
SHIFTS = Section(
    "shifts",
    "Shift types",
    (
        ("id", "Id"),
        ("label", "Label (its code in the grid)"),
        ("site", "Site"),
        ("start", "Starts"),
        ("end", "Ends"),
        ("kind", "Kind"),
        ("expected_hours", "Hours of work expected (on call)"),
        ("expected_episodes", "Episodes of work expected (on call)"),
        ("days", "Days"),
        ("cover", "Doctors each day, at least"),
        ("cover_max", "Doctors each day, at most"),
        ("breaks", "Breaks (start times)"),
    ),
    {"kind": ("shift", "on_call")},
)
PATTERNS = Section(
    "patterns",
    "1-in-n patterns",
    (
        ("name", "Name"),
        ("one_in", "1 in"),
        ("shifts", "Shift types (ids)"),
        ("doctors", "Doctors (ids)"),
        ("weekends_together", "Saturday and Sunday to the same doctor"),
    ),
    {"weekends_together": YES_NO},
)
REQUESTS = Section(
    "requests",
    "Requests",
    (
        ("doctor", "Doctor (id)"),
        ("date", "Date"),
        ("shift", "Shift type (id; blank: a day off)"),
        ("weight", "Weight"),
    ),
)
SECTIONS = (DOCTORS, SHIFTS, PATTERNS, REQUESTS)
BY_KEY = {s.key: s for s in SECTIONS}
REQUIRED = {
    "doctors": ("id", "sites"),
    "shifts": ("id", "site", "start", "end"),
    "patterns": ("name", "one_in", "shifts", "doctors"),
    "requests": ("doctor", "date"),
}
TOP = {"name": "Name", "start": "First day", "weeks": "Weeks", "limits": "Limits"}
NAMED_DAYS = {
    "every day": list(WEEKDAYS),
    "weekdays": list(WEEKDAYS[:5]),
    "weekends": list(WEEKDAYS[5:]),
}


class RotaFormError(ValueError):
    """A form that does not make a rota: every problem, each naming its section, row and field."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    message: str
    anchor: str = ""  # the form field's id, ``doctors-1-wte``, to link to and mark


@dataclass(frozen=True)
class RotaForm:
    """The form as typed: every value text, every row kept (blank ones too)."""

    name: str = ""
    start: str = ""
    weeks: str = ""
    one_in_three: bool = True  # check the 1-in-3 weekend design limit (R11b)
    rows: Mapping[str, tuple[Row, ...]] = field(default_factory=dict)

    def section(self, key: str) -> tuple[Row, ...]:
        return self.rows.get(key, ())

    def with_row(self, key: str) -> RotaForm:
        """One more blank row in a section (the form's "add a row" button)."""
        return replace(self, rows={**self.rows, key: (*self.section(key), BY_KEY[key].blank())})


def blank_form(doctors: int = 3, shifts: int = 2, patterns: int = 1, requests: int = 1) -> RotaForm:
    counts = {"doctors": doctors, "shifts": shifts, "patterns": patterns, "requests": requests}
    return RotaForm(rows={s.key: tuple(s.blank() for _ in range(counts[s.key])) for s in SECTIONS})


def read_form(values: Callable[[str], list[str]], one: Callable[[str], str]) -> RotaForm:
    """The form from a request's fields: ``values(name)`` every value of a repeated field (one a
    row, in order), ``one(name)`` a single field's value."""
    rows = {}
    for section in SECTIONS:
        columns = {key: values(f"{section.key}-{key}") for key, _ in section.fields}
        count = max((len(c) for c in columns.values()), default=0)
        rows[section.key] = tuple(
            {key: (column[i] if i < len(column) else "") for key, column in columns.items()}
            for i in range(count)
        )
    return RotaForm(one("name"), one("start"), one("weeks"), bool(one("one_in_three")), rows)


# --- the form to the YAML's mapping --------------------------------------------------------------


def form_spec(form: RotaForm) -> dict:
    """The mapping the YAML would hold; ``RotaFormError`` with every problem if it is not a rota."""
    problems = [
        Problem(f"{TOP[key]}: {wanted}", key)
        for key, wanted in (
            ("name", "give the rota a name"),
            ("start", "give the first day, a Monday like 2026-02-02"),
            ("weeks", "give the number of weeks, 1 to 26"),
        )
        if not getattr(form, key).strip()
    ]
    data: dict = {"name": form.name.strip(), "start": _date_or_text(form.start), "weeks": _number(form.weeks)}
    if not form.one_in_three:
        data["limits"] = {"check_one_in_three_weekends": False}
    places: dict[str, list[int]] = {}  # the form's row of each kept row
    for section in SECTIONS:
        kept, places[section.key] = [], []
        for index, row in enumerate(form.section(section.key)):
            if section.is_blank(row):
                continue
            missing = [key for key in REQUIRED[section.key] if not row.get(key, "").strip()]
            if missing:
                where = _where(section, index, missing[0])
                problems.append(Problem(f"{where[0]}: needed (or clear the row to leave it out)", where[1]))
                continue
            try:
                kept.append(_ROW[section.key](row, lambda key, i=index, s=section: _where(s, i, key)))
            except _FieldError as error:
                problems.append(error.problem)
                continue
            places[section.key].append(index)
        if kept or section in (DOCTORS, SHIFTS):
            data[section.key] = kept
    problems += _references(form, data, places)
    if not problems:
        problems += [_described(e, places) for e in spec_errors(data)]
    if problems:
        raise RotaFormError(problems)
    return data


def form_problem(form: RotaForm) -> tuple[RotaProblem, str]:
    """The rota problem the form describes and its YAML (kept as the rota's ``spec.yaml``)."""
    data = form_spec(form)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return parse_problem(yaml.safe_load(text), "the form"), text


class _FieldError(ValueError):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def field_label(name: str, nth: int) -> str:
    """A field named as this form's own refusals name it ("Doctors, row 3, Name"), from its name on the
    form and which of that name's values it is; any other field by its name."""
    section, _, key = name.partition("-")
    if section in BY_KEY and key in BY_KEY[section].labels:
        return _where(BY_KEY[section], nth, key)[0]
    return TOP.get(name, name)


def _where(section: Section, index: int, key: str) -> tuple[str, str]:
    return f"{section.title}, row {index + 1}, {section.labels[key]}", f"{section.key}-{index}-{key}"


def _refuse(where: tuple[str, str], message: str):
    raise _FieldError(Problem(f"{where[0]}: {message}", where[1]))


def _doctor(row: Row, where) -> dict:
    out: dict = {"id": row["id"].strip()}
    for key in ("name", "grade"):
        if row[key].strip():
            out[key] = row[key].strip()
    out["sites"] = _list(row["sites"], commas_only=True)
    if row["wte"].strip():
        try:
            out["wte"] = parse_wte(row["wte"])
        except ValueError as error:
            _refuse(where("wte"), str(error))
    if row["on_call"] == "no":
        out["on_call"] = False
    if row["opted_out"] == "yes":
        out["opted_out"] = True
    if row["leave"].strip():
        out["leave"] = _list(row["leave"])
    return out


def _shift(row: Row, where) -> dict:
    out: dict = {"id": row["id"].strip()}
    if row["label"].strip():
        out["label"] = row["label"].strip()
    out |= {"site": row["site"].strip(), "start": _clock(row["start"]), "end": _clock(row["end"])}
    if row["days"].strip():
        out["days"] = _days(row["days"], where("days"))
    for key in ("cover", "cover_max"):
        if row[key].strip():
            out[key] = _number(row[key])
    if row["kind"] != "shift":
        out["kind"] = row["kind"]
    for key in ("expected_hours", "expected_episodes"):
        if row[key].strip():
            out[key] = _number(row[key])
    if row["breaks"].strip():
        out["breaks"] = [_clock(t) for t in _list(row["breaks"])]
    return out


def _pattern(row: Row, where) -> dict:
    out = {
        "name": row["name"].strip(),
        "one_in": _number(row["one_in"]),
        "shifts": _list(row["shifts"]),
        "doctors": _list(row["doctors"]),
    }
    if row["weekends_together"] == "yes":
        out["weekends_together"] = True
    return out


def _request(row: Row, where) -> dict:
    out: dict = {"doctor": row["doctor"].strip(), "date": _date_or_text(row["date"])}
    if row["shift"].strip():
        out["shift"] = row["shift"].strip()
    if row["weight"].strip():
        out["weight"] = _number(row["weight"])
    return out


_ROW = {"doctors": _doctor, "shifts": _shift, "patterns": _pattern, "requests": _request}


def _list(text: str, *, commas_only: bool = False) -> list[str]:
    """Items split at commas (site names hold spaces) or at commas and spaces (ids, dates, times)."""
    return [part.strip() for part in re.split(r"," if commas_only else r"[,\s]+", text) if part.strip()]


def _days(text: str, where) -> list[str]:
    """``weekdays``, ``weekends``, ``every day``, or days and ranges: ``Mon-Fri``, ``Sat, Sun``."""
    text = text.strip()
    if text.lower() in NAMED_DAYS:
        return list(NAMED_DAYS[text.lower()])
    found: list[str] = []
    for part in _list(text):
        first, _, last = part.partition("-")
        names = [n.strip()[:3].title() for n in (first, last or first)]
        if not all(n in WEEKDAYS for n in names):
            _refuse(
                where, f"{part!r} is not a day: use Mon to Sun, a range like Mon-Fri, weekdays or weekends"
            )
        begin, end = (WEEKDAYS.index(n) for n in names)
        if end < begin:
            _refuse(where, f"{part!r} runs backwards: a range goes from Mon towards Sun")
        found += [d for d in WEEKDAYS[begin : end + 1] if d not in found]
    return found


def _clock(text: str) -> str:
    """``8:00`` as ``08:00``, the form the model reads; anything else as typed, for it to refuse."""
    text = text.strip()
    return f"0{text}" if re.fullmatch(r"\d:\d\d", text) else text


def _number(text: str) -> int | float | str:
    """A whole number or a decimal as itself; anything else left as typed for the model to refuse."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _date_or_text(text: str) -> date | str:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return text.strip()


def _references(form: RotaForm, data: dict, places: dict[str, list[int]]) -> list[Problem]:
    """Ids used twice, and patterns or requests naming a doctor or shift type the form lacks, by row.
    The ids are the form's, a row refused for another reason included, so one mistake is named once."""
    problems = []
    ids: dict[str, set[str]] = {}
    for section in (DOCTORS, SHIFTS):
        seen: dict[str, int] = {}
        for index, row in enumerate(form.section(section.key)):
            found = row.get("id", "").strip()
            if not found or section.is_blank(row):
                continue
            if found in seen:
                where = _where(section, index, "id")
                problems.append(
                    Problem(f"{where[0]}: {found!r} is the id of row {seen[found] + 1} too", where[1])
                )
            seen.setdefault(found, index)
        ids[section.key] = set(seen)
    checks = ((PATTERNS, "doctors", "doctors"), (PATTERNS, "shifts", "shifts"))
    checks += ((REQUESTS, "doctor", "doctors"), (REQUESTS, "shift", "shifts"))
    for section, key, among in checks:
        for row, index in zip(data.get(section.key, []), places[section.key], strict=True):
            named = row.get(key, [])
            unknown = [n for n in ([named] if isinstance(named, str) else named) if n not in ids[among]]
            if unknown:
                where = _where(section, index, key)
                known = ", ".join(sorted(ids[among])) or "none yet"
                noun = "doctor" if among == "doctors" else "shift type"
                problems.append(Problem(f"{where[0]}: no {noun} {unknown[0]!r} (the ids: {known})", where[1]))
    return problems


def _described(error: Mapping, places: dict[str, list[int]]) -> Problem:
    """A model's problem named by the form's section, row and field instead of the YAML's place."""
    place, message = list(error["loc"]), error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    shown = (
        error["type"] != "missing" and isinstance(value, str | int | float) and not isinstance(value, bool)
    )
    if shown and repr(value) not in message:  # said once: most messages name the value already
        message += f" ({value!r})"
    if place and place[0] in BY_KEY and len(place) >= 2 and isinstance(place[1], int):
        section, index = BY_KEY[place[0]], places[place[0]][place[1]]
        if len(place) >= 3 and place[2] in section.labels:
            where = _where(section, index, place[2])
            return Problem(f"{where[0]}: {message}", where[1])
        return Problem(
            f"{section.title}, row {index + 1}: {message}", f"{section.key}-{index}-{section.fields[0][0]}"
        )
    if place and place[0] in BY_KEY:
        return Problem(f"{BY_KEY[place[0]].title}: {message}", f"add-{place[0]}")
    if place and place[0] in TOP:
        return Problem(
            f"{TOP[place[0]]}: {message}", str(place[0]) if place[0] != "limits" else "one_in_three"
        )
    return Problem(message)


# --- a specification back into the form ---------------------------------------------------------


def spec_form(data: dict) -> RotaForm:
    """The form filled from a YAML mapping (the worked example, or a kept rota's ``spec.yaml``), so
    it can be changed and built again. Limits other than the 1-in-3 weekend check are not on the
    form."""
    limits = data.get("limits") or {}
    rows = {}
    for section in SECTIONS:
        rows[section.key] = tuple(
            {key: _text(section, key, item.get(key)) for key, _ in section.fields}
            for item in data.get(section.key) or []
            if isinstance(item, dict)
        )
    return RotaForm(
        str(data.get("name", "")),
        _text(None, "start", data.get("start")),
        _text(None, "weeks", data.get("weeks")),
        bool(limits.get("check_one_in_three_weekends", True)),
        rows,
    )


def _text(section: Section | None, key: str, value) -> str:
    if section is not None and key in section.choices:
        default = section.choices[key][0]
        return (
            default if value is None else ("yes" if value is True else "no" if value is False else str(value))
        )
    if value is None:
        return ""
    if key == "days":
        named = next((name for name, days in NAMED_DAYS.items() if list(value) == days), None)
        return named or ", ".join(value)
    if isinstance(value, list):
        return ", ".join(_text(None, "", v) for v in value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)
