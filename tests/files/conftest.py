"""Set-up shared by the tests of the files an editor keeps in the home (expected counts, other trusts'
figures): an app database for the actions, its audit events, the files under a home, a home for the
commands, and the audit event a command wrote."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import AuditEvent

#: The department and trust of the commands' home.
TOML = 'department = "T&O"\ntrust = "Northshire NHS Trust"\n'


@pytest.fixture
def db(tmp_path):
    """A migrated app database of its own (beside, not in, the tests' homes)."""
    url = f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def audit(db):
    """The audit events so far, oldest first, as (action, subject, detail)."""
    return lambda: [
        (e.action, e.subject, e.detail) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]


@pytest.fixture
def editor(db):
    return actions.create_user(
        db, by=None, username="ed", full_name="Ed", password="a long enough password, kettle", role="editor"
    )


@pytest.fixture
def files_under():
    """Every file and folder under a home, named from it: what a refusal must leave as it was."""
    return lambda home: sorted(str(p.relative_to(home)) for p in home.rglob("*"))


@pytest.fixture
def empty_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def command_home(empty_home):
    """A department's home for the commands: its stocktake.toml naming the department and its trust."""
    (empty_home / "stocktake.toml").write_text(TOML)
    return empty_home


@pytest.fixture
def command_event():
    """The one audit event of ``action`` that a command wrote to the home's app database."""

    def found(home, action: str) -> AuditEvent:
        engine = make_engine(f"sqlite:///{home / 'workspace.sqlite'}")
        try:
            with session_factory(engine)() as session:
                [event] = [e for e in session.scalars(select(AuditEvent)) if e.action == action]
                session.expunge(event)
        finally:
            engine.dispose()
        return event

    return found
