"""The Procurement page on the demo warehouse with one site overpaying for an item: that site and
item at the top with the overpayment as its saving, every site's price shown, the workbook read back,
downloads logged and views not."""

from __future__ import annotations

import io
import re

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from stocktake.appdb.models import AuditEvent
from stocktake.demo.generate import Department, generate
from stocktake.workspace import Workspace

SITE, ITEM, MARKUP = "Riverside", "NPC-KNEE-T02", 0.20


@pytest.fixture(scope="module")
def overpayment(tmp_path_factory) -> tuple:
    """A demo warehouse where Riverside pays 20% more for knee systems, and what that cost in the
    last 12 months ordered (the other sites pay £2,100: the target)."""
    tables = generate(Department(seed=11, months=18))
    orders = tables["procurement"]
    hit = (orders["site"] == SITE) & (orders["item_code"] == ITEM)
    orders.loc[hit, "unit_price"] *= 1 + MARKUP
    month = orders["ordered_on"].dt.to_period("M")
    recent = hit & (month > month.max() - 12)
    extra = float((orders.loc[recent, "quantity"] * 2100.0 * MARKUP).sum())
    path = tmp_path_factory.mktemp("overpaid") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    assert extra > 10_000
    return path, extra, int(orders.loc[recent, "quantity"].sum())


@pytest.fixture(scope="module")
def demo_warehouse(overpayment):  # conftest's app (and so its clients) is built on this one here
    return overpayment[0]


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return db.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _money(value: float) -> str:
    return f"£{value:,.2f}"


def test_the_overpaying_site_and_item_top_the_page_with_their_evidence(clients, overpayment):
    _, extra, quantity = overpayment
    page = clients["viewer"].get("/procurement")
    assert page.status_code == 200
    items = page.text.split("<h2>Largest savings by item</h2>")[1].split("<h2>Largest savings by like")[0]
    first_row = items.split('<tr class="nhsuk-table__row">')[1].split("</tr>")[0]
    assert ITEM in first_row and f'<td class="nhsuk-table__cell">{SITE}</td>' in first_row
    assert _money(extra) in first_row
    assert _money(2520.0) in first_row and _money(2100.0) in first_row  # its price and the target
    # every site's price and quantity, cheapest first: the evidence
    evidence = re.findall(r"<li>([^<]*)</li>", first_row)
    assert evidence[-1] == f"{SITE} {_money(2520.0)} ({quantity:,})"
    assert sorted(e.split(" £")[0] for e in evidence[:-1]) == ["Northshire General", "Westfield"]
    assert all(f"{_money(2100.0)} (" in e for e in evidence[:-1])
    assert items.count('<tr class="nhsuk-table__row">') == 1  # nothing else saves anything
    assert f'Potential saving by item</dt><dd class="nhsuk-summary-list__value">{_money(extra)}' in page.text
    assert 'href="/procurement"' in page.text  # in the navigation


def test_another_target_changes_nothing_when_the_others_pay_alike_and_a_bad_one_is_refused(
    clients, overpayment
):
    median = clients["viewer"].get("/procurement", params={"percentile": "median"})
    # Median of £2,100, £2,100, £2,520 is £2,100: the same saving.
    assert _money(overpayment[1]) in median.text and "the median price per unit" in median.text
    assert clients["viewer"].get("/procurement", params={"percentile": "cheapest"}).status_code == 422


def test_viewing_is_not_logged_and_the_download_is_and_reads_back(app, clients, overpayment):
    _, extra, quantity = overpayment
    viewed_before = len(_events(app, "procurement_downloaded"))
    clients["viewer"].get("/procurement")
    assert len(_events(app, "procurement_downloaded")) == viewed_before
    answer = clients["viewer"].get("/procurement/opportunities.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith(
        'attachment; filename="procurement-opportunities-'
    )
    logged = _events(app, "procurement_downloaded")
    assert len(logged) == viewed_before + 1 and logged[-1].subject == "procurement:opportunities"
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["About", "Items", "Categories"]
    items = pd.DataFrame(list(book["Items"].values)[1:], columns=next(book["Items"].values))
    assert len(items) == 1
    top = items.iloc[0]
    assert (top["Item code"], top["Site"], top["Quantity"]) == (ITEM, SITE, quantity)
    assert top["Potential saving (£)"] == pytest.approx(extra, abs=0.005)
    assert (top["Price per unit (£)"], top["Target price (£)"]) == (2520, 2100)
    about = {row[0]: row[1] for row in book["About"].iter_rows(min_row=2, values_only=True)}
    assert about["Potential saving, items (£)"] == pytest.approx(extra, abs=0.005)
    assert about["Target"] == "the 10th percentile of the price per unit"


def test_a_flood_of_downloads_is_capped_in_the_audit_log(app, clients, overpayment):
    """An outside check: 35 downloads in a minute wrote 35 rows, where every other log a client can
    fire at will is capped (the rest go to the server's log on standard error)."""
    from stocktake.appdb.actions import REFUSALS_LOGGED_PER_MINUTE

    for _ in range(REFUSALS_LOGGED_PER_MINUTE + 5):
        assert clients["viewer"].get("/procurement/opportunities.xlsx").status_code == 200
    assert len(_events(app, "procurement_downloaded")) <= REFUSALS_LOGGED_PER_MINUTE


def test_a_warehouse_without_orders_says_so(app, clients, tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(app.state.workspace.warehouse.read_bytes())
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE procurement")
    monkeypatch.setattr(app.state, "workspace", Workspace(path, app.state.settings.catalogue))
    page = clients["viewer"].get("/procurement")
    assert page.status_code == 200 and "No procurement orders are loaded" in page.text
    assert clients["viewer"].get("/procurement/opportunities.xlsx").status_code == 404
