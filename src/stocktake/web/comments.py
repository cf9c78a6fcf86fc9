"""The comments under a measure or a QI project (ADR 0028): one list and form for both, shown on
the measure's or project's page (fetched there by htmx when it loads) and as a page of its own
(the link when scripts are off, and where a refused comment comes back as typed)."""

from __future__ import annotations

from fastapi import HTTPException, Request

from stocktake.appdb import actions
from stocktake.appdb.models import Comment, User
from stocktake.web.pages import render


def comments_page(
    request: Request, user: User, db, *, kind: str, subject_id: str, name: str, path: str, **context
):
    """The comments on ``kind:subject_id``; ``path`` is the subject's page (the comments are at
    ``path``/comments). An htmx request gets the list and form alone, to put in the page."""
    fragment = bool(request.headers.get("HX-Request")) and "errors" not in context
    return render(
        request,
        "_comments.html" if fragment else "comments.html",
        user,
        title=f"Comments: {name}",
        name=name,
        back=path,
        action=f"{path}/comments",
        comments=actions.comments_on(db, kind, subject_id),
        **context,
    )


def their_comment(db, comment_id: int, kind: str, subject_id: str) -> Comment:
    """The comment, if it is on this subject (else 404: a comment is withdrawn from its own page)."""
    comment = db.get(Comment, comment_id)
    if comment is None or (comment.subject_kind, comment.subject_id) != (kind, str(subject_id)):
        raise HTTPException(404, f"no comment {comment_id} here")
    return comment
