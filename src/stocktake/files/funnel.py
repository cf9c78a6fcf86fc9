"""Funnel plots from an analyst's CSV: read and check it, compare the units, write the tables.

Rows with the same unit are added up (a file with one row per case, numerator 0 or 1 and
denominator 1, gives each surgeon's totals), except DSRs, which cannot be added: one row per unit.
Every cell is checked before anything is computed, and nothing is written unless everything is
ready: each output goes to a temporary file first and all are renamed into place together.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.atomic import move_into_place, staging_folder
from stocktake.files.peer_figures import written_number
from stocktake.files.spc import _number_text, _read_raw, check_outputs
from stocktake.funnel import Funnel, FunnelDataError, FunnelLimits, FunnelMethod, compare_units
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.spreadsheets import as_csv_text

UNIT_COLUMNS = (
    "unit",
    "numerator",
    "denominator",
    "value",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "significance",
)
LIMIT_COLUMNS = ("denominator", "lower_95", "upper_95", "lower_998", "upper_998", "baseline")
CHART_SUFFIXES = (".html", ".htm", ".svg", ".png")


class FunnelInputError(ValueError):
    """Input that cannot be compared; the message names the file, row and column."""


@dataclass(frozen=True)
class FunnelRequest:
    input: Path
    unit: str
    numerator: str
    denominator: str
    method: FunnelMethod
    rate: str | None = None  # the DSR column, for rate_type "dsr"
    limits_at: tuple[float, ...] | None = None  # None: a smooth set spanning the units


@dataclass(frozen=True)
class FunnelTable:
    """The units (in the order they first appear), the first row behind each, and the funnel."""

    units: tuple[str, ...]
    first_rows: tuple[int, ...]
    funnel: Funnel


def parse_limits_at(text: str) -> tuple[float, ...]:
    """'1000,5000,10000' → (1000.0, 5000.0, 10000.0); each must be a positive number."""
    values = []
    for part in text.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            raise FunnelInputError(f"--limits-at {text!r}: {part.strip()!r} is not a number") from None
        if not (np.isfinite(value) and value > 0):
            raise FunnelInputError(f"--limits-at {text!r}: {part.strip()!r} is not a positive number")
        values.append(value)
    return tuple(values)


def check_funnel_outputs(outputs: dict[str, Path | None], input_path: Path) -> None:
    """Refuse an unwritable or clashing output, or a chart type we cannot draw, before any work."""
    try:
        check_outputs(outputs, input_path)
    except ValueError as error:
        raise FunnelInputError(str(error)) from None
    chart = outputs.get("--chart")
    if chart is not None and Path(chart).suffix.lower() not in CHART_SUFFIXES:
        raise FunnelInputError(f"--chart {chart}: a chart must be .html, .svg or .png")


def run_funnel(request: FunnelRequest) -> FunnelTable:
    """Read, check and compare the request's CSV."""
    path = Path(request.input)
    raw, delimiter = _read_raw(path)
    columns = [
        request.unit,
        request.numerator,
        request.denominator,
        *([request.rate] if request.rate else []),
    ]
    for column in columns:
        if column not in raw.columns:
            raise FunnelInputError(f"{path}, row 1: no column {column!r} (columns: {', '.join(raw.columns)})")
    if raw.empty:
        raise FunnelInputError(f"{path}: no rows to compare")
    decimal_comma = delimiter == ";"
    units = raw[request.unit].str.strip()
    empty = units == ""
    if empty.any():
        row = units.index[empty][0]
        raise FunnelInputError(
            f"{path}, row {row}, column {request.unit}: is empty; expected the unit's name"
        )
    numerator = _numbers(raw[request.numerator], path, request.numerator, decimal_comma)
    denominator = _numbers(raw[request.denominator], path, request.denominator, decimal_comma)
    rate = _numbers(raw[request.rate], path, request.rate, decimal_comma) if request.rate else None
    _check_rows(path, request, raw, numerator, denominator)
    frame = pd.DataFrame({"unit": units, "numerator": numerator, "denominator": denominator}, index=raw.index)
    if rate is not None:
        frame["rate"] = rate
    if request.method.is_dsr:
        repeated = frame["unit"].duplicated()
        if repeated.any():
            row = frame.index[repeated][0]
            first = frame.index[frame["unit"] == frame.at[row, "unit"]][0]
            raise FunnelInputError(
                f"{path}, row {row}, column {request.unit}: the unit is also on row {first}; "
                "a DSR cannot be added up, so give one row per unit"
            )
    grouped = frame.groupby("unit", sort=False)
    totals = grouped[["numerator", "denominator"]].sum()
    first_rows = grouped.apply(lambda rows: rows.index[0], include_groups=False)
    rates = grouped["rate"].first().to_numpy() if rate is not None else None
    try:
        funnel = compare_units(
            totals["numerator"].to_numpy(), totals["denominator"].to_numpy(), request.method, rates
        )
    except FunnelDataError as error:
        column = {"numerator": request.numerator, "denominator": request.denominator, "rate": request.rate}
        if error.position is None:
            raise FunnelInputError(f"{path}, column {column[error.field]}: {error.reason}") from None
        row = int(first_rows.iloc[error.position])
        total = (
            totals.iloc[error.position][error.field] if error.field in totals else frame.at[row, error.field]
        )
        raise FunnelInputError(
            f"{path}, row {row}, column {column[error.field]}: {_text(total)} (the unit's total) "
            f"{error.reason}"
        ) from None
    return FunnelTable(tuple(totals.index), tuple(int(r) for r in first_rows), funnel)


def _numbers(text: pd.Series, path: Path, column: str, decimal_comma: bool) -> pd.Series:
    """Every cell a finite number: an empty or non-numeric cell is named by row and column."""
    stripped = _number_text(text, decimal_comma)
    # the peer figures' strict reader (issue 28): 1e3 refused, as it is there, never read as 1000
    parsed = stripped.map(lambda t: written_number(t) if t else None).astype(float)
    bad = ~np.isfinite(parsed)
    if bad.any():
        row = bad.index[bad][0]
        what = "is empty" if stripped[row] == "" else f"{text[row]!r} is not a number"
        raise FunnelInputError(f"{path}, row {row}, column {column}: {what} (expected a finite number)")
    return parsed


def _check_rows(path: Path, request: FunnelRequest, raw, numerator, denominator) -> None:
    """Each row's own numbers, before any are added up, so the row at fault is the one named."""
    checks = [
        (numerator < 0, request.numerator, "is negative (expected 0 or more)"),
        (denominator <= 0, request.denominator, "is not above zero (expected a positive number)"),
    ]
    if request.method.statistic == "proportion":
        above = f"is above the row's {request.denominator} (a proportion is at most 1)"
        checks.append((numerator > denominator, request.numerator, above))
    for bad, column, reason in checks:
        if bad.any():
            row = bad.index[bad][0]
            raise FunnelInputError(f"{path}, row {row}, column {column}: {raw.at[row, column]!r} {reason}")


def _text(value: float) -> str:
    return _number(value) or "NA"


def _number(value: float) -> str:
    """A number as written in the output: whole numbers without a decimal point, others in full
    (shortest round-trip form), missing as empty."""
    if value is None or not np.isfinite(value):
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def units_csv(table: FunnelTable) -> str:
    """UNITS.csv: one row per unit, with its limits at its own denominator and its label."""
    f = table.funnel
    rows = [
        [
            as_csv_text(mask_nhs_numbers(str(unit))),  # text in a spreadsheet, never a formula or a patient
            _number(f.numerator[i]),
            _number(f.denominator[i]),
            _number(f.value[i]),
            _number(f.limits.lower_95[i]),
            _number(f.limits.upper_95[i]),
            _number(f.limits.lower_998[i]),
            _number(f.limits.upper_998[i]),
            f.significance[i],
        ]
        for i, unit in enumerate(table.units)
    ]
    return _csv(UNIT_COLUMNS, rows)


def limits_csv(limits: FunnelLimits) -> str:
    """LIMITS.csv: the four lines and the baseline at each denominator."""
    rows = [
        [
            _number(limits.denominator[i]),
            _number(limits.lower_95[i]),
            _number(limits.upper_95[i]),
            _number(limits.lower_998[i]),
            _number(limits.upper_998[i]),
            _number(limits.baseline),
        ]
        for i in range(limits.denominator.size)
    ]
    return _csv(LIMIT_COLUMNS, rows)


def chart_limits(table: FunnelTable, limits_at: tuple[float, ...] | None) -> FunnelLimits:
    """The limits asked for, or a smooth set of 100 spanning the units."""
    if limits_at:
        return table.funnel.limits_at(np.array(limits_at))
    return table.funnel.spanning_limits()


def _csv(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_all(contents: dict[Path, str | bytes]) -> None:
    """Write every file or none: each to a temporary file beside it, then all renamed into place."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in contents.items():
            handle, temporary = tempfile.mkstemp(
                dir=staging_folder(Path(path)), prefix=f".{Path(path).name}.", suffix=".tmp"
            )
            with os.fdopen(handle, "wb") as out:
                out.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
            staged.append((temporary, Path(path)))
        for temporary, path in staged:
            move_into_place(temporary, path)
        staged = []
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
