"""Other trusts' orders kept in the home (ADR 34): found in both folders, the department's trust
named as the home says, and compared by trust as the command compares them."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from stocktake.files.peer_orders import home_opportunities, peer_order_files, trust_orders
from stocktake.files.procurement import ProcurementFileError
from stocktake.procurement import PriceTarget

COLUMNS = ["line_id", "ordered_on", "site", "item_code", "description", "category", "supplier"]


def _lines(site: str, price: float, quantity: int, prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        [[f"{prefix}{i}", f"2025-0{i}-01", site, "K1", "knee", "implant", "S"] for i in (1, 2)],
        columns=COLUMNS,
    ).assign(unit_price=price, quantity=quantity)


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "northshire"
    home.mkdir()
    own = _lines("General", 100.0, 3, "N")
    own["ordered_on"] = pd.to_datetime(own["ordered_on"])
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.register("incoming", own)
        con.execute("CREATE TABLE procurement AS SELECT * FROM incoming")
    (home / "peers").mkdir()
    (home / "raw" / "peers").mkdir(parents=True)
    _lines("General", 120.0, 2, "S").to_csv(home / "peers" / "southvale.csv", index=False)
    _lines("Main", 110.0, 1, "E").to_csv(home / "raw" / "peers" / "eastbrook.csv", index=False)
    (home / "peers" / "notes.txt").write_text("not orders")
    return home


def test_both_folders_are_read_and_only_csv(home):
    assert peer_order_files(home) == (
        home / "peers" / "southvale.csv",
        home / "raw" / "peers" / "eastbrook.csv",
    )


def test_the_departments_trust_is_named_as_the_home_says(home):
    orders = trust_orders(home / "warehouse.duckdb", peer_order_files(home), "Northshire NHS Trust")
    assert set(orders["trust"]) == {"Northshire NHS Trust", "southvale", "eastbrook"}
    assert set(orders["site"]) == {"Northshire NHS Trust: General", "southvale: General", "eastbrook: Main"}
    with pytest.raises(ProcurementFileError, match="also the trust of a peer's orders file"):
        trust_orders(home / "warehouse.duckdb", peer_order_files(home), "southvale")


def test_by_trust_worked_by_hand(home):
    """K1: Northshire 6 at £100, Eastbrook 2 at £110, Southvale 4 at £120; the best price is £100:
    Southvale saves 4 × 20 = £80, Eastbrook 2 × 10 = £20."""
    found = home_opportunities(
        home / "warehouse.duckdb",
        peer_order_files(home),
        by="trust",
        target=PriceTarget.parse("best"),
        months=None,
    )
    assert [(o.unit, o.potential_saving) for o in found.items] == [("southvale", 80.0), ("eastbrook", 20.0)]
    assert found.item_saving == 100.0 and found.unit == "trust"
    one = home_opportunities(home / "warehouse.duckdb", (), by="site", months=None)
    assert one.item_saving == 0 and one.unit == "site"
    with pytest.raises(ProcurementFileError, match="one trust's"):
        home_opportunities(home / "warehouse.duckdb", (), by="trust")
