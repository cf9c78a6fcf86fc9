"""The app database on both engines: SQLite in a temporary folder, and a real PostgreSQL server
(`make test` starts one on loopback with scripts/test-postgres.sh)."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES = os.environ.get(
    "STOCKTAKE_TEST_POSTGRES", "postgresql+psycopg://stocktake@127.0.0.1:54329/postgres"
)


@pytest.fixture
def postgres_url():
    """A fresh, empty database on the test server, dropped afterwards."""
    server = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"stocktake_test_{uuid.uuid4().hex[:12]}"
    try:
        with server.connect() as con:
            con.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as error:
        message = f"no PostgreSQL at {POSTGRES} (make test starts one): {error.orig}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    with server.connect() as con:
        con.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    server.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def lead(db):
    """An editor, on whichever app database the module's ``db`` opens."""
    from stocktake.appdb import actions

    return actions.create_user(
        db,
        by=None,
        username="lead",
        full_name="A Lead",
        password="a long enough password, kettle",
        role="editor",
    )
