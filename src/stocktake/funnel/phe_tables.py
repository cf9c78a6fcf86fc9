"""PHEindicatormethods 2.1.0's table of funnel lines (``calculate_funnel_limits``), reproduced.

The package draws its funnels from a table of 100 rows: for proportions, limits at 100 population
sizes; for ratios and rates, the expected count (or population) at which 1, 2, … observed events sit
on each line. Its axis rounding, its 100-step sequence and its quirks (count-form ratios are the
ratio minus 1, ISR-form ratios are ×100 whatever the multiplier, ratio rows stop short of the axis
maximum) are kept so the table can be checked cell by cell against the package's own test data.
The product's limits at chosen denominators are :mod:`stocktake.funnel.compare`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stocktake.funnel.poisson import phe_expected_at_limit
from stocktake.funnel.wilson import phe_sigma_adjustment

ROWS = 100


@dataclass(frozen=True)
class PheLimitsTable:
    """The package's table, column by column in its order (``columns`` names them)."""

    columns: tuple[str, ...]
    values: dict[str, np.ndarray]
    statistic: str  # as the package labels it, e.g. "rate (dsr per 100,000)"
    method: str  # "Wilson" or "Poisson"


def phe_derived_denominators(
    events, rates, multiplier: float, rate_type: str, denominators=None
) -> np.ndarray:
    """The denominators the package works from for rates: multiplier × events ÷ rate, except that a
    DSR with no events has none (NaN) and a crude rate with no events takes the denominator given."""
    events = np.asarray(events, dtype=float)
    rates = np.asarray(rates, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = multiplier * events / rates
    if rate_type == "dsr":
        return np.where(events == 0, np.nan, derived)
    if rate_type == "crude":
        if denominators is None:
            return derived
        return np.where(events == 0, np.asarray(denominators, dtype=float), derived)
    raise ValueError(f"rate_type must be 'dsr' or 'crude', not {rate_type!r}")


def phe_funnel_points(
    events, rates, multiplier: float, rate_type: str, years_of_data: float, denominators=None
) -> tuple[np.ndarray, np.ndarray]:
    """``calculate_funnel_points``: each unit's rate to chart and its population per year. A DSR
    under 10 events is not charted (NaN); a crude rate with no events takes the denominator given."""
    events = np.asarray(events, dtype=float)
    rates = np.asarray(rates, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_year = (multiplier * events / rates) / years_of_data
    if rate_type == "dsr":
        too_few = events < 10
        return np.where(too_few, np.nan, rates), np.where(too_few, np.nan, per_year)
    if rate_type == "crude":
        if denominators is not None:
            given = np.asarray(denominators, dtype=float) / years_of_data
            per_year = np.where(events == 0, given, per_year)
        return rates, per_year
    raise ValueError(f"rate_type must be 'dsr' or 'crude', not {rate_type!r}")


def r_character_width(whole: float) -> int:
    """``nchar()`` of a whole number as R writes it: fixed notation unless scientific is shorter
    (100000 is written "1e+05", five characters; 150000 stays "150000")."""
    digits = str(int(whole))
    significant = digits.rstrip("0") or "0"
    mantissa = 1 if len(significant) == 1 else len(significant) + 1
    exponent = len(digits) - 1
    scientific = mantissa + 2 + max(2, len(str(exponent)))
    return len(digits) if len(digits) <= scientific else scientific


def signif_floor(x: float, percentage_down: float = 0.95) -> float:
    """The package's neat axis minimum: 95% of x, floored to its leading digit."""
    if x == 0:
        return 0.0
    n = r_character_width(math.floor(x * percentage_down)) - 1
    return math.floor(x * percentage_down / 10**n) * 10**n


def signif_ceiling(x: float, percentage_up: float = 1.05) -> float:
    """The package's neat axis maximum: 105% of x, ceiled to its two leading digits."""
    if x == 0:
        return 0.0
    n = r_character_width(math.ceil(x * percentage_up)) - 2
    return math.ceil(x * percentage_up / 10.0**n) * 10.0**n


def phe_sequence(axis_minimum: float, axis_maximum: float, ratio_offset: bool = False) -> np.ndarray:
    """The package's 100 x-values: from max(1, minimum), each a whole-number geometric step towards
    the maximum and at least one more than the last (ratios use a step one row shorter)."""
    values = [max(1.0, axis_minimum)]
    for j in range(2, ROWS + 1):
        offset = j - 1 if ratio_offset else j
        previous = values[-1]
        step = round((axis_maximum / previous) ** (1 / (101 - offset)) * previous)
        values.append(float(max(step, previous + 1)))
    return np.array(values)


def phe_limits_table(
    numerators,
    denominators,
    statistic: str,
    multiplier: float,
    ratio_type: str | None = None,
    rate_type: str | None = None,
    years_of_data: float | None = None,
) -> PheLimitsTable:
    """``calculate_funnel_limits(type = "full")``: for rates pass the derived denominators
    (:func:`phe_derived_denominators`); NaN denominators are left out of the average and the axis."""
    numerators = np.asarray(numerators, dtype=float)
    denominators = np.asarray(denominators, dtype=float)
    average = numerators.sum() / np.nansum(denominators)
    smallest, largest = np.nanmin(denominators), np.nanmax(denominators)
    years = years_of_data if statistic == "rate" else 1.0
    if statistic == "rate" and years is None:
        raise ValueError("years_of_data is required for rates")
    axis_minimum = 0.0 if largest > 2 * smallest else signif_floor(smallest / years) * years
    axis_maximum = signif_ceiling(largest / years) * years
    if statistic == "rate":
        axis_minimum = math.floor(axis_minimum * average)
        axis_maximum = math.ceil(axis_maximum * average)
    x = phe_sequence(axis_minimum, axis_maximum, ratio_offset=statistic == "ratio")
    if statistic == "proportion":
        return _proportion_table(x, average, multiplier)
    if statistic == "ratio":
        return _ratio_table(x, ratio_type)
    if statistic == "rate":
        return _rate_table(x, average, multiplier, rate_type, years)
    raise ValueError(f"statistic must be proportion, ratio or rate, not {statistic!r}")


_LINES = (
    ("lower_2s", 0.025, "high"),
    ("upper_2s", 0.025, "low"),
    ("lower_3s", 0.001, "high"),
    ("upper_3s", 0.001, "low"),
)


def _proportion_table(population: np.ndarray, average: float, multiplier: float) -> PheLimitsTable:
    values = {"Population": population}
    for name, tail, _ in _LINES:
        limit = phe_sigma_adjustment(
            1 - tail, population, average, "low" if name[0] == "l" else "high", multiplier
        )
        values[f"{name}_limit"] = np.maximum(0, limit) if name[0] == "l" else np.minimum(100, limit)
    values["baseline"] = np.full(population.shape, average * multiplier)
    return PheLimitsTable(tuple(values), values, "proportion", "Wilson")


def _ratio_table(observed: np.ndarray, ratio_type: str | None) -> PheLimitsTable:
    if ratio_type not in ("count", "isr"):
        raise ValueError(f"ratio_type must be 'count' or 'isr', not {ratio_type!r}")
    values = {"Observed_events": observed}
    for name, tail, side in _LINES:
        expected = np.array([phe_expected_at_limit(o, tail, side) for o in observed])
        ratio = observed / expected
        values[f"{name}_exp_events"] = expected
        values[f"{name}_limit"] = ratio - 1 if ratio_type == "count" else ratio * 100
    return PheLimitsTable(tuple(values), values, f"ratio ({ratio_type})", "Poisson")


def _rate_table(
    events: np.ndarray, average: float, multiplier: float, rate_type: str | None, years: float
) -> PheLimitsTable:
    values = {"Events": events}
    for name, tail, side in _LINES:
        population = np.array([phe_expected_at_limit(e, tail, side) for e in events]) / average
        values[f"{name}_population_1_year"] = population / years
        values[f"{name}_limit"] = events / population * multiplier
    values["baseline"] = np.full(events.shape, average * multiplier)
    label = f"rate ({rate_type} per {multiplier:,.0f})"
    return PheLimitsTable(tuple(values), values, label, "Poisson")
