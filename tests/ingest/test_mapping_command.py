"""`stocktake mapping suggest` and `stocktake mapping coverage` through the command line: a trust's
extracts → a draft → `stocktake ingest` with the draft as written; each bad input one line, exit 2,
nothing written."""

import duckdb
import pytest
from trust_styles import true_mapping, write_extracts
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING

runner = CliRunner()


@pytest.fixture(scope="module")
def tables():
    return generate(Department(seed=3, months=2))


@pytest.fixture(scope="module")
def extracts(tmp_path_factory, tables):
    return write_extracts(tables, true_mapping("riverside_title_case"), tmp_path_factory.mktemp("riverside"))


def _one_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_suggest_then_ingest_with_the_draft_as_written(extracts, tables, tmp_path):
    draft = tmp_path / "mapping.yaml"
    suggested = runner.invoke(app, ["mapping", "suggest", str(extracts), "--out", str(draft)])
    assert suggested.exit_code == 0, suggested.output
    assert "Inpatient Spells.csv → admissions: 15 fields found" in suggested.output
    # These months' referrals hold no discharge at virtual review, so no code gives "discharged".
    assert "Coverage: 38 of 40 measures can be computed." in suggested.output
    assert (
        "cannot vfc_discharged_at_virtual_review: needs a code for fracture_clinic.outcome = discharged"
        in (suggested.output)
    )
    assert draft.read_text().count("# review ") == 72
    home = tmp_path / "home"
    loaded = runner.invoke(app, ["ingest", str(extracts), "--mapping", str(draft), "--home", str(home)])
    assert loaded.exit_code == 0, loaded.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        counts = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables}
    assert counts == {name: len(table) for name, table in tables.items()}


def test_suggest_prints_the_draft_when_not_given_a_file(extracts):
    result = runner.invoke(app, ["mapping", "suggest", str(extracts)])
    assert result.exit_code == 0, result.output
    assert "datasets:\n  admissions:\n" in result.output


def test_suggest_says_which_measures_a_partial_suggestion_cannot_compute(tmp_path, extracts):
    (tmp_path / "Waiting List.csv").write_bytes((extracts / "Waiting List.csv").read_bytes())
    result = runner.invoke(app, ["mapping", "suggest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Coverage: 7 of 40 measures can be computed." in result.output
    assert (
        "cannot hipfx_patients: needs admissions (not mapped): spell_id; hip_fractures (not mapped): "
        in result.output
    )


def test_suggest_will_not_replace_a_reviewed_mapping(extracts, tmp_path):
    draft = tmp_path / "mapping.yaml"
    draft.write_text("reviewed")
    line = _one_line(runner.invoke(app, ["mapping", "suggest", str(extracts), "--out", str(draft)]))
    expected = "a file is already there (a reviewed mapping?); give another path, or --force"
    assert line == f"error: --out {draft}: {expected}"
    assert draft.read_text() == "reviewed"


def test_suggest_names_a_missing_folder(tmp_path):
    line = _one_line(runner.invoke(app, ["mapping", "suggest", str(tmp_path / "nowhere")]))
    assert line == f"error: {tmp_path / 'nowhere'}: no such folder"


def test_suggest_names_a_folder_with_no_extract(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    line = _one_line(
        runner.invoke(app, ["mapping", "suggest", str(tmp_path), "--out", str(tmp_path / "m.yaml")])
    )
    assert line == f"error: {tmp_path}: no readable CSV, Excel (.xlsx) or Parquet extract there"
    assert not (tmp_path / "m.yaml").exists()


def test_coverage_of_the_demo_mapping():
    result = runner.invoke(app, ["mapping", "coverage", str(MAPPING)])
    assert result.exit_code == 0, result.output
    assert "Coverage: 40 of 40 measures can be computed." in result.output


def test_coverage_names_the_fields_a_mapping_lacks(tmp_path):
    text = MAPPING.read_text()
    start = text.index("  rtt_pathways:")
    (tmp_path / "m.yaml").write_text(text[:start])
    result = runner.invoke(app, ["mapping", "coverage", str(tmp_path / "m.yaml")])
    assert result.exit_code == 0, result.output
    assert "Coverage: 33 of 40 measures can be computed." in result.output
    assert "cannot rtt_median_wait: needs rtt_pathways (not mapped): clock_start, clock_stop" in result.output


def test_coverage_names_a_bad_mapping(tmp_path):
    (tmp_path / "m.yaml").write_text("source: x\ndatasets:\n  wards: {file: a.csv, columns: {}}\n")
    line = _one_line(runner.invoke(app, ["mapping", "coverage", str(tmp_path / "m.yaml")]))
    assert (
        line.startswith(f"error: {tmp_path / 'm.yaml'}: ")
        and "datasets.wards: not a canonical dataset" in line
    )


def test_the_draft_is_private_to_its_owner(extracts, tmp_path):
    draft = tmp_path / "mapping.yaml"
    result = runner.invoke(app, ["mapping", "suggest", str(extracts), "--out", str(draft)])
    assert result.exit_code == 0, result.output
    assert draft.stat().st_mode & 0o777 == 0o600


def test_coverage_inside_a_home_checks_the_homes_mapping(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    text = MAPPING.read_text()
    (home / "mapping.yaml").write_text(text[: text.index("  rtt_pathways:")])
    (home / "stocktake.toml").write_text('department = "T&O"\n')
    monkeypatch.delenv("STOCKTAKE_MAPPING", raising=False)
    result = runner.invoke(app, ["mapping", "coverage", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert f"Checking the home's mapping, {home / 'mapping.yaml'}" in " ".join(result.output.split())
    assert "Coverage: 33 of 40 measures can be computed." in result.output
