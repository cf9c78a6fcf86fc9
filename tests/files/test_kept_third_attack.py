"""Issue 28, the third outside review of the files kept in the home: a period written by hand into
a figures file's record ("zzz", "2024-13", backwards) is damage, said with ADR 42's wording, and
withdrawn history with one is skipped; an expected-counts file that cannot be read at all (EIO) is
damaged and replaceable; a folder where a kept file should be is named from the home with the fix;
damaged withdrawn expected counts are skipped as damaged withdrawn figures are."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from stocktake.files.expected import (
    ExpectedFileError,
    keep_expected,
    kept_expected,
    withdrawn_expected,
)
from stocktake.files.peer_figures import (
    PeerFiguresError,
    damaged_words,
    keep_peer_figures,
    kept_peer_figures,
    withdrawn_peer_figures,
)

METRIC = "hipfx_surgery_36h"
OUTCOME = "hipfx_mortality_30d"
FIGURES = b"unit,numerator,denominator\nEastfield Hospital,301,412\nWestbrook General,250,398\n"
OTHER = b"unit,numerator,denominator\nEastfield Hospital,310,420\n"
COUNTS, NEWER = b"unit,expected\nNorth,12.5\nSouth,20\n", b"unit,expected\nNorth,11\nSouth,21\n"
ONE, TWO = datetime(2026, 12, 1, 9, 0, 0), datetime(2026, 12, 2, 10, 30, 0)
KEPT = f"peers/figures/{METRIC}"
BAD_PERIODS = {
    "text": ("zzz", "zzz"),
    "month-13": ("2024-13", "2025-01"),
    "backwards": ("2025-02", "2024-04"),
}


def _keep_figures(home, content=FIGURES, at=ONE, name="nhfd.csv"):
    return keep_peer_figures(
        home,
        METRIC,
        content,
        name=name,
        source="NHFD",
        who="ann",
        at=at,
        proportion=True,
        period=("2024-04", "2025-02"),
    )


def _write_period(path, first, last):
    about = json.loads(path.read_text())
    path.write_text(json.dumps(about | {"period_from": first, "period_to": last}))


@pytest.mark.parametrize("bad", BAD_PERIODS)
def test_a_bad_period_in_kept_figures_is_damage_named_from_the_home(tmp_path, bad):
    _keep_figures(tmp_path)
    _write_period(tmp_path / f"{KEPT}.json", *BAD_PERIODS[bad])
    with pytest.raises(PeerFiguresError) as refused:
        kept_peer_figures(tmp_path, METRIC, proportion=True)
    assert refused.value.file == f"{KEPT}.json" and str(tmp_path) not in str(refused.value)
    assert damaged_words(tmp_path, refused.value) == (
        f"peer figures file damaged: {KEPT}.json; replace it with stocktake peers set"
    )


@pytest.mark.parametrize("bad", BAD_PERIODS)
def test_a_keep_over_a_bad_period_withdraws_it_as_damaged_and_history_skips_one(tmp_path, bad):
    _keep_figures(tmp_path)
    _write_period(tmp_path / f"{KEPT}.json", *BAD_PERIODS[bad])
    _, withdrawn = _keep_figures(tmp_path, OTHER, at=TWO, name="new.csv")
    assert withdrawn is None and kept_peer_figures(tmp_path, METRIC, proportion=True).name == "new.csv"
    assert withdrawn_peer_figures(tmp_path, METRIC, proportion=True) == []  # moved aside as damaged
    # history written before the period was checked: skipped, the current figures still read
    folder = tmp_path / "peers" / "figures" / "withdrawn"
    (folder / f"{METRIC}.20260101T000000.csv").write_bytes(FIGURES)
    (folder / f"{METRIC}.20260101T000000.json").write_text(
        json.dumps(
            {
                "name": "old.csv",
                "source": "s",
                "by": "x",
                "at": "2026-01-01T00:00:00",
                "period_from": BAD_PERIODS[bad][0],
                "period_to": BAD_PERIODS[bad][1],
            }
        )
    )
    assert withdrawn_peer_figures(tmp_path, METRIC, proportion=True) == []


def test_unreadable_expected_counts_are_damaged_and_replaceable(tmp_path):
    keep_expected(tmp_path, OUTCOME, COUNTS, name="cm.csv", who="ann", at=ONE)
    kept = tmp_path / "expected" / "site" / f"{OUTCOME}.csv"
    kept.unlink()
    kept.symlink_to("/proc/self/mem")  # reading it fails with EIO, as a failing disk would
    with pytest.raises(
        ExpectedFileError, match=rf"^expected/site/{OUTCOME}\.csv: missing or cannot be read$"
    ):
        kept_expected(tmp_path, OUTCOME)
    _, withdrawn = keep_expected(tmp_path, OUTCOME, NEWER, name="new.csv", who="ann", at=TWO)
    assert withdrawn is None and kept_expected(tmp_path, OUTCOME).counts == {"North": 11.0, "South": 21.0}
    names = sorted(p.name for p in (tmp_path / "expected" / "site" / "withdrawn").iterdir())
    assert f"{OUTCOME}.damaged.20261202T103000.csv" in names


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_folder_where_figures_should_be_is_named_with_the_fix(tmp_path, suffix):
    _keep_figures(tmp_path)
    obstacle = tmp_path / f"{KEPT}{suffix}"
    obstacle.unlink()
    obstacle.mkdir()
    wording = rf"^{KEPT}\{suffix}: a folder where a kept file should be; move or rename it"
    with pytest.raises(PeerFiguresError, match=wording) as read:
        kept_peer_figures(tmp_path, METRIC, proportion=True)
    assert read.value.file == f"{KEPT}{suffix}"
    with pytest.raises(PeerFiguresError, match=wording):
        _keep_figures(tmp_path, OTHER, at=TWO)
    assert obstacle.is_dir()  # a folder is its owner's to move


def test_folders_where_both_figures_files_should_be_are_damage_not_nothing(tmp_path):
    folder = tmp_path / "peers" / "figures"
    (folder / f"{METRIC}.csv").mkdir(parents=True)
    (folder / f"{METRIC}.json").mkdir()
    with pytest.raises(PeerFiguresError, match="a folder where a kept file should be"):
        kept_peer_figures(tmp_path, METRIC, proportion=True)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_folder_where_expected_counts_should_be_is_named_with_the_fix(tmp_path, suffix):
    keep_expected(tmp_path, OUTCOME, COUNTS, name="cm.csv", who="ann", at=ONE)
    obstacle = tmp_path / "expected" / "site" / f"{OUTCOME}{suffix}"
    obstacle.unlink()
    obstacle.mkdir()
    wording = rf"^expected/site/{OUTCOME}\{suffix}: a folder where a kept file should be; move or rename it"
    with pytest.raises(ExpectedFileError, match=wording):
        kept_expected(tmp_path, OUTCOME)
    with pytest.raises(ExpectedFileError, match=wording):
        keep_expected(tmp_path, OUTCOME, NEWER, name="new.csv", who="ann", at=TWO)


@pytest.mark.parametrize("damage", [b"{not json", b"[1, 2]", b'{"name": "x"}'])
def test_damaged_expected_history_is_skipped_the_current_counts_read(tmp_path, damage):
    keep_expected(tmp_path, OUTCOME, COUNTS, name="cm.csv", who="ann", at=ONE)
    keep_expected(tmp_path, OUTCOME, NEWER, name="new.csv", who="ann", at=TWO)
    (old,) = (tmp_path / "expected" / "site" / "withdrawn").glob("*.json")
    old.write_bytes(damage)
    assert withdrawn_expected(tmp_path, OUTCOME) == []
    assert kept_expected(tmp_path, OUTCOME).name == "new.csv"


@pytest.mark.parametrize("bad", BAD_PERIODS)
def test_a_bad_period_made_any_other_way_is_worded_not_a_crash(bad):
    from stocktake.files.peer_figures import period_words

    assert period_words(BAD_PERIODS[bad]) == "period not readable"
    assert period_words(None) == "period not given"
    assert period_words(("2024-04", "2025-02")) == "April 2024 to February 2025"


# --- the commands -----------------------------------------------------------------------------------------


def _peers_show(home):
    from typer.testing import CliRunner

    from stocktake.cli import app

    return CliRunner().invoke(app, ["peers", "show", METRIC, "--home", str(home)])


def test_peers_show_prints_whole_lines_in_order(command_home):
    home = command_home
    _keep_figures(home)
    _keep_figures(home, OTHER, at=TWO, name="new.csv")
    shown = _peers_show(home)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.endswith("\n")
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("new.csv (NHFD; April 2024 to February 2025): kept by ann")
    assert lines[1:3] == ["unit,numerator,denominator", "Eastfield Hospital,310,420"]
    assert lines[3].startswith("withdrawn: nhfd.csv (NHFD), kept by ann") and len(lines) == 4


@pytest.mark.parametrize("bad", BAD_PERIODS)
def test_peers_show_says_a_bad_period_is_damage_never_a_traceback(command_home, bad):
    _keep_figures(command_home)
    _write_period(command_home / f"{KEPT}.json", *BAD_PERIODS[bad])
    shown = _peers_show(command_home)
    assert shown.exit_code == 2 and isinstance(shown.exception, SystemExit)
    said = " ".join(shown.output.split())
    assert f"peer figures file damaged: {KEPT}.json; replace it with stocktake peers set" in said


@pytest.mark.parametrize("written", ["1e3", "1E3", "1_000", "1000%"])
def test_stocktake_funnel_reads_numbers_as_peer_figures_do(tmp_path, written):
    """``stocktake funnel`` read 1e3 as 1000 where a figures file refuses it: one reader now."""
    from typer.testing import CliRunner

    from stocktake.cli import app
    from stocktake.files.peer_figures import written_number

    assert written_number(written) is None
    data = tmp_path / "in.csv"
    data.write_text(f"u,n,d\nA,3,10\nB,2,{written}\n")
    args = [data, "--unit", "u", "--numerator", "n", "--denominator", "d", "--out", tmp_path / "o.csv"]
    result = CliRunner().invoke(app, ["funnel", *map(str, args)])
    assert result.exit_code == 2 and f"row 3, column d: '{written}' is not a number" in result.output
    assert written_number("1,000") == 1000.0 == written_number("1000")
