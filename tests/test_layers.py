"""The house's rooms: a lower room never imports a higher one, and no two packages import each other.

Read from the source (``ast``), so imports inside functions count too. The order follows the data
flow in ../shared/DESIGN.md: files and the warehouse → ingest → metrics (series) → verdicts (SPC,
targets, the stock-take) → report (renderers) → the app database → the web workspace → the front
doors (web, CLI, demo).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "stocktake"

#: Low to high. A room may import its own room and any lower one, never a higher one.
ROOMS: list[set[str]] = [
    # the home's paths and its making, spreadsheet cells, outputs written whole (atomic), the DuckDB
    # file, one wording for YAML errors, one wording for a span of months, England's bank holidays, the
    # small-number rule's threshold
    {
        "settings",
        "home",
        "spreadsheets",
        "atomic",
        "warehouse",
        "validation_messages",
        "periods",
        "bank_holidays",
        "small_numbers",
        "unseen",
    },
    # pure rules over arrays and records
    {"spc", "targets", "qi", "procurement", "waitinglist", "funnel", "programmes"},
    # readers of files: the department's extracts (ingest), the commands' own files, rota and job
    # plan files; ingest uses nothing above it
    {"ingest", "rota", "files", "jobplan"},
    {"metrics"},  # catalogue → series (and the small-number rule on them)
    {"verdicts"},  # series → SPC → the stock-take
    # renderers: of the stock-take, and of the programme evaluation (with the small-number rule)
    {"report"},
    {"appdb"},  # the app database: targets, annotations, QI projects, audit log
    {"workspace"},  # the department's stock-take with the app database's targets and marks
    {"web", "cli", "demo", "__main__"},  # front doors (`python -m stocktake` is the cli)
]
#: Imports nothing of stocktake at all: every other room reads its paths.
IMPORTS_NOTHING = {"settings"}
#: (importer, imported) pairs tolerated for now, each with the reason. None today: settings.py no
#: longer imports metrics.catalogue (add ("settings", "metrics") here only while that is being fixed).
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()

LEVEL = {room: level for level, rooms in enumerate(ROOMS) for room in rooms}


def room_of(path: Path) -> str:
    """The top-level package or module of ``src/stocktake`` a file belongs to."""
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def imported_rooms(source: str, own: str) -> set[str]:
    """The other rooms of stocktake that ``source`` imports, at any depth (a function's imports too)."""
    rooms = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "stocktake" and len(parts) > 1 and parts[1] != own:
                rooms.add(parts[1])
    return rooms & (LEVEL.keys() | _rooms_on_disk())


def _rooms_on_disk() -> set[str]:
    modules = [p for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()]
    return {p.name.removesuffix(".py") for p in modules}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if room_of(p) != "__init__")


def edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) room pairs, with the files behind each."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in _modules():
        own = room_of(path)
        for other in imported_rooms(path.read_text(), own):
            found.setdefault((own, other), []).append(str(path.relative_to(SRC)))
    return found


def test_every_room_has_a_place_in_the_order():
    unplaced = _rooms_on_disk() - LEVEL.keys() - {"__init__"}
    assert not unplaced, f"put {sorted(unplaced)} in a room of ROOMS (tests/test_layers.py)"


def test_no_room_imports_a_higher_one():
    upward = [
        f"{low} imports {high} (in {', '.join(files)})"
        for (low, high), files in edges().items()
        if low in LEVEL and high in LEVEL and LEVEL[high] > LEVEL[low] and (low, high) not in KNOWN_EXCEPTIONS
    ]
    assert not upward, "\n".join(upward)


def test_settings_imports_nothing_of_ours():
    leaks = [
        f"{low} imports {other} (in {', '.join(files)})"
        for (low, other), files in edges().items()
        if low in IMPORTS_NOTHING and (low, other) not in KNOWN_EXCEPTIONS
    ]
    assert not leaks, "\n".join(leaks)


def test_no_packages_import_each_other():
    pairs = edges().keys() - KNOWN_EXCEPTIONS
    mutual = sorted({tuple(sorted(p)) for p in pairs if (p[1], p[0]) in pairs})
    assert not mutual, f"import each other: {mutual}"
    graph: dict[str, set[str]] = {}
    for importer, imported in pairs:
        graph.setdefault(importer, set()).add(imported)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a longer cycle


# The walker itself, on hand-written sources.


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from stocktake.report.html import render_report", {"report"}),
        ("import stocktake.metrics.run as run", {"metrics"}),
        ("def f():\n    from stocktake.verdicts import take_stock", {"verdicts"}),
        ("from stocktake import verdicts", {"verdicts"}),
        ("from .narrative import CATEGORIES", set()),  # relative: its own room
        ("from stocktake.spc.xmr import xmr", set()),  # its own room
        ("import numpy", set()),
    ],
)
def test_the_walker_finds_imports_of_other_rooms(source, expected):
    assert imported_rooms(source, own="spc") == expected
