"""Attribute and rare-event charts: p, u (with Laney's p′ and u′), c and g.

p and u charts have limits that vary with each point's denominator. With very large denominators
(national 4-hour performance, say) the binomial or Poisson limits become so narrow that every
point is "special"; Laney's p′ and u′ widen them by the observed between-point variation (σz),
which is the honest reading of overdispersed data.

Conventions follow qicharts2 0.8.1: three-sigma limits; centre lines per part computed without
excluded points (and, with ``freeze``, from a part's first points only); lower limits not below
zero and p limits not above one; Anhøj run analysis on the included points about the centre line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stocktake.spc.runs import RunAnalysis, anhoej

D2 = 1.128  # expected range of two normal observations, in standard deviations


@dataclass(frozen=True)
class AttributeChart:
    kind: str
    y: np.ndarray
    cl: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    part: np.ndarray
    included: np.ndarray
    runs: tuple[RunAnalysis, ...]  # one per part
    sigma_z: tuple[float, ...] = ()  # Laney's inflation of sigma, one per part

    @property
    def outside_limits(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (self.y > self.ucl) | (self.y < self.lcl)


def _parts(n: int, part) -> np.ndarray:
    if part is None:
        return np.zeros(n, dtype=int)
    labels = np.asarray(part)
    changes = np.ones(n, dtype=bool)
    changes[1:] = labels[1:] != labels[:-1]
    return np.cumsum(changes) - 1


def _included(y: np.ndarray, exclude) -> np.ndarray:
    included = ~np.isnan(y)
    included[list(exclude)] = False
    return included


def _baseline(here: np.ndarray, included: np.ndarray, freeze: int | None) -> np.ndarray:
    """The points a part's centre line comes from: included ones, among its first ``freeze``."""
    use = here & included
    if freeze is not None:
        use &= np.cumsum(here) <= freeze
    return use


def _laney_sigma_z(z: np.ndarray) -> float:
    """Between-point spread of the z-scores: mean moving range / 1.128 (1 for a binomial process)."""
    moving_ranges = np.abs(np.diff(z[~np.isnan(z)]))
    return float(moving_ranges.mean() / D2) if len(moving_ranges) else float("nan")


def _rate_chart(
    kind, numerator, denominator, part, exclude, freeze, laney, proportion, sigma
) -> AttributeChart:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = numerator / denominator
    parts = _parts(len(y), part)
    included = _included(y, exclude)
    cl, sd = np.full(len(y), np.nan), np.full(len(y), np.nan)
    sigma_z, runs = [], []
    for number in range(parts.max(initial=-1) + 1):
        here = parts == number
        use = _baseline(here, included, freeze)
        centre = numerator[use].sum() / denominator[use].sum()
        spread = centre * (1 - centre) if proportion else centre
        cl[here] = centre
        sd[here] = np.sqrt(spread / denominator[here])
        if laney:
            inflation = _laney_sigma_z(np.where(use, (y - centre) / sd, np.nan)[here])
            sd[here] *= inflation
            sigma_z.append(inflation)
        runs.append(anhoej(y[here & included], centre))
    lcl = np.maximum(cl - sigma * sd, 0)
    ucl = np.minimum(cl + sigma * sd, 1) if proportion else cl + sigma * sd
    return AttributeChart(kind, y, cl, lcl, ucl, parts, included, tuple(runs), tuple(sigma_z))


def p_chart(numerator, denominator, *, part=None, exclude=(), freeze=None, laney=False, sigma=3.0):
    """Proportion of cases with the attribute (p), or Laney's p′ when ``laney``."""
    kind = "p'" if laney else "p"
    return _rate_chart(kind, numerator, denominator, part, exclude, freeze, laney, True, sigma)


def u_chart(numerator, denominator, *, part=None, exclude=(), freeze=None, laney=False, sigma=3.0):
    """Events per unit of exposure (u), or Laney's u′ when ``laney``."""
    kind = "u'" if laney else "u"
    return _rate_chart(kind, numerator, denominator, part, exclude, freeze, laney, False, sigma)


def c_chart(
    counts, *, part=None, exclude=(), freeze: int | None = None, sigma: float = 3.0
) -> AttributeChart:
    """Counts of events in equal areas of opportunity (Poisson: limits c̄ ± 3√c̄)."""
    y = np.asarray(counts, dtype=float)
    parts = _parts(len(y), part)
    included = _included(y, exclude)
    cl = np.full(len(y), np.nan)
    runs = []
    for number in range(parts.max(initial=-1) + 1):
        here = parts == number
        cl[here] = y[_baseline(here, included, freeze)].mean()
        runs.append(anhoej(y[here & included], cl[here][0]))
    return AttributeChart(
        "c",
        y,
        cl,
        np.maximum(cl - sigma * np.sqrt(cl), 0),
        cl + sigma * np.sqrt(cl),
        parts,
        included,
        tuple(runs),
    )


def g_chart(opportunities_between, *, sigma: float = 3.0) -> AttributeChart:
    """Opportunities (cases, days) between rare events: geometric, limits ḡ ± 3√(ḡ(ḡ + 1)).

    More opportunities between events is better; the lower limit is usually zero, so improvement
    shows as points above the upper limit or long runs above the centre line.
    """
    y = np.asarray(opportunities_between, dtype=float)
    included = ~np.isnan(y)
    mean = y[included].mean()
    spread = sigma * np.sqrt(mean * (mean + 1))
    n = len(y)
    return AttributeChart(
        "g",
        y,
        np.full(n, mean),
        np.full(n, max(mean - spread, 0.0)),
        np.full(n, mean + spread),
        np.zeros(n, dtype=int),
        included,
        (anhoej(y[included], mean),),
    )
