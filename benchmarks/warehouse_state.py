"""A warehouse's every table, fingerprinted: how the ingest benchmarks tell "as it was before" from
"fully loaded" from anything else."""

from __future__ import annotations

from pathlib import Path

from stocktake.ingest.schemas import DATASETS
from stocktake.warehouse import connect


def state(warehouse: Path) -> dict:
    """Each table's row count and a hash of its content. Opened read-write, as the next load opens
    it, so a write-ahead log left by a killed load is replayed first."""
    with connect(warehouse) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {
            n: con.execute(f'SELECT count(*), hash(list(t ORDER BY t)) FROM "{n}" t').fetchone()
            for n in names
        }


def datasets_only(state: dict) -> dict:
    """Only the canonical datasets (not the log and the history, which each load adds to)."""
    return {name: value for name, value in state.items() if name in DATASETS}
