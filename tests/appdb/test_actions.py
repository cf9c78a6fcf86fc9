"""Each action writes in one transaction with its audit event; refused changes write nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import AuditEvent, PdsaCycle, Project, User
from stocktake.qi.compliance import Measured


@pytest.fixture
def db(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def _events(db) -> list[tuple[str, str]]:
    return [(e.action, e.subject) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_project_with_a_cycle_leaves_one_event_per_change(db):
    lead = actions.create_user(db, by=None, username="Lead", full_name="", password="x" * 12, role="editor")
    project = actions.create_project(db, by=lead, title="T", aim="A", lead="L")
    actions.add_change_idea(db, by=lead, project_id=project.id, description="Ring-fenced list")
    idea = db.scalar(select(Project).where(Project.id == project.id)).change_ideas[0]
    actions.add_pdsa_cycle(
        db, by=lead, project_id=project.id, title="C1", started_on=date(2024, 3, 1), change_idea_id=idea.id
    )
    p = f"project:{project.id}"
    assert _events(db) == [
        ("user_created", f"user:{lead.id}"),
        ("project_created", p),
        ("change_idea_added", p),
        ("pdsa_added", p),
    ]
    assert db.scalar(select(User)).username == "lead"


def test_a_refused_change_writes_nothing(db):
    lead = actions.create_user(db, by=None, username="lead", full_name="", password="x" * 12, role="editor")
    project = actions.create_project(db, by=lead, title="T", aim="A", lead="L")
    before = db.scalar(select(func.count(AuditEvent.id)))
    with pytest.raises(actions.ActionError, match="cannot end before it starts"):
        actions.add_pdsa_cycle(
            db,
            by=lead,
            project_id=project.id,
            title="C",
            started_on=date(2024, 3, 2),
            ended_on=date(2024, 3, 1),
        )
    with pytest.raises(actions.ActionError, match="not one of this project's"):
        actions.add_pdsa_cycle(
            db, by=lead, project_id=project.id, title="C", started_on=date(2024, 3, 2), change_idea_id=99
        )
    db.rollback()
    assert db.scalar(select(func.count(PdsaCycle.id))) == 0
    assert db.scalar(select(func.count(AuditEvent.id))) == before


def test_audit_cycle_results_must_belong_to_the_audit(db):
    admin = actions.create_user(db, by=None, username="a", full_name="", password="x" * 12, role="admin")
    audit = actions.create_audit(db, by=admin, title="T", standard="S", criteria=[("c", 90)])
    with pytest.raises(actions.ActionError, match="not one of this audit's"):
        actions.add_audit_cycle(
            db,
            by=admin,
            audit_id=audit.id,
            label="x",
            started_on=date(2024, 1, 1),
            ended_on=date(2024, 1, 2),
            sample="",
            results={audit.criteria[0].id + 100: Measured(4, 3)},
        )


def test_an_admin_cannot_remove_their_own_admin_role(db):
    admin = actions.create_user(db, by=None, username="a", full_name="", password="x" * 12, role="admin")
    with pytest.raises(actions.ActionError, match="your own admin role"):
        actions.set_role(db, by=admin, user_id=admin.id, role="viewer", active=True)


def test_a_sign_in_does_the_same_password_work_whether_or_not_the_name_exists(db, monkeypatch):
    """So the time a refusal takes does not tell anyone which usernames exist."""
    actions.create_user(db, by=None, username="lead", full_name="", password="x" * 12, role="viewer")
    hasher, verified = actions._HASHER, []

    class Counting:  # the hasher, counting its verifications
        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, *args):
            verified.append(1)
            return hasher.verify(*args)

    monkeypatch.setattr(actions, "_HASHER", Counting())
    for username in ("lead", "nobody"):
        assert actions.authenticate(db, username=username, password="y" * 12) is None
    assert len(verified) == 2
