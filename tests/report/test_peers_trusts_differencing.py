"""Issue 28, third outside review: our trust's counts over the other trusts' period differenced
against another total of the same measure the board shows. On the demo's department, with peer
figures kept for April 2024 to February 2025, "Other trusts" gave our 37 deaths of 511 and observed ÷
expected gave 25 + 17 = 42 deaths over April 2024 to March 2025: March's 5, which the Series sheet
hides. Our counts are now hidden there, as 1–7 are (``verdicts.trusts.differenced``). Since 30-day
deaths wait for their 30 days' follow-up (ADR 74) the measure ends in February 2025, so the peers'
period here is a month earlier: March 2024 to January 2025, our 37 of 503 beside observed ÷ expected's
40 over March 2024 to February 2025, February's 3 between them."""

from __future__ import annotations

import duckdb
import openpyxl
import pandas as pd
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.files.expected import keep_expected
from stocktake.files.peer_figures import keep_peer_figures
from stocktake.report.run import ReportRequest, stock_take, write_stocktake

pytestmark = pytest.mark.e2e

METRIC = "hipfx_mortality_30d"
OWN = "Northshire NHS Trust"
PEERS = b"unit,numerator,denominator\nPeer A,3,50\nPeer B,4,60\nPeer C,2,40\n"
PERIOD = ("2024-03", "2025-01")
AT = pd.Timestamp("2026-12-01").to_pydatetime()


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    tables = generate(Department())  # the demo's department: April 2022 to March 2025
    home = tmp_path_factory.mktemp("home")
    (home / "stocktake.toml").write_text(f'department = "Trauma & Orthopaedics"\ntrust = "{OWN}"\n')
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    keep_expected(
        home,
        METRIC,
        b"unit,expected\nNorthshire General,24.08\nRiverside,15.33\n",
        name="case_mix.csv",
        who="a lead",
        at=AT,
    )
    keep_peer_figures(
        home,
        METRIC,
        PEERS,
        name="nhfd.csv",
        source="NHFD",
        who="a lead",
        at=AT,
        proportion=True,
        own_trust=OWN,
        period=PERIOD,
    )
    hips = tables["hip_fractures"]
    month = hips["arrived_at"].dt.to_period("M")
    deaths = hips.groupby(month)["died_within_30_days"].sum()
    cases = hips.groupby(month).size()
    return home, deaths, cases


@pytest.fixture(scope="module")
def report(case, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    taken = stock_take(ReportRequest(case[0] / "warehouse.duckdb", out))
    return taken, {p.suffix: p for p in write_stocktake(taken, out, ("html", "xlsx"))}


def test_the_attackers_numbers_counted_from_the_records(case):
    _, deaths, cases = case
    ours = pd.period_range(*PERIOD, freq="M")
    year = pd.period_range("2024-03", "2025-02", freq="M")
    # what "Other trusts" showed, what observed ÷ expected's sites sum to, and March between them
    assert (deaths[ours].sum(), cases[ours].sum()) == (37, 503)
    assert deaths[year].sum() == 40 and deaths[pd.Period("2025-02", "M")] == 3


def test_our_counts_are_hidden_where_the_difference_would_give_march_away(report):
    taken, paths = report
    [observed] = [o for o in taken.observed_expected if o.peers.metric.id == METRIC]
    assert observed.peers.funnel.numerator.sum() == 40 and not observed.peers.hidden.any()
    [trusts] = [t for t in taken.trusts if t.metric.id == METRIC]
    assert trusts.hidden and trusts.label == "*" and "by subtraction: not shown" in trusts.sentence()
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Other trusts"]
    header, *rows = sheet.iter_rows(values_only=True)
    [row] = [dict(zip(header, r, strict=True)) for r in rows if r[0] == METRIC]
    assert (row["Our value"], row["Our events"], row["Our cases"]) == ("*", "*", "*")
    html = paths[".html"].read_text()
    row_html = html.split(f'<tr id="other-trusts-{METRIC}">')[1].split("</tr>")[0]
    assert "37" not in row_html and "503" not in row_html
