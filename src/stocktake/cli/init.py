"""`stocktake init`: a department's home, made once, so no later command needs a path."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from stocktake.cli.common import _fail, console, home_option


def init(
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="Where to make the home (default: --home, else $STOCKTAKE_HOME, else ./stocktake).",
        ),
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="The department's name, as reports name it (asked if not given).")
    ] = None,
    trust: Annotated[str | None, typer.Option(help="The trust's name (asked if not given).")] = None,
    site: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="A site of the department (repeatable).")
    ] = None,
    catalogue: Annotated[
        str | None,
        typer.Option(
            metavar="NAME|FILE.yaml",
            help="A shipped catalogue (trauma_orthopaedics, elective_surgery) or your own catalogue's file "
            "(default: trauma_orthopaedics for a department named T&O, else elective_surgery).",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Ask nothing: take the flags as they are (no sites if none given).")
    ] = False,
    home: home_option(
        "Where to make the home, as DIR does (default: $STOCKTAKE_HOME, else ./stocktake)."
    ) = None,
) -> None:
    """Make a department's home: its settings (stocktake.toml), extracts/, secrets/, reports/ and a
    README saying what goes where. An existing home is never overwritten."""
    from stocktake.home import HomeError, NewHome, check_free, make_home
    from stocktake.settings import DEPARTMENT_HOME, HOME_FILE

    if folder is not None and home is not None and folder.resolve() != home.resolve():
        _fail(f"DIR {folder} and --home {home}: give the home's folder once")
    # Where later commands will look (settings.default_home): --home, else $STOCKTAKE_HOME.
    folder = folder or home or (Path(named) if (named := os.environ.get("STOCKTAKE_HOME")) else None)
    if folder is None and Path(HOME_FILE).is_file():
        _fail(f"{Path.cwd()}: this folder is a home already (it holds {HOME_FILE}); nothing was changed")
    folder = folder or DEPARTMENT_HOME
    try:
        check_free(folder)  # before anything is asked
        if not yes:
            department, trust, site = _ask(department, trust, site)
        if not (department and trust):
            _fail("give --department and --trust (with --yes nothing is asked)")
        chosen = catalogue or catalogue_for(department)
        made = make_home(folder, NewHome(department, trust, tuple(site or ()), chosen))
    except HomeError as error:
        _fail(str(error))
    console.print(
        f"Made the home [bold]{escape(str(made.home))}[/bold]: {', '.join(made.made)}", soft_wrap=True
    )
    if made.kept:
        console.print(f"Kept what was there: {', '.join(made.kept)}")
    if catalogue is None:  # chosen by the name: said, with how to choose the other (an outside check)
        console.print(CHOSEN[chosen], soft_wrap=True, highlight=False)
    console.print(
        "Next: copy the trust's extracts into extracts/, then, from inside the home,\n"
        f"  cd {made.home}\n"
        "  stocktake mapping suggest extracts/ --out mapping.yaml\n"
        "  stocktake ingest\n"
        "  stocktake report",
        soft_wrap=True,
        highlight=False,
    )


#: A department name that is Trauma & Orthopaedics, however written: orthopaedics (or orthogeriatrics,
#: hip fracture care) or T&O, not trauma alone (a major trauma centre, maxillofacial trauma).
_TRAUMA_ORTHOPAEDICS = re.compile(r"orthop|\bortho\b|orthogeriat|\bt\s*(&|and|\+)\s*o\b", re.IGNORECASE)

#: What init says of the catalogue it chose by the department's name.
CHOSEN = {
    "trauma_orthopaedics": "Measures: the Trauma & Orthopaedics catalogue (hip fracture, fracture clinic, "
    "joint replacements, theatres, the waiting list); --catalogue elective_surgery for theatres, the "
    "waiting list and elective stays alone.",
    "elective_surgery": "Measures: the elective surgery catalogue (theatres, the waiting list and elective "
    "stays, which any surgical specialty shares); add your department's own to a copy of it "
    '(README, "The catalogue") and give the copy as --catalogue. --catalogue trauma_orthopaedics for T&O\'s.',
}


def catalogue_for(department: str) -> str:
    """The shipped catalogue for a department's name: T&O's for T&O, else the one any surgical
    specialty shares (a General Surgery home had been given T&O's, and its report headed so)."""
    return "trauma_orthopaedics" if _TRAUMA_ORTHOPAEDICS.search(department) else "elective_surgery"


def _ask(department: str | None, trust: str | None, sites: list[str] | None):
    """Ask for what the flags left out (rich prompts); end of input asks nothing more."""
    from rich.prompt import Prompt

    try:
        department = department or Prompt.ask("Department", console=console)
        trust = trust or Prompt.ask("Trust", console=console)
        if sites is None:
            typed = Prompt.ask("Sites (comma-separated; blank for none)", default="", console=console)
            sites = [s.strip() for s in typed.split(",") if s.strip()]
    except EOFError:
        pass
    return department, trust, sites
