"""`stocktake users`: the first admin from the command line, and a forgotten password replaced."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from stocktake.appdb.actions import authenticate
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import AuditEvent
from stocktake.cli import app
from stocktake.settings import load_settings


def _users(home, *args, password: str):
    return CliRunner().invoke(
        app, ["users", *args, "--home", str(home)], env={"STOCKTAKE_PASSWORD": password}
    )


def test_an_admin_is_added_and_a_forgotten_password_replaced(tmp_path):
    added = _users(tmp_path, "add", "Lead", "--role", "admin", password="the first password, otter")
    assert added.exit_code == 0, added.output
    replaced = _users(tmp_path, "password", "lead", password="the second password, lantern")
    assert replaced.exit_code == 0, replaced.output
    with session_factory(make_engine(load_settings(tmp_path).database_url))() as db:
        assert authenticate(db, username="lead", password="the first password, otter") is None
        user = authenticate(db, username="lead", password="the second password, lantern")
        assert user is not None and user.role == "admin"
        actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["user_created", "password_reset", "sign_in_failed", "sign_in"]


def test_a_refused_change_says_why(tmp_path):
    assert _users(tmp_path, "add", "lead", password="the first password, otter").exit_code == 0
    unknown = _users(tmp_path, "password", "nobody", password="a long enough password, kettle")
    assert unknown.exit_code == 2 and "no account 'nobody'" in unknown.output
    short = _users(tmp_path, "password", "lead", password="short")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    # the rules a user's own change keeps, kept by the command line too (an outside check)
    named = _users(tmp_path, "password", "lead", password="Lead-of-the-ward")
    assert named.exit_code == 2 and "too easily guessed" in named.output
    repeated = _users(tmp_path, "add", "ward", password="111122221111")
    assert repeated.exit_code == 2 and "too easily guessed" in repeated.output


def test_a_full_name_is_checked_as_the_users_page_checks_it_and_an_empty_variable_is_said(tmp_path):
    """An outside check: a right-to-left override and an NHS number were taken as a full name from here,
    refused from the users page; and an empty $STOCKTAKE_PASSWORD gave a bare "Aborted."."""
    named = _users(
        tmp_path, "add", "fn1", "--full-name", "Dr \u202eXSS", password="a long enough password, kettle"
    )
    assert named.exit_code == 2 and "--full-name: holds a character that cannot be kept" in named.output
    numbered = _users(
        tmp_path, "add", "fn2", "--full-name", "Dr 401 023 2137", password="a long enough password, kettle"
    )
    assert numbered.exit_code == 2 and "reads as an NHS number" in numbered.output
    lines = _users(
        tmp_path, "add", "fn4", "--full-name", "Jo\nSmith", password="a long enough password, kettle"
    )
    assert lines.exit_code == 2 and "full name: one line, without tabs" in lines.output
    blank = _users(
        tmp_path, "add", "fn5", "--full-name", "\u3164\u3164", password="a long enough password, kettle"
    )
    assert blank.exit_code == 2 and "U+3164" in blank.output
    empty = _users(tmp_path, "add", "fn3", password="")
    assert empty.exit_code == 2 and "$STOCKTAKE_PASSWORD is set but empty" in empty.output


def test_the_command_lines_account_events_say_where_they_came_from(tmp_path):
    assert _users(tmp_path, "add", "lead", password="the first password, otter").exit_code == 0
    with session_factory(make_engine(load_settings(tmp_path).database_url))() as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")).all()
    assert event.client == "the command line" and event.agent


def test_the_password_rule_takes_a_persons_name_as_a_word_not_inside_another():
    """A recheck: "Analgesia round" was refused for Lana, "Email the rota" for Liam (reversed),
    "Generic drugs" for eric and "Tomorrow" for tom; their names as words still are."""
    from stocktake.appdb.actions.accounts import _check_new_password
    from stocktake.appdb.actions.base import ActionError

    def _guessable(password, username, full_name):
        try:
            _check_new_password(password, username, full_name=full_name)
        except ActionError:
            return True
        return False

    ordinary = [
        ("Analgesia round at six", "lana.reed", "Lana Reed"),
        ("Email the rota to Sam 2026", "liam", "Liam"),
        ("Generic drugs cost less now", "eric", "Eric"),
        ("Tomorrow never comes they say", "tom", "Tom"),
        ("Market day is on a Thursday", "mark", "Mark"),
        ("password manager is my friend", "x", ""),
    ]
    assert [p for p, u, n in ordinary if _guessable(p, u, n)] == []
    named = [
        ("Lana on nights 2026", "lr", "Lana Reed"),
        ("TomTheNurse2026", "tom", "Tom"),
        ("htims.nhoj26", "john.smith", ""),
    ]
    assert all(_guessable(p, u, n) for p, u, n in named)
