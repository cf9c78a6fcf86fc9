"""A solved rota on paper: the grid, the assignments, the duties for the checker, and calendars.

Files written to one folder:
- ``grid.csv``: doctors down, dates across, and ``shifts.csv``, the legend of its codes;
- ``rota.xlsx``: that grid and its legend (``Shifts``), the assignments, fairness, pattern frequencies,
  hours and weekends, breaches and every rule with whether it was checked; ``stocktake rota check``
  reads it back, so a grid edited by hand can be checked;
- ``assignments.csv``: one row per doctor, shift and date; pass it back as ``--published`` to re-plan;
- ``duties.csv``: doctor, start, end, kind, expected_hours, site, label, expected_episodes, breaks
  (``stocktake rota check`` reads it);
- ``fairness.csv``: each doctor's share of each burden beside their fair share by WTE;
- ``calendars/ID.ics``: an iCalendar file per doctor, in UK time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from icalendar import Calendar, Event

from stocktake.rota.breaches import breach_table, doctor_table, rule_table
from stocktake.rota.duties import Duty
from stocktake.rota.fairness import frequencies, shares
from stocktake.rota.grid import LEGEND_SHEET
from stocktake.rota.solver import Assignment, RotaSolution
from stocktake.spreadsheets import csv_ready, keep_text

UK = ZoneInfo("Europe/London")
LEAVE = "Leave"  # the grid's mark for a day of leave: an ``off`` code of its legend


def assignment_table(solution: RotaSolution) -> pd.DataFrame:
    problem = solution.problem
    shifts = {s.id: s for s in problem.shifts}
    return pd.DataFrame(
        [
            {
                "date": a.date.isoformat(),
                "day": f"{a.date:%a}",
                "shift": a.shift,
                "label": shifts[a.shift].label,
                "site": shifts[a.shift].site,
                "doctor": a.doctor,
                "name": problem.doctor(a.doctor).name,
            }
            for a in solution.assignments
        ],
        columns=["date", "day", "shift", "label", "site", "doctor", "name"],
    )


def read_assignments(path: Path) -> frozenset[Assignment]:
    """A published rota's ``assignments.csv``, for re-planning."""
    frame = pd.read_csv(path, dtype=str)
    missing = {"date", "shift", "doctor"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}, row 1: missing column(s) {', '.join(sorted(missing))}")
    found = set()
    for index, row in frame.iterrows():
        try:
            day = datetime.fromisoformat(row["date"]).date()
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{path}, row {index + 2}, column date: {row['date']!r} is not a date"
            ) from error
        found.add(Assignment(row["doctor"], row["shift"], day))
    return frozenset(found)


def grid_table(solution: RotaSolution) -> pd.DataFrame:
    """Doctors down, dates across; each cell the day's duties (``Leave`` on leave)."""
    problem = solution.problem
    labels = {s.id: s.label for s in problem.shifts}
    cells: dict[tuple[str, object], list[str]] = {}
    for a in solution.assignments:
        cells.setdefault((a.doctor, a.date), []).append(labels[a.shift])
    rows = []
    for doctor in problem.doctors:
        row = {"doctor": doctor.id, "name": doctor.name, "grade": doctor.grade, "wte": doctor.wte}
        for day in problem.dates:
            on = cells.get((doctor.id, day), [])
            row[f"{day:%a %Y-%m-%d}"] = " + ".join(on) if on else (LEAVE if day in doctor.leave else "")
        rows.append(row)
    return pd.DataFrame(rows)


def legend_table(solution: RotaSolution) -> pd.DataFrame:
    """The grid's codes (each shift type's label) with their clock times, as ``rota check`` reads them."""
    rows = [
        {
            "code": s.label,
            "start": f"{s.start:%H:%M}",
            "end": f"{s.end:%H:%M}",
            "kind": s.kind,
            "expected_hours": _number(s.expected_hours),
            "expected_episodes": _number(s.expected_episodes),
            "breaks": _breaks(s.breaks),
            "site": s.site,
        }
        for s in solution.problem.shifts
    ]
    return pd.DataFrame([*rows, {"code": LEAVE, "kind": "off"}], columns=list(rows[0])).fillna("")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _breaks(times) -> str:
    """Blank: not rostered; ``none``: no breaks; otherwise ``12:30;16:00``."""
    return "" if times is None else ";".join(f"{b:%H:%M}" for b in times) or "none"


DUTY_COLUMNS = [
    "doctor",
    "start",
    "end",
    "kind",
    "expected_hours",
    "site",
    "label",
    "expected_episodes",
    "breaks",
]


def duty_table(solution: RotaSolution) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "doctor": d.doctor,
                "start": f"{d.start:%Y-%m-%d %H:%M}",
                "end": f"{d.end:%Y-%m-%d %H:%M}",
                "kind": d.kind,
                "expected_hours": _number(d.expected_hours),
                "site": d.site,
                "label": d.label,
                "expected_episodes": _number(d.expected_episodes),
                "breaks": _breaks(d.breaks),
            }
            for d in solution.duties()
        ],
        columns=DUTY_COLUMNS,
    )


def fairness_table(solution: RotaSolution) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "burden": s.burden,
                "doctor": s.doctor,
                "wte": s.wte,
                "count": s.count,
                "fair_share": round(s.fair_share, 2),
                "difference": round(s.difference, 2),
            }
            for s in shares(solution.problem, solution.by_doctor())
        ]
    )


def fairness_spread(solution: RotaSolution) -> pd.DataFrame:
    """Per burden, the smallest and largest distance of a doctor from their fair share by WTE
    (count − share): how even the rota is, in two numbers a rota coordinator can read."""
    return fairness_table(solution).groupby("burden")["difference"].agg(["min", "max"])


def pattern_table(solution: RotaSolution) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "pattern": f.pattern,
                "stated": f"1 in {f.stated}",
                "doctor": f.doctor,
                "duties": f.duties,
                "pattern_days": f.days,
                "one_in": None if f.one_in is None else round(f.one_in, 2),
            }
            for f in frequencies(solution.problem, solution.by_doctor())
        ]
    )


def calendar(solution: RotaSolution, doctor_id: str) -> Calendar:
    doctor = solution.problem.doctor(doctor_id)
    duties = [d for d in solution.duties() if d.doctor == doctor_id]
    return duty_calendar(f"{solution.problem.name}: {doctor.name}", duties)


def duty_calendar(title: str, duties: Iterable[Duty]) -> Calendar:
    """One doctor's duties as an iCalendar, in UK time (a solved rota's or a grid's read back)."""
    cal = Calendar()
    cal.add("prodid", "-//Stocktake//rota//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", title)
    stamp = datetime.now(UTC)
    for duty in duties:
        event = Event()
        event.add("uid", f"{duty.doctor}-{duty.start:%Y%m%dT%H%M}-{duty.label}@stocktake".replace(" ", "_"))
        event.add("dtstamp", stamp)
        event.add("dtstart", duty.start.replace(tzinfo=UK))
        event.add("dtend", duty.end.replace(tzinfo=UK))
        event.add("summary", duty.label)
        event.add("location", duty.site)
        if duty.kind == "on_call":
            event.add("description", f"Non-resident on call; {duty.expected_hours:g} h of work expected.")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal


def write_rota(solution: RotaSolution, folder: Path) -> Path:
    folder = Path(folder)
    (folder / "calendars").mkdir(parents=True, exist_ok=True)
    check = solution.check()
    tables = {
        "Grid": grid_table(solution),
        LEGEND_SHEET: legend_table(solution),
        "Assignments": assignment_table(solution),
        "Fairness": fairness_table(solution),
        "Patterns": pattern_table(solution),
        "Hours and weekends": doctor_table(check),
        "Breaches": breach_table(check),
        "Rules": rule_table(check),
    }
    for name, file in (
        ("Grid", "grid"),
        (LEGEND_SHEET, "shifts"),
        ("Assignments", "assignments"),
        ("Fairness", "fairness"),
    ):
        csv_ready(tables[name]).to_csv(folder / f"{file}.csv", index=False)
    csv_ready(duty_table(solution)).to_csv(folder / "duties.csv", index=False)
    with pd.ExcelWriter(folder / "rota.xlsx", engine="openpyxl") as writer:
        for name, table in tables.items():
            table.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes = "C2" if name == "Grid" else "A2"
        keep_text(writer.book)
    for doctor in solution.problem.doctors:
        (folder / "calendars" / f"{doctor.id}.ics").write_bytes(calendar(solution, doctor.id).to_ical())
    return folder
