"""Issue 28, what the outsider found in the orders: a decimal comma or underscores never read as some
other number (1,5 is not 15), a spend too large to count refused rather than written as inf, and
another trust's orders that resolve to a trust already given refused, never merged into it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.files.peer_orders import trust_orders
from stocktake.files.procurement import ProcurementFileError, Source, read_orders
from stocktake.procurement import ProcurementInputError, item_savings

runner = CliRunner()
HEADER = "line_id,ordered_on,site,item_code,description,category,supplier,unit_price,quantity\n"


def _orders(folder: Path, *lines: str, name: str = "orders.csv", header: str = HEADER) -> Path:
    path = folder / name
    path.write_text(header + "".join(f"{line}\n" for line in lines))
    return path


def _savings(*args):
    return runner.invoke(app, ["procurement", "savings", *map(str, args)])


def _said(result) -> str:
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("price", "quantity", "column", "shown"),
    [
        ('"1,5"', "5", "unit_price", "1,5"),
        ("1_000", "5", "unit_price", "1_000"),
        ('"1,23"', "5", "unit_price", "1,23"),
        ("10", '"1,5"', "quantity", "1,5"),
        ("10", "1_0", "quantity", "1_0"),
    ],
)
def test_a_decimal_comma_or_underscores_are_refused_by_row_and_column(
    tmp_path, price, quantity, column, shown
):
    path = _orders(
        tmp_path, "1,2024-05-01,A,X1,Widget,c,S,10,5", f"2,2024-05-02,B,X1,Widget,c,S,{price},{quantity}"
    )
    out = tmp_path / "s.csv"
    result = _savings("--orders", path, "--out", out)
    assert result.exit_code == 2, result.output
    assert f"{path}, row 3, column {column}: {shown!r} is not a" in _said(result)
    assert _said(result).count("error:") == 1 and not out.exists()


def test_thousands_separators_and_pounds_are_still_read(tmp_path):
    path = _orders(
        tmp_path, '1,2024-05-01,A,X1,Widget,c,S,"£1,234.50","1,000"', "2,2024-05-02,B,X1,Widget,c,S,1000,2"
    )
    orders = read_orders([Source(path, "csv")])
    assert orders["unit_price"].tolist() == [1234.5, 1000.0] and orders["quantity"].tolist() == [1000, 2]


def test_a_spend_too_large_to_count_is_refused_not_written_as_inf(tmp_path):
    """The outsider's p_huge.csv: 1e308 × 5 overflows; the command said "£inf spent" and wrote inf."""
    path = _orders(tmp_path, "1,2024-05-01,A,X1,Widget,c,S,10,5", "2,2024-05-02,B,X1,Widget,c,S,1e308,5")
    out = tmp_path / "s.csv"
    result = _savings("--orders", path, "--out", out)
    assert result.exit_code == 2, result.output
    said = _said(result)
    assert f"{path}, row 3, column unit_price: 1e+308 × 5 is too large to count" in said
    assert "inf" not in said.replace("information", "") and not out.exists()


def test_spends_that_overflow_only_when_added_up_are_refused():
    big = 1.5e308
    orders = pd.DataFrame(
        {
            "item_code": ["X", "X", "Y"],
            "site": ["A", "A", "B"],
            "unit_price": [big, big, 1.0],
            "quantity": [1, 1, 1],
        }
    )
    with pytest.raises(
        ProcurementInputError, match="item_code X, site A: the net spend is too large"
    ) as refused:
        item_savings(orders)
    assert refused.value.rows == (0, 1)
    apart = orders.assign(item_code=["X", "Z", "Y"])  # each unit's spend counted, their total not
    with pytest.raises(ProcurementInputError, match="the total spend is too large to count"):
        item_savings(apart)


# --- trusts: each one's orders from one source ----------------------------------------------------------


def home_with_knee_orders(home):
    """``home`` made, its warehouse holding two knee order lines bought at £100, and an empty peers/."""
    home.mkdir()
    own = pd.DataFrame(
        {
            "line_id": ["N1", "N2"],
            "ordered_on": pd.to_datetime(["2025-01-01", "2025-02-01"]),
            "site": ["General", "General"],
            "item_code": ["K1", "K1"],
            "description": ["knee", "knee"],
            "category": ["implant", "implant"],
            "supplier": ["S", "S"],
            "unit_price": [100.0, 100.0],
            "quantity": [3, 3],
        }
    )
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.register("incoming", own)
        con.execute("CREATE TABLE procurement AS SELECT * FROM incoming")
    (home / "peers").mkdir()
    return home


@pytest.fixture
def home(tmp_path):
    return home_with_knee_orders(tmp_path / "northshire")


PEER = "S1,2025-01-01,General,K1,knee,implant,S,120,2"


def test_a_peer_file_named_like_the_home_is_refused_in_the_command(home, tmp_path):
    """The warehouse's trust is its folder's name; an orders file of that name is not another trust."""
    peer = _orders(home / "peers", PEER, name="northshire.csv")
    result = _savings(
        "--warehouse",
        home / "warehouse.duckdb",
        "--orders",
        peer,
        "--by",
        "trust",
        "--out",
        tmp_path / "s.csv",
    )
    assert result.exit_code == 2, result.output
    assert f"{peer}: its orders are those of 'northshire', and so are {home / 'warehouse.duckdb'}'s" in _said(
        result
    )
    assert not (tmp_path / "s.csv").exists()


def test_a_peer_whose_trust_column_is_the_homes_trust_is_refused(home):
    peer = _orders(
        home / "peers",
        "S1,2025-01-01,General,K1,knee,implant,S,120,2,Northshire NHS Trust",
        name="southvale.csv",
        header=HEADER.strip() + ",trust\n",
    )
    with pytest.raises(ProcurementFileError) as refused:
        trust_orders(home / "warehouse.duckdb", (peer,), "Northshire NHS Trust")
    assert str(refused.value).startswith(
        f"{peer}: its orders are those of 'Northshire NHS Trust', the department's own"
    )
    folder_named = _orders(
        home / "peers", PEER + ",northshire", name="eastbrook.csv", header=HEADER.strip() + ",trust\n"
    )
    with pytest.raises(ProcurementFileError, match=f"{folder_named}: its orders are those of 'northshire'"):
        trust_orders(home / "warehouse.duckdb", (folder_named,))


def test_two_sources_never_resolve_to_the_same_trust(home, tmp_path):
    header = HEADER.strip() + ",trust\n"
    first = _orders(tmp_path, PEER + ",Southvale", name="2024.csv", header=header)
    second = _orders(tmp_path, PEER.replace("S1", "S2") + ",Southvale", name="2025.csv", header=header)
    with pytest.raises(ProcurementFileError) as refused:
        trust_orders(home / "warehouse.duckdb", (first, second))
    assert str(refused.value).startswith(
        f"{second}: its orders are those of 'Southvale', and so are {first}'s"
    )
    result = _savings("--orders", first, "--orders", second, "--by", "trust", "--out", tmp_path / "s.csv")
    assert result.exit_code == 2 and f"{second}: its orders are those of 'Southvale'" in _said(result)
