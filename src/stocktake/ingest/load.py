"""Read a directory of raw extracts, check them all, and load them in one transaction.

All or nothing: if any file has an error, nothing is written to the warehouse and the errors are
returned; if the process dies mid-load, DuckDB's transaction leaves the previous state intact.

A newer extract replaces what it covers: rows with the same keys, and every row of the months it
spans (a record deleted at source disappears). Loading the same file again changes nothing. Each
load is written to the ingest log: who, when, which file, how many rows, its checksum.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from stocktake.ingest.mapping import Mapping
from stocktake.ingest.schemas import DATASETS, Dataset
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
    #: The first and last months the extract covers (datasets with a period date).
    first_month: str | None = None
    last_month: str | None = None


def checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


READERS = (".csv", ".xlsx", ".parquet")
LOG_COLUMNS = (
    ("loaded_at", "TIMESTAMP"),
    ("loaded_by", "VARCHAR"),
    ("dataset", "VARCHAR"),
    ("file", "VARCHAR"),
    ("rows", "BIGINT"),
    ("sha256", "VARCHAR"),
    ("first_month", "VARCHAR"),
    ("last_month", "VARCHAR"),
    ("rows_replaced", "BIGINT"),
)


def read_raw(path: Path) -> pd.DataFrame:
    """A raw export (CSV, Excel or Parquet) as text, blanks as "", so nothing is lost before
    validation; a spreadsheet's or Parquet file's own dates become ISO text."""
    path = Path(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    if path.suffix == ".xlsx":
        frame = pd.read_excel(path, dtype=object, keep_default_na=False, na_filter=False, engine="openpyxl")
    elif path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        raise ValueError(
            f"{path.name}: cannot read a {path.suffix or 'file without an extension'} "
            f"(expected {', '.join(READERS)})"
        )
    return frame.apply(lambda column: column.map(_as_text)).astype(str)


def _as_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ingest_directory(
    raw_dir: Path,
    mapping: Mapping,
    warehouse: Path,
    key: bytes,
    loaded_by: str | None = None,
    partial: bool = False,
) -> list[LoadedFile]:
    """Validate every mapped file in ``raw_dir`` and load them all into ``warehouse``, or none.

    Files already loaded (the same checksum as the dataset's latest load) are left alone; the
    result lists the files that were loaded. With ``partial``, a mapped file that is absent is
    skipped (this month's delivery has only some extracts) rather than an error.
    """
    tables, loaded, errors = {}, [], []
    latest = _latest_checksums(warehouse)
    for name, dataset_mapping in mapping.datasets.items():
        path = Path(raw_dir) / dataset_mapping.file
        if not path.exists():
            if not partial:
                errors.append(RowError(dataset_mapping.file, 0, "", "", f"the {name} extract in {raw_dir}"))
            continue
        digest = checksum(path)
        if latest.get(name) == digest:
            continue
        try:
            raw = read_raw(path)
        except (ValueError, OSError) as error:
            errors.append(RowError(path.name, 0, "", "", f"a readable {path.suffix} file ({error})"))
            continue
        table, found = to_canonical(raw, DATASETS[name], dataset_mapping, path.name, key)
        errors += found
        tables[name] = table
        loaded.append(LoadedFile(name, path.name, len(table), digest, *_months(table, DATASETS[name])))
    if errors:
        raise IngestError(errors)
    if tables:
        write_tables(warehouse, tables, loaded, loaded_by)
    return loaded


def _months(table: pd.DataFrame, schema: Dataset) -> tuple[str | None, str | None]:
    if schema.period is None or table.empty or table[schema.period].isna().all():
        return None, None
    dates = pd.to_datetime(table[schema.period])
    return dates.min().strftime("%Y-%m"), dates.max().strftime("%Y-%m")


def _latest_checksums(warehouse: Path) -> dict[str, str]:
    """Each dataset's latest loaded file, for tables that have every column their schema now has
    (a warehouse loaded by an older version is loaded again, from the same files)."""
    if not Path(warehouse).exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            rows = con.execute(
                f"SELECT dataset, arg_max(sha256, loaded_at) FROM {INGEST_LOG} GROUP BY dataset"
            ).fetchall()
        except duckdb.CatalogException:
            return {}
        columns = con.execute("SELECT table_name, list(column_name) FROM duckdb_columns() GROUP BY 1")
        present = {table: set(names) for table, names in columns.fetchall()}
    return {
        name: digest
        for name, digest in rows
        if name in DATASETS and set(DATASETS[name].names) <= present.get(name, set())
    }


def write_tables(
    warehouse: Path,
    tables: dict[str, pd.DataFrame],
    loaded: list[LoadedFile],
    loaded_by: str | None = None,
) -> None:
    """Merge each extract into its table and append to the ingest log in a single transaction."""
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.begin()
        try:
            columns = ", ".join(f"{name} {kind}" for name, kind in LOG_COLUMNS)
            con.execute(f"CREATE TABLE IF NOT EXISTS {INGEST_LOG} ({columns})")
            for name, kind in LOG_COLUMNS:  # logs written by earlier versions gain the new columns
                con.execute(f"ALTER TABLE {INGEST_LOG} ADD COLUMN IF NOT EXISTS {name} {kind}")
            replaced = {}
            for name, table in tables.items():
                con.register("incoming", table)
                replaced[name] = _merge(con, DATASETS[name], name)
                con.unregister("incoming")
            now = datetime.now(UTC).replace(tzinfo=None)
            user = loaded_by or os.environ.get("USER", "unknown")
            rows = [
                (
                    now,
                    user,
                    f.dataset,
                    f.file,
                    f.rows,
                    f.sha256,
                    f.first_month,
                    f.last_month,
                    replaced.get(f.dataset, 0),
                )
                for f in loaded
            ]
            if rows:
                names = ", ".join(name for name, _ in LOG_COLUMNS)
                con.executemany(
                    f"INSERT INTO {INGEST_LOG} ({names}) VALUES ({', '.join('?' * len(LOG_COLUMNS))})", rows
                )
            con.commit()
        except BaseException:
            con.rollback()
            raise


def _merge(con, schema: Dataset, name: str) -> int:
    """Put the registered ``incoming`` rows in place of those they supersede; how many went."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()[0]
    if not exists:
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        return 0
    present = {row[0] for row in con.execute(f'DESCRIBE "{name}"').fetchall()}
    for column, kind, *_ in con.execute("DESCRIBE incoming").fetchall():
        if column not in present:  # a column the schema gained since the table was made
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {kind}')
    supersedes = f'"{schema.key}" IN (SELECT "{schema.key}" FROM incoming)'
    if schema.period:
        month = f"date_trunc('month', \"{schema.period}\")"
        supersedes += f" OR {month} IN (SELECT DISTINCT {month} FROM incoming)"
    removed = con.execute(f'DELETE FROM "{name}" WHERE {supersedes}').fetchone()[0]
    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')
    return int(removed)


def already_loaded(warehouse: Path, raw_dir: Path, mapping: Mapping) -> bool:
    """True when the warehouse's latest load of every dataset came from these very files."""
    latest = _latest_checksums(warehouse)
    for name, dataset_mapping in mapping.datasets.items():
        path = Path(raw_dir) / dataset_mapping.file
        if not path.exists() or latest.get(name) != checksum(path):
            return False
    return True
