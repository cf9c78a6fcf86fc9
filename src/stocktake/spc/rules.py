"""The four Making Data Count special-cause rules, as NHSRplotthedots 0.2.2 applies them.

Each helper takes the points of one rebase period and returns one value per point. Missing values
(NaN) never extend a run: they break it, which is how Stocktake avoids the reference's crash on a
missing value inside a trend.
"""

from __future__ import annotations

import numpy as np

RUN_LENGTH = 7

OUTSIDE_LIMITS = "outside_limits"
TREND = "trend"
TWO_IN_THREE = "two_in_three"
SHIFT = "shift"
#: Precedence when several rules fire on one point: the first in this tuple names it.
PRECEDENCE = (OUTSIDE_LIMITS, TREND, TWO_IN_THREE, SHIFT)


def streak_lengths(values: np.ndarray) -> np.ndarray:
    """Length of the run of equal, non-zero values that ends at each point (0 on a zero)."""
    lengths = np.zeros(len(values), dtype=int)
    for i, value in enumerate(values):
        if value == 0:
            continue
        same_as_before = i > 0 and values[i - 1] == value
        lengths[i] = lengths[i - 1] + 1 if same_as_before else 1
    return lengths


def seven_point_one_side_mean(relative_to_mean: np.ndarray) -> np.ndarray:
    """1 at each point that is the 7th or later of a run on one side of the mean."""
    return (streak_lengths(relative_to_mean) >= RUN_LENGTH).astype(int)


def part_of_seven(flags: np.ndarray) -> np.ndarray:
    """1 at every point among the seven that end at a non-zero flag."""
    marked = np.zeros(len(flags), dtype=int)
    for i in np.flatnonzero(flags):
        marked[max(0, i - RUN_LENGTH + 1) : i + 1] = 1
    return marked


def seven_point_trend(y: np.ndarray) -> np.ndarray:
    """+1 / −1 at each point that ends seven or more strictly rising / falling points.

    Equal consecutive values break a trend (the 0.2.2 behaviour).
    """
    steps = np.zeros(len(y), dtype=int)
    if len(y) > 1:
        steps[1:] = np.nan_to_num(np.sign(np.diff(y)), nan=0).astype(int)
    ends = streak_lengths(steps) >= RUN_LENGTH - 1
    return np.where(ends, steps, 0)


def part_of_trend(y: np.ndarray) -> np.ndarray:
    """The direction (+1 / −1) of the seven-point trend each point belongs to, else 0."""
    ends = seven_point_trend(y)
    direction = np.zeros(len(y), dtype=int)
    for i in np.flatnonzero(ends):
        direction[max(0, i - RUN_LENGTH + 1) : i + 1] = ends[i]
    return direction


def two_in_three_window(close_to_limits: np.ndarray, relative_to_mean: np.ndarray) -> np.ndarray:
    """1 at every point of a window of three, all on one side, with two or more near a limit."""
    close = np.nan_to_num(close_to_limits.astype(float), nan=0)
    side = np.nan_to_num(relative_to_mean.astype(float), nan=0)
    flagged = np.zeros(len(close), dtype=int)
    for i in range(2, len(close)):
        window = slice(i - 2, i + 1)
        if close[window].sum() >= 2 and abs(side[window].sum()) == 3:
            flagged[window] = 1
    return flagged


def part_of_two_in_three(close_to_limits: np.ndarray, relative_to_mean: np.ndarray) -> np.ndarray:
    """1 at the near-limit points of a two-in-three window (the far point stays common)."""
    window = two_in_three_window(close_to_limits, relative_to_mean)
    return window * np.nan_to_num(close_to_limits.astype(float), nan=0).astype(int)


def special_cause(
    y: np.ndarray,
    relative_to_mean: np.ndarray,
    close_to_limits: np.ndarray,
    outside_limits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Which rule names each point (or "") and the direction (+1 / −1) it signals.

    Outside limits, two-in-three and shift signal the side of the mean; a trend signals its
    direction, so the first points of a rising trend below the mean still read as rising.
    """
    side = np.nan_to_num(relative_to_mean.astype(float), nan=0).astype(int)
    outside = np.nan_to_num(outside_limits.astype(float), nan=0).astype(bool)
    fired = {
        OUTSIDE_LIMITS: (outside, side),
        TREND: ((trend := part_of_trend(y)) != 0, trend),
        TWO_IN_THREE: (part_of_two_in_three(close_to_limits, relative_to_mean) == 1, side),
        SHIFT: (part_of_seven(seven_point_one_side_mean(side)) == 1, side),
    }
    rule = np.full(len(y), "", dtype=object)
    direction = np.zeros(len(y), dtype=int)
    for name in reversed(PRECEDENCE):
        hit, sign = fired[name]
        rule[hit] = name
        direction[hit] = sign[hit]
    return rule, direction
