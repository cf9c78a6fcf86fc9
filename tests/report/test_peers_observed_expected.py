"""The board report's "Compared with peers" with an outcome measure observed ÷ expected (ADR 34):
expected counts kept in the home reach the HTML, the PDF and the workbook, every figure worked by
hand from the hip-fracture records (deaths counted directly, Byar's bounds and the Poisson lines
written out here), small groups hidden."""

from __future__ import annotations

import math
import re

import duckdb
import openpyxl
import pandas as pd
import pypdfium2
import pytest
from scipy.stats import chi2, norm, poisson

from stocktake.demo.generate import Department, generate
from stocktake.files.expected import keep_expected
from stocktake.report.run import ReportRequest, stock_take, write_stocktake

pytestmark = pytest.mark.e2e

METRIC, TITLE = "hipfx_mortality_30d", "Hip fracture 30-day mortality (crude)"
HIGH, AS_EXPECTED = "Northshire General", "Riverside"


def _deaths(tables) -> pd.Series:
    """Each site's deaths within 30 days over the last 12 months of arrivals whose 30 days have passed
    in the data (the latest month's have not: ADR 74), counted directly."""
    hips = tables["hip_fractures"]
    month = hips["arrived_at"].dt.to_period("M")
    last = month.max() - 1
    recent = hips[(month > last - 12) & (month <= last)]
    return recent.groupby("site")["died_within_30_days"].sum().astype(float)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    tables = generate(Department(seed=7, months=18))
    home = tmp_path_factory.mktemp("home")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    deaths = _deaths(tables)
    # Northshire General died three times as often as its model expects; Riverside as expected.
    expected = {HIGH: deaths[HIGH] / 3, AS_EXPECTED: deaths[AS_EXPECTED]}
    text = "unit,expected\n" + "".join(f"{s},{float(e)!r}\n" for s, e in expected.items())
    keep_expected(
        home, METRIC, text.encode(), name="case_mix.csv", who="a lead", at=pd.Timestamp("2026-12-01")
    )
    return home, deaths, expected


@pytest.fixture(scope="module")
def report(home, tmp_path_factory, write_with_section_pdf):
    out = tmp_path_factory.mktemp("out")
    taken = stock_take(ReportRequest(home[0] / "warehouse.duckdb", out))
    return taken, write_with_section_pdf(taken, out)


def byar_label(observed: float, expected: float) -> str:
    """PHEindicatormethods' label of an indirectly standardised ratio, worked out here: the observed
    count's exact (under 10) or Byar's bounds at 99.8% and 95% against the expected count."""

    def bounds(confidence):
        z = norm.ppf(0.5 + confidence / 2)
        if observed < 10:
            low = chi2.ppf(0.5 - confidence / 2, 2 * observed) / 2 if observed else 0.0
            return low, chi2.ppf(0.5 + confidence / 2, 2 * observed + 2) / 2
        o, s = observed, observed + 1
        return o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3, s * (
            1 - 1 / (9 * s) + z / (3 * math.sqrt(s))
        ) ** 3

    (low_998, high_998), (low_95, high_95) = bounds(0.998), bounds(0.95)
    if low_998 > expected:
        return "High (0.001)"
    if low_95 > expected:
        return "High (0.025)"
    if high_998 < expected:
        return "Low (0.001)"
    if high_95 < expected:
        return "Low (0.025)"
    return "Not significant"


def test_the_hand_worked_case_is_what_it_should_be(home):
    _, deaths, _ = home
    assert deaths[HIGH] >= 10 and deaths[AS_EXPECTED] >= 8  # shown: no small numbers here
    assert byar_label(deaths[HIGH], deaths[HIGH] / 3) == "High (0.001)"
    assert byar_label(deaths[AS_EXPECTED], deaths[AS_EXPECTED]) == "Not significant"


def test_the_stocktake_carries_each_site_observed_over_expected(report, home):
    taken, _ = report
    _, deaths, expected = home
    [compared] = taken.observed_expected
    f = compared.peers.funnel
    assert compared.peers.groups == (HIGH, AS_EXPECTED) and compared.source.startswith(
        "case_mix.csv, kept by a lead"
    )
    for i, site in enumerate(compared.peers.groups):
        assert f.numerator[i] == deaths[site] and f.denominator[i] == pytest.approx(expected[site])
        assert f.value[i] == pytest.approx(deaths[site] / expected[site], rel=1e-12)
        assert f.significance[i] == byar_label(deaths[site], expected[site])
        # The 99.8% lines at its expected count bracket the Poisson tails (scipy.stats, not ours).
        e = expected[site]
        low, high = f.limits.lower_998[i] * e, f.limits.upper_998[i] * e
        if low == 0:  # no lower line: even no deaths is not improbably few
            assert poisson.cdf(0, e) >= 0.001
        else:
            assert poisson.cdf(math.floor(low), e) <= 0.001 <= poisson.cdf(math.ceil(low), e)
        assert poisson.sf(math.ceil(high) - 1, e) <= 0.001 <= poisson.sf(math.floor(high) - 1, e)
    assert not compared.peers.hidden.any()


def test_the_html_shows_the_table(report, home):
    _, paths = report
    _, deaths, expected = home
    peers = paths[".html"].read_text().split('<h2 id="peers-title">')[1].split("</section>")[0]
    assert (
        f"{TITLE}: observed ÷ expected" in peers
        and "case_mix.csv, kept by a lead on 01 December 2026" in peers
    )
    high = re.search(
        rf"<tr><td>{HIGH}</td>(.*?)</tr>", peers.split('<table class="board observed-expected">')[1]
    )[1]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", high)
    assert cells[:3] == [f"{deaths[HIGH]:,.0f}", f"{expected[HIGH]:,.1f}", "3.00"]
    assert cells[-1] == "High (0.001)"
    riverside = re.search(
        rf"<tr><td>{AS_EXPECTED}</td>(.*?)</tr>", peers.split('<table class="board observed-expected">')[1]
    )[1]
    assert "1.00" in riverside and "Not significant" in riverside


def test_the_pdf_has_it(report):
    _, paths = report
    pdf = pypdfium2.PdfDocument(paths[".pdf"])
    text = " ".join(page.get_textpage().get_text_range() for page in pdf)
    flat = re.sub(r"\s+", " ", text)
    assert "Compared with expected" in flat and "High (0.001)" in flat and "Not significant" in flat


def test_the_workbook_has_every_site(report, home):
    _, paths = report
    _, deaths, expected = home
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Observed vs expected"]
    rows = {r[2]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {HIGH, AS_EXPECTED}
    for site, row in rows.items():
        assert row[0] == METRIC and row[3] == deaths[site] and row[4] == pytest.approx(expected[site])
        assert row[5] == pytest.approx(deaths[site] / expected[site], rel=1e-12)
        assert row[10] == byar_label(deaths[site], expected[site])


def test_small_numbers_are_hidden_in_every_format(home, tmp_path):
    """A site with 1–7 deaths: its figures (and the other's, which would give it away) are "*"."""
    _, deaths, _ = home
    small = tmp_path / "small"
    small.mkdir()
    tables = generate(Department(seed=7, months=18))
    hips = tables["hip_fractures"]
    month = hips["arrived_at"].dt.to_period("M")
    riverside_recent = (hips["site"] == AS_EXPECTED) & (month > month.max() - 12)
    dead = hips.index[riverside_recent & hips["died_within_30_days"]]
    hips.loc[dead[3:], "died_within_30_days"] = False  # three deaths left
    with duckdb.connect(str(small / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    text = f"unit,expected\n{HIGH},{deaths[HIGH] / 3}\n{AS_EXPECTED},3.5\n"
    keep_expected(
        small, METRIC, text.encode(), name="case_mix.csv", who="a lead", at=pd.Timestamp("2026-12-01")
    )
    taken = stock_take(ReportRequest(small / "warehouse.duckdb", tmp_path / "out"))
    [compared] = taken.observed_expected
    assert compared.peers.hidden.all()  # the one small site, and its complement
    paths = {p.suffix: p for p in write_stocktake(taken, tmp_path / "out", ("html", "xlsx"))}
    table = paths[".html"].read_text().split("observed ÷ expected by site</caption>")[1].split("</tbody>")[0]
    assert (
        "3.00" not in table
        and f">{deaths[HIGH]:,.0f}<" not in table
        and table.count('<td class="num">*</td>') == 10
    )
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Observed vs expected"]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert row[3:11] == ("*",) * 8


def test_the_demo_keeps_seven_percent_of_each_sites_cases(tmp_path):
    """``demo.expected``: the generator gives every patient a 7% risk, so that is the fair model."""
    from stocktake.demo.expected import DEATH_RISK, NAME, keep_demo_expected
    from stocktake.files.expected import kept_expected
    from stocktake.metrics.catalogue import load_catalogue
    from stocktake.metrics.run import Grain, run_catalogue
    from stocktake.warehouse import connect_ibis

    tables = generate(Department(seed=7, months=18))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    con = connect_ibis(tmp_path / "warehouse.duckdb")
    try:
        by_site = run_catalogue(con, load_catalogue(), Grain(by="site"))
    finally:
        con.disconnect()
    keep_demo_expected(tmp_path, by_site)
    kept = kept_expected(tmp_path, METRIC)
    hips = tables["hip_fractures"]
    month = hips["arrived_at"].dt.to_period("M")
    last = month.max() - 1  # the latest month's 30 days are not in the data (ADR 74)
    cases = hips[(month > last - 12) & (month <= last)].groupby("site").size()
    assert kept.name == NAME and kept.counts == pytest.approx(
        {s: n * DEATH_RISK for s, n in cases.items()}, abs=1e-4
    )
    keep_demo_expected(tmp_path, by_site)  # a second run leaves it alone
    assert kept_expected(tmp_path, METRIC).at == kept.at
    assert not (tmp_path / "expected" / "site" / "withdrawn").exists()


# --- issue 28: what the outsider found ----------------------------------------------------------------


def _warehouse(folder, tables):
    folder.mkdir()
    with duckdb.connect(str(folder / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return folder


def _oe_table(html: str) -> str:
    return html.split("observed ÷ expected by site</caption>")[1].split("</tbody>")[0]


def test_a_small_site_without_expected_counts_hides_its_complement_here_too(tmp_path):
    """The outsider's case: a third site with 5 deaths in the year and no expected count. The peer
    table hides it and Riverside (the next smallest); the O/E table must hide Riverside too, or its
    deaths and Northshire's, taken from the department's total, give the small site's away."""
    tables = generate(Department(seed=7, months=18))
    hips = tables["hip_fractures"]
    last = hips["arrived_at"].max().to_period("M") - 1  # the latest whose 30 days are in (ADR 74)
    small = hips[hips["arrived_at"].dt.to_period("M") == last].head(60).copy()
    small = small.assign(
        site="Eastbrook",
        spell_id=[f"EB{i:07d}" for i in range(len(small))],
        died_within_30_days=[i < 5 for i in range(len(small))],
    )
    tables["hip_fractures"] = pd.concat([hips, small], ignore_index=True)
    home = _warehouse(tmp_path / "three", tables)
    deaths = _deaths(tables)
    assert deaths["Eastbrook"] == 5 and deaths[AS_EXPECTED] > 7 and deaths[HIGH] > 7
    text = f"unit,expected\n{HIGH},{deaths[HIGH] / 3}\n{AS_EXPECTED},{deaths[AS_EXPECTED]}\n"
    keep_expected(home, METRIC, text.encode(), name="two.csv", who="a lead", at=pd.Timestamp("2026-12-01"))
    taken = stock_take(ReportRequest(home / "warehouse.duckdb", tmp_path / "out"))
    [compared] = taken.observed_expected
    hidden = dict(zip(compared.peers.groups, compared.peers.hidden, strict=True))
    assert hidden == {HIGH: False, AS_EXPECTED: True} and compared.without_expected == ("Eastbrook",)
    paths = {p.suffix: p for p in write_stocktake(taken, tmp_path / "out", ("html", "xlsx"))}
    table = _oe_table(paths[".html"].read_text())
    riverside = table.split(f"<td>{AS_EXPECTED}</td>")[1].split("</tr>")[0]
    assert riverside.count('<td class="num">*</td>') == 5 and f">{deaths[AS_EXPECTED]:,.0f}<" not in riverside
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Observed vs expected"]
    rows = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[AS_EXPECTED][3:11] == ("*",) * 8 and rows[HIGH][3] == deaths[HIGH]
    # What stays unknown after the total less every count shown is two sites' deaths, never one's.
    shown = {HIGH}
    assert set(deaths.index) - shown == {AS_EXPECTED, "Eastbrook"}


def test_kept_counts_matching_no_site_are_said_not_left_out(tmp_path):
    """Counts kept for units the data does not have (kept before the check on keeping, or by hand):
    the report says there is no comparison and names both sides, in the HTML and the workbook."""
    tables = generate(Department(seed=7, months=18))
    other = _warehouse(tmp_path / "nowhere", tables)
    keep_expected(
        other,
        METRIC,
        b"unit,expected\nNowhere,24\nElsewhere,15\n",
        name="not_ours.csv",
        who="a lead",
        at=pd.Timestamp("2026-12-01"),
    )
    taken = stock_take(ReportRequest(other / "warehouse.duckdb", tmp_path / "out"))
    [compared] = taken.observed_expected
    assert compared.peers.groups == () and compared.not_in_data == ("Nowhere", "Elsewhere")
    assert set(compared.without_expected) == {HIGH, AS_EXPECTED}
    paths = {p.suffix: p for p in write_stocktake(taken, tmp_path / "out", ("html", "xlsx"))}
    html = paths[".html"].read_text()
    section = html.split(f'id="observed-expected-{METRIC}"')[1].split("<h3")[0]
    assert "Not compared: the expected counts kept match 0 site(s)" in section
    assert "Nowhere, Elsewhere" in section and "not_ours.csv" in section
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Observed vs expected"]
    [row] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert row[0] == METRIC and row[10].startswith("Not compared")
