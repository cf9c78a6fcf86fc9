"""Expected counts kept in the home (ADR 34): read back as kept, private to the home's account, the
counts replaced withdrawn (never deleted) with who and when; a wrong file writes nothing; keeping is
one audit event, and a refused file none."""

from __future__ import annotations

import stat
from datetime import datetime

import pytest
from typer.testing import CliRunner

from stocktake.appdb import actions
from stocktake.appdb.actions import base
from stocktake.files.expected import (
    ExpectedFileError,
    keep_expected,
    kept_expected,
    withdrawn_expected,
)

METRIC = "hipfx_mortality_30d"
FIRST = b"unit,expected\nNorthshire General,12.5\nRiverside,7\n"
SECOND = b"Unit,Expected\nNorthshire General,10\nRiverside,8.25\n"
ONE, TWO = datetime(2026, 12, 1, 9, 0, 0), datetime(2026, 12, 2, 10, 30, 0)


def test_kept_and_read_back(tmp_path):
    kept, withdrawn = keep_expected(tmp_path, METRIC, FIRST, name="case_mix.csv", who="ann", at=ONE)
    assert withdrawn is None
    assert kept.counts == {"Northshire General": 12.5, "Riverside": 7.0}
    again = kept_expected(tmp_path, METRIC)
    assert (again.counts, again.name, again.kept_by, again.at, again.by) == (
        kept.counts,
        "case_mix.csv",
        "ann",
        ONE,
        "site",
    )
    assert again.path == tmp_path / "expected" / "site" / f"{METRIC}.csv"
    assert again.path.read_bytes() == FIRST  # the file as given
    for path in (again.path, again.path.with_suffix(".json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "expected").stat().st_mode) == 0o700
    assert kept_expected(tmp_path, METRIC, "consultant") is None  # each dimension its own
    assert kept_expected(tmp_path, "hipfx_surgery_36h") is None


def test_replacing_withdraws_never_deletes(tmp_path):
    keep_expected(tmp_path, METRIC, FIRST, name="v1.csv", who="ann", at=ONE)
    _, withdrawn = keep_expected(tmp_path, METRIC, SECOND, name="v2.csv", who="bob", at=TWO)
    assert (withdrawn.name, withdrawn.kept_by, withdrawn.withdrawn_by, withdrawn.withdrawn_at) == (
        "v1.csv",
        "ann",
        "bob",
        TWO,
    )
    third = SECOND.replace(b"8.25", b"9")
    keep_expected(tmp_path, METRIC, third, name="v3.csv", who="cat", at=datetime(2026, 12, 3))
    assert kept_expected(tmp_path, METRIC).name == "v3.csv"
    history = withdrawn_expected(tmp_path, METRIC)
    assert [(w.name, w.kept_by, w.withdrawn_by) for w in history] == [
        ("v2.csv", "bob", "cat"),
        ("v1.csv", "ann", "bob"),
    ]
    assert history[1].path.read_bytes() == FIRST and history[0].counts == {
        "Northshire General": 10.0,
        "Riverside": 8.25,
    }


def test_two_withdrawals_in_the_same_second_both_stay(tmp_path):
    for name in ("a.csv", "b.csv", "c.csv"):
        keep_expected(tmp_path, METRIC, FIRST, name=name, who="ann", at=ONE)
    assert sorted(w.name for w in withdrawn_expected(tmp_path, METRIC)) == ["a.csv", "b.csv"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"unit,expected\nRiverside,3\nRiverside,4\n",
            "bad.csv, row 3, column unit: 'Riverside' is listed twice",
        ),
        (
            b"unit,expected\nRiverside,0\n",
            "bad.csv, row 2, column expected: '0'; an expected count must be above 0",
        ),
        (b"unit,expected\nRiverside,many\n", "bad.csv, row 2, column expected: 'many' is not a number"),
        (b"unit,count\nRiverside,3\n", "bad.csv, row 1: no column 'expected'"),
        (b"unit,expected\n,3\n", "bad.csv, row 2, column unit: empty"),
        (b"\xff\xfe", "bad.csv: not a text (CSV) file in UTF-8"),
    ],
)
def test_a_wrong_file_writes_nothing(tmp_path, files_under, content, message):
    keep_expected(tmp_path, METRIC, FIRST, name="good.csv", who="ann", at=ONE)
    before = files_under(tmp_path)
    with pytest.raises(ExpectedFileError) as refused:
        keep_expected(tmp_path, METRIC, content, name="bad.csv", who="bob", at=TWO)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
    assert files_under(tmp_path) == before and kept_expected(tmp_path, METRIC).name == "good.csv"


def test_a_name_that_is_no_measure_is_refused(tmp_path):
    for bad in ("../escape", "Hipfx", ""):
        with pytest.raises(ExpectedFileError, match="not a measure's id"):
            keep_expected(tmp_path, bad, FIRST, name="x.csv", who="ann", at=ONE)
    assert not (tmp_path / "expected").exists() or not any((tmp_path / "expected").rglob("*.csv"))


def test_a_damaged_record_of_who_kept_them_is_one_line(tmp_path):
    kept, _ = keep_expected(tmp_path, METRIC, FIRST, name="x.csv", who="ann", at=ONE)
    kept.path.with_suffix(".json").write_text("{not json")
    with pytest.raises(ExpectedFileError, match=r"\.json: missing or damaged"):
        kept_expected(tmp_path, METRIC)


# --- the action: one audit event, or none -------------------------------------------------------------


def test_keeping_is_one_audit_event_and_a_refusal_none(
    db, audit, editor, empty_home, files_under, monkeypatch
):
    home = empty_home
    before = len(audit())
    monkeypatch.setattr(base, "_now", lambda: ONE)
    actions.keep_expected_counts(db, by=editor, home=home, metric_id=METRIC, content=FIRST, name="v1.csv")
    monkeypatch.setattr(base, "_now", lambda: TWO)
    kept = actions.keep_expected_counts(
        db, by=editor, home=home, metric_id=METRIC, content=SECOND, name="v2.csv"
    )
    assert kept.kept_by == "ed" and kept.at == TWO
    assert audit()[before:] == [
        ("expected_counts_kept", f"metric:{METRIC}", "2 site(s) from v1.csv"),
        (
            "expected_counts_kept",
            f"metric:{METRIC}",
            "2 site(s) from v2.csv; the counts kept by ed on 2026-12-01 withdrawn",
        ),
    ]
    files = files_under(home)
    with pytest.raises(actions.ActionError, match="row 2, column expected"):
        actions.keep_expected_counts(
            db, by=editor, home=home, metric_id=METRIC, content=b"unit,expected\nA,-2\n", name="v3.csv"
        )
    assert len(audit()) == before + 2 and files_under(home) == files


# --- the command ----------------------------------------------------------------------------------------


def test_the_command_keeps_them_and_shows_them(tmp_path, command_home, command_event):
    from stocktake.cli import app

    home = command_home
    file = tmp_path / "case_mix.csv"
    file.write_bytes(FIRST)
    runner = CliRunner()
    done = runner.invoke(app, ["expected", "set", METRIC, str(file), "--home", str(home)])
    assert done.exit_code == 0, done.output
    kept = kept_expected(home, METRIC)
    assert kept.counts == {"Northshire General": 12.5, "Riverside": 7.0} and kept.kept_by.endswith(
        "(command line)"
    )
    event = command_event(home, "expected_counts_kept")
    assert event.user_id is None and event.detail.startswith("2 site(s) from case_mix.csv (by ")
    shown = runner.invoke(app, ["expected", "show", METRIC, "--home", str(home)])
    assert shown.exit_code == 0, shown.output
    # `> expected.csv` reads as the caption on one line, then a CSV with its header (an outside check:
    # the caption wrapped over two lines, the rows without a header)
    caption, *table = shown.stdout.splitlines()
    assert caption.startswith("case_mix.csv: kept by ") and caption.endswith(")")
    assert table == ["unit,expected", "Northshire General,12.5", "Riverside,7"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"unit,expected\nRiverside,none\n")
    refused = runner.invoke(app, ["expected", "set", METRIC, str(bad), "--home", str(home)])
    assert (
        refused.exit_code == 2 and "bad.csv, row 2, column expected: 'none' is not a number" in refused.output
    )
    assert kept_expected(home, METRIC).name == "case_mix.csv"
    not_outcome = runner.invoke(app, ["expected", "set", "hipfx_surgery_36h", str(file), "--home", str(home)])
    assert not_outcome.exit_code == 2 and "not an outcome measure" in not_outcome.output


def test_the_command_checks_counts_for_an_earlier_year_and_says_where_they_are_compared(
    tmp_path, command_home, demo_warehouse
):
    """Counts for the demo's first year (it holds 18 months): checked against those months' cases,
    kept, and said to be compared in a report cut to end with them, not on the page (ADR 54)."""
    import shutil

    from stocktake.cli import app

    home = command_home
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    runner = CliRunner()
    first = ["--from", "2022-04", "--to", "2023-03"]
    too_many = tmp_path / "too_many.csv"
    too_many.write_bytes(b"unit,expected\nNorthshire General,900\nRiverside,10\n")
    refused = runner.invoke(app, ["expected", "set", METRIC, str(too_many), *first, "--home", str(home)])
    assert refused.exit_code == 2 and "more events than Northshire General's" in refused.output
    file = tmp_path / "year.csv"
    file.write_bytes(FIRST)
    done = runner.invoke(app, ["expected", "set", METRIC, str(file), *first, "--home", str(home)])
    said = " ".join(done.output.split())
    assert done.exit_code == 0, done.output
    assert "(for April 2022 to March 2023)" in said
    assert (
        "not the latest 12 months the warehouse holds: compared in a board report cut to end with them"
        in said
    )
    assert "stocktake report --period 2023-03" in said
    assert kept_expected(home, METRIC).months == ("2022-04", "2023-03")
    # months before the workspace's series start (the measure's own rows start earlier, in 2022-02):
    # not said to be compared in a cut report, whose series start where the page's do (a fifth check)
    early = runner.invoke(
        app,
        ["expected", "set", METRIC, str(file), "--from", "2022-02", "--to", "2023-01", "--home", str(home)],
    )
    said = " ".join(early.output.split())
    assert (
        early.exit_code == 0 and "not checked against the data: the warehouse does not hold every one" in said
    )
    assert "compared in a board report cut to end with them" not in said
