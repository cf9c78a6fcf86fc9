"""One home (ADR 0013): with no path flags, `stocktake ingest` loads where `stocktake serve`, `metrics`,
`report` and `undo-load` look; until a department's data are loaded, they look at the demo's folder."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.appdb.database import make_engine, session_factory
from stocktake.cli import app
from stocktake.demo.export import export
from stocktake.demo.generate import SITES, Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest.mapping import load_mapping
from stocktake.metrics.catalogue import load_catalogue
from stocktake.settings import load_settings
from stocktake.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

runner = CliRunner()
MONTHS = 3
DEPARTMENT = Department(seed=5, months=MONTHS)
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("extracts")
    export(generate(DEPARTMENT), load_mapping(MAPPING), path)
    return path


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    """A fresh working folder and no workspace settings in the environment."""
    for name in ("STOCKTAKE_HOME", "STOCKTAKE_DATABASE_URL", "STOCKTAKE_MAPPING", "STOCKTAKE_CATALOGUE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _ok(*args) -> str:
    result = runner.invoke(app, [*map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def _signed_in(web) -> TestClient:
    """A viewer's client of ``web``, signed in through the sign-in form."""
    from stocktake.appdb import actions

    with session_factory(make_engine(web.state.settings.database_url))() as session:
        actions.create_user(
            session, by=None, username="viewer", full_name="V", password=PASSWORD, role="viewer"
        )
    client = TestClient(web)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)[1]
    answer = client.post(
        "/sign-in",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def test_ingest_then_serve_with_no_paths_show_the_ingested_data(raw_dir, cwd):
    _ok("ingest", raw_dir, "--mapping", MAPPING)
    settings = load_settings()  # as `stocktake serve` with no --home
    assert settings.warehouse == cwd / "stocktake" / "warehouse.duckdb"
    page = _signed_in(create_app(settings)).get("/").text
    first, last = pd.Timestamp(DEPARTMENT.start), pd.Timestamp(DEPARTMENT.end) - pd.DateOffset(months=1)
    assert f"{first:%B %Y} to {last:%B %Y}" in page  # the extracts' three months, not the demo's years
    listed = re.findall(r'href="/metrics/([a-z0-9_]+)"', page)
    assert f"{len(listed)} measures" in page and len(listed) > 30
    assert set(listed) <= {m.id for m in load_catalogue().metrics}
    assert all(f">{site}<" in page for site in SITES)  # the site filter offers the extracts' sites


def test_metrics_report_and_undo_with_no_paths_use_the_ingested_warehouse(raw_dir, cwd):
    _ok("ingest", raw_dir, "--mapping", MAPPING)
    _ok("metrics", "--out", "series.csv")
    months = pd.to_datetime(pd.read_csv(cwd / "series.csv")["period"]).dt.to_period("M").unique()
    assert len(months) == MONTHS  # the three months exported, not the demo's three years
    _ok("report", "--format", "html")
    assert (cwd / "stocktake" / "reports" / "stocktake.html").is_file()
    rows = len(pd.read_csv(raw_dir / load_mapping(MAPPING).datasets["rtt_pathways"].file))
    assert f"rtt_pathways: removed the {rows:,} rows of load 1" in _ok("undo-load")
    assert not (cwd / "stocktake-demo").exists()  # nothing looked at the demo


def test_a_refused_load_writes_its_error_report_in_the_home(raw_dir, cwd):
    broken = cwd / "extracts"
    shutil.copytree(raw_dir, broken)
    spells = broken / load_mapping(MAPPING).datasets["admissions"].file
    spells.write_text(spells.read_text() + "one,field,too,few\n")
    result = runner.invoke(app, ["ingest", str(broken), "--mapping", str(MAPPING)])
    assert result.exit_code == 2, result.output
    assert (cwd / "stocktake" / "errors" / "errors.html").is_file()
    assert not (broken / "errors").exists()
    assert not (cwd / "stocktake" / "warehouse.duckdb").exists()


def test_the_home_until_data_are_loaded_is_the_demos(cwd, monkeypatch):
    assert load_settings(private=False).home == cwd / "stocktake-demo"
    assert load_settings(loading=True, private=False).home == cwd / "stocktake"  # real data: never the demo
    (cwd / "stocktake").mkdir()
    (cwd / "stocktake" / "warehouse.duckdb").write_bytes(b"")
    assert load_settings(private=False).home == cwd / "stocktake"
    monkeypatch.setenv("STOCKTAKE_HOME", str(cwd / "elsewhere"))
    assert load_settings(private=False).home == cwd / "elsewhere"
    assert load_settings(cwd / "given", private=False).home == cwd / "given"
    assert not (cwd / "elsewhere").exists() and not (cwd / "given").exists()  # reading makes no folder


def test_the_demo_writes_to_its_own_home_by_default(cwd, monkeypatch):
    built = []

    def fake_run_demo(out, **_):
        built.append(Path(out))
        raise SystemExit(0)

    monkeypatch.setattr("stocktake.demo.run.run_demo", fake_run_demo)
    monkeypatch.setenv("STOCKTAKE_HOME", str(cwd / "department"))  # synthetic data never go there
    runner.invoke(app, ["demo"])
    runner.invoke(app, ["demo", "--home", "other"])
    assert built == [Path("stocktake-demo"), Path("other")]


def test_an_ingest_with_its_own_warehouse_keeps_the_key_beside_it(raw_dir, cwd):
    _ok("ingest", raw_dir, "--mapping", MAPPING, "--warehouse", cwd / "w" / "loaded.duckdb")
    assert (cwd / "w" / "secrets" / "pseudonym.key").is_file()
    with duckdb.connect(str(cwd / "w" / "loaded.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM rtt_pathways").fetchone()[0] > 0
    assert not (cwd / "stocktake").exists()


def test_serve_opens_the_department_once_loaded_and_else_builds_the_demo(cwd, monkeypatch):
    built, opened = [], []

    def fake_create_app(settings):
        opened.append(settings.home)
        raise SystemExit(0)  # stop before the server starts

    monkeypatch.setattr("stocktake.demo.run.run_demo", lambda out, **_: built.append(out))
    monkeypatch.setattr("stocktake.web.app.create_app", fake_create_app)
    runner.invoke(app, ["serve"])
    assert built == opened == [cwd / "stocktake-demo"]
    (cwd / "stocktake").mkdir()
    (cwd / "stocktake" / "warehouse.duckdb").write_bytes(b"")  # as `stocktake ingest` leaves it
    runner.invoke(app, ["serve"])
    assert built == [cwd / "stocktake-demo"] and opened[1:] == [cwd / "stocktake"]
