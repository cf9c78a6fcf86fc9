"""What every command shares: the console, the step timer, the one way to fail, the workspace."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

#: What a command found (its tables, figures and the words about them) goes to standard output, so
#: ``> file`` keeps it (an analyst's `weeks … > out.txt` was empty); errors go to standard error. Off a
#: terminal, a sentence is one line whatever its length (``| grep`` found nothing where a month's name
#: was wrapped at 80 columns: an outside check); tables keep their width.
console = Console(soft_wrap=not sys.stdout.isatty())
errors = Console(stderr=True)


def home_option(help_text: str):
    """``--home DIR``, the one way every command is told its workspace (ADR 0013)."""
    return Annotated[Path | None, typer.Option("--home", metavar="DIR", help=help_text)]


HomeOption = home_option(
    "The workspace folder (default: $STOCKTAKE_HOME, else this folder when it holds "
    "stocktake.toml, else ./stocktake once made or loaded, else the demo's ./stocktake-demo)."
)


@contextmanager
def _step(description: str):
    started = time.perf_counter()
    with console.status(description + "…"):
        yield
    console.print(f"[green]✓[/green] {description} [dim]({time.perf_counter() - started:.1f}s)[/dim]")


def csv_cell(text: str) -> str:
    """A CSV cell printed by hand: quoted when it holds a comma or a quote ("Royal Devon, Exeter")."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def _say_error(message: str) -> None:
    """``error:`` in red, then the message as it is (a file name with brackets is no markup), an NHS
    number in it masked wherever it came from: a cell, a file name, an option typed."""
    from stocktake.ingest.pseudonymise import mask_nhs_numbers

    errors.print(Text.assemble(("error: ", "red"), mask_nhs_numbers(message)), soft_wrap=True)


def _fail(message: str) -> None:
    _say_error(message)
    raise typer.Exit(code=2)


def _settings(home: Path | None, **how):
    """The workspace's settings (``load_settings``); a bad one (e.g. STOCKTAKE_IDLE_MINUTES) exits
    naming it."""
    from stocktake.settings import SettingsError, load_settings

    try:
        return load_settings(home, **how)
    except SettingsError as error:
        _fail(str(error))


def _home_warehouse(home: Path | None) -> Path | None:
    """The home's warehouse, for a command given neither its files nor ``--warehouse``; which one is
    said in one line. None when the home holds none (the command then asks for its files), unless
    ``--home`` named the home, which then fails."""
    settings = _settings(home, private=False)
    if settings.warehouse.is_file():
        console.print(
            Text(
                f"Reading the home's warehouse {settings.warehouse} (give files or --warehouse for another)"
            ),
            soft_wrap=True,
        )
        return settings.warehouse
    from stocktake.settings import is_home

    if home is not None or is_home(settings.home):  # a department's home before its first load too
        _fail(
            f"{settings.warehouse}: no warehouse in this home yet; load the extracts with `stocktake "
            "ingest` (or give files or --warehouse)"
        )
    return None


def _grouped(absent: dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Measures without data, listed under the datasets they lack."""
    listed: dict[tuple[str, ...], list[str]] = {}
    for metric_id, lacking in absent.items():
        listed.setdefault(lacking, []).append(metric_id)
    return {lacking: ", ".join(ids) for lacking, ids in listed.items()}


def _main() -> None:
    """Stocktake."""
