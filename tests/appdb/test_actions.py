"""Each action writes in one transaction with its audit event; refused changes write nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import AuditEvent, PdsaCycle, Project, User, WebSession
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
    lead = actions.create_user(
        db, by=None, username="Lead", full_name="", password="a long enough password, kettle", role="editor"
    )
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
    lead = actions.create_user(
        db, by=None, username="lead", full_name="", password="a long enough password, kettle", role="editor"
    )
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
    admin = actions.create_user(
        db, by=None, username="a", full_name="", password="a long enough password, kettle", role="admin"
    )
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
    admin = actions.create_user(
        db, by=None, username="a", full_name="", password="a long enough password, kettle", role="admin"
    )
    with pytest.raises(actions.ActionError, match="your own admin role"):
        actions.set_role(db, by=admin, user_id=admin.id, role="viewer", active=True)


def _counting_verifications(monkeypatch) -> list:
    hasher, verified = actions.accounts._HASHER, []

    class Counting:  # the hasher, counting its verifications
        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, *args):
            verified.append(1)
            return hasher.verify(*args)

    monkeypatch.setattr(actions.accounts, "_HASHER", Counting())
    return verified


def test_every_refused_sign_in_does_the_same_password_work(db, monkeypatch):
    """So the time a refusal takes tells no one which usernames exist or which are locked or disabled."""
    actions.create_user(
        db, by=None, username="lead", full_name="", password="a long enough password, kettle", role="viewer"
    )
    admin = actions.create_user(
        db, by=None, username="boss", full_name="", password="a long enough password, kettle", role="admin"
    )
    gone = actions.create_user(
        db, by=None, username="gone", full_name="", password="a long enough password, kettle", role="viewer"
    )
    actions.set_role(db, by=admin, user_id=gone.id, role="viewer", active=False)
    with actions.acting_from("10.0.0.1", "test"):
        for _ in range(actions.SIGN_IN_ATTEMPTS):
            actions.authenticate(db, username="lead", password="another long password, pebble")
    verified = _counting_verifications(monkeypatch)
    cases = {
        "a wrong password": ("10.0.0.2", "lead", "y" * 12),
        "no such name": ("10.0.0.2", "nobody", "y" * 12),
        "disabled": ("10.0.0.2", "gone", "a long enough password, kettle"),
        "locked from this address": ("10.0.0.1", "lead", "a long enough password, kettle"),
    }
    for case, (client, username, password) in cases.items():
        before = len(verified)
        with actions.acting_from(client, "test"):
            assert actions.authenticate(db, username=username, password=password) is None, case
        assert len(verified) == before + 1, case
    with actions.acting_from("10.0.0.3", "test"):  # an address refused for guessing
        for _ in range(actions.ADDRESS_ATTEMPTS):
            actions.authenticate(db, username="nobody", password="another long password, pebble")
        before = len(verified)
        assert actions.authenticate(db, username="lead", password="a long enough password, kettle") is None
        assert len(verified) == before + 1


def test_sign_in_events_record_where_they_came_from(db):
    actions.create_user(
        db, by=None, username="lead", full_name="", password="a long enough password, kettle", role="viewer"
    )
    with actions.acting_from("192.0.2.7", "Firefox on the ward PC"):
        actions.authenticate(db, username="lead", password="a long enough password, kettle")
    actions.authenticate(
        db, username="lead", password="a long enough password, kettle"
    )  # from the command line: nowhere
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "sign_in").order_by(AuditEvent.id)
    ).all()
    assert [(e.client, e.agent) for e in events] == [("192.0.2.7", "Firefox on the ward PC"), ("", "")]


@pytest.mark.parametrize(
    "username",
    [
        "\u0430dmin",  # Cyrillic a: looks like admin
        "admin\u200b",  # a zero-width space
        "\u212aate",  # the Kelvin sign, which lower() turns into an ASCII k
        "caf\u00e9",
        "a" * 81,
        "",
        "two words",
    ],
)
def test_usernames_are_ascii_and_at_most_80_characters_on_every_database(db, username):
    with pytest.raises(actions.ActionError, match="username: 1 to 80 of the letters A–Z"):
        actions.create_user(
            db,
            by=None,
            username=username,
            full_name="",
            password="a long enough password, kettle",
            role="viewer",
        )
    db.rollback()
    assert db.scalar(select(func.count(User.id))) == 0


def test_an_80_character_username_and_a_200_character_name_fit_every_database(db):
    user = actions.create_user(
        db,
        by=None,
        username="a" * 80,
        full_name="N" * 200,
        password="a long enough password, kettle",
        role="viewer",
    )
    assert db.get(User, user.id).username == "a" * 80
    with pytest.raises(actions.ActionError, match="full name: at most 200"):
        actions.create_user(
            db,
            by=None,
            username="b",
            full_name="N" * 201,
            password="a long enough password, kettle",
            role="viewer",
        )


@pytest.mark.parametrize(
    ("value", "percent", "reason"),
    [
        (float("nan"), False, "a finite number"),
        (float("inf"), False, "a finite number"),
        (-float("inf"), True, "a finite number"),
        (100.5, True, "a percentage from 0 to 100"),
        (-0.1, True, "a percentage from 0 to 100"),
    ],
)
def test_a_target_is_finite_and_a_percentage_is_0_to_100(db, value, percent, reason):
    lead = actions.create_user(
        db, by=None, username="lead", full_name="", password="a long enough password, kettle", role="editor"
    )
    with pytest.raises(actions.ActionError, match=reason):
        actions.set_target(db, by=lead, metric_id="m", value=value, basis="b", percent=percent)
    actions.set_target(db, by=lead, metric_id="m", value=150.0, basis="b")  # days, say: no upper bound
    actions.set_target(db, by=lead, metric_id="p", value=100.0, basis="b", percent=True)


def test_a_session_lives_until_ended_idle_or_old(db, monkeypatch):
    lead = actions.create_user(
        db, by=None, username="lead", full_name="", password="a long enough password, kettle", role="viewer"
    )
    idle = timedelta(minutes=30)
    token = actions.start_session(db, user=lead)
    assert actions.session_user(db, token=token, idle=idle).id == lead.id
    assert actions.session_user(db, token=token + "x", idle=idle) is None
    start = actions.base._now()
    monkeypatch.setattr(actions.base, "_now", lambda: start + idle - timedelta(seconds=1))
    assert actions.session_user(db, token=token, idle=idle) is not None  # used: the idle clock restarts
    monkeypatch.setattr(actions.base, "_now", lambda: start + 2 * idle - timedelta(seconds=2))
    assert actions.session_user(db, token=token, idle=idle) is not None
    monkeypatch.setattr(actions.base, "_now", lambda: start + 3 * idle)
    assert actions.session_user(db, token=token, idle=idle) is None
    monkeypatch.undo()
    token = actions.start_session(db, user=lead)
    actions.end_session(db, token=token)
    assert actions.session_user(db, token=token, idle=idle) is None
    assert _events(db)[-1] == ("sign_out", f"user:{lead.id}")
    assert token not in {s.id for s in db.scalars(select(WebSession))}  # only its hash is kept


def test_a_session_with_a_timeout_under_a_minute_is_still_renewed_by_use(db, monkeypatch):
    # Last use is written at most once a minute; with a 24-second timeout it must be written sooner,
    # or a page polling every second (a report being built) is signed out 24 seconds after sign-in.
    lead = actions.create_user(
        db, by=None, username="lead", full_name="", password="a long enough password, kettle", role="viewer"
    )
    idle = timedelta(seconds=24)
    token = actions.start_session(db, user=lead)
    start = actions.base._now()
    for used in range(10, 100, 10):  # a use every 10 seconds for 90 seconds
        monkeypatch.setattr(actions.base, "_now", lambda used=used: start + timedelta(seconds=used))
        assert actions.session_user(db, token=token, idle=idle) is not None, used
    monkeypatch.setattr(actions.base, "_now", lambda: start + timedelta(seconds=90 + 25))
    assert actions.session_user(db, token=token, idle=idle) is None  # then idle: ended


def test_a_concurrent_flood_of_refusals_logs_exactly_the_cap(database_url):
    """A final outside check: 30 refusals a minute overshot by a few under a concurrent flood, each
    request reading the count before any had written. Counted and written one at a time, 60 refusals
    from 6 threads at once log exactly the cap, on both engines."""
    from concurrent.futures import ThreadPoolExecutor

    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)

    def refuse(_):
        with sessions() as session, actions.acting_from("10.7.0.1", "curl"):
            actions.record_refusal(session, user=None, subject="GET /admin/users", detail="needs admin")

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(refuse, range(2 * actions.REFUSALS_LOGGED_PER_MINUTE)))
    with sessions() as session:
        logged = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.client == "10.7.0.1")
        )
    engine.dispose()
    assert logged == actions.REFUSALS_LOGGED_PER_MINUTE
