"""Rows at a site the home does not name are said after a load, each with the named site it most
resembles: "Riverside Hosp" and "RIVERSIDE" are each a site of their own in every by-site table."""

from __future__ import annotations

import duckdb

from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.site_names import unnamed_sites

NAMED = ("Riverside", "Hilltop General")


def _warehouse(*sites) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE admissions (spell_id VARCHAR, site VARCHAR)")
    con.executemany("INSERT INTO admissions VALUES (?, ?)", [(str(i), s) for i, s in enumerate(sites)])
    con.execute("CREATE TABLE scratch (site VARCHAR)")  # not a dataset: never read
    con.execute("INSERT INTO scratch VALUES ('Nowhere')")
    return con


def test_each_unnamed_value_is_counted_with_the_named_site_it_resembles():
    con = _warehouse(
        "Riverside", "Riverside", "Hilltop General",
        "Riverside Hosp", "Riverside Hosp", "Riverside Hosp",
        "RIVERSIDE", "RIVERSIDE",  # a case apart is another group too
        "Eastgate",
        "", "  ", None,  # no site given: not a site
    )  # fmt: skip
    [found] = unnamed_sites(con, load_catalogue(), NAMED)
    assert (found.dataset, found.column) == ("admissions", "site")
    assert found.values == (
        ("Riverside Hosp", 3, "Riverside"),
        ("RIVERSIDE", 2, "Riverside"),
        ("Eastgate", 1, ""),
    )
    assert found.words(NAMED) == (
        "admissions.site holds sites stocktake.toml does not name: 'Riverside Hosp' (3 rows; Riverside?), "
        "'RIVERSIDE' (2 rows; Riverside?), 'Eastgate' (1 row). Each is compared as a site of its own; the "
        "home names Riverside, Hilltop General: correct the extract, or add the site to sites in "
        "stocktake.toml"
    )


def test_nothing_is_said_when_every_site_is_named_or_none_is():
    con = _warehouse("Riverside", "Hilltop General", "Eastgate")
    assert unnamed_sites(con, load_catalogue(), (*NAMED, "Eastgate")) == []
    assert unnamed_sites(con, load_catalogue(), ()) == []  # a home that names no sites is not checked
