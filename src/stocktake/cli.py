"""The `stocktake` command. Each command is a thin call into a module; no logic lives here."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Stocktake: an honest stock-take of a clinical service.", no_args_is_help=True)
console = Console(stderr=True)


@contextmanager
def _step(description: str):
    started = time.perf_counter()
    with console.status(description + "…"):
        yield
    console.print(f"[green]✓[/green] {description} [dim]({time.perf_counter() - started:.1f}s)[/dim]")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the raw files, warehouse and report.")] = Path(
        "stocktake-demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same department.")] = 42,
    scale: Annotated[int, typer.Option(min=1, help="Multiply the department's volumes by this.")] = 1,
) -> None:
    """Build a synthetic T&O department and its stock-take report."""
    from stocktake.demo.run import run_demo

    output = run_demo(out, seed=seed, scale=scale, step=_step)
    console.print(f"\nReport: [bold]{output.report.resolve()}[/bold]")
    console.print(f"Summary: {output.summary.resolve()}   Injected effects: {output.effects.resolve()}")


@app.callback()
def _main() -> None:
    """Stocktake."""
