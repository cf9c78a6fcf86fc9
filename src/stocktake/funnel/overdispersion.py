"""Spiegelhalter's allowance for overdispersion: units differ by more than chance alone.

With many units (trusts, surgeons), real but unexplained differences between them make most fall
outside Poisson or binomial limits. Spiegelhalter (Stat Med 2005;24:1185) estimates how much more
spread there is than chance from z-scores on a variance-stabilising scale, Winsorised at the 10th
and 90th percentiles so that the outliers being looked for do not inflate the estimate (as the SHMI
and FunnelPlotR do), and either multiplies the variance by φ or adds a between-unit variance τ².
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

WINSOR = 0.1  # Winsorise below the 10th and above the 90th percentile


@dataclass(frozen=True)
class Dispersion:
    """How much more the units differ than chance: φ (1 is chance alone) and the additive τ²."""

    units: int
    phi: float  # mean squared Winsorised z-score
    tau2: float  # between-unit variance on the transformed scale (0 when k·φ ≤ k − 1)
    statistic: float  # k·φ: chi-square on k − 1 degrees of freedom if there is no overdispersion
    p_value: float  # of that statistic
    scale: str  # the transformed scale: "arcsine" (proportions), "log" (SHMI) or "sqrt" (CQC)
    winsor: float = WINSOR


def winsorise(z: np.ndarray, fraction: float = WINSOR) -> np.ndarray:
    """z-scores pulled in to the ``fraction`` and 1 − ``fraction`` quantiles (R's default type 7,
    linear between order statistics, as FunnelPlotR's ``quantile`` call)."""
    low, high = np.quantile(z, [fraction, 1 - fraction])
    return np.clip(z, low, high)


def estimate(z: np.ndarray, s: np.ndarray, scale: str, fraction: float = WINSOR) -> Dispersion:
    """φ = mean of the Winsorised z², and the DerSimonian–Laird style moment estimate
    τ² = (k·φ − (k − 1)) / (Σw − Σw²/Σw) with w = 1/s² (0 when that is negative)."""
    z = np.asarray(z, dtype=float)
    s = np.asarray(s, dtype=float)
    k = z.size
    if k < 2:
        raise ValueError("overdispersion needs at least two units")
    if not np.isfinite(z).all():
        raise ValueError("every unit needs a finite z-score on the transformed scale")
    phi = float(np.mean(winsorise(z, fraction) ** 2))
    w = 1 / s**2
    spread = w.sum() - (w**2).sum() / w.sum()
    tau2 = float(max(0.0, (k * phi - (k - 1)) / spread)) if spread > 0 else 0.0
    statistic = k * phi
    return Dispersion(
        units=k,
        phi=phi,
        tau2=tau2,
        statistic=statistic,
        p_value=float(chi2.sf(statistic, k - 1)),
        scale=scale,
        winsor=fraction,
    )


def transformed_proportion(numerator, denominator, average: float):
    """Arcsine square-root scale: y = asin(√p), s = 1/(2√n), target asin(√θ)."""
    n = np.asarray(denominator, dtype=float)
    y = np.arcsin(np.sqrt(np.asarray(numerator, dtype=float) / n))
    return y, 1 / (2 * np.sqrt(n)), math.asin(math.sqrt(average))


def transformed_ratio(observed, expected, scale: str):
    """O/E on the log scale (SHMI: y = ln(O/E), s = 1/√E, target 0) or the square-root scale (CQC:
    y = √(O/E), s = 1/(2√E), target 1), which places units with no events too."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    if scale == "log":
        with np.errstate(divide="ignore"):
            return np.log(o / e), 1 / np.sqrt(e), 0.0
    if scale == "sqrt":
        return np.sqrt(o / e), 1 / (2 * np.sqrt(e)), 1.0
    raise ValueError(f"scale must be 'log' or 'sqrt', not {scale!r}")
