"""England's bank holidays, from the ``holidays`` package (England and Wales share them; a Scottish or
Northern Irish trust's differ). Why: a month planned by repeating the latest weeks' theatre lists
would otherwise book patients on Christmas Day. Imports nothing of Stocktake.
"""

from __future__ import annotations

from datetime import date

import holidays


def bank_holidays(first: date, last: date) -> dict[date, str]:
    """Every bank holiday from ``first`` to ``last`` (both included), by date, with its name; a
    holiday that falls at a weekend is given on the weekday it moves to ("Boxing Day (observed)")."""
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    return {day: name for day, name in sorted(calendar.items()) if first <= day <= last}
