"""Anhøj's run-chart rules: an unusually long run, or unusually few crossings of the centre line.

Both limits depend only on the number of useful points (those not on the centre line), so they
suit short series where control limits are not yet trustworthy (Anhøj & Olesen 2014).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RunAnalysis:
    n_obs: int
    n_useful: int
    longest_run: int
    longest_run_max: int
    n_crossings: int
    n_crossings_min: int

    @property
    def signal(self) -> bool:
        return self.longest_run > self.longest_run_max or self.n_crossings < self.n_crossings_min


def longest_run_limit(n_useful: int) -> int:
    """A run longer than round(log2 n) + 3 is a signal."""
    return round(math.log2(n_useful)) + 3 if n_useful > 0 else 0


def crossings_limit(n_useful: int) -> int:
    """Fewer crossings than the 5th percentile of Binomial(n − 1, ½) is a signal."""
    trials = max(n_useful - 1, 0)
    cumulative = 0
    for k in range(trials + 1):
        cumulative += math.comb(trials, k)
        if cumulative >= 0.05 * 2**trials:
            return k
    return trials


def anhoej(y, centre) -> RunAnalysis:
    """Run analysis of ``y`` about ``centre`` (a number, or one per point); NaN points are skipped."""
    values = np.asarray(y, dtype=float)
    centre = np.broadcast_to(np.asarray(centre, dtype=float), values.shape)
    present = ~np.isnan(values)
    side = np.sign(values[present] - centre[present])
    useful = side[side != 0]
    changes = np.flatnonzero(np.diff(useful) != 0)
    if len(useful):
        bounds = np.concatenate([[-1], changes, [len(useful) - 1]])
        longest = int(np.diff(bounds).max())
    else:
        longest = 0
    return RunAnalysis(
        n_obs=int(present.sum()),
        n_useful=len(useful),
        longest_run=longest,
        longest_run_max=longest_run_limit(len(useful)),
        n_crossings=len(changes),
        n_crossings_min=crossings_limit(len(useful)),
    )
