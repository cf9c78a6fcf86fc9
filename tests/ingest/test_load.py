"""Loads are all or nothing; a failed or interrupted load leaves the previous state intact."""

import shutil

import duckdb
import pytest

from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest import load
from stocktake.ingest.load import IngestError, already_loaded, ingest_directory
from stocktake.ingest.mapping import load_mapping

KEY = b"k" * 32


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("raw")
    export(generate(Department(seed=7, months=3)), load_mapping(MAPPING), path)
    return path


def _counts(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY 1").fetchall()
        )


def _row_count(warehouse, table):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_load_then_recognise_the_same_files(raw_dir, tmp_path):
    mapping = load_mapping(MAPPING)
    warehouse = tmp_path / "w.duckdb"
    loaded = ingest_directory(raw_dir, mapping, warehouse, KEY)
    assert {f.dataset for f in loaded} == set(mapping.datasets)
    assert _row_count(warehouse, "admissions") == next(f.rows for f in loaded if f.dataset == "admissions")
    assert already_loaded(warehouse, raw_dir, mapping)


def test_one_bad_row_anywhere_loads_nothing(raw_dir, tmp_path):
    mapping = load_mapping(MAPPING)
    warehouse = tmp_path / "w.duckdb"
    ingest_directory(raw_dir, mapping, warehouse, KEY)
    before = _row_count(warehouse, "admissions"), _row_count(warehouse, "ingest_log")
    broken = tmp_path / "broken"
    shutil.copytree(raw_dir, broken)
    cases = broken / "theatres_cases.csv"
    lines = cases.read_text().splitlines()
    lines[5] = lines[5].replace(",N,", ",MAYBE,", 1)
    cases.write_text("\n".join(lines) + "\n")
    (broken / "pas_inpatient_spells.csv").write_text((broken / "pas_inpatient_spells.csv").read_text())
    with pytest.raises(IngestError) as error:
        ingest_directory(broken, mapping, warehouse, KEY)
    assert [(e.file, e.row, e.column, e.value) for e in error.value.errors] == [
        ("theatres_cases.csv", 6, "CANCELLED", "MAYBE")
    ]
    assert (_row_count(warehouse, "admissions"), _row_count(warehouse, "ingest_log")) == before


def test_a_crash_mid_load_leaves_the_previous_state(raw_dir, tmp_path, monkeypatch):
    mapping = load_mapping(MAPPING)
    warehouse = tmp_path / "w.duckdb"
    ingest_directory(raw_dir, mapping, warehouse, KEY)
    before = _row_count(warehouse, "admissions"), _row_count(warehouse, "ingest_log")
    real_register = duckdb.DuckDBPyConnection.register
    calls = []

    class Crash(RuntimeError):
        pass

    def crash_on_third_table(con, name, frame):
        calls.append(name)
        if len(calls) == 3:
            raise Crash("power cut")
        return real_register(con, name, frame)

    with duckdb.connect(str(warehouse), read_only=True) as con:  # a newer extract: ten rows a month
        smaller = {name: con.execute(f"SELECT * FROM {name} LIMIT 10").df() for name in mapping.datasets}
    monkeypatch.setattr(load.duckdb.DuckDBPyConnection, "register", crash_on_third_table, raising=True)
    with pytest.raises(Crash):
        load.write_tables(warehouse, smaller, [])
    monkeypatch.undo()
    assert (_row_count(warehouse, "admissions"), _row_count(warehouse, "ingest_log")) == before
    load.write_tables(warehouse, smaller, [])  # without the crash, the same load does change it
    assert _row_count(warehouse, "admissions") < before[0]


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(IngestError, match="the admissions extract"):
        ingest_directory(tmp_path, load_mapping(MAPPING), tmp_path / "w.duckdb", KEY)


KILLED_MID_LOAD = """
import os, signal, sys
from pathlib import Path
import duckdb
from stocktake.ingest import load

warehouse = Path(sys.argv[1])
with duckdb.connect(str(warehouse), read_only=True) as con:
    names = ("admissions", "hip_fractures", "rtt_pathways")
    newer = {n: con.execute(f"SELECT * FROM {n} LIMIT 10").df() for n in names}
real_register, calls = duckdb.DuckDBPyConnection.register, []

def die_on_third_table(con, name, frame):
    calls.append(name)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # no rollback, no clean-up: the power goes
    return real_register(con, name, frame)

duckdb.DuckDBPyConnection.register = die_on_third_table
load.write_tables(warehouse, newer, [])
"""


def test_a_process_killed_mid_load_leaves_the_previous_state(raw_dir, tmp_path):
    import subprocess
    import sys

    warehouse = tmp_path / "w.duckdb"
    ingest_directory(raw_dir, load_mapping(MAPPING), warehouse, KEY)
    before = {t: _row_count(warehouse, t) for t in ("admissions", "hip_fractures", "ingest_log")}
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_LOAD, str(warehouse)], check=False)
    assert killed.returncode == -9
    assert {t: _row_count(warehouse, t) for t in before} == before
