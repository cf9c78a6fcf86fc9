"""Comments on a measure and on a QI project through the pages (ADR 0028): editors write, viewers
read, the author or an admin withdraws; escaped; CSRF-checked; each in the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from stocktake.appdb.models import AuditEvent, Comment

METRIC = "hipfx_surgery_36h"
ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _post(client, path: str, data: dict, token: str | None = None):
    return client.post(path, data={"csrf_token": token or client.csrf, **data}, follow_redirects=False)


def _last_event(app) -> tuple[str, str, str, int]:
    with app.state.sessions() as db:
        event = db.scalars(
            select(AuditEvent).where(AuditEvent.action != "request_refused").order_by(AuditEvent.id.desc())
        ).first()
        return event.action, event.subject, event.detail, event.user_id


def _comment_ids(app, kind: str, subject: str) -> list[int]:
    with app.state.sessions() as db:
        return list(
            db.scalars(
                select(Comment.id).where(Comment.subject_kind == kind, Comment.subject_id == subject)
            ).all()
        )


def test_an_editor_comments_on_a_measure_and_a_viewer_reads_it_escaped(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    page = viewer.get(f"/metrics/{METRIC}").text
    assert f'hx-get="/metrics/{METRIC}/comments"' in page  # fetched into the page
    assert f'href="/metrics/{METRIC}/comments"' in page  # and a link without scripts
    answer = _post(editor, f"/metrics/{METRIC}/comments", {"body": f"Dip in March?\n{ATTACK}"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/metrics/{METRIC}#comments-heading"
    comment = _comment_ids(app, "metric", METRIC)[-1]
    action, subject, detail, _ = _last_event(app)
    assert (action, subject, detail) == ("comment_added", f"metric:{METRIC}", f"comment {comment}")
    shown = viewer.get(f"/metrics/{METRIC}/comments", headers={"HX-Request": "true"}).text
    assert "<script>alert" not in shown and "<img src=x" not in shown
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in shown
    assert "A editor" in shown and "Dip in March?" in shown
    assert 'name="body"' not in shown  # a viewer reads, has no form
    assert "<html" not in shown  # the fragment alone
    assert "<html" in viewer.get(f"/metrics/{METRIC}/comments").text  # a page of its own


def test_a_viewer_cannot_comment_or_withdraw(app, clients):
    viewer, editor = clients["viewer"], clients["editor"]
    before = _comment_ids(app, "metric", METRIC)
    refused = _post(viewer, f"/metrics/{METRIC}/comments", {"body": "Mine"})
    assert refused.status_code == 403 and "Not allowed" in refused.text
    assert _comment_ids(app, "metric", METRIC) == before
    _post(editor, f"/metrics/{METRIC}/comments", {"body": "To withdraw"})
    comment = _comment_ids(app, "metric", METRIC)[-1]
    assert _post(viewer, f"/metrics/{METRIC}/comments/{comment}/withdraw", {}).status_code == 403


def test_a_comment_needs_the_csrf_token_and_a_known_subject(app, clients):
    editor = clients["editor"]
    before = _comment_ids(app, "metric", METRIC)
    assert _post(editor, f"/metrics/{METRIC}/comments", {"body": "x"}, token="forged").status_code == 403
    assert _comment_ids(app, "metric", METRIC) == before
    assert _post(editor, "/metrics/no_such_metric/comments", {"body": "x"}).status_code == 404
    assert _post(editor, "/projects/999999/comments", {"body": "x"}).status_code == 404


def test_an_empty_comment_is_refused_on_the_comments_page(clients):
    refused = _post(clients["editor"], f"/metrics/{METRIC}/comments", {"body": "   "})
    assert refused.status_code == 422
    assert "There is a problem" in refused.text and "write something first" in refused.text
    long = _post(clients["editor"], f"/metrics/{METRIC}/comments", {"body": "y" * 5001})
    assert long.status_code == 422 and "y" * 5001 in long.text  # the text comes back as typed


def test_only_the_author_or_an_admin_withdraws_a_comment(app, clients, sign_in_as):
    editor, admin = clients["editor"], clients["admin"]
    project = _post(editor, "/projects", {"title": "Faster to theatre", "aim": "80%", "lead": "Dr Lee"})
    path = project.headers["location"]
    project_id = path.rsplit("/", 1)[1]
    assert f'hx-get="{path}/comments"' in editor.get(path).text
    assert _post(admin, f"{path}/comments", {"body": "From the admin"}).status_code == 303
    assert _post(editor, f"{path}/comments", {"body": "From the editor"}).status_code == 303
    by_admin, by_editor = _comment_ids(app, "project", project_id)
    page = editor.get(f"{path}/comments").text
    assert f'action="{path}/comments/{by_editor}/withdraw"' in page
    assert f'action="{path}/comments/{by_admin}/withdraw"' not in page  # not the editor's
    refused = _post(editor, f"{path}/comments/{by_admin}/withdraw", {})
    assert refused.status_code == 422 and "only its author or an admin" in refused.text
    assert _post(editor, f"{path}/comments/{by_editor}/withdraw", {}).status_code == 303
    action, subject, detail, _ = _last_event(app)
    assert (action, subject, detail) == ("comment_withdrawn", f"project:{project_id}", f"comment {by_editor}")
    assert _post(admin, f"{path}/comments/{by_admin}/withdraw", {}).status_code == 303  # an admin may
    shown = editor.get(f"{path}/comments").text
    assert "From the editor" not in shown and "Comment withdrawn by A editor" in shown
    assert _comment_ids(app, "project", project_id) == [by_admin, by_editor]  # kept
    # a comment is withdrawn from its own subject's page only
    assert _post(admin, f"/metrics/{METRIC}/comments/{by_admin}/withdraw", {}).status_code == 404
    assert re.search(r"/projects/\d+", path)
