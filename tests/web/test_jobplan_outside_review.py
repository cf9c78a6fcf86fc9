"""What an outsider found in the Job plans area (issue 27, third review; ADR 0041 addendum): the form's
"Add rows" stops at the rows it takes and an over-long form is refused with every row given back (never
Starlette's bare "Too many fields"); a control character refused at the form naming row and field; the
check's download logged with the rota its supplement came from; a far-future plan's page saying its
download will not check; a programme participant's account refused the job plans."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from html import unescape

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from test_jobplan_form import _fields, _rows

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, User
from stocktake.jobplan.form import ADD_ROWS, MAX_ROWS, blank_row, plan_form
from stocktake.jobplan.read import EXAMPLE, read_plan
from stocktake.jobplan.store import JobPlanStore
from stocktake.jobplan.write import plan_data
from stocktake.rota.store import RotaStore


def _values(page: str, name: str) -> list[str]:
    return [unescape(v) for v in re.findall(rf'name="{name}" type="text" value="([^"]*)"', page)]


def _problems(page: str) -> list[str]:
    summary = page.split('id="form-problems"')[1].split("</ul>")[0]
    return [unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in re.findall(r"<li>(.*?)</li>", summary, re.S)]


def _example(consultant: str, rows: int | None = None):
    plan = replace(read_plan(EXAMPLE).plan, consultant=consultant, state="draft")
    form = plan_form(plan_data(plan))
    if rows is not None:
        form = replace(form, rows=(*form.rows, *(blank_row() for _ in range(rows - len(form.rows))))[:rows])
    return plan, form


def _filled(form, rows: int):
    """``rows`` rows, none blank: the example's sessions, then rows whose activity names them."""
    typed = [row for row in form.rows if row != blank_row()]
    extra = [blank_row() | {"activity": f"row {i + 1}", "weekday": "Sun"} for i in range(len(typed), rows)]
    return replace(form, rows=(*typed, *extra))


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        query = select(AuditEvent).options(joinedload(AuditEvent.user)).where(AuditEvent.action == action)
        return list(db.scalars(query.order_by(AuditEvent.id)))


# --- 1. the form's rows -------------------------------------------------------------------------


def test_add_rows_stops_at_the_rows_the_form_takes(clients):
    editor = clients["editor"]
    _, near = _example("G01", MAX_ROWS - 2)
    answer = editor.post("/job-plans/new", data=_fields(near, editor.csrf, add="rows"))
    assert answer.status_code == 200 and _rows(answer.text) == MAX_ROWS  # 2 added, not ADD_ROWS
    assert ADD_ROWS > 2
    assert f"The timetable has the {MAX_ROWS} rows the form takes" in answer.text  # no button at the cap
    assert 'name="add" value="rows"' not in answer.text
    _, full = _example("G01", MAX_ROWS)
    pressed = editor.post("/job-plans/new", data=_fields(full, editor.csrf, add="rows"))  # an old page
    assert pressed.status_code == 422 and _rows(pressed.text) == MAX_ROWS
    assert _problems(pressed.text) == [f"Timetable: the form takes {MAX_ROWS} rows, and has them all"]
    _, short = _example("G01", MAX_ROWS - 10)
    page = editor.post("/job-plans/new", data=_fields(short, editor.csrf, add="rows")).text
    assert f"Add {ADD_ROWS} rows" in page and 'name="add" value="rows"' in page


@pytest.mark.parametrize("rows", [MAX_ROWS + 1, MAX_ROWS + 2, 2 * MAX_ROWS])
def test_an_over_long_form_is_refused_with_every_row_given_back(app, clients, rows):
    """101 rows once lost row 101; 102 or more got Starlette's bare 400 "Too many fields"."""
    editor = clients["editor"]
    _, form = _example("G02")
    long = _filled(form, rows)
    store = JobPlanStore(app.state.settings.home / "jobplans")
    before = {p.slug for p in store.all()}
    answer = editor.post("/job-plans/new", data=_fields(long, editor.csrf), follow_redirects=False)
    assert answer.status_code == 422, answer.text[:200]
    assert _problems(answer.text)[0].startswith(f"Timetable: {rows} rows; the form takes {MAX_ROWS}")
    assert _rows(answer.text) == rows
    assert _values(answer.text, "activities-activity")[-1] == f"row {rows}"  # the last row typed is back
    assert {p.slug for p in store.all()} == before


def test_blank_rows_past_the_cap_are_dropped_and_the_plan_saved(app, clients):
    """The refusal's page, its extra rows cleared, saves: blank rows are nothing typed."""
    editor = clients["editor"]
    plan, form = _example("G03", MAX_ROWS + 20)
    answer = editor.post("/job-plans/new", data=_fields(form, editor.csrf), follow_redirects=False)
    assert answer.status_code == 303
    slug = answer.headers["location"].removeprefix("/job-plans/")
    assert JobPlanStore(app.state.settings.home / "jobplans").get(slug).plan() == plan


def test_a_control_character_typed_in_the_form_is_refused_naming_row_and_field(app, clients):
    editor = clients["editor"]
    _, form = _example("G04")
    rows = list(form.rows)
    rows[1] = rows[1] | {"activity": "clinic\x0bnew patients"}  # pasted from Word
    bad = replace(form, top=form.top | {"name": "Miss\x1bAdeyemi"}, rows=tuple(rows))
    answer = editor.post("/job-plans/new", data=_fields(bad, editor.csrf), follow_redirects=False)
    assert answer.status_code == 422
    assert _problems(answer.text) == [
        "Name: 'Miss\\x1bAdeyemi' contains a control character ('\\x1b')",
        "Timetable, row 2, Activity: 'clinic\\x0bnew patients' contains a control character ('\\x0b')",
    ]


# --- 2. downloads -------------------------------------------------------------------------------


def _duties(doctors: list[str], first: date) -> bytes:
    lines = ["doctor,start,end,kind,expected_hours"]
    for k, doctor in enumerate(doctors):
        day = first + timedelta(days=k)
        lines.append(f"{doctor},{day} 08:00,{day + timedelta(days=1)} 08:00,on_call,3")
    return ("\n".join(lines) + "\n").encode()


def _kept(app, consultant: str, **changes) -> str:
    data = yaml.safe_load(EXAMPLE.read_text()) | {"consultant": consultant, "state": "draft", **changes}
    content = yaml.safe_dump(data, sort_keys=False).encode()
    return JobPlanStore(app.state.settings.home / "jobplans").keep_uploaded("p.yaml", content, by="A").slug


def test_the_checks_download_is_logged_with_the_rota_its_supplement_came_from(app, clients):
    slug = _kept(app, "G05")
    rotas = RotaStore(app.state.settings.home / "rotas")
    on = rotas.keep_uploaded(
        "Eight on call.csv", _duties([f"G0{k % 8 + 1}" for k in range(56)], date(2026, 2, 2)), by="t"
    )
    off = rotas.keep_uploaded("Others.csv", _duties(["X1", "X2"] * 28, date(2026, 2, 2)), by="t")
    viewer = clients["viewer"]
    for rota in ("", on.slug, off.slug):
        assert viewer.get(f"/job-plans/{slug}/check.xlsx", params={"rota": rota}).status_code == 200
    said = [e.detail for e in _events(app, "jobplan_downloaded") if e.subject == f"jobplan:{slug}:xlsx"]
    assert [d.split("; ", 1)[1] for d in said] == [
        "supplement: stated in the plan",
        f"supplement: measured from {on.name}",
        f"supplement: stated in the plan (not on {off.name})",
    ]


def test_a_far_future_plans_page_says_its_download_will_not_check(app, clients):
    store = JobPlanStore(app.state.settings.home / "jobplans")
    kept = store.get(_kept(app, "G06"))
    far = yaml.safe_load(EXAMPLE.read_text()) | {"consultant": "G06", "state": "draft", "year": "2099/00"}
    kept.file.write_text(yaml.safe_dump(far, sort_keys=False))  # kept before years were checked
    about = kept.folder / "about.json"
    about.write_text(json.dumps(json.loads(about.read_text()) | {"year": "2099/00"}))
    page = clients["viewer"].get(f"/job-plans/{kept.slug}").text
    downloads = page.split('id="downloads"')[1].split("</ul>")[0]
    assert "This plan's year is out of range; correct the year before checking it." in downloads
    fine = clients["viewer"].get(f"/job-plans/{_kept(app, 'G07')}").text
    assert "correct the year before checking it" not in fine


# --- 8. participants' accounts ------------------------------------------------------------------


@pytest.fixture(scope="module")
def participant(app, sign_in_as):
    with app.state.sessions() as db:
        editor = db.query(User).filter_by(username="editor").one()
        programme = actions.create_programme(db, by=editor, name="Leaders for job plans")
        cohort = actions.add_cohort(db, by=editor, programme_id=programme.id, name="2026")
        actions.create_user(
            db,
            by=None,
            username="pia",
            full_name="Pia",
            password="a long enough password, kettle",
            role="viewer",
        )
        actions.add_participant(db, by=editor, cohort_id=cohort.id, code="P7", name="Pia", username="pia")
    return sign_in_as("pia")


def test_a_participants_account_is_refused_the_job_plans_and_the_refusal_logged(app, clients, participant):
    slug = _kept(app, "G08")
    paths = [
        "/job-plans",
        "/job-plans/compare",
        f"/job-plans/{slug}",
        f"/job-plans/{slug}/plan.yaml",
        f"/job-plans/{slug}/check.xlsx",
    ]
    for path in paths:
        answer = participant.get(path)
        assert answer.status_code == 403, path
        assert "G08" not in answer.text and "Job plans are the consultants&#39; own" in answer.text
        assert clients["viewer"].get(path).status_code == 200, path  # a viewer of the department reads them
    refused = [e for e in _events(app, "request_refused") if e.user and e.user.username == "pia"]
    assert {e.subject for e in refused} >= {f"GET {p}" for p in paths}
    assert not [e for e in _events(app, "jobplan_downloaded") if e.user and e.user.username == "pia"]


def test_a_participants_account_is_not_shown_the_job_plans_link_it_would_be_refused(clients, participant):
    link = 'href="/job-plans"'
    assert link not in participant.get("/rotas").text
    assert link in clients["viewer"].get("/rotas").text and link in clients["editor"].get("/rotas").text
