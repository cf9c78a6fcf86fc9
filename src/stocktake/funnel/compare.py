"""Compare units (sites, surgeons, trusts) on one indicator: a funnel plot's points, lines and labels.

A unit is labelled as PHEindicatormethods 2.1.0's ``assign_funnel_significance`` labels it: by the
package's own tests (the Wilson line for proportions; exact chi-square bounds under 10 events and
Byar's above them for ratios and rates). The limits reported beside each unit, and at any chosen
denominators, are the lines the package draws (``calculate_funnel_limits``), continuous between
whole counts. With an overdispersion allowance both come from Spiegelhalter's adjusted limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from stocktake.funnel import overdispersion as od
from stocktake.funnel.poisson import count_bound, count_on_line
from stocktake.funnel.wilson import phe_sigma_adjustment

STATISTICS = ("proportion", "rate", "ratio")
RATE_TYPES = ("crude", "dsr")
RATIO_TYPES = ("count", "isr")
OVERDISPERSION = ("none", "multiplicative", "additive")
OD_SCALES = ("log", "sqrt")
DEFAULT_MULTIPLIER = {"proportion": 100.0, "rate": 100_000.0, "ratio": 100.0}

HIGH_001, HIGH_025 = "High (0.001)", "High (0.025)"
LOW_001, LOW_025 = "Low (0.001)", "Low (0.025)"
NOT_SIGNIFICANT = "Not significant"
DSR_TOO_FEW = "Not applicable for events less than 10 for dsrs"  # the package's words
DSR_MIN_EVENTS = 10
#: (tail probability beyond the line, confidence of the package's test) for 95% and 99.8%.
LEVELS = {"95": (0.025, 0.95), "998": (0.001, 0.998)}


class FunnelDataError(ValueError):
    """A unit's value that cannot be compared; ``position`` is its index, ``field`` which input."""

    def __init__(self, position: int | None, field: str, reason: str):
        super().__init__(reason)
        self.position = position
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class FunnelMethod:
    """What is compared and how: a proportion (numerator of denominator), a rate (events per
    population; crude, or a DSR given per unit) or a ratio (observed over expected events)."""

    statistic: str = "proportion"
    multiplier: float | None = None  # default: 100 (proportion, ISR), 100,000 (rate)
    rate_type: str = "crude"
    ratio_type: str = "isr"
    overdispersion: str = "none"
    od_scale: str = "log"  # ratios and rates only: "log" (SHMI) or "sqrt" (CQC)

    def __post_init__(self):
        for name, allowed in (
            ("statistic", STATISTICS),
            ("rate_type", RATE_TYPES),
            ("ratio_type", RATIO_TYPES),
            ("overdispersion", OVERDISPERSION),
            ("od_scale", OD_SCALES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        if self.multiplier is not None:
            if not (math.isfinite(self.multiplier) and self.multiplier > 0):
                raise ValueError(f"multiplier must be a positive number, not {self.multiplier!r}")
            if self.statistic == "ratio" and self.ratio_type == "count":
                raise ValueError("a count-form ratio (observed ÷ expected − 1) takes no multiplier")

    @property
    def scale(self) -> float:
        """The multiplier in force."""
        return self.multiplier if self.multiplier is not None else DEFAULT_MULTIPLIER[self.statistic]

    @property
    def is_dsr(self) -> bool:
        return self.statistic == "rate" and self.rate_type == "dsr"


@dataclass(frozen=True)
class FunnelLimits:
    """95% and 99.8% limits at each denominator (population, or expected events for a ratio)."""

    denominator: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray
    lower_998: np.ndarray
    upper_998: np.ndarray
    baseline: float


@dataclass(frozen=True)
class Funnel:
    """Every unit's value, its limits and its label, and what the lines were drawn from."""

    method: FunnelMethod
    numerator: np.ndarray
    denominator: np.ndarray  # as given
    effective_denominator: np.ndarray  # where a unit sits on the x-axis: × events ÷ DSR for a DSR
    value: np.ndarray
    average: float  # Σ numerators ÷ Σ denominators (1 for a ratio)
    baseline: float  # the average in the value's units
    significance: tuple[str, ...]
    limits: FunnelLimits  # at each unit's effective denominator
    dispersion: od.Dispersion | None

    def limits_at(self, denominators) -> FunnelLimits:
        """The same lines at other denominators (for a chart, or a table at round numbers)."""
        return funnel_limits(self.method, self.average, self.dispersion, denominators)

    def spanning_limits(self, points: int = 100) -> FunnelLimits:
        """The lines at ``points`` denominators spaced evenly on a log scale across the units'."""
        return self.limits_at(spanning_denominators(self.effective_denominator, points))


def spanning_denominators(denominators, points: int = 100) -> np.ndarray:
    """From 90% of the smallest denominator to 110% of the largest, evenly on a log scale."""
    known = np.asarray(denominators, dtype=float)
    known = known[np.isfinite(known) & (known > 0)]
    if known.size == 0:
        raise ValueError("no unit has a denominator to draw the funnel across")
    return np.geomspace(known.min() * 0.9, known.max() * 1.1, points)


def compare_units(numerators, denominators, method: FunnelMethod, rates=None) -> Funnel:
    """Place every unit on the funnel. ``rates`` are the units' DSRs (rate_type "dsr" only)."""
    numerator = np.asarray(numerators, dtype=float)
    denominator = np.asarray(denominators, dtype=float)
    _check(numerator, denominator, method, rates)
    scale = method.scale
    if method.is_dsr:
        dsr = np.asarray(rates, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            effective = np.where(numerator == 0, np.nan, scale * numerator / dsr)
    else:
        effective = denominator
    if method.statistic == "ratio":
        average = 1.0
    else:
        average = float(numerator.sum() / np.nansum(effective))
        if method.statistic == "rate" and average == 0:
            raise FunnelDataError(
                None, "numerator", "no unit has any events, so there is no rate to compare with"
            )
    value = _value(numerator, denominator, effective, method, rates)
    dispersion = _dispersion(numerator, effective, average, method)
    return Funnel(
        method=method,
        numerator=numerator,
        denominator=denominator,
        effective_denominator=effective,
        value=value,
        average=average,
        baseline=_baseline(method, average),
        significance=_labels(numerator, effective, average, method, dispersion),
        limits=funnel_limits(method, average, dispersion, effective),
        dispersion=dispersion,
    )


def funnel_limits(method: FunnelMethod, average: float, dispersion, denominators) -> FunnelLimits:
    """The four lines at these denominators (NaN where a denominator is missing)."""
    d = np.asarray(denominators, dtype=float)
    lines = {}
    for level, (tail, _) in LEVELS.items():
        z = norm.isf(tail)
        lower, upper = np.full(d.shape, np.nan), np.full(d.shape, np.nan)
        known = np.isfinite(d) & (d > 0)
        if method.statistic == "proportion":
            lower[known], upper[known] = _proportion_lines(d[known], average, method, dispersion, tail, z)
        else:
            lower[known], upper[known] = _count_lines(d[known], average, method, dispersion, tail, z)
        lines[f"lower_{level}"], lines[f"upper_{level}"] = lower, upper
    return FunnelLimits(denominator=d, baseline=_baseline(method, average), **lines)


def _proportion_lines(n, average, method, dispersion, tail, z):
    scale = method.scale
    if dispersion is None:
        lower = phe_sigma_adjustment(1 - tail, n, average, "low", scale)
        upper = phe_sigma_adjustment(1 - tail, n, average, "high", scale)
        return np.maximum(0.0, lower), np.minimum(scale, upper)
    target = math.asin(math.sqrt(average))
    half_width = z * np.sqrt(_variance(1 / (4 * n), method, dispersion))
    lower = np.sin(np.clip(target - half_width, 0, math.pi / 2)) ** 2
    upper = np.sin(np.clip(target + half_width, 0, math.pi / 2)) ** 2
    return lower * scale, upper * scale


def _count_lines(d, average, method, dispersion, tail, z):
    expected = d if method.statistic == "ratio" else average * d
    if dispersion is None:
        lower = np.array([count_on_line(e, tail, "lower") for e in expected]) / expected
        upper = np.array([count_on_line(e, tail, "upper") for e in expected]) / expected
    else:
        if method.od_scale == "log":
            half_width = z * np.sqrt(_variance(1 / expected, method, dispersion))
            lower, upper = np.exp(-half_width), np.exp(half_width)
        else:
            half_width = z * np.sqrt(_variance(1 / (4 * expected), method, dispersion))
            lower, upper = np.maximum(0.0, 1 - half_width) ** 2, (1 + half_width) ** 2
    return _from_ratio(lower, average, method), _from_ratio(upper, average, method)


def _variance(within, method: FunnelMethod, dispersion: od.Dispersion):
    """Chance variance inflated by φ (never below chance: φ < 1 is taken as 1) or added to τ²."""
    if method.overdispersion == "multiplicative":
        return within * max(dispersion.phi, 1.0)
    return within + dispersion.tau2


def _from_ratio(ratio, average: float, method: FunnelMethod):
    """An observed ÷ expected ratio in the units the method reports."""
    if method.statistic == "rate":
        return ratio * average * method.scale
    if method.ratio_type == "count":
        return ratio - 1
    return ratio * method.scale


def _value(numerator, denominator, effective, method: FunnelMethod, rates) -> np.ndarray:
    if method.is_dsr:
        return np.asarray(rates, dtype=float)
    if method.statistic == "ratio":
        return _from_ratio(numerator / denominator, 1.0, method)
    return method.scale * numerator / denominator


def _baseline(method: FunnelMethod, average: float) -> float:
    if method.statistic == "ratio":
        return 0.0 if method.ratio_type == "count" else method.scale
    return average * method.scale


def _labels(numerator, effective, average, method: FunnelMethod, dispersion) -> tuple[str, ...]:
    if dispersion is not None:
        labels = _adjusted_labels(numerator, effective, average, method, dispersion)
    elif method.statistic == "proportion":
        labels = _proportion_labels(numerator / effective, effective, average)
    else:
        expected_unit = (
            1.0 if method.statistic == "ratio" else average
        )  # what the bound ÷ d is tested against
        labels = [_count_label(o, d, expected_unit) for o, d in zip(numerator, effective, strict=True)]
    if method.is_dsr:
        labels = [
            DSR_TOO_FEW if o < DSR_MIN_EVENTS else label for o, label in zip(numerator, labels, strict=True)
        ]
    return tuple(labels)


def _proportion_labels(proportion, n, average) -> list[str]:
    """``assign_funnel_significance`` for proportions: against the lines at multiplier 1, low first."""
    low_001 = phe_sigma_adjustment(0.999, n, average, "low")
    low_025 = phe_sigma_adjustment(0.975, n, average, "low")
    high_001 = phe_sigma_adjustment(0.999, n, average, "high")
    high_025 = phe_sigma_adjustment(0.975, n, average, "high")
    return [
        LOW_001
        if p < l1
        else LOW_025
        if p < l2
        else HIGH_001
        if p > h1
        else HIGH_025
        if p > h2
        else NOT_SIGNIFICANT
        for p, l1, l2, h1, h2 in zip(proportion, low_001, low_025, high_001, high_025, strict=True)
    ]


def _count_label(observed: float, denominator: float, expected_unit: float) -> str:
    """``assign_funnel_significance`` for ratios (expected_unit 1, denominator = expected events)
    and rates (expected_unit = the average rate, denominator = population): the count's bounds
    per unit of denominator against what is expected, high first."""
    if not math.isfinite(denominator):
        return NOT_SIGNIFICANT
    if expected_unit < count_bound(observed, 0.998, "low") / denominator:
        return HIGH_001
    if expected_unit < count_bound(observed, 0.95, "low") / denominator:
        return HIGH_025
    if expected_unit > count_bound(observed, 0.998, "high") / denominator:
        return LOW_001
    if expected_unit > count_bound(observed, 0.95, "high") / denominator:
        return LOW_025
    return NOT_SIGNIFICANT


def _transformed(numerator, effective, average, method: FunnelMethod):
    """Each unit's y and s on the variance-stabilising scale, and the target there."""
    if method.statistic == "proportion":
        return od.transformed_proportion(numerator, effective, average)
    expected = effective if method.statistic == "ratio" else average * effective
    return od.transformed_ratio(numerator, expected, method.od_scale)


def _dispersion(numerator, effective, average, method: FunnelMethod) -> od.Dispersion | None:
    if method.overdispersion == "none":
        return None
    placed = np.isfinite(effective)  # a DSR with no events has no denominator to place it
    y, s, target = _transformed(numerator[placed], effective[placed], average, method)
    scale = "arcsine" if method.statistic == "proportion" else method.od_scale
    return od.estimate((y - target) / s, s, scale)


def _adjusted_labels(numerator, effective, average, method: FunnelMethod, dispersion) -> list[str]:
    """Labels against Spiegelhalter's adjusted limits, compared on the transformed scale."""
    labels = [NOT_SIGNIFICANT] * numerator.size
    placed = np.flatnonzero(np.isfinite(effective))
    y, s, target = _transformed(numerator[placed], effective[placed], average, method)
    spread = {
        level: norm.isf(tail) * np.sqrt(_variance(s**2, method, dispersion))
        for level, (tail, _) in LEVELS.items()
    }
    for i, unit in enumerate(placed):
        gap = y[i] - target
        if gap > spread["998"][i]:
            labels[unit] = HIGH_001
        elif gap > spread["95"][i]:
            labels[unit] = HIGH_025
        elif gap < -spread["998"][i]:
            labels[unit] = LOW_001
        elif gap < -spread["95"][i]:
            labels[unit] = LOW_025
    return labels


def _check(numerator, denominator, method: FunnelMethod, rates) -> None:
    """Refuse what cannot be compared, naming the first unit at fault."""
    if numerator.size == 0:
        raise FunnelDataError(None, "numerator", "there are no units to compare")
    if numerator.shape != denominator.shape:
        raise ValueError("numerators and denominators differ in length")
    for values, field in ((numerator, "numerator"), (denominator, "denominator")):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise FunnelDataError(int(bad[0]), field, "is not a finite number")
    bad = np.flatnonzero(numerator < 0)
    if bad.size:
        raise FunnelDataError(int(bad[0]), "numerator", "is negative (expected 0 or more)")
    bad = np.flatnonzero(denominator <= 0)
    if bad.size:
        raise FunnelDataError(int(bad[0]), "denominator", "is not above zero (expected a positive number)")
    if method.statistic == "proportion":
        bad = np.flatnonzero(numerator > denominator)
        if bad.size:
            raise FunnelDataError(
                int(bad[0]), "numerator", "is above its denominator (a proportion is at most 1)"
            )
    if method.is_dsr:
        if rates is None:
            raise ValueError("a DSR funnel needs each unit's rate")
        rate = np.asarray(rates, dtype=float)
        bad = np.flatnonzero(~np.isfinite(rate) | (rate < 0) | ((rate == 0) & (numerator > 0)))
        if bad.size:
            raise FunnelDataError(
                int(bad[0]), "rate", "is not a positive rate (expected above 0 where there are events)"
            )
    if method.overdispersion != "none":
        if numerator.size < 3:
            raise FunnelDataError(None, "numerator", "an overdispersion estimate needs at least three units")
        if method.statistic != "proportion" and method.od_scale == "log" and not method.is_dsr:
            zero = np.flatnonzero(numerator == 0)  # (a DSR with no events is simply not placed)
            if zero.size:
                raise FunnelDataError(
                    int(zero[0]),
                    "numerator",
                    "is 0: the log (SHMI) scale cannot place a unit with no events; use the sqrt scale",
                )
