"""Uploading an extract: validated and loaded into the warehouse all at once, or not at all.

The file is written to a private staging folder, checked row by row against the mapping and loaded
in one transaction; on any error the page lists every bad row (identifiers masked) and the warehouse
is unchanged. The staging copy is always deleted: raw patient data is not kept beside the app.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, User
from stocktake.ingest.load import IngestError, ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.pseudonymise import load_or_create_key
from stocktake.web.pages import render
from stocktake.web.security import database, editor

router = APIRouter()
SHOWN_ERRORS = 500


def _page(request, user, db, **context):
    mapping = load_mapping(request.app.state.settings.mapping)
    recent = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(("upload", "upload_failed")))
        .order_by(AuditEvent.id.desc())
        .limit(10)
    ).all()
    return render(
        request, "upload.html", user, title="Upload data", mapping=mapping, recent=recent, **context
    )


@router.get("/uploads")
def upload_page(request: Request, user: User = Depends(editor), db: Session = Depends(database)):
    return _page(request, user, db)


@router.post("/uploads")
def upload(
    request: Request,
    dataset: str = Form(""),
    extract: UploadFile = File(...),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    settings = request.app.state.settings
    mapping = load_mapping(settings.mapping)
    if dataset not in mapping.datasets:
        return _page(
            request,
            user,
            db,
            errors=[f"Dataset: choose one of {', '.join(mapping.datasets)}"],
            status_code=422,
        )
    expected = mapping.datasets[dataset].file
    suffix = Path(extract.filename or "").suffix.lower()
    if suffix != Path(expected).suffix.lower():
        kind = Path(expected).suffix
        message = f"{extract.filename}: the {dataset} extract is a {kind} file (the mapping names {expected})"
        return _page(request, user, db, errors=[message], status_code=422)
    staging = Path(tempfile.mkdtemp(prefix="upload-", dir=_staging_root(settings)))
    try:
        with (staging / expected).open("wb") as target:
            shutil.copyfileobj(extract.file, target)
        workspace = request.app.state.workspace
        with workspace.lock:
            loaded = ingest_directory(
                staging,
                mapping,
                settings.warehouse,
                load_or_create_key(settings.pseudonym_key),
                loaded_by=user.username,
                partial=True,
            )
    except IngestError as error:
        detail = f"{dataset}: {len(error.errors)} error(s)"
        actions.record_now(db, user=user, action="upload_failed", subject=f"dataset:{dataset}", detail=detail)
        return _page(
            request,
            user,
            db,
            status_code=422,
            failed=extract.filename,
            row_errors=error.errors[:SHOWN_ERRORS],
            error_count=len(error.errors),
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    rows = sum(f.rows for f in loaded)
    detail = f"{dataset}: {rows} rows" if loaded else f"{dataset}: unchanged"
    actions.record_now(db, user=user, action="upload", subject=f"dataset:{dataset}", detail=detail)
    message = (
        f"Loaded {rows:,} rows of {dataset} from {extract.filename}."
        if loaded
        else f"{extract.filename} is the extract already loaded for {dataset}: nothing changed."
    )
    return _page(request, user, db, message=message)


def _staging_root(settings) -> Path:
    root = settings.home / "staging"
    root.mkdir(parents=True, exist_ok=True)
    return root
