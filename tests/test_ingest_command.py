"""`stocktake ingest`: each problem with the files around the load — the key, the error-report
folder, the warehouse (damaged, locked, a full disk) — is one line a person can act on."""

import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest import load
from stocktake.ingest.mapping import load_mapping

runner = CliRunner()


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("raw")
    export(generate(Department(seed=5, months=2)), load_mapping(MAPPING), path)
    return path


def _ingest(raw_dir, home, *extra):
    args = ["ingest", str(raw_dir), "--mapping", str(MAPPING), "--warehouse", str(home / "w.duckdb")]
    return runner.invoke(app, [*args, *map(str, extra)])


def _one_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def _state(warehouse) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {
            n: con.execute(f"SELECT count(*), hash(list(t ORDER BY t)) FROM {n} t").fetchone() for n in names
        }


@pytest.mark.parametrize("content", ["not a key\n", "", "abcd\n"])
def test_a_damaged_key_file_is_named(raw_dir, tmp_path, content):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pseudonym.key").write_text(content)
    line = _one_line(_ingest(raw_dir, tmp_path))
    assert line.startswith(
        f"error: {tmp_path / 'secrets' / 'pseudonym.key'}: not a usable pseudonymisation key"
    )
    assert line.endswith("restore the key file from its backup")


def test_errors_pointing_at_a_file_is_named(raw_dir, tmp_path):
    (tmp_path / "report.txt").write_text("")
    line = _one_line(_ingest(raw_dir, tmp_path, "--errors", tmp_path / "report.txt"))
    assert (
        line
        == f"error: --errors {tmp_path / 'report.txt'}: a file is there; give a folder for the error report"
    )


def test_a_damaged_warehouse_is_named(raw_dir, tmp_path):
    (tmp_path / "w.duckdb").write_bytes(b"\x01" * 50_000)
    line = _one_line(_ingest(raw_dir, tmp_path))
    assert line.startswith(f"error: {tmp_path / 'w.duckdb'}: not a readable Stocktake warehouse")


def test_a_failed_commit_on_a_full_disk_keeps_its_cause_and_the_previous_state(
    raw_dir, tmp_path, monkeypatch
):
    first = tmp_path / "first"
    shutil.copytree(raw_dir, first, ignore=shutil.ignore_patterns("rtt_ptl.csv"))
    assert _ingest(first, tmp_path, "--partial").exit_code == 0
    before = _state(tmp_path / "w.duckdb")

    def commit_on_a_full_disk(con):
        con.rollback()  # as DuckDB does when the WAL cannot be written: the transaction is over
        raise duckdb.IOException('Could not write file "w.duckdb.wal": No space left on device')

    monkeypatch.setattr(load.duckdb.DuckDBPyConnection, "commit", commit_on_a_full_disk)
    line = _one_line(_ingest(raw_dir, tmp_path))  # now with the RTT extract too
    monkeypatch.undo()
    warehouse = tmp_path / "w.duckdb"
    said = "the disk is full; nothing was changed: free some space, then run again"
    assert line == f"error: {warehouse}: {said}"
    assert _state(tmp_path / "w.duckdb") == before


def test_rows_in_error_are_listed_without_markup_and_the_warehouse_is_made_private(raw_dir, tmp_path):
    bad = tmp_path / "raw"
    shutil.copytree(raw_dir, bad)
    spells = next(bad.glob("pas_inpatient_spells*.csv"))
    lines = spells.read_text().splitlines()
    spells.write_text("\n".join([lines[0], lines[1] + ",[red]extra[/red]", *lines[2:]]) + "\n")
    result = _ingest(bad, tmp_path / "home")
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "[red]" not in result.output.split("\n")[0]
    assert (tmp_path / "home").stat().st_mode & 0o777 == 0o700


def test_a_load_says_which_rows_no_measure_will_read(raw_dir, tmp_path):
    """An outside check loaded theatre cases whose list was not in the sessions extract: "added", and
    never counted. The load says so, with the catalogue's join that drops them."""
    import pandas as pd

    folder = tmp_path / "extracts"
    shutil.copytree(raw_dir, folder)
    sessions = pd.read_csv(folder / "theatres_sessions.csv", dtype=str, keep_default_na=False)
    cases = pd.read_csv(folder / "theatres_cases.csv", dtype=str, keep_default_na=False)
    gone = sessions["SESSION_ID"].iloc[0]
    sessions.iloc[1:].to_csv(folder / "theatres_sessions.csv", index=False)
    dropped = int((cases["SESSION_ID"] == gone).sum())
    assert dropped > 0
    home = tmp_path / "home"
    result = _ingest(folder, home)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    rows = f"{dropped:,} row{'s' if dropped > 1 else ''}"
    assert f"{rows} of theatre_cases with a session_id not in theatre_sessions" in said
    assert "load the theatre_sessions extract that holds them" in said
    assert "not in theatre_sessions" not in " ".join(_ingest(raw_dir, tmp_path / "whole").output.split())


def test_a_load_says_which_sites_the_home_does_not_name(raw_dir, tmp_path):
    """The home names two of the extracts' three sites: the third is said, with where it is and the
    way out, since every by-site table compares it as a site of its own."""
    home = tmp_path / "home"
    sites = ["--site", "Riverside", "--site", "Northshire General"]
    made = runner.invoke(app, ["init", str(home), "--department", "T&O", "--trust", "T", *sites, "--yes"])
    assert made.exit_code == 0, made.output
    result = _ingest(raw_dir, home)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "admissions.site holds sites stocktake.toml does not name: 'Westfield' (" in said
    assert "the home names Riverside, Northshire General" in said
    assert "Northshire General' (" not in said
