"""The demo's figures for other trusts: hip-fracture surgery within 36 hours, kept in its home
(ADR 39) so that its funnel page by trust and its board report compare trusts without an editor.

SYNTHETIC: made up here from a fixed seed, not published figures. Eleven invented trusts ("Synthetic
trust A (demo)" …) over the same 12 months as the department's latest complete ones: nine around
the department's own rate, one well above it and one well below, so the funnel has points on both
sides of its lines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.files.peer_figures import keep_peer_figures, kept_peer_figures
from stocktake.verdicts.peers import PERIOD_MONTHS

METRIC = "hipfx_surgery_36h"
NAME = "demo_synthetic_peer_figures.csv"
SOURCE = "SYNTHETIC figures made by stocktake demo (invented trusts; not published data)"
TRUSTS = 11
#: The two trusts placed beyond the lines: their rate's difference from the department's.
HIGH, LOW = 0.15, -0.2


def synthetic_figures(
    frame: pd.DataFrame, *, seed: int = 28, months: int = PERIOD_MONTHS
) -> tuple[str, str, str]:
    """The peers' CSV (``unit,numerator,denominator``) and the months it covers (YYYY-MM, YYYY-MM):
    the department's latest ``months`` of ``frame`` (its series), each trust's cases drawn around
    the department's and its patients operated on in time drawn binomially around its rate."""
    periods = sorted(pd.DatetimeIndex(frame["period"].unique()))[-months:]
    recent = frame[frame["period"].isin(periods)]
    cases, met = float(recent["denominator"].sum()), float(recent["numerator"].sum())
    rate = met / cases if cases else 0.7
    generator = np.random.default_rng(seed)
    lines = ["unit,numerator,denominator"]
    for i in range(TRUSTS):
        size = int(max(60, generator.normal(cases, cases * 0.35) if cases else generator.integers(200, 700)))
        shift = HIGH if i == 0 else LOW if i == 1 else generator.normal(0, 0.02)
        p = float(np.clip(rate + shift, 0.02, 0.98))
        lines.append(f"Synthetic trust {chr(ord('A') + i)} (demo),{generator.binomial(size, p)},{size}")
    return "\n".join(lines) + "\n", f"{periods[0]:%Y-%m}", f"{periods[-1]:%Y-%m}"


def keep_demo_peers(home: Path, series: dict[str, pd.DataFrame], own_trust: str = "") -> None:
    """Keep the demo's synthetic peer figures, once (a later run leaves what is kept alone)."""
    if METRIC not in series or series[METRIC].empty or kept_peer_figures(home, METRIC) is not None:
        return
    text, first, last = synthetic_figures(series[METRIC])
    keep_peer_figures(
        home,
        METRIC,
        text.encode(),
        name=NAME,
        source=SOURCE,
        who="stocktake demo",
        at=datetime.now(UTC).replace(tzinfo=None),
        proportion=True,
        own_trust=own_trust,
        period=(first, last),
    )
