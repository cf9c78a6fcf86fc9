"""Where things live: read from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """STOCKTAKE_DATA_DIR, or ./stocktake-data."""
    return Path(os.environ.get("STOCKTAKE_DATA_DIR", "stocktake-data"))


def warehouse_path() -> Path:
    """STOCKTAKE_WAREHOUSE (a DuckDB file), or warehouse.duckdb in the data directory."""
    return Path(os.environ.get("STOCKTAKE_WAREHOUSE", data_dir() / "warehouse.duckdb"))


def pseudonym_key_path() -> Path:
    """STOCKTAKE_KEY_FILE: the pseudonymisation key, kept apart from the warehouse."""
    return Path(os.environ.get("STOCKTAKE_KEY_FILE", data_dir() / "secrets" / "pseudonym.key"))
