"""`kill -9` during a large ingest: the warehouse must open and equal its previous state (or, if the
kill came after the commit, the finished load), and the next run must succeed. Prints a table.

A warehouse is loaded with one department's exports (state A); a second department's exports
(state B, every month replaced) are loaded by `stocktake ingest` in a child process killed with
SIGKILL at a random moment within a clean run's duration. After each kill the warehouse is opened,
compared table by table with A and B, and the same load is run again to the end.

    .venv/bin/python benchmarks/bench_ingest_kill.py [--kills 20] [--scale 4] [--months 12]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warehouse_state import datasets_only, state

from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest.mapping import load_mapping

STOCKTAKE = str(Path(sys.executable).parent / "stocktake")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    mapping = load_mapping(MAPPING)
    with tempfile.TemporaryDirectory(prefix="stocktake-kill-") as scratch:
        root = Path(scratch)
        for name, seed in (("a", 100), ("b", 200)):
            export(
                generate(Department(seed=seed, scale=args.scale, months=args.months)), mapping, root / name
            )
        rows = sum(len((root / "b" / d.file).read_text().splitlines()) - 1 for d in mapping.datasets.values())
        home = root / "home"
        _ingest(root / "a", home)
        state_a = state(home / "w.duckdb")
        shutil.copytree(home, root / "home_a")
        started = time.perf_counter()
        _ingest(root / "b", home)
        seconds = time.perf_counter() - started
        state_b = datasets_only(state(home / "w.duckdb"))
        print(
            f"{args.kills} kills of `stocktake ingest` loading {rows:,} rows (scale {args.scale}, "
            f"{args.months} months) over another load; a clean run takes {seconds:.1f} s\n"
        )
        print(f"{'kill':>4} {'at (s)':>7} {'opens':>6} {'state after kill':>18} {'next run':>9} {'then':>8}")
        tally = {"previous": 0, "finished": 0, "other": 0, "failed": 0}
        for kill in range(1, args.kills + 1):
            shutil.rmtree(home)
            shutil.copytree(root / "home_a", home)
            at = rng.uniform(0.0, seconds)
            child = subprocess.Popen(
                _command(root / "b", home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            time.sleep(at)
            child.kill()
            child.wait()
            opens, found = _open(home / "w.duckdb")
            after = (
                "previous"
                if found == state_a
                else "finished"
                if datasets_only(found or {}) == state_b
                else "other"
            )
            tally[after] += 1
            rerun = subprocess.run(_command(root / "b", home), capture_output=True, text=True, check=False)
            ok = rerun.returncode == 0 and datasets_only(state(home / "w.duckdb")) == state_b
            tally["failed"] += not ok
            print(
                f"{kill:>4} {at:>7.2f} {'yes' if opens else 'NO':>6} {after:>18} "
                f"{'ok' if rerun.returncode == 0 else 'FAILED':>9} {'= B' if ok else '!= B':>8}"
            )
            if not ok:
                print(f"     {rerun.stderr.strip()[-300:]}")
        goal = tally["other"] == 0 and tally["failed"] == 0
        print(
            f"\nafter the kill: {tally['previous']} previous state, {tally['finished']} finished load, "
            f"{tally['other']} other; next run failed {tally['failed']} times; "
            f"goal: {'met' if goal else 'NOT met'}"
        )


def _command(raw: Path, home: Path) -> list[str]:
    key = home.parent / f"{home.name}-key" / "pseudonym.key"
    warehouse = home / "w.duckdb"
    return [
        STOCKTAKE,
        "ingest",
        str(raw),
        "--mapping",
        str(MAPPING),
        "--warehouse",
        str(warehouse),
        "--yes",
        "--key-file",
        str(key),
    ]


def _ingest(raw: Path, home: Path) -> None:
    subprocess.run(_command(raw, home), check=True, capture_output=True)


def _open(warehouse: Path) -> tuple[bool, dict | None]:
    try:
        return True, state(warehouse)
    except Exception:  # any failure to open is what this benchmark counts
        return False, None


if __name__ == "__main__":
    main()
