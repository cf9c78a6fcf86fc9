"""The workspace's stock-take per site, and its cache following the data."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from sqlalchemy import event

from stocktake.appdb import actions
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


def test_a_page_reads_the_revision_once_yet_sees_its_own_change(workspace_and_db):
    """The revision is read once per transaction; a change commits, so the next read is fresh."""
    workspace, db = workspace_and_db
    admin = actions.create_user(
        db, by=None, username="lead", full_name="Lead", password="a long password", role="admin"
    )
    metric_id = workspace.catalogue.metrics[0].id
    before = workspace.stocktake(db)
    queries = []
    event.listen(db.get_bind(), "before_cursor_execute", lambda *args: queries.append(args[2]))
    assert workspace.stocktake(db) is before and workspace.revision(db) == workspace.revision(db)
    assert not queries  # both answered from the cache and the transaction's revision
    actions.set_target(db, by=admin, metric_id=metric_id, value=0.5, basis="hand-set")
    after = workspace.stocktake(db)
    assert after is not before
    assert next(e for e in after.entries if e.result.metric.id == metric_id).result.chart.target == 0.5
