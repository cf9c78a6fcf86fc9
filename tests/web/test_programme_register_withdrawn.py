"""A register or participants file naming a withdrawn participant (issue 29's outside review): a
register's row for them is left out and said in the preview (a lead's register keeps the row of
someone who left); a mark of present after the day they were withdrawn, and a participants file
enrolling them again, are refused in one line naming file, row, column, value and the day."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from test_programmes_page import load

from stocktake.appdb.models import Attendance, Participant
from stocktake.files.programme_roster import day_text

PEOPLE = "id,name\nP1,Ann\nP2,Bo\nP3,Cy\n"


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data}, follow_redirects=False)


def cohort_with_cy_withdrawn(app, clients, programme: str) -> tuple[str, int, object]:
    """A programme of three people (P1 Ann, P2 Bo, P3 Cy) with Cy withdrawn today: the cohort's path,
    Cy's id and the day."""
    editor = clients["editor"]
    made = _post(editor, "/programmes", name=programme, modules="Change", completion_percent="50")
    cohort_path = _post(editor, f"{made.headers['location']}/cohorts", name="One").headers["location"]
    assert load(editor, cohort_path, "participants", "people.csv", PEOPLE.encode())[1].status_code == 303
    with app.state.sessions() as db:
        cy = db.scalar(
            select(Participant)
            .where(Participant.code == "P3", Participant.name == "Cy")
            .order_by(Participant.id.desc())
        )
        cy_id = cy.id
    assert _post(editor, f"{cohort_path}/participants/{cy_id}/withdraw", reason="Left").status_code == 303
    with app.state.sessions() as db:
        day = db.get(Participant, cy_id).withdrawn_at.date()
    return cohort_path, cy_id, day


@pytest.fixture(scope="module")
def cohort(app, clients):
    """Three people; Cy (P3) withdrawn today."""
    path, _, day = cohort_with_cy_withdrawn(app, clients, "Register leads")
    return path, day


def _marks(app, cohort_path: str) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count()).select_from(Attendance))


def test_a_withdrawn_participants_register_row_is_left_out_and_said(app, clients, cohort):
    path, day = cohort
    register = b"id,name,Change 2025-01-06\nP1,Ann,Y\nP2,Bo,N\nP3,Cy,Y\n"
    marks = _marks(app, path)
    preview, done = load(clients["editor"], path, "attendance", "register.csv", register)
    text = html.unescape(preview.text)
    notes = text.split('id="import-notes"')[1].split("</div>")[0]
    assert f"register.csv, row 4: P3 was withdrawn from this cohort on {day_text(day)}" in notes
    assert "their row is left out" in notes
    assert re.search(r'id="added">2<', preview.text)  # Ann's and Bo's marks, not Cy's
    assert done.status_code == 303 and _marks(app, path) == marks + 2


def test_a_mark_of_present_after_the_withdrawal_is_refused_in_one_line(app, clients, cohort):
    path, day = cohort
    register = b"id,name,Change 2099-01-05\nP1,Ann,Y\nP2,Bo,Y\nP3,Cy,present\n"
    marks = _marks(app, path)
    refused = clients["editor"].post(
        f"{path}/attendance/import",
        data={"csrf_token": clients["editor"].csrf},
        files={"upload": ("later.csv", register)},
    )
    assert refused.status_code == 422
    line = (
        "later.csv, row 4, column Change 2099-01-05: found 'present', expected no mark of present for P3, "
        f"withdrawn from this cohort on {day_text(day)}, before this session (5 January 2099)"
    )
    assert line in html.unescape(refused.text)
    assert _marks(app, path) == marks


def test_enrolling_a_withdrawn_participant_again_is_refused_naming_the_day(app, clients, cohort):
    path, day = cohort
    refused = clients["editor"].post(
        f"{path}/participants/import",
        data={"csrf_token": clients["editor"].csrf},
        files={"upload": ("more.csv", b"id,name\nP4,Di\nP3,Cy\n")},
    )
    assert refused.status_code == 422
    line = (
        f"more.csv, row 3, column id: found 'P3', expected an id not already in this cohort (P3 was "
        f"withdrawn from it on {day_text(day)}; their record is kept: give a new id to enrol them again)"
    )
    assert line in html.unescape(refused.text)
