"""Other trusts' published figures kept in the home (ADR 39): read back as kept with their source and
period, private to the home's account, the figures replaced withdrawn (never deleted); every wrong
row named, nothing written; keeping is one audit event and a refusal none; the command."""

from __future__ import annotations

import stat
from datetime import datetime

import pytest
from typer.testing import CliRunner

from stocktake.appdb import actions
from stocktake.appdb.actions import base
from stocktake.files.expected import keep_expected, kept_expected
from stocktake.files.peer_figures import (
    PeerFiguresError,
    a_period,
    keep_peer_figures,
    kept_peer_figures,
    parse_peer_figures,
    withdrawn_peer_figures,
)
from stocktake.files.peer_orders import peer_order_files

METRIC = "hipfx_surgery_36h"
FIRST = b"unit,numerator,denominator\nEastfield Hospital,301,412\nWestbrook General,250,398\n"
SECOND = b"Unit,Numerator,Denominator,period_from,period_to\nEastfield Hospital,310,420,2024-01,2024-12\n"
ONE, TWO = datetime(2026, 12, 1, 9, 0, 0), datetime(2026, 12, 2, 10, 30, 0)
SOURCE = "NHFD 2024 annual report, table 3"


def _keep(home, content, *, name="nhfd.csv", who="ann", at=ONE, period=None, own_trust=""):
    return keep_peer_figures(
        home,
        METRIC,
        content,
        name=name,
        source=SOURCE,
        who=who,
        at=at,
        proportion=True,
        own_trust=own_trust,
        period=period,
    )


def test_kept_and_read_back(tmp_path):
    _, withdrawn = _keep(tmp_path, FIRST, period=("2024-01", "2024-12"))
    assert withdrawn is None
    again = kept_peer_figures(tmp_path, METRIC, proportion=True)
    f = again.figures
    assert f.units == ("Eastfield Hospital", "Westbrook General")
    assert (f.numerator, f.denominator, f.period) == ((301, 250), (412, 398), ("2024-01", "2024-12"))
    assert (again.name, again.source, again.kept_by, again.at) == ("nhfd.csv", SOURCE, "ann", ONE)
    assert again.period_words == "January 2024 to December 2024"
    assert again.path == tmp_path / "peers" / "figures" / f"{METRIC}.csv"
    assert again.path.read_bytes() == FIRST  # the file as given
    for path in (again.path, again.path.with_suffix(".json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (tmp_path / "peers", tmp_path / "peers" / "figures"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert kept_peer_figures(tmp_path, "hipfx_mortality_30d") is None


def test_kept_beside_other_trusts_orders_not_read_as_one(tmp_path):
    """HOME/peers/ holds other trusts' orders files (ADR 34); the figures' folder is not one."""
    _keep(tmp_path, FIRST)
    assert peer_order_files(tmp_path) == ()


def test_the_period_from_the_files_columns(tmp_path):
    kept, _ = _keep(tmp_path, SECOND)
    assert kept.figures.period == ("2024-01", "2024-12")
    assert kept_peer_figures(tmp_path, METRIC, proportion=True).figures.period == ("2024-01", "2024-12")


def test_replacing_withdraws_never_deletes(tmp_path):
    _keep(tmp_path, FIRST, name="v1.csv")
    _, withdrawn = _keep(tmp_path, SECOND, name="v2.csv", who="bob", at=TWO)
    assert (withdrawn.name, withdrawn.kept_by, withdrawn.withdrawn_by, withdrawn.withdrawn_at) == (
        "v1.csv",
        "ann",
        "bob",
        TWO,
    )
    _keep(tmp_path, FIRST, name="v3.csv", who="cat", at=datetime(2026, 12, 3))
    assert kept_peer_figures(tmp_path, METRIC).name == "v3.csv"
    history = withdrawn_peer_figures(tmp_path, METRIC)
    assert [(w.name, w.kept_by, w.withdrawn_by, w.source) for w in history] == [
        ("v2.csv", "bob", "cat", SOURCE),
        ("v1.csv", "ann", "bob", SOURCE),
    ]
    assert history[1].path.read_bytes() == FIRST and history[0].figures.period == ("2024-01", "2024-12")


def test_expected_counts_still_kept_as_before(tmp_path):
    """The helpers moved to ``files.kept`` are the ones ``files.expected`` keeps its counts with."""
    keep_expected(tmp_path, "hipfx_mortality_30d", b"unit,expected\nA,2\n", name="e.csv", who="ann", at=ONE)
    keep_expected(tmp_path, "hipfx_mortality_30d", b"unit,expected\nA,3\n", name="f.csv", who="ann", at=TWO)
    kept = kept_expected(tmp_path, "hipfx_mortality_30d")
    assert kept.counts == {"A": 3.0} and stat.S_IMODE(kept.path.stat().st_mode) == 0o600
    assert (tmp_path / "expected" / "site" / "withdrawn").is_dir()


HEADER = "unit,numerator,denominator\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEADER + "Eastfield,420,412\n",
            "bad.csv, row 2, column numerator: '420' is above the denominator (412)",
        ),
        (
            HEADER + "Eastfield,0,0\n",
            "bad.csv, row 2, column denominator: '0'; a denominator must be above 0",
        ),
        (HEADER + "Eastfield,3,-5\n", "bad.csv, row 2, column denominator: '-5'; a count is a whole number"),
        (
            HEADER + "Eastfield,1,10\neastfield ,2,10\n",
            "bad.csv, row 3, column unit: 'eastfield' is listed twice",
        ),
        (
            HEADER + "Northshire NHS Trust,1,10\n",
            "bad.csv, row 2, column unit: 'Northshire NHS Trust' is the department's own trust",
        ),
        (HEADER + "Eastfield,many,10\n", "bad.csv, row 2, column numerator: 'many' is not a number"),
        (HEADER + "Eastfield,2.5,10\n", "bad.csv, row 2, column numerator: '2.5'; a count is a whole number"),
        (HEADER + ",2,10\n", "bad.csv, row 2, column unit: empty"),
        ("unit,events,denominator\nA,1,2\n", "bad.csv, row 1: no column 'numerator'"),
        (HEADER, "bad.csv: no rows"),
        (HEADER.strip() + ",period_from\nA,1,2,2024-01\n", "bad.csv, row 1: no column 'period_to'"),
        (
            HEADER.strip() + ",period_from,period_to\nA,1,2,2024-01,2024-12\nB,1,2,2024-04,2024-12\n",
            "bad.csv, row 3, column period_from: '2024-04', but row 2 says '2024-01'",
        ),
        (
            HEADER.strip() + ",period_from,period_to\nA,1,2,2024-13,2024-12\n",
            "bad.csv, row 2, column period_from: '2024-13' is not a month",
        ),
    ],
)
def test_a_wrong_file_writes_nothing(tmp_path, files_under, text, message):
    _keep(tmp_path, FIRST, name="good.csv")
    before = files_under(tmp_path)
    with pytest.raises(PeerFiguresError) as refused:
        _keep(tmp_path, text.encode(), name="bad.csv", who="bob", at=TWO, own_trust="northshire nhs trust")
    assert refused.value.problems[0].startswith(message) and len(refused.value.problems) == 1
    assert files_under(tmp_path) == before and kept_peer_figures(tmp_path, METRIC).name == "good.csv"


def test_every_problem_is_its_own_line():
    text = HEADER + "A,5,4\nB,1,0\nA,2,3\nC,x,9\n"
    with pytest.raises(PeerFiguresError) as refused:
        parse_peer_figures(text.encode(), "f.csv", proportion=True)
    assert refused.value.problems == [
        "f.csv, row 2, column numerator: '5' is above the denominator (4); a percentage of cases cannot be",
        "f.csv, row 3, column denominator: '0'; a denominator must be above 0",
        "f.csv, row 4, column unit: 'A' is listed twice (first in row 2)",
        "f.csv, row 5, column numerator: 'x' is not a number (a count in digits, e.g. 1234 or 1,234)",
    ]
    assert str(refused.value).count("\n") == 3


def test_a_rate_may_count_more_events_than_its_denominator():
    figures = parse_peer_figures(b"unit,numerator,denominator\nA,150,100\n", proportion=False)
    assert figures.numerator == (150,)


def test_the_period_given_and_the_files_must_agree():
    with pytest.raises(PeerFiguresError, match="but the period given is 2023-04 to 2024-03"):
        parse_peer_figures(SECOND, "f.csv", proportion=True, period=("2023-04", "2024-03"))
    assert a_period("", "") is None and a_period("2024-01", "2024-12") == ("2024-01", "2024-12")
    for first, last, problem in (
        ("2024-01", "", "give both"),
        ("2024-12", "2024-01", "is after"),
        ("24-1", "2024-02", "not a month"),
    ):
        with pytest.raises(PeerFiguresError, match=problem):
            a_period(first, last)


def test_a_source_is_required(tmp_path):
    with pytest.raises(PeerFiguresError, match="Source: name where the figures were published"):
        keep_peer_figures(
            tmp_path, METRIC, FIRST, name="f.csv", source="  ", who="a", at=ONE, proportion=True
        )
    assert not (tmp_path / "peers").exists()


def test_a_name_that_is_no_measure_is_refused(tmp_path):
    for bad in ("../escape", "Hipfx", ""):
        with pytest.raises(PeerFiguresError, match="not a measure's id"):
            keep_peer_figures(
                tmp_path, bad, FIRST, name="x.csv", source=SOURCE, who="a", at=ONE, proportion=True
            )
    assert not any(tmp_path.rglob("*.csv"))


def test_a_damaged_record_of_who_kept_them_is_one_line(tmp_path):
    kept, _ = _keep(tmp_path, FIRST)
    kept.path.with_suffix(".json").write_text("{not json")
    with pytest.raises(PeerFiguresError, match=r"\.json: missing or damaged"):
        kept_peer_figures(tmp_path, METRIC)


# --- the action: one audit event, or none -------------------------------------------------------------


def test_keeping_is_one_audit_event_and_a_refusal_none(
    db, audit, editor, empty_home, files_under, monkeypatch
):
    home = empty_home
    before = len(audit())
    keep = dict(by=editor, home=home, metric_id=METRIC, source=SOURCE, proportion=True)
    monkeypatch.setattr(base, "_now", lambda: ONE)
    actions.keep_peer_figures_for(db, content=FIRST, name="v1.csv", period=("2024-01", "2024-12"), **keep)
    monkeypatch.setattr(base, "_now", lambda: TWO)
    kept = actions.keep_peer_figures_for(db, content=SECOND, name="v2.csv", **keep)
    assert kept.kept_by == "ed" and kept.at == TWO
    assert audit()[before:] == [
        (
            "peer_figures_kept",
            f"metric:{METRIC}",
            f"2 trust(s) from v1.csv ({SOURCE}; January 2024 to December 2024)",
        ),
        (
            "peer_figures_kept",
            f"metric:{METRIC}",
            f"1 trust(s) from v2.csv ({SOURCE}; January 2024 to December 2024); "
            "the figures kept by ed on 2026-12-01 withdrawn",
        ),
    ]
    files = files_under(home)
    with pytest.raises(actions.ActionError, match="row 2, column numerator"):
        actions.keep_peer_figures_for(db, content=HEADER.encode() + b"A,9,3\n", name="v3.csv", **keep)
    assert len(audit()) == before + 2 and files_under(home) == files


# --- the command ----------------------------------------------------------------------------------------


def test_the_command_keeps_them_and_shows_them(tmp_path, command_home, command_event):
    from stocktake.cli import app

    home = command_home
    file = tmp_path / "nhfd.csv"
    file.write_bytes(FIRST)
    runner = CliRunner()
    args = ["peers", "set", METRIC, str(file), "--source", SOURCE, "--from", "2024-01", "--to", "2024-12"]
    done = runner.invoke(app, [*args, "--home", str(home)])
    assert done.exit_code == 0, done.output
    kept = kept_peer_figures(home, METRIC, proportion=True)
    assert kept.figures.units == ("Eastfield Hospital", "Westbrook General")
    assert kept.figures.period == ("2024-01", "2024-12") and kept.kept_by.endswith("(command line)")
    event = command_event(home, "peer_figures_kept")
    assert event.user_id is None and event.detail.startswith(f"2 trust(s) from nhfd.csv ({SOURCE}")
    shown = runner.invoke(app, ["peers", "show", METRIC, "--home", str(home)])
    assert shown.exit_code == 0 and "Eastfield Hospital,301,412" in shown.output and SOURCE in shown.output

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"unit,numerator,denominator\nNorthshire NHS Trust,3,9\nEastfield,10,9\n")
    refused = runner.invoke(app, ["peers", "set", METRIC, str(bad), "--source", "x", "--home", str(home)])
    assert refused.exit_code == 2
    assert (
        "bad.csv, row 2, column unit: 'Northshire NHS Trust' is the department's own trust" in refused.output
    )
    assert "bad.csv, row 3, column numerator: '10' is above the denominator (9)" in refused.output
    assert kept_peer_figures(home, METRIC).name == "nhfd.csv"
    no_period = runner.invoke(
        app, ["peers", "set", METRIC, str(file), "--source", "x", "--from", "2024-01", "--home", str(home)]
    )
    assert no_period.exit_code == 2 and "give both the first and the last month" in no_period.output
    no_funnel = runner.invoke(
        app, ["peers", "set", "hipfx_length_of_stay", str(file), "--source", "x", "--home", str(home)]
    )
    assert no_funnel.exit_code == 2


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1,5", "'1,5' is not a number"),  # a decimal comma, not fifteen
        ("1_0", "'1_0' is not a number"),  # Python's float() reads 10
        ("1e2", "'1e2' is not a number"),
        ("0x1", "'0x1' is not a number"),
        ("£5", "'£5' is not a number"),
        ("50%", "'50%' is not a number"),
        ("1e300", "'1e300' is not a number"),
        ("10,000,001", "'10,000,001'; more than 10,000,000, not one trust's count"),
        ("99999999999999999999", "'99999999999999999999'; more than 10,000,000"),
    ],
)
def test_a_count_is_written_in_digits_and_of_a_trusts_size(cell, message):
    """float() read "1,5" (less its comma) as 15 and "1_0" as 10, and let 1e300 through to break the
    funnel (a 500 on the page, SciPy's brentq in the report): each is now one line."""
    text = f'unit,numerator,denominator\nEastfield,"{cell}",10000000\n'
    with pytest.raises(PeerFiguresError) as refused:
        parse_peer_figures(text.encode(), "f.csv", proportion=False)
    [problem] = refused.value.problems
    assert problem.startswith(f"f.csv, row 2, column numerator: {message}")


def test_thousands_separators_and_the_largest_count_are_read():
    text = b'unit,numerator,denominator\nEastfield,"1,234","10,000,000"\nWestbrook, 7 ,12.0\n'
    figures = parse_peer_figures(text, "f.csv", proportion=True)
    assert figures.numerator == (1234.0, 7.0) and figures.denominator == (10_000_000.0, 12.0)
