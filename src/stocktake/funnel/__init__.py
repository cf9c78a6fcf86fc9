"""Funnel plots: is a site, surgeon or trust really different from the rest, or only small?

Pure NumPy/SciPy, no files: :func:`compare_units` places units on the funnel with the labels of
PHEindicatormethods 2.1.0 (UKHSA); :func:`phe_limits_table` reproduces the package's own table of
lines; :mod:`~stocktake.funnel.overdispersion` widens the lines by Spiegelhalter's φ or τ².
"""

from stocktake.funnel.compare import (
    DSR_TOO_FEW,
    HIGH_001,
    HIGH_025,
    LOW_001,
    LOW_025,
    NOT_SIGNIFICANT,
    Funnel,
    FunnelDataError,
    FunnelLimits,
    FunnelMethod,
    compare_units,
    funnel_limits,
    spanning_denominators,
)
from stocktake.funnel.overdispersion import Dispersion
from stocktake.funnel.phe_tables import (
    PheLimitsTable,
    phe_derived_denominators,
    phe_funnel_points,
    phe_limits_table,
)

__all__ = [
    "DSR_TOO_FEW",
    "HIGH_001",
    "HIGH_025",
    "LOW_001",
    "LOW_025",
    "NOT_SIGNIFICANT",
    "Dispersion",
    "Funnel",
    "FunnelDataError",
    "FunnelLimits",
    "FunnelMethod",
    "PheLimitsTable",
    "compare_units",
    "funnel_limits",
    "phe_derived_denominators",
    "phe_funnel_points",
    "phe_limits_table",
    "spanning_denominators",
]
