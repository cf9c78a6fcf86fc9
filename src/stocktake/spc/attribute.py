"""Attribute charts: p and u, with Laney's p′ and u′ (``spc.prime`` reads them with MDC rules).

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
    #: One standard deviation at each point (after Laney's inflation): the 2-sigma band of the
    #: Making Data Count rules (``spc.prime``) comes from it.
    sd: np.ndarray | None = None

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
    return AttributeChart(kind, y, cl, lcl, ucl, parts, included, tuple(runs), tuple(sigma_z), sd)


def p_chart(numerator, denominator, *, part=None, exclude=(), freeze=None, laney=False, sigma=3.0):
    """Proportion of cases with the attribute (p), or Laney's p′ when ``laney``."""
    kind = "p'" if laney else "p"
    return _rate_chart(kind, numerator, denominator, part, exclude, freeze, laney, True, sigma)


def u_chart(numerator, denominator, *, part=None, exclude=(), freeze=None, laney=False, sigma=3.0):
    """Events per unit of exposure (u), or Laney's u′ when ``laney``."""
    kind = "u'" if laney else "u"
    return _rate_chart(kind, numerator, denominator, part, exclude, freeze, laney, False, sigma)
