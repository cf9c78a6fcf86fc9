"""Funnel limits for a proportion, as PHEindicatormethods draws them (its "Wilson" method).

The package's closed form (``sigma_adjustment``) gives the observed proportion whose Wilson score
interval just reaches the average. Solving |p − θ| = z·√(θ(1 − θ)/n) for p shows that this is
θ ± z·√(θ(1 − θ)/n): the score test at the average, which is why the funnel is symmetric. The
package's own arithmetic is kept so that a point on a line is classed as the package classes it.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm


def phe_sigma_adjustment(probability: float, population, average: float, side: str, multiplier: float = 1.0):
    """The proportion (× multiplier) on the line at ``probability`` (0.975 for 95%, 0.999 for
    99.8%) for a unit of this population, below (``side="low"``) or above the average."""
    z2 = norm.ppf(probability) ** 2
    population = np.asarray(population, dtype=float)
    first = average * (population / z2 + 1)
    root = np.sqrt(  # never below 0 but by rounding (an average of exactly 0 or 1)
        np.maximum(
            0.0,
            (-8 * average * (population / z2 + 1)) ** 2
            - 64
            * (1 / z2 + 1 / population)
            * average
            * (population * (average * (population / z2 + 2) - 1) + z2 * (average - 1)),
        )
    )
    last = 1 / z2 + 1 / population
    if side == "low":
        line = (first - root / 8) / last
    elif side == "high":
        line = (first + root / 8) / last
    else:
        raise ValueError(f"side must be 'low' or 'high', not {side!r}")
    return line / population * multiplier
