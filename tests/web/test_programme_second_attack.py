"""The programme pages after issue 29's second review: a withdrawn participant's survey response is
left out and counted, not refused; level 4 reads each measure's change against the cohort's start
(the demo's projects changed after their leads' cohorts began, and one participant joined a project
whose change came before)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.files.programme_roster import ParticipantRow

SCALE = "scales:\n  agreement: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]\n"
DOMAINS = "domains:\n  - name: Leading\n    scale: agreement\n    items: [I lead]\n"
CODES = [f"W{i:02d}" for i in range(1, 9)]


def _survey(answer: str) -> bytes:
    return ("Respondent,I lead\n" + "".join(f"{c},{answer}\n" for c in CODES)).encode()


@pytest.fixture(scope="module")
def cohort(app):
    """Eight participants, W02 withdrawn after answering."""
    with app.state.sessions() as db:
        programme = actions.create_programme(db, by=None, name="Withdrawals", modules=("Leading",))
        made = actions.add_cohort(db, by=None, programme_id=programme.id, name="Only")
        rows = [ParticipantRow(0, c, f"Person {c}", "", "", "") for c in CODES]
        people = actions.import_participants(db, by=None, cohort_id=made.id, rows=rows, source="the test")
        lead = db.scalar(select(User).where(User.username == "editor"))
        actions.withdraw_participant(db, by=lead, participant_id=people[1].id, reason="Left the trust")
        return f"/programmes/{programme.id}/cohorts/{made.id}"


def test_a_withdrawn_participants_response_is_left_out_and_counted(clients, cohort):
    editor = clients["editor"]
    answer = editor.post(
        f"{cohort}/evaluations",
        data={
            "csrf_token": editor.csrf,
            "level": "learning",
            "label": "Pre and post",
            "id_column": "Respondent",
        },
        files={
            "before": ("pre.csv", _survey("Disagree")),
            "after": ("post.csv", _survey("Agree")),
            "scale": ("SCALE.yaml", SCALE.encode()),
            "domains": ("DOMAINS.yaml", DOMAINS.encode()),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = editor.get(cohort).text
    assert "expected an id of the cohort" not in page
    assert "1 response from withdrawn participants, left out" in page
    # Seven current participants, all answering both: 7 of 7.
    assert re.search(r"7 of 7", page)


def test_level_4_says_when_each_measure_changed_against_the_cohorts_start(app, clients):
    from stocktake.demo.programme import NAME, seed_programme

    assert seed_programme(app.state.settings) is True
    listing = clients["viewer"].get("/programmes").text
    path = re.search(rf'href="(/programmes/\d+)">{NAME}</a>', listing).group(1)
    report = clients["viewer"].get(f"{path}/report.html").text
    level_four = report.split("Level 4, results", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", level_four)
    moved = [r for r in rows if "<td>Moved the needle</td>" in r]
    assert moved
    # Every "Moved the needle" row says when, against its cohort's start; the demo's leads' projects
    # changed after their cohorts began, and one later participant's did not, said plainly.
    for row in moved:
        assert re.search(r"changed in \w{3} \d{4}, (after|before) this cohort began in \w{3} \d{4}", row), row
    before = [r for r in moved if "before this cohort began" in r]
    assert len(before) == len([r for r in moved if "Virtual fracture clinic" in r and "Cohort 2023-24" in r])
    assert before and all("not evidence of the programme" in r for r in before)
    assert all("Cohort 2023-24" in r and "Virtual fracture clinic" in r for r in before)
    assert any("after this cohort began" in r for r in moved)
    # The virtual fracture clinic went live in July 2023 (demo.effects): its change is dated so.
    assert all("changed in Jul 2023" in r for r in moved if "Virtual fracture clinic" in r)
    cohort_pages = re.findall(rf'href="({path}/cohorts/\d+)"', clients["viewer"].get(path).text)
    shown = "".join(clients["viewer"].get(p).text for p in dict.fromkeys(cohort_pages))
    assert "before this cohort began in Oct 2023: not evidence of the programme" in shown


@pytest.mark.parametrize("content", [b"", b"\x00\x01binary"])
def test_a_refused_sheet_is_named_as_uploaded_not_by_its_temporary_name(clients, cohort, content):
    editor = clients["editor"]
    answer = editor.post(
        f"{cohort}/attendance/import",
        data={"csrf_token": editor.csrf},
        files={"upload": ("Spring register.csv", content)},
    )
    assert answer.status_code == 422
    assert "Spring register.csv, row 1" in answer.text and "upload.csv" not in answer.text


def test_a_withdrawn_participant_is_left_out_of_an_evaluation_kept_from_before_the_withdrawal():
    """Their answers leave every evaluation, the ones uploaded while they were enrolled too: were
    only later evaluations to drop them, two evaluations of one survey would differ by exactly their
    answers (an outsider read a withdrawn person's answers so from the board workbook)."""
    from stocktake.web.programme_view import evaluate_stored

    files = {
        "before": ("pre.csv", _survey("Disagree")),
        "after": ("post.csv", _survey("Agree")),
        "scale": ("SCALE.yaml", SCALE.encode()),
        "domains": ("DOMAINS.yaml", DOMAINS.encode()),
    }
    kept_before, _ = evaluate_stored(files, CODES, "Respondent", withdrawn=["W02"])  # invited when W02 was in
    uploaded_after, _ = evaluate_stored(
        files, [c for c in CODES if c != "W02"], "Respondent", withdrawn=["W02"]
    )
    old, new = kept_before.domains[0], uploaded_after.domains[0]
    assert old.comparison.n == new.comparison.n == 7
    assert [s.counts for s in kept_before.items] == [s.counts for s in uploaded_after.items]
    assert sum(kept_before.items[0].counts) == 7


def test_a_file_sent_as_an_attendance_reason_is_refused_not_kept_as_its_name(app, clients):
    """An outside recheck: a file part named "4010232137\u202e.txt" was kept as the reason's text."""
    from datetime import date

    from stocktake.appdb.models import RecordChange

    with app.state.sessions() as db:
        programme = actions.create_programme(db, by=None, name="Reasons", modules=("Leading",))
        made = actions.add_cohort(db, by=None, programme_id=programme.id, name="Only")
        [person] = actions.import_participants(
            db, by=None, cohort_id=made.id, rows=[ParticipantRow(0, "R01", "Person", "", "", "")], source="t"
        )
        held = actions.add_session(
            db, by=None, cohort_id=made.id, module_id=programme.modules[0].id, held_on=date(2026, 1, 5)
        )
        ids = (programme.id, made.id, held.id, person.id)
    editor = clients["editor"]
    path = f"/programmes/{ids[0]}/cohorts/{ids[1]}/sessions/{ids[2]}/attendance"
    answer = editor.post(
        path,
        data={"attended": str(ids[3]), "csrf_token": editor.csrf},
        files={"reason": ("4010232137\u202e.txt", b"x", "text/plain")},
        follow_redirects=False,
    )
    assert answer.status_code == 422 and "reason: text, not a file" in answer.text
    with app.state.sessions() as db:
        assert not any("UploadFile" in (c.reason or "") for c in db.scalars(select(RecordChange)))
