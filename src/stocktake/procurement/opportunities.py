"""The largest price-per-unit savings of the last year, each with the evidence a lead shows a peer.

A saving alone invites the question "against what?". Each opportunity therefore carries every
unit's price per unit for the same item (or category), the target those prices set and the unit's
own quantity and spend, so the sum can be checked by hand: saving = spend − quantity × target.
The workspace's Procurement page and the board report list the same opportunities.

Pure: order lines in (``item_code``, the unit column, ``unit_price``, ``quantity``, ``ordered_on``,
optionally ``description`` and the category column), frozen records out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from stocktake.procurement.savings import PriceTarget, Savings, between, category_savings, item_savings

#: The page and the report look at the last year of orders, to the last month ordered.
WINDOW_MONTHS = 12
#: A saving below a penny is rounding, not an opportunity.
LEAST_SAVING = 0.005


@dataclass(frozen=True)
class UnitPrice:
    """One unit's (site's or trust's) net quantity, spend and price per unit for an item or category."""

    unit: str
    quantity: float
    spend: float
    price_per_unit: float


@dataclass(frozen=True)
class Opportunity:
    """A unit paying more per unit than the target its peers set, with the prices behind the target."""

    level: str  # item | category
    key: str  # the item code, or the category
    description: str  # the item's description, or the unit's products in the category
    unit: str
    quantity: float
    spend: float
    price_per_unit: float
    target_price: float
    potential_saving: float
    #: Every unit's price for this item or category, cheapest first: what the target was taken from.
    prices: tuple[UnitPrice, ...]


@dataclass(frozen=True)
class Opportunities:
    """The top opportunities at item and category level over ``first``–``last``."""

    first: pd.Period
    last: pd.Period
    unit: str  # site | trust
    target: PriceTarget
    category: str  # the column grouping like-for-like products
    items: tuple[Opportunity, ...]
    categories: tuple[Opportunity, ...]
    #: Totals over every opportunity, not only those listed.
    item_saving: float
    category_saving: float
    item_count: int
    category_count: int
    spend: float
    lines: int
    #: Order lines left out of the category level for want of a category.
    uncategorised: int = 0


def last_months(orders: pd.DataFrame, months: int = WINDOW_MONTHS) -> tuple[pd.Period, pd.Period]:
    """The ``months`` months ending with the last month anything was ordered."""
    last = orders["ordered_on"].max().to_period("M")
    return last - (months - 1), last


def find_opportunities(
    orders: pd.DataFrame,
    *,
    unit: str = "site",
    target: PriceTarget | None = None,
    category: str = "description",
    months: int | None = WINDOW_MONTHS,
    top: int | None = 10,
) -> Opportunities:
    """The ``top`` savings (all, when None) per item and per category over the last ``months`` of
    ``orders`` (every month, when None: what ``stocktake procurement savings`` prices given no
    --from), largest first. ``target`` must be a percentile: a contract price sets no category's
    target."""
    target = target or PriceTarget()
    if target.percentile is None:
        raise ValueError("opportunities are priced against a percentile of the units' prices")
    if orders.empty:
        raise ValueError("no order lines to price")
    if months is None:
        first, last = orders["ordered_on"].min().to_period("M"), orders["ordered_on"].max().to_period("M")
    else:
        first, last = last_months(orders, months)
    recent = between(orders, first, last)
    items = item_savings(recent, unit, target)
    descriptions = _descriptions(recent)
    item_rows = _opportunities(items, unit, lambda key, _row: descriptions.get(key, ""))
    filled = recent[category].notna() & (recent[category].astype(str).str.strip() != "")
    categories = category_savings(recent[filled], unit, target, category) if filled.any() else None
    category_rows = (
        _opportunities(categories, unit, lambda _key, row: row["products"]) if categories is not None else []
    )
    return Opportunities(
        first=first,
        last=last,
        unit=unit,
        target=target,
        category=category,
        items=tuple(item_rows[:top] if top is not None else item_rows),
        categories=tuple(category_rows[:top] if top is not None else category_rows),
        item_saving=sum(o.potential_saving for o in item_rows),
        category_saving=sum(o.potential_saving for o in category_rows),
        item_count=len(item_rows),
        category_count=len(category_rows),
        spend=float((recent["unit_price"].astype(float) * recent["quantity"].astype(float)).sum()),
        lines=len(recent),
        uncategorised=int((~filled).sum()),
    )


def _descriptions(orders: pd.DataFrame) -> dict[str, str]:
    if "description" not in orders.columns:
        return {}
    described = orders.dropna(subset=["description"])
    return {str(k): str(v) for k, v in described.groupby("item_code")["description"].first().items()}


def _opportunities(savings: Savings, unit: str, describe) -> list[Opportunity]:
    table = savings.table
    key = table.columns[0]
    evidence = {
        group: tuple(
            UnitPrice(str(r[unit]), float(r["quantity"]), float(r["spend"]), float(r["price_per_unit"]))
            for _, r in rows.sort_values(["price_per_unit", unit], kind="stable").iterrows()
        )
        for group, rows in table.groupby(key, sort=False)
    }
    found = []
    for _, row in table.iterrows():  # already largest saving first
        if not row["potential_saving"] >= LEAST_SAVING:  # NaN (no target) is no saving either
            continue
        found.append(
            Opportunity(
                level=savings.level,
                key=str(row[key]),
                description=describe(row[key], row),
                unit=str(row[unit]),
                quantity=float(row["quantity"]),
                spend=float(row["spend"]),
                price_per_unit=float(row["price_per_unit"]),
                target_price=float(row["target_price"]),
                potential_saving=float(row["potential_saving"]),
                prices=evidence[row[key]],
            )
        )
    return found
