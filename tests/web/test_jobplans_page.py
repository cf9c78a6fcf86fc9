"""The Job plans area: an uploaded plan's PAs worked by hand on its page; bad input named in one line
with nothing kept; draft → proposed → agreed → superseded, each with its audit event; viewers
refused and the refusal logged; the review queue; the team's capacity in the warehouse checked by
hand; two rota designs side by side equal to `stocktake jobplan compare`."""

from __future__ import annotations

import re
import shutil
import warnings
from datetime import date, datetime, timedelta
from html import unescape

import duckdb
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from typer.testing import CliRunner

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import AuditEvent
from stocktake.cli import app as cli
from stocktake.jobplan.store import JobPlanStore
from stocktake.rota.store import RotaStore
from stocktake.settings import Settings
from stocktake.web.app import create_app

YAML = "application/yaml"


def plan_yaml(consultant: str, year: str = "2026/27", *, extra: str = "", sites=("Northgate",)) -> bytes:
    """Hand-worked (42 working weeks):
    Mon 08–12 theatre, Mon 13–17 clinic: 1 PA each (plain time, 4 h a PA);
    Tue 13–17 SPA: 1 PA;
    Wed 17–20 clinic: 2 h plain / 4 + 1 h after 19:00 / 3 = 0.8333 PA, 0.3333 of it premium;
    Sat 08–11 ward round, 21 a year: 3 h / 3 = 1 PA each × 21 / 42 = 0.5 PA a week, all premium;
    Thu 08–12 governance, week A: 1 PA × ½ = 0.5 additional NHS;
    unpredictable on-call work 1 PA (DCC).
    DCC 1 + 1 + 0.8333 + 0.5 + 1 = 4.3333; SPA 1; additional 0.5; total 5.8333; premium 0.8333."""
    site = sites[0]
    return f"""consultant: {consultant}
name: Dr {consultant}
year: "{year}"
state: agreed
agreed_by: someone in the file
agreed_on: 2026-01-05
working_weeks: 42
activities:
  - {{weekday: Mon, start: "08:00", end: "12:00", activity: theatre, type: DCC, site: {site}}}
  - {{weekday: Mon, start: "13:00", end: "17:00", activity: clinic, type: DCC, site: {site}}}
  - {{weekday: Tue, start: "13:00", end: "17:00", activity: SPA, type: SPA}}
  - {{weekday: Wed, start: "17:00", end: "20:00", activity: clinic, type: DCC, site: {site}}}
  - {{weekday: Sat, start: "08:00", end: "11:00", activity: ward round, type: DCC, site: {site},
     per_year: 21}}
  - {{weekday: Thu, start: "08:00", end: "12:00", activity: governance, type: additional_nhs, weeks: A}}
{extra}on_call:
  rota: T&O consultants
  category: A
  one_in: 8
  unpredictable_pas: 1
""".encode()


def _events(app, action: str, subject: str | None = None) -> list[AuditEvent]:
    with app.state.sessions() as db:
        found = db.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.user))
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return [e for e in found if subject is None or e.subject == subject]


def _upload(client, content: bytes, name: str = "plan.yaml"):
    return client.post(
        "/job-plans/upload",
        data={"csrf_token": client.csrf},
        files={"plan": (name, content, YAML)},
        follow_redirects=False,
    )


def _slug(answer) -> str:
    assert answer.status_code == 303, answer.text[:2000]
    return answer.headers["location"].removeprefix("/job-plans/")


def _post(client, slug: str, what: str, version: int | None = None):
    """Press the page's propose or agree button: the form carries the version the page shows."""
    if version is None:
        page = client.get(f"/job-plans/{slug}").text
        version = int(re.search(r'Version</dt><dd class="nhsuk-summary-list__value">(\d+):', page).group(1))
    data = {"csrf_token": client.csrf, "version": str(version)}
    return client.post(f"/job-plans/{slug}/{what}", data=data, follow_redirects=False)


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:dd|ul|table|dl)>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_an_uploaded_plan_shows_its_hand_worked_pas(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    slug = _slug(_upload(editor, plan_yaml("C91"), "C91 plan.yaml"))
    page = viewer.get(f"/job-plans/{slug}").text
    pas = dict(re.findall(r'data-type="(\w+)">([\d.]+)</dd>', page))
    assert pas == {"DCC": "4.33", "SPA": "1.00", "additional_nhs": "0.50", "external": "0.00"}
    assert _text(page, "total-pas") == "5.83" and _text(page, "premium-pas") == "0.83"
    warnings = _text(page, "plan-warnings")
    assert "SPA 1.00 PAs is below the department's 2.5" in warnings
    assert "Wed 17:00–20:00" in warnings and "unverified" in warnings
    # the stated 1 in 8 is the medium band; category A is 5%, a rate the fixture marks unverified (U)
    assert "5% of full-time basic salary" in page and "Rate unverified (U)" in page
    # the workspace keeps its own state: a draft, whatever the file said
    assert "Draft" in _text(page, "plan-state")
    listing = viewer.get("/job-plans").text
    row = re.search(rf'href="/job-plans/{slug}".*?</tr>', listing, re.S).group(0)
    assert re.findall(r"cell--numeric\">([\d.]+)<", row) == ["4.33", "1.00", "0.50", "0.00", "5.83", "0.83"]
    [event] = _events(app, "jobplan_uploaded", f"jobplan:{slug}")
    assert event.detail == "C91 2026/27: version 1 (C91 plan.yaml), 5.83 PAs a week"


def test_bad_input_is_one_line_naming_file_row_and_field_and_nothing_is_kept(app, clients):
    editor = clients["editor"]
    store = JobPlanStore(app.state.settings.home / "jobplans")
    before = {p.slug for p in store.all()}
    events = len(_events(app, "jobplan_uploaded"))
    bad = plan_yaml("C92").replace(b'end: "17:00", activity: clinic', b'end: "12:00", activity: clinic')
    answer = _upload(editor, bad, "C92.yaml")
    assert answer.status_code == 422
    [error] = re.findall(r'<ul class="nhsuk-list nhsuk-error-summary__list">\s*<li>(.*?)</li>', answer.text)
    assert unescape(error).startswith(
        "C92.yaml, activities row 2, field end: 12:00 is not after the start 13:00"
    )
    wrong_type = plan_yaml("C92").replace(b"type: SPA}", b"type: teaching}")
    answer = _upload(editor, wrong_type, "C92.yaml")
    assert answer.status_code == 422
    assert "C92.yaml, activities row 3, field type" in unescape(answer.text)
    assert _upload(editor, b"x", "plan.txt").status_code == 422
    assert {p.slug for p in store.all()} == before
    assert not [f for f in store.folder.iterdir() if f.name.startswith(".upload-")]
    assert len(_events(app, "jobplan_uploaded")) == events


def test_propose_then_agree_with_who_and_when_each_in_the_audit_log(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    slug = _slug(_upload(editor, plan_yaml("C93")))
    refused = _post(editor, slug, "agree")  # a draft cannot be agreed
    assert refused.status_code == 422 and "only a proposed plan can be agreed" in refused.text
    assert _events(app, "jobplan_agreed", f"jobplan:{slug}") == []
    assert _post(editor, slug, "propose").status_code == 303
    assert "Proposed" in _text(viewer.get(f"/job-plans/{slug}").text, "plan-state")
    before = datetime.now()
    assert _post(editor, slug, "agree").status_code == 303
    page = viewer.get(f"/job-plans/{slug}").text
    assert "Agreed" in _text(page, "plan-state") and "by A editor" in _text(page, "plan-state")
    kept = JobPlanStore(app.state.settings.home / "jobplans").get(slug)
    assert kept.plan().state == "agreed" and kept.plan().agreed_by == "A editor"
    assert kept.plan().agreed_on in (before.date(), (before + timedelta(days=1)).date())
    assert [h["state"] for h in kept.history] == ["draft", "proposed", "agreed"]
    [proposed] = _events(app, "jobplan_proposed", f"jobplan:{slug}")
    [agreed] = _events(app, "jobplan_agreed", f"jobplan:{slug}")
    assert proposed.user.username == "editor" and agreed.user.username == "editor"
    assert agreed.detail.startswith("C93 2026/27: agreed (version 1); team_capacity written from")
    assert _post(editor, slug, "propose").status_code == 422  # an agreed plan is not proposed again


def test_agreeing_a_new_plan_supersedes_the_old_and_the_review_queue_said_why(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    old = _slug(_upload(editor, plan_yaml("C94", "2025/26")))
    _post(editor, old, "propose"), _post(editor, old, "agree")
    extra = (
        '  - {weekday: Fri, start: "08:00", end: "12:00", activity: theatre, type: DCC, site: Southfield}\n'
    )
    new = _slug(_upload(editor, plan_yaml("C94", "2026/27", extra=extra)))
    assert new != old
    # a second upload for an open plan is its next version, not another plan
    assert _slug(_upload(editor, plan_yaml("C94", "2026/27", extra=extra))) == new
    _post(editor, new, "propose")
    page = viewer.get("/job-plans").text
    queue = unescape(re.sub(r"<[^>]+>", " ", page.split('id="review-queue"')[1].split('id="capacity"')[0]))
    queue = re.sub(r"\s+", " ", queue)
    mine = queue[queue.index("C94 2026/27") :]
    assert "against the agreed 2025/26" in mine
    assert "PAs 5.83 → 6.83 (+1.00)" in mine
    assert "sessions added: Fri 08:00–12:00 theatre (DCC) at Southfield, every week" in mine
    assert "sites added: Southfield" in mine
    assert _post(editor, new, "agree").status_code == 303
    store = JobPlanStore(app.state.settings.home / "jobplans")
    assert store.get(old).state == "superseded" and store.get(old).about["superseded_by"] == new
    assert store.get(new).state == "agreed" and len(store.get(new).versions) == 2
    [event] = _events(app, "jobplan_superseded", f"jobplan:{old}")
    assert event.detail == f"C94 2025/26: superseded by 2026/27 ({new})"
    assert "Superseded" in _text(viewer.get(f"/job-plans/{old}").text, "plan-state")
    assert (
        "C94 2026/27" not in viewer.get("/job-plans").text.split('id="review"')[1].split('id="capacity"')[0]
    )


def test_a_viewer_is_refused_upload_propose_and_agree_and_each_refusal_is_logged(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    slug = _slug(_upload(editor, plan_yaml("C95")))
    refusals = len(_events(app, "request_refused"))
    assert _upload(viewer, plan_yaml("C96")).status_code == 403
    assert _post(viewer, slug, "propose").status_code == 403
    _post(editor, slug, "propose")
    assert _post(viewer, slug, "agree").status_code == 403
    logged = _events(app, "request_refused")[refusals:]
    assert [e.subject for e in logged] == [
        "POST /job-plans/upload",
        f"POST /job-plans/{slug}/propose",
        f"POST /job-plans/{slug}/agree",
    ]
    assert all(e.user.username == "viewer" and "editor" in e.detail for e in logged)
    assert JobPlanStore(app.state.settings.home / "jobplans").get(slug).state == "proposed"
    page = viewer.get(f"/job-plans/{slug}").text
    assert "Agree this plan" not in page and "Upload the plan" not in viewer.get("/job-plans").text


@pytest.fixture
def fresh(tmp_path, demo_warehouse):
    """An app of its own with one editor, so the agreed plans are only this test's."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        password = "a long enough password, kettle"
        actions.create_user(
            db, by=None, username="editor", full_name="A editor", password=password, role="editor"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    client.post(
        "/sign-in",
        data={"username": "editor", "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/job-plans").text).group(1)
    return app, client


def test_team_capacity_in_the_warehouse_is_the_agreed_plans_net_of_leave(fresh):
    app, editor = fresh
    one = _slug(_upload(editor, plan_yaml("C01")))
    two = _slug(_upload(editor, plan_yaml("C02", sites=("Southfield",))))
    draft = _slug(_upload(editor, plan_yaml("C03")))  # a draft: not in the team's capacity
    for slug in (one, two):
        _post(editor, slug, "propose"), _post(editor, slug, "agree")
    assert draft
    with duckdb.connect(str(app.state.settings.warehouse), read_only=True) as con:
        table = con.execute("SELECT * FROM team_capacity ORDER BY activity, site").df()
    share = 42 / 52  # each works 42 weeks of 52
    rows = {(r.activity, r.site): r for r in table.itertuples()}
    # Per consultant: clinic Mon (1 a week) and Wed (1 a week) at their site; theatre 1; ward round 21
    # a year over 42 weeks = 0.5 a working week; SPA and governance (week A: 0.5) at no site.
    expected = {
        ("SPA", ""): (2, 2.0, 2 * 1.0),
        ("clinic", "Northgate"): (1, 2.0, 1 + 0.8333333),
        ("clinic", "Southfield"): (1, 2.0, 1 + 0.8333333),
        ("governance", ""): (2, 1.0, 2 * 0.5),
        ("theatre", "Northgate"): (1, 1.0, 1.0),
        ("theatre", "Southfield"): (1, 1.0, 1.0),
        ("ward round", "Northgate"): (1, 0.5, 0.5),
        ("ward round", "Southfield"): (1, 0.5, 0.5),
    }
    assert set(rows) == set(expected)
    for key, (consultants, per_working_week, pas) in expected.items():
        row = rows[key]
        assert row.consultants == consultants, key
        assert row.sessions_per_working_week == pytest.approx(per_working_week), key
        assert row.sessions_per_week == pytest.approx(per_working_week * share), key
        assert row.sessions_per_year == pytest.approx(per_working_week * share * 52), key
        assert row.pas_per_week == pytest.approx(pas * share, abs=1e-6), key
        assert row.plans == 2
    page = editor.get("/job-plans").text
    assert 'id="capacity-table"' in page and "from 2 agreed plan(s)" in page


def _duties(rows: list[tuple[str, date]]) -> bytes:
    """24-hour on-call days (08:00 to 08:00), 3 expected hours of work each."""
    lines = ["doctor,start,end,kind,expected_hours"]
    for doctor, day in rows:
        lines.append(f"{doctor},{day} 08:00,{day + timedelta(days=1)} 08:00,on_call,3")
    return ("\n".join(lines) + "\n").encode()


def test_two_rota_designs_side_by_side_equal_the_commands_numbers(fresh, tmp_path):
    app, editor = fresh
    for consultant in ("C01", "C02", "C03"):
        _slug(_upload(editor, plan_yaml(consultant)))
    days = [date(2026, 2, 2) + timedelta(days=k) for k in range(56)]  # eight weeks
    both = [f"C0{k % 8 + 1}" for k in range(56)]  # 1:8 across both sites, C01 to C08
    by_site = [("C01", "C02")[k % 2] for k in range(56)] + [
        ("C03", "S4", "S5", "S6", "S7")[k % 5] for k in range(56)
    ]
    rotas = RotaStore(app.state.settings.home / "rotas")
    a = rotas.keep_uploaded("both.csv", _duties(list(zip(both, days, strict=True))), by="test")
    b = rotas.keep_uploaded("by site.csv", _duties(list(zip(by_site, days * 2, strict=True))), by="test")
    page = editor.get(f"/job-plans/compare?a={a.slug}&b={b.slug}").text
    shown = {}
    for consultant, table in re.findall(
        r'<caption class="nhsuk-table__caption">(\w+)</caption>(.*?)</table>', page, re.S
    ):
        for label, cells in re.findall(r'<th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', table, re.S):
            values = re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', cells)
            shown[consultant, unescape(label)] = values
    # by hand: C01 is on call 7 of 56 days on the 1:8 (1 in 8 rostered; with leave covered over 42
    # of 52 weeks, 1 in 8 × 42/52 = 6.46: medium, 5%); 28 of 56 on the 1:2 (1 in 1.62: high, 8%)
    assert shown["C01", "1 in N as rostered"] == ["8.0", "2.0"]
    assert shown["C01", "1 in N (sets the band)"] == ["6.46", "1.62"]
    assert shown["C01", "band"] == ["medium", "high"]
    assert shown["C01", "supplement, % of basic salary"] == ["5.0", "8.0"]
    assert shown["C01", "rate verified?"][1].startswith("V")
    # the same numbers as `stocktake jobplan compare` on the kept files
    store = JobPlanStore(app.state.settings.home / "jobplans")
    out = tmp_path / "compare.xlsx"
    args = [
        "jobplan",
        "compare",
        "--rota",
        str(a.current / "rota.csv"),
        "--rota",
        str(b.current / "rota.csv"),
    ]
    result = CliRunner().invoke(cli, [*args, *(str(p.file) for p in store.all()), "--out", str(out)])
    assert result.exit_code == 0, result.output
    by_rota = pd.read_excel(out, sheet_name="By rota")
    names = {str(a.current / "rota.csv"): 0, str(b.current / "rota.csv"): 1}
    checked = 0
    for row in by_rota.itertuples():
        for column, label in (
            ("one_in", "1 in N (sets the band)"),
            ("rostered_one_in", "1 in N as rostered"),
            ("band", "band"),
            ("supplement_pct", "supplement, % of basic salary"),
            ("on_call_work_pas", "on-call work, PAs a week"),
            ("resident_hours_per_week", "resident hours a week"),
        ):
            page_value = shown[row.consultant, label][names[row.rota]]
            cli_value = getattr(row, column)
            if isinstance(cli_value, str):
                assert page_value == cli_value
            else:
                assert float(page_value) == pytest.approx(cli_value), (row.consultant, label)
            checked += 1
    assert checked == 3 * 2 * 6


def _problem(answer) -> str:
    [error] = re.findall(
        r'<ul class="nhsuk-list nhsuk-error-summary__list">\s*<li>(.*?)</li>', answer.text, re.S
    )
    return unescape(re.sub(r"<[^>]+>", "", error)).strip()


def _hand_edit(app, slug: str, content: bytes) -> None:
    """The kept file changed by hand (or kept before a check it now fails)."""
    JobPlanStore(app.state.settings.home / "jobplans").get(slug).file.write_bytes(content)


def test_an_infinite_frequency_is_refused_and_a_kept_plan_that_no_longer_reads_is_its_rows_problem(
    fresh, monkeypatch
):
    app, editor = fresh
    infinite = plan_yaml("C01").replace(b"one_in: 8", b"one_in: inf")
    answer = _upload(editor, infinite, "C01.yaml")
    assert answer.status_code == 422
    assert _problem(answer).startswith("C01.yaml, field on_call.one_in: Input should be a finite number")
    assert JobPlanStore(app.state.settings.home / "jobplans").all() == []
    one = _slug(_upload(editor, plan_yaml("C01")))
    two = _slug(_upload(editor, plan_yaml("C02")))
    _post(editor, one, "propose"), _post(editor, one, "agree")
    _hand_edit(app, one, infinite)  # an agreed plan that no longer reads: it once took the page down
    listing = editor.get("/job-plans")
    assert listing.status_code == 200
    row = re.search(rf'href="/job-plans/{one}".*?</tr>', listing.text, re.S).group(0)
    said = unescape(re.sub(r"<[^>]+>", " ", row))
    assert "cannot be read: plan.yaml, field on_call.one_in: Input should be a finite number" in said
    assert str(app.state.settings.home) not in said  # the uploaded name, not the home's path
    assert re.search(rf'href="/job-plans/{two}".*?5\.83', listing.text, re.S)  # the others as ever
    page = editor.get(f"/job-plans/{one}")
    assert page.status_code == 200 and "cannot be read: plan.yaml, field on_call.one_in" in unescape(
        page.text
    )
    assert editor.get("/job-plans/compare").status_code == 200

    def crashes(*args, **kwargs):
        raise StopIteration  # what band_of raised on an infinite frequency

    monkeypatch.setattr("stocktake.web.routes.jobplans.supplement_from", crashes)
    listing = editor.get("/job-plans")
    assert listing.status_code == 200 and "cannot be read: StopIteration" in listing.text


def test_agreeing_or_proposing_a_version_other_than_the_one_shown_is_refused(app, clients):
    editor = clients["editor"]
    slug = _slug(_upload(editor, plan_yaml("C81")))
    assert 'name="version" value="1"' in editor.get(f"/job-plans/{slug}").text
    assert _post(editor, slug, "propose", version=1).status_code == 303
    _slug(_upload(editor, plan_yaml("C81").replace(b"working_weeks: 42", b"working_weeks: 40")))  # another
    refused = _post(editor, slug, "propose", version=1)
    assert refused.status_code == 422
    assert _problem(refused).startswith("C81 2026/27 was not proposed: you saw version 1, and version 2")
    assert _post(editor, slug, "propose", version=2).status_code == 303
    refused = _post(editor, slug, "agree", version=1)
    assert refused.status_code == 422
    assert _problem(refused) == (
        "C81 2026/27 was not agreed: you saw version 1, and version 2 has been uploaded since; "
        "read version 2 below first"
    )
    no_version = editor.post(
        f"/job-plans/{slug}/agree", data={"csrf_token": editor.csrf}, follow_redirects=False
    )
    assert no_version.status_code == 422 and "did not say which version you saw" in _problem(no_version)
    assert JobPlanStore(app.state.settings.home / "jobplans").get(slug).state == "proposed"
    assert _events(app, "jobplan_agreed", f"jobplan:{slug}") == []
    assert _post(editor, slug, "agree", version=2).status_code == 303


def test_an_earlier_years_plan_does_not_supersede_a_later_agreed_one(fresh):
    app, editor = fresh
    newer = _slug(_upload(editor, plan_yaml("C02", "2025/26")))
    _post(editor, newer, "propose"), _post(editor, newer, "agree")
    older = _slug(_upload(editor, plan_yaml("C02", "2023/24")))
    _post(editor, older, "propose")
    refused = _post(editor, older, "agree")
    assert refused.status_code == 422
    assert _problem(refused).startswith("C02 2023/24 cannot be agreed: C02's plan for 2025/26 is agreed")
    store = JobPlanStore(app.state.settings.home / "jobplans")
    assert store.get(newer).state == "agreed" and store.get(older).state == "proposed"
    assert _events(app, "jobplan_superseded") == [] and len(_events(app, "jobplan_agreed")) == 1


def test_agreeing_while_another_agreed_plan_no_longer_reads_lands_whole(fresh):
    """The state, the audit event and team_capacity together: the unreadable plan left out and named."""
    app, editor = fresh
    one = _slug(_upload(editor, plan_yaml("C01")))
    _post(editor, one, "propose"), _post(editor, one, "agree")
    _hand_edit(app, one, plan_yaml("C01").replace(b"one_in: 8", b"one_in: inf"))
    two = _slug(_upload(editor, plan_yaml("C02", sites=("Southfield",))))
    _post(editor, two, "propose")
    assert _post(editor, two, "agree").status_code == 303
    assert JobPlanStore(app.state.settings.home / "jobplans").get(two).state == "agreed"
    [event] = _events(app, "jobplan_agreed", f"jobplan:{two}")
    assert "team_capacity written from 1 agreed plan(s)" in event.detail
    assert f"left out, not readable: C01 2026/27 ({one}): plan.yaml, field on_call.one_in" in event.detail
    assert str(app.state.settings.home) not in event.detail
    with duckdb.connect(str(app.state.settings.warehouse), read_only=True) as con:
        sites = con.execute("SELECT DISTINCT site, plans FROM team_capacity WHERE site <> ''").fetchall()
    assert sites == [("Southfield", 1)]  # C02's alone


def test_a_consultant_code_typed_in_lower_case_is_the_same_consultant(fresh):
    app, editor = fresh
    first = _slug(_upload(editor, plan_yaml("c05")))
    again = _slug(_upload(editor, plan_yaml("C05")))
    assert again == first
    kept = JobPlanStore(app.state.settings.home / "jobplans").get(first)
    assert kept.consultant == "C05" and len(kept.versions) == 2


def test_the_comparison_says_which_numbers_rest_on_unverified_terms(fresh):
    """C01 on a 1 in 9 and a 1 in 8 rota of 24-hour days (3 hours of work each): low as rostered on the
    1:9 but medium with prospective cover (9 × 42/52 = 7.27), so that band rests on the cover method;
    medium either way on the 1:8. Weeknight hours from 19:00 and before 07:00 count as premium time by
    the unverified weekday line on both (worked by hand in tests/jobplan/test_supplement.py)."""
    app, editor = fresh
    _slug(_upload(editor, plan_yaml("C01")))
    days = [date(2026, 2, 2) + timedelta(days=k) for k in range(72)]
    rotas = RotaStore(app.state.settings.home / "rotas")
    nine = rotas.keep_uploaded(
        "nine.csv", _duties([(f"C0{k % 9 + 1}", d) for k, d in enumerate(days[:63])]), by="t"
    )
    eight = rotas.keep_uploaded(
        "eight.csv", _duties([(f"C0{k % 8 + 1}", d) for k, d in enumerate(days[:56])]), by="t"
    )
    page = editor.get(f"/job-plans/compare?a={nine.slug}&b={eight.slug}").text
    table = re.search(r'id="compare-C01".*?</table>', page, re.S).group(0)
    row = re.search(r"rests on unverified terms</th>(.*?)</tr>", table, re.S).group(1)
    on_nine, on_eight = (
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", c))).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    )
    assert on_nine.startswith(
        "Unverified band medium rests on prospective cover (unverified method; low as rostered)"
    )
    assert "of the on-call work PAs rest on the weekday 19:00 boundary (unverified)" in on_nine
    assert "prospective" not in on_eight and "weekday 19:00 boundary" in on_eight
    assert 'id="unverified-terms"' in page
