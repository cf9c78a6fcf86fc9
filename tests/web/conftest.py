"""A workspace on the demo warehouse, its app, and signed-in clients of each role."""

from __future__ import annotations

import re
import shutil
import warnings

import pytest

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.settings import Settings
from stocktake.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

PASSWORD = "a long enough password, kettle"
ROLE_NAMES = ("viewer", "editor", "admin")


def make_settings(home, warehouse) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(warehouse, home / "warehouse.duckdb")
    return Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")


def add_users(settings: Settings) -> None:
    with session_factory(make_engine(settings.database_url))() as session:
        for role in ROLE_NAMES:
            actions.create_user(
                session, by=None, username=role, full_name=f"A {role}", password=PASSWORD, role=role
            )


def csrf_of(client) -> str:
    page = client.get("/sign-in")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def signed_in(app, role: str | None) -> TestClient:
    """A client signed in as ``role`` (None: anonymous, with a session and its CSRF token)."""
    client = TestClient(app)
    token = csrf_of(client)
    if role is not None:
        answer = client.post(
            "/sign-in",
            data={"username": role, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        token = csrf_of(client)
    client.csrf = token
    return client


@pytest.fixture(scope="module")
def orders_department(tmp_path_factory):
    """A small synthetic department (seed 5, 8 months, its procurement orders with the second trust's
    knee-system markup) in a warehouse of its own, and its orders: the Procurement-by-trust pages'
    tests build the app on it (``demo_warehouse`` returning its path) and make peers' orders files
    from its orders (``demo.export.write_peer_orders``)."""
    import duckdb

    from stocktake.demo.generate import Department, generate

    tables = generate(Department(seed=5, months=8))
    path = tmp_path_factory.mktemp("department") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return path, tables["procurement"]


@pytest.fixture(scope="module")
def app(tmp_path_factory, demo_warehouse):
    settings = make_settings(tmp_path_factory.mktemp("workspace"), demo_warehouse)
    app = create_app(settings)
    add_users(settings)
    return app


@pytest.fixture(scope="module")
def clients(app) -> dict:
    return {role: signed_in(app, role) for role in (None, *ROLE_NAMES)}


@pytest.fixture(scope="module")
def sign_in_as(app):
    """A new client signed in as the given role (None: anonymous)."""
    return lambda role: signed_in(app, role)
