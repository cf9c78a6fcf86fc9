"""A folder of extracts: each rule's failing file is refused whole; newer extracts replace what they
cover; CSV, Excel and Parquet read alike; the error report names every bad cell."""

import csv
import shutil

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest.error_report import write_error_report
from stocktake.ingest.load import IngestError, already_loaded, ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.read import read_raw
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.validate import to_canonical
from stocktake.settings import Settings

KEY = b"k" * 32
SPELLS = "pas_inpatient_spells.csv"


@pytest.fixture(scope="module")
def mapping():
    return load_mapping(MAPPING)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory, mapping):
    path = tmp_path_factory.mktemp("raw")
    export(generate(Department(seed=7, months=3)), mapping, path)
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, raw_dir, mapping):
    warehouse = tmp_path_factory.mktemp("loaded") / "w.duckdb"
    ingest_directory(raw_dir, mapping, warehouse, KEY)
    return warehouse


def _state(warehouse) -> dict:
    """Every table's full content, as a comparable fingerprint."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {
            n: con.execute(f"SELECT count(*), hash(list(t ORDER BY t)) FROM {n} t").fetchone() for n in names
        }


def _data(warehouse) -> dict:
    """The canonical tables' content, without the log and the kept previous versions."""
    return {name: state for name, state in _state(warehouse).items() if name in DATASETS}


def _edit(path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` numbered as a spreadsheet shows it (header = 1)."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _cell(path, row: int, column: str) -> str:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[row - 1][rows[0].index(column)]


CASES = [
    # (file, row, column, new value, expected)
    (SPELLS, 4, "ADM_DTTM", "31/02/2024 08:00", "a date and time like 31/12/2024 23:59"),
    (SPELLS, 5, "ADM_TYPE", "XX", "one of the codes DC, EL, NEL"),
    (SPELLS, 6, "CONS_CODE", "", "a value (consultant is required)"),
    (SPELLS, 7, "AGE_ON_ADM", "70.5", "a whole number"),
    (SPELLS, 8, "DIS_DTTM", "01/01/2000 00:00", "no earlier than ADM_DTTM"),
    (SPELLS, 9, "NHS_NO", "9434765918", "a valid NHS number (modulus 11 check digit)"),
    ("theatres_cases.csv", 3, "CANCELLED", "MAYBE", "one of the codes N, Y"),
    # "£12" is read as 12 unless --strict (test_messy_files)
    ("procurement_order_lines.csv", 4, "UNIT_PRICE_GBP", "12 pounds", "a number"),
    ("rtt_ptl.csv", 5, "PRIORITY", "P9", "one of the codes 1, 2, 3, 4, 5, 6"),
]


@pytest.mark.parametrize(("file", "row", "column", "value", "expected"), CASES, ids=lambda c: str(c)[:20])
def test_each_rule_refuses_the_load_with_exactly_its_error(
    raw_dir, loaded, mapping, tmp_path, file, row, column, value, expected
):
    broken, warehouse = tmp_path / "raw", tmp_path / "w.duckdb"
    shutil.copytree(raw_dir, broken)
    shutil.copy(loaded, warehouse)
    _edit(broken / file, row, column, value)
    before = _state(warehouse)
    with pytest.raises(IngestError) as raised:
        ingest_directory(broken, mapping, warehouse, KEY)
    shown = "943*******" if column == "NHS_NO" else value
    assert [(e.file, e.row, e.column, e.value, e.expected) for e in raised.value.errors] == [
        (file, row, column, shown, expected)
    ]
    assert _state(warehouse) == before


def test_a_duplicate_key_is_refused(raw_dir, loaded, mapping, tmp_path):
    broken, warehouse = tmp_path / "raw", tmp_path / "w.duckdb"
    shutil.copytree(raw_dir, broken)
    shutil.copy(loaded, warehouse)
    _edit(broken / SPELLS, 6, "SPELL_NO", _cell(broken / SPELLS, 2, "SPELL_NO"))
    before = _state(warehouse)
    with pytest.raises(IngestError) as raised:
        ingest_directory(broken, mapping, warehouse, KEY)
    assert [(e.row, e.column, e.expected) for e in raised.value.errors] == [
        (6, "SPELL_NO", "a unique spell_id (row 2 has it)")
    ]
    assert _state(warehouse) == before


def test_a_newer_extract_replaces_the_months_it_covers_and_is_logged(raw_dir, mapping, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    ingest_directory(raw_dir, mapping, warehouse, KEY, loaded_by="analyst")
    spells = pd.read_csv(raw_dir / SPELLS, dtype=str, keep_default_na=False)
    discharged = pd.to_datetime(spells["DIS_DTTM"], format="%d/%m/%Y %H:%M")
    may = spells[discharged.dt.strftime("%Y-%m") == "2022-05"]
    newer = tmp_path / "newer"
    newer.mkdir()
    may.iloc[1:].to_csv(newer / SPELLS, index=False)  # one May spell deleted at source

    def months(con):
        return dict(
            con.execute(
                "SELECT strftime(discharged_at, '%Y-%m'), count(*) FROM admissions GROUP BY 1"
            ).fetchall()
        )

    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = months(con)
    loaded = ingest_directory(
        newer, mapping, warehouse, KEY, loaded_by="analyst", partial=True, confirm_removals=True
    )
    assert [(f.dataset, f.rows, f.first_month, f.last_month) for f in loaded.files] == [
        ("admissions", len(may) - 1, "2022-05", "2022-05")
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = months(con)
        log = con.execute(
            "SELECT loaded_by, dataset, file, rows, rows_replaced, length(sha256) FROM ingest_log "
            "ORDER BY loaded_at DESC, dataset LIMIT 1"
        ).fetchone()
    assert after == before | {"2022-05": len(may) - 1}
    assert log == ("analyst", "admissions", SPELLS, len(may) - 1, len(may), 64)
    # The same file again: nothing to do, nothing changes.
    assert ingest_directory(newer, mapping, warehouse, KEY, partial=True).files == ()
    assert _state(warehouse)["admissions"] == _state(warehouse)["admissions"]


def test_a_warehouse_loaded_by_an_older_version_is_loaded_again(raw_dir, loaded, mapping, tmp_path):
    """Same files, but the schema has since gained a column: loading them again fills it in."""
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(loaded, warehouse)
    assert already_loaded(warehouse, raw_dir, mapping)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"ALTER TABLE admissions DROP COLUMN {DATASETS['admissions'].names[-1]}")
    assert not already_loaded(warehouse, raw_dir, mapping)
    assert [f.dataset for f in ingest_directory(raw_dir, mapping, warehouse, KEY).files] == ["admissions"]
    assert _data(warehouse) == _data(loaded)
    assert already_loaded(warehouse, raw_dir, mapping)


def test_without_partial_a_missing_extract_is_an_error(raw_dir, mapping, tmp_path):
    (tmp_path / "one").mkdir()
    shutil.copy(raw_dir / SPELLS, tmp_path / "one" / SPELLS)
    with pytest.raises(IngestError, match="the hip_fractures extract"):
        ingest_directory(tmp_path / "one", mapping, tmp_path / "w.duckdb", KEY)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_read_like_the_csv(raw_dir, mapping, tmp_path, suffix):
    text = read_raw(raw_dir / SPELLS).head(50)
    typed = text.copy()  # as a spreadsheet or a database would hold it: real dates and numbers
    for column in ("ADM_DTTM", "DIS_DTTM"):
        typed[column] = pd.to_datetime(typed[column], format="%d/%m/%Y %H:%M")
    typed["AGE_ON_ADM"] = typed["AGE_ON_ADM"].astype(int)
    path = tmp_path / f"spells{suffix}"
    typed.to_excel(path, index=False) if suffix == ".xlsx" else typed.to_parquet(path, index=False)
    schema, spec = DATASETS["admissions"], mapping.datasets["admissions"]
    expected, _ = to_canonical(text, schema, spec, SPELLS, KEY)
    found, errors = to_canonical(read_raw(path), schema, spec, path.name, KEY)
    assert errors == []
    pd.testing.assert_frame_equal(found, expected)


def test_an_unknown_format_is_named(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match=r"x.json: cannot read a .json"):
        read_raw(tmp_path / "x.json")


def test_error_report_lists_every_error_and_escapes_values(raw_dir, mapping, tmp_path):
    broken = tmp_path / "raw"
    shutil.copytree(raw_dir, broken)
    _edit(broken / SPELLS, 3, "ADM_TYPE", "<script>")
    _edit(broken / SPELLS, 4, "AGE_ON_ADM", "old")
    with pytest.raises(IngestError) as raised:
        ingest_directory(broken, mapping, tmp_path / "w.duckdb", KEY)
    csv_path, html_path = write_error_report(raised.value.errors, tmp_path / "report", "Test trust")
    table = pd.read_csv(csv_path, dtype=str)
    assert table[["row", "column", "value"]].values.tolist() == [
        ["3", "ADM_TYPE", "<script>"],
        ["4", "AGE_ON_ADM", "old"],
    ]
    html = html_path.read_text()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "2 errors" in html and "The warehouse is unchanged" in html


def test_ingest_command_loads_then_reports_errors(raw_dir, tmp_path):
    runner = CliRunner()
    args = [
        "ingest",
        str(raw_dir),
        "--mapping",
        str(MAPPING),
        "--warehouse",
        str(tmp_path / "w" / "w.duckdb"),
        "--key-file",
        str(tmp_path / "secrets" / "key"),
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Loaded" in first.output and "rows of admissions" in first.output
    assert "already loaded" in runner.invoke(app, args).output
    broken = tmp_path / "broken"
    shutil.copytree(raw_dir, broken)
    _edit(broken / SPELLS, 3, "ADM_TYPE", "XX")
    failed = runner.invoke(app, [*args[:1], str(broken), *args[2:], "--errors", str(tmp_path / "errors")])
    assert failed.exit_code == 2
    assert "row 3, column ADM_TYPE" in " ".join(failed.output.split())
    assert (tmp_path / "errors" / "errors.html").exists()


def test_ingest_command_refuses_the_key_beside_the_warehouse(raw_dir, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            str(raw_dir),
            "--mapping",
            str(MAPPING),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--key-file",
            str(tmp_path / "key"),
        ],
    )
    assert result.exit_code == 2 and "keep the key in another folder" in " ".join(result.output.split())


def _ingest(folder, warehouse, *extra):
    args = ["ingest", str(folder), "--mapping", str(MAPPING), "--warehouse", str(warehouse), *extra]
    result = CliRunner().invoke(app, args)
    return result.exit_code, " ".join(result.output.split())


def test_the_key_lives_beside_the_warehouse_whichever_folder_the_command_runs_from(
    raw_dir, tmp_path, monkeypatch
):
    """--key-file defaulted to a path relative to where the command ran: a new key, linkage lost."""
    warehouse = tmp_path / "home" / "warehouse.duckdb"
    monkeypatch.chdir(tmp_path)
    assert _ingest(raw_dir, warehouse)[0] == 0
    key_file = tmp_path / "home" / "secrets" / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert Settings(home=tmp_path / "home", database_url="").pseudonym_key == key_file  # the web's key
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    newer = tmp_path / "newer"
    newer.mkdir()
    spells = pd.read_csv(raw_dir / SPELLS, dtype=str, keep_default_na=False)
    spells.head(5).assign(AGE_ON_ADM="71").to_csv(newer / SPELLS, index=False)
    code, output = _ingest(newer, warehouse, "--partial", "--correction")
    assert code == 0, output
    assert list(elsewhere.iterdir()) == []  # no new key made here
    with duckdb.connect(str(warehouse), read_only=True) as con:  # the same patients, the same pseudonyms
        assert con.execute("SELECT count(DISTINCT patient_id) FROM admissions").fetchall()[0][0] == (
            spells.NHS_NO.nunique()
        )


def test_a_missing_key_for_a_warehouse_with_data_is_an_error(raw_dir, loaded, tmp_path):
    warehouse = tmp_path / "home" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(loaded, warehouse)
    before = _state(warehouse)
    code, output = _ingest(raw_dir, warehouse, "--key-file", str(tmp_path / "lost" / "pseudonym.key"))
    assert code == 2
    assert "no pseudonymisation key here, but" in output and "already holds loaded data" in output
    assert not (tmp_path / "lost" / "pseudonym.key").exists()
    assert _state(warehouse) == before


def test_partial_with_no_matching_file_fails_naming_the_files(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "nhfd_feb.csv").write_text("SPELL_NO\n1\n")
    code, output = _ingest(tmp_path / "raw", tmp_path / "w" / "w.duckdb", "--partial")
    assert code == 2
    assert "none of the mapping's extracts is there" in output
    assert "nhfd_submission.csv" in output and "found nhfd_feb.csv" in output
    assert not (tmp_path / "w" / "w.duckdb").exists()


def test_a_load_that_removes_rows_is_previewed_and_needs_yes_then_can_be_undone(raw_dir, loaded, tmp_path):
    warehouse = tmp_path / "home" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(loaded, warehouse)
    key = tmp_path / "secrets" / "key"
    key.parent.mkdir()
    key.write_text(KEY.hex())
    nhfd = pd.read_csv(raw_dir / "nhfd_submission.csv", dtype=str, keep_default_na=False)
    march = nhfd[nhfd.ARRIVAL_DATETIME.str.startswith("2022-03") & (nhfd.HOSPITAL == "RNS02")]
    (tmp_path / "one").mkdir()
    march.head(1).to_csv(tmp_path / "one" / "nhfd_submission.csv", index=False)
    before = _state(warehouse)
    args = ("--key-file", str(key), "--partial")

    code, output = _ingest(tmp_path / "one", warehouse, *args, "--dry-run")
    assert code == 0 and f"2022-03: 0 added, 0 changed, 1 unchanged, {len(march) - 1} removed" in output
    assert "nothing was loaded" in output and _state(warehouse) == before
    code, output = _ingest(tmp_path / "one", warehouse, *args)
    assert code == 1 and f"would remove {len(march) - 1} row(s)" in output and "--yes" in output
    assert _state(warehouse) == before
    code, output = _ingest(tmp_path / "one", warehouse, *args, "--yes")
    assert code == 0 and "Loaded 1 rows of hip_fractures" in output and "undo-load 2" in output
    assert _state(warehouse) != before

    undone = CliRunner().invoke(app, ["undo-load", "2", "--warehouse", str(warehouse), "--user", "admin"])
    assert undone.exit_code == 0, undone.output
    assert f"restored {len(march)}" in undone.output
    data = {name: state for name, state in _state(warehouse).items() if name in DATASETS}
    assert data == {name: state for name, state in before.items() if name in DATASETS}
    again = CliRunner().invoke(app, ["undo-load", "2", "--warehouse", str(warehouse)])
    assert again.exit_code == 2 and "already undone" in again.output


def test_a_good_load_removes_the_last_refusals_report_and_logs_the_account(raw_dir, tmp_path, monkeypatch):
    """Issue 24: errors/errors.csv of the last failure outlived the load that fixed it, and the log
    said "unknown" where $USER was not set."""
    import getpass

    from stocktake.ingest.run import IngestRequest, run_ingest

    monkeypatch.delenv("USER", raising=False)
    errors = tmp_path / "errors"
    write_error_report([], errors, "the last refusal")
    request = IngestRequest(
        folder=raw_dir,
        mapping=MAPPING,
        warehouse=tmp_path / "home" / "w.duckdb",
        key_file=tmp_path / "secrets" / "k.key",
        errors=errors,
    )
    run_ingest(request)
    assert not (errors / "errors.csv").exists() and not (errors / "errors.html").exists()
    with duckdb.connect(str(request.warehouse), read_only=True) as con:
        users = {row[0] for row in con.execute("SELECT loaded_by FROM ingest_log").fetchall()}
    assert users == {getpass.getuser()}


def test_a_first_dry_run_makes_no_key_and_no_home(raw_dir, tmp_path):
    """An outside check: a dry run from a folder that was not a home wrote stocktake/secrets/
    pseudonym.key there, though a preview keeps nothing."""
    warehouse = tmp_path / "home" / "warehouse.duckdb"
    code, output = _ingest(raw_dir, warehouse, "--dry-run")
    assert code == 0 and "nothing was loaded" in output, output
    assert not (tmp_path / "home").exists()
    assert _ingest(raw_dir, warehouse)[0] == 0  # the load itself makes the key, as before
    assert (tmp_path / "home" / "secrets" / "pseudonym.key").exists()
