"""Agreed savings tracked month by month: realised against planned, cash-releasing against cost
avoidance.

An agreed saving is a product, the month it starts, the price paid before (the baseline) and the
price agreed. Each month from the start:
- planned = quantity bought × (baseline price − agreed price);
- realised = quantity bought × baseline price − actual spend (what the month would have cost at
  the old price, less what it did cost);
- cash-releasing = the part of the realised saving that shows as spend below the baseline
  months' average monthly spend (money that can leave the budget);
- cost avoidance = the rest: the saving on volume above the baseline, which avoids a cost but
  frees no cash.
Pure: order lines and agreements in, a table out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.procurement.savings import with_spend

BASELINE_MONTHS = 12
TRACKING_COLUMNS = (
    "item_code",
    "site",
    "month",
    "quantity",
    "spend",
    "price_per_unit",
    "planned_saving",
    "realised_saving",
    "cash_releasing",
    "cost_avoidance",
)


@dataclass(frozen=True)
class AgreedSaving:
    """A saving the department agreed; ``site`` None means every site's orders together."""

    item_code: str
    start: pd.Period
    baseline_price: float
    new_price: float
    site: str | None = None

    def __post_init__(self):
        if not (np.isfinite(self.baseline_price) and np.isfinite(self.new_price)):
            raise ValueError(f"{self.item_code}: prices must be finite numbers")
        if self.baseline_price < 0 or self.new_price < 0:
            raise ValueError(f"{self.item_code}: prices cannot be negative")


def track(
    orders: pd.DataFrame, agreed: Sequence[AgreedSaving], last: pd.Period | None = None
) -> pd.DataFrame:
    """One row per agreement and month from its start to ``last`` (default: the latest month
    ordered), months without orders included as zeros."""
    lines = with_spend(orders).assign(month=orders["ordered_on"].dt.to_period("M"))
    last = last or lines["month"].max()
    tables = [_one(lines, saving, last) for saving in agreed]
    if not tables:
        return pd.DataFrame(columns=TRACKING_COLUMNS)
    return pd.concat(tables, ignore_index=True)[list(TRACKING_COLUMNS)]


def _one(lines: pd.DataFrame, saving: AgreedSaving, last: pd.Period) -> pd.DataFrame:
    mine = lines[lines["item_code"] == saving.item_code]
    if saving.site is not None:
        mine = mine[mine["site"] == saving.site]
    monthly = mine.groupby("month").agg(quantity=("quantity", "sum"), spend=("spend", "sum"))
    months = pd.period_range(saving.start, last, freq="M")
    table = monthly.reindex(months, fill_value=0).rename_axis("month").reset_index()
    table["price_per_unit"] = table["spend"] / table["quantity"].where(table["quantity"] != 0)
    table["planned_saving"] = table["quantity"] * (saving.baseline_price - saving.new_price)
    table["realised_saving"] = table["quantity"] * saving.baseline_price - table["spend"]
    baseline_spend = _baseline_monthly_spend(monthly, saving.start, lines["month"].min())
    below_baseline = (baseline_spend - table["spend"]).clip(lower=0)
    table["cash_releasing"] = np.minimum(below_baseline, table["realised_saving"].clip(lower=0))
    table["cost_avoidance"] = table["realised_saving"] - table["cash_releasing"]
    table["item_code"] = saving.item_code
    table["site"] = saving.site if saving.site is not None else "all"
    table["month"] = table["month"].astype(str)
    return table


def _baseline_monthly_spend(monthly: pd.DataFrame, start: pd.Period, first_ordered: pd.Period) -> float:
    """The average monthly spend in the (up to) 12 months before the start, months without orders
    counted as nothing spent; NaN when the data begin at the start (no baseline to release from)."""
    first = max(start - BASELINE_MONTHS, first_ordered)
    if first >= start:
        return float("nan")
    months = pd.period_range(first, start - 1, freq="M")
    return float(monthly["spend"].reindex(months, fill_value=0).mean())
