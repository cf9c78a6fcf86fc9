"""Read a directory of raw extracts, check them all, and load them in one transaction.

All or nothing: if any file has an error, nothing is written to the warehouse and the errors are
returned; if the process dies mid-load, DuckDB's transaction leaves the previous state intact.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from stocktake.ingest.mapping import Mapping
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.validate import RowError, to_canonical

INGEST_LOG = "ingest_log"


class IngestError(Exception):
    """The extracts had errors; nothing was loaded."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s); nothing was loaded:\n{shown}{more}")


@dataclass(frozen=True)
class LoadedFile:
    dataset: str
    file: str
    rows: int
    sha256: str


def checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_raw(path: Path) -> pd.DataFrame:
    """A raw CSV export as text, blanks as "", so that nothing is lost before validation."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


def ingest_directory(raw_dir: Path, mapping: Mapping, warehouse: Path, key: bytes) -> list[LoadedFile]:
    """Validate every mapped file in ``raw_dir`` and load them all into ``warehouse``, or none."""
    tables, loaded, errors = {}, [], []
    for name, dataset_mapping in mapping.datasets.items():
        path = Path(raw_dir) / dataset_mapping.file
        if not path.exists():
            errors.append(RowError(dataset_mapping.file, 0, "", "", f"the {name} extract in {raw_dir}"))
            continue
        table, found = to_canonical(read_raw(path), DATASETS[name], dataset_mapping, path.name, key)
        errors += found
        tables[name] = table
        loaded.append(LoadedFile(name, path.name, len(table), checksum(path)))
    if errors:
        raise IngestError(errors)
    write_tables(warehouse, tables, loaded)
    return loaded


def write_tables(warehouse: Path, tables: dict[str, pd.DataFrame], loaded: list[LoadedFile]) -> None:
    """Replace each table and append to the ingest log in a single transaction."""
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {INGEST_LOG} (loaded_at TIMESTAMP, loaded_by VARCHAR, "
            "dataset VARCHAR, file VARCHAR, rows BIGINT, sha256 VARCHAR)"
        )
        con.begin()
        try:
            for name, table in tables.items():
                con.register("incoming", table)
                con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
                con.unregister("incoming")
            now = datetime.now(UTC).replace(tzinfo=None)
            user = os.environ.get("USER", "unknown")
            con.executemany(
                f"INSERT INTO {INGEST_LOG} VALUES (?, ?, ?, ?, ?, ?)",
                [(now, user, f.dataset, f.file, f.rows, f.sha256) for f in loaded],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise


def already_loaded(warehouse: Path, raw_dir: Path, mapping: Mapping) -> bool:
    """True when the warehouse's latest load of every dataset came from these very files."""
    if not Path(warehouse).exists():
        return False
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            rows = con.execute(
                f"SELECT dataset, arg_max(sha256, loaded_at) FROM {INGEST_LOG} GROUP BY dataset"
            ).fetchall()
        except duckdb.CatalogException:
            return False
    latest = dict(rows)
    for name, dataset_mapping in mapping.datasets.items():
        path = Path(raw_dir) / dataset_mapping.file
        if not path.exists() or latest.get(name) != checksum(path):
            return False
    return True
