"""The board report's "Compared with peers" and "Procurement opportunities" on the demo warehouse
with two injected effects: Riverside paying 20% more for knee systems, and Riverside never assessing
bone health after a hip fracture. Both are found in the HTML, the PDF and the workbook."""

from __future__ import annotations

import re

import duckdb
import openpyxl
import pandas as pd
import pypdfium2
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.report.run import ReportRequest, stock_take

pytestmark = pytest.mark.e2e

SITE, ITEM, MARKUP = "Riverside", "NPC-KNEE-T02", 0.20
BONE = "Bone health assessed after a hip fracture"


@pytest.fixture(scope="module")
def injected(tmp_path_factory) -> tuple:
    tables = generate(Department(seed=11, months=18))
    orders = tables["procurement"]
    hit = (orders["site"] == SITE) & (orders["item_code"] == ITEM)
    orders.loc[hit, "unit_price"] *= 1 + MARKUP
    month = orders["ordered_on"].dt.to_period("M")
    extra = float((orders.loc[hit & (month > month.max() - 12), "quantity"] * 2100.0 * MARKUP).sum())
    hips = tables["hip_fractures"]
    hips.loc[hips["site"] == SITE, "bone_health_assessed"] = False
    path = tmp_path_factory.mktemp("injected") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return path, extra


@pytest.fixture(scope="module")
def report(injected, tmp_path_factory, write_with_section_pdf):
    out = tmp_path_factory.mktemp("out")
    taken = stock_take(ReportRequest(injected[0], out))
    return taken, write_with_section_pdf(taken, out)


def _money(value: float) -> str:
    return f"£{value:,.2f}"


def test_the_stocktake_carries_both_sections(report, injected):
    taken, _ = report
    top = taken.procurement.items[0]
    assert (top.key, top.unit) == (ITEM, SITE)
    assert top.potential_saving == pytest.approx(injected[1], rel=1e-12)
    assert taken.procurement.item_saving == pytest.approx(injected[1], rel=1e-12)
    bone = next(p for p in taken.peers if p.metric.title == BONE)
    [low] = [o for o in bone.outside_limits() if o.group == SITE]
    assert low.value == 0 and not low.high


def test_the_html_lists_the_overpayment_and_the_outlier(report, injected):
    _, paths = report
    page = paths[".html"].read_text()
    procurement = page.split('<h2 id="procurement-title">')[1].split("</section>")[0]
    first = procurement.split("<tbody>")[1].split("</tr>")[0]
    assert ITEM in first and f"<td>{SITE}</td>" in first and _money(injected[1]) in first
    assert f"{SITE} £2,520.00" in first and "Northshire General £2,100.00" in first
    peers = page.split('<h2 id="peers-title">')[1].split("</section>")[0]
    row = re.search(rf"<tr><td>{BONE}</td><td>{SITE}</td>(.*?)</tr>", peers)[1]
    assert '<td class="num">0.0%</td>' in row and "below (worse)" in row


def test_the_pdf_has_both_sections_within_the_page(report, injected):
    _, paths = report
    pdf = pypdfium2.PdfDocument(paths[".pdf"])
    text = " ".join(page.get_textpage().get_text_range() for page in pdf)
    words = " ".join(text.split())
    assert "Compared with peers" in words and "Procurement opportunities" in words
    assert ITEM in words and _money(injected[1]) in words
    for number, page in enumerate(pdf, start=1):
        chars = page.get_textpage()
        rights = [chars.get_charbox(i)[2] for i in range(chars.count_chars())]
        assert max(rights, default=0) <= page.get_width() - 10, f"page {number}"


def test_the_workbook_has_both_sheets_and_no_small_group(report, injected):
    taken, paths = report
    book = openpyxl.load_workbook(paths[".xlsx"])
    items = pd.DataFrame(
        list(book["Procurement items"].values)[1:], columns=next(book["Procurement items"].values)
    )
    assert (items.iloc[0]["Item code"], items.iloc[0]["Site"]) == (ITEM, SITE)
    assert items.iloc[0]["Potential saving (£)"] == pytest.approx(injected[1], abs=0.005)
    sheet = book["Compared with peers"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert any(r[1] == BONE and r[2] == SITE and r[3] == 0 and r[9] == "below" for r in rows)
    listed = {(r[0], r[2]) for r in rows}
    hidden = {(p.metric.id, g) for p in taken.peers for g, h in zip(p.groups, p.hidden, strict=True) if h}
    assert hidden, "the demo has measures with small site counts"
    assert not listed & hidden


def test_a_chosen_month_ends_the_procurement_year_there(injected, tmp_path):
    taken = stock_take(ReportRequest(injected[0], tmp_path, ("html",), period="2023-03"))
    assert (str(taken.procurement.first), str(taken.procurement.last)) == ("2022-04", "2023-03")
    assert all(p.last <= pd.Timestamp("2023-03-31") for p in taken.peers)


def test_a_rates_counts_are_not_written_as_a_share():
    """An outside check read "Operations per theatre list … 5,011 of 1,270" as a proportion."""
    from stocktake.report.board import counts_words

    assert counts_words(34, 400, "%") == "34 of 400"
    assert counts_words(5011, 1270, "cases per list") == "5,011 over 1,270"


def test_the_peers_period_is_each_measures_own_when_they_differ():
    """An outside check read "November 2025 to November 2026", 13 months, where theatres ran December
    to November less a month and the rest a month later."""
    from types import SimpleNamespace

    import pandas as pd

    from stocktake.report.board import peer_period

    def peer(title, first, last):
        return SimpleNamespace(
            metric=SimpleNamespace(title=title), first=pd.Timestamp(first), last=pd.Timestamp(last)
        )

    same = (peer("A", "2025-12-01", "2026-11-01"), peer("B", "2025-12-01", "2026-11-01"))
    assert peer_period(same) == "December 2025 to November 2026"
    mixed = (*same, peer("Theatres", "2025-11-01", "2026-10-01"))
    assert peer_period(mixed) == (
        "Each measure's own latest months (most December 2025 to November 2026; Theatres November 2025 to "
        "October 2026)"
    )
