"""Months, read and written one way everywhere.

Written: "April 2023 to March 2024", and "June 2024" alone when the span is one month ("June 2024 to
June 2024" reads as a slip); every page, report and file that names a period of months words it here.
Read: a month as a file or a person writes it (2024-04, Apr-24, April 2024, 04/2024), by a history's
cells and by every command's month option alike. Imports nothing of Stocktake, so any room can use it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd

MONTH = "%B %Y"


def _month(when) -> pd.Period:
    """A month from a date, a timestamp, a pandas Period or YYYY-MM text."""
    if isinstance(when, pd.Period):
        return when.asfreq("M")
    if isinstance(when, str | date | datetime | pd.Timestamp):
        return pd.Period(when, freq="M")
    raise TypeError(f"not a month: {when!r}")


def months_between(first, last, form: str = MONTH) -> str:
    """ "April 2023 to March 2024", or one month's name when ``first`` and ``last`` are in the same
    month; ``form`` is the strftime form of each month (``"%b %Y"`` for a short caption)."""
    a, b = _month(first), _month(last)
    if a == b:
        return a.strftime(form)
    return f"{a.strftime(form)} to {b.strftime(form)}"


#: The ways a history's month may be written: as typed, and as Excel in the UK saves a month it read.
MONTH_FORMS = "like 2024-04, Apr-24, April 2024, 04/2024, 2024-04-01 or 01/04/2024"
_FULL_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
#: English month names, full or in three letters (not the locale's: a history is read the same anywhere).
_MONTH_NAMES = {n: i for i, full in enumerate(_FULL_NAMES, 1) for n in (full, full[:3])} | {"sept": 9}


def history_month(text: str) -> pd.Period | None:
    """The month a history's cell names (see :data:`MONTH_FORMS`: a date is read as its month, day
    first as in the UK), or None. A history dated the US way (09/01/2024) reads as one January
    repeated, which the repeated-month check refuses."""
    text = text.strip()
    if found := re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text):
        year, month, day = found.groups()
    elif found := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        day, month, year = found.groups()
    elif found := re.fullmatch(r"(\d{1,2})/(\d{4})", text):  # 03/2026: a month, one way only
        (month, year), day = found.groups(), None
    elif found := re.fullmatch(r"([A-Za-z]+)[- ](\d{2}|\d{4})", text):
        (name, year), day = found.groups(), None
        month = _MONTH_NAMES.get(name.lower())
        if month is None:
            return None
        if len(year) == 2:  # as Excel reads a two-digit year: 00–29 this century, 30–99 the last
            year = f"{20 if int(year) < 30 else 19}{year}"
    else:
        return None
    try:
        date = pd.Timestamp(year=int(year), month=int(month), day=int(day or 1))
    except ValueError:
        return None
    return date.to_period("M")


def option_month(text: str) -> pd.Period:
    """A command's month, written as a history's may be (an outside check had `--since Apr-21` refused
    beside a file that reads it); a ValueError says why not. Not a date in numbers (03/01/2026 is
    January in the UK, March in the US: a file's repeated months catch a US file, one option nothing),
    nor a year before 2000 (`Jan-30` reads as 1930)."""
    if re.fullmatch(r"\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*", text):
        raise ValueError(
            "a date in numbers can be one month in the UK and another in the US; "
            "write the month as 2024-04 or Apr-24"
        )
    month = history_month(text)
    if month is None:
        raise ValueError("not a month (like 2024-04, Apr-24 or 04/2024)")
    if month.year < 2000:
        two_digits = not re.search(r"\d{4}", text)
        raise ValueError(
            f"reads as {month}"
            + ("; write the year in full (2030-01)" if two_digits else ", before any data Stocktake reads")
        )
    return month
