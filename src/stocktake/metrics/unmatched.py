"""Rows a catalogue's joins will drop: a theatre case whose list is not in the sessions extract counts
in no theatre measure, and nothing had said so (an outside check loaded one, "1 added", silently).

The catalogue says which joins drop rows (a view's ``join`` that is not ``how: left``), so a new
department's catalogue brings its own; this counts, after a load, the rows of each such view's source
dataset whose key the joined dataset does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stocktake.ingest.schemas import DATASETS
from stocktake.metrics.catalogue import Catalogue


@dataclass(frozen=True)
class Unmatched:
    """Rows of ``dataset`` whose ``key`` is not in ``other``: dropped by the view ``view``."""

    view: str
    dataset: str
    key: str
    other: str
    rows: int
    example: str

    def words(self) -> str:
        example = f" (e.g. {self.example})" if self.example else ""
        return (
            f"{self.rows:,} row{'s' if self.rows > 1 else ''} of {self.dataset} with a {self.key} not in "
            f"{self.other}{example}: counted in no measure that reads {self.view}; load the {self.other} "
            "extract that holds them"
        )


def unmatched_rows(con, catalogue: Catalogue) -> list[Unmatched]:
    """Each inner join of the catalogue's views between two loaded datasets, with the rows it drops."""
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    found = []
    for view in catalogue.views.values():
        join = view.join
        if join is None or join.how == "left" or not {view.source, join.dataset} <= tables:
            continue
        count, example = con.execute(
            f'SELECT count(*), min(s."{join.key}") FROM "{view.source}" s '
            f'WHERE s."{join.key}" IS NOT NULL AND NOT EXISTS '
            f'(SELECT 1 FROM "{join.dataset}" o WHERE o."{join.key}" = s."{join.key}")'
        ).fetchone()
        if count:
            shown = "" if _identifier(view.source, join.key) else str(example)  # a pseudonym: not shown
            found.append(Unmatched(view.name, view.source, join.key, join.dataset, int(count), shown))
    return found


def unmatched_in(warehouse: Path, catalogue: Catalogue) -> list[Unmatched]:
    """:func:`unmatched_rows` of a warehouse file, read-only: what `stocktake ingest` and the upload
    page say after a load."""
    from stocktake.warehouse import connect

    with connect(warehouse, read_only=True) as con:
        return unmatched_rows(con, catalogue)


def _identifier(dataset: str, column: str) -> bool:
    schema = DATASETS.get(dataset)
    return schema is None or column not in schema.names or schema.column(column).identifier
