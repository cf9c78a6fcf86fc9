"""Audit action plans, decision documents and comments in the app database (ADR 0028): each write
checked as its action does, one audit event each, corrections with history, withdrawal not deletion."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import AuditEvent, Comment, DecisionDocument, RecordChange
from stocktake.qi.compliance import Measured

NOON = datetime(2026, 12, 3, 12, 0, 0)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def db(database_url, monkeypatch):
    upgrade(database_url)
    engine = make_engine(database_url)
    monkeypatch.setattr(actions.base, "_now", lambda: NOON)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def _last_event(db) -> tuple[str, str, str]:
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return event.action, event.subject, event.detail


def _events(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent))


def _cycle(db, lead):
    audit = actions.create_audit(db, by=lead, title="Bone health", standard="NICE", criteria=[("x", 90)])
    criterion = audit.criteria[0].id
    actions.add_audit_cycle(
        db,
        by=lead,
        audit_id=audit.id,
        label="Audit",
        started_on=date(2024, 1, 1),
        ended_on=date(2024, 1, 31),
        sample="all",
        results={criterion: Measured(40, 30)},
    )
    return audit, audit.cycles[0]


def test_an_action_is_added_edited_with_history_and_marked_overdue(db, lead):
    audit, cycle = _cycle(db, lead)
    action = actions.add_audit_action(
        db, by=lead, cycle_id=cycle.id, what=" Teach the 36 h rule ", owner="Dr Lee", due_on=date(2024, 3, 1)
    )
    assert (action.what, action.status, action.created_by) == ("Teach the 36 h rule", "open", lead.id)
    assert _last_event(db) == ("audit_action_added", f"audit:{audit.id}", f"action {action.id}")
    assert action.overdue(date(2024, 3, 2)) and not action.overdue(date(2024, 3, 1))
    changed = actions.edit_audit_action(
        db,
        by=lead,
        action_id=action.id,
        what="Teach the 36 h rule",
        owner="Dr Lee",
        due_on=date(2024, 3, 1),
        status="done",
        reason="Taught at the March meeting",
    )
    assert changed == ("status",)
    assert not action.overdue(date(2024, 3, 2))  # done: no longer overdue
    change = db.scalars(select(RecordChange).where(RecordChange.record_kind == "audit_action")).one()
    assert (change.field, change.old_value, change.new_value, change.reason) == (
        "status",
        "open",
        "done",
        "Taught at the March meeting",
    )
    assert _last_event(db) == ("audit_action_edited", f"audit:{audit.id}", f"action {action.id}: status")
    before = _events(db)
    same = dict(what="Teach the 36 h rule", owner="Dr Lee", due_on=date(2024, 3, 1), status="done")
    assert actions.edit_audit_action(db, by=lead, action_id=action.id, **same) == ()
    assert _events(db) == before  # nothing changed, nothing written
    actions.withdraw(db, by=lead, kind="audit_action", record_id=action.id, reason="Entered twice")
    assert _last_event(db) == ("audit_action_withdrawn", f"audit:{audit.id}", f"action {action.id}")
    with pytest.raises(actions.ActionError, match="withdrawn"):
        actions.edit_audit_action(db, by=lead, action_id=action.id, **same)


@pytest.mark.parametrize(
    ("what", "owner", "status", "refusal"),
    [
        ("", "Dr Lee", "open", "what and owner"),
        ("Teach", " ", "open", "what and owner"),
        ("Teach", "Dr Lee", "finished", "status: one of open, done, dropped"),
        ("x" * 2001, "Dr Lee", "open", "what: at most 2000"),
    ],
)
def test_an_action_is_refused_without_what_owner_or_a_known_status(db, lead, what, owner, status, refusal):
    _, cycle = _cycle(db, lead)
    before = _events(db)
    with pytest.raises(actions.ActionError, match=refusal):
        actions.add_audit_action(
            db, by=lead, cycle_id=cycle.id, what=what, owner=owner, due_on=date(2024, 3, 1), status=status
        )
    db.rollback()
    assert _events(db) == before


def test_a_withdrawn_cycle_takes_no_new_actions(db, lead):
    _, cycle = _cycle(db, lead)
    actions.withdraw(db, by=lead, kind="audit_cycle", record_id=cycle.id, reason="Wrong month")
    with pytest.raises(actions.ActionError, match="withdrawn, so it takes no new actions"):
        actions.add_audit_action(db, by=lead, cycle_id=cycle.id, what="T", owner="O", due_on=date(2024, 3, 1))


def _office(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("minutes.pdf", PDF, "pdf"),
        ("paper.docx", _office("word/document.xml"), "docx"),
        ("numbers.XLSX", _office("xl/workbook.xml"), "xlsx"),
        ("chart.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 20, "jpg"),
    ],
)
def test_a_document_is_kept_with_its_sniffed_kind_and_logged(db, lead, name, content, kind):
    decision = actions.record_decision(
        db, by=lead, decided_on=date(2024, 1, 1), title="T", rationale="R", decided_by="CD"
    )
    document = actions.attach_document(
        db, by=lead, decision_id=decision.id, filename=f"C:\\fakepath\\{name}", content=content
    )
    assert (document.filename, document.kind, document.size) == (name, kind, len(content))
    assert _last_event(db) == (
        "document_uploaded",
        f"decision:{decision.id}",
        f"document {document.id}: {kind}, {len(content)} bytes",
    )
    db.expire_all()
    assert db.get(DecisionDocument, document.id).content == content


@pytest.mark.parametrize(
    ("name", "content", "refusal"),
    [
        ("", PDF, "choose a file"),
        ("empty.pdf", b"", "the file is empty"),
        ("page.html", b"<html><script>alert(1)</script>", "not a PDF, Word"),
        ("macro.pdf", b"MZ\x90\x00", "not a PDF, Word"),
        ("renamed.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "a PNG file; its name should end .png"),
        ("zip.docx", _office("other.xml"), "not a PDF, Word"),
        ("big.pdf", PDF + b"\0" * actions.DOCUMENT_LIMIT, "at most 10 MB"),
    ],
)
def test_a_document_that_is_not_what_it_says_is_refused(db, lead, name, content, refusal):
    decision = actions.record_decision(
        db, by=lead, decided_on=date(2024, 1, 1), title="T", rationale="R", decided_by="CD"
    )
    before = _events(db)
    with pytest.raises(actions.ActionError, match=refusal):
        actions.attach_document(db, by=lead, decision_id=decision.id, filename=name, content=content)
    db.rollback()
    assert _events(db) == before
    assert db.scalar(select(func.count()).select_from(DecisionDocument)) == 0


def test_a_document_is_withdrawn_with_a_reason_and_stays(db, lead):
    decision = actions.record_decision(
        db, by=lead, decided_on=date(2024, 1, 1), title="T", rationale="R", decided_by="CD"
    )
    document = actions.attach_document(db, by=lead, decision_id=decision.id, filename="a.pdf", content=PDF)
    with pytest.raises(actions.ActionError, match="say why"):
        actions.withdraw_document(db, by=lead, decision_id=decision.id, document_id=document.id, reason=" ")
    with pytest.raises(actions.ActionError, match="no document"):
        actions.withdraw_document(
            db, by=lead, decision_id=decision.id + 1, document_id=document.id, reason="x"
        )
    actions.withdraw_document(
        db, by=lead, decision_id=decision.id, document_id=document.id, reason="Wrong paper"
    )
    kept = db.get(DecisionDocument, document.id)
    assert (kept.withdrawn_at, kept.withdrawn_by, kept.withdrawn_reason) == (NOON, lead.id, "Wrong paper")
    assert _last_event(db) == ("document_withdrawn", f"decision:{decision.id}", f"document {document.id}")
    actions.record_download(db, by=lead, document=kept)
    assert _last_event(db) == ("document_downloaded", f"decision:{decision.id}", f"document {document.id}")


def test_comments_are_written_read_and_withdrawn_by_their_author_or_an_admin(db, lead):
    other = actions.create_user(
        db,
        by=None,
        username="other",
        full_name="An Other",
        password="a long enough password, kettle",
        role="editor",
    )
    admin = actions.create_user(
        db,
        by=None,
        username="boss",
        full_name="A Boss",
        password="a long enough password, kettle",
        role="admin",
    )
    first = actions.add_comment(
        db, by=lead, subject_kind="metric", subject_id="m1", body=" Why the dip?\r\nAsk "
    )
    assert first.body == "Why the dip?\nAsk"
    assert _last_event(db) == ("comment_added", "metric:m1", f"comment {first.id}")
    second = actions.add_comment(db, by=other, subject_kind="metric", subject_id="m1", body="Rota gap")
    assert [c.id for c in actions.comments_on(db, "metric", "m1")] == [first.id, second.id]
    with pytest.raises(actions.ActionError, match="only its author or an admin"):
        actions.withdraw_comment(db, by=other, comment_id=first.id)
    actions.withdraw_comment(db, by=lead, comment_id=first.id)
    assert _last_event(db) == ("comment_withdrawn", "metric:m1", f"comment {first.id}")
    actions.withdraw_comment(db, by=admin, comment_id=second.id, reason="Names a patient")
    assert db.scalar(select(func.count()).select_from(Comment)) == 2  # kept
    with pytest.raises(actions.ActionError, match="already withdrawn"):
        actions.withdraw_comment(db, by=admin, comment_id=second.id)


@pytest.mark.parametrize(
    ("kind", "subject", "body", "refusal"),
    [
        ("metric", "m1", "  ", "write something"),
        ("metric", "m1", "x" * 5001, "at most 5000"),
        ("decision", "1", "Hello", "comment on: one of metric, project"),
        ("project", "999", "Hello", "no project 999"),
    ],
)
def test_a_comment_is_refused(db, lead, kind, subject, body, refusal):
    with pytest.raises(actions.ActionError, match=refusal):
        actions.add_comment(db, by=lead, subject_kind=kind, subject_id=subject, body=body)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Comment)) == 0
