"""England's bank holidays, from the ``holidays`` package (England and Wales share them; a Scottish or
Northern Irish trust's differ). Why: a month planned by repeating the latest weeks' theatre lists
would otherwise book patients on Christmas Day. Imports nothing of Stocktake.
"""

from __future__ import annotations

from datetime import date

import holidays
import numpy as np

#: gov.uk's names where the package's differ (a theatre manager checks against gov.uk's list).
GOV_UK_NAMES = {
    "May Day": "Early May bank holiday",
    "Spring Bank Holiday": "Spring bank holiday",
    "Late Summer Bank Holiday": "Summer bank holiday",
}


def bank_holidays(first: date, last: date) -> dict[date, str]:
    """Every bank holiday from ``first`` to ``last`` (both included), by date, with gov.uk's name; a
    holiday that falls at a weekend is given on the weekday it moves to ("Boxing Day (substitute
    day)")."""
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    return {day: _gov_uk(name) for day, name in sorted(calendar.items()) if first <= day <= last}


def _gov_uk(name: str) -> str:
    moved = name.endswith(" (observed)")
    name = name.removesuffix(" (observed)")
    return GOV_UK_NAMES.get(name, name) + (" (substitute day)" if moved else "")


def working_days(first: date, end: date) -> int:
    """Weekdays that are not bank holidays from ``first`` up to ``end`` (not included): a record that
    ends on a Friday still reaches the Monday after it."""
    if first >= end:
        return 0
    return int(np.busday_count(first, end, holidays=closed_days(first, end)))


def closed_days(first: date, last: date) -> np.ndarray:
    """The bank holidays from ``first`` to ``last`` as NumPy days, for its business-day functions."""
    return np.array(list(bank_holidays(first, last)), dtype="datetime64[D]")
