"""Documents attached to a decision through the pages (ADR 0028): an editor uploads, a viewer lists
and downloads (as an attachment, never sniffed), the kind is read from the bytes not the browser,
the size is capped before the body is read, and upload, download and withdrawal are in the log."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, DecisionDocument

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"


def _decision(editor) -> str:
    answer = editor.post(
        "/decisions",
        data={
            "csrf_token": editor.csrf,
            "decided_on": "2026-12-01",
            "title": "Move the trauma list to 8 am",
            "rationale": "Theatre starts late",
            "decided_by": "Clinical director",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = editor.get("/decisions").text
    return re.findall(r'href="(/decisions/\d+)"', page)[0]


def _upload(client, path: str, name: str, content: bytes, content_type: str = "application/pdf", token=None):
    return client.post(
        f"{path}/documents",
        data={"csrf_token": token or client.csrf},
        files={"document": (name, content, content_type)},
        follow_redirects=False,
    )


def _last_event(app) -> tuple[str, str, str]:
    with app.state.sessions() as db:
        event = db.scalars(
            select(AuditEvent).where(AuditEvent.action != "request_refused").order_by(AuditEvent.id.desc())
        ).first()
        return event.action, event.subject, event.detail


def _count(app) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count()).select_from(DecisionDocument))


def test_an_editor_attaches_a_document_and_a_viewer_downloads_it_as_an_attachment(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    path = _decision(editor)
    decision_id = path.rsplit("/", 1)[1]
    assert f'hx-get="{path}/documents"' in viewer.get(path).text
    answer = _upload(editor, path, "Minutes «Dec».pdf", PDF, content_type="text/html")  # the browser's word
    assert answer.status_code == 303 and answer.headers["location"] == f"{path}#documents-heading"
    action, subject, detail = _last_event(app)
    assert (action, subject) == ("document_uploaded", f"decision:{decision_id}")
    document = re.match(r"document (\d+): pdf, \d+ bytes", detail)[1]
    listed = viewer.get(f"{path}/documents", headers={"HX-Request": "true"}).text
    assert f'href="{path}/documents/{document}"' in listed and "Minutes «Dec».pdf" in listed
    assert 'type="file"' not in listed  # a viewer has no upload form
    fetched = viewer.get(f"{path}/documents/{document}")
    assert fetched.status_code == 200 and fetched.content == PDF
    assert fetched.headers["content-type"] == "application/pdf"  # sniffed, not the browser's text/html
    assert fetched.headers["x-content-type-options"] == "nosniff"
    assert fetched.headers["content-disposition"] == (
        "attachment; filename=\"Minutes _Dec_.pdf\"; filename*=UTF-8''Minutes%20%C2%ABDec%C2%BB.pdf"
    )
    assert _last_event(app) == ("document_downloaded", f"decision:{decision_id}", f"document {document}")


def test_a_file_that_is_not_what_it_says_is_refused_on_the_documents_page(app, clients):
    editor = clients["editor"]
    path = _decision(editor)
    before = _count(app)
    for name, content, refusal in [
        ("page.html", b"<html><script>alert(1)</script></html>", "not a PDF, Word"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "not a PDF, Word"),
        ("chart.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 10, "its name should end .png"),
    ]:
        refused = _upload(editor, path, name, content)
        assert refused.status_code == 422, name
        assert "There is a problem" in refused.text and refusal in refused.text
    assert "<script>alert(1)" not in refused.text
    assert _count(app) == before


def test_a_viewer_cannot_upload_or_withdraw_and_the_csrf_token_is_needed(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    path = _decision(editor)
    before = _count(app)
    refused = _upload(viewer, path, "a.pdf", PDF)
    assert refused.status_code == 403 and "Not allowed" in refused.text
    assert _upload(editor, path, "a.pdf", PDF, token="forged").status_code == 403
    assert _count(app) == before
    assert _upload(editor, path, "a.pdf", PDF).status_code == 303
    document = re.findall(rf'href="{path}/documents/(\d+)"', editor.get(f"{path}/documents").text)[-1]
    withdraw = f"{path}/documents/{document}/withdraw"
    assert viewer.post(withdraw, data={"csrf_token": viewer.csrf, "reason": "x"}).status_code == 403


def test_a_document_over_the_limit_is_refused_before_it_is_read(app, clients):
    editor = clients["editor"]
    path = _decision(editor)
    before = _count(app)
    big = PDF + b"\0" * (actions.DOCUMENT_LIMIT + 2 * 1024 * 1024)
    refused = _upload(editor, path, "big.pdf", big)
    assert refused.status_code == 413
    assert _count(app) == before
    just_over = PDF + b"\0" * actions.DOCUMENT_LIMIT  # within the request's cap, over the document's
    refused = _upload(editor, path, "big.pdf", just_over)
    assert refused.status_code == 422 and "at most 10 MB" in refused.text


def test_a_withdrawn_document_needs_a_reason_and_stays(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    path = _decision(editor)
    assert _upload(editor, path, "old paper.pdf", PDF).status_code == 303
    document = re.findall(rf'href="{path}/documents/(\d+)"', editor.get(f"{path}/documents").text)[-1]
    withdraw = f"{path}/documents/{document}/withdraw"
    refused = editor.post(withdraw, data={"csrf_token": editor.csrf, "reason": " "}, follow_redirects=False)
    assert refused.status_code == 422 and "say why the document is withdrawn" in refused.text
    answer = editor.post(
        withdraw, data={"csrf_token": editor.csrf, "reason": "Superseded"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert _last_event(app)[0] == "document_withdrawn"
    listed = viewer.get(f"{path}/documents").text
    assert "Withdrawn documents (1)" in listed and "Superseded" in listed
    assert viewer.get(f"{path}/documents/{document}").content == PDF  # kept
    assert viewer.get(f"/decisions/999999/documents/{document}").status_code == 404
