"""The waiting-list projection's rolling-origin backtest on England's published RTT series.

Run: .venv/bin/python benchmarks/bench_waitinglist.py   (about 10 seconds)

Every origin from 2010-08 (three years of history) to 2015-08 (the last whose 12 months ahead are
in the file before its withheld years) is projected 12 months ahead from the history up to it
alone — the model refitted, and its interval sized by its own backtest on that history — and
compared with what happened. Goals (issue 26): mean absolute error ≤ 1.5% of the list, better than
both naive baselines (no change; last year's monthly net flow), 95% interval covering ≥ 85% of months.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from stocktake.waitinglist.projection import History, history_from_table, project

SERIES = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "waitinglist" / "england_rtt_monthly.csv"
)
HORIZON = 12
FIRST_ORIGIN = 36  # 2010-08: three years of history


def pre_pandemic_stretch() -> History:
    """The file's first unbroken stretch (2007-08 … 2016-08); later years are withheld, then 2021 on."""
    table = pd.read_csv(SERIES, dtype=str, keep_default_na=False)
    months = pd.PeriodIndex(table["month"], freq="M")
    breaks = np.flatnonzero(np.diff(months.asi8) != 1)
    return history_from_table(table.iloc[: breaks[0] + 1] if breaks.size else table, source=str(SERIES))


def main() -> None:
    history = pre_pandemic_stretch()
    started = time.perf_counter()
    errors = {"model": [], "no change": [], "last year's net flow": []}
    inside, widths = [], []
    for origin in range(FIRST_ORIGIN, len(history) - HORIZON):
        actual = history.waiting[origin + 1 : origin + 1 + HORIZON]
        projection = project(history.upto(origin), HORIZON)
        last_year = history.waiting[origin] + np.cumsum(np.diff(history.waiting)[origin - 12 : origin])
        for name, forecast in (
            ("model", projection.path.waiting),
            ("no change", np.full(HORIZON, history.waiting[origin])),
            ("last year's net flow", last_year),
        ):
            errors[name].append(np.abs(forecast - actual) / actual * 100)
        inside.append((actual >= projection.low) & (actual <= projection.high))
        widths.append((projection.high - projection.low) / projection.path.waiting * 50)
    seconds = time.perf_counter() - started
    origins = len(inside)
    first, last = history.months[FIRST_ORIGIN], history.months[FIRST_ORIGIN + origins - 1]
    table = Table(title=f"England RTT list, {origins} origins {first} … {last}, 12 months ahead")
    table.add_column("forecast")
    for h in (1, 3, 6, 12):
        table.add_column(f"MAE % h={h}", justify="right")
    table.add_column("MAE % h=1–12", justify="right")
    table.add_column("95% coverage", justify="right")
    table.add_column("half-width % (h=12)", justify="right")
    for name, rows in errors.items():
        e = np.asarray(rows)
        model = name == "model"
        table.add_row(
            name,
            *(f"{e[:, h - 1].mean():.2f}" for h in (1, 3, 6, 12)),
            f"{e.mean():.2f}",
            f"{np.mean(inside) * 100:.1f}%" if model else "",
            f"{np.asarray(widths)[:, -1].mean():.1f}" if model else "",
        )
    console = Console()
    console.print(table)
    model_mae = np.mean(errors["model"])
    baselines = min(np.mean(errors["no change"]), np.mean(errors["last year's net flow"]))
    console.print(
        f"goals: MAE ≤ 1.5% {'met' if model_mae <= 1.5 else 'NOT met'} ({model_mae:.2f}%); "
        f"better than both baselines {'yes' if model_mae < baselines else 'NO'}; "
        f"coverage ≥ 85% {'met' if np.mean(inside) >= 0.85 else 'NOT met'} ({np.mean(inside) * 100:.1f}%). "
        f"{origins} projections with their backtests in {seconds:.1f} s."
    )


if __name__ == "__main__":
    main()
