"""The demo's second trust: its orders sit beside the department's extracts, and comparing the two
trusts finds exactly the overpayment injected (it pays 12% more for the knee system, nothing else)."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.export import PEER_ORDERS, export
from stocktake.demo.generate import (
    PEER_ITEM,
    PEER_MARKUP,
    PEER_TRUST,
    Department,
    generate,
    peer_trust_orders,
)
from stocktake.demo.run import MAPPING
from stocktake.ingest.load import ingest_directory
from stocktake.ingest.mapping import load_mapping

runner = CliRunner()
DEPARTMENT = Department(seed=5, months=6)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A demo home: the raw exports (with the peer's orders beside them) loaded into a warehouse."""
    home = tmp_path_factory.mktemp("northshire")
    mapping = load_mapping(MAPPING)
    export(generate(DEPARTMENT), mapping, home / "raw")
    ingest_directory(home / "raw", mapping, home / "warehouse.duckdb", b"k" * 32, confirm_removals=True)
    return home


def test_the_peer_buys_the_same_items_at_the_same_prices_but_one():
    orders = generate(DEPARTMENT)["procurement"]
    peer = peer_trust_orders(orders)
    assert set(peer["trust"]) == {PEER_TRUST} and peer["line_id"].is_unique
    assert set(peer["item_code"]) == set(orders["item_code"])
    prices = peer.groupby("item_code")["unit_price"].unique()
    theirs = orders.groupby("item_code")["unit_price"].unique()
    for item in prices.index:
        expected = [round(p * (1 + PEER_MARKUP), 2) if item == PEER_ITEM else p for p in theirs[item]]
        assert sorted(prices[item]) == sorted(expected), item
    assert 0.7 < peer["quantity"].sum() / orders["quantity"].sum() < 0.9
    # The same seed, the same peer; the department's own tables drawn as before.
    pd.testing.assert_frame_equal(peer, peer_trust_orders(generate(DEPARTMENT)["procurement"]))


def test_the_peer_file_is_outside_the_mapping(home):
    assert (home / "raw" / PEER_ORDERS).is_file()
    names = {spec.file for spec in load_mapping(MAPPING).datasets.values()}
    assert PEER_ORDERS.name not in names and PEER_ORDERS.parent.name == "peers"


def _savings(home, tmp_path, *more) -> pd.DataFrame:
    out = tmp_path / "savings.csv"
    result = runner.invoke(
        app,
        [
            "procurement",
            "savings",
            "--warehouse",
            str(home / "warehouse.duckdb"),
            "--orders",
            str(home / "raw" / PEER_ORDERS),
            "--by",
            "trust",
            "--out",
            str(out),
            *more,
        ],
    )
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)


def _peer_knee(home) -> tuple[float, float]:
    peer = pd.read_csv(home / "raw" / PEER_ORDERS)
    knee = peer[peer["item_code"] == PEER_ITEM]
    return float(knee["quantity"].sum()), float(knee["unit_price"].iloc[0])


def test_against_the_cheapest_trust_the_saving_is_exactly_the_markup(home, tmp_path):
    table = _savings(home, tmp_path, "--percentile", "best")
    quantity, price = _peer_knee(home)
    overpayment = quantity * (price - price / (1 + PEER_MARKUP))  # 12% of the department's £2,100
    assert price == pytest.approx(2100 * 1.12)
    saving = table[(table["potential_saving"] > 0) & (table["item_code"] != "Total")]
    assert list(zip(saving["item_code"], saving["trust"], strict=True)) == [(PEER_ITEM, PEER_TRUST)]
    assert saving["potential_saving"].iloc[0] == pytest.approx(overpayment, abs=0.005)
    assert table.iloc[-1]["potential_saving"] == pytest.approx(overpayment, abs=0.005)
    assert set(table["trust"].dropna()) == {PEER_TRUST, home.name}


def test_against_the_tenth_percentile_of_two_trusts(home, tmp_path):
    """Two trusts' prices, £2,100 and £2,352: the 10th percentile sits a tenth of the way between,
    £2,125.20, so the peer's saving is nine tenths of its overpayment."""
    table = _savings(home, tmp_path)
    quantity, price = _peer_knee(home)
    knee = table[(table["item_code"] == PEER_ITEM) & (table["trust"] == PEER_TRUST)].iloc[0]
    assert knee["target_price"] == pytest.approx(2125.20)
    assert knee["potential_saving"] == pytest.approx(quantity * (price - 2125.20), abs=0.005)
    assert table.iloc[-1]["potential_saving"] == pytest.approx(quantity * (price - 2125.20), abs=0.005)
