"""What outsiders found still missing from the Job plans area (issue 27): a plan kept with a year far
ahead reported and compared with no other; ``team_capacity`` judged out of date by time, not by
counting plans, and rebuilt from the page and by the command; a proposal withdrawn; a kept plan
downloaded as the YAML ``stocktake jobplan check`` reads and its check as a workbook."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from datetime import UTC, datetime
from html import unescape

import duckdb
import pandas as pd
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from typer.testing import CliRunner

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import AuditEvent
from stocktake.cli import app as cli
from stocktake.jobplan.read import EXAMPLE, read_plan
from stocktake.jobplan.store import JobPlanStore
from stocktake.settings import Settings
from stocktake.warehouse import WarehouseError
from stocktake.web.app import create_app

YAML = "application/yaml"
PASSWORD = "a long enough password, kettle"


def plan_yaml(consultant: str, year: str = "2026/27", *, extra: list[dict] = ()) -> bytes:
    """The worked example as another consultant and year (sessions added with ``extra``)."""
    data = yaml.safe_load(EXAMPLE.read_text()) | {"consultant": consultant, "year": year}
    data["activities"] = [*data["activities"], *extra]
    return yaml.safe_dump(data, sort_keys=False).encode()


FRIDAY_THEATRE = {
    "weekday": "Fri",
    "start": "13:00",
    "end": "17:00",
    "activity": "theatre",
    "type": "DCC",
    "site": "Southfield",
}


def _client(app, username: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/job-plans").text).group(1)
    return client


@pytest.fixture
def fresh(tmp_path, demo_warehouse):
    """An app of its own, with an editor and a viewer, so the plans are only this test's."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        for role in ("editor", "viewer"):
            actions.create_user(
                db, by=None, username=role, full_name=f"A {role}", password=PASSWORD, role=role
            )
    return app, _client(app, "editor"), _client(app, "viewer")


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        found = db.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.user))
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return list(found)


def _upload(client, content: bytes, name: str = "plan.yaml") -> str:
    answer = client.post(
        "/job-plans/upload",
        data={"csrf_token": client.csrf},
        files={"plan": (name, content, YAML)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    return answer.headers["location"].removeprefix("/job-plans/")


def _post(client, slug: str, what: str):
    page = client.get(f"/job-plans/{slug}").text
    version = re.search(r'Version</dt><dd class="nhsuk-summary-list__value">(\d+):', page).group(1)
    data = {"csrf_token": client.csrf, "version": version}
    return client.post(f"/job-plans/{slug}/{what}", data=data, follow_redirects=False)


def _agree(client, slug: str) -> None:
    assert _post(client, slug, "propose").status_code == 303
    assert _post(client, slug, "agree").status_code == 303


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _section(page: str, start: str, end: str) -> str:
    return _words(page.split(f'id="{start}"')[1].split(f'id="{end}"')[0])


def _store(app) -> JobPlanStore:
    return JobPlanStore(app.state.settings.home / "jobplans")


# --- 1. a year far ahead, kept before years were checked -----------------------------------------


def test_a_plan_agreed_with_a_year_far_ahead_is_reported_and_blocks_nothing(fresh):
    app, editor, viewer = fresh
    old = _upload(editor, plan_yaml("C01"))
    _agree(editor, old)
    kept = _store(app).get(old)
    kept.file.write_bytes(plan_yaml("C01", "2099/00"))  # as agreed before the limit
    about = kept.folder / "about.json"
    about.write_text(json.dumps(json.loads(about.read_text()) | {"year": "2099/00"}))
    listing = viewer.get("/job-plans").text
    row = _words(re.search(rf'href="/job-plans/{old}".*?</tr>', listing, re.S).group(0))
    assert "year out of range: 2099/00 starts more than 2 years after today" in row
    assert "cannot be read" not in row  # its PAs are shown as ever
    page = viewer.get(f"/job-plans/{old}").text
    assert 'id="year-problem"' in page and 'id="total-pas"' in page
    new = _upload(editor, plan_yaml("C01", "2026/27", extra=[FRIDAY_THEATRE]))
    assert _post(editor, new, "propose").status_code == 303
    queue = _section(viewer.get("/job-plans").text, "review-queue", "capacity")
    assert "C01 2026/27" in queue and "against the agreed 2099/00" not in queue
    assert _post(editor, new, "agree").status_code == 303  # was refused: "C01's plan for 2099/00 is agreed"
    assert _store(app).get(old).state == "superseded" and _store(app).get(new).state == "agreed"
    [event] = [e for e in _events(app, "jobplan_superseded") if e.subject == f"jobplan:{old}"]
    assert event.detail == f"C01 2099/00: superseded by 2026/27 ({new})"


# --- 2. team_capacity out of date, judged by time ------------------------------------------------


def test_a_capacity_missed_while_the_warehouse_was_locked_is_out_of_date_and_rebuilt(fresh, monkeypatch):
    """Counts alone cannot see it: one agreed plan before and after (2026/27 supersedes 2025/26)."""
    app, editor, viewer = fresh
    old = _upload(editor, plan_yaml("C01", "2025/26"))
    _agree(editor, old)
    assert "out of date" not in viewer.get("/job-plans").text
    new = _upload(editor, plan_yaml("C01", "2026/27", extra=[FRIDAY_THEATRE]))

    def locked(*args, **kwargs):
        raise WarehouseError("the warehouse is in use by another program; try again shortly")

    with monkeypatch.context() as patch:
        patch.setattr("stocktake.web.routes.jobplans.write_frame", locked)
        _agree(editor, new)
    [event] = [e for e in _events(app, "jobplan_agreed") if e.subject == f"jobplan:{new}"]
    assert "team_capacity not written: the warehouse is in use" in event.detail
    with duckdb.connect(str(app.state.settings.warehouse), read_only=True) as con:
        written, plans = con.execute("SELECT max(written_at), max(plans) FROM team_capacity").fetchone()
        sites = {r[0] for r in con.execute("SELECT site FROM team_capacity").fetchall()}
    assert plans == 1 and "Southfield" not in sites  # the old plan's capacity, one plan as now
    agreed_at = datetime.fromisoformat(_store(app).get(new).about["agreed_at"])
    assert agreed_at.astimezone(UTC).replace(tzinfo=None) > written
    page = viewer.get("/job-plans").text
    stale = _words(re.search(r'id="capacity-stale".*?</div>', page, re.S).group(0))
    assert "team capacity out of date — rebuild: written" in stale
    assert 'id="rebuild-capacity"' not in page  # a viewer is told, not offered the button
    assert 'id="rebuild-capacity"' in editor.get("/job-plans").text
    refused = viewer.post("/job-plans/capacity", data={"csrf_token": viewer.csrf}, follow_redirects=False)
    assert refused.status_code == 403
    answer = editor.post("/job-plans/capacity", data={"csrf_token": editor.csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/job-plans#capacity"
    with duckdb.connect(str(app.state.settings.warehouse), read_only=True) as con:
        sites = {r[0] for r in con.execute("SELECT site FROM team_capacity").fetchall()}
    assert "Southfield" in sites  # the agreed 2026/27 plan's Friday theatre
    [rebuilt] = _events(app, "team_capacity_rebuilt")
    assert (
        rebuilt.user.username == "editor" and "team_capacity written from 1 agreed plan(s)" in rebuilt.detail
    )
    assert "out of date" not in viewer.get("/job-plans").text


def test_the_capacity_command_says_it_was_out_of_date_and_rebuilds_it(fresh, monkeypatch):
    app, editor, _ = fresh
    old = _upload(editor, plan_yaml("C01", "2025/26"))
    _agree(editor, old)
    new = _upload(editor, plan_yaml("C01", "2026/27", extra=[FRIDAY_THEATRE]))
    with monkeypatch.context() as patch:
        patch.setattr(
            "stocktake.web.routes.jobplans.write_frame",
            lambda *a, **k: (_ for _ in ()).throw(WarehouseError("locked")),
        )
        _agree(editor, new)
    home = str(app.state.settings.home)
    first = CliRunner().invoke(cli, ["jobplan", "capacity", "--home", home])
    assert first.exit_code == 0, first.output
    assert "team capacity out of date — rebuild: written" in first.output
    assert "rebuilding it now" in first.output and "from 1 agreed plan(s)" in first.output
    again = CliRunner().invoke(cli, ["jobplan", "capacity", "--home", home])
    assert again.exit_code == 0 and "out of date" not in again.output


# --- 3. withdrawing a proposal ---------------------------------------------------------------------


def test_a_proposal_is_withdrawn_to_a_draft_and_leaves_the_review_queue(fresh):
    app, editor, viewer = fresh
    slug = _upload(editor, plan_yaml("C02"))
    assert _post(editor, slug, "propose").status_code == 303
    assert "C02 2026/27" in _section(viewer.get("/job-plans").text, "review-queue", "capacity")
    page = editor.get(f"/job-plans/{slug}").text
    assert "Withdraw the proposal" in page
    assert "Withdraw the proposal" not in viewer.get(f"/job-plans/{slug}").text
    assert _post(viewer, slug, "withdraw").status_code == 403
    answer = _post(editor, slug, "withdraw")
    assert answer.status_code == 303 and answer.headers["location"] == f"/job-plans/{slug}"
    kept = _store(app).get(slug)
    assert kept.state == "draft"
    assert kept.history[-1] | {"at": ""} == {
        "state": "draft",
        "by": "A editor",
        "at": "",
        "why": "proposal withdrawn",
    }
    [event] = _events(app, "jobplan_proposal_withdrawn")
    assert event.subject == f"jobplan:{slug}" and event.user.username == "editor"
    assert event.detail == "C02 2026/27: proposal withdrawn, a draft again (version 1)"
    listing = viewer.get("/job-plans").text
    assert "C02 2026/27" not in _section(listing, "review", "capacity")
    refused = _post(editor, slug, "withdraw")  # a draft has no proposal to withdraw
    assert refused.status_code == 422 and "only a proposed plan can be withdrawn" in unescape(refused.text)
    assert len(_events(app, "jobplan_proposal_withdrawn")) == 1
    assert _post(editor, slug, "propose").status_code == 303  # and it can be proposed again
    assert _store(app).get(slug).state == "proposed"


# --- 4. downloading a kept plan and its check -----------------------------------------------------


def test_a_viewer_downloads_the_plan_as_yaml_that_reads_back_and_its_check_as_the_command_writes_it(
    fresh, tmp_path
):
    app, editor, viewer = fresh
    slug = _upload(editor, plan_yaml("C03"), "C03 plan.yaml")
    _agree(editor, slug)
    kept = _store(app).get(slug)
    page = viewer.get(f"/job-plans/{slug}").text
    assert f'href="/job-plans/{slug}/plan.yaml"' in page and f'href="/job-plans/{slug}/check.xlsx"' in page
    answer = viewer.get(f"/job-plans/{slug}/plan.yaml")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/yaml")
    assert answer.headers["content-disposition"].startswith(f'attachment; filename="{slug}.yaml"')
    path = tmp_path / "downloaded.yaml"
    path.write_bytes(answer.content)
    read_back = read_plan(path).plan
    assert read_back == kept.plan()  # the workspace's plan, its agreement included
    assert (read_back.state, read_back.agreed_by) == ("agreed", "A editor")
    answer = viewer.get(f"/job-plans/{slug}/check.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith(f'attachment; filename="{slug}-check.xlsx"')
    workbook = tmp_path / "check.xlsx"
    workbook.write_bytes(answer.content)
    out = tmp_path / "command.xlsx"
    result = CliRunner().invoke(cli, ["jobplan", "check", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    ours, theirs = pd.read_excel(workbook, sheet_name=None), pd.read_excel(out, sheet_name=None)
    assert list(ours) == list(theirs) == ["Summary", "Activities", "Supplement", "Team", "Terms"]
    for sheet in theirs:
        pd.testing.assert_frame_equal(ours[sheet], theirs[sheet], obj=sheet)
    logged = [(e.subject, e.user.username) for e in _events(app, "jobplan_downloaded")]
    assert logged == [(f"jobplan:{slug}:yaml", "viewer"), (f"jobplan:{slug}:xlsx", "viewer")]
    assert viewer.get("/job-plans/no-such-plan/plan.yaml").status_code == 404
    assert viewer.get("/job-plans/no-such-plan/check.xlsx").status_code == 404
