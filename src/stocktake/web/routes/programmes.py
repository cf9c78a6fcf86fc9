"""Leadership programmes (ADR 0031): programmes, cohorts, participants, sessions and attendance, the
evaluation by Kirkpatrick level, and the programme report.

Editors (programme leads and faculty) change things; viewers read. A viewer whose account is linked
to a participant sees their own record only: the check is made on every request from the database
(``programme_view.participant_of``), never remembered in the session.

An import of participants or attendance is staged (``web.staging``, under a random token bound to its
uploader) and previewed — sessions it would create, marks added and changed, people it would make
absent, completion before and after — and written only when the lead confirms, after checking that
the preview still holds (ADR 0031's addendum, as ADR 0011 does for extracts).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
from functools import partial
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.actions.documents import clean_filename
from stocktake.appdb.actions.programmes import ATTENDANCE
from stocktake.appdb.models import (
    EVALUATION_LEVELS,
    Attendance,
    Participant,
    Programme,
    ProgrammeCohort,
    ProgrammeEvaluation,
    ProgrammeFile,
    ProgrammeSession,
    Project,
    RecordChange,
    User,
)
from stocktake.files.programme import ProgrammeFileError
from stocktake.files.programme_register import read_attendance_sheet, without_withdrawn
from stocktake.files.programme_roster import read_participants
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.report.programme_board import MEDIA, programme_report
from stocktake.web.pages import change_then, change_then_redirect, render
from stocktake.web.programme_view import (
    cohort_view,
    evaluate_stored,
    participant_of,
    sees_everyone,
    withdrawn_codes,
    workspace_verdicts,
)
from stocktake.web.refusals import record_refusal_now
from stocktake.web.routes.decisions import content_disposition
from stocktake.web.routes.forms import a_date, a_number, texts
from stocktake.web.routes.reports import BUSY_DETAIL, busy_for_a_script, wants_a_page
from stocktake.web.security import database, editor, viewer
from stocktake.web.staging import staged

router = APIRouter(prefix="/programmes")


def _visible_ids(db: Session, user: User, programme_id: int | None = None) -> set[int] | None:
    """The participant ids this user may see (None: all of them)."""
    if sees_everyone(user, db):
        return None
    return {p.id for p in participant_of(db, user, programme_id)}


@router.get("")
def programmes_page(request: Request, user: User = Depends(viewer), db: Session = Depends(database)):
    return _list(request, user, db)


def _list(request, user, db, **context):
    programmes = db.scalars(select(Programme).order_by(Programme.created_at.desc())).all()
    if not sees_everyone(user, db):
        mine = {p.cohort.programme_id for p in participant_of(db, user)}
        programmes = [p for p in programmes if p.id in mine]
    return render(request, "programmes.html", user, title="Programmes", programmes=programmes, **context)


@router.post("")
def create_programme(
    request: Request,
    name: str = Form(""),
    description: str = Form(""),
    completion_percent: str = Form("80"),
    modules: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    def change():
        share = a_number("Completion (% of sessions)", completion_percent) / 100
        return actions.create_programme(
            db,
            by=user,
            name=name,
            description=description,
            completion_share=share,
            modules=modules.splitlines(),
        )

    return change_then_redirect(
        change, to=lambda p: f"/programmes/{p.id}", page=partial(_list, request, user, db)
    )


def _programme(db: Session, user: User, programme_id: int) -> tuple[Programme, set[int] | None]:
    programme = db.get(Programme, programme_id)
    only = _visible_ids(db, user, programme_id)
    if programme is None or (only is not None and not only):  # not theirs: as if it were not there
        if programme is not None:
            _refused_participant(db, user, f"programme:{programme_id}")
        raise HTTPException(404, f"no programme {programme_id}")
    return programme, only


def _refused_participant(db: Session, user: User, subject: str) -> None:
    """A participant reaching a programme or cohort not theirs: answered as not there, and kept as
    every refusal is (a security review found these alone unlogged)."""
    actions.record_refusal(
        db, user=user, subject=subject, detail="a participant's account: not their programme"
    )


def _programme_page(request, user, db, programme_id: int, **context):
    programme, only = _programme(db, user, programme_id)
    cohorts = [c for c in programme.cohorts if only is None or any(p.id in only for p in c.participants)]
    verdicts = workspace_verdicts(request.app.state.workspace, db)
    views = [cohort_view(db, programme, c, verdicts, only) for c in cohorts]
    files = db.scalars(
        select(ProgrammeFile).where(ProgrammeFile.programme_id == programme_id).order_by(ProgrammeFile.id)
    ).all()
    return render(
        request,
        "programme.html",
        user,
        title=programme.name,
        programme=programme,
        views=views,
        results=[r for v in views for r in v.results],
        files=files if only is None else [],
        participant_only=only is not None,
        **context,
    )


@router.get("/{programme_id}")
def programme_page(
    request: Request, programme_id: int, user: User = Depends(viewer), db: Session = Depends(database)
):
    return _programme_page(request, user, db, programme_id)


def _change(request, user, db, programme_id: int, change, anchor: str = ""):
    page = partial(_programme_page, request, user, db, programme_id)
    return change_then_redirect(change, to=f"/programmes/{programme_id}{anchor}", page=page)


@router.post("/{programme_id}/completion")
def set_completion(
    request: Request,
    programme_id: int,
    completion_percent: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _change(
        request,
        user,
        db,
        programme_id,
        lambda: actions.set_completion_rule(
            db,
            by=user,
            programme_id=programme_id,
            completion_share=a_number("Completion (% of sessions)", completion_percent) / 100,
        ),
    )


@router.post("/{programme_id}/modules")
def add_module(
    request: Request,
    programme_id: int,
    name: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _change(
        request,
        user,
        db,
        programme_id,
        lambda: actions.add_module(db, by=user, programme_id=programme_id, name=name),
    )


@router.post("/{programme_id}/cohorts")
def add_cohort(
    request: Request,
    programme_id: int,
    name: str = Form(""),
    starts_on: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.add_cohort(
            db,
            by=user,
            programme_id=programme_id,
            name=name,
            starts_on=a_date("Starts on", starts_on, optional=True),
        ),
        to=lambda cohort: f"/programmes/{programme_id}/cohorts/{cohort.id}",
        page=partial(_programme_page, request, user, db, programme_id),
    )


def _read_upload(upload: UploadFile | None, what: str) -> tuple[str, bytes]:
    if upload is None or not upload.filename:
        raise actions.ActionError(f"{what}: choose a file")
    content = upload.file.read(actions.PROGRAMME_FILE_LIMIT + 1)
    if len(content) > actions.PROGRAMME_FILE_LIMIT:
        raise actions.ActionError(
            f"{upload.filename}: larger than {actions.PROGRAMME_FILE_LIMIT // (1024 * 1024)} MB"
        )
    # no control characters, as a decision's documents keep none (an outside recheck: "\x1b" kept)
    return mask_nhs_numbers(clean_filename(upload.filename)), content


@router.post("/{programme_id}/files")
def upload_file(
    request: Request,
    programme_id: int,
    kind: str = Form("survey"),
    upload: UploadFile | None = File(None),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    def change():
        filename, content = _read_upload(upload, "file")
        return actions.add_programme_file(
            db, by=user, programme_id=programme_id, kind=kind, filename=filename, content=content
        )

    return _change(request, user, db, programme_id, change, "#files-heading")


PROGRAMME_BUSY = "Other reports are being built for download just now; ask again in half a minute."


@router.get("/{programme_id}/report.{fmt}")
def programme_report_download(
    request: Request,
    programme_id: int,
    fmt: str,
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    if fmt not in MEDIA:
        raise HTTPException(404, f"no report as {fmt!r}: html, xlsx or pdf")
    programme, only = _programme(db, user, programme_id)
    if only is not None:  # a participant: refused, and the refusal kept as every other one is
        why = "The programme report is the programme's: your own record is on the programme's page."
        where = f"{request.method} {request.url.path}"[:200]
        actions.record_refusal(db, user=user, subject=where, detail=why)
        raise HTTPException(403, why)
    turns = request.app.state.download_turns  # 12 s each: built in turn with the board's (an outside check)
    db.commit()  # no pooled connection held while waiting a turn
    if not turns.take():
        actions.record_refusal(db, user=user, subject=f"programme:{programme_id}:{fmt}", detail=BUSY_DETAIL)
        if not wants_a_page(request):
            return busy_for_a_script(PROGRAMME_BUSY)
        raise HTTPException(429, PROGRAMME_BUSY, headers={"Retry-After": "30"})
    try:
        verdicts = workspace_verdicts(request.app.state.workspace, db)
        views = [cohort_view(db, programme, c, verdicts, None) for c in programme.cohorts]
        content = programme_report(programme, views, fmt)
    finally:
        turns.give_back()
    actions.record_capped(
        db, user=user, action="programme_report_downloaded", subject=f"programme:{programme_id}", detail=fmt
    )
    filename = f"programme-{programme_id}.{fmt}"
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff"},
    )


# --- a cohort ---------------------------------------------------------------------------------------


def _cohort(db: Session, user: User, programme_id: int, cohort_id: int):
    programme, only = _programme(db, user, programme_id)
    cohort = db.get(ProgrammeCohort, cohort_id)
    if cohort is None or cohort.programme_id != programme_id:
        raise HTTPException(404, f"no cohort {cohort_id} in programme {programme_id}")
    if only is not None and not any(p.id in only for p in cohort.participants):
        _refused_participant(db, user, f"cohort:{cohort_id}")
        raise HTTPException(404, f"no cohort {cohort_id} in programme {programme_id}")
    return programme, cohort, only


def _cohort_page(request, user, db, programme_id: int, cohort_id: int, **context):
    programme, cohort, only = _cohort(db, user, programme_id, cohort_id)
    verdicts = workspace_verdicts(request.app.state.workspace, db)
    view = cohort_view(db, programme, cohort, verdicts, only)
    files = db.scalars(
        select(ProgrammeFile).where(ProgrammeFile.programme_id == programme_id).order_by(ProgrammeFile.id)
    ).all()
    projects = db.scalars(select(Project).where(Project.withdrawn_at.is_(None)).order_by(Project.title)).all()
    marks, mark_history = _marks_and_history(db, cohort)
    withdrawn_evaluations = db.scalars(
        select(ProgrammeEvaluation)
        .where(ProgrammeEvaluation.cohort_id == cohort_id, ProgrammeEvaluation.withdrawn_at.is_not(None))
        .order_by(ProgrammeEvaluation.id)
    ).all()
    return render(
        request,
        "programme_cohort.html",
        user,
        title=f"{programme.name}: {cohort.name}",
        programme=programme,
        cohort=cohort,
        view=view,
        names={p.id: p for p in cohort.participants},
        surveys=[f for f in files if f.kind == "survey"],
        scales=[f for f in files if f.kind == "scale"],
        domain_files=[f for f in files if f.kind == "domains"],
        projects=projects,
        levels=EVALUATION_LEVELS,
        participant_only=only is not None,
        marks=marks,
        mark_history=mark_history if only is None else {},  # a participant sees no one else's marks
        mark_labels={f"attended:{p.id}": p.name for p in cohort.participants},
        withdrawn_participants=[p for p in cohort.participants if p.withdrawn] if only is None else [],
        withdrawn_evaluations=withdrawn_evaluations if only is None else [],
        **context,
    )


def _marks_and_history(db: Session, cohort: ProgrammeCohort):
    """Each session's marks (participant id → attended), and the changes made to them, oldest first."""
    ids = [s.id for s in cohort.sessions]
    marks: dict[int, dict[int, bool]] = {i: {} for i in ids}
    session_of = {}
    if ids:
        for mark in db.scalars(select(Attendance).where(Attendance.session_id.in_(ids))):
            marks[mark.session_id][mark.participant_id] = mark.attended
            session_of[mark.id] = mark.session_id
    changes = actions.history(db, ATTENDANCE, session_of)
    history: dict[int, list[RecordChange]] = {i: [] for i in ids}
    for mark_id, found in changes.items():
        history[session_of[mark_id]].extend(found)
    for found in history.values():
        found.sort(key=lambda c: c.id)
    return marks, history


@router.get("/{programme_id}/cohorts/{cohort_id}")
def cohort_page(
    request: Request,
    programme_id: int,
    cohort_id: int,
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    return _cohort_page(request, user, db, programme_id, cohort_id)


def _cohort_change(request, user, db, programme_id: int, cohort_id: int, change, anchor: str = ""):
    _cohort(db, user, programme_id, cohort_id)
    page = partial(_cohort_page, request, user, db, programme_id, cohort_id)
    return change_then_redirect(
        change, to=f"/programmes/{programme_id}/cohorts/{cohort_id}{anchor}", page=page
    )


@router.post("/{programme_id}/cohorts/{cohort_id}/participants")
def add_participant(
    request: Request,
    programme_id: int,
    cohort_id: int,
    code: str = Form(""),
    name: str = Form(""),
    job_role: str = Form(""),
    service: str = Form(""),
    username: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _cohort_change(
        request,
        user,
        db,
        programme_id,
        cohort_id,
        lambda: actions.add_participant(
            db,
            by=user,
            cohort_id=cohort_id,
            code=code,
            name=name,
            job_role=job_role,
            service=service,
            username=username,
        ),
        "#participants-heading",
    )


def _read_table(filename: str, content: bytes, read):
    """Read a CSV/XLSX's bytes with ``read(path, name)``; a bad file is one ``ActionError`` line."""
    if Path(filename).suffix.lower() not in (".csv", ".xlsx", ".txt"):
        raise actions.ActionError(f"{filename}: a CSV or XLSX file")
    with tempfile.TemporaryDirectory(prefix="stocktake-roster-") as folder:
        path = Path(folder) / f"upload{Path(filename).suffix.lower()}"
        path.write_bytes(content)
        try:
            return read(path, filename)
        except ProgrammeFileError as error:
            # The uploaded file's name, never the temporary one (its full path or its "upload.csv").
            message = str(error).replace(str(path), filename).replace(path.name, filename)
            raise actions.ActionError(message) from None


TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def _rows(db: Session, cohort: ProgrammeCohort, kind: str, filename: str, content: bytes):
    """The file's rows for the cohort, and notes for the preview (a withdrawn participant's register
    row left out, ``without_withdrawn``)."""
    withdrawn = {p.code: p.withdrawn_at.date() for p in cohort.participants if p.withdrawn}
    if kind == "participants":
        taken = {p.code for p in cohort.participants}
        rows = _read_table(
            filename,
            content,
            lambda path, name: read_participants(path, name=name, taken=taken, withdrawn=withdrawn),
        )
        return rows, ()
    codes = {p.code for p in cohort.participants}  # the withdrawn too: their rows are said, not refused
    modules = [m.name for m in cohort.programme.modules]
    held = [(s.module.name, s.held_on) for s in cohort.sessions]
    return _read_table(
        filename,
        content,
        lambda path, name: without_withdrawn(
            read_attendance_sheet(path, codes=codes, modules=modules, sessions=held, name=name),
            withdrawn,
            name,
        ),
    )


def _preview(db: Session, cohort: ProgrammeCohort, kind: str, filename: str, content: bytes):
    rows, notes = _rows(db, cohort, kind, filename, content)
    if kind == "participants":
        preview = actions.preview_participants(db, cohort_id=cohort.id, rows=rows, source=filename)
    else:
        preview = actions.preview_attendance(db, cohort_id=cohort.id, rows=rows, source=filename)
    return rows, preview, notes


def _stage_import(request, user, db, programme_id: int, cohort_id: int, kind: str, upload):
    """Read and preview the file, and keep it staged for the confirmation; nothing is written."""
    _programme_obj, cohort, _only = _cohort(db, user, programme_id, cohort_id)

    def check():
        filename, content = _read_upload(upload, kind)
        rows, preview, notes = _preview(db, cohort, kind, filename, content)
        token = secrets.token_urlsafe(24)
        folder = staged(request.app.state.settings) / token
        folder.mkdir(mode=0o700)
        (folder / "upload.bin").write_bytes(content)
        meta = {
            "user_id": user.id,
            "cohort_id": cohort_id,
            "kind": kind,
            "file": filename,
            "preview": preview.summary(),
            "notes": list(notes),
        }
        (folder / "import.json").write_text(json.dumps(meta))
        return token, meta, rows, preview

    return change_then(
        check,
        then=lambda done: _import_preview_page(request, user, db, programme_id, cohort, *done),
        page=partial(_cohort_page, request, user, db, programme_id, cohort_id),
    )


def _import_preview_page(request, user, db, programme_id, cohort, token, meta, rows, preview, message=None):
    names = {p.id: p.name for p in cohort.participants}
    if meta["kind"] == "participants":
        names |= {-(i + 1): r.name for i, r in enumerate(rows)}
    return render(
        request,
        "programme_import_preview.html",
        user,
        title="Check before loading",
        programme=cohort.programme,
        cohort=cohort,
        token=token,
        meta=meta,
        preview=preview,
        names=names,
        message=message,
    )


@router.post("/{programme_id}/cohorts/{cohort_id}/participants/import")
def import_participants(
    request: Request,
    programme_id: int,
    cohort_id: int,
    upload: UploadFile | None = File(None),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _stage_import(request, user, db, programme_id, cohort_id, "participants", upload)


@router.post("/{programme_id}/cohorts/{cohort_id}/attendance/import")
def import_attendance(
    request: Request,
    programme_id: int,
    cohort_id: int,
    upload: UploadFile | None = File(None),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _stage_import(request, user, db, programme_id, cohort_id, "attendance", upload)


def _staged_import(request, user: User, cohort_id: int, token: str):
    """The staged import for ``token`` if it is this user's, for this cohort and not expired."""
    folder = staged(request.app.state.settings) / token
    if not TOKEN.fullmatch(token) or not (folder / "import.json").is_file():
        return None, {}
    meta = json.loads((folder / "import.json").read_text())
    if meta.get("user_id") != user.id:  # answered as gone, and kept as every refusal is
        record_refusal_now(request, "another user's staged import", user)
        return None, {}
    if meta.get("cohort_id") != cohort_id:
        return None, {}
    return folder, meta


@router.post("/{programme_id}/cohorts/{cohort_id}/imports/{token}/confirm")
def confirm_import(
    request: Request,
    programme_id: int,
    cohort_id: int,
    token: str,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Write the staged file exactly as previewed; if the cohort changed since, preview it again."""
    _programme_obj, cohort, _only = _cohort(db, user, programme_id, cohort_id)
    folder, meta = _staged_import(request, user, cohort_id, token)
    page = partial(_cohort_page, request, user, db, programme_id, cohort_id)
    if folder is None:
        gone = "That import is no longer waiting (confirmed, cancelled or over an hour old): upload it again."
        return page(errors=[gone], status_code=404)
    kind, filename, content = meta["kind"], meta["file"], (folder / "upload.bin").read_bytes()

    def load():
        rows, preview, _notes = _preview(db, cohort, kind, filename, content)
        if preview.summary() != meta["preview"]:
            return rows, preview, False
        if kind == "participants":
            actions.import_participants(db, by=user, cohort_id=cohort_id, rows=rows, source=filename)
        else:
            actions.import_attendance(
                db, by=user, cohort_id=cohort_id, rows=rows, source=filename, reason=reason
            )
        return rows, preview, True

    def then(done):
        rows, preview, written = done
        if not written:
            meta["preview"] = preview.summary()
            (folder / "import.json").write_text(json.dumps(meta))
            note = "The cohort changed since you checked this file: here is what it would do now."
            return _import_preview_page(
                request, user, db, programme_id, cohort, token, meta, rows, preview, note
            )
        shutil.rmtree(folder, ignore_errors=True)
        anchor = "#participants-heading" if kind == "participants" else "#attendance-heading"
        return RedirectResponse(f"/programmes/{programme_id}/cohorts/{cohort_id}{anchor}", status_code=303)

    return change_then(load, then=then, page=page)


@router.post("/{programme_id}/cohorts/{cohort_id}/imports/{token}/cancel")
def cancel_import(
    request: Request,
    programme_id: int,
    cohort_id: int,
    token: str,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cohort(db, user, programme_id, cohort_id)
    folder, _meta = _staged_import(request, user, cohort_id, token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    return RedirectResponse(f"/programmes/{programme_id}/cohorts/{cohort_id}", status_code=303)


@router.post("/{programme_id}/cohorts/{cohort_id}/participants/{participant_id}/withdraw")
def withdraw_participant(
    request: Request,
    programme_id: int,
    cohort_id: int,
    participant_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cohort(db, user, programme_id, cohort_id)
    _participant(db, cohort_id, participant_id)
    return _cohort_change(
        request,
        user,
        db,
        programme_id,
        cohort_id,
        lambda: actions.withdraw_participant(db, by=user, participant_id=participant_id, reason=reason),
        "#participants-heading",
    )


@router.post("/{programme_id}/cohorts/{cohort_id}/evaluations/{evaluation_id}/withdraw")
def withdraw_evaluation(
    request: Request,
    programme_id: int,
    cohort_id: int,
    evaluation_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cohort(db, user, programme_id, cohort_id)
    found = db.get(ProgrammeEvaluation, evaluation_id)
    if found is None or found.cohort_id != cohort_id:
        raise HTTPException(404, f"no evaluation {evaluation_id} in cohort {cohort_id}")
    return _cohort_change(
        request,
        user,
        db,
        programme_id,
        cohort_id,
        lambda: actions.withdraw_evaluation(db, by=user, evaluation_id=evaluation_id, reason=reason),
        "#evaluation-heading",
    )


@router.post("/{programme_id}/cohorts/{cohort_id}/sessions")
def add_session(
    request: Request,
    programme_id: int,
    cohort_id: int,
    module_id: str = Form(""),
    held_on: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _cohort_change(
        request,
        user,
        db,
        programme_id,
        cohort_id,
        lambda: actions.add_session(
            db,
            by=user,
            cohort_id=cohort_id,
            module_id=a_number("Module", module_id or "0", int),
            held_on=a_date("Held on", held_on),
        ),
        "#attendance-heading",
    )


@router.post("/{programme_id}/cohorts/{cohort_id}/sessions/{session_id}/attendance")
async def record_attendance(
    request: Request,
    programme_id: int,
    cohort_id: int,
    session_id: int,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    form = await request.form()
    present = {v for v in form.getlist("attended") if isinstance(v, str)}
    reason = form.get("reason", "")

    def change():
        texts(form)  # a file sent as the reason is refused by name (its repr had been kept as the reason)
        held = db.get(ProgrammeSession, session_id)
        if held is None or held.cohort_id != cohort_id:
            raise actions.ActionError(f"no session {session_id} in this cohort")
        cohort = db.get(ProgrammeCohort, cohort_id)
        marks = {p.id: str(p.id) in present for p in cohort.current}
        return actions.record_attendance(db, by=user, session_id=session_id, attended=marks, reason=reason)

    return _cohort_change(request, user, db, programme_id, cohort_id, change, "#attendance-heading")


def _participant(db: Session, cohort_id: int, participant_id: int) -> Participant:
    participant = db.get(Participant, participant_id)
    if participant is None or participant.cohort_id != cohort_id:
        raise HTTPException(404, f"no participant {participant_id} in cohort {cohort_id}")
    return participant


@router.post("/{programme_id}/cohorts/{cohort_id}/participants/{participant_id}/projects")
def link_project(
    request: Request,
    programme_id: int,
    cohort_id: int,
    participant_id: int,
    project_id: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cohort(db, user, programme_id, cohort_id)
    _participant(db, cohort_id, participant_id)
    return _cohort_change(
        request,
        user,
        db,
        programme_id,
        cohort_id,
        lambda: actions.link_project(
            db, by=user, participant_id=participant_id, project_id=a_number("Project", project_id or "0", int)
        ),
        "#results-heading",
    )


@router.post("/{programme_id}/cohorts/{cohort_id}/participants/{participant_id}/account")
def link_account(
    request: Request,
    programme_id: int,
    cohort_id: int,
    participant_id: int,
    username: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cohort(db, user, programme_id, cohort_id)
    _participant(db, cohort_id, participant_id)
    return _cohort_change(
        request,
        user,
        db,
        programme_id,
        cohort_id,
        lambda: actions.link_account(db, by=user, participant_id=participant_id, username=username),
        "#participants-heading",
    )


@router.post("/{programme_id}/cohorts/{cohort_id}/evaluations")
def add_evaluation(
    request: Request,
    programme_id: int,
    cohort_id: int,
    level: str = Form("learning"),
    label: str = Form(""),
    id_column: str = Form(""),
    before_id: str = Form(""),
    after_id: str = Form(""),
    scale_id: str = Form(""),
    domains_id: str = Form(""),
    before: UploadFile | None = File(None),
    after: UploadFile | None = File(None),
    scale: UploadFile | None = File(None),
    domains: UploadFile | None = File(None),
    unknown_as_missing: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Each file uploaded here or chosen from the programme's; every file read and the evaluation run
    before anything is kept, so a bad file is refused in one line and nothing is stored."""

    def change():
        if level not in EVALUATION_LEVELS:
            raise actions.ActionError(f"level: one of {', '.join(EVALUATION_LEVELS)}")
        if not id_column.strip():
            raise actions.ActionError("id column: the survey column holding the participant's id")
        cohort = db.get(ProgrammeCohort, cohort_id)
        chosen = {}
        for role, upload, kept_id, kind in (
            ("before", before, before_id, "survey"),
            ("after", after, after_id, "survey"),
            ("scale", scale, scale_id, "scale"),
            ("domains", domains, domains_id, "domains"),
        ):
            if upload is not None and upload.filename:
                chosen[role] = ("new", kind, *_read_upload(upload, role))
            elif kept_id:
                kept = db.get(ProgrammeFile, a_number(role, kept_id, int))
                if kept is None or kept.programme_id != programme_id or kept.kind != kind:
                    raise actions.ActionError(f"{role}: one of this programme's {kind} files")
                chosen[role] = ("kept", kept.id, kept.filename, kept.content)
            else:
                raise actions.ActionError(f"{role}: upload a file or choose one already uploaded")
        try:
            evaluate_stored(
                {role: (c[2], c[3]) for role, c in chosen.items()},
                [p.code for p in cohort.current],
                id_column.strip(),
                unknown_as_missing=bool(unknown_as_missing),
                level=level,
                withdrawn=withdrawn_codes(cohort),
            )
        except ProgrammeFileError as error:
            raise actions.ActionError(str(error)) from None
        ids = {}
        for role, c in chosen.items():
            if c[0] == "kept":
                ids[role] = c[1]
            else:
                ids[role] = actions.add_programme_file(
                    db, by=user, programme_id=programme_id, kind=c[1], filename=c[2], content=c[3]
                ).id
        return actions.add_evaluation(
            db,
            by=user,
            cohort_id=cohort_id,
            level=level,
            label=label,
            before_file_id=ids["before"],
            after_file_id=ids["after"],
            scale_file_id=ids["scale"],
            domains_file_id=ids["domains"],
            id_column=id_column,
            unknown_as_missing=bool(unknown_as_missing),
        )

    return _cohort_change(request, user, db, programme_id, cohort_id, change, "#evaluation-heading")
