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
    loaded = ingest_directory(raw_dir, mapping, warehouse, KEY).files
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
    load.write_tables(warehouse, smaller, [], confirm_removals=True)  # without the crash, it does
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


# Previews, confirmation and undo (issue 22: "An upload silently wipes whole months")

NHFD = "nhfd_submission.csv"
SPELLS = "pas_inpatient_spells.csv"


def _raw(raw_dir, file):
    import pandas as pd

    return pd.read_csv(raw_dir / file, dtype=str, keep_default_na=False)


def _folder(tmp_path, name, **files):
    folder = tmp_path / name
    folder.mkdir()
    for file, frame in files.items():
        frame.to_csv(folder / file.replace("__", "."), index=False)
    return folder


def _fingerprint(warehouse, table):
    """A table's exact content (every row, every column), comparable across loads."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"SELECT count(*), hash(list(t ORDER BY t)) FROM {table} t").fetchall()[0]


def _by_month_and_site(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            (((month, site), n))
            for month, site, n in con.execute(
                "SELECT strftime(arrived_at, '%Y-%m'), site, count(*) FROM hip_fractures GROUP BY 1, 2"
            ).fetchall()
        )


@pytest.fixture
def loaded_warehouse(raw_dir, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    ingest_directory(raw_dir, load_mapping(MAPPING), warehouse, KEY)
    return warehouse


def test_a_one_row_correction_is_previewed_refused_unless_confirmed_and_undone_exactly(
    raw_dir, loaded_warehouse, tmp_path
):
    """The issue's case: a one-row February file. Independent truth: the raw file's own counts."""
    mapping, warehouse = load_mapping(MAPPING), loaded_warehouse
    nhfd = _raw(raw_dir, NHFD)
    february = nhfd[nhfd.ARRIVAL_DATETIME.str.startswith("2022-02") & (nhfd.HOSPITAL == "RNS01")]
    one_row = february.head(1).assign(BONE_HEALTH_ASSESSED="N")  # the correction itself
    assert february.BONE_HEALTH_ASSESSED.iloc[0] == "Y"
    folder = _folder(tmp_path, "correction", nhfd_submission__csv=one_row)
    before, counts = _fingerprint(warehouse, "hip_fractures"), _by_month_and_site(warehouse)

    preview = ingest_directory(folder, mapping, warehouse, KEY, partial=True, dry_run=True)
    assert [(c.month, c.added, c.changed, c.unchanged, c.removed) for c in preview.changes] == [
        ("2022-02", 0, 1, 0, len(february) - 1)
    ]
    assert preview.load_id is None and _fingerprint(warehouse, "hip_fractures") == before

    with pytest.raises(load.RemovalsNotConfirmed) as refused:
        ingest_directory(folder, mapping, warehouse, KEY, partial=True)
    assert refused.value.preview.removed == len(february) - 1
    assert _fingerprint(warehouse, "hip_fractures") == before

    done = ingest_directory(folder, mapping, warehouse, KEY, partial=True, confirm_removals=True)
    after = _by_month_and_site(warehouse)
    assert after[("2022-02", "Northshire General")] == 1
    assert {k: n for k, n in after.items() if k[1] != "Northshire General" or k[0] != "2022-02"} == {
        k: n for k, n in counts.items() if k[1] != "Northshire General" or k[0] != "2022-02"
    }  # only February at the site the file covers

    undone = load.undo_load(warehouse, done.load_id, undone_by="admin")
    assert undone.datasets == {"hip_fractures": (1, len(february))}
    assert _fingerprint(warehouse, "hip_fractures") == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT loaded_by, kind, undoes FROM ingest_log ORDER BY load_id DESC LIMIT 1"
        ).fetchall() == [("admin", "undo", done.load_id)]


def test_a_correction_changes_only_its_rows(raw_dir, loaded_warehouse, tmp_path):
    mapping, warehouse = load_mapping(MAPPING), loaded_warehouse
    nhfd = _raw(raw_dir, NHFD)
    one_row = nhfd.head(1).assign(BONE_HEALTH_ASSESSED="N")
    folder = _folder(tmp_path, "correction", nhfd_submission__csv=one_row)
    counts = _by_month_and_site(warehouse)
    done = ingest_directory(folder, mapping, warehouse, KEY, partial=True, replace="rows")
    assert [(c.added, c.changed, c.removed) for c in done.changes] == [(0, 1, 0)]
    assert _by_month_and_site(warehouse) == counts
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT bone_health_assessed FROM hip_fractures WHERE spell_id = ?", [nhfd.SPELL_NO[0]]
        ).fetchall() == [(False,)]


def test_a_one_site_extract_leaves_the_other_sites_rows(raw_dir, loaded_warehouse, tmp_path):
    """Injected: one site's full extract, less three spells deleted at source."""
    mapping, warehouse = load_mapping(MAPPING), loaded_warehouse
    spells = _raw(raw_dir, SPELLS)
    riverside = spells[spells.SITE_CODE == "RNS02"]
    folder = _folder(tmp_path, "riverside", pas_inpatient_spells__csv=riverside.iloc[3:])
    preview = ingest_directory(folder, mapping, warehouse, KEY, partial=True, dry_run=True)
    assert preview.removed == 3
    assert preview.total("admissions", "unchanged") == len(riverside) - 3
    with pytest.raises(load.RemovalsNotConfirmed):
        ingest_directory(folder, mapping, warehouse, KEY, partial=True)
    ingest_directory(folder, mapping, warehouse, KEY, partial=True, confirm_removals=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_site = dict(con.execute("SELECT site, count(*) FROM admissions GROUP BY 1").fetchall())
    assert by_site == {
        "Northshire General": (spells.SITE_CODE == "RNS01").sum(),
        "Riverside": len(riverside) - 3,
        "Westfield": (spells.SITE_CODE == "RNS03").sum(),
    }


def test_an_export_split_over_two_files_loads_both(raw_dir, tmp_path):
    spells = _raw(raw_dir, SPELLS)
    folder = _folder(
        tmp_path,
        "split",
        pas_inpatient_spells__csv=spells.iloc[:-1111],
        pas_inpatient_spells_2__csv=spells.iloc[-1111:],
    )
    warehouse = tmp_path / "w.duckdb"
    done = ingest_directory(folder, load_mapping(MAPPING), warehouse, KEY, partial=True)
    assert [(f.file, f.rows) for f in done.files] == [
        ("pas_inpatient_spells.csv, pas_inpatient_spells_2.csv", len(spells))
    ]
    assert _row_count(warehouse, "admissions") == len(spells)
    assert already_loaded(
        warehouse,
        folder,
        load_mapping(MAPPING).model_copy(
            update={"datasets": {"admissions": load_mapping(MAPPING).datasets["admissions"]}}
        ),
    )


def test_a_key_in_two_parts_of_a_split_export_is_refused(raw_dir, tmp_path):
    spells = _raw(raw_dir, SPELLS)
    second = spells.iloc[10:20].copy()
    second.iloc[4, second.columns.get_loc("SPELL_NO")] = spells.SPELL_NO[3]
    folder = _folder(
        tmp_path,
        "split",
        pas_inpatient_spells__csv=spells.iloc[:10],
        **{"pas_inpatient_spells (2)__csv": second},
    )
    with pytest.raises(IngestError) as raised:
        ingest_directory(folder, load_mapping(MAPPING), tmp_path / "w.duckdb", KEY, partial=True)
    assert [(e.file, e.row, e.column, e.expected) for e in raised.value.errors] == [
        (
            "pas_inpatient_spells (2).csv",
            6,
            "SPELL_NO",
            "a unique spell_id (pas_inpatient_spells.csv row 5 has it)",
        )
    ]


def test_a_repeated_key_is_named_at_the_row_a_spreadsheet_shows_after_blank_lines(raw_dir, tmp_path):
    spells = _raw(raw_dir, SPELLS)
    second = spells.iloc[10:20].copy()
    second.iloc[4, second.columns.get_loc("SPELL_NO")] = spells.SPELL_NO[3]
    folder = _folder(tmp_path, "split", pas_inpatient_spells__csv=spells.iloc[:10])
    lines = second.to_csv(index=False).splitlines()
    # Two blank lines after the header: the repeated key (the fifth record) is on spreadsheet row 8.
    (folder / "pas_inpatient_spells (2).csv").write_text("\n".join([lines[0], "", "", *lines[1:]]) + "\n")
    with pytest.raises(IngestError) as raised:
        ingest_directory(folder, load_mapping(MAPPING), tmp_path / "w.duckdb", KEY, partial=True)
    assert [(e.file, e.row) for e in raised.value.errors] == [("pas_inpatient_spells (2).csv", 8)]


def test_a_file_merely_starting_with_the_mapped_name_is_not_a_part(tmp_path):
    # Last year's export and a number that is no part number (an NHS number in a name) are not parts.
    others = ("spells_archive.csv", "spells.csv.bak", "spells_2024.csv", "spells_4478365431.csv")
    for name in ("spells.csv", "spells_2.csv", "spells (3).csv", *others):
        (tmp_path / name).write_text("x\n")
    assert [p.name for p in load.extract_files(tmp_path, "spells.csv")] == [
        "spells.csv",
        "spells (3).csv",
        "spells_2.csv",
    ]


def test_a_corrected_mapping_loads_the_same_files_again(raw_dir, loaded_warehouse, tmp_path):
    """'Nothing new' compared only file checksums: fixing a code in the mapping changed nothing."""
    warehouse = loaded_warehouse
    text = MAPPING.read_text().replace("RNS02: Riverside,", "RNS02: Riverside Hospital,", 1)
    assert text != MAPPING.read_text()
    (tmp_path / "mapping.yaml").write_text(text)
    corrected = load_mapping(tmp_path / "mapping.yaml")
    assert not already_loaded(warehouse, raw_dir, corrected)
    done = ingest_directory(raw_dir, corrected, warehouse, KEY)
    assert [f.dataset for f in done.files] == ["admissions"]  # only its mapping changed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sites = {row[0] for row in con.execute("SELECT DISTINCT site FROM admissions").fetchall()}
    assert "Riverside Hospital" in sites and "Riverside" not in sites
    assert already_loaded(warehouse, raw_dir, corrected)


def test_partial_with_no_mapped_file_names_the_files_expected(tmp_path):
    (tmp_path / "spells_march.csv").write_text("x\n")
    with pytest.raises(load.NoExtractsError) as raised:
        ingest_directory(tmp_path, load_mapping(MAPPING), tmp_path / "w.duckdb", KEY, partial=True)
    message = str(raised.value)
    assert "pas_inpatient_spells.csv" in message and "nhfd_submission.csv" in message
    assert "found spells_march.csv" in message


def test_only_the_latest_load_of_a_dataset_can_be_undone(raw_dir, loaded_warehouse, tmp_path):
    mapping, warehouse = load_mapping(MAPPING), loaded_warehouse
    nhfd = _raw(raw_dir, NHFD)
    first = _folder(tmp_path, "first", nhfd_submission__csv=nhfd.head(3).assign(DEAD_30D="Y"))
    second = _folder(tmp_path, "second", nhfd_submission__csv=nhfd.head(3).assign(DEAD_30D="N"))
    one = ingest_directory(first, mapping, warehouse, KEY, partial=True, replace="rows").load_id
    two = ingest_directory(second, mapping, warehouse, KEY, partial=True, replace="rows").load_id
    with pytest.raises(
        load.UndoError, match=f"load {two} loaded hip_fractures after it; undo load {two} first"
    ):
        load.undo_load(warehouse, one)
    undo = load.undo_load(warehouse)
    assert undo.load_id == two  # the latest, by default
    with pytest.raises(load.UndoError, match="already undone"):
        load.undo_load(warehouse, two)
    undo_entry = max(r.load_id for r in load.recent_loads(warehouse))  # the undo's own number
    with pytest.raises(
        load.UndoError, match=f"load {undo_entry}: the undo of load {two}, not a load of data"
    ):
        load.undo_load(warehouse, undo_entry)
    load.undo_load(warehouse, one)
    with pytest.raises(load.UndoError, match="no such load"):
        load.undo_load(warehouse, 999)
    records = load.recent_loads(warehouse)
    assert [(r.load_id, r.kind, r.undone) for r in records[:4]] == [
        (one + 3, "undo", False),
        (one + 2, "undo", False),
        (two, "rows", True),
        (one, "rows", True),
    ]


def test_another_key_than_the_warehouses_is_refused_before_anything_changes(
    raw_dir, loaded_warehouse, tmp_path
):
    """The wrong backup of the key, or another workspace's: each patient would get a second pseudonym."""
    from stocktake.ingest.pseudonymise import MissingKeyError

    spells = _raw(raw_dir, SPELLS)
    folder = _folder(tmp_path, "fix", pas_inpatient_spells__csv=spells.iloc[:1])
    before = _fingerprint(loaded_warehouse, "admissions")
    for dry_run in (True, False):
        with pytest.raises(MissingKeyError, match="another key"):
            ingest_directory(
                folder, load_mapping(MAPPING), loaded_warehouse, b"w" * 32, partial=True,
                replace="rows", dry_run=dry_run,
            )  # fmt: skip
    assert _fingerprint(loaded_warehouse, "admissions") == before
    ingest_directory(folder, load_mapping(MAPPING), loaded_warehouse, KEY, partial=True, replace="rows")


def test_a_mapped_column_blank_in_every_row_is_said_before_loading(raw_dir, loaded_warehouse, tmp_path):
    """An outside check emptied the waiting list's consultant column and loaded it: the preview said
    every row was right, and the consultant drill-downs then had nothing. The preview now says which
    mapped fields are blank in every row; a field with values is not named."""
    from stocktake.ingest.load import blank_line, preview_lines

    ptl = _raw(raw_dir, "rtt_ptl.csv").assign(CONSULTANT="")
    folder = _folder(tmp_path, "blank", rtt_ptl__csv=ptl)
    preview = ingest_directory(
        folder, load_mapping(MAPPING), loaded_warehouse, KEY, partial=True, dry_run=True
    )
    (f,) = preview.files
    assert f.blank == "consultant"
    assert blank_line(f) == (
        "consultant: blank in every row of rtt_ptl.csv, so nothing will be broken down or measured by it"
    )
    assert f"  {blank_line(f)}" in preview_lines(preview)
    whole = ingest_directory(raw_dir, load_mapping(MAPPING), tmp_path / "new.duckdb", KEY, dry_run=True)
    assert next(g.blank for g in whole.files if g.dataset == "rtt_pathways") == ""
    # the first three months of this demo have no virtual clinic yet: said, as a trust's would be
    assert next(g.blank for g in whole.files if g.dataset == "fracture_clinic") == "vfc_reviewed_at"
