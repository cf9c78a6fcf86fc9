"""One wording for a span of months: "April 2023 to March 2024", and "June 2024" alone when the span is
one month ("June 2024 to June 2024" reads as a slip). Every page, report and file that names a period
of months words it here. Imports nothing of Stocktake, so any room can use it.
"""

from __future__ import annotations

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
