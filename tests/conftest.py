"""Shared test helpers: where the read-only reference fixtures live."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"reference fixtures not found at {FIXTURES}: clone beside ../shared")
    return FIXTURES


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """A DuckDB warehouse holding 18 months of the demo department's canonical tables."""
    import duckdb

    from stocktake.demo.generate import Department, generate

    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, table in generate(Department(seed=11, months=18)).items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return path
