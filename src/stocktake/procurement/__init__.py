"""Procurement: price-per-unit savings (OpenPrescribing's method), rationalisation scenarios and the
tracking of agreed savings. Pure pandas over order lines; the files are read by ``files.procurement``."""

from stocktake.procurement.opportunities import Opportunities, Opportunity, UnitPrice, find_opportunities
from stocktake.procurement.rationalise import Rating, Scenario, rationalise
from stocktake.procurement.savings import (
    PriceTarget,
    ProcurementInputError,
    Savings,
    between,
    category_products,
    category_savings,
    item_savings,
)
from stocktake.procurement.tracking import AgreedSaving, SavingChart, saving_chart, track

__all__ = [
    "AgreedSaving",
    "Opportunities",
    "Opportunity",
    "PriceTarget",
    "ProcurementInputError",
    "Rating",
    "SavingChart",
    "Savings",
    "Scenario",
    "UnitPrice",
    "between",
    "category_products",
    "category_savings",
    "find_opportunities",
    "item_savings",
    "rationalise",
    "saving_chart",
    "track",
]
