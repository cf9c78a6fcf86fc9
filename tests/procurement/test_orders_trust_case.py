"""Issue 28, outsiders' finding on procurement by trust: a trust's name is compared without case or
extra spaces, so "rbd" is the department's "RBD" (its home's folder, or the trust its stocktake.toml
names) and two files of "Southvale" and "SOUTHVALE" are one trust's, refused, never two trusts."""

from __future__ import annotations

import pytest
from test_orders_issue28 import home_with_knee_orders

from stocktake.files.peer_orders import home_opportunities, trust_orders
from stocktake.files.procurement import ProcurementFileError, Source, read_orders

HEADER = "line_id,ordered_on,site,item_code,description,category,supplier,unit_price,quantity"
PEER = "S1,2025-01-01,General,K1,knee,implant,S,120,2"


def _orders(folder, *lines: str, name: str, trust: bool = False):
    path = folder / name
    path.write_text(HEADER + (",trust" if trust else "") + "\n" + "".join(f"{line}\n" for line in lines))
    return path


@pytest.fixture
def home(tmp_path):
    """A department's home named RBD, its warehouse holding knee order lines bought at £100."""
    return home_with_knee_orders(tmp_path / "RBD")


@pytest.mark.parametrize("name", ["rbd.csv", "Rbd.csv"])
def test_a_peer_file_named_like_the_homes_folder_in_another_case_is_refused(home, name):
    peer = _orders(home / "peers", PEER, name=name)
    with pytest.raises(ProcurementFileError) as refused:
        trust_orders(home / "warehouse.duckdb", (peer,))
    assert str(refused.value).startswith(f"{peer}: its orders are those of {peer.stem!r}, and so are ")


@pytest.mark.parametrize("written", ["royal devon", "ROYAL DEVON", "Royal  Devon", " Royal Devon "])
def test_a_peer_whose_trust_column_is_the_homes_trust_in_another_case_is_refused(home, written):
    peer = _orders(home / "peers", f"{PEER},{written}", name="southvale.csv", trust=True)
    with pytest.raises(ProcurementFileError) as refused:
        trust_orders(home / "warehouse.duckdb", (peer,), "Royal Devon")
    said = str(refused.value)
    assert said.startswith(f"{peer}: its orders are those of 'Royal Devon', the department's own trust")


@pytest.mark.parametrize("own", ["rbd", "Rbd", " RBD "])
def test_the_homes_trust_named_in_another_case_than_its_folder_is_the_home(home, own):
    """stocktake.toml's "rbd" for a home in RBD/: the warehouse's own orders, not a clash with them."""
    peer = _orders(home / "peers", f"{PEER},Southvale", name="southvale.csv", trust=True)
    orders = trust_orders(home / "warehouse.duckdb", (peer,), own)
    assert sorted(orders["trust"].unique()) == sorted({own.strip(), "Southvale"})
    found = home_opportunities(home / "warehouse.duckdb", (peer,), by="trust", own_trust=own, months=None)
    # Southvale paid £120 for two knees against the department's £100 (the best, with two units the
    # 10th percentile is 100 + 0.1 × 20 = £102): 2 × (120 − 102) = £36 at Southvale, £0 at home
    assert found.item_saving == pytest.approx(36.0)


def test_two_files_of_one_trust_in_another_case_are_refused(home, tmp_path):
    first = _orders(tmp_path, f"{PEER},Southvale", name="2024.csv", trust=True)
    second = _orders(tmp_path, f"{PEER.replace('S1', 'S2')},SOUTHVALE", name="2025.csv", trust=True)
    with pytest.raises(ProcurementFileError) as refused:
        trust_orders(home / "warehouse.duckdb", (first, second))
    assert str(refused.value).startswith(
        f"{second}: its orders are those of 'SOUTHVALE', and so are {first}'s"
    )


def test_one_file_naming_a_trust_in_two_cases_is_refused_naming_both_rows(tmp_path):
    path = _orders(
        tmp_path,
        f"{PEER},Southvale",
        f"{PEER.replace('S1', 'S2')},Eastbrook",
        f"{PEER.replace('S1', 'S3')},southvale",
        name="peers.csv",
        trust=True,
    )
    with pytest.raises(ProcurementFileError) as refused:
        read_orders([Source(path, "csv")])
    assert str(refused.value).startswith(
        f"{path}, column trust: 'southvale' (row 4) and 'Southvale' (row 2) differ only in case"
    )


def test_a_trust_written_with_extra_spaces_is_one_trust(tmp_path):
    path = _orders(
        tmp_path,
        f"{PEER},Royal  Devon",
        f"{PEER.replace('S1', 'S2')},Royal Devon ",
        f"{PEER.replace('S1', 'S3')},Eastbrook",
        name="peers.csv",
        trust=True,
    )
    orders = read_orders([Source(path, "csv")])
    assert sorted(orders["trust"].unique()) == ["Eastbrook", "Royal Devon"]
