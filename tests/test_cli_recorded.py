"""A command's read of a home's warehouse is in that home's audit log, before anything is written."""

import getpass
import shutil

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import AuditEvent
from stocktake.cli import app
from stocktake.cli.recorded import ACTION

runner = CliRunner()
PASSWORD = "a long enough password, kettle"


@pytest.fixture
def home(tmp_path, demo_warehouse):
    """A home holding a copy of the demo's warehouse, and no app database yet."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    return home


def _events(home) -> list[AuditEvent]:
    engine = make_engine(f"sqlite:///{home / 'workspace.sqlite'}")
    try:
        with session_factory(engine)() as session:
            found = [e for e in session.scalars(select(AuditEvent)) if e.action == ACTION]
            session.expunge_all()
    finally:
        engine.dispose()
    return found


@pytest.mark.parametrize(
    ("args", "subject", "shown"),
    [
        (["metrics", "--by", "site", "--no-suppress", "--out", "{out}"], "metrics", "counts of 1–7 shown"),
        (["metrics", "--out", "{out}"], "metrics", None),
        (
            ["waitinglist", "stats", "--by", "procedure", "--no-suppress", "--out", "{out}"],
            "waitinglist stats",
            "groups of 1–7 pathways shown",
        ),
        (["waitinglist", "weeks", "--months", "3"], "waitinglist weeks", None),
    ],
)
def test_each_read_names_the_command_what_it_showed_where_it_went_and_who(
    home, tmp_path, args, subject, shown
):
    out = tmp_path / "out.csv"
    done = runner.invoke(app, [*(a.format(out=out) for a in args), "--home", str(home)])
    assert done.exit_code == 0, done.output
    [event] = _events(home)
    assert event.user_id is None and event.subject == f"stocktake {subject}"
    assert (event.client, event.agent) == ("the command line", getpass.getuser())  # the page's "From"
    where = f"to write {out}" if "--out" in args else "to show on the terminal"
    assert where in event.detail and event.detail.endswith(f"by {getpass.getuser()} on the command line")
    assert (shown in event.detail) if shown else (" shown;" not in event.detail)


def test_a_copy_of_a_warehouse_outside_any_home_is_read_with_no_log_made(tmp_path, demo_warehouse):
    elsewhere = tmp_path / "copies"
    elsewhere.mkdir()
    copy = elsewhere / "northshire-2025.duckdb"
    shutil.copy(demo_warehouse, copy)
    done = runner.invoke(app, ["metrics", "--source", str(copy), "--out", str(tmp_path / "series.csv")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "series.csv").is_file() and not (elsewhere / "workspace.sqlite").exists()


def test_a_read_that_cannot_be_recorded_writes_nothing(home, tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'no such folder' / 'app.sqlite'}")
    out = tmp_path / "stats.csv"
    done = runner.invoke(
        app, ["waitinglist", "stats", "--by", "procedure", "--out", str(out), "--home", str(home)]
    )
    assert done.exit_code == 2
    assert (
        "could not be recorded in the home's audit log" in done.output and "nothing was read" in done.output
    )
    assert not out.exists()


def test_the_admins_audit_log_page_shows_the_commands_read(home):
    """What the command line records is where an information governance lead looks: the workspace's
    audit log page."""
    import re

    from fastapi.testclient import TestClient

    from stocktake.appdb import actions
    from stocktake.settings import Settings
    from stocktake.web.app import create_app

    done = runner.invoke(app, ["waitinglist", "weeks", "--no-suppress", "--home", str(home)])
    assert done.exit_code == 0, done.output
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        actions.create_user(
            session, by=None, username="ig", full_name="IG lead", password=PASSWORD, role="admin"
        )
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
        client.post(
            "/sign-in",
            data={"username": "ig", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        page = client.get("/admin/audit-log")
    assert page.status_code == 200
    assert "stocktake waitinglist weeks" in page.text and "counts of 1–7 shown" in page.text


def test_a_link_to_a_homes_warehouse_is_recorded_in_that_home(home, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "latest.duckdb"
    link.symlink_to(home / "warehouse.duckdb")
    done = runner.invoke(app, ["metrics", "--source", str(link), "--out", str(tmp_path / "series.csv")])
    assert done.exit_code == 0, done.output
    [event] = _events(home)
    assert event.subject == "stocktake metrics" and not (tmp_path / "elsewhere" / "workspace.sqlite").exists()


def test_a_home_whose_warehouse_is_a_link_to_a_data_volume_is_recorded(home, tmp_path):
    volume = tmp_path / "volume"
    volume.mkdir()
    (home / "warehouse.duckdb").rename(volume / "store.duckdb")
    (home / "warehouse.duckdb").symlink_to(volume / "store.duckdb")
    (home / "stocktake.toml").write_text("")
    done = runner.invoke(app, ["alerts", "--home", str(home)])
    assert done.exit_code == 0, done.output
    [event] = _events(home)
    assert event.subject == "stocktake alerts" and "to show on the terminal" in event.detail


@pytest.mark.parametrize(
    ("url", "reason"),
    [("mysql://u@127.0.0.1:1/db", "No module named"), ("sqlite:///{folder}", "unable to open database file")],
)
def test_a_log_that_cannot_be_written_is_one_clear_line_with_its_reason(
    home, tmp_path, monkeypatch, url, reason
):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", url.format(folder=tmp_path))  # a folder, not a file
    out = tmp_path / "series.csv"
    done = runner.invoke(app, ["metrics", "--home", str(home), "--out", str(out)])
    assert done.exit_code == 2 and (done.exception is None or isinstance(done.exception, SystemExit))
    assert "could not be recorded in the home's audit log" in done.output and reason in done.output
    assert "Traceback" not in done.output and not out.exists()


def test_alerts_say_when_the_figures_are_old(home, monkeypatch):
    """An outside check: "Since last month: …" on the demo's data, 20 months old, without a word of it."""
    from datetime import date

    from stocktake.report import waitinglist

    (home / "stocktake.toml").write_text("")
    monkeypatch.setattr(waitinglist, "today", lambda: date(2026, 12, 7))
    said = " ".join(runner.invoke(app, ["alerts", "--home", str(home)]).stdout.split())
    assert (  # the fixture's warehouse runs to September 2023
        'These figures run to September 2023, 38 months ago: "since last month" below is since the month '
        "before each measure's own latest"
    ) in said
    monkeypatch.setattr(waitinglist, "today", lambda: date(2023, 10, 20))
    assert "These figures run to" not in runner.invoke(app, ["alerts", "--home", str(home)]).stdout
