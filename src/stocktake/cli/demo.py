"""`stocktake demo`: a synthetic department and its stock-take."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import _step, console


def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "--home",
            help="The demo's workspace: raw files, warehouse and report (default: ./stocktake-demo).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same department.")] = 42,
    scale: Annotated[int, typer.Option(min=1, help="Multiply the department's volumes by this.")] = 1,
) -> None:
    """Build a synthetic T&O department and its stock-take report."""
    from stocktake.demo.run import run_demo
    from stocktake.settings import DEMO_HOME

    output = run_demo(out or DEMO_HOME, seed=seed, scale=scale, step=_step)
    console.print(f"\nReport: [bold]{output.report.resolve()}[/bold]")
    console.print(f"Summary: {output.summary.resolve()}   Injected effects: {output.effects.resolve()}")
