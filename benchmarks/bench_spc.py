"""SPC at scale: 10,000 series × 36 months with a step in the last year.

Run: make bench   (or .venv/bin/python benchmarks/bench_spc.py)
Goals (issue 3): the many-series computation under 0.3 s; `stocktake spc` on one CSV with
--facet, CSV in and out, under 3 s. For scale, NHSRplotthedots takes about 34 s on a 2-core machine.
Ratios compare against baselines run here, in the same run: one chart at a time through the same
engine, and a bare pandas read and write of the same CSV (the I/O floor).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from stocktake.spc import xmr
from stocktake.spc.xmr import xmr_many

SERIES, MONTHS, SAMPLE = 10_000, 36, 300


def department_series() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    values = rng.normal(100, 10, (SERIES, MONTHS))
    values[:, 24:] += rng.choice([0, 15], size=(SERIES, 1))  # half the series step up in the last year
    periods = pd.date_range("2022-04-01", periods=MONTHS, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "unit": np.repeat([f"U{i:05d}" for i in range(SERIES)], MONTHS),
            "period": np.tile(periods, SERIES),
            "value": values.ravel().round(3),
        }
    )


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    frame = department_series()
    labels, values = frame["unit"].to_numpy(), frame["value"].to_numpy()
    many = best_of(5, lambda: xmr_many(labels, values))
    sample = values[: SAMPLE * MONTHS].reshape(SAMPLE, MONTHS)
    one_at_a_time = best_of(1, lambda: [xmr(row) for row in sample]) * SERIES / SAMPLE
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "series.csv"
        frame.to_csv(csv, index=False)
        command = [
            sys.executable,
            "-m",
            "stocktake.cli",
            "spc",
            str(csv),
            "--date",
            "period",
            "--value",
            "value",
            "--facet",
            "unit",
            "--points-out",
            f"{tmp}/p.csv",
            "--summary-out",
            f"{tmp}/s.csv",
        ]
        whole = best_of(3, lambda: subprocess.run(command, check=True, capture_output=True))
        floor = best_of(3, lambda: pd.read_csv(csv, dtype=str).to_csv(f"{tmp}/copy.csv", index=False))
    table = Table(title=f"SPC: {SERIES:,} series × {MONTHS} months")
    for column in ("measure", "seconds", "ratio", "goal"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row("many-series API (xmr_many)", f"{many:.3f}", "1.0×", "< 0.3 s")
    table.add_row(
        "one chart at a time (same engine, extrapolated)",
        f"{one_at_a_time:.2f}",
        f"{one_at_a_time / many:.0f}×",
        "",
    )
    table.add_row("NHSRplotthedots 0.2.2 (quoted, not run here)", "≈34", f"{34 / many:.0f}×", "")
    table.add_row("stocktake spc --facet, CSV in and out", f"{whole:.2f}", "1.0×", "< 3 s")
    table.add_row(
        "pandas read + write of the same CSV (I/O floor)", f"{floor:.2f}", f"{floor / whole:.2f}×", ""
    )
    Console().print(table)


if __name__ == "__main__":
    main()
