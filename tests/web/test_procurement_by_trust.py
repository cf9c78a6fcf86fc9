"""The Procurement page by trust (issue 28): with another trust's orders kept in the home, the page
offers "by trust" and finds what ``stocktake procurement savings --by trust`` finds on the same
orders; here the peer's knee-system markup, worked by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app as cli
from stocktake.demo.export import write_peer_orders
from stocktake.demo.generate import PEER_ITEM, PEER_MARKUP, PEER_TRUST

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_warehouse(orders_department):  # conftest's app (and so its clients) is built on this one here
    return orders_department[0]


@pytest.fixture(scope="module")
def peer_file(app, orders_department):
    """The second trust's orders kept in the home's peers folder."""
    return write_peer_orders(orders_department[1], app.state.settings.home / "peers" / "southvale.csv")


def _cli_total(app, peer_file, tmp_path, *more) -> float:
    out = tmp_path / "savings.csv"
    warehouse = app.state.settings.home / "warehouse.duckdb"
    args = ["procurement", "savings", "--warehouse", str(warehouse), "--orders", str(peer_file)]
    result = runner.invoke(cli, [*args, "--by", "trust", "--out", str(out), *more])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    return float(table[table.iloc[:, 0] == "Total"]["potential_saving"].iloc[0])


def _summary(page: str, key: str) -> str:
    return re.search(rf"{key}</dt><dd class=\"nhsuk-summary-list__value\">(£[0-9,.]+)", page)[1]


def test_no_trust_choice_without_a_peer(clients, app):
    assert not (app.state.settings.home / "peers").exists()
    page = clients["viewer"].get("/procurement").text
    assert 'id="by"' not in page
    assert "no trust to compare" in clients["viewer"].get("/procurement?by=trust").text


def test_the_page_by_trust_agrees_with_the_command(clients, app, peer_file, tmp_path):
    page = clients["viewer"].get("/procurement")
    assert '<option value="trust"' in page.text
    by_trust = clients["viewer"].get("/procurement?by=trust&percentile=best&months=all")
    assert by_trust.status_code == 200, by_trust.text
    text = by_trust.text
    # by hand: the peer pays 12% over the department's £2,100 for every knee system it buys
    peer = pd.read_csv(peer_file)
    knee = peer[peer["item_code"] == PEER_ITEM]
    quantity, price = float(knee["quantity"].sum()), float(knee["unit_price"].iloc[0])
    overpayment = quantity * (price - 2100.0)
    assert price == pytest.approx(2100 * (1 + PEER_MARKUP))
    item_total = _cli_total(app, peer_file, tmp_path, "--percentile", "best")
    assert item_total == pytest.approx(overpayment, abs=0.005)
    assert _summary(text, "Potential saving by item") == f"£{item_total:,.2f}"
    first = text.split("Largest savings by item", 1)[1].split("<tbody")[1].split("</tr>")[0]
    assert PEER_ITEM in first and PEER_TRUST in first and f"£{overpayment:,.2f}" in first
    category_total = _cli_total(
        app,
        peer_file,
        tmp_path,
        "--percentile",
        "best",
        "--level",
        "category",
        "--category-column",
        "description",
    )
    assert _summary(text, "Potential saving by like-for-like products") == f"£{category_total:,.2f}"


def test_the_default_tenth_percentile_by_trust_over_every_month(clients, app, peer_file, tmp_path):
    text = clients["viewer"].get("/procurement?by=trust&months=all").text
    total = _cli_total(app, peer_file, tmp_path)
    assert _summary(text, "Potential saving by item") == f"£{total:,.2f}"
    assert "£2,125.20" in text  # a tenth of the way from £2,100 to £2,352


def test_the_workbook_by_trust(clients, peer_file):
    from io import BytesIO

    from openpyxl import load_workbook

    answer = clients["viewer"].get("/procurement/opportunities.xlsx?by=trust&percentile=best&months=all")
    assert answer.status_code == 200
    items = load_workbook(BytesIO(answer.content))["Items"]
    header = [c.value for c in items[1]]
    assert "Trust" in header
    row = [c.value for c in items[2]]
    assert row[0] == PEER_ITEM and row[header.index("Trust")] == PEER_TRUST


def test_a_bad_unit_or_period_is_refused(clients):
    assert clients["viewer"].get("/procurement?by=consultant").status_code == 422
    assert clients["viewer"].get("/procurement?months=7").status_code == 422
