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

``saving_chart`` draws the same agreement as an XmR chart of the price paid per unit (or the spend
per case, given the cases) month by month, its limits started again at the agreed month by the
stock-take's own rebase rule (``spc.rebase``: honoured once 12 values follow it), so the chart says
whether the saving held: a new period around the agreed price, and a drift back up flagged as
special cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.procurement.savings import with_spend
from stocktake.spc.rebase import plan_rebases, rebase_point
from stocktake.spc.xmr import ManyXmr, XmrChart, xmr_many

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


@dataclass(frozen=True)
class SavingChart:
    """An agreed saving's monthly series as an XmR chart, shaped as ``report.charts.facet_charts``
    reads a charted table (``facet``, ``x``, ``y``, ``result``: one facet, the agreement).

    ``rebased_at`` is the point the limits start again at (the agreed month), None while too few
    values follow it (``deferred`` then holds that point and the count so far) or when the orders
    begin at the agreed month (there is no before to compare with).
    """

    saving: AgreedSaving
    measure: str  # "price per unit" or "spend per case"
    facet: np.ndarray
    x: pd.DatetimeIndex
    y: np.ndarray
    result: ManyXmr
    rebased_at: int | None
    deferred: tuple[int, int] | None = None

    @property
    def chart(self) -> XmrChart:
        """The one chart (a lower price is better; the agreed price is the target per unit)."""
        return self.result.chart(self.facet[0], self.y, "decrease", self.target)

    @property
    def target(self) -> float | None:
        return self.saving.new_price if self.measure == "price per unit" else None

    @property
    def label(self) -> str:
        where = f" at {self.saving.site}" if self.saving.site is not None else ""
        return (
            f"{self.saving.item_code}{where}: {self.measure}, agreed £{self.saving.baseline_price:,.2f} "
            f"→ £{self.saving.new_price:,.2f} from {self.saving.start}"
        )


def saving_chart(
    orders: pd.DataFrame,
    saving: AgreedSaving,
    last: pd.Period | None = None,
    cases: pd.Series | None = None,
) -> SavingChart:
    """The agreement's price per unit (net spend ÷ net quantity) each month from the item's first
    order to ``last`` (default: the latest month ordered), a month without orders a missing value;
    given ``cases`` (a count per month, indexed by ``pd.Period``), the spend per case instead.

    The limits start again at the agreed month when ``spc.rebase`` honours it (enough values after).
    """
    lines = with_spend(orders).assign(month=orders["ordered_on"].dt.to_period("M"))
    mine = lines[lines["item_code"] == saving.item_code]
    if saving.site is not None:
        mine = mine[mine["site"] == saving.site]
    if mine.empty:
        raise ValueError(f"{saving.item_code}: no order lines to chart")
    last = last or lines["month"].max()
    monthly = mine.groupby("month").agg(quantity=("quantity", "sum"), spend=("spend", "sum"))
    months = pd.period_range(min(monthly.index.min(), saving.start), last, freq="M")
    monthly = monthly.reindex(months)
    if cases is None:
        measure, per = "price per unit", monthly["quantity"]
    else:
        measure, per = "spend per case", pd.Series(cases, dtype=float).reindex(months)
    y = (monthly["spend"] / per.where(per > 0)).to_numpy(dtype=float)
    x = months.to_timestamp()
    point = rebase_point(x, saving.start.to_timestamp())
    plan = plan_rebases([] if point is None else [point], y)
    starts = np.zeros(len(y), dtype=bool)
    starts[list(plan.honoured)] = True
    facet = np.full(len(y), saving.item_code, dtype=object)
    result = xmr_many(
        facet, y, starts, improvement="decrease", target=saving.new_price if cases is None else None
    )
    deferred = plan.deferred[0] if plan.deferred else None
    return SavingChart(
        saving, measure, facet, x, y, result, plan.honoured[0] if plan.honoured else None, deferred
    )
