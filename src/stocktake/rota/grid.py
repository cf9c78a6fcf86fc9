"""A rota as coordinators keep it: doctors down, dates across, a shift code in each cell.

A legend gives each code its clock times, one row per code: ``code, start, end, kind,
expected_hours, expected_episodes, breaks, site``. Kind is ``shift``, ``on_call`` (non-resident, with
the hours of work expected in it) or ``off`` (leave, rest, zero days: no duty). Times may be written
08:00, 8:00, 0800 or 8.00. The legend is a ``Shifts`` sheet of the workbook (or ``Shift legend``,
``Legend``, ``Codes``, in any case) or a CSV or XLSX file of its own. A cell may hold several codes
joined by ``+``; codes match whatever their case. The rota's period runs from its first to its last
date column (the check averages hours over it rounded up to whole weeks, and says so); a ``wte``
column, where there is one, gives each doctor's whole-time equivalent (R18), as 0.8 or 80%.
Other columns (name, grade) are carried by the grid but not read.

``stocktake rota solve`` writes ``rota.xlsx`` in this form, so a coordinator can swap duties in the
grid and check the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from stocktake.rota.duties import (
    Duty,
    RotaInputError,
    break_times,
    clock_time,
    duties_from_rows,
    duty_on,
    is_duty_list,
    number_in,
    parse_wte,
    read_table,
)

KINDS = ("shift", "on_call", "off")
LEGEND_SHEET = "Shifts"
LEGEND_SHEETS = ("shifts", "shift", "shift legend", "legend", "shift codes", "codes", "key")
GRID_SHEET = "Grid"
ERRORS_SHOWN = 5


@dataclass(frozen=True)
class Code:
    """One code of the legend: what a cell holding it means on the cell's date."""

    code: str
    kind: str
    start: time | None = None  # None for an ``off`` code
    end: time | None = None
    expected_hours: float | None = None
    expected_episodes: float | None = None
    breaks: tuple[time, ...] | None = None
    site: str = ""

    def duty(self, doctor: str, day: date) -> Duty:
        return duty_on(doctor, day, self, self.code)


@dataclass(frozen=True)
class RotaFile:
    """What a rota file holds: its duties and, for a grid, its own period, doctors and their WTE."""

    duties: tuple[Duty, ...]
    period: tuple[date, date] | None = None
    wte: tuple[tuple[str, float], ...] = ()
    named: tuple[str, ...] = ()  # a grid's doctors, those with no duty (all leave) included

    @property
    def doctors(self) -> tuple[str, ...]:
        """Every doctor the file names."""
        return tuple(sorted({d.doctor for d in self.duties} | set(self.named)))


def read_rota_file(path: Path, legend: Path | None = None) -> RotaFile:
    """A list of duties (``doctor,start,end,kind,...``) or a grid of codes with its legend."""
    sheets = read_table(path)
    legend_sheet = _sheet(sheets, LEGEND_SHEETS)
    if legend is None and legend_sheet is None:
        first = next(iter(sheets.values()))
        if is_duty_list(first):
            return RotaFile(tuple(duties_from_rows(first, str(path))))
        raise RotaInputError(
            f"{path}, row 1: neither a list of duties (columns doctor, start, end, kind) nor a grid with "
            f"its legend; for a grid of shift codes give the codes' times with --shifts FILE or a "
            f"{LEGEND_SHEET!r} sheet"
        )
    codes = (
        read_legend(legend)
        if legend is not None
        else legend_from(sheets[legend_sheet], _where(path, legend_sheet))
    )
    name = _sheet(sheets, (GRID_SHEET.lower(),)) or next((n for n in sheets if n != legend_sheet), None)
    if name is None:
        raise RotaInputError(f"{path}: a {LEGEND_SHEET!r} sheet but no sheet with the grid")
    return grid_duties(sheets[name], codes, _where(path, name))


def _sheet(sheets: dict[str, pd.DataFrame], names: tuple[str, ...]) -> str | None:
    """The first sheet whose name, ignoring case and spacing, is one of ``names``: people rename
    ``Shifts`` to ``shifts`` or ``Shift legend`` without thinking it matters."""
    wanted = {name: " ".join(str(name).split()).lower() for name in sheets}
    return next((name for name, plain in wanted.items() if name and plain in names), None)


def _where(path: Path, sheet: str) -> str:
    return f"{path}, sheet {sheet}" if sheet else str(path)


# --- the legend ---------------------------------------------------------------------------------


def read_legend(path: Path) -> dict[str, Code]:
    sheets = read_table(path)
    name = _sheet(sheets, LEGEND_SHEETS) or next(iter(sheets))
    return legend_from(sheets[name], _where(path, name))


def legend_from(frame: pd.DataFrame, where: str) -> dict[str, Code]:
    """Codes by their upper-case form; each row checked, its mistakes named by row and column."""
    missing = [c for c in ("code", "start", "end") if c not in frame.columns]
    if missing:
        raise RotaInputError(f"{where}, row 1: missing column(s) {', '.join(missing)}")
    codes: dict[str, Code] = {}
    for index, row in frame.iterrows():
        code = _code(row, f"{where}, row {index + 2}")
        if code.code.upper() in codes:
            raise RotaInputError(f"{where}, row {index + 2}, column code: {code.code!r} is given twice")
        codes[code.code.upper()] = code
    return codes


def _code(row, where: str) -> Code:
    code = str(row["code"]).strip()
    if not code or "+" in code:
        raise RotaInputError(f"{where}, column code: {code!r}: a code is needed, and it may not contain '+'")
    kind = str(row.get("kind", "")).strip() or "shift"
    if kind not in KINDS:
        raise RotaInputError(f"{where}, column kind: {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "off":
        return Code(code, kind)
    start, end = (_clock(row, column, where) for column in ("start", "end"))
    hours, episodes = (number_in(row, column, where) for column in ("expected_hours", "expected_episodes"))
    if kind == "on_call" and hours is None:
        raise RotaInputError(
            f"{where}, column expected_hours: an on-call code needs its expected hours of work"
        )
    return Code(
        code, kind, start, end, hours, episodes, break_times(row, where), str(row.get("site", "")).strip()
    )


def _clock(row, column: str, where: str) -> time:
    value = str(row[column]).strip()
    try:
        return clock_time(value)
    except ValueError as error:
        raise RotaInputError(f"{where}, column {column}: {value!r} is not a time like 08:00") from error


# --- the grid -----------------------------------------------------------------------------------


def grid_duties(frame: pd.DataFrame, codes: dict[str, Code], where: str) -> RotaFile:
    """Every cell's duties; all the cells are read before any mistake is reported."""
    doctor = next((c for c in frame.columns if str(c).strip().lower() == "doctor"), None)
    if doctor is None:
        raise RotaInputError(f"{where}, row 1: no doctor column (doctors down, dates across)")
    dates = _date_columns(frame, where)
    wte_column = next((c for c in frame.columns if str(c).strip().lower() == "wte"), None)
    duties, wte, wrong, named = [], [], [], []
    for index, row in frame.iterrows():
        name, place = str(row[doctor]).strip(), f"{where}, row {index + 2}"
        if not name:
            if any(str(row[c]).strip() for c in dates):
                wrong.append(f"{place}, column {doctor}: a row of duties needs the doctor's name")
            continue
        named.append(name)
        if wte_column is not None:
            wte += _wte(str(row[wte_column]).strip(), name, f"{place}, column {wte_column}", wrong)
        for column, day in dates.items():
            for code in _cell(str(row[column]), codes, f"{place}, column {column}", wrong):
                if code.kind != "off":
                    duties.append(code.duty(name, day))
    if wrong:
        more = f" (and {len(wrong) - ERRORS_SHOWN} more)" if len(wrong) > ERRORS_SHOWN else ""
        raise RotaInputError("; ".join(wrong[:ERRORS_SHOWN]) + more)
    duties.sort(key=lambda d: (d.doctor, d.start))
    return RotaFile(tuple(duties), (min(dates.values()), max(dates.values())), tuple(wte), tuple(named))


def _date_columns(frame: pd.DataFrame, where: str) -> dict[object, date]:
    found: dict[object, date] = {}
    for column in frame.columns:
        day = header_date(column)
        if day is None:
            continue
        if day in found.values():
            raise RotaInputError(f"{where}, row 1, column {column}: {day} has a column already")
        found[column] = day
    if not found:
        raise RotaInputError(
            f"{where}, row 1: no date columns; headed like 2026-02-02, Mon 2026-02-02 or 02/02/2026"
        )
    return found


def header_date(header) -> date | None:
    """A column heading as a date (a spreadsheet date, ISO, ``Mon 2026-02-02`` or UK ``02/02/2026``)."""
    if isinstance(header, datetime):
        return header.date()
    if isinstance(header, date):
        return header
    text = str(header).strip()
    words = text.split()
    if len(words) == 2 and words[0][:3].isalpha():
        text = words[1]  # a weekday before the date
    for parse in (lambda t: datetime.fromisoformat(t).date(), _uk_date):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _uk_date(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def _cell(text: str, codes: dict[str, Code], where: str, wrong: list[str]) -> list[Code]:
    found = []
    for part in (p.strip() for p in text.split("+")):
        if part and part.upper() in codes:
            found.append(codes[part.upper()])
        elif part:
            known = ", ".join(c.code for c in codes.values())
            wrong.append(f"{where}: {part!r} is not a code of the legend ({known})")
    return found


def _wte(value: str, doctor: str, where: str, wrong: list[str]) -> list[tuple[str, float]]:
    """The doctor's WTE when below 1 (R18); a blank cell means full time."""
    if not value:
        return []
    try:
        fraction = parse_wte(value)
    except ValueError as error:
        wrong.append(f"{where}: {error}")
        return []
    return [(doctor, fraction)] if fraction < 1 else []
