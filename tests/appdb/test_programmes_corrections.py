"""Programme records corrected without losing anything (ADR 0031's addendum): a changed attendance
mark keeps its old value with who, when and why; participants and evaluations withdrawn, not deleted;
a load previewed with nothing written; an evaluation's invited participants frozen at upload."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import (
    Attendance,
    AuditEvent,
    Participant,
    ProgrammeEvaluation,
    ProgrammeSession,
    RecordChange,
)
from stocktake.files.programme_roster import AttendanceRow, ParticipantRow
from stocktake.programmes.attendance import COMPLETED, NOT_COMPLETED

JAN, FEB, MAR = date(2025, 1, 6), date(2025, 2, 3), date(2025, 3, 3)


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    upgrade(url)
    with session_factory(make_engine(url))() as session:
        yield session


@pytest.fixture
def cohort(db, lead):
    """Three people (P1-P3), all at two Leading change sessions; completion 100%."""
    programme = actions.create_programme(
        db, by=lead, name="Leaders", modules=["Leading change", "QI"], completion_share=1.0
    )
    cohort = actions.add_cohort(db, by=lead, programme_id=programme.id, name="One")
    for code, name in (("P1", "Ann"), ("P2", "Bo"), ("P3", "Cy")):
        actions.add_participant(db, by=lead, cohort_id=cohort.id, code=code, name=name)
    rows = [AttendanceRow(0, f"P{i}", "Leading change", day, True) for i in (1, 2, 3) for day in (JAN, FEB)]
    actions.import_attendance(db, by=lead, cohort_id=cohort.id, rows=rows, source="first.csv")
    return cohort


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _events(db, action: str) -> int:
    return _count(db, AuditEvent, AuditEvent.action == action)


def _ids(cohort) -> dict[str, int]:
    return {p.code: p.id for p in cohort.participants}


def test_a_preview_of_a_new_session_names_who_becomes_absent_and_writes_nothing(db, lead, cohort):
    """The outsider's case: a sheet recording a QI session for P1 only. 3 sessions, 3 needed: P2 and
    P3 fall from completed (2 of 2) to not completed (2 of 3)."""
    rows = [AttendanceRow(2, "P1", "QI", MAR, True)]
    sessions, marks = _count(db, ProgrammeSession), _count(db, Attendance)
    preview = actions.preview_attendance(db, cohort_id=cohort.id, rows=rows, source="qi.csv")
    assert preview.created == ("QI, 03 Mar 2025",)
    ids = _ids(cohort)
    assert {c.participant_id for c in preview.made_absent} == {ids["P2"], ids["P3"]}
    assert (preview.before.completed, preview.after.completed) == (3, 1)
    assert {(s.participant_id, s.old, s.new) for s in preview.statuses} == {
        (ids["P2"], COMPLETED, NOT_COMPLETED),
        (ids["P3"], COMPLETED, NOT_COMPLETED),
    }
    assert (_count(db, ProgrammeSession), _count(db, Attendance)) == (sessions, marks)
    assert _events(db, "attendance_imported") == 1  # the fixture's load only


def test_a_changed_mark_keeps_its_old_value_with_who_when_and_why(db, lead, cohort):
    held = db.scalar(select(ProgrammeSession).where(ProgrammeSession.held_on == JAN))
    ids = _ids(cohort)
    done = actions.record_attendance(
        db,
        by=lead,
        session_id=held.id,
        attended={ids["P1"]: True, ids["P2"]: False, ids["P3"]: True},
        reason="Bo left at 10",
    )
    assert [(c.participant_id, c.old, c.new) for c in done.changed] == [(ids["P2"], True, False)]
    mark = db.scalar(
        select(Attendance).where(Attendance.session_id == held.id, Attendance.participant_id == ids["P2"])
    )
    assert mark.attended is False
    changes = db.scalars(select(RecordChange).where(RecordChange.record_kind == "attendance")).all()
    assert [(c.record_id, c.field, c.old_value, c.new_value, c.changed_by, c.reason) for c in changes] == [
        (mark.id, f"attended:{ids['P2']}", "attended", "absent", lead.id, "Bo left at 10")
    ]
    assert _events(db, "attendance_recorded") == 1
    actions.record_attendance(  # the same marks again: nothing changes, no history
        db, by=lead, session_id=held.id, attended={ids["P1"]: True, ids["P2"]: False, ids["P3"]: True}
    )
    assert _count(db, RecordChange, RecordChange.record_kind == "attendance") == 1


def test_an_imported_change_to_a_mark_keeps_its_history_too(db, lead, cohort):
    rows = [AttendanceRow(2, "P3", "Leading change", FEB, False)]
    preview = actions.preview_attendance(db, cohort_id=cohort.id, rows=rows, source="fix.csv")
    assert [(c.old, c.new) for c in preview.changed] == [(True, False)] and not preview.made_absent
    actions.import_attendance(db, by=lead, cohort_id=cohort.id, rows=rows, source="fix.csv", reason="Sick")
    change = db.scalar(select(RecordChange).where(RecordChange.record_kind == "attendance"))
    assert (change.old_value, change.new_value, change.reason) == ("attended", "absent", "Sick")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "attendance_imported")).all()[-1]
    assert event.detail.startswith("1 marks (0 added, 1 changed), 0 sessions created, 0 made absent")


def test_a_withdrawn_participant_stays_but_leaves_the_cohorts_lists_and_marks(db, lead, cohort):
    ids = _ids(cohort)
    with pytest.raises(actions.ActionError, match="reason"):
        actions.withdraw_participant(db, by=lead, participant_id=ids["P3"], reason=" ")
    actions.withdraw_participant(db, by=lead, participant_id=ids["P3"], reason="Left the trust")
    db.expire_all()
    kept = db.get(Participant, ids["P3"])
    assert kept.withdrawn and kept.withdrawn_reason == "Left the trust" and kept.withdrawn_by == lead.id
    assert [p.code for p in kept.cohort.current] == ["P1", "P2"]
    assert _events(db, "participant_withdrawn") == 1
    history = actions.history(db, "participant", [ids["P3"]])[ids["P3"]]
    assert [(c.field, c.new_value, c.reason) for c in history] == [
        ("withdrawn", "withdrawn", "Left the trust")
    ]
    with pytest.raises(actions.ActionError, match="already withdrawn"):
        actions.withdraw_participant(db, by=lead, participant_id=ids["P3"], reason="Again")
    held = db.scalar(select(ProgrammeSession).where(ProgrammeSession.held_on == JAN))
    with pytest.raises(actions.ActionError, match="no longer"):
        actions.record_attendance(db, by=lead, session_id=held.id, attended={ids["P3"]: True})
    with pytest.raises(actions.ActionError, match="row 2, column id: found 'P3'"):
        actions.preview_attendance(
            db, cohort_id=cohort.id, rows=[AttendanceRow(2, "P3", "QI", MAR, True)], source="m.csv"
        )
    with pytest.raises(actions.ActionError, match="not already in this cohort"):  # the id stays theirs
        actions.add_participant(db, by=lead, cohort_id=cohort.id, code="P3", name="Someone else")
    assert _count(db, Participant) == 3


def _evaluation(db, lead, cohort) -> ProgrammeEvaluation:
    files = {
        kind: actions.add_programme_file(
            db, by=lead, programme_id=cohort.programme_id, kind=kind, filename=f"{kind}.x", content=b"x"
        ).id
        for kind in ("survey", "scale", "domains")
    }
    return actions.add_evaluation(
        db,
        by=lead,
        cohort_id=cohort.id,
        level="learning",
        label="Pre and post",
        before_file_id=files["survey"],
        after_file_id=files["survey"],
        scale_file_id=files["scale"],
        domains_file_id=files["domains"],
        id_column="id",
    )


def test_an_evaluation_keeps_who_was_invited_when_it_was_uploaded(db, lead, cohort):
    actions.withdraw_participant(db, by=lead, participant_id=_ids(cohort)["P3"], reason="Left")
    evaluation = _evaluation(db, lead, cohort)
    assert json.loads(evaluation.invited_codes) == ["P1", "P2"] and evaluation.invited == ("P1", "P2")
    actions.add_participant(db, by=lead, cohort_id=cohort.id, code="P4", name="Di")
    actions.withdraw_participant(db, by=lead, participant_id=_ids(cohort)["P1"], reason="Moved")
    db.expire_all()
    assert db.get(ProgrammeEvaluation, evaluation.id).invited == ("P1", "P2")


def test_a_withdrawn_evaluation_stays_marked(db, lead, cohort):
    evaluation = _evaluation(db, lead, cohort)
    actions.withdraw_evaluation(db, by=lead, evaluation_id=evaluation.id, reason="Wrong cohort's file")
    db.expire_all()
    kept = db.get(ProgrammeEvaluation, evaluation.id)
    assert kept.withdrawn and kept.withdrawn_reason == "Wrong cohort's file"
    assert _events(db, "evaluation_withdrawn") == 1
    with pytest.raises(actions.ActionError, match="already withdrawn"):
        actions.withdraw_evaluation(db, by=lead, evaluation_id=evaluation.id, reason="Again")
    with pytest.raises(actions.ActionError, match="no evaluation 999"):
        actions.withdraw_evaluation(db, by=lead, evaluation_id=999, reason="x")


def test_a_preview_of_people_joining_shows_the_rates_they_would_dilute(db, lead, cohort):
    """3 people at 2 of 2 sessions: 6 of 6; one more joins with none: 6 of 8, completion 3 of 4."""
    rows = [ParticipantRow(2, "P4", "Di", "", "", "")]
    preview = actions.preview_participants(db, cohort_id=cohort.id, rows=rows, source="people.csv")
    assert (preview.before.overall.attended, preview.before.overall.possible) == (6, 6)
    assert (preview.after.overall.attended, preview.after.overall.possible) == (6, 8)
    assert (preview.after.completed, len(preview.after.by_participant)) == (3, 4)
    assert _count(db, Participant) == 3
    with pytest.raises(actions.ActionError, match="row 2, column id: found 'P1'"):
        actions.preview_participants(
            db, cohort_id=cohort.id, rows=[ParticipantRow(2, "P1", "Ann", "", "", "")], source="people.csv"
        )


def test_the_migration_freezes_an_earlier_evaluation_with_the_cohort_as_it_stands(tmp_path):
    """An evaluation stored before 0006 gets the codes of its cohort's participants then."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, "0005")
    engine = make_engine(url)
    now = "2025-01-01 00:00:00"
    with engine.begin() as c:
        c.execute(text(f"INSERT INTO programmes VALUES (1, 'P', '', 0.8, NULL, '{now}')"))
        c.execute(text("INSERT INTO programme_cohorts VALUES (1, 1, 'C', NULL)"))
        c.execute(text("INSERT INTO programme_cohorts VALUES (2, 1, 'D', NULL)"))
        for pid, cohort_id, code in ((1, 1, "B2"), (2, 1, "A1"), (3, 2, "Z9")):
            c.execute(
                text(
                    "INSERT INTO programme_participants VALUES "
                    f"({pid}, {cohort_id}, '{code}', 'n', '', '', NULL)"
                )
            )
        c.execute(text(f"INSERT INTO programme_files VALUES (1, 1, 'survey', 's', x'00', NULL, '{now}')"))
        c.execute(
            text(
                "INSERT INTO programme_evaluations VALUES "
                f"(1, 1, 'learning', 'L', 1, 1, 1, 1, 'id', 0, NULL, '{now}')"
            )
        )
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as c:
        assert json.loads(c.execute(text("SELECT invited_codes FROM programme_evaluations")).scalar()) == [
            "A1",
            "B2",
        ]
    engine.dispose()
