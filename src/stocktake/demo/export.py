"""Write canonical tables as a trust's raw exports, by running its column mapping backwards.

Beside them, in ``peers/``, a second synthetic trust's order lines in the procurement columns
(``PEER_ORDERS``), for ``stocktake procurement savings --orders … --by trust``: not an extract of
this trust, so outside the mapping and never ingested.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stocktake.demo.generate import peer_trust_orders
from stocktake.ingest.mapping import ColumnMapping, Mapping
from stocktake.ingest.schemas import DATASETS

#: Where the peer trust's orders go, under the raw exports' folder.
PEER_ORDERS = Path("peers") / "southvale_order_lines.csv"


def export(tables: dict[str, pd.DataFrame], mapping: Mapping, out_dir: Path) -> list[Path]:
    """One CSV per dataset, with the trust's file names, column names, codes and date formats."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, dataset_mapping in mapping.datasets.items():
        schema = DATASETS[name]
        table = tables[name]
        raw = pd.DataFrame(
            {
                column_mapping.column: _as_text(
                    table[canonical], schema.column(canonical).type, column_mapping
                )
                for canonical, column_mapping in dataset_mapping.columns.items()
            }
        )
        path = out_dir / dataset_mapping.file
        raw.to_csv(path, index=False)
        written.append(path)
    if "procurement" in mapping.datasets and "procurement" in tables:
        write_peer_orders(tables["procurement"], out_dir / PEER_ORDERS)
    return written


def write_peer_orders(orders: pd.DataFrame, path: Path) -> Path:
    """The peer trust's order lines (``generate.peer_trust_orders``) as an orders CSV: ISO dates."""
    peer = peer_trust_orders(orders)
    path.parent.mkdir(parents=True, exist_ok=True)
    peer.assign(ordered_on=peer["ordered_on"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def _as_text(values: pd.Series, kind: str, mapping: ColumnMapping) -> pd.Series:
    if mapping.codes is not None:
        to_code = {value: code for code, value in reversed(mapping.codes.items())}
        return values.map(lambda v: "" if pd.isna(v) else to_code[bool(v) if kind == "boolean" else v])
    if kind in ("date", "timestamp"):
        return pd.to_datetime(values).dt.strftime(mapping.format or "%Y-%m-%d %H:%M").fillna("")
    if kind == "number":
        return values.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    return values.map(lambda v: "" if pd.isna(v) else str(v))
