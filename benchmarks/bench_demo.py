"""How the demo pipeline scales: each stage at --scale 1, 2 and 4, as a ratio to scale 1.

Run: make bench   (or .venv/bin/python benchmarks/bench_demo.py)
Goal (issue 2): the whole demo at scale 1 in under a minute on a 2-core machine.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from stocktake.demo.run import run_demo

SCALES = (1, 2, 4)


def timed_run(scale: int) -> dict[str, float]:
    timings: dict[str, float] = {}

    @contextmanager
    def step(description: str):
        started = time.perf_counter()
        yield
        timings[description.split(" ")[0]] = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as out:
        run_demo(Path(out), scale=scale, step=step)
    timings["Total"] = sum(timings.values())
    return timings


def main() -> None:
    runs = {scale: timed_run(scale) for scale in SCALES}
    table = Table(title="stocktake demo: seconds per stage (ratio to scale 1)")
    table.add_column("stage")
    for scale in SCALES:
        table.add_column(f"scale {scale}", justify="right")
    for stage in runs[1]:
        base = runs[1][stage]
        table.add_row(stage, *(f"{runs[s][stage]:.1f}s ({runs[s][stage] / base:.1f}×)" for s in SCALES))
    Console().print(table)


if __name__ == "__main__":
    main()
