"""The Curtois solver on the Employee Shift Scheduling Benchmark: instances 1–19 at 30 and 60 seconds.

Run: make bench-rota   (about 30 minutes; or .venv/bin/python benchmarks/bench_curtois.py 1 2 3)
Other time limits: .venv/bin/python benchmarks/bench_curtois.py --seconds 300 13 14 15 16 17 18 19
Every roster is re-scored by the independent scorer; a hard breach or a disagreement is reported.
Goals (issue 4): every roster valid, mean gap on instances 1–10 at most 1% at 30 s, and instances
13–19 ahead of single-thread Gurobi's 2014 one-hour results (the last column, from the roster of
the longest limit run).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from stocktake.rota.curtois.instance import read_instance, score
from stocktake.rota.curtois.pricing import cheapest, person_arrays
from stocktake.rota.curtois.solver import solve

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "rota"
LIMITS = (30, 60)


def main(numbers: list[int], limits: tuple[int, ...] = LIMITS) -> None:
    # Compile the labelling (numba) before any clock starts; later runs load it from the cache.
    first = read_instance(FIXTURES / "curtois" / "Instance1.txt")
    cheapest(person_arrays(first, first.staff[0]), np.zeros((first.days, 1)), threshold=np.inf, wanted=1)
    best = {r["instance"]: r for r in csv.DictReader((FIXTURES / "curtois_best_known.csv").open())}
    table = Table(title="Curtois instances (gap to the best known upper bound)")
    columns = (
        "instance",
        "best known",
        "Gurobi 2014 (1 h)",
        *(f"{s} s" for s in limits),
        "valid",
        "vs Gurobi",
    )
    for column in columns:
        table.add_column(column, justify="right")
    gaps = {s: [] for s in limits}
    for number in numbers:
        name = f"Instance{number}"
        instance, known = read_instance(FIXTURES / "curtois" / f"{name}.txt"), best[name]
        target = int(known["ub_schedulingbenchmarks_transcribed"])
        cells, valid, objective = [], True, None
        for seconds in limits:
            solution = solve(instance, seconds=seconds)
            checked = score(instance, solution.roster)
            if checked.objective != solution.objective or checked.violations:
                valid = False
                Console().print(
                    f"{name} at {seconds} s: solver {solution.objective}, re-scored "
                    f"{checked.objective}; breaches: {'; '.join(checked.violations[:3]) or 'none'}"
                )
            gap = (solution.objective - target) / target
            if number <= 10:
                gaps[seconds].append(gap)
            cells.append(f"{solution.objective} ({gap:+.1%})")
            objective = solution.objective
        gurobi = known["cq2014_gurobi_ub"]
        versus = (
            "–"
            if not gurobi
            else "ahead"
            if objective < int(gurobi)
            else "tied"
            if objective == int(gurobi)
            else "behind"
        )
        table.add_row(name, str(target), gurobi or "–", *cells, "yes" if valid else "NO", versus)
    Console(width=140).print(table)
    for seconds, values in gaps.items():
        if values:
            Console().print(f"mean gap on instances 1–10 at {seconds} s: {sum(values) / len(values):.2%}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    limits = LIMITS
    if arguments[:1] == ["--seconds"]:
        limits, arguments = (int(arguments[1]),), arguments[2:]
    main([int(a) for a in arguments] or list(range(1, 20)), limits)
