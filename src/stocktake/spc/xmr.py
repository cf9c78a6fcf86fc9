"""The XmR (individuals) chart of Making Data Count, for one series or thousands at once.

Limits are mean ± 2.66 × mean moving range, computed per rebase period from its first
``fix_after_n_points`` points, after screening moving ranges at 3.267 × their mean. The default
profile reproduces NHSRplotthedots 0.2.2 exactly; see ``rules.PROFILES`` for the others.

The engine works on a matrix with one row per rebase period of any series, so ten thousand
series cost a handful of NumPy operations, not ten thousand loops.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np

from stocktake.spc import rules
from stocktake.spc.rules import DEFAULT_PROFILE, PROFILES, RULE_NAMES

Improvement = Literal["increase", "decrease", "neutral"]

LIMIT = 2.66
SCREEN = 3.267
MIN_POINTS = 12

DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}
POINT_TYPES = np.array(
    [
        "common_cause",
        "special_cause_improvement",
        "special_cause_concern",
        "special_cause_neutral_high",
        "special_cause_neutral_low",
    ],
    dtype=object,
)
_COMMON, _IMPROVEMENT, _CONCERN, _NEUTRAL_HIGH, _NEUTRAL_LOW = range(5)


@dataclass(frozen=True)
class Segment:
    """One rebase period of one series: its limits and its Making Data Count icons."""

    rebase_group: int
    start: int
    n: int
    mean: float
    lpl: float
    upl: float
    variation_type: str | None
    assurance_type: str | None


@dataclass(frozen=True)
class XmrChart:
    """Every point of an XmR chart, with its limits and point type, and each period's icons
    (variation and assurance)."""

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
    #: A dated path to the target, one value per point (drawn, not used for assurance).
    trajectory: np.ndarray | None = None

    @property
    def latest(self) -> Segment:
        return self.segments[-1]


@dataclass(frozen=True)
class ManyXmr:
    """Many series' charts at once. Point arrays follow the input rows; period arrays one per period."""

    mean: np.ndarray
    lpl: np.ndarray
    upl: np.ndarray
    rebase_group: np.ndarray
    outside_limits: np.ndarray
    relative_to_mean: np.ndarray
    close_to_limits: np.ndarray
    rule: np.ndarray
    point_type: np.ndarray
    period_series: np.ndarray  # the series label of each period
    period_group: np.ndarray
    period_start: np.ndarray  # first point of each period, counted within its series
    period_start_row: np.ndarray  # first point of each period, counted in the input rows
    period_n: np.ndarray
    period_mean: np.ndarray
    period_lpl: np.ndarray
    period_upl: np.ndarray
    variation_type: np.ndarray
    assurance_type: np.ndarray
    warnings: tuple[tuple[int, str], ...]  # (period number, message)

    def chart(self, label, y, improvement: Improvement, target: float | None) -> XmrChart:
        """The one series labelled ``label`` (whose values were ``y``) as an XmrChart."""
        periods = np.flatnonzero(self.period_series == label)
        first = self.period_start_row[periods[0]]
        rows = slice(first, first + int(self.period_n[periods].sum()))
        segments = tuple(
            Segment(
                int(self.period_group[p]),
                int(self.period_start[p]),
                int(self.period_n[p]),
                float(self.period_mean[p]),
                float(self.period_lpl[p]),
                float(self.period_upl[p]),
                self.variation_type[p],
                self.assurance_type[p],
            )
            for p in periods
        )
        numbers = {p: i for i, p in enumerate(periods)}
        warnings = tuple(
            f"period {numbers[p] + 1} (from point {segments[numbers[p]].start + 1}): {message}"
            for p, message in self.warnings
            if p in numbers
        )
        return XmrChart(
            y=np.asarray(y, dtype=float),
            mean=self.mean[rows],
            lpl=self.lpl[rows],
            upl=self.upl[rows],
            rebase_group=self.rebase_group[rows],
            outside_limits=self.outside_limits[rows],
            relative_to_mean=self.relative_to_mean[rows],
            close_to_limits=self.close_to_limits[rows],
            rule=self.rule[rows],
            point_type=self.point_type[rows],
            segments=segments,
            improvement=improvement,
            target=target,
            warnings=warnings,
        )


def xmr(
    y,
    *,
    improvement: Improvement = "increase",
    target: float | None = None,
    rebase_at: tuple[int, ...] | list[int] = (),
    fix_after_n_points: int | None = None,
    screen_outliers: bool | None = None,
    profile: str = DEFAULT_PROFILE,
    limit: float = LIMIT,
    trajectory=None,
) -> XmrChart:
    """The XmR chart of one series ``y`` (in time order; NaN for a missing value).

    ``rebase_at`` holds the indices of the first point of each new period; ``trajectory`` is an
    optional planned value for each point.
    """
    values = np.asarray(y, dtype=float)
    starts = np.zeros(len(values), dtype=bool)
    for index in rebase_at:
        if not 0 <= int(index) < len(values):
            raise ValueError(f"a rebase index ({index}) is outside the series (0 to {len(values) - 1})")
        starts[int(index)] = True
    many = xmr_many(
        np.zeros(len(values), dtype=int),
        values,
        starts,
        improvement=improvement,
        target=target,
        fix_after_n_points=fix_after_n_points,
        screen_outliers=screen_outliers,
        profile=profile,
        limit=limit,
    )
    chart = many.chart(0, values, improvement, target)
    if trajectory is None:
        return chart
    planned = np.asarray(trajectory, dtype=float)
    if planned.shape != values.shape:
        raise ValueError(f"the trajectory has {len(planned)} values for {len(values)} points")
    return dataclasses.replace(chart, trajectory=planned)


def xmr_many(
    series,
    y,
    rebase=None,
    *,
    improvement: Improvement = "increase",
    target=None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool | None = None,
    profile: str = DEFAULT_PROFILE,
    limit: float = LIMIT,
) -> ManyXmr:
    """XmR charts of many series in one call.

    Rows are points sorted by series, then time: ``series`` labels each row (any sortable labels),
    ``y`` its value, ``rebase`` (optional, bool) marks the first point of a new period.
    ``improvement`` and ``target`` are one value for all series, or an array with one value per row
    (each series' own).
    ``limit`` is the multiple of the mean moving range (2.66; qicharts2 uses 3 / 1.128).
    """
    wrong = set(np.unique(np.asarray(improvement, dtype=object))) - set(DIRECTIONS)
    if wrong:
        raise ValueError(f"improvement must be increase, decrease or neutral, not {sorted(wrong)[0]!r}")
    if profile not in PROFILES:
        raise ValueError(f"unknown rule profile {profile!r} (expected one of {', '.join(PROFILES)})")
    if fix_after_n_points is not None and fix_after_n_points < MIN_POINTS:
        raise ValueError(f"fix_after_n_points must be at least {MIN_POINTS}")
    rule_profile = PROFILES[profile]
    screen = rule_profile.screen_outliers if screen_outliers is None else screen_outliers
    values = np.asarray(y, dtype=float)
    labels = np.asarray(series)
    layout = _Layout.of(labels, rebase, len(values))
    matrix = layout.to_matrix(values)
    limits, said = _limits(matrix, layout.lengths, fix_after_n_points, screen, limit)
    better_way = _per_period(improvement, layout, object)
    points = _points(matrix, limits, np.vectorize(DIRECTIONS.get, otypes=[int])(better_way), rule_profile)
    targets = _per_period(np.nan if target is None else target, layout, float)
    return _assemble(labels, layout, limits, points, better_way, targets, rule_profile, said)


@dataclass(frozen=True)
class _Layout:
    """Where each input row sits in the period matrix."""

    period: np.ndarray  # period number of each row
    position: np.ndarray  # position of each row within its period
    starts: np.ndarray  # first row of each period
    lengths: np.ndarray  # points in each period
    group: np.ndarray  # rebase group of each period within its series
    series_first: np.ndarray  # first row of each period's series

    @classmethod
    def of(cls, series: np.ndarray, rebase, n: int) -> _Layout:
        new_series = np.ones(n, dtype=bool)
        new_series[1:] = series[1:] != series[:-1]
        new_period = new_series | (np.zeros(n, dtype=bool) if rebase is None else np.asarray(rebase, bool))
        period = np.cumsum(new_period) - 1
        starts = np.flatnonzero(new_period)
        lengths = np.diff(np.append(starts, n))
        series_number = np.cumsum(new_series)[starts] - 1
        first_period_of_series = np.searchsorted(series_number, series_number)
        return cls(
            period,
            np.arange(n) - starts[period],
            starts,
            lengths,
            np.arange(len(starts)) - first_period_of_series,
            starts[first_period_of_series],
        )

    def to_matrix(self, values: np.ndarray) -> np.ndarray:
        width = int(self.lengths.max()) if len(self.lengths) else 0
        matrix = np.full((len(self.lengths), width), np.nan)
        matrix[self.period, self.position] = values
        return matrix

    def to_rows(self, matrix: np.ndarray) -> np.ndarray:
        return matrix[self.period, self.position]


def _nanmean(values: np.ndarray) -> np.ndarray:
    counts = np.sum(~np.isnan(values), axis=1)
    sums = np.nansum(values, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _limits(matrix, lengths, fix_after, screen, limit) -> tuple[dict[str, np.ndarray], list[tuple[int, str]]]:
    """Mean, limits and near-limit band of each period (one value per row of the matrix)."""
    basis = matrix.copy()
    if fix_after:
        basis[:, fix_after:] = np.nan
    mean = _nanmean(basis)
    moving_ranges = np.abs(np.diff(basis, axis=1))
    amr = _nanmean(moving_ranges)
    if screen:
        with np.errstate(invalid="ignore"):
            kept = np.where(moving_ranges < SCREEN * amr[:, None], moving_ranges, np.nan)
        amr = _nanmean(kept)
    used = np.minimum(lengths, fix_after or lengths.max(initial=0))
    return {
        "mean": mean,
        "lpl": mean - limit * amr,
        "upl": mean + limit * amr,
        "nlpl": mean - 2 * limit / 3 * amr,
        "nupl": mean + 2 * limit / 3 * amr,
    }, _warnings(basis, used, amr)


def _warnings(basis: np.ndarray, used: np.ndarray, amr: np.ndarray) -> list[tuple[int, str]]:
    present = np.sum(~np.isnan(basis), axis=1)
    said = []
    for p in np.flatnonzero(present < used):
        said.append((p, "missing values are left out of the limits and break runs and trends"))
    for p in np.flatnonzero(present < MIN_POINTS):
        said.append((p, f"fewer than {MIN_POINTS} points: the limits are trial limits"))
    for p in np.flatnonzero(amr == 0):
        said.append(
            (
                p,
                "every moving range used is zero, so the limits sit on the mean and every other "
                "value is flagged; treat the flags as 'the value changed', not as evidence",
            )
        )
    for p in np.flatnonzero(np.isnan(amr)):
        said.append((p, "no moving range could be computed, so there are no limits"))
    return sorted(said)


def _points(matrix, limits, improvement: np.ndarray, profile) -> dict[str, np.ndarray]:
    """Each point's flags and type; ``improvement`` holds +1, −1 or 0 for each period."""
    improvement = improvement[:, None]
    column = {name: value[:, None] for name, value in limits.items()}
    missing = np.isnan(matrix)
    with np.errstate(invalid="ignore"):
        relative = np.sign(matrix - column["mean"])
        outside = (matrix > column["upl"]) | (matrix < column["lpl"])
        near = (matrix < column["nlpl"]) | (matrix > column["nupl"])
    rule, direction = rules.special_cause(matrix, relative, near, outside, improvement, profile)
    neutral = np.where(direction > 0, _NEUTRAL_HIGH, _NEUTRAL_LOW)
    kind = np.where(improvement == 0, neutral, np.where(direction == improvement, _IMPROVEMENT, _CONCERN))
    return {
        "relative": relative,
        "outside": np.where(missing, np.nan, outside),
        "close": np.where(missing, np.nan, near & ~outside),
        "rule": rule,
        "kind": np.where(rule != rules.NONE, kind, _COMMON),
    }


def _per_period(value, layout: _Layout, dtype) -> np.ndarray:
    """One value per period, from one value for all or one per row."""
    if np.ndim(value) == 0:
        return np.full(len(layout.starts), value, dtype=dtype)
    return np.asarray(value, dtype=dtype)[layout.starts]


def _assemble(labels, layout, limits, points, improvement, targets, profile, said) -> ManyXmr:
    last = layout.starts + layout.lengths - 1
    kinds = layout.to_rows(points["kind"])
    variation = POINT_TYPES[kinds[last]].astype(object)
    assurance = assurance_types(improvement, targets, limits["lpl"], limits["upl"])
    too_few = layout.lengths < profile.min_points_for_icons
    variation[too_few], assurance[too_few] = None, None
    if too_few.any():
        said = sorted(
            [
                *said,
                *(
                    (
                        int(p),
                        f"fewer than {profile.min_points_for_icons} points: "
                        "no icons under the MDC tool's rules",
                    )
                    for p in np.flatnonzero(too_few)
                ),
            ]
        )
    per_row = {name: value[layout.period] for name, value in limits.items()}
    return ManyXmr(
        mean=per_row["mean"],
        lpl=per_row["lpl"],
        upl=per_row["upl"],
        rebase_group=layout.group[layout.period],
        outside_limits=layout.to_rows(points["outside"]),
        relative_to_mean=layout.to_rows(points["relative"]),
        close_to_limits=layout.to_rows(points["close"]),
        rule=np.array(RULE_NAMES, dtype=object)[layout.to_rows(points["rule"])],
        point_type=POINT_TYPES[kinds],
        period_series=labels[layout.starts],
        period_group=layout.group,
        period_start=layout.starts - layout.series_first,
        period_start_row=layout.starts,
        period_n=layout.lengths,
        period_mean=limits["mean"],
        period_lpl=limits["lpl"],
        period_upl=limits["upl"],
        variation_type=variation,
        assurance_type=assurance,
        warnings=tuple(said),
    )


def assurance_types(improvement, target, lpl, upl) -> np.ndarray:
    """Per period: consistent_pass, consistent_fail, inconsistent, or None (no target, or neutral)."""
    target, lpl, upl = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (target, lpl, upl))
    result = np.full(np.broadcast(target, lpl, upl).shape, None, dtype=object)
    increase = np.asarray(improvement, dtype=object) == "increase"
    passes = np.where(increase, target < lpl, target > upl)
    fails = np.where(increase, target > upl, target < lpl)
    known = ~(np.isnan(target) | np.isnan(lpl) | np.isnan(upl)) & (
        np.asarray(improvement, dtype=object) != "neutral"
    )
    result[known] = "inconsistent"
    result[known & passes] = "consistent_pass"
    result[known & fails] = "consistent_fail"
    return result


def assurance_type(improvement: Improvement, target: float | None, lpl: float, upl: float) -> str | None:
    """Whether a process will reliably meet its target: consistent pass, fail, or inconsistent."""
    return assurance_types(improvement, np.nan if target is None else target, lpl, upl)[0]
