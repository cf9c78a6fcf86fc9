"""The board report's "Compared with other trusts" (ADR 39): other trusts' figures kept in the home
and the department's own counted from its records over the same months reach the HTML, the PDF
and the workbook; every figure worked by hand (the hip-fracture records counted directly, the lines
θ ± z·√(θ(1 − θ)/n) with SciPy's normal quantiles); our small numbers hidden; the demo's synthetic
figures."""

from __future__ import annotations

import math
import re
import statistics

import duckdb
import openpyxl
import pandas as pd
import pypdfium2
import pytest
from scipy.stats import norm

from stocktake.demo.generate import Department, generate
from stocktake.files.peer_figures import keep_peer_figures
from stocktake.report.run import ReportRequest, stock_take, write_stocktake

pytestmark = pytest.mark.e2e

METRIC, TITLE = "hipfx_surgery_36h", "Hip fracture surgery within 36 hours of arrival"
OWN = "Northshire NHS Trust"
SOURCE = "NHFD 2024 annual report, table 3"
PEERS = {"Eastfield Hospital": (300, 400), "Westbrook General": (150, 300), "Southport Royal": (520, 640)}


def _warehouse(home, tables) -> None:
    home.mkdir(exist_ok=True)
    (home / "stocktake.toml").write_text(f'department = "Trauma & Orthopaedics"\ntrust = "{OWN}"\n')
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")


def _keep(home, period: tuple[str, str]) -> None:
    text = "unit,numerator,denominator\n" + "".join(f"{u},{n},{d}\n" for u, (n, d) in PEERS.items())
    keep_peer_figures(
        home,
        METRIC,
        text.encode(),
        name="nhfd.csv",
        source=SOURCE,
        who="a lead",
        at=pd.Timestamp("2026-12-01").to_pydatetime(),
        proportion=True,
        own_trust=OWN,
        period=period,
    )


def in_time(hips: pd.DataFrame, months: pd.PeriodIndex) -> tuple[int, int]:
    """Patients operated on within 36 hours of arrival, and all patients, arriving in ``months``."""
    chosen = hips[hips["arrived_at"].dt.to_period("M").isin(months)]
    hours = (chosen["surgery_at"] - chosen["arrived_at"]).dt.total_seconds() / 3600
    return int((hours <= 36).sum()), len(chosen)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    tables = generate(Department(seed=7, months=18))
    home = tmp_path_factory.mktemp("home")
    _warehouse(home, tables)
    arrived = tables["hip_fractures"]["arrived_at"].dt.to_period("M")
    # the figures' months: the six before the latest three, all held by the warehouse
    months = pd.period_range(arrived.max() - 8, arrived.max() - 3, freq="M")
    _keep(home, (str(months[0]), str(months[-1])))
    met, cases = in_time(tables["hip_fractures"], months)
    return home, months, met, cases


@pytest.fixture(scope="module")
def report(case, tmp_path_factory, write_with_section_pdf):
    out = tmp_path_factory.mktemp("out")
    taken = stock_take(ReportRequest(case[0] / "warehouse.duckdb", out))
    return taken, write_with_section_pdf(taken, out)


def by_hand(met: int, cases: int) -> dict:
    """Our value, the average over every trust, the lines at our size and our label."""
    events, total = met + sum(n for n, _ in PEERS.values()), cases + sum(d for _, d in PEERS.values())
    theta, spread = events / total, math.sqrt(events / total * (1 - events / total) / cases)
    lines = {
        level: (100 * (theta - norm.ppf(q) * spread), 100 * (theta + norm.ppf(q) * spread))
        for level, q in (("95", 0.975), ("998", 0.999))
    }
    p = met / cases
    label = "Not significant"
    for level, tail in (("998", "0.001"), ("95", "0.025")):
        if label == "Not significant" and 100 * p > lines[level][1]:
            label = f"High ({tail})"
        elif label == "Not significant" and 100 * p < lines[level][0]:
            label = f"Low ({tail})"
    median = statistics.median(100 * n / d for n, d in PEERS.values())
    return {"value": 100 * p, "lines": lines, "label": label, "median": median}


def test_the_stocktake_places_our_trust_among_them(report, case):
    taken, _ = report
    _, months, met, cases = case
    [compared] = taken.trusts
    f, i = compared.funnel, compared.own_index
    hand = by_hand(met, cases)
    assert compared.own == OWN and compared.units == (*PEERS, OWN) and compared.source == SOURCE
    assert (f.numerator[i], f.denominator[i]) == (met, cases) and cases > 7
    assert f.value[i] == pytest.approx(hand["value"]) and compared.label == hand["label"]
    limits = compared.limits()
    assert (limits["lower_95"], limits["upper_95"]) == pytest.approx(hand["lines"]["95"], abs=1e-9)
    assert (limits["lower_998"], limits["upper_998"]) == pytest.approx(hand["lines"]["998"], abs=1e-9)
    assert compared.peers_median == pytest.approx(hand["median"])
    assert compared.mismatch == "" and compared.first == months[0].to_timestamp()


def test_the_html_shows_it(report, case):
    _, paths = report
    _, months, met, cases = case
    hand = by_hand(met, cases)
    section = paths[".html"].read_text().split('<h2 id="peers-title">')[1].split("</section>")[0]
    assert '<h3 id="other-trusts">Compared with other trusts</h3>' in section
    cells = re.findall(
        r"<td[^>]*>([^<]*)</td>", re.search(rf'<tr id="other-trusts-{METRIC}">(.*?)</tr>', section)[1]
    )
    low95, high95 = hand["lines"]["95"]
    low998, high998 = hand["lines"]["998"]
    assert cells == [
        TITLE,
        f"{hand['value']:.1f}%",
        f"{met:,} of {cases:,}",
        f"{hand['median']:.1f}%",
        f"{low95:.1f}% to {high95:.1f}%",
        f"{low998:.1f}% to {high998:.1f}%",
        f"{hand['label']} among 4 trusts",
        f"{SOURCE}: {months[0]:%B %Y} to {months[-1]:%B %Y}; ours {months[0]:%B %Y} to {months[-1]:%B %Y}",
    ]


def test_the_pdf_has_it(report):
    _, paths = report
    pdf = pypdfium2.PdfDocument(paths[".pdf"])
    flat = re.sub(r"\s+", " ", " ".join(page.get_textpage().get_text_range() for page in pdf))
    assert "Compared with other trusts" in flat and "among 4 trusts" in flat and "NHFD 2024 annual" in flat


def test_the_workbook_has_it(report, case):
    _, paths = report
    _, months, met, cases = case
    hand = by_hand(met, cases)
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Other trusts"]
    [row] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert row[:6] == (METRIC, TITLE, OWN, pytest.approx(hand["value"]), met, cases)
    assert row[6] == pytest.approx(hand["median"])
    assert row[7:11] == pytest.approx((*hand["lines"]["95"], *hand["lines"]["998"]), abs=1e-9)
    assert row[11:13] == (hand["label"], 4)
    assert (
        row[15] == f"{months[0]:%B %Y} to {months[-1]:%B %Y}" and row[16] in ("", None) and row[17] == SOURCE
    )


def test_our_small_numbers_are_hidden_in_every_format(tmp_path):
    """Five of our patients in the figures' month: our value, counts, limits and label are "*"."""
    tables = generate(Department(seed=7, months=18))
    hips = tables["hip_fractures"]
    arrived = hips["arrived_at"].dt.to_period("M")
    month = arrived.max() - 5
    dropped = hips.index[arrived == month][5:]
    tables["hip_fractures"] = hips.drop(index=dropped).reset_index(drop=True)
    home = tmp_path / "home"
    _warehouse(home, tables)
    _keep(home, (str(month), str(month)))
    taken = stock_take(ReportRequest(home / "warehouse.duckdb", tmp_path / "out"))
    [compared] = taken.trusts
    assert compared.hidden and compared.funnel.denominator[-1] == 5
    paths = {p.suffix: p for p in write_stocktake(taken, tmp_path / "out", ("html", "xlsx"))}
    row = re.search(rf'<tr id="other-trusts-{METRIC}">(.*?)</tr>', paths[".html"].read_text())[1]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[1:3] == ["*", "*"] and cells[4:6] == ["*", "*"]
    assert cells[6] == "* among 4 trusts"
    sheet = openpyxl.load_workbook(paths[".xlsx"])["Other trusts"]
    [values] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values[3:6] == ("*",) * 3 and values[7:12] == ("*",) * 5


def test_the_demo_keeps_synthetic_figures_once(tmp_path):
    """``demo.peers``: eleven invented trusts over the department's latest 12 months, labelled synthetic."""
    from stocktake.demo.peers import NAME, keep_demo_peers
    from stocktake.files.peer_figures import kept_peer_figures
    from stocktake.metrics.catalogue import load_catalogue
    from stocktake.metrics.run import run_catalogue
    from stocktake.warehouse import connect_ibis

    tables = generate(Department(seed=7, months=18))
    _warehouse(tmp_path, tables)
    con = connect_ibis(tmp_path / "warehouse.duckdb")
    try:
        series = run_catalogue(con, load_catalogue())
    finally:
        con.disconnect()
    keep_demo_peers(tmp_path, series)
    kept = kept_peer_figures(tmp_path, METRIC, proportion=True)
    months = sorted(series[METRIC]["period"])[-12:]
    assert kept.name == NAME and "SYNTHETIC" in kept.source and len(kept.figures.units) == 11
    assert all("Synthetic" in u for u in kept.figures.units)
    assert kept.figures.period == (f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}")
    keep_demo_peers(tmp_path, series)  # a second run leaves it alone
    assert kept_peer_figures(tmp_path, METRIC).at == kept.at
    taken = stock_take(ReportRequest(tmp_path / "warehouse.duckdb", tmp_path / "out"))
    [compared] = taken.trusts
    labels = compared.funnel.significance
    assert labels[0].startswith("High") and labels[1].startswith("Low")  # the two placed beyond the lines
