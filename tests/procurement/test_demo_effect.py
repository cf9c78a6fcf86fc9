"""An effect injected into the demo's orders is found: one site paying 20% more for an item saves the
overpayment, and nothing else shows a saving (the demo's sites all pay one price per item)."""

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.generate import Department, generate
from stocktake.procurement import item_savings

runner = CliRunner()
SITE, ITEM, MARKUP = "Riverside", "NPC-KNEE-T02", 0.20


@pytest.fixture(scope="module")
def overpaying() -> tuple[pd.DataFrame, float]:
    """The demo's orders with Riverside paying 20% more for knee systems, and the overpayment."""
    orders = generate(Department(seed=5, months=14))["procurement"]
    hit = (orders["site"] == SITE) & (orders["item_code"] == ITEM)
    overpayment = float((orders.loc[hit, "unit_price"] * MARKUP * orders.loc[hit, "quantity"]).sum())
    orders = orders.assign(unit_price=orders["unit_price"].where(~hit, orders["unit_price"] * (1 + MARKUP)))
    assert hit.sum() > 20 and overpayment > 10_000  # a real effect, not a handful of lines
    return orders, overpayment


def test_the_overpaying_site_saves_its_overpayment(overpaying):
    orders, overpayment = overpaying
    savings = item_savings(orders)
    # Three sites: two at £2,100, one at £2,520. The 10th percentile sits 0.2 of the way from the
    # cheapest to the second cheapest, both £2,100: the target is the price the others pay.
    top = savings.table.iloc[0]
    assert (top["item_code"], top["site"]) == (ITEM, SITE)
    assert top["target_price"] == pytest.approx(2100.0)
    assert top["potential_saving"] == pytest.approx(overpayment, rel=1e-12)
    assert savings.total_saving == pytest.approx(overpayment, rel=1e-12)


def test_through_a_warehouse_and_the_command(overpaying, tmp_path):
    orders, overpayment = overpaying
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.register("incoming", orders)
        con.execute("CREATE TABLE procurement AS SELECT * FROM incoming")
    out = tmp_path / "savings.csv"
    result = runner.invoke(app, ["procurement", "savings", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table.iloc[-1]["item_code"] == "Total"
    assert table.iloc[-1]["potential_saving"] == pytest.approx(overpayment, abs=0.005)
    assert table.iloc[0]["site"] == SITE
