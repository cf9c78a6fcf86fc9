"""Programme loads that cannot change counts behind the lead's back (issue 29): imports previewed and
confirmed, marks corrected with history, participants and evaluations withdrawn, response rates frozen
at upload, registers read, and programme files up to 10 MB."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select
from test_programmes_page import DOMAINS, SCALE, _survey, load

from stocktake.appdb.models import Attendance, AuditEvent, Participant, ProgrammeEvaluation, ProgrammeSession

PEOPLE = "id,name\nP1,Ann\nP2,Bo\nP3,Cy\nP4,Di\n"
FIRST = "id,module,date,attended\n" + "".join(
    f"P{i},Change,{day},yes\n" for i in range(1, 5) for day in ("2025-01-06", "2025-02-03")
)


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data}, follow_redirects=False)


def _count(app, model, *where) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(scope="module")
def cohort(clients):
    """Four people at both of two Change sessions; completion 100%: all four completed."""
    editor = clients["editor"]
    made = _post(editor, "/programmes", name="Leaders", modules="Change\nQI", completion_percent="100")
    cohort_path = _post(editor, f"{made.headers['location']}/cohorts", name="One").headers["location"]
    assert load(editor, cohort_path, "participants", "people.csv", PEOPLE.encode())[1].status_code == 303
    assert load(editor, cohort_path, "attendance", "first.csv", FIRST.encode())[1].status_code == 303
    return cohort_path


def _completed(page: str) -> int:
    table = page.split('id="by-participant"')[1].split("</table>")[0]
    return len(re.findall(r"<td[^>]*>completed</td>", table))


def test_a_sheet_creating_a_session_shows_who_becomes_absent_before_anything_is_written(app, clients, cohort):
    """The outsider's case: a QI session marking P1 and P2 only. 3 sessions, 3 needed: P3 and P4 fall
    from completed (2 of 2) to not completed (2 of 3): completion 4 -> 2."""
    editor = clients["editor"]
    sheet = b"id,module,date,attended\nP1,QI,2025-03-03,yes\nP2,QI,2025-03-03,yes\n"
    sessions, marks = _count(app, ProgrammeSession), _count(app, Attendance)
    preview = editor.post(
        f"{cohort}/attendance/import",
        data={"csrf_token": editor.csrf},
        files={"upload": ("qi.csv", sheet)},
    )
    assert preview.status_code == 200
    assert "2 people would be marked absent" in preview.text
    warning = preview.text.split('id="absent-warning"')[1].split("</div>")[0]
    assert "Cy: QI, 03 Mar 2025" in warning and "Di: QI, 03 Mar 2025" in warning and "Ann" not in warning
    assert "4 of 4 now; 2 of 4 after" in preview.text
    assert re.search(r'id="created">1: QI, 03 Mar 2025<', preview.text)
    assert (_count(app, ProgrammeSession), _count(app, Attendance)) == (sessions, marks)
    assert _completed(clients["viewer"].get(cohort).text) == 4
    cancel = re.search(r'action="([^"]+/cancel)"', preview.text).group(1)
    assert _post(editor, cancel).status_code == 303
    confirm = re.search(r'action="([^"]+/confirm)"', preview.text).group(1)
    assert _post(editor, confirm).status_code == 404  # cancelled: nothing waits
    assert (_count(app, ProgrammeSession), _count(app, Attendance)) == (sessions, marks)
    _preview, done = load(editor, cohort, "attendance", "qi.csv", sheet)
    assert done.status_code == 303
    assert _completed(clients["viewer"].get(cohort).text) == 2
    assert _count(app, ProgrammeSession) == sessions + 1


def test_a_preview_gone_stale_is_shown_again_and_another_users_token_is_refused(app, clients, cohort):
    editor, admin = clients["editor"], clients["admin"]
    sheet = b"id,module,date,attended\nP1,QI,2025-04-07,yes\n"
    preview = editor.post(
        f"{cohort}/attendance/import", data={"csrf_token": editor.csrf}, files={"upload": ("q.csv", sheet)}
    )
    confirm = re.search(r'action="([^"]+/confirm)"', preview.text).group(1)
    assert _post(admin, confirm).status_code == 404  # bound to its uploader
    with app.state.sessions() as db:  # and the attempt kept, as another user's staged upload is
        event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.detail) == ("request_refused", "another user's staged import")
        assert "/imports/…/confirm" in event.subject  # the token kept out, as every secret is
    _post(editor, f"{cohort}/participants", code="P5", name="Ed")  # the cohort changes meanwhile
    again = _post(editor, confirm)
    assert again.status_code == 200 and "The cohort changed since you checked this file" in again.text
    assert "4 people would be marked absent" in again.text  # P2-P5 now
    marks = _count(app, Attendance)
    assert _post(editor, confirm).status_code == 303
    assert _count(app, Attendance) == marks + 1


def test_a_register_is_previewed_and_loaded_as_its_long_form(app, clients, cohort):
    register = b"id,name,Change 2025-05-05\nP1,Ann,Y\nP2,Bo,present\nP3,Cy,1\nP4,Di,absent\nP5,Ed,\n"
    preview, done = load(clients["editor"], cohort, "attendance", "register.csv", register)
    assert re.search(r'id="added">5<', preview.text) and done.status_code == 303
    with app.state.sessions() as db:
        held = db.scalar(select(ProgrammeSession).where(ProgrammeSession.held_on == date(2025, 5, 5)))
        marks = {
            m.participant_id: m.attended
            for m in db.scalars(select(Attendance).where(Attendance.session_id == held.id))
        }
        codes = {p.id: p.code for p in db.scalars(select(Participant))}
    assert {codes[p]: a for p, a in marks.items()} == {
        "P1": True,
        "P2": True,
        "P3": True,
        "P4": False,
        "P5": False,
    }
    unknown = clients["editor"].post(
        f"{cohort}/attendance/import",
        data={"csrf_token": clients["editor"].csrf},
        files={"upload": ("r.csv", b"id,Change 2025-06-02\nP1,late\nP2,Y\n")},
    )
    assert unknown.status_code == 422
    assert (
        "r.csv: 1 cell(s) read as neither present nor absent "
        "(row 2, column &#39;Change 2025-06-02&#39;: &#39;late&#39;)" in unknown.text
    )


def test_a_mark_changed_on_the_form_keeps_its_history_and_the_form_shows_the_marks_there(
    app, clients, cohort
):
    editor = clients["editor"]
    with app.state.sessions() as db:
        held = db.scalar(select(ProgrammeSession).where(ProgrammeSession.held_on == date(2025, 1, 6)))
        people = {p.code: p.id for p in db.scalars(select(Participant))}
    page = editor.get(cohort).text
    assert f'value="{people["P1"]}" checked' in page  # the form starts from the marks recorded
    present = [str(people[c]) for c in ("P1", "P2", "P3")]  # P4 unticked: was present
    answer = editor.post(
        f"{cohort}/sessions/{held.id}/attendance",
        data={"csrf_token": editor.csrf, "attended": present, "reason": "Di left early"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = clients["viewer"].get(cohort).text  # viewers read the history
    heading = "Changes to the marks of Change, 06 Jan 2025 (1 change)"
    assert heading in page
    change = page.split(heading)[1].split("</details>")[0]
    assert "<strong>Di</strong>" in change and "<del>attended</del> → <ins>absent</ins>" in change
    assert "Di left early" in change


def test_a_withdrawn_participant_leaves_the_rates_and_is_shown_withdrawn(app, clients, cohort):
    editor = clients["editor"]
    with app.state.sessions() as db:
        ed = db.scalar(select(Participant).where(Participant.code == "P5"))
    path = f"{cohort}/participants/{ed.id}/withdraw"
    assert _post(editor, path, reason="").status_code == 422
    assert _post(clients["viewer"], path, reason="x").status_code == 403
    assert _post(editor, path, reason="Joined by mistake").status_code == 303
    page = clients["viewer"].get(cohort).text
    table = page.split('id="by-participant"')[1].split("</table>")[0]
    assert "Ed" not in table and "Ann" in table
    assert re.search(r'class="withdrawn-participant">Ed \(P5\).*?Joined by mistake', page, re.S)
    with app.state.sessions() as db:
        events = db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "participant_withdrawn")
        )
    assert events == 1


def test_response_rates_stay_those_of_the_people_invited_at_upload(app, clients, cohort):
    """Four current participants (P5 withdrawn) when the evaluation is uploaded: 4 invited. Two more
    join later; the rates stay out of 4, and withdrawing the evaluation takes it off the page."""
    editor = clients["editor"]
    scores = {"P1": 2, "P2": 3, "P3": 2}
    answer = editor.post(
        f"{cohort}/evaluations",
        data={
            "csrf_token": editor.csrf,
            "level": "learning",
            "label": "Pre and post",
            "id_column": "Respondent",
        },
        files={
            "before": ("pre.csv", _survey(scores)),
            "after": ("post.csv", _survey({"P1": 3, "P2": 4})),
            "scale": ("SCALE.yaml", SCALE.encode()),
            "domains": ("DOMAINS.yaml", DOMAINS.encode()),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    today = date.today()
    invited = f"2 of 4 invited on {today.day} {today:%B %Y} answered the after survey (3 the before)"
    assert invited in clients["viewer"].get(cohort).text
    assert "3 / 2 of 4 invited (75% / 50%)" in clients["viewer"].get(cohort).text
    _post(editor, f"{cohort}/participants", code="P6", name="Fay")
    _post(editor, f"{cohort}/participants", code="P7", name="Gus")
    page = clients["viewer"].get(cohort).text
    assert invited in page and "3 / 2 of 4 invited (75% / 50%)" in page
    with app.state.sessions() as db:
        evaluation = db.scalars(select(ProgrammeEvaluation)).all()[-1]
    assert (
        _post(editor, f"{cohort}/evaluations/{evaluation.id}/withdraw", reason="Wrong files").status_code
        == 303
    )
    page = clients["viewer"].get(cohort).text
    assert invited not in page and "No evaluation yet" in page
    assert re.search(r'class="withdrawn-evaluation">Pre and post .*?Wrong files', page, re.S)


def test_programme_files_up_to_10_mb_are_taken_and_larger_ones_refused_before_reading(clients, cohort):
    editor = clients["editor"]
    programme = cohort.split("/cohorts/")[0]
    big = b"id,name\n" + b"P1,Ann\n" * (2 * 1024 * 1024 // 7)  # 2 MB: over the old 1 MB cap
    answer = editor.post(
        f"{programme}/files",
        data={"csrf_token": editor.csrf, "kind": "survey"},
        files={"upload": ("big.csv", big)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    huge = b"x" * (11 * 1024 * 1024)
    answer = editor.post(
        f"{programme}/files",
        data={"csrf_token": editor.csrf, "kind": "survey"},
        files={"upload": ("huge.csv", huge)},
        follow_redirects=False,
    )
    assert answer.status_code == 413


def test_a_programme_files_name_keeps_no_control_characters():
    """An outside recheck: a hand-made upload named "raw\\x0bvt\\x1besc.csv" was kept and shown as
    sent (a browser would percent-encode them), where a decision's documents keep no control character."""
    import io

    from fastapi import UploadFile

    from stocktake.web.routes.programmes import _read_upload

    name, content = _read_upload(UploadFile(io.BytesIO(b"id\nP1\n"), filename="raw\x0bvt\x1besc.csv"), "file")
    assert (name, content) == ("rawvtesc.csv", b"id\nP1\n")
