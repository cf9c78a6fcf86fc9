"""Issue 28, what outsiders found in other trusts' figures kept in the home: a damaged file kept before
(its record of who kept it, or the figures themselves) no obstacle to replacing it, by the function,
the action or `stocktake peers set`, and named from the home, never by an absolute path; one trust
written with other spaces or case never two trusts, nor the department's own another's."""

from __future__ import annotations

import pytest
from test_peer_figures import FIRST, METRIC, ONE, SOURCE, TWO
from typer.testing import CliRunner

from stocktake.appdb import actions
from stocktake.appdb.actions import base
from stocktake.cli import app
from stocktake.files.expected import keep_expected
from stocktake.files.peer_figures import (
    PeerFiguresError,
    keep_peer_figures,
    kept_peer_figures,
    parse_peer_figures,
    withdrawn_peer_figures,
)

SECOND = b"unit,numerator,denominator\nEastfield Hospital,310,420\n"
KEPT = f"peers/figures/{METRIC}"
# what each kind of damage leaves, and the file a message names (from the home)
DAMAGE = {
    "json": (".json", b"{not json", f"{KEPT}.json"),
    "json-list": (".json", b"[1, 2]", f"{KEPT}.json"),
    "csv": (".csv", b"unit,numerator\nEastfield,1\n", f"{KEPT}.csv"),
    "csv-binary": (".csv", b"\xff\xfe\x00garbage", f"{KEPT}.csv"),
}


def _keep(home, content, *, at=ONE, name="nhfd.csv", own_trust=""):
    return keep_peer_figures(
        home,
        METRIC,
        content,
        name=name,
        source=SOURCE,
        who="ann",
        at=at,
        proportion=True,
        own_trust=own_trust,
    )


def _damaged(home, damage: str) -> tuple[bytes, str]:
    """Figures kept, then one of their two files damaged: the damaged bytes and the file named."""
    _keep(home, FIRST)
    suffix, wrong, named = DAMAGE[damage]
    (home / f"{KEPT}{suffix}").write_bytes(wrong)
    return wrong, named


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_figures_are_named_from_the_home(tmp_path, damage):
    _, named = _damaged(tmp_path, damage)
    with pytest.raises(PeerFiguresError) as refused:
        kept_peer_figures(tmp_path, METRIC, proportion=True)
    assert refused.value.file == named
    assert str(refused.value).startswith(named) and str(tmp_path) not in str(refused.value)


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_new_keep_replaces_damaged_figures_keeping_them_in_withdrawn(tmp_path, damage):
    wrong, _ = _damaged(tmp_path, damage)
    kept, withdrawn = _keep(tmp_path, SECOND, at=TWO, name="new.csv")
    assert withdrawn is None and kept.figures.units == ("Eastfield Hospital",)
    assert kept_peer_figures(tmp_path, METRIC, proportion=True).name == "new.csv"
    folder = tmp_path / "peers" / "figures" / "withdrawn"
    stamp = TWO.strftime("%Y%m%dT%H%M%S")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{METRIC}.damaged.{stamp}.{s}" for s in ("csv", "json", "txt")]
    suffix = DAMAGE[damage][0]
    assert (folder / f"{METRIC}.damaged.{stamp}{suffix}").read_bytes() == wrong  # byte for byte
    note = (folder / f"{METRIC}.damaged.{stamp}.txt").read_text()
    assert note.startswith("Damaged: peers/figures/") and "new.csv was kept in its place" in note
    assert str(tmp_path) not in note
    assert withdrawn_peer_figures(tmp_path, METRIC, proportion=True) == []  # not read back as figures


def test_a_damaged_withdrawn_file_does_not_hide_the_kept_ones(tmp_path):
    _keep(tmp_path, FIRST)
    _keep(tmp_path, SECOND, at=TWO)
    [old] = withdrawn_peer_figures(tmp_path, METRIC, proportion=True)
    old.path.with_suffix(".json").write_text("{not json")
    assert kept_peer_figures(tmp_path, METRIC, proportion=True).figures.units == ("Eastfield Hospital",)
    assert withdrawn_peer_figures(tmp_path, METRIC, proportion=True) == []
    assert old.path.is_file()  # never deleted


def test_the_action_replaces_damaged_figures_with_one_event(db, audit, empty_home, monkeypatch):
    home = empty_home
    _damaged(home, "json")
    monkeypatch.setattr(base, "_now", lambda: TWO)
    kept = actions.keep_peer_figures_for(
        db, by=None, home=home, metric_id=METRIC, content=SECOND, name="b.csv", source=SOURCE, proportion=True
    )
    assert kept.name == "b.csv"
    [detail] = [d for action, _, d in audit() if action == "peer_figures_kept"]
    assert detail.startswith(
        f"1 trust(s) from b.csv ({SOURCE}; period not given); the damaged figures kept before withdrawn"
    )


def test_the_command_replaces_a_damaged_file_and_names_no_absolute_path(tmp_path, command_home):
    home = command_home
    _damaged(home, "json")
    runner = CliRunner()
    shown = runner.invoke(app, ["peers", "show", METRIC, "--home", str(home)])
    said = " ".join(shown.output.split())
    assert shown.exit_code == 2
    assert f"peer figures file damaged: {KEPT}.json; replace it with stocktake peers set" in said
    assert str(home) not in said and str(tmp_path) not in said
    file = tmp_path / "new.csv"
    file.write_bytes(SECOND)
    done = runner.invoke(app, ["peers", "set", METRIC, str(file), "--source", SOURCE, "--home", str(home)])
    assert done.exit_code == 0, done.output
    assert kept_peer_figures(home, METRIC, proportion=True).name == "new.csv"
    said = " ".join(done.output.split())
    assert f"→ {KEPT}.csv" in said and str(home) not in said
    assert runner.invoke(app, ["peers", "show", METRIC, "--home", str(home)]).exit_code == 0


def test_the_expected_command_names_no_absolute_path(tmp_path, command_home):
    home = command_home
    file = tmp_path / "e.csv"
    file.write_bytes(b"unit,expected\nRiverside,4.5\n")
    runner = CliRunner()
    done = runner.invoke(app, ["expected", "set", "hipfx_mortality_30d", str(file), "--home", str(home)])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "→ expected/site/hipfx_mortality_30d.csv" in said and str(home) not in said
    # a damaged kept file is replaced by the command too
    (home / "expected" / "site" / "hipfx_mortality_30d.json").write_text("{not json")
    shown = runner.invoke(app, ["expected", "show", "hipfx_mortality_30d", "--home", str(home)])
    assert shown.exit_code == 2 and "expected/site/hipfx_mortality_30d.json" in shown.output
    assert str(home) not in shown.output
    again = runner.invoke(app, ["expected", "set", "hipfx_mortality_30d", str(file), "--home", str(home)])
    assert again.exit_code == 0, again.output


def test_expected_counts_kept_beside_are_untouched(tmp_path):
    keep_expected(tmp_path, "hipfx_mortality_30d", b"unit,expected\nA,2\n", name="e.csv", who="a", at=ONE)
    _damaged(tmp_path, "csv")
    _keep(tmp_path, SECOND, at=TWO)
    assert (tmp_path / "expected" / "site" / "hipfx_mortality_30d.csv").read_bytes() == (
        b"unit,expected\nA,2\n"
    )


# --- one trust, however it is written -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "again"),
    [("Royal  Devon", "Royal Devon "), ("Royal Devon", "ROYAL DEVON"), (" royal\tdevon", "Royal Devon")],
)
def test_a_trust_written_twice_in_other_spaces_or_case_is_refused_naming_both_rows(first, again):
    text = f"unit,numerator,denominator\n{first},1,10\nEastfield,2,10\n{again},3,10\n"
    with pytest.raises(PeerFiguresError) as refused:
        parse_peer_figures(text.encode(), "f.csv", proportion=True)
    [problem] = refused.value.problems
    assert problem.startswith(f"f.csv, row 4, column unit: {again.strip()!r} is listed twice (first in row 2")
    assert repr(first.strip()) in problem  # both rows' names, as written


def test_a_name_is_kept_with_its_spaces_collapsed():
    figures = parse_peer_figures(b"unit,numerator,denominator\n Royal   Devon ,1,10\n", proportion=True)
    assert figures.units == ("Royal Devon",)


@pytest.mark.parametrize(
    "written", ["northshire  nhs trust", "NORTHSHIRE NHS TRUST", " Northshire NHS\tTrust"]
)
def test_the_departments_own_trust_in_other_spaces_or_case_is_refused(written):
    text = f"unit,numerator,denominator\n{written},1,10\n"
    with pytest.raises(PeerFiguresError, match="is the department's own trust"):
        parse_peer_figures(text.encode(), "f.csv", proportion=True, own_trust="Northshire  NHS Trust ")
