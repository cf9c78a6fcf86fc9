"""The workspace's stock-take per site, and its cache following the data."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.metrics.catalogue import DEFAULT_CATALOGUE
from stocktake.workspace import Workspace


@pytest.fixture
def workspace_and_db(tmp_path, demo_warehouse):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    upgrade(url)
    with session_factory(make_engine(url))() as db:
        yield Workspace(warehouse, DEFAULT_CATALOGUE), db


def test_a_site_with_only_some_data_lists_only_those_measures(workspace_and_db):
    workspace, db = workspace_and_db
    with duckdb.connect(str(workspace.warehouse)) as con:  # a new site that so far only orders implants
        con.execute("INSERT INTO procurement SELECT * REPLACE ('Hilltop' AS site) FROM procurement LIMIT 50")
    assert "Hilltop" in workspace.groups("site")
    areas = {e.result.metric.area for e in workspace.stocktake(db, site="Hilltop").entries}
    assert areas == {"Procurement"}
    assert len(workspace.stocktake(db).entries) == len(workspace.catalogue.metrics)
