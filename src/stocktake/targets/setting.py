"""Setting a target between where a service started and where a benchmark says it could be.

"My target is a midway point between where we were at the start and the aspirational targets set by
GIRFT": baseline + 0.5 × (benchmark − baseline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Benchmark:
    value: float
    source: str
    year: int | None = None

    def __str__(self) -> str:
        """The source, with its year unless the source already says it ("… January 2025 (2025)")."""
        dated = self.year and str(self.year) not in self.source
        return f"{self.source}{f' ({self.year})' if dated else ''}"


@dataclass(frozen=True)
class ChosenTarget:
    """The level aimed for, how it was set, and (optionally) a dated path towards it."""

    value: float
    basis: str
    baseline: float | None = None
    benchmark: Benchmark | None = None
    trajectory: tuple[tuple[date, float], ...] = ()


def baseline(x: pd.DatetimeIndex, values, start: date, end: date) -> float:
    """The mean of the values dated from ``start`` to ``end`` inclusive."""
    values = np.asarray(values, dtype=float)
    inside = (x >= pd.Timestamp(start)) & (x <= pd.Timestamp(end)) & ~np.isnan(values)
    if not inside.any():
        raise ValueError(f"no values between {start} and {end} to take a baseline from")
    return float(values[inside].mean())


def between(baseline_value: float, benchmark: Benchmark, fraction: float = 0.5) -> ChosenTarget:
    """A target ``fraction`` of the way from the baseline to the benchmark (0.5 is "midway")."""
    if not 0 <= fraction <= 1:
        raise ValueError("the fraction of the way to the benchmark must be between 0 and 1")
    value = baseline_value + fraction * (benchmark.value - baseline_value)
    basis = "midway" if fraction == 0.5 else f"{fraction:.0%} of the way"
    return ChosenTarget(
        value, f"{basis} from the baseline {baseline_value:.4g} to {benchmark}", baseline_value, benchmark
    )


def at_least_better(value: float, improvement: str, start: float, gain: float) -> float:
    """``value``, or ``start`` moved ``gain`` the better way (``improvement``) where that is further:
    "65% by March 2026, with each trust to improve by at least 5 percentage points"."""
    sign = {"increase": 1, "decrease": -1}[improvement]
    return max(sign * value, sign * (start + sign * gain)) * sign


def already_beyond(baseline_value: float, benchmark: Benchmark, improvement: str) -> bool:
    """Whether the baseline is already at or better than the benchmark (``improvement``: the better
    way), so that any point between them would ask the service to get worse: a hip fracture stay of
    17.3 days had been offered a "midway" target of 19.3 towards a national mean of 21.4."""
    sign = {"increase": 1, "decrease": -1}.get(improvement, 0)
    return sign * (baseline_value - benchmark.value) >= 0 if sign else False


def trajectory_values(x: pd.DatetimeIndex, milestones: tuple[tuple[date, float], ...]) -> np.ndarray:
    """The planned value at each date: straight lines between dated milestones, NaN outside them."""
    if not milestones:
        return np.full(len(x), np.nan)
    when = np.array([pd.Timestamp(d).value for d, _ in milestones], dtype=float)
    planned = np.array([v for _, v in milestones], dtype=float)
    order = np.argsort(when)
    at = x.as_unit("ns").asi8.astype(float)
    values = np.interp(at, when[order], planned[order])
    return np.where((at < when.min()) | (at > when.max()), np.nan, values)
