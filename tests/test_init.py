"""`stocktake init` (ADR 0017): a department's home with its settings file, folders and README, made
once and never overwritten."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.settings import DEFAULT_CATALOGUE, load_settings

runner = CliRunner()
NAMES = ["--department", "Trauma and Orthopaedics", "--trust", "Example NHS Foundation Trust"]
SITES = ["--site", "General", "--site", "St Elsewhere"]


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    for name in ("STOCKTAKE_HOME", "STOCKTAKE_MAPPING", "STOCKTAKE_CATALOGUE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _init(*args, input: str | None = None):
    return runner.invoke(app, ["init", *map(str, args)], input=input)


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under ``folder`` with its mode and (for files) its bytes."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
        for p in sorted(folder.rglob("*"))
    }


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_with_flags_makes_exactly_the_home_and_its_settings(cwd):
    result = _init(*NAMES, *SITES)
    assert result.exit_code == 0, result.output
    home = cwd / "stocktake"  # the department home's default
    assert sorted(p.name for p in home.iterdir()) == [
        "README.md",
        "extracts",
        "reports",
        "secrets",
        "stocktake.toml",
    ]
    assert not any(list((home / folder).iterdir()) for folder in ("extracts", "reports", "secrets"))
    assert {name: _mode(home / name) for name in ("", "extracts", "secrets", "reports")} == dict.fromkeys(
        ("", "extracts", "secrets", "reports"), 0o700
    )
    assert _mode(home / "stocktake.toml") == _mode(home / "README.md") == 0o600
    assert tomllib.loads((home / "stocktake.toml").read_text()) == {
        "department": "Trauma and Orthopaedics",
        "trust": "Example NHS Foundation Trust",
        "sites": ["General", "St Elsewhere"],
        "catalogue": "trauma_orthopaedics",
        "mapping": "mapping.yaml",
    }
    settings = load_settings(home, private=False)
    assert (settings.department, settings.trust) == (
        "Trauma and Orthopaedics",
        "Example NHS Foundation Trust",
    )
    assert settings.sites == ("General", "St Elsewhere")
    assert settings.catalogue == DEFAULT_CATALOGUE
    assert settings.mapping == home / "mapping.yaml"
    assert settings.source == "Trauma and Orthopaedics, Example NHS Foundation Trust"
    readme = (home / "README.md").read_text()
    assert readme.startswith("# Trauma and Orthopaedics, Example NHS Foundation Trust")
    for said in ("`extracts/`", "`secrets/`", "`reports/`", "General, St Elsewhere"):
        assert said in readme
    commands = ["stocktake mapping suggest extracts/", "stocktake ingest", "stocktake report"]
    assert [readme.index(c) for c in commands] == sorted(readme.index(c) for c in commands)


def test_a_second_init_refuses_in_one_line_and_changes_nothing(cwd):
    assert _init(*NAMES, "--yes").exit_code == 0
    home = cwd / "stocktake"
    (home / "warehouse.duckdb").write_bytes(b"a department's data")
    before = _snapshot(home)
    result = _init("--department", "Someone else", "--trust", "Another trust", "--yes")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1  # one line
    assert "stocktake.toml: a home is already here" in result.output
    assert "Trauma and Orthopaedics, Example NHS Foundation Trust; with a warehouse" in result.output
    assert _snapshot(home) == before
    prompted = _init(input="Other\nOther trust\n\n")  # refused before anything is asked
    assert prompted.exit_code == 2 and "Department" not in prompted.output
    assert _snapshot(home) == before


def test_init_inside_a_home_with_no_folder_refuses(cwd, monkeypatch):
    assert _init(cwd / "here", *NAMES, "--yes").exit_code == 0
    monkeypatch.chdir(cwd / "here")
    result = _init(*NAMES, "--yes")
    assert result.exit_code == 2 and "this folder is a home already" in result.output
    assert not (cwd / "here" / "stocktake").exists()


def test_init_asks_for_what_the_flags_leave_out(cwd):
    result = _init("elsewhere", input="Paediatric Orthopaedics\nNorthshire Trust\n Riverside , Westfield\n")
    assert result.exit_code == 0, result.output
    assert "Department" in result.output and "Trust" in result.output and "Sites" in result.output
    settings = load_settings(cwd / "elsewhere", private=False)
    assert (settings.department, settings.trust) == ("Paediatric Orthopaedics", "Northshire Trust")
    assert settings.sites == ("Riverside", "Westfield")


def test_init_with_yes_and_no_names_refuses_and_makes_nothing(cwd):
    result = _init("--department", "Trauma", "--yes")
    assert result.exit_code == 2
    assert "give --department and --trust" in result.output
    assert not (cwd / "stocktake").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--catalogue", "cardiology"],
            "expected a shipped catalogue (elective_surgery, trauma_orthopaedics) or a .yaml file",
        ),
        (["--catalogue", "mine.yaml"], "--catalogue mine.yaml: no such file"),
        (["--site", "General", "--site", "general"], "sites: each site once"),
        (["--site", " "], "site: expected a name, not nothing"),
        (["--department", "T&O\nWard 3"], "expected a name on one line"),
    ],
)
def test_bad_init_input_is_one_line_and_makes_nothing(cwd, args, said):
    result = _init(*NAMES, *args, "--yes")
    assert result.exit_code == 2
    assert said in result.output and result.output.count("\n") == 1
    assert not (cwd / "stocktake").exists()


def test_names_round_trip_through_the_settings_file_whatever_their_characters(cwd):
    department, trust = 'Orthopädie "Nord" \\ Ward 3', "Hôpital d'Exemple, trust #1"
    result = _init("--department", department, "--trust", trust, "--site", "Site [A]", "--yes")
    assert result.exit_code == 0, result.output
    settings = load_settings(cwd / "stocktake", private=False)
    assert (settings.department, settings.trust, settings.sites) == (department, trust, ("Site [A]",))


def test_an_own_catalogue_is_kept_by_path_relative_to_the_home_when_inside_it(cwd):
    (cwd / "stocktake").mkdir()
    own = cwd / "stocktake" / "our_catalogue.yaml"
    own.write_text(DEFAULT_CATALOGUE.read_text())
    outside = cwd / "shared_catalogue.yaml"
    outside.write_text(DEFAULT_CATALOGUE.read_text())
    assert _init(*NAMES, "--catalogue", own, "--yes").exit_code == 0
    assert (
        tomllib.loads((cwd / "stocktake" / "stocktake.toml").read_text())["catalogue"] == "our_catalogue.yaml"
    )
    assert load_settings(cwd / "stocktake", private=False).catalogue == own
    assert _init("other", *NAMES, "--catalogue", "shared_catalogue.yaml", "--yes").exit_code == 0
    assert tomllib.loads((cwd / "other" / "stocktake.toml").read_text())["catalogue"] == str(outside)
    assert load_settings(cwd / "other", private=False).catalogue == outside


def test_init_adopts_a_home_made_before_init_without_touching_its_data(cwd):
    """A department loaded by `stocktake ingest` before init existed (ADR 0013) keeps its warehouse,
    key and reports; init adds the settings file, the missing folder and the README."""
    home = cwd / "stocktake"
    (home / "secrets").mkdir(parents=True)
    (home / "reports").mkdir()
    (home / "warehouse.duckdb").write_bytes(b"loaded rows")
    (home / "secrets" / "pseudonym.key").write_bytes(b"k" * 32)
    before = _snapshot(home)
    result = _init(*NAMES, "--yes")
    assert result.exit_code == 0, result.output
    assert "Kept what was there: secrets/, reports/" in result.output
    after = _snapshot(home)
    assert {k: v[1] for k, v in after.items() if k in before} == {k: v[1] for k, v in before.items()}
    assert set(after) - set(before) == {"extracts", "README.md", "stocktake.toml"}
    assert _mode(home) == _mode(home / "secrets") == 0o700


@pytest.mark.parametrize(
    ("department", "chosen"),
    [
        ("Trauma and Orthopaedics", "trauma_orthopaedics"),
        ("T&O", "trauma_orthopaedics"),
        ("t and o", "trauma_orthopaedics"),
        ("Orthopaedic Surgery", "trauma_orthopaedics"),
        ("General Surgery", "elective_surgery"),
        ("Ophthalmology", "elective_surgery"),
        ("Urology", "elective_surgery"),
        ("Orthogeriatrics", "trauma_orthopaedics"),  # hip fracture care
        ("TandO", "trauma_orthopaedics"),
        ("Trauma & Ortho", "trauma_orthopaedics"),
        # a recheck: "trauma" alone is not T&O, nor "ortho" before a d or t, nor the word "to"
        ("Major Trauma Centre", "elective_surgery"),
        ("Maxillofacial trauma", "elective_surgery"),
        ("Plastic surgery & trauma", "elective_surgery"),
        ("Orthodontics", "elective_surgery"),
        ("Orthotics", "elective_surgery"),
        ("Access to surgery", "elective_surgery"),
    ],
)
def test_init_chooses_the_catalogue_by_the_departments_name_and_says_so(cwd, department, chosen):
    """An outside check: a General Surgery home was given the T&O catalogue unsaid, and its board report
    was headed "Trauma & Orthopaedics" with 26 hip-fracture and fracture-clinic measures "for want of
    data". A department not named T&O now gets the measures any surgical specialty shares, and init says
    which catalogue it chose and how to choose the other."""
    result = _init("--department", department, "--trust", "Example NHS Foundation Trust", "--yes")
    assert result.exit_code == 0, result.output
    settings = (cwd / "stocktake" / "stocktake.toml").read_text()
    assert f'catalogue = "{chosen}"' in settings
    said = " ".join(result.output.split())
    assert (
        "the elective surgery catalogue" if chosen == "elective_surgery" else "the Trauma & Orthopaedics"
    ) in said


def test_a_catalogue_given_is_taken_and_nothing_is_said_of_a_choice(cwd):
    result = _init(
        "--department", "General Surgery", "--trust", "A Trust", "--catalogue", "trauma_orthopaedics", "--yes"
    )
    assert result.exit_code == 0, result.output
    assert 'catalogue = "trauma_orthopaedics"' in (cwd / "stocktake" / "stocktake.toml").read_text()
    assert "Measures:" not in result.output
