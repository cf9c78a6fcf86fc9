"""Migrations run up and down on SQLite and PostgreSQL, and leave exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from stocktake.appdb.database import downgrade, make_engine, upgrade
from stocktake.appdb.models import Base

TABLES = {table.name for table in Base.metadata.sorted_tables}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_go_up_and_down_and_up_again(database_url):
    upgrade(database_url)
    assert _tables(database_url) == TABLES
    downgrade(database_url, "base")
    assert _tables(database_url) == set()
    upgrade(database_url)
    assert _tables(database_url) == TABLES


def test_the_migrated_schema_is_the_models_schema(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_0002_keeps_the_audit_log_written_before_it(database_url):
    """Events from before the client address and user agent were recorded read as from nowhere."""
    upgrade(database_url, "0001")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (at, action, subject, detail) "
                "VALUES ('2025-01-02 03:04:05', 'sign_in_failed', '', '')"
            )
        )
    upgrade(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT action, client, agent FROM audit_events")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("sign_in_failed", "", "")]
