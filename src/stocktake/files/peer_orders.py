"""Other trusts' order lines kept in the department's home, so that the workspace can compare trusts
as ``stocktake procurement savings --by trust`` does (issue 28).

A warehouse holds one trust's orders (its extracts have no trust column). Peers' orders are orders
files with the procurement columns (and optionally a ``trust`` column, else the file's name is the
trust), kept in ``HOME/peers/``; the demo writes its second trust's beside its raw exports, in
``HOME/raw/peers/``, and both folders are read. The department's own trust is named by the home's
``stocktake.toml`` (else its folder, as the command names it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stocktake.files.procurement import (
    ProcurementFileError,
    Source,
    describe_input_error,
    named_own_trust,
    read_orders,
)
from stocktake.procurement import Opportunities, PriceTarget, ProcurementInputError, find_opportunities

#: Where a home keeps other trusts' orders (the second is where ``stocktake demo`` writes its peer's).
PEER_FOLDERS = (Path("peers"), Path("raw") / "peers")


def peer_order_files(home: Path) -> tuple[Path, ...]:
    """The orders files of other trusts kept in ``home``, in name order."""
    found = []
    for folder in PEER_FOLDERS:
        where = Path(home) / folder
        if where.is_dir():
            found.extend(sorted(p for p in where.iterdir() if p.suffix.lower() == ".csv" and p.is_file()))
    return tuple(found)


def trust_orders(warehouse: Path, peers: tuple[Path, ...], own_trust: str = "") -> pd.DataFrame:
    """The warehouse's order lines and each peer file's, checked as the command checks them, the
    warehouse's trust named ``own_trust`` (default: its folder's name). A peer file whose trust is the
    department's own (by that name or the folder's, from its name or its trust column, in any case
    and spacing) is refused in one line naming it: merged, another trust's orders would change the
    department's figures."""
    orders = read_orders([Source(Path(warehouse), "warehouse"), *(Source(p, "csv") for p in peers)])
    return named_own_trust(orders, warehouse, own_trust)


def home_opportunities(
    warehouse: Path,
    peers: tuple[Path, ...] = (),
    *,
    by: str = "site",
    own_trust: str = "",
    target: PriceTarget | None = None,
    category: str = "description",
    months: int | None = 12,
    top: int | None = 10,
) -> Opportunities:
    """The largest savings by ``by`` over the last ``months`` ordered (every month when None), at
    item and like-for-like product level. By site: the warehouse's sites; by trust: the warehouse's
    trust against each peer file's, the same as ``stocktake procurement savings --by trust`` over the
    same months. One line naming the file and row when the orders cannot be priced."""
    if by == "trust":
        orders = trust_orders(warehouse, peers, own_trust)
        if orders["trust"].nunique() < 2:
            raise ProcurementFileError("the orders are one trust's: keep other trusts' orders in HOME/peers/")
    else:
        orders = read_orders([Source(Path(warehouse), "warehouse")])
    if category not in orders.columns:
        raise ProcurementFileError(f"the order lines have no column {category!r}")
    try:
        return find_opportunities(orders, unit=by, target=target, category=category, months=months, top=top)
    except ProcurementInputError as error:
        raise ProcurementFileError(describe_input_error(error, orders)) from None
