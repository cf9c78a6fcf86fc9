"""Programmes in the app database: every change one transaction with one audit event, imports all or
nothing, and attendance rates and completion worked by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import Attendance, AuditEvent, Participant, ProgrammeSession
from stocktake.files.programme import ProgrammeFileError
from stocktake.files.programme_roster import read_attendance, read_participants
from stocktake.programmes.attendance import (
    COMPLETED,
    IN_PROGRESS,
    NOT_COMPLETED,
    SessionMarks,
    cohort_attendance,
    sessions_needed,
)


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    upgrade(url)
    with session_factory(make_engine(url))() as session:
        yield session


def _events(db, action: str) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_the_hand_worked_rates_and_completion():
    """3 people, 5 sessions (A, A, B, B, B), 80%: 4 sessions needed (0.8 x 5 = 4).
    P1 attends all 5 (completed); P2 misses one B (4 of 5: completed); P3 attends A twice only
    (2 of 5: not completed). Module A: 2 + 2 + 2 = 6 of 6; module B: 3 + 2 + 0 = 5 of 9."""
    everyone = {1: True, 2: True, 3: True}
    sessions = [
        SessionMarks(10, "A", everyone),
        SessionMarks(11, "A", everyone),
        SessionMarks(12, "B", {1: True, 2: True, 3: False}),
        SessionMarks(13, "B", {1: True, 2: False}),  # P3 not marked: not there
        SessionMarks(14, "B", {1: True, 2: True, 3: False}),
    ]
    result = cohort_attendance([1, 2, 3], sessions, 0.8)
    assert result.needed == 4
    assert [(p.rate.attended, p.rate.possible, p.status) for p in result.by_participant] == [
        (5, 5, COMPLETED),
        (4, 5, COMPLETED),
        (2, 5, NOT_COMPLETED),
    ]
    assert [(m, r.attended, r.possible) for m, r in result.by_module] == [("A", 6, 6), ("B", 5, 9)]
    assert result.overall.attended == 11 and result.overall.possible == 15
    assert result.completed == 2


def test_a_session_not_yet_recorded_leaves_people_in_progress():
    sessions = [SessionMarks(1, "A", {1: True, 2: False}), SessionMarks(2, "A", {})]
    result = cohort_attendance([1, 2], sessions, 0.5)
    assert result.needed == 1 and result.recorded == 1
    assert [p.status for p in result.by_participant] == [COMPLETED, IN_PROGRESS]
    assert [p.rate.percent for p in result.by_participant] == ["100%", "0%"]
    assert sessions_needed(6, 0.8) == 5 and sessions_needed(10, 0.8) == 8  # rounded up, never below


def test_a_programme_built_and_imported_with_an_audit_event_for_each_change(db, lead, tmp_path):
    programme = actions.create_programme(
        db, by=lead, name="Clinical leaders", modules=["Leading change", "QI"]
    )
    cohort = actions.add_cohort(
        db, by=lead, programme_id=programme.id, name="Cohort 1", starts_on=date(2025, 1, 6)
    )
    people = tmp_path / "people.csv"
    people.write_text(
        "ID,Name,Role,Service,Username\nP1,Ann,Matron,Fracture clinic,lead\nP2,Bo,Consultant,Theatres,\n"
    )
    rows = read_participants(people)
    made = actions.import_participants(db, by=lead, cohort_id=cohort.id, rows=rows, source="people.csv")
    assert [(p.code, p.service, p.user_id) for p in made] == [
        ("P1", "Fracture clinic", lead.id),
        ("P2", "Theatres", None),
    ]
    marks = tmp_path / "marks.csv"
    marks.write_text(
        "id,module,date,attended\nP1,Leading change,06/01/2025,yes\nP2,leading change,06/01/2025,no\n"
        "P1,QI,2025-02-03,present\n"
    )
    rows = read_attendance(marks, codes={"P1", "P2"}, modules=["Leading change", "QI"])
    assert actions.import_attendance(db, by=lead, cohort_id=cohort.id, rows=rows, source="marks.csv") == 3
    assert db.scalar(select(func.count()).select_from(ProgrammeSession)) == 2
    assert db.scalar(select(func.count()).select_from(Attendance).where(Attendance.attended)) == 2
    for action in ("programme_created", "cohort_added", "participants_imported", "attendance_imported"):
        assert _events(db, action) == 1
    project = actions.create_project(
        db, by=lead, title="Fewer cancellations", aim="Half as many by June", lead="Ann"
    )
    actions.link_project(db, by=lead, participant_id=made[0].id, project_id=project.id)
    db.expire_all()
    assert [p.title for p in db.get(Participant, made[0].id).projects] == ["Fewer cancellations"]
    assert _events(db, "participant_project_linked") == 1
    with pytest.raises(actions.ActionError, match="already linked"):
        actions.link_project(db, by=lead, participant_id=made[0].id, project_id=project.id)


def test_an_import_with_a_bad_row_loads_nothing(db, lead, tmp_path):
    programme = actions.create_programme(db, by=lead, name="P", modules=["M"])
    cohort = actions.add_cohort(db, by=lead, programme_id=programme.id, name="C")
    bad = tmp_path / "people.csv"
    bad.write_text("id,name\nP1,Ann\nP2,\nP3,Cy\n")
    with pytest.raises(ProgrammeFileError) as refused:
        read_participants(bad)
    assert (
        str(refused.value) == "people.csv, row 3, column name: found a blank, expected the participant's name"
    )
    good = tmp_path / "ok.csv"
    good.write_text("id,name,username\nP1,Ann,\nP2,Bo,nobody\n")
    with pytest.raises(actions.ActionError, match=r"ok.csv, row 3, column username: found 'nobody'"):
        actions.import_participants(
            db, by=lead, cohort_id=cohort.id, rows=read_participants(good), source="ok.csv"
        )
    assert db.scalar(select(func.count()).select_from(Participant)) == 0
    assert _events(db, "participants_imported") == 0
    marks = tmp_path / "marks.csv"
    marks.write_text("id,module,date,attended\nP1,M,2025-01-06,yes\nP9,M,2025-01-06,yes\n")
    with pytest.raises(ProgrammeFileError, match=r"marks.csv, row 3, column id: found 'P9'"):
        read_attendance(marks, codes={"P1"}, modules=["M"])
    marks.write_text("id,module,date,attended\nP1,M,2025-01-06,maybe\n")
    with pytest.raises(
        ProgrammeFileError, match=r"row 2, column attended: found 'maybe', expected yes or no"
    ):
        read_attendance(marks, codes={"P1"}, modules=["M"])


def test_the_completion_rule_is_the_programmes_to_set(db, lead):
    programme = actions.create_programme(db, by=lead, name="P")
    actions.set_completion_rule(db, by=lead, programme_id=programme.id, completion_share=0.75)
    assert programme.completion_share == 0.75
    with pytest.raises(actions.ActionError, match="completion"):
        actions.set_completion_rule(db, by=lead, programme_id=programme.id, completion_share=1.5)
    assert _events(db, "programme_completion_set") == 1
