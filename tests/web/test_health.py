"""The readiness probe: 503 until the workspace has made its series, then 200; no account needed,
nothing about the data said."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient

from stocktake.settings import Settings
from stocktake.web.app import create_app


def test_the_probe_says_ready_once_the_series_are_made_and_again_after_a_load(tmp_path, demo_warehouse):
    shutil.copy(demo_warehouse, tmp_path / "warehouse.duckdb")
    app = create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'workspace.sqlite'}"))
    client = TestClient(app)
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (503, {"ready": False})
    app.state.workspace.warm(app.state.sessions)
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"ready": True})
    (tmp_path / "warehouse.duckdb").touch()  # a load changes the warehouse: its series are to be made again
    assert client.get("/healthz").status_code == 503


def test_a_home_with_no_warehouse_yet_is_ready(tmp_path):
    app = create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'workspace.sqlite'}"))
    assert TestClient(app).get("/healthz").json() == {"ready": True}


def test_the_waiting_list_page_is_made_by_the_warming_not_by_its_first_visitor(app, sign_in_as, monkeypatch):
    """A director's check: the first view after a start took 3.5 s with the server already "ready"."""
    from stocktake.web.routes import waitinglist

    app.state.warm()

    def not_again(*args, **kwargs):
        raise AssertionError("the picture was made again for the first visitor")

    monkeypatch.setattr(waitinglist, "warehouse_overview", not_again)
    answer = sign_in_as("viewer").get("/waiting-list")
    assert answer.status_code == 200 and "What a target would take" in answer.text
