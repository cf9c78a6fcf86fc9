"""Comments on a measure or a QI project: written by editors, read by everyone signed in, withdrawn
by their author or an admin (kept, never deleted); every one in the audit log (ADR 0028)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import Comment, Project, User

#: What a comment can be on: a measure (by metric id) or a QI project (by project id).
COMMENT_SUBJECTS = ("metric", "project")
COMMENT_LENGTH = 5000


def add_comment(session: Session, *, by: User, subject_kind: str, subject_id: str, body: str) -> Comment:
    """A comment on ``subject_kind:subject_id``; the caller checks that a metric is one of the
    department's (the catalogue is not in this database); a project must exist and not be withdrawn."""
    if subject_kind not in COMMENT_SUBJECTS:
        raise ActionError(f"comment on: one of {', '.join(COMMENT_SUBJECTS)}, not {subject_kind!r}")
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise ActionError("comment: write something first")
    if len(text) > COMMENT_LENGTH:
        raise ActionError(f"comment: at most {COMMENT_LENGTH} characters, not {len(text)}")
    with _transaction(session):
        if subject_kind == "project":
            project = session.get(Project, int(subject_id)) if str(subject_id).isdigit() else None
            if project is None:
                raise ActionError(f"no project {subject_id}")
            if project.withdrawn:
                raise ActionError(f"project {subject_id}: withdrawn, so it takes no new comments")
        comment = Comment(
            subject_kind=subject_kind,
            subject_id=str(subject_id),
            body=text,
            author_id=by.id,
            created_at=base._now(),
        )
        session.add(comment)
        session.flush()
        record(
            session,
            user=by,
            action="comment_added",
            subject=f"{subject_kind}:{subject_id}",
            detail=f"comment {comment.id}",
        )
    return comment


def withdraw_comment(session: Session, *, by: User, comment_id: int, reason: str = "") -> Comment:
    """Take a comment back: only its author or an admin may; it stays in the database, marked."""
    with _transaction(session):
        comment = session.get(Comment, comment_id)
        if comment is None:
            raise ActionError(f"no comment {comment_id}")
        if comment.author_id != by.id and by.role != "admin":
            raise ActionError("comment: only its author or an admin can withdraw it")
        if comment.withdrawn:
            raise ActionError(f"comment {comment_id}: already withdrawn")
        comment.withdrawn_at, comment.withdrawn_by = base._now(), by.id
        comment.withdrawn_reason = reason.strip()[:2000]
        record(
            session,
            user=by,
            action="comment_withdrawn",
            subject=f"{comment.subject_kind}:{comment.subject_id}",
            detail=f"comment {comment_id}",
        )
    return comment


def comments_on(session: Session, subject_kind: str, subject_id: str) -> list[Comment]:
    """A subject's comments, oldest first, with their authors (withdrawn ones too: the page marks them)."""
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.subject_kind == subject_kind, Comment.subject_id == str(subject_id))
            .options(selectinload(Comment.author), selectinload(Comment.withdrawer))
            .order_by(Comment.id)
        )
    )
