"""The rota form on the web: rows added without JavaScript, a refusal naming its section, row and field
with the text kept, and a rota built from the form whose kept specification is the problem the same
rota written by hand in YAML gives."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from html import unescape

import yaml

from stocktake.rota.model import parse_problem
from stocktake.rota.store import RotaStore
from stocktake.web.rota_jobs import DONE

#: The Monday after next, so nothing is in the past.
START = date.today() + timedelta(days=14 - date.today().weekday())

#: Three doctors at one site, a day shift on weekdays and a 1:3 on-call Monday to Thursday
#: (so no weekend is worked): written by hand.
HAND_WRITTEN = f"""
name: Small form rota
start: {START.isoformat()}
weeks: 2
doctors:
  - {{id: A, name: Dr Ada, sites: [Northgate]}}
  - {{id: B, name: Dr Bo, sites: [Northgate], wte: 0.8, leave: [{(START + timedelta(days=2)).isoformat()}]}}
  - {{id: C, name: Dr Cy, sites: [Northgate]}}
shifts:
  - {{id: day, label: Day, site: Northgate, start: "08:00", end: "17:00", days: [Mon, Tue, Wed, Thu, Fri]}}
  - {{id: oc, label: On call, site: Northgate, start: "17:00", end: "08:00", kind: on_call, expected_hours: 3,
     days: [Mon, Tue, Wed, Thu]}}
patterns:
  - {{name: "1:3 on call", one_in: 3, shifts: [oc], doctors: [A, B, C], weekends_together: true}}
"""


def _fields(csrf: str) -> dict:
    return {
        "csrf_token": csrf,
        "name": "Small form rota",
        "start": START.isoformat(),
        "weeks": "2",
        "one_in_three": "yes",
        "doctors-id": ["A", "B", "C"],
        "doctors-name": ["Dr Ada", "Dr Bo", "Dr Cy"],
        "doctors-grade": ["", "", ""],
        "doctors-sites": ["Northgate"] * 3,
        "doctors-wte": ["", "80%", ""],
        "doctors-on_call": ["yes"] * 3,
        "doctors-opted_out": ["no"] * 3,
        "doctors-leave": ["", (START + timedelta(days=2)).isoformat(), ""],
        "shifts-id": ["day", "oc"],
        "shifts-label": ["Day", "On call"],
        "shifts-site": ["Northgate", "Northgate"],
        "shifts-start": ["08:00", "17:00"],
        "shifts-end": ["17:00", "08:00"],
        "shifts-kind": ["shift", "on_call"],
        "shifts-expected_hours": ["", "3"],
        "shifts-expected_episodes": ["", ""],
        "shifts-days": ["weekdays", "Mon-Thu"],
        "shifts-cover": ["", ""],
        "shifts-cover_max": ["", ""],
        "shifts-breaks": ["", ""],
        "patterns-name": ["1:3 on call"],
        "patterns-one_in": ["3"],
        "patterns-shifts": ["oc"],
        "patterns-doctors": ["A, B, C"],
        "patterns-weekends_together": ["yes"],
        "requests-doctor": [""],
        "requests-date": [""],
        "requests-shift": [""],
        "requests-weight": [""],
        "seconds": "5",
    }


def _values(page: str, name: str) -> list[str]:
    return [unescape(v) for v in re.findall(rf'name="{name}" type="text" value="([^"]*)"', page)]


def test_the_form_is_for_editors_and_starts_blank_or_from_the_example(clients):
    assert clients["viewer"].get("/rotas/form").status_code == 403
    editor = clients["editor"]
    blank = editor.get("/rotas/form").text
    assert _values(blank, "doctors-id") == ["", "", ""] and 'id="add-doctors"' in blank
    example = editor.get("/rotas/form?from=example").text
    assert _values(example, "doctors-id") == ["N1", "N2", "S1", "S2", "S3", "S4", "S5", "F1"]
    assert "T&amp;O registrars, Northgate and Southfield" in example
    assert editor.get("/rotas/form?from=no-such-rota").status_code == 404
    assert 'href="/rotas/form"' in editor.get("/rotas").text


def test_add_a_row_keeps_the_text_and_starts_nothing(app, clients):
    editor = clients["editor"]
    answer = editor.post("/rotas/form", data=_fields(editor.csrf) | {"add": "shifts"})
    assert answer.status_code == 200 and "The rota was not started" not in answer.text
    assert _values(answer.text, "shifts-id") == ["day", "oc", ""]
    assert _values(answer.text, "doctors-wte") == ["", "80%", ""]
    assert 'id="shifts-2-id"' in answer.text
    assert getattr(app.state, "rota_jobs", None) is None or app.state.rota_jobs.current() is None


def test_a_refusal_names_the_row_and_field_and_keeps_what_was_typed(clients):
    editor = clients["editor"]
    fields = _fields(editor.csrf) | {"doctors-wte": ["", "1.5", ""], "patterns-doctors": ["A, B, Z"]}
    answer = editor.post("/rotas/form", data=fields)
    assert answer.status_code == 422
    page = unescape(answer.text)
    assert "Doctors, row 2, WTE: '1.5' is not a whole-time equivalent" in page
    assert "1-in-n patterns, row 1, Doctors (ids): no doctor 'Z'" in page
    assert 'href="#doctors-1-wte"' in answer.text and 'href="#patterns-0-doctors"' in answer.text
    assert _values(answer.text, "doctors-wte") == ["", "1.5", ""]
    assert _values(answer.text, "patterns-doctors") == ["A, B, Z"]
    assert _values(answer.text, "name") == ["Small form rota"]


def test_a_rota_built_from_the_form_keeps_the_spec_the_hand_written_yaml_gives(app, clients):
    editor = clients["editor"]
    answer = editor.post("/rotas/form", data=_fields(editor.csrf), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/rotas#rota-job"
    job = app.state.rota_jobs.wait(timeout=60)
    assert job.state == DONE, job.error
    rota = RotaStore(app.state.settings.home / "rotas").get(job.slug)
    kept = parse_problem(yaml.safe_load((rota.folder / "spec.yaml").read_text()))
    assert kept == parse_problem(yaml.safe_load(HAND_WRITTEN))
    assert rota.check().breaches == ()
    assigned = rota.solution().assignments
    assert not any(a.doctor == "B" and a.date == START + timedelta(days=2) for a in assigned)
    assert sorted(a.date for a in assigned if a.shift == "day") == [
        START + timedelta(days=k) for k in range(14) if k % 7 < 5
    ]
    again = editor.get(f"/rotas/form?from={job.slug}").text  # back into the form to change
    assert _values(again, "doctors-wte") == ["", "0.8", ""] and _values(again, "shifts-days")[0] == "weekdays"


def _many_doctors(csrf: str, count: int) -> dict:
    """The small form with ``count`` doctors: 8 fields a doctor, so 150 is 1,200 fields and more."""
    fields = _fields(csrf)
    ids = [f"D{n:03d}" for n in range(count)]
    return fields | {
        "doctors-id": ids,
        "doctors-name": [f"Dr {i}" for i in ids],
        "doctors-grade": ["ST3"] * count,
        "doctors-sites": ["Northgate"] * count,
        "doctors-wte": ["1"] * count,
        "doctors-on_call": ["yes"] * count,
        "doctors-opted_out": ["no"] * count,
        "doctors-leave": [""] * count,
        "patterns-doctors": [", ".join(ids)],
    }


def test_a_department_of_200_doctors_fits_the_form_and_keeps_its_text(clients):
    """Starlette reads at most 1,000 fields unless told: about 120 doctors were refused "Too many
    fields" and the text typed was lost."""
    editor = clients["editor"]
    answer = editor.post("/rotas/form", data=_many_doctors(editor.csrf, 200) | {"add": "shifts"})
    assert answer.status_code == 200, answer.text[:300]
    assert (
        _values(answer.text, "doctors-name")[-1] == "Dr D199"
        and len(_values(answer.text, "doctors-id")) == 200
    )
    assert "up to 200 rows in each section (200 doctors" in answer.text
    refused = editor.post("/rotas/form", data=_many_doctors(editor.csrf, 201) | {"add": "shifts"})
    assert refused.status_code == 422  # refused, not cut at 200
    assert "Doctors: more than 200 rows; the form takes 200" in unescape(refused.text)
    # At 200 the button is gone, and a press from an older page is refused, not a 201st row added.
    assert 'id="add-doctors"' not in answer.text and 'id="full-doctors"' in answer.text
    pressed = editor.post("/rotas/form", data=_many_doctors(editor.csrf, 200) | {"add": "doctors"})
    assert pressed.status_code == 422
    assert "Doctors: the form takes 200 rows" in unescape(pressed.text)
    assert len(_values(pressed.text, "doctors-id")) == 200
    # Every row typed comes back, the 201st too, so the lead can delete one rather than retype it.
    assert len(_values(refused.text, "doctors-id")) == 201
    assert _values(refused.text, "doctors-name")[-1] == "Dr D200"


def test_the_progress_never_says_more_seconds_than_at_most():
    """Checking and saving follow the search: 18 seconds in of a 15-second search is said so."""
    import time
    from datetime import UTC, datetime

    from stocktake.web.rota_jobs import SAVING, RotaJob
    from stocktake.web.templating import templates

    def label(elapsed: float, phase: str) -> str:
        job = RotaJob(
            1, "build", "A rota", "A editor", 1, datetime.now(UTC), 15, time.perf_counter() - elapsed
        )
        job = dataclasses.replace(job, phase=phase)
        html = templates.get_template("_rota_job.html").render(job=job, local_time=str, oob=False)
        return re.sub(r"\s+", " ", unescape(re.search(r"<label[^>]*>(.*?)</label>", html, re.S).group(1)))

    assert label(6, "Searching") == "Searching: 6 of at most 15 seconds"
    late = label(18, SAVING)
    assert late.startswith(f"{SAVING}: 18 seconds so far (the search was given at most 15;")
    assert "18 of at most 15" not in late


def test_a_control_character_in_a_doctors_name_is_refused_before_anything_is_built(app, clients):
    """A doctor named "Dr\\x0bAmara" (Word's line break) once ran the whole solve, then failed on the grid."""
    from sqlalchemy import func, select

    from stocktake.appdb.models import AuditEvent

    def started() -> int:
        with app.state.sessions() as db:
            query = select(func.count()).where(AuditEvent.action == "rota_build_started")
            return db.scalar(query.select_from(AuditEvent))

    editor = clients["editor"]
    before = started()
    fields = _fields(editor.csrf) | {"doctors-name": ["Dr Ada", "Dr\x0bAmara", "Dr Cy"]}
    answer = editor.post("/rotas/form", data=fields)
    assert answer.status_code == 422 and started() == before
    assert "Doctors, row 2, Name: 'Dr\\x0bAmara' contains a control character ('\\x0b')" in unescape(
        answer.text
    )
    assert 'href="#doctors-1-name"' in answer.text


def test_an_nhs_number_in_a_row_is_named_by_its_table_row_and_field(clients):
    """An outside check: the refusal made where every form is read named "doctors-name" and no row."""
    editor = clients["editor"]
    fields = _fields(editor.csrf) | {"doctors-name": ["Dr Ada", "Dr Bo", "Dr Cy 9434765919"]}
    answer = editor.post("/rotas/form", data=fields)
    text = unescape(answer.text)
    assert answer.status_code == 422
    assert "Doctors, row 3, Name: holds what reads as an NHS number" in text and "doctors-name: " not in text
    # the form given back, every row kept (a central refusal had been an error page, the rows lost)
    assert 'value="Dr Bo"' in answer.text and 'value="Small form rota"' in answer.text


def test_a_file_sent_for_a_text_field_is_refused_not_kept_as_its_name(app, clients):
    """An outside check sent doctors' names as file parts: the rota was built, its spec holding
    "UploadFile(filename='4010232137', …)" as a doctor's name."""
    editor = clients["editor"]
    fields = _fields(editor.csrf)
    names = fields.pop("doctors-name")
    files = [("doctors-name", ("4010232137", b"", "text/plain"))] + [
        ("doctors-name", (None, n)) for n in names[1:]
    ]
    answer = editor.post("/rotas/form", data=fields, files=files, follow_redirects=False)
    assert answer.status_code == 422
    assert "Doctors, row 1, Name: a file was sent where text is asked for" in unescape(answer.text)
    assert "UploadFile" not in answer.text and "4010232137" not in answer.text


def _job(elapsed: float, phase: str, allowed: float = 15):
    import time
    from datetime import UTC, datetime

    from stocktake.web.rota_jobs import RotaJob

    job = RotaJob(
        1, "build", "A rota", "A editor", 1, datetime.now(UTC), allowed, time.perf_counter() - elapsed
    )
    return dataclasses.replace(job, phase=phase)


def test_the_progress_changes_with_the_phase_and_the_seconds_once_the_percent_stops_at_99():
    """At 99% the version once stayed put: "finding which rules conflict" never showed and the seconds
    froze. The phase and, past the time allowed, the whole seconds are in it."""
    from stocktake.rota.solver import EXPLAINING
    from stocktake.web.rota_jobs import SAVING, SOLVING

    late = [_job(20.2, SOLVING), _job(20.4, EXPLAINING), _job(20.6, SAVING)]
    assert {j.percent for j in late} == {99}
    assert len({j.version for j in late}) == 3  # each phase shown
    assert _job(21.3, EXPLAINING).version != _job(20.4, EXPLAINING).version  # a second more, said
    assert _job(6.05, SOLVING).version == _job(6.1, SOLVING).version  # within the time: by the percent
    assert all(re.fullmatch(r"[0-9a-z-]+", j.version) for j in late)  # fit for the poll's address


def test_the_poll_answers_each_phase_and_second_past_the_time(app, clients):
    from stocktake.rota.solver import EXPLAINING
    from stocktake.web.rota_jobs import SOLVING, RotaJobs

    viewer = clients["viewer"]
    jobs = app.state.rota_jobs if hasattr(app.state, "rota_jobs") else RotaJobs()
    app.state.rota_jobs = jobs
    jobs._job = _job(16.5, SOLVING)
    seen = jobs._job.version
    assert viewer.get("/rotas/job", params={"seen": seen}).status_code == 204
    jobs._job = dataclasses.replace(_job(16.5, SOLVING), phase=EXPLAINING)
    answer = viewer.get("/rotas/job", params={"seen": seen})
    assert answer.status_code == 200 and EXPLAINING in answer.text
    status = re.search(r'id="rota-job-status"[^>]*>(.*?)</p>', answer.text, re.S).group(1)
    assert f"A rota: {EXPLAINING}, 99% of its time used." == unescape(status).strip()
    jobs._job = None


def test_the_explaining_label_does_not_promise_saving_a_rota():
    from stocktake.rota.solver import EXPLAINING
    from stocktake.web.rota_jobs import SAVING
    from stocktake.web.templating import templates

    def label(job) -> str:
        html = templates.get_template("_rota_job.html").render(job=job, local_time=str, oob=False)
        return re.sub(r"\s+", " ", unescape(re.search(r"<label[^>]*>(.*?)</label>", html, re.S).group(1)))

    explaining = label(_job(18, EXPLAINING))
    assert explaining.startswith(f"{EXPLAINING}: 18 seconds so far (the search was given at most 15;")
    assert "saving" not in explaining and "no rota will be made" in explaining
    assert "checking and saving the rota take a little longer" in label(_job(18, SAVING))
