"""Uploading an extract: checked, previewed, confirmed, then loaded all at once; undone by an admin.

The file is written to a private staging folder and checked row by row against the mapping; on
any error the page lists every bad row (identifiers masked), the staging copy is deleted and the
warehouse is unchanged. A good file is not loaded yet: the page shows what it would do to each
month (rows added, changed, unchanged and removed), because a small file can replace whole months.
The staged copy waits, under a random token bound to the uploader, until they confirm or cancel
(or for an hour at most); it is deleted either way: raw patient data is not kept beside the app.
Every load keeps the rows it replaced, so an admin can undo it from the same page.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import threading
from functools import partial
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, User
from stocktake.ingest.load import (
    IngestError,
    LoadResult,
    UndoError,
    ingest_directory,
    recent_loads,
    undo_load,
)
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.pseudonymise import MissingKeyError, load_or_create_key, mask_nhs_numbers
from stocktake.metrics.site_names import unnamed_sites_in
from stocktake.metrics.unmatched import unmatched_in
from stocktake.warehouse import WarehouseError, problems
from stocktake.web.pages import change_then, render
from stocktake.web.refusals import record_refusal_now
from stocktake.web.security import admin, database, editor
from stocktake.web.staging import staged

router = APIRouter()
SHOWN_ERRORS = 500
#: How long a checked upload waits for its confirmation before its staged copy is deleted.
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
KINDS = {
    "months": "a full extract of the months it covers",
    "rows": "a correction: only the rows in the file",
}


def _page(request, user, db, **context):
    mapping = load_mapping(request.app.state.settings.mapping_in_use)
    recent = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(("upload", "upload_failed", "load_undone")))
        .order_by(AuditEvent.id.desc())
        .limit(10)
    ).all()
    try:
        with request.app.state.workspace.lock, problems(request.app.state.settings.warehouse):
            loads = recent_loads(request.app.state.settings.warehouse)
    except WarehouseError as error:
        loads, context["errors"] = [], [*context.get("errors", []), str(error)]
    return render(
        request,
        "upload.html",
        user,
        title="Upload data",
        mapping=mapping,
        recent=recent,
        loads=loads,
        kinds=KINDS,
        **context,
    )


@router.get("/uploads")
def upload_page(request: Request, user: User = Depends(editor), db: Session = Depends(database)):
    staged(request.app.state.settings)
    return _page(request, user, db)


@router.post("/uploads")
def upload(
    request: Request,
    dataset: str = Form(""),
    kind: str = Form("months"),
    extract: UploadFile = File(...),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Stage and check the file, and show what loading it would do; nothing is loaded yet."""
    settings = request.app.state.settings
    mapping = load_mapping(settings.mapping_in_use)
    filename = mask_nhs_numbers(extract.filename or "")  # shown on pages and kept: never a number
    refused = _refusal(mapping, dataset, kind, filename)
    if refused:
        return _page(request, user, db, errors=[refused], status_code=422)
    root = staged(settings)
    token = secrets.token_urlsafe(24)
    staging = root / token
    staging.mkdir(mode=0o700)
    try:
        with (staging / mapping.datasets[dataset].file).open("wb") as target:
            shutil.copyfileobj(extract.file, target)
        preview = _run(request, staging, kind, user, dry_run=True)
    except IngestError as error:
        shutil.rmtree(staging, ignore_errors=True)
        detail = f"{dataset}: {len(error.errors)} error(s)"
        actions.record_now(db, user=user, action="upload_failed", subject=f"dataset:{dataset}", detail=detail)
        return _page(
            request,
            user,
            db,
            status_code=422,
            failed=filename,
            row_errors=error.errors[:SHOWN_ERRORS],
            error_count=len(error.errors),
        )
    except (MissingKeyError, OSError, WarehouseError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        return _page(request, user, db, errors=[str(error)], status_code=422)
    if not preview.files:
        shutil.rmtree(staging, ignore_errors=True)
        message = f"{filename} is the extract already loaded for {dataset}: nothing changed."
        return _page(request, user, db, message=message)
    meta = {"user_id": user.id, "dataset": dataset, "kind": kind, "file": filename}
    (staging / "upload.json").write_text(json.dumps(meta | {"preview": _summary(preview)}))
    detail = f"{filename}: checked, staged for confirmation"
    actions.record_now(db, user=user, action="upload_checked", subject=f"dataset:{dataset}", detail=detail)
    return _preview_page(request, user, token, meta, preview)


@router.post("/uploads/{token}/confirm")
def confirm_upload(
    request: Request, token: str, user: User = Depends(editor), db: Session = Depends(database)
):
    """Load the staged file exactly as previewed; if the warehouse changed since, preview again.

    A refusal is shown as every write shows one (``change_then``: the page, the reason, 422), but the
    answer is not a redirect: it is the preview again (the warehouse changed since the check), or
    what the load did (rows added, changed and removed, and the load's number to undo it by), which
    a redirect would not carry.
    """
    staging, meta = _staged(request, token, user)
    if staging is None:
        return _gone(request, user, db)
    return change_then(
        lambda: _check_and_load(request, staging, meta, user),
        then=lambda checked: (
            _gone(request, user, db)
            if checked is None
            else _loaded(request, user, db, token, staging, meta, checked)
        ),
        page=partial(_page, request, user, db),
    )


def _check_and_load(
    request, staging: Path, meta: dict, user: User
) -> tuple[LoadResult, LoadResult | None] | None:
    """The staged file checked again, and loaded (the second result) only if the check still says
    what its uploader saw; refused when it cannot be read or loaded (its staged copy deleted); None
    when it is no longer waiting (a second click on Confirm, or Cancel, got there first)."""
    try:
        with request.app.state.workspace.lock:  # checked again and loaded with no other load between
            if not staging.is_dir():
                return None
            preview = _run(request, staging, meta["kind"], user, dry_run=True)
            if not preview.files or _summary(preview) != meta["preview"]:
                return preview, None
            return preview, _run(request, staging, meta["kind"], user, confirm_removals=True)
    except (IngestError, MissingKeyError, OSError, WarehouseError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise actions.ActionError(f"{meta['file']}: {error}") from None


def _loaded(request, user, db, token: str, staging: Path, meta: dict, checked):
    """The page after a confirmation: the preview again, "already loaded", or what was loaded."""
    preview, done = checked
    if done is None and preview.files:
        (staging / "upload.json").write_text(json.dumps(meta | {"preview": _summary(preview)}))
        note = "The warehouse changed since you checked this file: here is what it would do now."
        return _preview_page(request, user, token, meta, preview, message=note)
    shutil.rmtree(staging, ignore_errors=True)
    if done is None:  # someone loaded the same file meanwhile
        return _page(request, user, db, message=f"{meta['file']} is already loaded: nothing changed.")
    dataset = meta["dataset"]
    added, changed, removed = (done.total(dataset, what) for what in ("added", "changed", "removed"))
    rows = sum(f.rows for f in done.files)
    detail = (
        f"{dataset}: {rows} rows (load {done.load_id}: {added} added, {changed} changed, {removed} removed)"
    )
    actions.record_now(db, user=user, action="upload", subject=f"dataset:{dataset}", detail=detail)
    _rewarm(request)
    message = (
        f"Loaded {rows:,} rows of {dataset} from {meta['file']} as load {done.load_id}: "
        f"{added:,} added, {changed:,} changed, {removed:,} removed."
    )
    workspace = request.app.state.workspace
    for unmatched in unmatched_in(workspace.warehouse, workspace.catalogue):  # as `stocktake ingest` says
        message += f" Of the warehouse's rows, {unmatched.words()}."
    named = request.app.state.settings.sites
    for unnamed in unnamed_sites_in(workspace.warehouse, workspace.catalogue, named):
        message += f" {unnamed.words(named)}."
    return _page(request, user, db, message=message)


@router.post("/uploads/{token}/cancel")
def cancel_upload(
    request: Request, token: str, user: User = Depends(editor), db: Session = Depends(database)
):
    staging, meta = _staged(request, token, user)
    if staging is None:
        return _gone(request, user, db)
    shutil.rmtree(staging, ignore_errors=True)
    detail = f"{meta['file']}: its staged copy deleted"
    actions.record_now(
        db, user=user, action="upload_cancelled", subject=f"dataset:{meta['dataset']}", detail=detail
    )
    return RedirectResponse("/uploads", status_code=303)


@router.post("/uploads/loads/{load_id}/undo")
def undo(request: Request, load_id: int, user: User = Depends(admin), db: Session = Depends(database)):
    """Take a load back out (the rows it replaced come back); an admin's action, audit-logged.

    Refused as every write is (``change_then``); the answer is the page with what was taken out and
    put back, rather than a redirect, which would not carry it.
    """
    settings = request.app.state.settings

    def take_out() -> str:
        try:
            with request.app.state.workspace.lock, problems(settings.warehouse):
                undone = undo_load(settings.warehouse, load_id, undone_by=user.username)
        except (UndoError, WarehouseError) as error:
            raise actions.ActionError(str(error)) from None
        counts = "; ".join(f"{d}: {r} removed, {k} restored" for d, (r, k) in undone.datasets.items())
        actions.record_now(db, user=user, action="load_undone", subject=f"load:{load_id}", detail=counts)
        _rewarm(request)
        return counts

    return change_then(
        take_out,
        then=lambda counts: _page(request, user, db, message=f"Load {load_id} undone ({counts})."),
        page=partial(_page, request, user, db),
    )


def _rewarm(request) -> None:
    """The warehouse changed: compute the new series in the background, as at start-up, so the next
    overview and drill-downs do not wait for them."""
    # not a daemon: a process ending mid-warm (a test run, a server stopped) waits for it, as one
    # killed inside the warehouse's C++ aborts ("PyGILState_Release … finalizing")
    threading.Thread(target=request.app.state.warm).start()


def _refusal(mapping, dataset: str, kind: str, filename: str) -> str | None:
    """Why the form cannot be checked at all, in a sentence, or None."""
    if dataset not in mapping.datasets:
        return f"Dataset: choose one of {', '.join(mapping.datasets)}"
    if kind not in KINDS:
        return f"Kind of file: choose one of {', '.join(KINDS)}"
    expected = mapping.datasets[dataset].file
    if Path(filename).suffix.lower() != Path(expected).suffix.lower():
        kind_of_file = Path(expected).suffix
        return f"{filename}: the {dataset} extract is a {kind_of_file} file (the mapping names {expected})"
    return None


def _run(request, staging: Path, kind: str, user: User, **options) -> LoadResult:
    settings = request.app.state.settings
    with request.app.state.workspace.lock, problems(settings.warehouse):
        return ingest_directory(
            staging,
            load_mapping(settings.mapping_in_use),
            settings.warehouse,
            load_or_create_key(settings.pseudonym_key, settings.warehouse),
            loaded_by=user.username,
            partial=True,
            replace=kind,
            **options,
        )


def _summary(preview: LoadResult) -> list:
    """What a preview promised, comparable with a later one (JSON-safe)."""
    return [[c.dataset, c.month, c.added, c.changed, c.unchanged, c.removed] for c in preview.changes]


def _preview_page(request, user, token: str, meta: dict, preview: LoadResult, message: str | None = None):
    return render(
        request,
        "upload_preview.html",
        user,
        title="Check before loading",
        token=token,
        meta=meta,
        kind=KINDS[meta["kind"]],
        preview=preview,
        message=message,
    )


def _staged(request, token: str, user: User) -> tuple[Path | None, dict]:
    """The staged upload for ``token`` if it is this user's and not expired; another user's is
    answered as gone, and logged as a refused request (its patient data is its uploader's to load)."""
    root = staged(request.app.state.settings)
    staging = root / token
    if not TOKEN.fullmatch(token) or not (staging / "upload.json").is_file():
        return None, {}
    meta = json.loads((staging / "upload.json").read_text())
    if meta.get("user_id") != user.id:
        record_refusal_now(request, f"another user's staged upload ({meta.get('dataset')})", user)
        return None, {}
    return staging, meta


def _gone(request, user, db):
    message = "That upload is no longer waiting (confirmed, cancelled or over an hour old): upload it again."
    return _page(request, user, db, errors=[message], status_code=404)
