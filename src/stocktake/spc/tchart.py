"""The t chart for rare events: an XmR chart of the time between events, transformed to symmetry.

Times between events are roughly exponential; raising them to the power 1/3.6 makes them close
to normal (Nelson's transformation), so XmR limits apply. Limits are shown back on the day scale.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from stocktake.spc.xmr import Improvement, XmrChart, xmr

POWER = 3.6


def t_chart(days_between, *, improvement: Improvement = "increase", **options) -> XmrChart:
    """XmR on days^(1/3.6), with the centre line and limits transformed back to days."""
    days = np.asarray(days_between, dtype=float)
    if np.any(days[~np.isnan(days)] < 0):
        raise ValueError("times between events cannot be negative")
    chart = xmr(days ** (1 / POWER), improvement=improvement, **options)
    back = _back_transform
    segments = tuple(
        dataclasses.replace(s, mean=float(back(s.mean)), lpl=float(back(s.lpl)), upl=float(back(s.upl)))
        for s in chart.segments
    )
    return dataclasses.replace(
        chart, y=days, mean=back(chart.mean), lpl=back(chart.lpl), upl=back(chart.upl), segments=segments
    )


def _back_transform(values):
    return np.clip(values, 0, None) ** POWER
