"""Writing a job plan in the workspace's form (/job-plans/new): the worked example typed into the form
saved as the example's plan, a draft, with its audit event; rows added without JavaScript; every
refusal named by section, row and field with the text kept and nothing saved; editors only; a kept
plan filled into the form and saved as its next version."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

from sqlalchemy import select

from stocktake.appdb.models import AuditEvent
from stocktake.jobplan.form import BLANK_ROWS, ON_CALL, ROW, TOP, plan_form
from stocktake.jobplan.read import EXAMPLE, read_plan
from stocktake.jobplan.store import JobPlanStore
from stocktake.jobplan.write import plan_data


def _fields(form, csrf: str, **more) -> dict:
    """The form's fields as the browser sends them (repeated fields one value a row)."""
    data: dict = {"csrf_token": csrf, **{key: form.top.get(key, "") for key, _ in TOP}}
    data |= {f"on_call-{key}": form.on_call.get(key, "") for key, _ in ON_CALL}
    data |= {f"activities-{key}": [row[key] for row in form.rows] for key, _ in ROW}
    return data | more


def _rows(page: str) -> int:
    return len(re.findall(r"<legend[^>]*>Timetable, row \d+</legend>", page))


def _problems(page: str) -> list[str]:
    summary = page.split('id="form-problems"')[1].split("</ul>")[0]
    return [unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in re.findall(r"<li>(.*?)</li>", summary, re.S)]


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _example(consultant: str):
    plan = replace(read_plan(EXAMPLE).plan, consultant=consultant, state="draft")
    return plan, plan_form(plan_data(plan))


def test_the_example_typed_into_the_form_is_saved_as_the_examples_plan_a_draft(app, clients):
    editor = clients["editor"]
    page = editor.get("/job-plans/new")
    assert page.status_code == 200 and _rows(page.text) == BLANK_ROWS
    assert 'href="/job-plans/new"' in editor.get("/job-plans").text
    plan, form = _example("F01")
    answer = editor.post("/job-plans/new", data=_fields(form, editor.csrf), follow_redirects=False)
    assert answer.status_code == 303, _problems(answer.text)
    slug = answer.headers["location"].removeprefix("/job-plans/")
    kept = JobPlanStore(app.state.settings.home / "jobplans").get(slug)
    assert kept.state == "draft" and kept.plan() == plan
    assert read_plan(kept.file).plan == plan  # the file kept is one `jobplan check` reads
    assert kept.versions[-1]["uploaded_as"] == "the workspace's form"
    [event] = [e for e in _events(app, "jobplan_uploaded") if e.subject == f"jobplan:{slug}"]
    assert event.detail.startswith("F01 2026/27: version 1 (the workspace's form), ")
    # filled from the kept plan and saved again: its next version
    filled = editor.get(f"/job-plans/new?from={slug}").text
    assert 'value="F01"' in filled and 'value="10 a year"' in filled
    answer = editor.post("/job-plans/new", data=_fields(form, editor.csrf), follow_redirects=False)
    assert answer.headers["location"] == f"/job-plans/{slug}"
    assert len(JobPlanStore(app.state.settings.home / "jobplans").get(slug).versions) == 2


def test_rows_are_added_without_javascript_and_the_text_is_kept(clients):
    editor = clients["editor"]
    _, form = _example("F02")
    answer = editor.post("/job-plans/new", data=_fields(form, editor.csrf, add="rows"))
    assert answer.status_code == 200 and _rows(answer.text) == BLANK_ROWS + 5
    assert 'value="Northshire General"' in answer.text and 'value="F02"' in answer.text


def test_every_refusal_is_named_by_row_and_field_the_text_kept_and_nothing_saved(app, clients):
    editor = clients["editor"]
    _, form = _example("F03")
    rows = list(form.rows)
    rows[1] = rows[1] | {"end": "12:00"}  # Mon 13:00-12:00 clinic: ends before it starts
    rows[2] = rows[2] | {"start": "8.30am"}
    rows[4] = rows[4] | {"weekday": ""}  # a session without its day
    bad = replace(form, top=form.top | {"year": "2026/28"}, rows=tuple(rows))
    store = JobPlanStore(app.state.settings.home / "jobplans")
    before, events = {p.slug for p in store.all()}, len(_events(app, "jobplan_uploaded"))
    answer = editor.post("/job-plans/new", data=_fields(bad, editor.csrf), follow_redirects=False)
    assert answer.status_code == 422
    assert _problems(answer.text) == [
        "Financial year: '2026/28' is not a financial year: 28 does not follow 2026",  # the value said once
        "Timetable, row 3, Starts: '8.30am' is not a time like 08:00",
        "Timetable, row 5, Weekday: needed",
    ]
    assert 'href="#activities-2-start"' in answer.text and 'value="8.30am"' in answer.text  # kept as typed
    assert 'value="2026/28"' in answer.text
    # those fixed, the check across the row is named next
    rows[2], rows[4] = form.rows[2], form.rows[4]
    answer = editor.post(
        "/job-plans/new", data=_fields(replace(form, rows=tuple(rows)), editor.csrf), follow_redirects=False
    )
    assert answer.status_code == 422
    assert _problems(answer.text) == [
        "Timetable, row 2, Ends: 12:00 is not after the start 13:00 (an activity ends on the day it starts; "
        "a session to midnight ends 24:00)"
    ]
    assert {p.slug for p in store.all()} == before and len(_events(app, "jobplan_uploaded")) == events


def test_only_editors_write_plans_and_a_refusal_is_logged(app, clients):
    viewer = clients["viewer"]
    refusals = len(_events(app, "request_refused"))
    assert viewer.get("/job-plans/new").status_code == 403
    _, form = _example("F04")
    assert viewer.post("/job-plans/new", data=_fields(form, viewer.csrf)).status_code == 403
    logged = _events(app, "request_refused")[refusals:]
    assert [e.subject for e in logged] == ["GET /job-plans/new", "POST /job-plans/new"]
    assert "Write a plan in a form" not in viewer.get("/job-plans").text
    assert all(p.consultant != "F04" for p in JobPlanStore(app.state.settings.home / "jobplans").all())


def test_an_nhs_number_or_an_invisible_character_is_named_by_the_forms_own_row_and_field(app, clients):
    """An outside check: the refusals made where every form is read named the raw key
    ("activities-activity") and no row."""
    editor = clients["editor"]
    _, form = _example("F09")
    rows = list(form.rows)
    rows[3] = rows[3] | {"activity": "Clinic for 943 476 5919"}
    bad = replace(form, rows=tuple(rows), on_call=form.on_call | {"doctor": "Dr \u202eAda"})
    answer = editor.post("/job-plans/new", data=_fields(bad, editor.csrf), follow_redirects=False)
    text = unescape(answer.text)
    assert answer.status_code == 422
    assert "Timetable, row 4, Activity: holds what reads as an NHS number" in text
    assert "On call, Name on the rota: holds a character that cannot be kept or exported (U+202E" in text
    assert "activities-activity: " not in text and 'value="Clinic for 943 476 5919"' in answer.text  # kept
