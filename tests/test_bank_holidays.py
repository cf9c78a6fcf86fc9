"""England's bank holidays: checked against the working days per month NHS England publishes
(`../shared/fixtures/waitinglist/working_days_england_2016_2024.csv`), weekdays less the bank holidays
that fall on one, month by month."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.bank_holidays import bank_holidays

WORKING_DAYS = (
    Path(__file__).resolve().parents[2] / "shared/fixtures/waitinglist/working_days_england_2016_2024.csv"
)


def test_weekdays_less_bank_holidays_are_the_published_working_days():
    published = pd.read_csv(WORKING_DAYS)
    for start, workdays in zip(pd.to_datetime(published["month_year"]), published["workdays"], strict=True):
        first, last = start.date(), (start + pd.offsets.MonthEnd(0)).date()
        weekdays = int(np.busday_count(first, last + pd.Timedelta(days=1)))
        holidays = [d for d in bank_holidays(first, last) if d.weekday() < 5]
        assert weekdays - len(holidays) == workdays, f"{start:%Y-%m}"
    assert len(published) >= 100


def test_one_offs_and_weekend_moves():
    """The 2022 state funeral and 2023 coronation; Christmas 2021 at a weekend moved to the 27th and 28th."""
    assert bank_holidays(date(2022, 9, 1), date(2022, 9, 30)) == {
        date(2022, 9, 19): "State Funeral of Queen Elizabeth II"
    }
    may = bank_holidays(date(2024, 5, 1), date(2024, 5, 31))  # gov.uk's names, not the package's
    assert may == {date(2024, 5, 6): "Early May bank holiday", date(2024, 5, 27): "Spring bank holiday"}
    assert bank_holidays(date(2026, 12, 28), date(2026, 12, 28)) == {
        date(2026, 12, 28): "Boxing Day (substitute day)"
    }
    assert date(2023, 5, 8) in bank_holidays(date(2023, 5, 1), date(2023, 5, 31))
    december = bank_holidays(date(2021, 12, 1), date(2021, 12, 31))
    assert {d for d in december if d.weekday() < 5} == {date(2021, 12, 27), date(2021, 12, 28)}


def test_working_days_skip_weekends_and_bank_holidays():
    """Hand-counted: a weekend has none; Easter 2024 (Good Friday 29 March to Easter Monday 1 April)
    none; the week after it five."""
    from stocktake.bank_holidays import working_days

    assert working_days(date(2023, 9, 30), date(2023, 10, 2)) == 0
    assert working_days(date(2024, 3, 29), date(2024, 4, 2)) == 0
    assert working_days(date(2024, 4, 2), date(2024, 4, 9)) == 5
    assert working_days(date(2024, 4, 9), date(2024, 4, 2)) == 0
