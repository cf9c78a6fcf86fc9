"""Small-number suppression for anything exported below national level.

NHS Digital's rule for hospital statistics: counts of 1 to 7, and simple statistics (a mean, a
rate) computed from 1 to 7 values, are shown as "*". Zero is shown. Control charts' limits are
complex statistics and need no control; the points behind them do.
"""

from __future__ import annotations

import numpy as np

SMALL = (1, 7)
MASK = "*"


def is_small(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    with np.errstate(invalid="ignore"):
        return (counts >= SMALL[0]) & (counts <= SMALL[1])


def hidden_points(numerator, denominator, numerator_is_count: bool) -> np.ndarray:
    """Points to show as "*": any person count behind them is between 1 and 7."""
    hidden = is_small(denominator)
    if numerator_is_count:
        hidden |= is_small(numerator)
    return hidden


def suppress_counts(frame, columns):
    """A copy of a table with counts of 1–7 in ``columns`` written as "*" (0 and 8+ unchanged)."""
    shown = frame.copy()
    for column in columns:
        values = shown[column]
        shown[column] = values.astype(object).where(~is_small(values), MASK)
    return shown
