"""Where the metric definitions run: DuckDB on one machine, or PySpark for a region or a nation.

Both read the canonical tables, either from a Stocktake warehouse (a DuckDB file) or from a
folder of Parquet files named after the datasets (``admissions.parquet`` or ``admissions/``).
The metric engine sees only an Ibis connection, so the definitions are the same on both.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import ibis

from stocktake.ingest.schemas import DATASETS
from stocktake.warehouse import SAFE_CONFIG, connect, connect_ibis, problems

Engine = Literal["duckdb", "spark"]
ENGINES = ("duckdb", "spark")


class SourceError(ValueError):
    """A warehouse or Parquet folder that cannot be read, naming what is missing."""


def parquet_tables(folder: Path) -> dict[str, Path]:
    """The canonical datasets present in a folder of Parquet files."""
    found = {}
    for name in DATASETS:
        for candidate in (folder / f"{name}.parquet", folder / name):
            if candidate.exists():
                found[name] = candidate
    if not found:
        raise SourceError(f"{folder}: no Parquet file named after a dataset ({', '.join(DATASETS)})")
    return found


@contextmanager
def open_engine(engine: Engine, source: Path) -> Iterator:
    """An Ibis connection on ``engine`` with every canonical table in ``source`` registered."""
    source = Path(source)
    if not source.exists():
        raise SourceError(f"{source}: no such warehouse or Parquet folder")
    if engine == "duckdb":
        with problems(source):  # a damaged or locked warehouse is one line, not a traceback
            if source.is_dir():
                con = ibis.duckdb.connect(**SAFE_CONFIG)
                for name, path in parquet_tables(source).items():
                    con.read_parquet(_parquet_glob(path), table_name=name)
            else:
                con = connect_ibis(source)
            try:
                yield con
            finally:
                con.disconnect()
        return
    if engine != "spark":
        raise SourceError(f"unknown engine {engine!r} (expected one of {', '.join(ENGINES)})")
    with tempfile.TemporaryDirectory(prefix="stocktake-spark-") as scratch:
        folder = source if source.is_dir() else _warehouse_as_parquet(source, Path(scratch))
        session = spark_session()
        con = ibis.pyspark.connect(session)
        for name, path in parquet_tables(folder).items():
            con.read_parquet(str(path), table_name=name)
        yield con


def spark_session():
    """A local Spark session set up for reproducible metrics: UTC clock, quiet, no web UI."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(os.environ.get("STOCKTAKE_SPARK_MASTER", "local[2]"))
        .appName("stocktake")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", os.environ.get("STOCKTAKE_SPARK_MEMORY", "2g"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _parquet_glob(path: Path) -> str:
    return str(path / "*.parquet") if path.is_dir() else str(path)


def _warehouse_as_parquet(warehouse: Path, folder: Path) -> Path:
    """Copy the warehouse's canonical tables to Parquet, the format Spark reads (which has no
    nanosecond timestamps: they are written to the microsecond)."""
    with problems(warehouse), connect(warehouse, read_only=True) as con:
        types = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
        ).fetchall()
        for name in DATASETS:
            columns = [(column, kind) for table, column, kind in types if table == name]
            if not columns:
                continue
            select = ", ".join(
                f'CAST("{c}" AS TIMESTAMP) AS "{c}"' if kind.startswith("TIMESTAMP") else f'"{c}"'
                for c, kind in columns
            )
            con.execute(
                f"COPY (SELECT {select} FROM \"{name}\") TO '{folder / name}.parquet' (FORMAT parquet)"
            )
    return folder
