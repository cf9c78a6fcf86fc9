"""A rota as doctors' duties on real clock times, read from CSV or XLSX.

Columns: doctor, start, end (YYYY-MM-DD HH:MM), kind (shift | on_call), expected_hours (the work
expected during a non-resident on-call period; blank for a shift), and optional site and label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

HOUR = timedelta(hours=1)
REQUIRED = ("doctor", "start", "end", "kind")


class RotaInputError(ValueError):
    """A rota file that cannot be read; the message names the file, row and column."""


@dataclass(frozen=True)
class Duty:
    doctor: str
    start: datetime
    end: datetime
    kind: str = "shift"  # "shift" or "on_call"
    expected_hours: float | None = None
    site: str = ""
    label: str = ""

    @property
    def span_hours(self) -> float:
        return (self.end - self.start) / HOUR

    @property
    def work_hours(self) -> float:
        """Actual work: the whole of a shift, the expected work of an on-call period."""
        if self.kind == "on_call":
            return float(self.expected_hours or 0.0)
        return self.span_hours

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Work falling between two instants, spreading an on-call period's work evenly."""
        overlap = (min(self.end, end) - max(self.start, start)) / HOUR
        return max(overlap, 0.0) * self.work_hours / self.span_hours if self.span_hours else 0.0


def read_rota(path: Path) -> list[Duty]:
    path = Path(path)
    try:
        frame = (
            pd.read_excel(path, dtype=str)
            if path.suffix.lower() in (".xlsx", ".xlsm")
            else pd.read_csv(path, dtype=str, keep_default_na=False)
        )
    except (OSError, ValueError) as error:
        raise RotaInputError(f"{path}: cannot read the rota: {error}") from error
    frame = frame.fillna("")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise RotaInputError(f"{path}, row 1: missing column(s) {', '.join(missing)}")
    duties = []
    for index, row in frame.iterrows():
        duties.append(_duty(row, f"{path}, row {index + 2}"))
    return sorted(duties, key=lambda d: (d.doctor, d.start))


def _duty(row, where: str) -> Duty:
    times = {}
    for column in ("start", "end"):
        try:
            times[column] = datetime.fromisoformat(str(row[column]).strip())
        except ValueError as error:
            raise RotaInputError(
                f"{where}, column {column}: {row[column]!r} is not a date and time like 2025-08-06 08:00"
            ) from error
    if times["end"] <= times["start"]:
        raise RotaInputError(f"{where}, column end: {row['end']!r} is not after the start")
    kind = str(row["kind"]).strip() or "shift"
    if kind not in ("shift", "on_call"):
        raise RotaInputError(f"{where}, column kind: {kind!r} is not shift or on_call")
    expected = str(row.get("expected_hours", "")).strip()
    if kind == "on_call" and not expected:
        raise RotaInputError(
            f"{where}, column expected_hours: an on-call period needs its expected hours of work"
        )
    try:
        hours = float(expected) if expected else None
    except ValueError as error:
        raise RotaInputError(f"{where}, column expected_hours: {expected!r} is not a number") from error
    return Duty(
        str(row["doctor"]).strip(),
        times["start"],
        times["end"],
        kind,
        hours,
        str(row.get("site", "")).strip(),
        str(row.get("label", "")).strip(),
    )
