"""Opening the DuckDB warehouse safely, and saying in one line what is wrong when it cannot be used.

DuckDB, asked to open a file in another database's format (a SQLite file named ``.duckdb``),
fetches and loads an extension from the internet to read it; Stocktake never lets it: a warehouse
is DuckDB or it is refused. DuckDB's own errors (a lock held by another load, a full disk, a
damaged file) are turned into a sentence saying what happened and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

#: No extension is installed or loaded behind the user's back.
SAFE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class WarehouseError(Exception):
    """The warehouse could not be opened, read or written; the message says what to do."""


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the warehouse (``:memory:`` for a scratch one), extensions locked."""
    with problems(path):
        return duckdb.connect(str(path), read_only=read_only, config=SAFE_CONFIG)


def connect_ibis(path: Path | str):
    """A read-only Ibis connection to the warehouse, extensions locked."""
    import ibis

    with problems(path):
        return ibis.duckdb.connect(str(path), read_only=True, **SAFE_CONFIG)


@contextmanager
def problems(path: Path | str) -> Iterator[None]:
    """Turn any DuckDB error inside the block into a WarehouseError naming ``path``."""
    try:
        yield
    except duckdb.Error as error:
        raise WarehouseError(describe(path, error)) from error
    except Exception as error:
        if not type(error).__module__.startswith("ibis."):
            raise
        # A table without the columns the catalogue reads: a DuckDB file, but not a warehouse.
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WarehouseError(
            f"{path}: not a Stocktake warehouse (a table lacks what Stocktake loads: {first}); "
            "give the warehouse `stocktake ingest` wrote"
        ) from error


def describe(path: Path | str, error: BaseException) -> str:
    """One line for a DuckDB error: what happened to the warehouse and what to do about it."""
    text = str(error)
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if "Could not set lock" in text:
        holder = re.search(r"PID (\d+)", text)
        who = f" (process {holder.group(1)})" if holder else ""
        return (
            f"{path}: in use by another load or program{who}; nothing was changed: "
            "wait for it to finish, then run again"
        )
    if "No space left" in text or "disk is full" in text.lower():
        return f"{path}: the disk is full; nothing was changed: free some space, then run again"
    if "Permission denied" in text:
        return f"{path}: permission denied; nothing was changed: check who may read and write it"
    other = re.search(r'Extension "(\w+)" is an existing extension', text)
    if other:
        return (
            f"{path}: a {other.group(1)} database, not a Stocktake warehouse (DuckDB); "
            "give the warehouse `stocktake ingest` wrote"
        )
    if any(sign in text for sign in _DAMAGED):
        return (
            f"{path}: not a readable Stocktake warehouse (damaged, or another kind of file: {first}); "
            "restore it from a backup or give another warehouse"
        )
    return f"{path}: the warehouse could not be used ({first})"


_DAMAGED = (
    "not a valid DuckDB database",
    "Cannot launch in-memory database",  # a CSV or other text file given as the warehouse
    "Corrupt database",
    "Could not read enough bytes",
    "Serialization",
    "INTERNAL Error",
    "checksum",
)
