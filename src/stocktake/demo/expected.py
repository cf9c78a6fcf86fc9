"""The demo's expected 30-day deaths after a hip fracture, kept in its home (ADR 34) so that its
funnel page and board report show observed ÷ expected without an upload.

The synthetic department has no case mix: ``generate._hip_fractures`` gives every patient the same
7% chance of dying within 30 days. The fair "case-mix model" is therefore 7% of each site's cases,
so every site should sit inside the limits, and one that did not would be chance at 0.2%.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from stocktake.files.expected import keep_expected, kept_expected
from stocktake.verdicts.expected import kept_for
from stocktake.verdicts.peers import PERIOD_MONTHS

METRIC = "hipfx_mortality_30d"
#: Each synthetic patient's chance of dying within 30 days (``generate._hip_fractures``).
DEATH_RISK = 0.07
NAME = "demo_case_mix_model.csv"


def expected_deaths(frame: pd.DataFrame, months: int = PERIOD_MONTHS) -> dict[str, float]:
    """Each site's expected deaths over the last ``months`` of its series by site: cases × 7%."""
    periods = sorted(frame["period"].unique())[-months:]
    cases = frame[frame["period"].isin(periods)].groupby("site")["denominator"].sum()
    return {str(site): float(n) * DEATH_RISK for site, n in cases.items() if n > 0}


def keep_demo_expected(home: Path, by_site: dict[str, pd.DataFrame]) -> None:
    """Keep the demo's expected deaths by site, once (a later run leaves what is kept alone)."""
    if METRIC not in by_site or kept_expected(home, METRIC) is not None:
        return
    expected = expected_deaths(by_site[METRIC])
    if not expected:
        return
    text = "unit,expected\n" + "".join(f"{site},{count:.4f}\n" for site, count in expected.items())
    keep_expected(
        home,
        METRIC,
        text.encode(),
        name=NAME,
        who="stocktake demo",
        at=datetime.now(UTC).replace(tzinfo=None),
        months=kept_for(by_site[METRIC]),  # the months the counts were made for
    )
