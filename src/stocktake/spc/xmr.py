"""The XmR (individuals) chart of Making Data Count, at parity with NHSRplotthedots 0.2.2.

Limits are mean ± 2.66 × mean moving range, computed per rebase period from its first
``fix_after_n_points`` points, after screening moving ranges at 3.267 × their mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from stocktake.spc import rules

Improvement = Literal["increase", "decrease", "neutral"]

LIMIT = 2.66
NEAR_LIMIT = 2 * LIMIT / 3
SCREEN = 3.267
MIN_POINTS = 12

_DIRECTION = {"increase": 1, "decrease": -1, "neutral": 0}


@dataclass(frozen=True)
class Segment:
    """One rebase period of one series: its limits and its Making Data Count icons."""

    rebase_group: int
    start: int
    n: int
    mean: float
    lpl: float
    upl: float
    variation_type: str
    assurance_type: str | None


@dataclass(frozen=True)
class XmrChart:
    """Every point of an XmR chart, with its limits and point type, and each period's verdict."""

    y: np.ndarray
    mean: np.ndarray
    lpl: np.ndarray
    upl: np.ndarray
    rebase_group: np.ndarray
    outside_limits: np.ndarray
    relative_to_mean: np.ndarray
    close_to_limits: np.ndarray
    rule: np.ndarray
    point_type: np.ndarray
    segments: tuple[Segment, ...]
    improvement: Improvement
    target: float | None
    warnings: tuple[str, ...]

    @property
    def latest(self) -> Segment:
        return self.segments[-1]


def xmr(
    y,
    *,
    improvement: Improvement = "increase",
    target: float | None = None,
    rebase_at: tuple[int, ...] | list[int] = (),
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
) -> XmrChart:
    """Build the XmR chart of ``y`` (ordered in time; NaN for a missing value).

    ``rebase_at`` holds the indices of the first point of each new period.
    """
    values = np.asarray(y, dtype=float)
    if improvement not in _DIRECTION:
        raise ValueError(f"improvement must be increase, decrease or neutral, not {improvement!r}")
    if fix_after_n_points is not None and fix_after_n_points < MIN_POINTS:
        raise ValueError(f"fix_after_n_points must be at least {MIN_POINTS}")
    periods = _periods(len(values), rebase_at)
    columns = {name: np.full(len(values), np.nan) for name in ("mean", "lpl", "upl", "nlpl", "nupl")}
    group = np.zeros(len(values), dtype=int)
    warnings: list[str] = []
    for number, (start, end) in enumerate(periods):
        limits, said = _limits(values[start:end], fix_after_n_points, screen_outliers)
        for name, value in limits.items():
            columns[name][start:end] = value
        group[start:end] = number
        warnings += [f"period {number + 1} (from point {start + 1}): {w}" for w in said]
    return _classify(values, columns, group, periods, improvement, target, warnings)


def _periods(n: int, rebase_at) -> list[tuple[int, int]]:
    """(start, end) of each rebase period."""
    starts = sorted({0, *(int(i) for i in rebase_at)})
    if starts[-1] >= n and n > 0:
        raise ValueError(f"a rebase index ({starts[-1]}) is beyond the last point ({n - 1})")
    return list(zip(starts, [*starts[1:], n], strict=True))


def _limits(values: np.ndarray, fix_after: int | None, screen: bool) -> tuple[dict, list[str]]:
    """Mean, process limits and near-limit band of one period, and what to warn about."""
    basis = values[:fix_after] if fix_after else values
    warnings = []
    if np.isnan(basis).any():
        warnings.append("missing values are left out of the limits and break runs and trends")
    if np.count_nonzero(~np.isnan(basis)) < MIN_POINTS:
        warnings.append(f"fewer than {MIN_POINTS} points: the limits are trial limits")
    mean = np.nanmean(basis) if np.any(~np.isnan(basis)) else np.nan
    moving_ranges = np.abs(np.diff(basis))
    amr = _mean_or_nan(moving_ranges)
    if screen:
        moving_ranges = moving_ranges[moving_ranges < SCREEN * amr]
        amr = _mean_or_nan(moving_ranges)
    if amr == 0:
        warnings.append(
            "every moving range used is zero, so the limits sit on the mean and every other "
            "value is flagged; treat the flags as 'the value changed', not as evidence"
        )
    elif np.isnan(amr):
        warnings.append("no moving range could be computed, so there are no limits")
    return {
        "mean": mean,
        "lpl": mean - LIMIT * amr,
        "upl": mean + LIMIT * amr,
        "nlpl": mean - NEAR_LIMIT * amr,
        "nupl": mean + NEAR_LIMIT * amr,
    }, warnings


def _mean_or_nan(values: np.ndarray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if len(kept) else np.nan


def _classify(values, columns, group, periods, improvement, target, warnings) -> XmrChart:
    missing = np.isnan(values)
    with np.errstate(invalid="ignore"):
        relative = np.sign(values - columns["mean"])
        outside = (values > columns["upl"]) | (values < columns["lpl"])
        near = (values < columns["nlpl"]) | (values > columns["nupl"])
    close = near & ~outside
    rule = np.full(len(values), "", dtype=object)
    direction = np.zeros(len(values), dtype=int)
    for start, end in periods:
        part = slice(start, end)
        rule[part], direction[part] = rules.special_cause(
            values[part], relative[part], close[part].astype(float), outside[part].astype(float)
        )
    point_type = _point_types(rule, direction, _DIRECTION[improvement])
    segments = tuple(
        _segment(number, start, end, columns, point_type, improvement, target)
        for number, (start, end) in enumerate(periods)
    )
    return XmrChart(
        y=values,
        mean=columns["mean"],
        lpl=columns["lpl"],
        upl=columns["upl"],
        rebase_group=group,
        outside_limits=np.where(missing, np.nan, outside),
        relative_to_mean=relative,
        close_to_limits=np.where(missing, np.nan, close),
        rule=rule,
        point_type=point_type,
        segments=segments,
        improvement=improvement,
        target=target,
        warnings=tuple(warnings),
    )


def _point_types(rule: np.ndarray, direction: np.ndarray, improvement: int) -> np.ndarray:
    special = rule != ""
    if improvement == 0:
        neutral = np.where(direction > 0, "special_cause_neutral_high", "special_cause_neutral_low")
        return np.where(special, neutral, "common_cause").astype(object)
    verdict = np.where(direction == improvement, "special_cause_improvement", "special_cause_concern")
    return np.where(special, verdict, "common_cause").astype(object)


def _segment(number, start, end, columns, point_type, improvement, target) -> Segment:
    lpl, upl = columns["lpl"][start], columns["upl"][start]
    return Segment(
        rebase_group=number,
        start=start,
        n=end - start,
        mean=float(columns["mean"][start]),
        lpl=float(lpl),
        upl=float(upl),
        variation_type=str(point_type[end - 1]),
        assurance_type=assurance_type(improvement, target, lpl, upl),
    )


def assurance_type(improvement: Improvement, target: float | None, lpl: float, upl: float) -> str | None:
    """Whether the process will reliably meet the target: consistent pass, fail or inconsistent."""
    if target is None or improvement == "neutral" or np.isnan(lpl) or np.isnan(upl):
        return None
    passes_everywhere = target < lpl if improvement == "increase" else target > upl
    fails_everywhere = target > upl if improvement == "increase" else target < lpl
    if passes_everywhere:
        return "consistent_pass"
    if fails_everywhere:
        return "consistent_fail"
    return "inconsistent"
