"""Issue 28, outsiders' findings on the board report's comparisons: a crude rate by trust with our
counts hidden and no events among the other trusts says there is no funnel (it stopped the report);
a damaged file of other trusts' figures, or of expected counts, kept in the home no longer stops the
report: the section names it from the home and says how to replace it; a period of one month reads
"June 2024", not "June 2024 to June 2024"."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import openpyxl
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.files.expected import keep_expected
from stocktake.files.peer_figures import keep_peer_figures
from stocktake.report.run import ReportRequest, stock_take, write_stocktake

pytestmark = pytest.mark.e2e

OWN = "Northshire NHS Trust"
RATE, HIP, DEATHS = "theatre_cases_per_list", "hipfx_surgery_36h", "hipfx_mortality_30d"
AT = datetime(2026, 12, 1, 9, 0)


def _warehouse(home, tables) -> None:
    home.mkdir(exist_ok=True)
    (home / "stocktake.toml").write_text(f'department = "Trauma & Orthopaedics"\ntrust = "{OWN}"\n')
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")


def _keep(home, metric, text: str, *, proportion: bool, period=None) -> None:
    keep_peer_figures(
        home,
        metric,
        text.encode(),
        name="figures.csv",
        source="GIRFT pack",
        who="a lead",
        at=AT,
        proportion=proportion,
        period=period,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The demo department with three operations in one month, and three kept files: other trusts'
    operations per list (no events) for that month, their hip-fracture figures with a damaged record
    of who kept them, and expected deaths by site whose counts file is damaged."""
    tables = generate(Department(seed=7, months=18))
    sessions, cases = tables["theatre_sessions"], tables["theatre_cases"]
    month = sessions["date"].dt.to_period("M").max() - 5
    in_month = set(sessions.loc[sessions["date"].dt.to_period("M") == month, "session_id"])
    ours = cases[cases["session_id"].isin(in_month) & ~cases["cancelled_on_day"].astype(bool)].index[:3]
    keep = ~cases["session_id"].isin(in_month) | cases.index.isin(ours)
    tables["theatre_cases"] = cases[keep].reset_index(drop=True)
    home = tmp_path_factory.mktemp("home")
    _warehouse(home, tables)
    zeros = "unit,numerator,denominator\nEastfield Hospital,0,40\nWestbrook General,0,60\n"
    _keep(home, RATE, zeros, proportion=False, period=(str(month), str(month)))
    _keep(home, HIP, "unit,numerator,denominator\nEastfield Hospital,300,400\n", proportion=True)
    (home / "peers" / "figures" / f"{HIP}.json").write_text("{not json")
    keep_expected(home, DEATHS, b"unit,expected\nNorthshire General,4.5\n", name="e.csv", who="a", at=AT)
    (home / "expected" / "site" / f"{DEATHS}.csv").write_bytes(b"unit,expected\nA,many\n")
    out = tmp_path_factory.mktemp("out")
    taken = stock_take(ReportRequest(home / "warehouse.duckdb", out))
    paths = {p.suffix: p for p in write_stocktake(taken, out, ("html", "xlsx"))}
    return taken, paths, home, month


def test_the_report_is_written_with_every_comparison(report):
    taken, paths, *_ = report
    assert {c.metric.id for c in taken.trusts} == {RATE, HIP}
    assert [o.peers.metric.id for o in taken.observed_expected] == [DEATHS]
    assert set(paths) == {".html", ".xlsx"}


def test_the_rate_with_ours_hidden_says_no_funnel_in_one_month(report):
    taken, paths, _, month = report
    [rate] = [c for c in taken.trusts if c.metric.id == RATE]
    assert rate.hidden and rate.funnel is None and rate.period == f"{month:%B %Y}"
    html = paths[".html"].read_text()
    cells = re.findall(
        r"<td[^>]*>([^<]*)</td>", re.search(rf'<tr id="other-trusts-{RATE}">(.*?)</tr>', html)[1]
    )
    assert cells[1:3] == ["*", "*"] and cells[4:7] == ["*", "*", "* among 3 trusts"]
    assert cells[7] == f"GIRFT pack: {month:%B %Y}; ours {month:%B %Y}"  # not "June 2024 to June 2024"
    note = re.search(rf'<p class="muted" id="other-trusts-note-{RATE}">([^<]*)</p>', html)[1]
    assert note.endswith(": no events among the other trusts, so no funnel can be drawn.")


def test_a_damaged_peer_figures_file_is_named_from_the_home(report):
    taken, paths, home, *_ = report
    [hip] = [c for c in taken.trusts if c.metric.id == HIP]
    assert hip.damaged and hip.funnel is None
    html = paths[".html"].read_text()
    said = f"peer figures file damaged: peers/figures/{HIP}.json; replace it with stocktake peers set"
    note = re.search(rf'<p class="muted" id="other-trusts-note-{HIP}">([^<]*)</p>', html)[1]
    assert note.endswith(f": {said}.")
    assert str(home) not in html
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Other trusts"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert (
        rows[HIP][11] == said
        and rows[RATE][11] == "no events among the other trusts, so no funnel can be drawn"
    )
    assert all(str(home) not in str(v) for r in rows.values() for v in r)


def test_a_damaged_expected_counts_file_is_named_from_the_home(report):
    taken, paths, home, *_ = report
    [deaths] = taken.observed_expected
    assert deaths.note.startswith(f"Not compared: expected counts file damaged (expected/site/{DEATHS}.csv")
    assert deaths.note.endswith("replace it with stocktake expected set")
    html = paths[".html"].read_text()
    assert f"expected counts file damaged (expected/site/{DEATHS}.csv" in html and str(home) not in html
