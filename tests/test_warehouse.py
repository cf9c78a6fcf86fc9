"""The warehouse opens with DuckDB's extensions locked, and its problems read as one line."""

import subprocess
import sys

import duckdb
import pytest

from stocktake.warehouse import WarehouseError, connect


def test_no_extension_is_installed_or_loaded_behind_the_users_back(tmp_path):
    with connect(tmp_path / "w.duckdb") as con:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() "
                "WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions')"
            ).fetchall()
        )
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_a_sqlite_file_under_the_warehouse_name_is_named_as_such(tmp_path):
    import sqlite3

    path = tmp_path / "w.duckdb"
    sqlite3.connect(path).execute("CREATE TABLE t (a)").connection.commit()
    with pytest.raises(WarehouseError, match=r"w.duckdb: a sqlite database, not a Stocktake warehouse"):
        connect(path, read_only=True)


def test_a_warehouse_locked_by_another_load_says_so(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print(1, flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        holder.stdout.readline()
        with pytest.raises(WarehouseError) as raised:
            connect(path)
    finally:
        holder.kill()
        holder.wait()
    assert str(raised.value) == (
        f"{path}: in use by another load or program (process {holder.pid}); nothing was changed: "
        "wait for it to finish, then run again"
    )


def test_not_a_database_at_all(tmp_path):
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(WarehouseError, match=r"not a readable Stocktake warehouse \(damaged"):
        connect(path)
    assert isinstance(WarehouseError("x"), Exception) and not isinstance(WarehouseError("x"), duckdb.Error)
