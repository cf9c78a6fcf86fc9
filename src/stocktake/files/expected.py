"""An expected-counts file: ``unit,expected``, one row per site, consultant or trust, the expected
count of events (deaths within 30 days, say) a case-mix model gives each over the same months.

Read from the bytes of an upload; any problem is one line naming the row and column.
"""

from __future__ import annotations

import csv
import io
import math

COLUMNS = ("unit", "expected")
#: A file longer than this is not a list of units.
MAX_ROWS = 10_000


class ExpectedFileError(ValueError):
    """A file that cannot be used; the message is one line naming file, row and column."""


def parse_expected(content: bytes, name: str = "expected counts") -> dict[str, float]:
    """Each unit's expected count (positive, finite), in the file's order."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExpectedFileError(f"{name}: not a text (CSV) file in UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ExpectedFileError(
            f"{name}, row 1: no column {missing[0]!r} (expected the columns unit,expected)"
        )
    if len(rows) > MAX_ROWS + 1:
        raise ExpectedFileError(f"{name}: more than {MAX_ROWS:,} rows; expected one row per unit")
    at = {c: header.index(c) for c in COLUMNS}
    expected: dict[str, float] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in at.items()}
        unit, text_value = cells["unit"], cells["expected"]
        if not unit:
            raise ExpectedFileError(f"{name}, row {number}, column unit: empty; name the unit")
        if unit in expected:
            raise ExpectedFileError(f"{name}, row {number}, column unit: {unit!r} is listed twice")
        try:
            value = float(text_value.replace(",", ""))
        except ValueError:
            raise ExpectedFileError(
                f"{name}, row {number}, column expected: {text_value!r} is not a number"
            ) from None
        if not math.isfinite(value) or value <= 0:
            raise ExpectedFileError(
                f"{name}, row {number}, column expected: {text_value!r}; an expected count must be above 0"
            )
        expected[unit] = value
    if not expected:
        raise ExpectedFileError(f"{name}: no rows; expected one row per unit (unit,expected)")
    return expected
