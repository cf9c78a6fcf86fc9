"""Price-per-unit savings, the OpenPrescribing method (Croker et al., BMJ Open 2018; ADR 20).

For each item and each unit (a site, or a trust), the price per unit is net spend ÷ net quantity over
the period, credit notes (negative quantities) netting off. The target is a percentile of the units'
prices per unit for that item (the 10th, linearly interpolated, as numpy's default); a unit's
potential saving is what it spent above buying its quantity at the target, never below zero. At
category level the same is done over every product of a category together, so the saving is the
one from product choice as well as price.

Pure: takes a table of order lines (its index names the rows, for messages) and knows no files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: OpenPrescribing's target: "as well as the best 10%".
DEFAULT_PERCENTILE = 10.0
ITEM_COLUMNS = ("item_code", "quantity", "spend", "price_per_unit", "target_price", "potential_saving")
#: A net spend this close to zero on a net quantity of zero is a full return, not an error (floats).
PENNY_TOLERANCE = 0.005


class ProcurementInputError(ValueError):
    """Order lines that cannot be priced: the message, the rows behind it (the table's index) and
    the column at fault; the reader of the file adds its name."""

    def __init__(self, message: str, rows: tuple = (), column: str | None = None):
        super().__init__(message)
        self.message = message
        self.rows = tuple(rows)
        self.column = column


@dataclass(frozen=True)
class PriceTarget:
    """How an item's target price per unit is set: a percentile of the units' prices per unit, or
    the contract price on each order line (``column``)."""

    percentile: float | None = DEFAULT_PERCENTILE
    column: str | None = None

    def __post_init__(self):
        if (self.percentile is None) == (self.column is None):
            raise ValueError("a target is either a percentile or a contract price column")
        if self.percentile is not None and not 0 <= self.percentile <= 100:
            raise ValueError(f"the percentile must lie between 0 and 100, not {self.percentile}")

    @classmethod
    def parse(cls, text: str) -> PriceTarget:
        """``10``, ``best`` (the lowest price per unit), ``median``, or any percentile 0–100."""
        named = {"best": 0.0, "median": 50.0}
        if text.strip().lower() in named:
            return cls(percentile=named[text.strip().lower()])
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"--percentile {text!r}: expected a number 0–100, best or median") from None
        if not np.isfinite(value) or not 0 <= value <= 100:
            raise ValueError(f"--percentile {text!r}: expected a number 0–100, best or median")
        return cls(percentile=value)

    @property
    def label(self) -> str:
        if self.column is not None:
            return f"the contract price ({self.column})"
        if self.percentile == 0:
            return "the best price per unit"
        if self.percentile == 50:
            return "the median price per unit"
        return f"the {self.percentile:g}th percentile of the price per unit"


@dataclass(frozen=True)
class Savings:
    """One row per item (or category) and unit, the largest saving first; ``products`` lists each
    category's products at category level."""

    table: pd.DataFrame
    level: str  # item | category
    unit: str  # the unit column: site | trust
    target: PriceTarget
    products: pd.DataFrame | None = None

    @property
    def total_spend(self) -> float:
        return float(self.table["spend"].sum())

    @property
    def total_saving(self) -> float:
        return float(self.table["potential_saving"].sum())  # rows without a target add nothing


#: What a spend too large to count is told (a price of 1e308 would otherwise print "£inf spent").
OVERFLOW = "is too large to count (the spend overflows); is the price or the quantity right?"


def with_spend(orders: pd.DataFrame) -> pd.DataFrame:
    """The order lines with ``spend`` = unit price × quantity (a credit note's is negative); a line
    whose spend overflows (1e308 × 5) is refused, never counted as infinity."""
    with np.errstate(over="ignore", invalid="ignore"):
        spend = orders["unit_price"].astype(float) * orders["quantity"].astype(float)
    overflow = ~np.isfinite(spend.to_numpy())
    if overflow.any():
        row = orders.index[overflow][0]
        price, quantity = (
            orders["unit_price"].iloc[overflow.argmax()],
            orders["quantity"].iloc[overflow.argmax()],
        )
        raise ProcurementInputError(f"{price:g} × {quantity:g} {OVERFLOW}", rows=(row,), column="unit_price")
    return orders.assign(spend=spend)


def net_by(orders: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Net quantity and spend per group, with its price per unit; a group that nets to nothing (all
    returned) is dropped, and one whose quantity nets to zero or below with spend left is refused."""
    lines = orders if "spend" in orders.columns else with_spend(orders)
    grouped = lines.groupby(keys, sort=True, dropna=False)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum is refused just below
        net = grouped.agg(quantity=("quantity", "sum"), spend=("spend", "sum")).reset_index()
    overflow = ~np.isfinite(net["spend"].to_numpy())
    if overflow.any():
        first = net[overflow].iloc[0]
        which = ", ".join(f"{k} {first[k]}" for k in keys)
        rows = tuple(grouped.get_group(tuple(first[k] for k in keys)).index)
        raise ProcurementInputError(f"{which}: the net spend {OVERFLOW}", rows=rows, column="unit_price")
    returned = (net["quantity"] == 0) & (net["spend"].abs() < PENNY_TOLERANCE)
    _refuse_unpriceable(net[~returned], grouped, keys)
    net = net[~returned].reset_index(drop=True)
    net["price_per_unit"] = net["spend"] / net["quantity"]
    return net


def _refuse_unpriceable(net: pd.DataFrame, grouped, keys: list[str]) -> None:
    """A unit with no price per unit is refused, one line naming the item and the unit: more returned
    than bought, or nothing (or less than nothing) spent on what was kept: a credit note at a higher
    price than the purchases (+5 at £100, −4 at £150) would give a negative price, a negative target
    and a saving larger than the spend (issue 28)."""
    bad = net[(net["quantity"] <= 0) | (net["spend"] <= 0)]
    if bad.empty:
        return
    first = bad.iloc[0]
    rows = tuple(grouped.get_group(tuple(first[k] for k in keys)).index)
    which = ", ".join(f"{k} {first[k]}" for k in keys)
    if first["quantity"] > 0:
        raise ProcurementInputError(
            f"{which}: net spend {first['spend']:.2f} against net quantity {first['quantity']:g}; "
            "a price per unit needs more spent than credited (is a credit note's price or quantity wrong?)",
            rows=rows,
            column="unit_price",
        )
    raise ProcurementInputError(
        f"{which}: net quantity {first['quantity']:g} against net spend {first['spend']:.2f}; "
        "a price per unit needs more bought than returned (is a credit note's quantity or price wrong?)",
        rows=rows,
        column="quantity",
    )


def percentile_targets(net: pd.DataFrame, group: str, percentile: float) -> pd.Series:
    """Each group's target: the percentile (linear interpolation, numpy's default, as
    OpenPrescribing's ``nanpercentile``) of its units' prices per unit."""
    return net.groupby(group, sort=False)["price_per_unit"].agg(
        lambda prices: float(np.percentile(prices.to_numpy(float), percentile))
    )


def _contract_targets(lines: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Quantity-weighted contract price per item and unit; empty where any line lacks one."""
    contract = pd.to_numeric(lines[column], errors="coerce")
    frame = lines[keys].assign(
        contract_spend=contract * lines["quantity"].astype(float), missing=contract.isna()
    )
    grouped = frame.groupby(keys, sort=True, dropna=False)
    sums = grouped.agg(contract_spend=("contract_spend", "sum"), missing=("missing", "any"))
    return sums["contract_spend"].where(~sums["missing"])


def item_savings(orders: pd.DataFrame, unit: str = "site", target: PriceTarget | None = None) -> Savings:
    """Potential saving per item and unit (``orders``: item_code, the unit column, unit_price,
    quantity, and the contract price column when the target is one)."""
    target = target or PriceTarget()
    keys = ["item_code", unit]
    lines = with_spend(orders)
    net = net_by(lines, keys)
    if target.column is not None:
        contract_spend = _contract_targets(lines, keys, target.column)
        net = net.join(contract_spend.rename("contract_spend"), on=keys)
        net["target_price"] = net["contract_spend"] / net["quantity"]
        net = net.drop(columns="contract_spend")
    else:
        net["target_price"] = net["item_code"].map(percentile_targets(net, "item_code", target.percentile))
    net["potential_saving"] = _saving(net["spend"], net["quantity"], net["target_price"])
    table = _largest_first(net, keys)[["item_code", unit, *ITEM_COLUMNS[1:]]]
    return _counted(Savings(table, "item", unit, target))


def category_savings(
    orders: pd.DataFrame, unit: str = "site", target: PriceTarget | None = None, category: str = "category"
) -> Savings:
    """Potential saving per category and unit from product choice: each unit's category spend
    against its category quantity at the category's target price per unit. The products of a
    category must be like for like, counted in the same unit (one hip system, one box of gowns)."""
    target = target or PriceTarget()
    if target.column is not None:
        raise ValueError("a contract price sets an item's target; at category level use a percentile")
    lines = with_spend(orders)
    net = net_by(lines, [category, unit])
    net["target_price"] = net[category].map(percentile_targets(net, category, target.percentile))
    net["potential_saving"] = _saving(net["spend"], net["quantity"], net["target_price"])
    bought = net_by(lines, [category, unit, "item_code"])
    net["products"] = [
        _products_text(bought, category, unit, c, u) for c, u in zip(net[category], net[unit], strict=True)
    ]
    table = _largest_first(net, [category, unit])
    table = table[[category, unit, *ITEM_COLUMNS[1:], "products"]]
    return _counted(
        Savings(table, "category", unit, target, products=category_products(lines, unit, category))
    )


def _counted(savings: Savings) -> Savings:
    """The savings, refused when a total overflows (each line's and unit's spend counted, their sum
    not): a table never says "£inf spent"."""
    with np.errstate(over="ignore", invalid="ignore"):
        totals = (savings.total_spend, savings.total_saving)
    if not all(np.isfinite(totals)):
        raise ProcurementInputError(f"the total spend {OVERFLOW}", column="unit_price")
    return savings


def category_products(lines: pd.DataFrame, unit: str = "site", category: str = "category") -> pd.DataFrame:
    """Each category's products over every unit: quantity, spend, price per unit, how many units
    bought it, cheapest first."""
    described = "description" in lines.columns and category != "description"
    keys = [category, "item_code"]
    net = net_by(lines, keys)
    units = lines.groupby(keys)[unit].nunique().rename("units")
    net = net.join(units, on=keys)
    if described:
        net = net.join(lines.groupby(keys)["description"].first(), on=keys)
    net = net.sort_values([category, "price_per_unit", "item_code"], kind="stable", ignore_index=True)
    return net[[category, "item_code", *(["description"] if described else []), "units", *ITEM_COLUMNS[1:4]]]


def _products_text(bought: pd.DataFrame, category: str, unit: str, which, where) -> str:
    rows = bought[(bought[category] == which) & (bought[unit] == where)]
    rows = rows.sort_values(["price_per_unit", "item_code"], kind="stable")
    return "; ".join(
        f"{code} ({quantity:g} at {price:.2f})"
        for code, quantity, price in zip(
            rows["item_code"], rows["quantity"], rows["price_per_unit"], strict=True
        )
    )


def _saving(spend: pd.Series, quantity: pd.Series, target_price: pd.Series) -> pd.Series:
    """max(0, spend − quantity × target); empty where there is no target."""
    return (spend - quantity * target_price).clip(lower=0)


def _largest_first(net: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return net.sort_values(
        ["potential_saving", *keys], ascending=[False, *[True] * len(keys)], kind="stable", ignore_index=True
    )


def between(
    orders: pd.DataFrame, first: pd.Period | None = None, last: pd.Period | None = None
) -> pd.DataFrame:
    """The order lines ordered in the months ``first`` to ``last`` inclusive (either may be open)."""
    month = orders["ordered_on"].dt.to_period("M")
    keep = pd.Series(True, index=orders.index)
    if first is not None:
        keep &= month >= first
    if last is not None:
        keep &= month <= last
    return orders[keep]
