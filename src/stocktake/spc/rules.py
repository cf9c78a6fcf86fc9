"""The four Making Data Count special-cause rules, vectorised.

Every function takes 2-D arrays with one row per rebase period (of any number of series), padded
with NaN at the end, and returns one value per point. A missing value (NaN) never extends a run:
it breaks it, which is how Stocktake avoids the reference's crash on a gap inside a trend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RUN_LENGTH = 7

NONE, OUTSIDE_LIMITS, TREND, TWO_IN_THREE, SHIFT = range(5)
RULE_NAMES = ("", "outside_limits", "trend", "two_in_three", "shift")
#: Precedence when several rules fire on one point: the first names it.
PRECEDENCE = (OUTSIDE_LIMITS, TREND, TWO_IN_THREE, SHIFT)


@dataclass(frozen=True)
class RuleProfile:
    """How one reference tool reads the rules."""

    name: str
    #: Screen moving ranges above 3.267 × their mean before setting limits (unless told otherwise).
    screen_outliers: bool
    #: Points beyond the process limits also count towards two-in-three (MDC, November 2023).
    two_in_three_counts_outside: bool
    #: Equal consecutive values break a trend (0.2.2); otherwise they neither add nor break (NHS 2017).
    ties_break_trends: bool
    #: When rules disagree on a point, improvement wins (the MDC tool); otherwise precedence decides.
    improvement_wins_conflicts: bool
    #: Icons are shown only for periods with at least this many points (MDC tool: 13).
    min_points_for_icons: int


PROFILES = {
    p.name: p
    for p in (
        RuleProfile("nhsrplotthedots-0.2.2", True, False, True, False, 1),
        RuleProfile("mdc-2023", False, True, False, True, 13),
    )
}
DEFAULT_PROFILE = "nhsrplotthedots-0.2.2"


def _2d(values) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[None, :] if array.ndim == 1 else array


def run_so_far(labels: np.ndarray, counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Within runs of equal non-zero labels: the count so far at each point, and the run's total.

    ``counts`` says how much each point adds (default 1); a point with label 0 is in no run.
    """
    labels = np.nan_to_num(_2d(labels))
    counts = np.ones_like(labels) if counts is None else _2d(counts)
    counts = np.where(labels != 0, counts, 0)
    width = labels.shape[1]
    index = np.broadcast_to(np.arange(width), labels.shape)
    starts = np.ones(labels.shape, dtype=bool)
    starts[:, 1:] = labels[:, 1:] != labels[:, :-1]
    run_start = np.maximum.accumulate(np.where(starts, index, 0), axis=1)
    ends = np.ones(labels.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    run_end = np.flip(np.minimum.accumulate(np.flip(np.where(ends, index, width), axis=1), axis=1), axis=1)
    total = np.cumsum(counts, axis=1)
    before = np.where(run_start > 0, np.take_along_axis(total, np.maximum(run_start - 1, 0), axis=1), 0)
    so_far = np.where(labels != 0, total - before, 0)
    return so_far, np.take_along_axis(so_far, run_end, axis=1)


def mark_windows(flags: np.ndarray, width: int = RUN_LENGTH) -> np.ndarray:
    """For each point, the index of the last flag among it and the ``width − 1`` points after, or −1.

    With a flag at the end of each qualifying window, this marks every point of the window.
    """
    flags = _2d(flags)
    n = flags.shape[1]
    index = np.arange(n)
    last = np.maximum.accumulate(np.where(flags != 0, index, -1), axis=1)
    covering = last[:, np.minimum(index + width - 1, n - 1)]
    return np.where(covering >= index, covering, -1)


def part_of_seven(flags: np.ndarray) -> np.ndarray:
    """1 at every point among the seven that end at a non-zero flag."""
    return (mark_windows(flags) >= 0).astype(int)


def seven_point_one_side_mean(relative_to_mean: np.ndarray) -> np.ndarray:
    """1 at each point that is the 7th or later of a run on one side of the mean."""
    so_far, _ = run_so_far(relative_to_mean)
    return (so_far >= RUN_LENGTH).astype(int)


def _steps(y: np.ndarray, ties_break: bool) -> tuple[np.ndarray, np.ndarray]:
    """Direction of each step from the previous point, and whether it counts towards a trend."""
    y = _2d(y)
    steps = np.zeros(y.shape)
    steps[:, 1:] = np.sign(np.diff(y, axis=1))  # NaN where either point is missing
    if ties_break:
        return np.nan_to_num(steps), np.ones(y.shape)
    # A tie carries the direction before it but does not count; a missing value still breaks.
    tie = steps == 0
    tie[:, 0] = False
    carried = np.where(tie, np.nan, steps)
    index = np.broadcast_to(np.arange(y.shape[1]), y.shape)
    last_known = np.maximum.accumulate(np.where(~np.isnan(carried), index, 0), axis=1)
    filled = np.take_along_axis(carried, last_known, axis=1)
    return np.nan_to_num(filled), (~tie).astype(float)


def seven_point_trend(y: np.ndarray, ties_break: bool = True) -> np.ndarray:
    """+1 / −1 at each point that ends seven or more rising / falling points."""
    direction, counts = _steps(y, ties_break)
    so_far, _ = run_so_far(direction, counts)
    return np.where(so_far >= RUN_LENGTH - 1, direction, 0).astype(int)


def part_of_trend(y: np.ndarray, ties_break: bool = True) -> np.ndarray:
    """The direction (+1 / −1) of the trend each point belongs to, else 0.

    A run of steps k0…k1 covers points k0−1…k1; where a falling trend starts at the point a rising
    one ends, the later trend names it.
    """
    direction, counts = _steps(y, ties_break)
    _, total = run_so_far(direction, counts)
    qualifies = np.where(total >= RUN_LENGTH - 1, direction, 0)
    starts_here = np.zeros(qualifies.shape)
    starts_here[:, :-1] = qualifies[:, 1:]
    return np.where(starts_here != 0, starts_here, qualifies).astype(int)


def _window_sums(values: np.ndarray) -> np.ndarray:
    """Sum over each window of three ending at a point (0 for the first two points)."""
    sums = np.zeros(values.shape)
    sums[:, 2:] = values[:, 2:] + values[:, 1:-1] + values[:, :-2]
    return sums


def two_in_three_window(close_to_limits: np.ndarray, relative_to_mean: np.ndarray) -> np.ndarray:
    """1 at every point of a window of three, all on one side, with two or more near a limit."""
    close = np.nan_to_num(_2d(close_to_limits))
    side = np.nan_to_num(_2d(relative_to_mean))
    ends = (_window_sums(close) >= 2) & (np.abs(_window_sums(side)) == 3)
    return (mark_windows(ends, 3) >= 0).astype(int)


def part_of_two_in_three(close_to_limits: np.ndarray, relative_to_mean: np.ndarray) -> np.ndarray:
    """1 at the near-limit points of a two-in-three window (the third point stays common)."""
    window = two_in_three_window(close_to_limits, relative_to_mean)
    return window * np.nan_to_num(_2d(close_to_limits)).astype(int)


def special_cause(
    y: np.ndarray,
    relative_to_mean: np.ndarray,
    near_limits: np.ndarray,
    outside_limits: np.ndarray,
    improvement,
    profile: RuleProfile,
) -> tuple[np.ndarray, np.ndarray]:
    """The rule that names each point (codes as RULE_NAMES) and the direction it signals.

    ``improvement`` is +1, −1 or 0 (neutral): one number, or one per row of the matrix.

    Outside limits, two-in-three and shift signal the side of the mean; a trend its direction.
    """
    side = np.nan_to_num(_2d(relative_to_mean)).astype(int)
    outside = np.nan_to_num(_2d(outside_limits)).astype(bool)
    near = np.nan_to_num(_2d(near_limits)).astype(bool)
    close = near if profile.two_in_three_counts_outside else near & ~outside
    trend = part_of_trend(y, profile.ties_break_trends)
    fired = {
        OUTSIDE_LIMITS: (outside, side),
        TREND: (trend != 0, trend),
        TWO_IN_THREE: (part_of_two_in_three(close, side) == 1, side),
        SHIFT: (part_of_seven(seven_point_one_side_mean(side)) == 1, side),
    }
    rule = np.zeros(side.shape, dtype=int)
    direction = np.zeros(side.shape, dtype=int)
    for code in reversed(PRECEDENCE):
        hit, sign = fired[code]
        rule[hit], direction[hit] = code, sign[hit]
    if profile.improvement_wins_conflicts:
        better_way = np.broadcast_to(np.asarray(improvement), side.shape)  # +1, −1, or 0 for neutral
        for code in reversed(PRECEDENCE):
            hit, sign = fired[code]
            better = hit & (better_way != 0) & (sign == better_way) & (direction != better_way)
            rule[better], direction[better] = code, better_way[better]
    return rule, direction
