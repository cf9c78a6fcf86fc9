"""Synthetic monthly histories with a known trend, seasons and noise, for the projection's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: England's published RTT series (../shared/fixtures/waitinglist), found from any working directory.
ENGLAND = (
    Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "waitinglist" / "england_rtt_monthly.csv"
)

#: Injected month-of-year factors (January … December), each averaging 1.
STOP_SEASON = np.array([1.05, 1.0, 1.1, 0.9, 1.0, 1.05, 1.0, 0.9, 1.0, 1.1, 1.05, 0.85])
ADD_SEASON = np.array([1.1, 1.0, 1.05, 0.95, 1.0, 1.0, 1.05, 0.9, 1.0, 1.05, 1.0, 0.9])
GROWTH = 0.004  # log per month, about 5% a year


def synthetic(months: int, seed: int | None = None, noise: float = 0.0, shock: float = 0.0) -> pd.DataFrame:
    """A list fed by net additions 2% above its stops, both growing and seasonal; optional noise.

    ``noise`` is independent month-to-month error in each flow (relative); ``shock`` a random walk in
    the additions' level (relative per month), the kind of drift that makes the future uncertain.
    """
    rng = np.random.default_rng(seed)
    index = pd.period_range("2010-01", periods=months, freq="M")
    m = index.month.to_numpy() - 1
    t = np.arange(months)
    drift = np.cumsum(rng.normal(0, shock, months)) if shock else 0.0
    stops = 10_000 * np.exp(GROWTH * t) * STOP_SEASON[m] * (1 + rng.normal(0, noise, months))
    added = 10_200 * np.exp(GROWTH * t) * ADD_SEASON[m] * (1 + drift + rng.normal(0, noise, months))
    admitted = np.round(0.25 * stops)
    non_admitted = np.round(stops) - admitted
    waiting = 300_000 + np.cumsum(np.round(added) - admitted - non_admitted)
    return pd.DataFrame(
        {
            "month": index.astype(str),
            "waiting": waiting,
            "clock_starts": np.round(added * 1.1),
            "clock_stops_admitted": admitted,
            "clock_stops_non_admitted": non_admitted,
        }
    )
