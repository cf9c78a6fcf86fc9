"""Documents attached to a decision: a PDF, Word or Excel file or an image, kept in the app database.

The file's kind is read from its first bytes (its "magic"), never from the browser's content type,
and must agree with its name's extension; anything else is refused. Uploads and downloads are in
the audit log; a document is withdrawn with a reason, never deleted (ADR 0028).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record, record_capped
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import Decision, DecisionDocument, User

MB = 1024 * 1024
#: The largest document kept (the web refuses a larger request body before reading it).
DOCUMENT_LIMIT = 10 * MB
#: Each kind: its media type, and the extensions its name may have.
DOCUMENT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "png": ("image/png", (".png",)),
    "jpg": ("image/jpeg", (".jpg", ".jpeg")),
}
FILENAME_LENGTH = 200
REASON_LENGTH = 2000


def sniff(content: bytes) -> str | None:
    """The document's kind from its first bytes (a Word or Excel file is a zip holding its main part),
    or None when it is none of the kinds kept."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
    return None


def clean_filename(name: str) -> str:
    """The name as shown and sent back: its last part only (no folders), no control characters,
    at most ``FILENAME_LENGTH`` characters keeping its extension."""
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        name = (
            stem[: FILENAME_LENGTH - len(extension) - 1] + dot + extension if dot else name[:FILENAME_LENGTH]
        )
    return name


def attach_document(
    session: Session, *, by: User, decision_id: int, filename: str, content: bytes
) -> DecisionDocument:
    """Keep a file with a decision, if it is one of the kinds kept and its name says what it is."""
    name = clean_filename(filename)
    if not name:
        raise ActionError("document: choose a file")
    if not content:
        raise ActionError(f"{name}: the file is empty")
    if len(content) > DOCUMENT_LIMIT:
        raise ActionError(f"{name}: at most {DOCUMENT_LIMIT // MB} MB, not {len(content) / MB:.1f} MB")
    kind = sniff(content)
    if kind is None:
        raise ActionError(f"{name}: not a PDF, Word (.docx), Excel (.xlsx), PNG or JPEG file")
    extensions = DOCUMENT_KINDS[kind][1]
    if not name.lower().endswith(extensions):
        raise ActionError(f"{name}: the file is a {kind.upper()} file; its name should end {extensions[0]}")
    with _transaction(session):
        decision = session.get(Decision, decision_id)
        if decision is None:
            raise ActionError(f"no decision {decision_id}")
        if decision.withdrawn:
            raise ActionError(f"decision {decision_id}: withdrawn, so it takes no new documents")
        document = DecisionDocument(
            decision_id=decision_id,
            filename=name,
            kind=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by=by.id,
            uploaded_at=base._now(),
        )
        session.add(document)
        session.flush()
        record(
            session,
            user=by,
            action="document_uploaded",
            subject=f"decision:{decision_id}",
            detail=f"document {document.id}: {kind}, {len(content)} bytes",
        )
    return document


def document_of(session: Session, decision_id: int, document_id: int) -> DecisionDocument:
    found = session.get(DecisionDocument, document_id)
    if found is None or found.decision_id != decision_id:
        raise ActionError(f"no document {document_id} on decision {decision_id}")
    return found


def record_download(session: Session, *, by: User, document: DecisionDocument) -> None:
    """A viewer fetched the document: in the audit log, as a view of patient-level data is, capped as
    every download a client can repeat at will is (the rest on the server's log)."""
    record_capped(
        session,
        user=by,
        action="document_downloaded",
        subject=f"decision:{document.decision_id}",
        detail=f"document {document.id}",
    )


def withdraw_document(
    session: Session, *, by: User, decision_id: int, document_id: int, reason: str
) -> DecisionDocument:
    """Take a document back: it stays (and can still be fetched), marked with who withdrew it, when
    and why, and leaves the decision's list unless withdrawn documents are asked for."""
    why = reason.strip()
    if not why:
        raise ActionError("reason: say why the document is withdrawn")
    if len(why) > REASON_LENGTH:
        raise ActionError(f"reason: at most {REASON_LENGTH} characters, not {len(why)}")
    with _transaction(session):
        document = document_of(session, decision_id, document_id)
        if document.withdrawn:
            raise ActionError(f"document {document_id}: already withdrawn")
        document.withdrawn_at, document.withdrawn_by, document.withdrawn_reason = base._now(), by.id, why
        record(
            session,
            user=by,
            action="document_withdrawn",
            subject=f"decision:{decision_id}",
            detail=f"document {document_id}",
        )
    return document
