"""A workspace's folder is private to the account running Stocktake, and bad settings are named."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import text

import stocktake.settings
from stocktake.appdb.database import make_engine
from stocktake.metrics.catalogue import DEFAULT_CATALOGUE
from stocktake.settings import SettingsError, load_settings


@pytest.fixture
def umask():
    """Whatever the test sets, the test process's umask afterwards is the one it had."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_home_and_what_is_created_in_it_are_private(tmp_path, umask, monkeypatch):
    home = tmp_path / "workspace"
    home.mkdir(mode=0o755)
    (home / "warehouse.duckdb").write_bytes(b"")  # made before, world-readable
    (home / "warehouse.duckdb").chmod(0o644)
    monkeypatch.delenv("STOCKTAKE_DATABASE_URL", raising=False)
    settings = load_settings(home)
    assert _mode(home) == 0o700 and _mode(home / "warehouse.duckdb") == 0o600
    (home / "warehouse.duckdb").unlink()
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    created = [p for p in home.iterdir() if p.is_file()]
    assert {p.name for p in created} >= {"warehouse.duckdb", "workspace.sqlite"}
    assert {p.name: _mode(p) for p in created} == {p.name: 0o600 for p in created}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "STOCKTAKE_IDLE_MINUTES",
            "half an hour",
            "STOCKTAKE_IDLE_MINUTES: a whole number above 0, not 'half an hour'",
        ),
        ("STOCKTAKE_UPLOAD_LIMIT_MB", "0", "STOCKTAKE_UPLOAD_LIMIT_MB: a whole number above 0, not '0'"),
        ("STOCKTAKE_DRILLDOWN_SMALL_NUMBERS", "hide", "'suppress' or 'show', not 'hide'"),
    ],
)
def test_a_bad_setting_is_named(tmp_path, umask, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(tmp_path)


def test_settings_read_from_the_environment(tmp_path, umask, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_IDLE_MINUTES", "10")
    monkeypatch.setenv("STOCKTAKE_UPLOAD_LIMIT_MB", "5")
    monkeypatch.setenv("STOCKTAKE_DRILLDOWN_SMALL_NUMBERS", "show")
    settings = load_settings(tmp_path)
    assert settings.idle_timeout.total_seconds() == 600
    assert settings.upload_limit == 5 * 1024 * 1024
    assert settings.drilldown_small_numbers == "show"
    monkeypatch.delenv("STOCKTAKE_DRILLDOWN_SMALL_NUMBERS")
    assert load_settings(tmp_path).drilldown_small_numbers == "suppress"


def test_a_command_with_a_bad_setting_says_which_in_one_line(tmp_path, umask, monkeypatch):
    from typer.testing import CliRunner

    from stocktake.cli import app

    monkeypatch.setenv("STOCKTAKE_IDLE_MINUTES", "soon")
    result = CliRunner().invoke(app, ["db", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == "error: STOCKTAKE_IDLE_MINUTES: a whole number above 0, not 'soon'"


def test_settings_import_nothing_of_stocktake():
    """Every module may read the settings, so the settings may read no module (ADR 0013)."""
    tree = ast.parse(Path(stocktake.settings.__file__).read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and m.split(".")[0] == "stocktake"]
    assert stocktake.settings.DEFAULT_CATALOGUE == DEFAULT_CATALOGUE  # the same file as metrics' default


def test_a_home_names_its_consultants_codes(tmp_path):
    from stocktake.settings import SettingsError, read_home_file

    (tmp_path / "stocktake.toml").write_text('[names.consultant]\nC1234567 = "Ms A Khan"\n')
    assert dict(read_home_file(tmp_path).names) == {"consultant": (("C1234567", "Ms A Khan"),)}
    (tmp_path / "stocktake.toml").write_text("[names.consultant]\nC1234567 = 3\n")
    with pytest.raises(SettingsError, match=r"key 'names.consultant': expected lines of code = \"name\""):
        read_home_file(tmp_path)


def test_the_demos_settings_keep_its_own_mapping_and_catalogue_whatever_the_environment(
    tmp_path, monkeypatch
):
    from stocktake.settings import DEFAULT_CATALOGUE, DEMO_MAPPING, demo_settings, is_home

    monkeypatch.setenv("STOCKTAKE_MAPPING", str(tmp_path / "department.yaml"))
    monkeypatch.setenv("STOCKTAKE_CATALOGUE", str(tmp_path / "catalogue.yaml"))
    monkeypatch.setenv("STOCKTAKE_HOME", str(tmp_path / "department"))
    settings = demo_settings(tmp_path / "demo")
    assert (settings.home, settings.mapping, settings.catalogue) == (
        tmp_path / "demo",
        DEMO_MAPPING,
        DEFAULT_CATALOGUE,
    )
    assert settings.warehouse == tmp_path / "demo" / "warehouse.duckdb"
    assert settings.pseudonym_key == tmp_path / "demo" / "secrets" / "pseudonym.key"
    assert settings.reports == tmp_path / "demo" / "reports"
    assert not (tmp_path / "demo").exists()  # the settings make nothing
    assert not is_home(tmp_path)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pseudonym.key").write_text("")
    assert is_home(tmp_path)  # an ingest's key beside a warehouse of another name


def test_a_shipped_catalogue_named_in_the_environment_is_found_by_its_name(tmp_path, monkeypatch):
    """An outside check: STOCKTAKE_CATALOGUE=elective_surgery was opened as a file, and the report's
    failure to open it blamed on --out; a name that is neither is said as the environment's."""
    from stocktake.settings import CATALOGUES, SettingsError, load_settings

    monkeypatch.setenv("STOCKTAKE_CATALOGUE", "elective_surgery")
    assert load_settings(tmp_path).catalogue == CATALOGUES / "elective_surgery.yaml"
    monkeypatch.setenv("STOCKTAKE_CATALOGUE", "urology")
    with pytest.raises(SettingsError, match=r"^STOCKTAKE_CATALOGUE: expected a shipped catalogue \("):
        load_settings(tmp_path)
