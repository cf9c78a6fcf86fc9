"""Rows at a site the home does not name: "Riverside Hosp" beside "Riverside" is compared as a site of
its own in every by-site table, funnel and report, and nothing had said so.

The home names its sites (`stocktake init --site`, ``sites`` in stocktake.toml); the catalogue's
``site`` dimension says which column holds a dataset's site. After a load, each loaded dataset's site
values that are not exactly a named site (a case or a space apart is another group too) are counted,
each with the named site it most resembles.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from stocktake.ingest.schemas import DATASETS
from stocktake.metrics import expressions as ex
from stocktake.metrics.catalogue import Catalogue

#: At most this many unnamed values are listed for a dataset (the rest are counted).
SHOWN = 5


@dataclass(frozen=True)
class UnnamedSites:
    """A dataset's rows at sites the home does not name: (value, rows, the named site it resembles
    or "") by rows, most first."""

    dataset: str
    column: str
    values: tuple[tuple[str, int, str], ...]

    def words(self, named: tuple[str, ...]) -> str:
        listed = ", ".join(
            f"{value!r} ({rows:,} row{'s' if rows > 1 else ''}{f'; {like}?' if like else ''})"
            for value, rows, like in self.values[:SHOWN]
        )
        more = len(self.values) - SHOWN
        others = f" and {more} more" if more > 0 else ""
        return (
            f"{self.dataset}.{self.column} holds sites stocktake.toml does not name: {listed}{others}. Each "
            f"is compared as a site of its own; the home names {', '.join(named)}: correct the extract, or "
            "add the site to sites in stocktake.toml"
        )


def unnamed_sites(con, catalogue: Catalogue, named: tuple[str, ...]) -> list[UnnamedSites]:
    """Each loaded dataset's site values that are not one of ``named``; none when the home names none
    or the catalogue has no ``site`` dimension."""
    dimension = catalogue.dimensions.get("site")
    if not named or dimension is None:
        return []
    columns = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    found = []
    for dataset in sorted({table for table, _ in columns} & set(DATASETS)):
        expression = dimension.expression(dataset)
        if not isinstance(expression, ex.Column) or (dataset, expression.name) not in columns:
            continue
        column = expression.name
        cell = f'CAST("{column}" AS VARCHAR)'
        rows = con.execute(
            f"SELECT {cell}, count(*) FROM \"{dataset}\" WHERE trim({cell}) <> '' "
            f"AND NOT list_contains(?, {cell}) GROUP BY 1 ORDER BY 2 DESC, 1",
            [list(named)],
        ).fetchall()
        if rows:
            values = tuple((str(value), int(count), _resembles(str(value), named)) for value, count in rows)
            found.append(UnnamedSites(dataset, column, values))
    return found


def unnamed_sites_in(warehouse: Path, catalogue: Catalogue, named: tuple[str, ...]) -> list[UnnamedSites]:
    """:func:`unnamed_sites` of a warehouse file, read-only: said after `stocktake ingest` and an upload."""
    from stocktake.warehouse import connect

    if not named:
        return []
    with connect(warehouse, read_only=True) as con:
        return unnamed_sites(con, catalogue, named)


def _resembles(value: str, named: tuple[str, ...]) -> str:
    folded = {site.casefold(): site for site in named}
    close = difflib.get_close_matches(" ".join(value.casefold().split()), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else ""
