"""One home (ADR 0013): with no path flags, `stocktake ingest` loads where `stocktake serve`, `metrics`,
`report` and `undo-load` look; until a department's data are loaded, they look at the demo's folder."""

from __future__ import annotations

import html
import re
import shutil
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from stocktake.appdb.database import make_engine, session_factory
from stocktake.cli import app
from stocktake.demo.export import export
from stocktake.demo.generate import SITES, Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest.mapping import load_mapping
from stocktake.metrics.catalogue import load_catalogue
from stocktake.settings import DEFAULT_CATALOGUE, DEMO_MAPPING, load_settings
from stocktake.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

runner = CliRunner()
MONTHS = 3
DEPARTMENT = Department(seed=5, months=MONTHS)
PASSWORD = "a long enough password, kettle"


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
    results = page.split('id="overview-results"')[1]  # not the changes since last month, above it
    listed = re.findall(r'href="/metrics/([a-z0-9_]+)"', results)
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


# A home made by `stocktake init` (ADR 0017): its stocktake.toml, and commands run inside it.

NAMES = ("--department", "Trauma and Orthopaedics", "--trust", "Example NHS Foundation Trust")
SOURCE = "Trauma and Orthopaedics, Example NHS Foundation Trust"


def _home_with_extracts(cwd: Path, raw_dir: Path, *, mapping: bool = True) -> Path:
    """``stocktake init``, the trust's files copied into extracts/ and (with ``mapping``) its mapping."""
    _ok("init", "t_and_o", *NAMES, "--site", "Northshire General", "--yes")
    home = cwd / "t_and_o"
    shutil.copytree(raw_dir, home / "extracts", dirs_exist_ok=True)
    if mapping:
        shutil.copy(MAPPING, home / "mapping.yaml")
    return home


def test_inside_a_home_ingest_and_report_need_no_paths_and_name_the_department(raw_dir, cwd, monkeypatch):
    home = _home_with_extracts(cwd, raw_dir)
    monkeypatch.chdir(home)
    assert "Loaded as load 1" in _ok("ingest")  # extracts/ with mapping.yaml, into this home
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        spells = con.execute("SELECT count(*) FROM admissions").fetchone()[0]
    assert spells == len(pd.read_csv(raw_dir / load_mapping(MAPPING).datasets["admissions"].file))
    assert (home / "secrets" / "pseudonym.key").is_file()
    _ok("report", "--format", "html")
    report = (home / "reports" / "stocktake.html").read_text()
    assert f'<p class="lede">{SOURCE}. Monthly measures' in report
    assert "Warehouse warehouse.duckdb" not in report
    assert not (cwd / "stocktake").exists() and not (home / "stocktake-demo").exists()
    settings = load_settings()  # as `stocktake serve` run in the home
    assert settings.home == home
    download = _signed_in(create_app(settings)).get("/reports/stocktake.html")
    assert download.status_code == 200 and f"{SOURCE}. Monthly measures" in download.text


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            'department = "T&O"\ntrust =\n',
            "not valid TOML (Invalid value (at line 2, column 8))",
        ),
        ('sites = "General"\n', "key 'sites': expected a list of site names"),
        ("department = 3\n", "key 'department': expected text in quotes, not 3"),
        (
            'departmnet = "T&O"\n',
            "key 'departmnet': not a setting (expected department, trust",
        ),
        ('catalogue = "cardiology"\n', "key 'catalogue': expected a shipped catalogue"),
        ('catalogue = "ours.yaml"\n', "key 'catalogue': expected a catalogue file, not 'ours.yaml'"),
    ],
)
def test_a_broken_settings_file_stops_every_command_with_one_line(cwd, monkeypatch, text, said):
    home = cwd / "home"
    home.mkdir()
    (home / "stocktake.toml").write_text(text)
    (home / "extracts").mkdir()
    monkeypatch.chdir(home)
    for command in (["report"], ["ingest"], ["metrics", "--out", "series.csv"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert result.output.startswith(f"error: {home / 'stocktake.toml'}: {said}")
        assert result.output.count("\n") == 1
    assert sorted(p.name for p in home.iterdir()) == ["extracts", "stocktake.toml"]  # nothing written


def test_the_environment_wins_over_the_settings_file_which_wins_over_the_defaults(cwd, monkeypatch):
    home = cwd / "home"
    home.mkdir()
    settings_file = home / "stocktake.toml"
    settings_file.write_text('mapping = "maps/ours.yaml"\ncatalogue = "trauma_orthopaedics"\n')
    assert load_settings(home, private=False).mapping == home / "maps" / "ours.yaml"
    assert load_settings(home, private=False).catalogue == DEFAULT_CATALOGUE
    monkeypatch.setenv("STOCKTAKE_MAPPING", "/elsewhere/env.yaml")
    monkeypatch.setenv("STOCKTAKE_CATALOGUE", "/elsewhere/catalogue.yaml")
    assert load_settings(home, private=False).mapping == Path("/elsewhere/env.yaml")
    assert load_settings(home, private=False).catalogue == Path("/elsewhere/catalogue.yaml")
    monkeypatch.delenv("STOCKTAKE_MAPPING")
    settings_file.write_text('department = "T&O"\n')  # names no mapping: HOME/mapping.yaml if there
    assert load_settings(home, private=False).mapping == DEMO_MAPPING
    (home / "mapping.yaml").write_text("source: ours\n")
    assert load_settings(home, private=False).mapping == home / "mapping.yaml"
    assert load_settings(home, private=False).source == "T&O"  # no trust named


def test_in_a_home_the_mapping_flag_and_environment_win_over_the_settings_file(raw_dir, cwd, monkeypatch):
    home = _home_with_extracts(cwd, raw_dir, mapping=False)  # stocktake.toml names mapping.yaml: absent
    monkeypatch.chdir(home)
    missing = runner.invoke(app, ["ingest"])
    assert missing.exit_code == 2 and missing.output.count("\n") == 1
    assert f"{home / 'mapping.yaml'}: no mapping there" in missing.output
    assert not (home / "warehouse.duckdb").exists()
    monkeypatch.setenv("STOCKTAKE_MAPPING", str(MAPPING))
    assert "Loaded as load 1" in _ok("ingest")
    monkeypatch.setenv("STOCKTAKE_MAPPING", str(cwd / "no-such-mapping.yaml"))
    assert "Nothing new" in _ok("ingest", "--mapping", MAPPING)  # the flag's mapping, the same files


def test_the_current_folder_is_the_home_when_it_holds_a_settings_file(cwd, monkeypatch):
    (cwd / "stocktake").mkdir()
    (cwd / "stocktake" / "stocktake.toml").write_text('department = "T&O"\n')
    assert load_settings(private=False).home == cwd / "stocktake"  # made by init: no longer the demo's
    monkeypatch.chdir(cwd / "stocktake")
    assert load_settings(private=False).home == cwd / "stocktake"
    assert load_settings(loading=True, private=False).home == cwd / "stocktake"
    monkeypatch.setenv("STOCKTAKE_HOME", str(cwd / "named"))
    assert load_settings(private=False).home == cwd / "named"  # the environment still wins


# What the outsider found (issue 23): a mapping given once is the home's; a named warehouse's report
# goes to its own home.


def _flat(text: str) -> str:
    """Output without its spaces and line breaks (the console wraps long paths anywhere)."""
    return "".join(text.split())


def test_a_mapping_given_to_ingest_is_kept_as_the_homes_and_another_is_for_that_load_only(raw_dir, cwd):
    ours = cwd / "custom.yaml"
    ours.write_text(MAPPING.read_text() + "# the department's own copy\n")
    said = _ok("ingest", raw_dir, "--mapping", ours)
    home = cwd / "stocktake"
    assert _flat(f"Kept {ours} as this home's mapping, {home / 'mapping.yaml'}") in _flat(said)
    assert load_settings(home, private=False).mapping_in_use.read_text() == ours.read_text()
    assert (home / "mapping.yaml").stat().st_mode & 0o777 == 0o600
    assert "Nothing new" in _ok("ingest", raw_dir)  # with no --mapping: the kept one, not the demo's
    other = cwd / "other.yaml"
    other.write_text(MAPPING.read_text() + "# tried once\n")
    said = _flat(_ok("ingest", raw_dir, "--mapping", other, "--dry-run"))
    assert _flat(f"Used {other} for this load only; the home keeps its own, {home / 'mapping.yaml'}.") in said
    assert (home / "mapping.yaml").read_text() == ours.read_text()
    said = _ok("ingest", raw_dir, "--mapping", ours)  # the home's own mapping: nothing to say about it
    assert "Kept" not in said and "Used" not in said


def test_the_demos_mapping_given_to_ingest_is_not_copied_and_a_dry_run_keeps_nothing(raw_dir, cwd):
    _ok("ingest", raw_dir, "--mapping", MAPPING)
    assert not (cwd / "stocktake" / "mapping.yaml").exists()
    ours = cwd / "custom.yaml"
    ours.write_text(MAPPING.read_text() + "# the department's own copy\n")
    said = _ok("ingest", raw_dir, "--mapping", ours, "--dry-run")
    assert "Kept" not in said and not (cwd / "stocktake" / "mapping.yaml").exists()


def test_a_report_of_a_named_warehouse_goes_to_its_home_never_the_demos(raw_dir, cwd, monkeypatch):
    loaded = cwd / "w" / "warehouse.duckdb"
    _ok("ingest", raw_dir, "--mapping", MAPPING, "--warehouse", loaded)
    (cwd / "empty").mkdir()
    monkeypatch.chdir(cwd / "empty")
    said = _ok("report", "--warehouse", loaded, "--format", "html")
    report = cwd / "w" / "reports" / "stocktake.html"
    assert _flat(f"Wrote {report}") in _flat(said)
    assert list((cwd / "empty").iterdir()) == []  # no ./stocktake-demo, nothing here
    modes = {p: p.stat().st_mode & 0o777 for p in (cwd / "w", report.parent, report)}
    assert list(modes.values()) == [0o700, 0o700, 0o600]
    (cwd / "loose").mkdir()
    shutil.copy(loaded, cwd / "loose" / "copy.duckdb")  # a warehouse outside any home
    refused = runner.invoke(app, ["report", "--warehouse", str(cwd / "loose" / "copy.duckdb")])
    assert refused.exit_code == 2 and refused.output.count("\n") == 1, refused.output
    assert refused.output.startswith(f"error: --warehouse {cwd / 'loose' / 'copy.duckdb'}: its folder")
    assert "give --out FOLDER" in refused.output
    assert sorted(p.name for p in (cwd / "loose").iterdir()) == ["copy.duckdb"]
    _ok("report", "--warehouse", cwd / "loose" / "copy.duckdb", "--format", "html", "--out", cwd / "out")
    assert (cwd / "out" / "stocktake.html").stat().st_mode & 0o777 == 0o600


def test_a_measure_whose_field_the_mapping_left_out_is_named_on_the_overview(raw_dir, cwd):
    """Not a 0.0% share: the overview says which measures are left out and the field each needs."""
    mapping = yaml.safe_load(MAPPING.read_text())
    del mapping["datasets"]["hip_fractures"]["columns"]["surgery_at"]
    ours = cwd / "our-mapping.yaml"
    ours.write_text(yaml.safe_dump(mapping))
    _ok("ingest", raw_dir, "--mapping", ours)
    page = html.unescape(_signed_in(create_app(load_settings())).get("/").text)
    assert "Not in this stock-take, for want of data in the warehouse:" in page
    assert "Hip fracture surgery within 36 hours of arrival (needs hip_fractures.surgery_at)" in page
    assert 'href="/metrics/hipfx_surgery_36h"' not in page
