"""Monthly histories for the projections' tests: synthetic ones with a known trend, seasons and noise,
England's published series, and runs of RTT returns made from Dorset County's real one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: ../shared/fixtures, found from any working directory.
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
#: England's published RTT series.
ENGLAND = FIXTURES / "waitinglist" / "england_rtt_monthly.csv"

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


#: Dorset County's real RTT return for November 2024 (../shared/fixtures/rtt).
RBD = FIXTURES / "rtt" / "rtt_provider_2024_11_RBD.csv"
T_AND_O = "C_110"


def months_of_returns(folder: Path, months: int, swept: int | None = None) -> list[Path]:
    """Dorset County's November 2024 return, every count ten times over, as ``months`` consecutive
    months, each the same (steady flows); from month ``swept`` on, nine times over: a tenth fewer
    waiting (a sweep of a tenth) and, with them, a tenth fewer starts and treatments, so that the
    months after it run at the steady run's rates exactly (whole numbers, nothing rounded)."""
    paths = []
    counts = [*[c for c in pd.read_csv(RBD, nrows=0).columns if c.startswith("Gt ")], "Total All"]
    counts.append("Patients with unknown clock start date")
    for k, month in enumerate(pd.period_range("2023-11", periods=months, freq="M")):
        table = pd.read_csv(RBD)
        table["Period"] = f"RTT-{month.strftime('%B-%Y')}"
        table[counts] = table[counts] * (9 if swept is not None and k >= swept else 10)
        paths.append(folder / f"{month}.csv")
        table.to_csv(paths[-1], index=False, float_format="%.0f")
    return paths


def within_a_month(rtt, treatment_function: str) -> float:
    """Those waiting, or treated, within a month of referral in a return (its week bands read as months
    waited by its own calendar): the fewest its referrals can have been."""
    from stocktake.waitinglist.weeks_waited import WaitingList

    bands = sum(rtt.by_week(part, treatment_function) for part in ("Part_2", "Part_1A", "Part_1B"))
    return WaitingList.from_week_bands(rtt.month, bands).months_waited()[0]


def said_by(paths, command: str = "weeks", *more: str) -> str:
    """What ``stocktake waitinglist COMMAND`` prints for T&O from ``paths``, as one line of words."""
    from typer.testing import CliRunner

    from stocktake.cli import app

    result = CliRunner().invoke(
        app, ["waitinglist", command, *map(str, paths), "--treatment-function", "C_110", *more]
    )
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())
