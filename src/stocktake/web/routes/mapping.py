"""The department's column mapping, reviewed in the workspace: an admin uploads sample extracts,
sees the suggested mapping as a form (field ↔ column, code ↔ value, with the evidence), corrects
it and saves it as the department's mapping, which every upload then reads.

Admins only, viewing included: the mapping decides what every measure means, and the form lists
the extracts' own codes. The samples are staged in the home's private area only while they are
read, and deleted at once; what the form needs between requests (the suggestion, the columns'
names and the values of code lists — never an identifier) waits under a random token bound to the
admin for an hour at most. Saving checks the answers with the mapping model (nothing is written if
any field is wrong), keeps the old file beside the new one, dated, and records one audit event.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from datetime import date
from functools import partial
from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from stocktake.appdb import actions
from stocktake.appdb.actions import ActionError
from stocktake.appdb.actions.mapping import backups
from stocktake.appdb.models import User
from stocktake.ingest.mapping import Mapping, MappingError, load_mapping
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.ingest.read import READERS
from stocktake.ingest.review import (
    DatasetAnswer,
    FieldAnswer,
    Review,
    ReviewError,
    field_rows,
    mapping_from,
    mapping_yaml,
    reached,
    review_from_json,
    review_of,
    review_to_json,
)
from stocktake.ingest.samples import sample_folder
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.suggest import readable_format, suggest_mapping
from stocktake.metrics.coverage import codes_used, coverage
from stocktake.web.pages import change_then, render
from stocktake.web.refusals import record_refusal_now
from stocktake.web.routes.forms import texts
from stocktake.web.security import admin, database
from stocktake.web.staging import staged

router = APIRouter(prefix="/admin/mapping")
#: How long a reviewed suggestion waits for its save before it is deleted.
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
REVIEW_FILE, META_FILE = "mapping-review.json", "mapping-review-meta.json"
#: The most sample files one upload may carry (one per dataset, with room for spares).
MOST_FILES = 20


# --- the page ---------------------------------------------------------------------------------------


def _current(settings) -> tuple[Mapping | None, bool, str | None]:
    """The mapping uploads read now, whether it is the department's own (not the demo's), and why
    it cannot be read, if it cannot."""
    path = settings.mapping_in_use
    own = path == settings.department_mapping
    try:
        return load_mapping(path), own, None
    except MappingError as error:
        return None, own, mask_nhs_numbers(str(error))


def _page(request, user, **context):
    settings = request.app.state.settings
    mapping, own, problem = _current(settings)
    covered = coverage(mapping, request.app.state.workspace.catalogue) if mapping else None
    return render(
        request,
        "mapping.html",
        user,
        title="Column mapping",
        mapping=mapping,
        own=own,
        problem=problem,
        covered=covered,
        path=settings.department_mapping,
        backups=[p.name for p in backups(settings.department_mapping)][:10],
        readers=", ".join(READERS),
        **context,
    )


@router.get("")
def mapping_page(request: Request, user: User = Depends(admin)):
    staged(request.app.state.settings)
    return _page(request, user)


# --- uploading samples: the suggestion as a form -----------------------------------------------------


@router.post("")
def suggest(
    request: Request,
    extracts: list[UploadFile] = File(...),
    user: User = Depends(admin),
):
    """Read a sample of each file, suggest the mapping, and show it as a form; the files are deleted
    as soon as they are read."""
    settings = request.app.state.settings
    names = [mask_nhs_numbers(Path(f.filename or "").name) for f in extracts]
    refused = _refusal(names)
    if refused:
        return _page(request, user, errors=[refused], status_code=422)
    root = staged(settings)
    token = secrets.token_urlsafe(24)
    staging = root / token
    staging.mkdir(mode=0o700)
    try:
        for upload, name in zip(extracts, names, strict=True):
            with (staging / name).open("wb") as target:
                shutil.copyfileobj(upload.file, target)
        found = sample_folder(staging)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        return _page(
            request, user, errors=[f"the samples could not be staged ({error.strerror})"], status_code=422
        )
    finally:
        for name in names:  # the extracts themselves are never kept
            (staging / name).unlink(missing_ok=True)
    unreadable = [mask_nhs_numbers(line) for line in found.unreadable]
    if not found.samples:
        shutil.rmtree(staging, ignore_errors=True)
        return _page(
            request, user, errors=[*unreadable, "no readable extract among the files"], status_code=422
        )
    catalogue_codes = codes_used(request.app.state.workspace.catalogue)
    source = f"{', '.join(names)} (suggested on the mapping page, reviewed by {user.username})"
    suggestion = suggest_mapping(found.samples, catalogue_codes, source=source)
    review = review_of(found.samples, suggestion, catalogue_codes)
    if not review.datasets:
        shutil.rmtree(staging, ignore_errors=True)
        lines = [f"{label}: looks like none of the canonical datasets" for label in suggestion.unmatched]
        return _page(request, user, errors=[*unreadable, *lines], status_code=422)
    (staging / REVIEW_FILE).write_bytes(review_to_json(review))
    meta = {"user_id": user.id, "unreadable": unreadable}
    (staging / META_FILE).write_text(json.dumps(meta))
    return _review_page(request, user, token, review, None, unreadable=unreadable)


def _refusal(names: list[str]) -> str | None:
    """Why the files cannot be read at all, in a sentence, or None."""
    if not names or not any(names):
        return "Sample extracts: choose one or more files"
    if len(names) > MOST_FILES:
        return f"Sample extracts: at most {MOST_FILES} files at a time, not {len(names)}"
    for name in names:
        if not name or name.startswith(".") or Path(name).suffix.lower() not in READERS:
            return f"{name or 'a file'}: a sample extract is a {', '.join(READERS)} file"
    if len(set(names)) < len(names):
        return "Sample extracts: two files have the same name"
    return None


# --- reviewing, checking and saving ------------------------------------------------------------------


@router.post("/{token}")
async def review_form(
    request: Request, token: str, user: User = Depends(admin), db: Session = Depends(database)
):
    """``action=check``: the form again with the coverage of what was chosen (no write); ``action=save``:
    the answers checked by the mapping model, and saved as the department's mapping if right. The save
    is refused as every write is (``change_then``: the form again, the reason, 422) and answered with
    the mapping page saying what was saved and where the old file is kept, which a redirect would not
    carry."""
    try:
        form = texts(await request.form())
    except ActionError as error:
        return await run_in_threadpool(_page, request, user, errors=[str(error)], status_code=422)
    return await run_in_threadpool(_review_or_save, request, token, form, user, db)


def _review_or_save(request, token: str, form: dict[str, str], user: User, db: Session):
    settings = request.app.state.settings
    staging, review, meta = _staged(request, token, user)
    if review is None:
        message = (
            "That suggestion is no longer waiting (saved, or over an hour old): upload the samples again."
        )
        return _page(request, user, errors=[message], status_code=404)
    answers = _answers(form, review)
    source = form.get("source", "")
    if form.get("action") != "save":
        return _review_page(request, user, token, review, answers, source=source, **meta)
    mapping, own, _problem = _current(settings)
    keep = mapping if own else None
    form_again = partial(_review_page, request, user, token, review, answers, source=source, **meta)
    try:
        saved = mapping_from(review, answers, source, keep)
    except ReviewError as error:  # the answers checked before any write: every wrong field listed
        return form_again(errors=list(error.problems), status_code=422)
    path = settings.department_mapping
    header = (
        f"The department's column mapping, saved on the web workspace's mapping page by {user.username} "
        f"on {date.today():%d %b %Y}.\n"
        f"Each earlier version is kept beside it as {path.name}.<date and time>.bak."
    )

    def save() -> Path | None:
        try:
            return actions.save_mapping(db, by=user, path=path, text=mapping_yaml(saved, header))
        except OSError as error:
            raise ActionError(str(error)) from None

    def saved_page(backup: Path | None):
        """The mapping page saying what was saved (a redirect would not carry it)."""
        shutil.rmtree(staging, ignore_errors=True)
        kept = f" The previous mapping is kept as {backup.name}." if backup else ""
        message = (
            f"Saved the column mapping ({', '.join(saved.datasets)}) as {path.name}: "
            f"uploads use it from now on.{kept}"
        )
        return _page(request, user, message=message)

    return change_then(save, then=saved_page, page=form_again)


def _answers(form: dict[str, str], review: Review) -> dict[str, DatasetAnswer]:
    """The form's fields, named ``dataset.field.column``, ``.format``, ``.shown_for`` and, per code
    ``i``, ``.code{i}`` (the code) and ``.value{i}`` (its value)."""
    answers = {}
    for found in review.datasets:
        fields = []
        for column in DATASETS[found.name].columns:
            key = f"{found.name}.{column.name}"
            codes, i = [], 0
            while f"{key}.code{i}" in form:
                codes.append((form[f"{key}.code{i}"], form.get(f"{key}.value{i}", "")))
                i += 1
            fields.append(
                (
                    column.name,
                    FieldAnswer(
                        column=form.get(f"{key}.column", ""),
                        format=form.get(f"{key}.format", ""),
                        codes=tuple(codes),
                        shown_for=form.get(f"{key}.shown_for", ""),
                    ),
                )
            )
        answers[found.name] = DatasetAnswer(form.get(f"{found.name}.include") == "yes", tuple(fields))
    return answers


def _review_page(request, user, token: str, review: Review, answers, *, status_code: int = 200, **context):
    settings = request.app.state.settings
    mapping, own, problem = _current(settings)
    keep = mapping if own else None
    rows = field_rows(review, answers)
    reviewed = {r.dataset for r in rows if r.include}
    covered = coverage(reached(review, answers, keep), request.app.state.workspace.catalogue)
    context.setdefault("source", keep.source if keep else review.source)
    return render(
        request,
        "mapping_review.html",
        user,
        status_code=status_code,
        title="Review the column mapping",
        token=token,
        rows=rows,
        review=review,
        covered=covered,
        kept=[name for name in (keep.datasets if keep else {}) if name not in reviewed],
        own=own,
        problem=problem,
        readable_format=readable_format,
        **context,
    )


# --- the staged review ---------------------------------------------------------------------------------


def _staged(request, token: str, user: User) -> tuple[Path, Review | None, dict]:
    """The review waiting under ``token`` if it is this admin's and not expired; another admin's is
    answered as gone, and logged as a refused request."""
    root = staged(request.app.state.settings)
    staging = root / token
    if not TOKEN.fullmatch(token) or not (staging / REVIEW_FILE).is_file():
        return staging, None, {}
    meta = json.loads((staging / META_FILE).read_text())
    if meta.get("user_id") != user.id:
        record_refusal_now(request, "another admin's mapping review", user)
        return staging, None, {}
    return staging, review_from_json((staging / REVIEW_FILE).read_bytes()), {"unreadable": meta["unreadable"]}
