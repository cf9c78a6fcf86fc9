"""Issue 28: expected counts read as people write numbers (1,234.5) and never misread (24,5 is not
245), checked against the data's groups when kept (none matching refused, some matching named, more
events than cases refused), and a damaged file kept before no obstacle to keeping a new one."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import AuditEvent
from stocktake.demo.generate import Department, generate
from stocktake.files.expected import (
    ExpectedFileError,
    keep_expected,
    kept_expected,
    parse_expected,
    unmatched_units,
    withdrawn_expected,
)

METRIC = "hipfx_mortality_30d"
ONE, TWO = datetime(2026, 12, 1, 9, 0, 0), datetime(2026, 12, 2, 10, 30, 0)
GOOD = b"unit,expected\nNorthshire General,24.08\nRiverside,15.33\n"


def _csv(*rows: str) -> bytes:
    return ("unit,expected\n" + "".join(f"{r}\n" for r in rows)).encode()


@pytest.mark.parametrize(
    ("cell", "value"),
    [("24.5", 24.5), ('"1,234"', 1234.0), ('"1,234.5"', 1234.5), ('"12,345,678"', 12345678.0), ("7", 7.0)],
)
def test_thousands_separators_in_the_right_places_are_read(cell, value):
    assert parse_expected(_csv(f"A,{cell}")) == {"A": value}


@pytest.mark.parametrize("cell", ['"24,5"', "1_000", '"1,23"', '"1,2345"', "45%", "£12", '"1,234,5"'])
def test_a_decimal_comma_or_underscores_are_refused_not_misread(cell):
    shown = cell.strip('"')
    with pytest.raises(ExpectedFileError) as refused:
        parse_expected(_csv("A,3", f"B,{cell}"), "case_mix.csv")
    message = str(refused.value)
    assert message.startswith(f"case_mix.csv, row 3, column expected: {shown!r} is not a number")
    assert "\n" not in message


CASES = {"Northshire General": 350.0, "Riverside": 240.0}


def test_more_expected_events_than_cases_is_refused():
    with pytest.raises(ExpectedFileError) as refused:
        parse_expected(_csv("Northshire General,24", "Riverside,500"), "morethancases.csv", CASES)
    assert str(refused.value) == (
        "morethancases.csv, row 3, column expected: '500' is more events than Riverside's 240 cases in "
        "the period; an expected count cannot exceed the cases"
    )
    assert parse_expected(_csv("Riverside,240"), "x.csv", CASES) == {"Riverside": 240.0}  # at the limit


def test_a_file_matching_no_unit_of_the_data_is_refused_naming_both_sides():
    with pytest.raises(ExpectedFileError) as refused:
        parse_expected(_csv("Nowhere,24", "Elsewhere,15"), "notindata.csv", CASES)
    assert str(refused.value) == (
        "notindata.csv: none of its units (Nowhere, Elsewhere) has cases in the data (the data's: "
        "Northshire General, Riverside); the units must be named as the data names them"
    )


def test_a_partial_match_is_kept_and_its_unmatched_units_named(tmp_path):
    content = _csv("Northshire General,24", "Eastbrook,4.2")
    kept, _ = keep_expected(tmp_path, METRIC, content, name="three.csv", who="ann", at=ONE, cases=CASES)
    assert unmatched_units(kept.counts, CASES) == ("Eastbrook",)


def test_keeping_a_file_matching_no_unit_writes_nothing(tmp_path):
    with pytest.raises(ExpectedFileError, match="none of its units"):
        keep_expected(tmp_path, METRIC, _csv("Nowhere,24"), name="x.csv", who="ann", at=ONE, cases=CASES)
    assert not (tmp_path / "expected").exists()


# --- a damaged file kept before ----------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["json", "csv"])
def test_a_new_keep_replaces_damaged_counts_keeping_them_in_withdrawn(tmp_path, damage):
    kept, _ = keep_expected(tmp_path, METRIC, GOOD, name="first.csv", who="ann", at=ONE)
    wrong = b"{not json" if damage == "json" else b"unit,expected\nA,none\n"
    kept.path.with_suffix(f".{damage}").write_bytes(wrong)
    with pytest.raises(ExpectedFileError) as unreadable:
        kept_expected(tmp_path, METRIC)
    # named from the home: the funnel page shows the line to viewers
    assert str(unreadable.value).startswith(f"expected/site/{METRIC}.{damage}")
    assert str(tmp_path) not in str(unreadable.value)
    _, withdrawn = keep_expected(tmp_path, METRIC, GOOD, name="second.csv", who="bob", at=TWO)
    assert withdrawn is None and kept_expected(tmp_path, METRIC).name == "second.csv"
    folder = tmp_path / "expected" / "site" / "withdrawn"
    stamp = "20261202T103000"  # when they were withdrawn: their own record of when may be the damage
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{METRIC}.damaged.{stamp}.{s}" for s in ("csv", "json", "txt")]
    assert (folder / f"{METRIC}.damaged.{stamp}.{damage}").read_bytes() == wrong  # byte for byte
    note = (folder / f"{METRIC}.damaged.{stamp}.txt").read_text()
    assert note.startswith("Damaged: ") and "bob" in note and "second.csv" in note
    assert withdrawn_expected(tmp_path, METRIC) == []  # the damaged ones are not read back as counts


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_the_action_replaces_damaged_counts_with_one_event(db, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    kept, _ = keep_expected(home, METRIC, GOOD, name="first.csv", who="ann", at=ONE)
    kept.path.with_suffix(".json").write_text("{not json")
    actions.keep_expected_counts(
        db, by=None, home=home, metric_id=METRIC, content=GOOD, name="b.csv", who="bob"
    )
    [event] = [e for e in db.scalars(select(AuditEvent)) if e.action == "expected_counts_kept"]
    assert event.detail.startswith("2 site(s) from b.csv; the damaged counts kept before withdrawn")
    assert kept_expected(home, METRIC).name == "b.csv"


def test_the_action_refuses_a_file_matching_no_unit_with_no_event(db, tmp_path):
    with pytest.raises(actions.ActionError, match="none of its units"):
        actions.keep_expected_counts(
            db, by=None, home=tmp_path, metric_id=METRIC, content=_csv("Nowhere,3"), name="x.csv", cases=CASES
        )
    assert not [e for e in db.scalars(select(AuditEvent)) if e.action == "expected_counts_kept"]


# --- the command against the home's warehouse ------------------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    (home / "stocktake.toml").write_text('department = "T&O"\n')
    tables = generate(Department(seed=7, months=18))
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    hips = tables["hip_fractures"]
    return home, hips


def _set(home, tmp_path, name: str, content: bytes):
    from stocktake.cli import app

    file = tmp_path / name
    file.write_bytes(content)
    return CliRunner().invoke(app, ["expected", "set", METRIC, str(file), "--home", str(home)])


def test_the_command_refuses_a_file_matching_no_site(home, tmp_path):
    done = _set(home[0], tmp_path, "notindata.csv", _csv("Nowhere,24", "Elsewhere,15"))
    assert done.exit_code == 2, done.output
    line = " ".join(done.output.split())
    assert "notindata.csv: none of its units (Nowhere, Elsewhere) has cases in the data" in line
    assert "Northshire General, Riverside" in line and kept_expected(home[0], METRIC) is None


def test_the_command_refuses_more_deaths_expected_than_patients(home, tmp_path):
    done = _set(home[0], tmp_path, "morethancases.csv", _csv("Northshire General,5000", "Riverside,15"))
    assert done.exit_code == 2 and "row 2, column expected: '5000' is more events than" in " ".join(
        done.output.split()
    )
    assert kept_expected(home[0], METRIC) is None


def test_the_command_keeps_a_partial_match_and_names_what_did_not_match(home, tmp_path):
    done = _set(home[0], tmp_path, "three.csv", _csv("Northshire General,24.08", "Eastbrook,4.2"))
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "in the file but with no cases in the data (compared with nothing): Eastbrook" in said
    assert "with cases but no expected count (left out): Riverside" in said
    assert kept_expected(home[0], METRIC).counts == {"Northshire General": 24.08, "Eastbrook": 4.2}


def test_history_kept_under_the_old_reading_of_numbers_is_listed_not_in_the_way(tmp_path):
    """Counts withdrawn before this fix may hold 24,5 (then read as 245): listed, marked, not read."""
    keep_expected(tmp_path, METRIC, GOOD, name="first.csv", who="ann", at=ONE)
    keep_expected(tmp_path, METRIC, GOOD, name="second.csv", who="bob", at=TWO)
    [old] = (tmp_path / "expected" / "site" / "withdrawn").glob("*.csv")
    old.write_bytes(_csv('A,"24,5"'))
    [listed] = withdrawn_expected(tmp_path, METRIC)
    assert listed.name == "first.csv (its counts cannot be read now)" and listed.counts == {}
    assert kept_expected(tmp_path, METRIC).name == "second.csv"
