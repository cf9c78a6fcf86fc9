"""Rationalisation scenarios: "if every site bought the two cheapest products of this category
with a rating of at least X", annualised on the last 12 months' volume.

The rating is the user's (an ODEP rating such as ``10A*``, or any number); Stocktake bundles no
ratings. Pure: order lines and a mapping of item code to rating in, a scenario out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from stocktake.procurement.savings import net_by, with_spend

#: ODEP's evidence strengths, weakest first (A* is the strongest).
ODEP_STRENGTHS = ("C", "B", "A", "A*")
_ODEP = re.compile(r"^\s*(\d+)\s*(A\*|A|B|C)\s*$", re.IGNORECASE)
WINDOW_MONTHS = 12


@dataclass(frozen=True, order=True)
class Rating:
    """A product's rating: an ODEP rating (years of evidence, strength) or a plain number."""

    years: float
    strength: int | None = None  # index into ODEP_STRENGTHS; None for a plain number

    @classmethod
    def parse(cls, text: str) -> Rating:
        """``10A*``, ``7A``, ``3B`` (ODEP) or a number such as ``4.5``."""
        found = _ODEP.match(str(text))
        if found:
            return cls(float(found.group(1)), ODEP_STRENGTHS.index(found.group(2).upper()))
        try:
            return cls(float(text))
        except (TypeError, ValueError):
            raise ValueError(
                f"{text!r} is not a rating (expected an ODEP rating such as 10A* or 7A, or a number)"
            ) from None

    def meets(self, minimum: Rating) -> bool:
        """At least ``minimum``: as many years, and (for ODEP) evidence at least as strong."""
        if (self.strength is None) != (minimum.strength is None):
            return False
        strong_enough = self.strength is None or self.strength >= minimum.strength
        return self.years >= minimum.years and strong_enough

    def __str__(self) -> str:
        years = f"{self.years:g}"
        return years if self.strength is None else years + ODEP_STRENGTHS[self.strength]


@dataclass(frozen=True)
class Scenario:
    """Per category and unit: the last months' quantity and spend, the spend had every unit bought
    the chosen products at their combined price per unit, and the saving a year."""

    table: pd.DataFrame
    chosen: pd.DataFrame  # category, item_code, rating, quantity, spend, price_per_unit
    skipped: tuple[str, ...]  # categories with no product rated high enough, each with why
    first_month: pd.Period
    last_month: pd.Period
    months: int
    unit: str

    @property
    def annual_saving(self) -> float:
        return float(self.table["annual_saving"].sum())


def window(orders: pd.DataFrame, last: pd.Period | None = None, months: int = WINDOW_MONTHS):
    """The order lines of the ``months`` months up to ``last`` (default: the latest month ordered),
    with the first and last month and how many months of data the window holds."""
    month = orders["ordered_on"].dt.to_period("M")
    last = last or month.max()
    first = last - (months - 1)
    inside = orders[(month >= first) & (month <= last)]
    covered = (last - max(first, month.min())).n + 1
    return inside, max(first, month.min()), last, covered


def rationalise(
    orders: pd.DataFrame,
    ratings: Mapping[str, Rating],
    at_least: Rating,
    keep: int = 2,
    unit: str = "site",
    category: str = "category",
    last: pd.Period | None = None,
) -> Scenario:
    """Every unit buys the ``keep`` cheapest products of each category rated ``at_least``, at those
    products' combined price per unit over the window (what the trust pays for them today);
    the saving, unit by unit, is annualised (× 12 ÷ months of data). A unit already buying more
    cheaply than that shows a negative saving: in this scenario it switches too."""
    if keep < 1:
        raise ValueError(f"--keep {keep}: keep at least one product")
    inside, first, last, months = window(orders, last)
    if inside.empty:
        raise ValueError("no order lines in the 12 months to the last month ordered")
    lines = with_spend(inside)
    products = net_by(lines, [category, "item_code"])
    products["rating"] = products["item_code"].map(ratings)
    rated = products[[r is not None and not pd.isna(r) and r.meets(at_least) for r in products["rating"]]]
    rated = rated.sort_values([category, "price_per_unit", "item_code"], kind="stable")
    chosen = rated.groupby(category, sort=True).head(keep).reset_index(drop=True)
    combined = chosen.groupby(category).agg(quantity=("quantity", "sum"), spend=("spend", "sum"))
    scenario_price = combined["spend"] / combined["quantity"]
    codes = chosen.groupby(category)["item_code"].agg("; ".join)
    table = net_by(lines, [category, unit])
    skipped = tuple(
        f"{name}: no product rated at least {at_least}"
        for name in sorted(set(table[category]) - set(scenario_price.index))
    )
    table = table[table[category].isin(scenario_price.index)].reset_index(drop=True)
    table["scenario_products"] = table[category].map(codes)
    table["scenario_price_per_unit"] = table[category].map(scenario_price)
    table["scenario_spend"] = table["quantity"] * table["scenario_price_per_unit"]
    table["annual_saving"] = (table["spend"] - table["scenario_spend"]) * WINDOW_MONTHS / months
    table = table.drop(columns="price_per_unit").sort_values(
        ["annual_saving", category, unit], ascending=[False, True, True], kind="stable", ignore_index=True
    )
    chosen = chosen.assign(rating=chosen["rating"].map(str))
    return Scenario(table, chosen, skipped, first, last, months, unit)
