"""Exact Poisson pieces of a funnel plot for counts: the lines drawn and the test a point is given.

Two different calculations, as PHEindicatormethods 2.1.0 (UKHSA) makes them:

- the *lines*: for an observed count O, the expected count at which O sits exactly on a limit
  (P(X ≤ O) = p for the lower line, P(X ≥ O) = p for the upper); the package finds it by bisection
  over a truncated Poisson series, reproduced here for parity (``phe_expected_at_limit``). Between
  counts the line is continuous in O (the regularised incomplete gamma), which gives the limits at
  any denominator (``count_on_line``).
- the *test* of a point (``count_bound``): the exact chi-square bound of its count below 10 events,
  Byar's approximation from 10 on, compared with the expected count.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammainc, gammaincc, gammaln
from scipy.stats import chi2

#: The package's bisection stops when its step is no larger than this (about 23 halvings).
BISECTION_STEP = 1e-7
#: Its Poisson series stops past the mode once a term is this small relative to the running sum.
SERIES_TOLERANCE = 1e-10
BYAR_FROM = 10  # events; fewer use the exact chi-square bound


def phe_interval_probability(mean: float, low: float, high: float) -> float:
    """P(low ≤ X ≤ high) for X ~ Poisson(mean) as the package's series gives it: terms are summed
    until past the mean and a term falls below 1e-10 of the running total, and the in-range share of
    that (truncated) total is returned. The truncation moves the answer by up to ~1e-7 relative in
    the far tail, enough to change the package's bisection in its last steps, so it is kept."""
    if mean <= 0:
        return 1.0 if low <= 0 else 0.0
    count = int(mean + 60 * math.sqrt(mean) + 200)
    k = np.arange(count)
    log_terms = k * math.log(mean) - gammaln(k + 1)
    terms = np.exp(log_terms - log_terms.max())  # scaled like the package's 1e30 rescaling
    running = np.cumsum(terms)
    before = np.concatenate(([0.0], running[:-1]))  # the total when term k is considered
    stops = np.flatnonzero((k > mean) & (terms <= before * SERIES_TOLERANCE))
    last = stops[0] if stops.size else count  # term `last` is not added
    kept = terms[:last]
    inside = (k[:last] >= low) & (k[:last] <= high)
    return float(kept[inside].sum() / kept.sum())


def phe_expected_at_limit(observed: float, tail: float, side: str) -> float:
    """The expected count at which ``observed`` events sit on a limit with ``tail`` probability
    beyond it, by the package's bisection (``poisson_funnel``): ``side="high"`` gives the mean whose
    P(X ≤ observed) is ``tail`` (a lower limit's denominator), ``"low"`` the mean whose
    P(X ≥ observed) is ``tail`` (an upper limit's)."""
    if side not in ("low", "high"):
        raise ValueError(f"side must be 'low' or 'high', not {side!r}")
    v = step = 0.5
    while step > BISECTION_STEP:
        step /= 2
        mean = (1 + observed) * v / (1 - v)
        if side == "low":
            too_high = phe_interval_probability(mean, observed, 1e10) > tail
        else:
            too_high = phe_interval_probability(mean, 0, observed) < tail
        v = v - step if too_high else v + step
    return (1 + observed) * v / (1 - v)


def count_on_line(expected: float, tail: float, side: str) -> float:
    """The (continuous) observed count on a limit line at this expected count: the lower line is
    where P(X ≤ O) = tail, the upper where P(X ≥ O) = tail, with the Poisson tails written as
    regularised incomplete gammas so that O need not be whole. Below the expected count at which
    0 events reach the lower line (−ln tail), there is no lower line: 0 is returned."""
    if expected <= 0 or not math.isfinite(expected):
        raise ValueError(f"expected count must be positive and finite, not {expected!r}")
    top = expected + 12 * math.sqrt(expected) + 40
    if side == "lower":
        if gammaincc(1.0, expected) >= tail:
            return 0.0
        return brentq(lambda o: gammaincc(o + 1, expected) - tail, 0.0, top, xtol=1e-13, rtol=1e-15)
    if side == "upper":
        return brentq(lambda o: gammainc(o, expected) - tail, 1e-300, top, xtol=1e-13, rtol=1e-15)
    raise ValueError(f"side must be 'lower' or 'upper', not {side!r}")


def count_bound(observed: float, confidence: float, side: str) -> float:
    """The package's confidence bound of an observed count (``funnel_ratio_significance`` before it
    divides by the expected count): exact chi-square below 10 events, Byar's approximation from 10.
    ``side="low"`` is the lower bound, ``"high"`` the upper."""
    if side == "low" and observed == 0:
        return 0.0
    quantile = 0.5 + confidence / 2
    if observed < BYAR_FROM:
        if side == "low":
            return float(chi2.isf(quantile, 2 * observed)) / 2
        if side == "high":
            return float(chi2.ppf(quantile, 2 * observed + 2)) / 2
    else:
        z = NormalDist().inv_cdf(quantile)
        if side == "low":
            return observed * (1 - 1 / (9 * observed) - z / 3 / math.sqrt(observed)) ** 3
        if side == "high":
            shifted = observed + 1
            return shifted * (1 - 1 / (9 * shifted) + z / 3 / math.sqrt(shifted)) ** 3
    raise ValueError(f"side must be 'low' or 'high', not {side!r}")
