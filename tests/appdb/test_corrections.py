"""Correcting the governance record (ADR 0024): every edit keeps the old value in the history with who,
when and why, and leaves one audit event naming the fields; an edit that changes nothing, or is
refused, writes nothing; a withdrawn record stays, marked, and can no longer be changed."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import AuditEvent, CriterionResult, RecordChange
from stocktake.qi.compliance import Measured

NOON = datetime(2026, 12, 2, 12, 0, 0)


@pytest.fixture
def db(database_url, monkeypatch):
    upgrade(database_url)
    engine = make_engine(database_url)
    monkeypatch.setattr(actions.base, "_now", lambda: NOON)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def _history(db) -> list[tuple]:
    return [
        (c.record_kind, c.record_id, c.field, c.old_value, c.new_value, c.changed_by, c.changed_at, c.reason)
        for c in db.scalars(select(RecordChange).order_by(RecordChange.id))
    ]


def _last_event(db) -> tuple[str, str, str]:
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return event.action, event.subject, event.detail


def _written(db) -> tuple[int, int]:
    return (
        db.scalar(select(func.count()).select_from(RecordChange)),
        db.scalar(select(func.count()).select_from(AuditEvent)),
    )


def test_a_project_edit_keeps_each_old_value_and_names_the_fields_in_one_event(db, lead):
    project = actions.create_project(db, by=lead, title="Faster to theatre", aim="80% in 36 h", lead="Dr Lee")
    changed = actions.edit_project(
        db,
        by=lead,
        project_id=project.id,
        title="Faster to theatre ",  # the same once trimmed: not a change
        aim="85% in 36 h",
        lead="Dr Li",
        reason="Aim agreed at governance",
    )
    assert changed == ("aim", "lead")
    p = project.id
    assert _history(db) == [
        ("project", p, "aim", "80% in 36 h", "85% in 36 h", lead.id, NOON, "Aim agreed at governance"),
        ("project", p, "lead", "Dr Lee", "Dr Li", lead.id, NOON, "Aim agreed at governance"),
    ]
    assert _last_event(db) == ("project_edited", f"project:{p}", "aim, lead")
    db.expire_all()
    assert (project.aim, project.lead) == ("85% in 36 h", "Dr Li")


def test_an_edit_that_changes_nothing_writes_nothing(db, lead):
    project = actions.create_project(db, by=lead, title="T", aim="A", lead="L")
    before = _written(db)
    assert actions.edit_project(db, by=lead, project_id=project.id, title="T", aim="A", lead="L") == ()
    decision = actions.record_decision(
        db, by=lead, decided_on=date(2024, 5, 14), title="W", rationale="Line 1\nLine 2", decided_by="CD"
    )
    before = _written(db)
    # A browser sends a textarea's line ends as CRLF: the text shown, sent back, is no change.
    unchanged = actions.edit_decision(
        db,
        by=lead,
        decision_id=decision.id,
        decided_on=date(2024, 5, 14),
        title="W",
        rationale="Line 1\r\nLine 2",
        decided_by="CD",
    )
    assert unchanged == () and _written(db) == before


def test_a_refused_edit_writes_nothing(db, lead):
    project = actions.create_project(db, by=lead, title="T", aim="A", lead="L")
    other = actions.create_project(db, by=lead, title="U", aim="B", lead="M")
    actions.add_change_idea(db, by=lead, project_id=other.id, description="Someone else's idea")
    idea = other.change_ideas[0].id
    cycle = actions.add_pdsa_cycle(
        db, by=lead, project_id=project.id, title="C1", started_on=date(2024, 3, 1)
    )
    before = _written(db)
    with pytest.raises(actions.ActionError, match="both are needed"):
        actions.edit_project(db, by=lead, project_id=project.id, title=" ", aim="A", lead="L")
    with pytest.raises(actions.ActionError, match="cannot end before it starts"):
        actions.edit_pdsa_cycle(
            db, by=lead, cycle_id=cycle.id, title="C1", started_on=date(2024, 3, 2), ended_on=date(2024, 3, 1)
        )
    with pytest.raises(actions.ActionError, match="not one of this project's"):
        actions.edit_pdsa_cycle(
            db, by=lead, cycle_id=cycle.id, title="C2", started_on=date(2024, 3, 1), change_idea_id=idea
        )
    with pytest.raises(actions.ActionError, match="no project 999"):
        actions.edit_project(db, by=lead, project_id=999, title="T", aim="A", lead="L")
    db.rollback()
    assert _written(db) == before
    db.expire_all()
    assert (project.title, cycle.title, cycle.started_on) == ("T", "C1", date(2024, 3, 1))


def test_a_pdsa_cycle_edit_moves_its_start_with_the_old_date_kept(db, lead):
    project = actions.create_project(db, by=lead, title="T", aim="A", lead="L")
    cycle = actions.add_pdsa_cycle(
        db, by=lead, project_id=project.id, title="Ring-fenced slot", started_on=date(2023, 3, 6)
    )
    changed = actions.edit_pdsa_cycle(
        db,
        by=lead,
        cycle_id=cycle.id,
        title="Ring-fenced slot",
        started_on=date(2023, 4, 6),
        ended_on=date(2023, 5, 1),
        act="adopt",
        reason="Started a month later than typed",
    )
    assert changed == ("started_on", "ended_on", "act")
    reason = "Started a month later than typed"
    assert _history(db) == [
        ("pdsa_cycle", cycle.id, "started_on", "2023-03-06", "2023-04-06", lead.id, NOON, reason),
        ("pdsa_cycle", cycle.id, "ended_on", None, "2023-05-01", lead.id, NOON, reason),
        ("pdsa_cycle", cycle.id, "act", "", "adopt", lead.id, NOON, reason),
    ]
    assert _last_event(db) == (
        "pdsa_cycle_edited",
        f"project:{project.id}",
        f"pdsa cycle {cycle.id}: started_on, ended_on, act",
    )
    assert "pdsa_cycle_edited" in actions.CHART_CHANGES  # the charts' cached marks are rebuilt


def test_the_progress_score_keeps_its_history(db, lead):
    project = actions.create_project(db, by=lead, title="T", aim="A", lead="L")
    actions.set_progress(db, by=lead, project_id=project.id, score=2.0)
    before = _written(db)
    actions.set_progress(db, by=lead, project_id=project.id, score=2.0)  # the same score: nothing
    assert _written(db) == before
    assert _history(db) == [("project", project.id, "progress_score", "0.5", "2", lead.id, NOON, "")]


def _audit(db, lead):
    audit = actions.create_audit(
        db,
        by=lead,
        title="Bone health",
        standard="NICE CG124",
        criteria=[("Bone health assessed", 90), ("Orthogeriatric review within 72 h", 85)],
    )
    first, second = (c.id for c in audit.criteria)
    actions.add_audit_cycle(
        db,
        by=lead,
        audit_id=audit.id,
        label="Audit",
        started_on=date(2024, 1, 1),
        ended_on=date(2024, 1, 31),
        sample="40 consecutive",
        results={first: Measured(40, 39)},  # 39 typed for 30; the second criterion not measured
    )
    return audit, first, second, audit.cycles[0]


def test_a_mistyped_audit_count_is_corrected_with_the_old_count_kept(db, lead):
    audit, first, second, cycle = _audit(db, lead)
    changed = actions.edit_audit_cycle(
        db,
        by=lead,
        cycle_id=cycle.id,
        label="Audit",
        started_on=date(2024, 1, 1),
        ended_on=date(2024, 1, 31),
        sample="40 consecutive",
        results={first: Measured(40, 30), second: Measured(40, 34)},
        reason="Typo: 30 met, not 39; review counts added",
    )
    assert changed == (f"met:{first}", f"eligible:{second}", f"met:{second}")
    why = "Typo: 30 met, not 39; review counts added"
    assert _history(db) == [
        ("audit_cycle", cycle.id, f"met:{first}", "39", "30", lead.id, NOON, why),
        ("audit_cycle", cycle.id, f"eligible:{second}", None, "40", lead.id, NOON, why),
        ("audit_cycle", cycle.id, f"met:{second}", None, "34", lead.id, NOON, why),
    ]
    # The event names the fields, never the counts.
    assert _last_event(db) == (
        "audit_cycle_edited",
        f"audit:{audit.id}",
        f"cycle {cycle.id}: met:{first}, eligible:{second}, met:{second}",
    )
    db.expire_all()
    stored = {r.criterion_id: (r.eligible, r.met) for r in db.scalars(select(CriterionResult))}
    assert stored == {first: (40, 30), second: (40, 34)}
    # Leaving a criterion out removes its result, the old counts kept.
    actions.edit_audit_cycle(
        db,
        by=lead,
        cycle_id=cycle.id,
        label="Audit",
        started_on=date(2024, 1, 1),
        ended_on=date(2024, 1, 31),
        sample="40 consecutive",
        results={first: Measured(40, 30)},
    )
    assert _history(db)[-2:] == [
        ("audit_cycle", cycle.id, f"eligible:{second}", "40", None, lead.id, NOON, ""),
        ("audit_cycle", cycle.id, f"met:{second}", "34", None, lead.id, NOON, ""),
    ]
    assert db.scalar(select(func.count()).select_from(CriterionResult)) == 1


def test_an_audit_cycle_edit_is_refused_whole(db, lead):
    other, *_ = _audit(db, lead)
    _, first, _second, cycle = _audit(db, lead)
    before = _written(db)
    refusals = {
        "not one of this audit's": (date(2024, 1, 1), {other.criteria[0].id: Measured(10, 5)}),
        "cannot end before it starts": (date(2024, 2, 1), {first: Measured(40, 30)}),
    }
    for reason, (started_on, results) in refusals.items():
        with pytest.raises(actions.ActionError, match=reason):
            actions.edit_audit_cycle(
                db,
                by=lead,
                cycle_id=cycle.id,
                label="Audit",
                started_on=started_on,
                ended_on=date(2024, 1, 31),
                sample="",
                results=results,
            )
        db.rollback()
    assert _written(db) == before
    assert db.get(CriterionResult, cycle.results[0].id).met == 39


def test_an_audit_edit_changes_a_criterion_by_its_id(db, lead):
    audit, first, second, _cycle = _audit(db, lead)
    changed = actions.edit_audit(
        db,
        by=lead,
        audit_id=audit.id,
        title="Bone health",
        standard="NICE CG124 (2023)",
        criteria={first: ("Bone health assessed", 95), second: ("Orthogeriatric review within 72 h", 85)},
    )
    assert changed == ("standard", f"target_percent:{first}")
    assert [row[2:5] for row in _history(db)] == [
        ("standard", "NICE CG124", "NICE CG124 (2023)"),
        (f"target_percent:{first}", "90", "95"),
    ]
    assert _last_event(db) == ("audit_edited", f"audit:{audit.id}", f"standard, target_percent:{first}")
    with pytest.raises(actions.ActionError, match="between 0 and 100"):
        actions.edit_audit(
            db, by=lead, audit_id=audit.id, title="B", standard="S", criteria={first: ("Assessed", 101)}
        )


def test_a_decision_edit_keeps_the_old_wording(db, lead):
    decision = actions.record_decision(
        db,
        by=lead,
        decided_on=date(2024, 5, 14),
        title="Add a Saturday trauma list",
        rationale="Breaches cluster after Friday admissions",
        decided_by="T&O governance",
        metric_id="hipfx_surgery_36h",
    )
    changed = actions.edit_decision(
        db,
        by=lead,
        decision_id=decision.id,
        decided_on=date(2024, 5, 15),
        title="Add a Saturday trauma list",
        rationale="Breaches cluster after Friday admissions",
        decided_by="T&O governance",
        evidence="Drill-down by weekday",
        metric_id=None,
        reason="Meeting was on the 15th",
    )
    assert changed == ("decided_on", "evidence", "metric_id")
    assert [row[2:5] for row in _history(db)] == [
        ("decided_on", "2024-05-14", "2024-05-15"),
        ("evidence", "", "Drill-down by weekday"),
        ("metric_id", "hipfx_surgery_36h", None),
    ]
    assert _last_event(db) == (
        "decision_edited",
        f"decision:{decision.id}",
        "decided_on, evidence, metric_id",
    )


def _one_of_each(db, lead) -> dict[str, tuple[int, str, str]]:
    """A record of every kind: kind → (id, the event's subject, the event's detail)."""
    project = actions.create_project(db, by=lead, title="T", aim="A", lead="L")
    cycle = actions.add_pdsa_cycle(db, by=lead, project_id=project.id, title="C", started_on=date(2024, 1, 1))
    audit, _first, _second, audit_cycle = _audit(db, lead)
    decision = actions.record_decision(
        db, by=lead, decided_on=date(2024, 1, 1), title="W", rationale="Y", decided_by="CD"
    )
    action = actions.add_audit_action(
        db, by=lead, cycle_id=audit_cycle.id, what="Teach", owner="CD", due_on=date(2024, 3, 1)
    )
    return {
        "audit_action": (action.id, f"audit:{audit.id}", f"action {action.id}"),
        "project": (project.id, f"project:{project.id}", ""),
        "pdsa_cycle": (cycle.id, f"project:{project.id}", f"pdsa cycle {cycle.id}"),
        "audit": (audit.id, f"audit:{audit.id}", ""),
        "audit_cycle": (audit_cycle.id, f"audit:{audit.id}", f"cycle {audit_cycle.id}"),
        "decision": (decision.id, f"decision:{decision.id}", ""),
    }


def test_each_kind_of_record_is_withdrawn_with_who_when_and_why_and_stays(db, lead):
    records = _one_of_each(db, lead)
    assert set(records) == set(actions.CORRECTABLE)
    for kind, (record_id, subject, detail) in records.items():
        before = _written(db)
        for blank in ("", "   "):
            with pytest.raises(actions.ActionError, match="say why the record is withdrawn"):
                actions.withdraw(db, by=lead, kind=kind, record_id=record_id, reason=blank)
        db.rollback()
        assert _written(db) == before, kind
        actions.withdraw(db, by=lead, kind=kind, record_id=record_id, reason=" Entered twice ")
        found = db.get(actions.CORRECTABLE[kind], record_id)
        assert found is not None, kind  # still there
        assert (found.withdrawn_at, found.withdrawn_by, found.withdrawn_reason) == (
            NOON,
            lead.id,
            "Entered twice",
        )
        assert _history(db)[-1] == (
            kind,
            record_id,
            "withdrawn",
            None,
            "withdrawn",
            lead.id,
            NOON,
            "Entered twice",
        )
        assert _last_event(db) == (f"{kind}_withdrawn", subject, detail)
        assert _written(db) == (before[0] + 1, before[1] + 1), kind
        with pytest.raises(actions.ActionError, match="withdrawn, so it stays as it was"):
            actions.withdraw(db, by=lead, kind=kind, record_id=record_id, reason="again")
        db.rollback()
    project_id = records["project"][0]
    with pytest.raises(actions.ActionError, match="withdrawn, so it stays as it was"):
        actions.edit_project(db, by=lead, project_id=project_id, title="New", aim="A", lead="L")
    with pytest.raises(actions.ActionError, match="one of project, pdsa_cycle"):
        actions.withdraw(db, by=lead, kind="user", record_id=lead.id, reason="no")


def test_the_history_is_read_per_record_oldest_first_with_who(db, lead):
    one = actions.create_project(db, by=lead, title="One", aim="A", lead="L")
    two = actions.create_project(db, by=lead, title="Two", aim="A", lead="L")
    actions.edit_project(db, by=lead, project_id=one.id, title="One!", aim="A", lead="L")
    actions.edit_project(db, by=lead, project_id=two.id, title="Two!", aim="A", lead="L")
    actions.edit_project(db, by=lead, project_id=one.id, title="One?", aim="A", lead="L")
    found = actions.history(db, "project", [one.id, two.id, 999])
    assert [(c.old_value, c.new_value, c.user.full_name) for c in found[one.id]] == [
        ("One", "One!", "A Lead"),
        ("One!", "One?", "A Lead"),
    ]
    assert [c.new_value for c in found[two.id]] == ["Two!"] and found[999] == []


def test_0003_keeps_the_records_made_before_it_as_not_withdrawn(database_url):
    upgrade(database_url, "0002")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO projects (title, aim, lead, progress_score, created_at) "
                "VALUES ('Older', 'Aim', 'Lead', 0.5, '2025-01-02 03:04:05')"
            )
        )
    upgrade(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT title, withdrawn_at, withdrawn_by FROM projects")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("Older", None, None)]
