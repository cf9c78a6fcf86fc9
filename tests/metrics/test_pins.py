"""The library set the metric engine depends on: ibis-framework 12 breaks DuckDB table creation
with sqlglot 28 or newer, so the pins keep sqlglot below 28 and this test keeps them honest."""

from importlib.metadata import version

import ibis
import pandas as pd
from packaging.version import Version


def test_sqlglot_is_below_28():
    assert Version(version("ibis-framework")).major == 12
    assert Version(version("sqlglot")) < Version("28")


def test_ibis_creates_and_reads_a_duckdb_table():
    con = ibis.duckdb.connect()
    frame = pd.DataFrame(
        {"spell_id": ["a", "b"], "admitted_at": pd.to_datetime(["2024-01-01", "2024-02-01"])}
    )
    table = con.create_table("admissions", frame)
    counted = table.group_by(month=table.admitted_at.truncate("M")).aggregate(n=table.count()).execute()
    assert sorted(counted["n"]) == [1, 1]
