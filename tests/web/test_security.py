"""Forms without the session's CSRF token are refused and logged; sign-in is logged and starts a new
session kept server-side, which sign-out, a password change or reset, disabling and an idle spell end;
sign-in is throttled per address and an account locked per address, which an admin can undo."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, User

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

POSTS = [
    "/metrics/hipfx_surgery_36h/target",
    "/metrics/hipfx_surgery_36h/annotations",
    "/projects",
    "/audits",
    "/decisions",
    "/uploads",
    "/admin/users",
    "/account/password",
]


def _count(app) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count(AuditEvent.id)))


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("token", [None, "forged"])
def test_a_form_without_the_sessions_token_is_refused(app, clients, path, token):
    before = _count(app)
    data = {"title": "x", "aim": "y", "value": "1", "basis": "b", "username": "mallory", "password": "p" * 20}
    if token:
        data["csrf_token"] = token
    answer = clients["admin"].post(path, data=data, follow_redirects=False)
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert _count(app) == before + 1  # the refusal, and nothing else
    refused = _latest(app)
    assert (refused.action, refused.subject, refused.user.username) == (
        "request_refused",
        f"POST {path}",
        "admin",
    )
    assert (refused.client, refused.agent) == ("testclient", "testclient")  # the test client's own
    assert clients["admin"].get("/admin/users").status_code == 200  # still signed in


def _latest(app) -> AuditEvent:
    with app.state.sessions() as db:
        event = db.scalar(
            select(AuditEvent).options(joinedload(AuditEvent.user)).order_by(AuditEvent.id.desc()).limit(1)
        )
        return event


def test_a_lower_role_refused_is_logged_with_where_it_came_from(app, clients):
    answer = clients["viewer"].get("/admin/audit-log", headers={"User-Agent": "Ward 7 PC"})
    assert answer.status_code == 403
    refused = _latest(app)
    assert (refused.action, refused.subject, refused.detail) == (
        "request_refused",
        "GET /admin/audit-log",
        "needs the admin role",
    )
    assert (refused.user.username, refused.client, refused.agent) == ("viewer", "testclient", "Ward 7 PC")
    log = clients["admin"].get("/admin/audit-log").text
    assert "Ward 7 PC" in log and "request refused" in log and "testclient" in log


def test_htmx_may_send_the_token_as_a_header(clients):
    client = clients["editor"]
    answer = client.post(
        "/decisions",
        data={"decided_on": "2024-01-02", "title": "t", "rationale": "r", "decided_by": "d"},
        headers={"X-CSRF-Token": client.csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_sign_in_is_logged_and_replaces_the_session(app, sign_in_as):
    client = sign_in_as(None)
    before = client.cookies.get("stocktake_session")
    wrong = client.post("/sign-in", data={"username": "admin", "password": "nope", "csrf_token": client.csrf})
    assert wrong.status_code == 401
    right = client.post(
        "/sign-in",
        data={
            "username": "admin",
            "password": "a long enough password, kettle",
            "csrf_token": client.csrf,
            "next": "//evil",
        },
        follow_redirects=False,
    )
    assert right.headers["location"] == "/"  # never off-site
    assert client.cookies.get("stocktake_session") != before
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        latest = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert [e.action for e in latest] == ["sign_in", "sign_in_failed"]
    assert latest[0].user_id == admin.id and latest[1].user_id is None
    assert admin.password_hash.startswith("$argon2id$")


def test_admin_adds_a_user_who_can_then_sign_in(clients, sign_in_as):
    admin = clients["admin"]
    data = {
        "username": "Nurse.Lead",
        "full_name": "N Lead",
        "password": "another long password, pebble",
        "role": "editor",
    }
    assert (
        "Added nurse.lead as editor"
        in admin.post("/admin/users", data=data | {"csrf_token": admin.csrf}).text
    )
    short = admin.post(
        "/admin/users", data=data | {"username": "x", "password": "short", "csrf_token": admin.csrf}
    )
    assert short.status_code == 422 and "at least 12 characters" in short.text
    # an outside check: the rules for a guessable password held for a user's own change only
    # and then (a recheck) the commonest passwords, the person's name however written, and what no
    # sign-in box can type
    guessed = {
        "ward7": ("ward7-password", "too easily guessed"),
        "ward8": ("abababababab", "too easily guessed"),
        "w9": ("123456789012", "too easily guessed"),
        "w10": ("Password123!", "too easily guessed"),
        "w11": ("Summer2026!!", "too easily guessed"),
        "john.smith": ("JohnSmith2024", "too easily guessed"),
        "o.brien": ("OBrien123456", "too easily guessed"),
        "chg": ("\uff43\uff48\uff471234567890", "too easily guessed"),  # full-width letters
        "w12": ("abc\ndefghijkl", "a control character or only spaces"),
        "w13": (" " * 4 + "\xa0\xa0\u2002\u2003" + " " * 4, "a control character or only spaces"),
        # a recheck: digits for letters, a word repeated or made most of, keyboard runs, a name reversed
        "w14": ("P@ssw0rd123!", "too easily guessed"),
        "w15": ("Hosp1tal2026!", "too easily guessed"),
        "w16": ("Summer2026Summer", "too easily guessed"),
        "w17": ("MyPassword2026", "too easily guessed"),
        "w18": ("1qaz2wsx3edc", "too easily guessed"),
        "w19": ("asdfghjkl123", "too easily guessed"),
        "w20": ("abc123abc123", "too easily guessed"),
        "w21": ("01/01/2000-1234", "too easily guessed"),
        "jane.doe": ("eod.enaj-2026", "too easily guessed"),
        "w22": ("SummerWinter2026", "too easily guessed"),  # two common words
        "w23": ("Drowssap2026!", "too easily guessed"),  # one reversed
    }
    for username, (password, said) in guessed.items():
        guessable = admin.post(
            "/admin/users",
            data=data | {"username": username, "password": password, "csrf_token": admin.csrf},
        )
        assert guessable.status_code == 422 and f"password: {said}" in guessable.text, username
        assert password not in guessable.text
    named = data | {"username": "wfull", "full_name": "Frank Jones", "password": "Frank Jones 2024"}
    assert "too easily guessed" in admin.post("/admin/users", data=named | {"csrf_token": admin.csrf}).text
    for i, good in enumerate(("mayhem-dreamy-42", "my summer in spain 2019", "may the force be with you")):
        fine = data | {"username": f"amy.b{i}", "full_name": "Amy B", "password": good}
        assert f"Added amy.b{i}" in admin.post("/admin/users", data=fine | {"csrf_token": admin.csrf}).text
    client = sign_in_as(None)
    answer = client.post(
        "/sign-in",
        data={
            "username": "nurse.lead",
            "password": "another long password, pebble",
            "csrf_token": client.csrf,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert client.get("/uploads").status_code == 200


def _new_user(app, username: str) -> None:
    with app.state.sessions() as db:
        actions.create_user(
            db,
            by=None,
            username=username,
            full_name=username,
            password="the right password, violin",
            role="viewer",
        )


def _sign_in(client, username: str, password: str) -> int:
    data = {"username": username, "password": password, "csrf_token": client.csrf}
    status = client.post("/sign-in", data=data, follow_redirects=False).status_code
    if status == 303:  # a new session, with its own token
        client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)[1]
    return status


def _actions_of(app, username: str) -> list[str]:
    with app.state.sessions() as db:
        user = db.scalar(select(User).where(User.username == username))
        subject = AuditEvent.subject == f"user:{user.id}"
        return list(db.scalars(select(AuditEvent.action).where(subject).order_by(AuditEvent.id)))


def test_a_user_changes_their_own_password(app, sign_in_as):
    _new_user(app, "changer")
    client = sign_in_as(None)
    assert _sign_in(client, "changer", "the right password, violin") == 303
    assert "Change your password" in client.get("/account").text
    form = {
        "current": "the right password, violin",
        "new": "a brand new password, heron",
        "again": "a brand new password, heron",
    }
    for wrong, reason in [
        ({"current": "not it"}, "current password: not right"),
        ({"again": "a brand new passw0rd"}, "the two new passwords differ"),
        ({"new": "short", "again": "short"}, "at least 12 characters"),
    ]:
        answer = client.post("/account/password", data=form | wrong | {"csrf_token": client.csrf})
        assert answer.status_code == 422 and reason in answer.text
    answer = client.post("/account/password", data=form | {"csrf_token": client.csrf})
    assert answer.status_code == 200 and "Your password is changed" in answer.text
    fresh = sign_in_as(None)
    assert _sign_in(fresh, "changer", "the right password, violin") == 401
    assert _sign_in(fresh, "changer", "a brand new password, heron") == 303
    assert "password_changed" in _actions_of(app, "changer")


def from_address(app, address: str) -> TestClient:
    """An anonymous client at ``address``, with its session's CSRF token."""
    client = TestClient(app, client=(address, 50000))
    client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)[1]
    return client


def _copy_of(app, client) -> TestClient:
    """Another browser holding a copy of ``client``'s cookie."""
    thief = TestClient(app, client=("10.9.9.9", 50000))
    thief.cookies.set("stocktake_session", client.cookies.get("stocktake_session"))
    return thief


def _signed_in(client) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app):
    _new_user(app, "leaver")
    client = from_address(app, "10.1.0.1")
    assert _sign_in(client, "leaver", "the right password, violin") == 303
    thief = _copy_of(app, client)
    assert _signed_in(thief)
    answer = client.post("/sign-out", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert answer.status_code == 200 and "You are signed out" in answer.text
    assert not _signed_in(client) and not _signed_in(thief)
    assert _actions_of(app, "leaver")[-1] == "sign_out"


@pytest.mark.parametrize("token", [None, "stale"])
def test_sign_out_works_from_a_stale_tab(app, token):
    _new_user(app, f"ward{token}")
    client = from_address(app, "10.1.0.2")
    assert _sign_in(client, f"ward{token}", "the right password, violin") == 303
    data = {"csrf_token": token} if token else {}
    answer = client.post("/sign-out", data=data, follow_redirects=False)
    assert answer.status_code == 200 and "You are signed out" in answer.text
    assert not _signed_in(client)


def test_a_password_change_ends_every_other_session(app):
    _new_user(app, "changer2")
    client = from_address(app, "10.1.0.3")
    assert _sign_in(client, "changer2", "the right password, violin") == 303
    elsewhere = from_address(app, "10.1.0.4")
    assert _sign_in(elsewhere, "changer2", "the right password, violin") == 303
    thief = _copy_of(app, client)
    form = {
        "current": "the right password, violin",
        "new": "a brand new password, heron",
        "again": "a brand new password, heron",
    }
    answer = client.post("/account/password", data=form | {"csrf_token": client.csrf})
    assert answer.status_code == 200 and "signed out" in answer.text
    assert _signed_in(client)  # the one who changed it stays signed in, in a new session
    assert not _signed_in(elsewhere) and not _signed_in(thief)


def test_a_reset_ends_every_session(app):
    _new_user(app, "forgetful")
    client = from_address(app, "10.1.0.5")
    assert _sign_in(client, "forgetful", "the right password, violin") == 303
    with app.state.sessions() as db:
        actions.reset_password(db, by=None, username="forgetful", password="a replaced password, walrus")
    assert not _signed_in(client)


def test_a_reset_unlocks_the_account_it_replaces_the_password_of(app):
    """An outside check: five wrong guesses, then `stocktake users password`, and the new password was
    refused as "not right" for 15 minutes."""
    _new_user(app, "lockme")
    guesser = from_address(app, "10.1.0.15")
    assert [_sign_in(guesser, "lockme", f"guess {i}") for i in range(actions.SIGN_IN_ATTEMPTS)] == [401] * 5
    assert _sign_in(from_address(app, "10.1.0.15"), "lockme", "the right password, violin") == 401  # locked
    with app.state.sessions() as db:
        actions.reset_password(db, by=None, username="lockme", password="a replaced password, walrus")
    assert _sign_in(from_address(app, "10.1.0.15"), "lockme", "a replaced password, walrus") == 303


def test_enabling_a_disabled_user_again_does_not_revive_their_old_cookie(app):
    _new_user(app, "returner")
    client = from_address(app, "10.1.0.6")
    assert _sign_in(client, "returner", "the right password, violin") == 303
    thief = _copy_of(app, client)
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        returner = db.scalar(select(User).where(User.username == "returner"))
        actions.set_role(db, by=admin, user_id=returner.id, role="viewer", active=False)
        actions.set_role(db, by=admin, user_id=returner.id, role="viewer", active=True)
    assert not _signed_in(client) and not _signed_in(thief)
    assert _sign_in(client, "returner", "the right password, violin") == 303


def test_a_session_ends_when_left_idle_and_after_eight_hours_whatever(app, monkeypatch):
    _new_user(app, "idler")
    client = from_address(app, "10.1.0.7")
    assert _sign_in(client, "idler", "the right password, violin") == 303
    start = actions.base._now()
    idle = app.state.settings.idle_timeout
    for minutes in range(0, 8 * 60, 20):  # used every 20 minutes: within the 30-minute timeout
        monkeypatch.setattr(actions.base, "_now", lambda m=minutes: start + timedelta(minutes=m))
        assert _signed_in(client), minutes
    monkeypatch.setattr(actions.base, "_now", lambda: start + timedelta(hours=8, seconds=1))
    assert not _signed_in(client)  # eight hours after sign-in, however busy

    monkeypatch.undo()  # back to now (a sign-in in the future would clear everyone's sessions as old)
    assert _sign_in(client, "idler", "the right password, violin") == 303
    restart = actions.base._now()
    monkeypatch.setattr(actions.base, "_now", lambda: restart + idle + timedelta(seconds=1))
    assert not _signed_in(client)


def test_guessing_from_one_address_locks_the_account_there_only_until_an_admin_unlocks_it(
    app, clients, monkeypatch
):
    _new_user(app, "targeted")
    attacker, owner = from_address(app, "10.2.0.1"), from_address(app, "10.2.0.2")
    for _ in range(actions.SIGN_IN_ATTEMPTS):
        assert _sign_in(attacker, "targeted", "a wrong password") == 401
    assert _sign_in(attacker, "targeted", "the right password, violin") == 401  # locked from there
    form = {"username": "targeted", "password": "the right password, violin", "csrf_token": attacker.csrf}
    assert "or locked after five wrong tries from this computer" in attacker.post("/sign-in", data=form).text
    assert _actions_of(app, "targeted")[-1] == "sign_in_locked"
    assert _sign_in(owner, "targeted", "the right password, violin") == 303  # not from their own PC
    assert (
        _sign_in(attacker, "targeted", "the right password, violin") == 401
    )  # their good one reset nothing here
    # an admin sees the lock and lifts it
    admin = clients["admin"]
    with app.state.sessions() as db:
        user_id = db.scalar(select(User.id).where(User.username == "targeted"))
    page = admin.get("/admin/users").text
    assert "Locked after wrong passwords from 10.2.0.1" in page
    answer = admin.post(
        f"/admin/users/{user_id}/unlock", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "Locked after wrong passwords from 10.2.0.1" not in admin.get("/admin/users").text
    assert "user_unlocked" in _actions_of(app, "targeted")
    assert _sign_in(attacker, "targeted", "the right password, violin") == 303


def test_an_admin_unlock_lets_a_user_in_from_an_address_that_guessed_many_names(app, clients):
    """Staff behind one NAT address with a guesser: the address is refused, but the admin's Unlock
    of a colleague lets that colleague in (the guesser's other names stay refused)."""
    _new_user(app, "behind_nat")
    shared = from_address(app, "10.5.0.1")
    for i in range(actions.ADDRESS_ATTEMPTS):
        assert _sign_in(shared, f"guess{i}", "a wrong password") == 401
    assert _sign_in(shared, "behind_nat", "the right password, violin") == 401
    admin = clients["admin"]
    with app.state.sessions() as db:
        user_id = db.scalar(select(User.id).where(User.username == "behind_nat"))
    admin.post(f"/admin/users/{user_id}/unlock", data={"csrf_token": admin.csrf})
    assert _sign_in(from_address(app, "10.5.0.1"), "guess0", "a wrong password") == 401
    assert _actions_of(app, "behind_nat")[-1] == "user_unlocked"
    # unlocked, a typo is told as a typo, not as the address's refusal (an outside recheck)
    typo = from_address(app, "10.5.0.1")
    form = {"username": "behind_nat", "password": "a typo", "csrf_token": typo.csrf}
    assert "Too many failed sign-ins" not in typo.post("/sign-in", data=form).text
    assert _sign_in(from_address(app, "10.5.0.1"), "behind_nat", "the right password, violin") == 303


def test_an_address_that_guesses_many_names_is_refused_for_a_while(app, monkeypatch):
    _new_user(app, "bystander")
    guesser = from_address(app, "10.3.0.1")
    for i in range(actions.ADDRESS_ATTEMPTS):
        assert _sign_in(guesser, f"name{i % 3}", "a wrong password") == 401
    assert _sign_in(guesser, "bystander", "the right password, violin") == 401
    assert _actions_of(app, "bystander")[-1] == "sign_in_throttled"
    # an outside check: told their right password was wrong, a clinician would ask for a reset
    form = {"username": "bystander", "password": "the right password, violin", "csrf_token": guesser.csrf}
    said = " ".join(guesser.post("/sign-in", data=form).text.split())
    assert "Too many failed sign-ins from this computer&#39;s address: signing in from it waits until" in said
    assert _sign_in(from_address(app, "10.3.0.2"), "bystander", "the right password, violin") == 303
    later = actions.base._now() + actions.SIGN_IN_LOCK + timedelta(seconds=1)
    monkeypatch.setattr(actions.base, "_now", lambda: later)
    assert _sign_in(guesser, "bystander", "the right password, violin") == 303


def test_one_users_flood_of_refusals_silences_no_one_elses_and_the_rest_go_to_the_server_log(app, caplog):
    """A security review: 30 harmless refusals from one account kept a colleague's attempts behind
    the same address (a proxy, Citrix) out of the audit log, and nothing else recorded them. The cap
    is now per signed-in user, and what it keeps out goes to the server's log."""
    for name in ("flooder", "colleague"):
        _new_user(app, name)
    flooder, colleague = from_address(app, "10.8.0.1"), from_address(app, "10.8.0.1")
    assert _sign_in(flooder, "flooder", "the right password, violin") == 303
    assert _sign_in(colleague, "colleague", "the right password, violin") == 303
    before = _count(app)
    with caplog.at_level("WARNING", logger="stocktake.audit"):
        for _ in range(actions.REFUSALS_LOGGED_PER_MINUTE + 5):
            assert flooder.get("/uploads").status_code == 403
    assert _count(app) == before + actions.REFUSALS_LOGGED_PER_MINUTE
    kept_out = [r.getMessage() for r in caplog.records if r.name == "stocktake.audit"]
    assert len(kept_out) == 5
    assert kept_out[0].startswith("request_refused from 10.8.0.1 (user ")
    assert kept_out[0].endswith("GET /uploads: needs the editor role")
    assert colleague.get("/admin/users").status_code == 403
    latest = _latest(app)
    assert (latest.action, latest.user.username, latest.subject) == (
        "request_refused",
        "colleague",
        "GET /admin/users",
    )


def test_the_server_writes_what_the_audit_logs_caps_keep_out_with_its_time(app):
    """An outside re-check: the refusals past the cap reached standard error with no time, so they
    could not be set beside the audit log."""
    from stocktake.web.app import server_config

    config = server_config(app, "127.0.0.1", 8000).log_config
    assert config["loggers"]["stocktake.audit"]["handlers"] == ["audit"]
    assert "%(asctime)s" in config["formatters"]["audit"]["format"]
    assert config["handlers"]["audit"]["stream"] == "ext://sys.stderr"


def test_a_flood_of_throttled_sign_ins_cannot_push_the_log_off_its_first_pages(app, caplog):
    """Sixty made-up names from one address: the throttled attempts after the lock are kept up to the
    refusals' cap a minute, the rest in the server's log."""
    guesser = from_address(app, "10.7.0.1")
    with caplog.at_level("WARNING", logger="stocktake.audit"):
        for i in range(actions.ADDRESS_ATTEMPTS + actions.REFUSALS_LOGGED_PER_MINUTE + 4):
            assert _sign_in(guesser, f"nosuch{i}", "a wrong password") == 401
    with app.state.sessions() as db:
        throttled = db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "sign_in_throttled", AuditEvent.client == "10.7.0.1")
        )
    assert throttled == actions.REFUSALS_LOGGED_PER_MINUTE
    assert sum(r.getMessage().startswith("sign_in_throttled from 10.7.0.1") for r in caplog.records) == 4


def test_the_users_page_names_an_address_refused_for_failed_sign_ins_and_until_when(app, clients):
    """A security review: made-up names from one address refused everyone there, an admin included,
    while the Users page said "Not locked" of every account."""
    from datetime import UTC

    from stocktake.web.clock import LONDON

    assert "10.6.0.1" not in clients["admin"].get("/admin/users").text
    guesser = from_address(app, "10.6.0.1")
    for i in range(actions.ADDRESS_ATTEMPTS):
        assert _sign_in(guesser, f"madeup{i}", "a wrong password") == 401
    with app.state.sessions() as db:
        (_, until), *others = [t for t in actions.throttled_addresses(db) if t[0] == "10.6.0.1"]
        first = db.scalars(
            select(AuditEvent.at).where(AuditEvent.client == "10.6.0.1").order_by(AuditEvent.id)
        ).first()
    assert not others and until == first + actions.SIGN_IN_LOCK  # the earliest of the 20 ages out first
    page = " ".join(clients["admin"].get("/admin/users").text.split())
    ends = until.replace(tzinfo=UTC).astimezone(LONDON).strftime("%-d %B %Y, %H:%M")
    assert f"10.6.0.1 until {ends}" in page and "Sign-in refused from" in page


def test_a_flood_of_refused_requests_cannot_push_the_log_off_its_first_pages(app):
    flooder = from_address(app, "10.9.0.1")
    before = _count(app)
    for _ in range(actions.REFUSALS_LOGGED_PER_MINUTE + 20):
        assert flooder.post("/admin/users", data={}, follow_redirects=False).status_code == 403
    assert _count(app) == before + actions.REFUSALS_LOGGED_PER_MINUTE
    other = from_address(app, "10.9.0.2")  # another address's refusals are still logged
    other.post("/admin/users", data={}, follow_redirects=False)
    assert _latest(app).client == "10.9.0.2"


def test_wrong_current_passwords_count_as_failed_sign_ins_and_lock(app):
    """An outside check guessed a signed-in user's password 30 times on the change form, round the
    sign-in's lock of five, and none was logged."""
    _new_user(app, "guessed")
    client = from_address(app, "10.1.0.7")
    assert _sign_in(client, "guessed", "the right password, violin") == 303
    form = {
        "new": "a brand new password, heron",
        "again": "a brand new password, heron",
        "csrf_token": client.csrf,
    }
    for attempt in range(4):
        answer = client.post("/account/password", data=form | {"current": f"wrong {attempt}"})
        assert answer.status_code == 422 and "current password: not right" in answer.text
    answer = client.post("/account/password", data=form | {"current": "wrong again"})
    assert "not right too many times; you are signed out" in answer.text
    assert not _signed_in(client)
    assert _actions_of(app, "guessed").count("password_check_failed") == 5  # with who was signed in
    assert _sign_in(client, "guessed", "the right password, violin") == 401  # locked from this address
    assert _sign_in(from_address(app, "10.1.0.8"), "guessed", "the right password, violin") == 303


def test_a_right_current_password_is_never_locked_by_others_guesses_and_resets_the_count(app):
    """An outside recheck: five wrong sign-ins to a colleague's name from a shared address signed the
    colleague out everywhere when they then changed their password with the right one; and with the
    password changed, one typo after four wrong guesses locked the new one out."""
    _new_user(app, "shared1")
    colleague = from_address(app, "10.1.2.1")
    assert _sign_in(colleague, "shared1", "the right password, violin") == 303
    guesser = from_address(app, "10.1.2.1")
    for i in range(actions.SIGN_IN_ATTEMPTS):
        assert _sign_in(guesser, "shared1", f"guess {i}") == 401
    form = {
        "current": "the right password, violin",
        "new": "a brand new password, heron",
        "again": "a brand new password, heron",
    }
    answer = colleague.post("/account/password", data=form | {"csrf_token": colleague.csrf})
    assert answer.status_code == 200 and "Your password is changed" in answer.text
    _new_user(app, "shared2")
    client = from_address(app, "10.1.2.2")
    assert _sign_in(client, "shared2", "the right password, violin") == 303
    for i in range(actions.SIGN_IN_ATTEMPTS - 1):
        client.post("/account/password", data=form | {"current": f"wrong {i}", "csrf_token": client.csrf})
    answer = client.post("/account/password", data=form | {"csrf_token": client.csrf})
    assert "Your password is changed" in answer.text
    again = from_address(app, "10.1.2.2")
    assert _sign_in(again, "shared2", "a typo") == 401
    assert _sign_in(again, "shared2", "a brand new password, heron") == 303  # the count began again


def test_a_form_whose_token_comes_in_the_header_is_checked_as_every_form_is(app, clients):
    """An outside recheck: with the token in the X-CSRF-Token header the form's text was not read, and
    a NUL (a 500 on PostgreSQL) and an NHS number shown to every viewer were stored."""
    editor = clients["editor"]
    answer = editor.post(
        "/decisions",
        data={"title": "D 943 476 5919", "rationale": "r"},
        headers={"X-CSRF-Token": editor.csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 422 and "title: holds what reads as an NHS number" in answer.text


@pytest.mark.parametrize(
    ("username", "new", "said"),
    [
        ("weak1", "the right password, violin", "the same as the current one"),
        ("weak2", "aaaaaaaaaaaa", "too easily guessed"),
        ("weak3", "121212121212", "too easily guessed"),
        ("weak4", "Weak4-is-my-name", "too easily guessed"),  # the username in it
    ],
)
def test_a_new_password_too_easily_guessed_is_refused(app, username, new, said):
    _new_user(app, username)
    client = from_address(app, "10.1.0.9")
    assert _sign_in(client, username, "the right password, violin") == 303
    form = {"current": "the right password, violin", "new": new, "again": new, "csrf_token": client.csrf}
    answer = client.post("/account/password", data=form)
    assert answer.status_code == 422 and said in answer.text


def test_others_guesses_and_one_typo_do_not_lock_a_password_change(app):
    """An outside recheck: four wrong sign-ins to a name from a shared PC, then its signed-in owner's
    one typo of the current password, signed the owner out and said "not right too many times"."""
    _new_user(app, "ward_pc")
    owner = from_address(app, "10.1.3.1")
    assert _sign_in(owner, "ward_pc", "the right password, violin") == 303
    for i in range(actions.SIGN_IN_ATTEMPTS - 1):
        assert _sign_in(from_address(app, "10.1.3.1"), "ward_pc", f"guess {i}") == 401
    form = {"current": "a typo", "new": "a brand new password, heron", "again": "a brand new password, heron"}
    answer = owner.post("/account/password", data=form | {"csrf_token": owner.csrf})
    assert "current password: not right" in answer.text and "too many times" not in answer.text
    assert _signed_in(owner)


def test_a_short_username_in_a_new_password_is_not_taken_for_it(app):
    """An outside recheck: user "a" could choose no password holding the letter a."""
    _new_user(app, "ab")
    client = from_address(app, "10.1.4.1")
    assert _sign_in(client, "ab", "the right password, violin") == 303
    form = {
        "current": "the right password, violin",
        "new": "Saturday-Morning-Heron-42",
        "again": "Saturday-Morning-Heron-42",
    }
    assert (
        "Your password is changed"
        in client.post("/account/password", data=form | {"csrf_token": client.csrf}).text
    )
