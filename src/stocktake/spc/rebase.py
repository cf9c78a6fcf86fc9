"""When a change date may start an XmR chart's limits again (a "rebase").

Making Data Count recalculates limits only after a sustained shift that follows a deliberate change,
and only once there are enough points to describe the new process. Limits from fewer than 12 points
are trial limits: they move with every new value (NHSRplotthedots warns below 12 points,
``ptd_add_short_group_warnings``; this package's ``xmr.MIN_POINTS``). Twelve is also where a shift
of seven points and a trend of seven can both be seen inside the new period with room to spare.

Restarting the limits on fewer points lets a handful of values set their own yardstick: six values
well below the old lower limit become "common cause" within limits drawn around themselves. So a
rebase is honoured only when at least ``MIN_REBASE_POINTS`` values follow it (up to the next honoured
rebase); until then one set of limits runs across it, and the rebase is *deferred*.
See docs/adr/0004-rebase-needs-a-sustained-shift.md.

Pure: indices and NumPy arrays in, indices out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.spc.xmr import MIN_POINTS

MIN_REBASE_POINTS = MIN_POINTS


@dataclass(frozen=True)
class RebasePlan:
    """Which requested restarts of the limits are used, and which wait for more values."""

    honoured: tuple[int, ...]  # first point of each new period, ascending
    deferred: tuple[tuple[int, int], ...]  # (requested first point, values that follow it so far)


def plan_rebases(starts, y, minimum: int = MIN_REBASE_POINTS) -> RebasePlan:
    """Honour each requested start (index into ``y``) that at least ``minimum`` values follow.

    Read from the latest start backwards, so a start is judged on the values up to the next start
    that is honoured: two changes close together count as one period. Missing values (NaN) do not
    count. A start at the first point restarts nothing and is left out.
    """
    present = ~np.isnan(np.asarray(y, dtype=float))
    counts = np.concatenate([np.cumsum(present[::-1])[::-1], [0]])  # values from each index on
    honoured, deferred, end = [], [], len(present)
    for start in sorted({int(s) for s in starts if 0 < int(s) < len(present)}, reverse=True):
        after = int(counts[start] - counts[end])
        if after >= minimum:
            honoured.append(start)
            end = start
        else:
            deferred.append((start, after))
    return RebasePlan(tuple(reversed(honoured)), tuple(reversed(deferred)))


def rebase_point(x, when) -> int | None:
    """The point a change dated ``when`` restarts the limits at: the first dated on or after it.

    None when no point is dated on or after it, or when that is the very first point (there are no
    limits before it to restart). The one rule for the stock-take's change dates and ``stocktake spc
    --rebase``; ``x`` is the dates in order of the points (a ``DatetimeIndex``).
    """
    after = np.flatnonzero(x >= pd.Timestamp(when))
    return int(after[0]) if len(after) and after[0] > 0 else None


def provisional_points(y, rebase_group, minimum: int = MIN_POINTS) -> np.ndarray:
    """True at each point whose period's limits rest on fewer than ``minimum`` values (trial limits)."""
    groups = np.asarray(rebase_group)
    present = ~np.isnan(np.asarray(y, dtype=float))
    where = np.unique(groups, return_inverse=True)[1].ravel()
    behind = np.bincount(where, weights=present)
    return behind[where] < minimum
