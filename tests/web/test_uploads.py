"""An upload into a warehouse that cannot be used says so in a line on the page, never a 500."""

from __future__ import annotations

import pytest

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import ROLES
from stocktake.settings import Settings
from stocktake.web.app import create_app

PASSWORD = "a long enough password, kettle"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A workspace whose warehouse is a SQLite file, not DuckDB (the conftest's clients use it)."""
    home = tmp_path_factory.mktemp("damaged")
    (home / "warehouse.duckdb").write_bytes(b"SQLite format 3\x00" + bytes(4096))
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        for role in ROLES:
            actions.create_user(db, by=None, username=role, full_name=role, password=PASSWORD, role=role)
    return app


def test_a_damaged_warehouse_is_named_on_the_upload_page_and_nothing_breaks(clients):
    editor = clients["editor"]
    page = editor.get("/uploads")
    assert page.status_code == 200 and "not a Stocktake warehouse" in page.text
    answer = editor.post(
        "/uploads",
        data={"dataset": "hip_fractures", "csrf_token": editor.csrf},
        files={"extract": ("nhfd_submission.csv", b"SPELL_NO\nX1\n")},
    )
    assert answer.status_code == 422 and "not a Stocktake warehouse" in answer.text
