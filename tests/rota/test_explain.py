"""The explainer stands apart from the solver: it takes the solver's model, never imports the solver."""

import ast
from graphlib import TopologicalSorter
from pathlib import Path

import stocktake.rota

ROTA = Path(stocktake.rota.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every stocktake.rota module the file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("stocktake.rota."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("stocktake.rota.")}
    return found


def test_the_rota_modules_import_one_another_without_a_cycle():
    graph = {
        ".".join(("stocktake", "rota", *path.relative_to(ROTA).with_suffix("").parts)): _imports(path)
        for path in ROTA.rglob("*.py")
    }
    assert graph["stocktake.rota.explain"] and "stocktake.rota.solver" not in graph["stocktake.rota.explain"]
    tuple(TopologicalSorter(graph).static_order())  # raises CycleError naming the modules in a cycle
