"""Percentiles of values counted in whole-unit bands, as NHS England's RTT publication finds them.

The publication counts waiting patients in weekly bands ("more than 3 and up to 4 weeks") and
spreads each band's patients evenly across it. With ``n`` patients, the median is the value of
rank (n + 1) / 2 and the 95th percentile that of rank 0.95 × n; the value is
``band + (rank − patients in earlier bands) / patients in the band``. This reproduces every
national figure in ``fixtures/rtt`` (see its README).
"""

from __future__ import annotations

import numpy as np


def publication_rank(n: float, percentile: float) -> float:
    """The rank the publication interpolates to: (n + 1) / 2 for the median, p/100 × n otherwise."""
    return (n + 1) / 2 if percentile == 50 else percentile / 100 * n


def banded_percentile(bands, counts, percentile: float) -> float:
    """The ``percentile`` (0–100) of values counted in unit-wide bands starting at ``bands``."""
    bands, counts = np.asarray(bands, dtype=float), np.asarray(counts, dtype=float)
    order = np.argsort(bands, kind="stable")
    bands, counts = bands[order], counts[order]
    bands, counts = bands[counts > 0], counts[counts > 0]
    total = counts.sum()
    if total <= 0:
        return float("nan")
    rank = publication_rank(total, percentile)
    cumulative = np.cumsum(counts)
    i = min(int(np.searchsorted(cumulative, rank, side="left")), len(counts) - 1)
    before = cumulative[i - 1] if i else 0.0
    return float(bands[i] + (rank - before) / counts[i])
