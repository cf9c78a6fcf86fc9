"""The Rotas area: rotas of doctors in training checked against the 2016 TCS (as amended 2019), built
with CP-SAT, published, re-planned after sickness with the fewest changes, and downloaded.

- Upload a grid (the files ``stocktake rota check`` reads): its breaches by doctor and rule, each with
  its rule's source and confidence, and each doctor's hours, weekends and nights.
- Build from the YAML ``stocktake rota solve`` takes (or the worked example), in the background
  (``rota_jobs``): the page shows how far into its time the search is; then the grid, breaches and
  the fairness table.
- Publish (an editor): from then on, a re-plan flags each changed duty less than eight weeks away
  (R19b, unverified).
- Re-plan after sickness: a doctor absent for some days; every duty before the absence kept, as few
  others changed as the rules allow.
- Download the grid (.xlsx), each doctor's calendar (.ics) and the specification.

Rotas are files in the home (``rota/store.py``), not rows of the app database. Viewers read;
editors upload, build, publish and re-plan. Every upload, build, publish, re-plan and download is in
the audit log.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from functools import partial
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.rota.breaches import breach_table, doctor_table
from stocktake.rota.export import duty_calendar, fairness_table, grid_table, pattern_table
from stocktake.rota.form import (
    BY_KEY,
    SECTIONS,
    RotaForm,
    RotaFormError,
    blank_form,
    field_label,
    form_problem,
    read_form,
    spec_form,
)
from stocktake.rota.form import Problem as FormProblem
from stocktake.rota.model import EXAMPLE, RotaSpecError
from stocktake.rota.rules import RULES, Limits
from stocktake.rota.solver import NoCompliantRota, solve
from stocktake.rota.store import BUILT, KeptRota, RotaStore, RotaStoreError, read_spec, spec_with
from stocktake.web.clock import LONDON, local_time
from stocktake.web.form_text import CHECKED_BY_ROUTE, as_text, form_problems
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.rota_jobs import DONE, SAVING, Busy, RotaJob, RotaJobs
from stocktake.web.security import FORM_FIELDS, database, editor, viewer
from stocktake.web.templating import STOP_POLLING, templates

router = APIRouter(prefix="/rotas")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECONDS = (5, 600)  # the least and most time a search may be given
DEFAULT_SECONDS = 30
FILE_LIMIT = 900 * 1024  # under the 1 MB body limit with the form around it
_JOBS_LOCK = threading.Lock()
MAX_ROWS = 200  # rows of any one section of the form: 200 doctors (more is refused, never cut)
#: Every field of MAX_ROWS rows in each section, and the form's own: Starlette's 1000 would refuse a
#: department of about 120 doctors ("Too many fields") and lose what was typed.
FORM_FIELD_LIMIT = MAX_ROWS * sum(len(s.fields) for s in SECTIONS) + 50
FORM_FIELDS["/rotas/form"] = FORM_FIELD_LIMIT
CHECKED_BY_ROUTE["/rotas/form"] = field_label  # named by table, row and field here


def today() -> date:
    return datetime.now(LONDON).date()


def rota_store(request: Request) -> RotaStore:
    return RotaStore(request.app.state.settings.home / "rotas")


def rota_jobs(request: Request) -> RotaJobs:
    app = request.app
    with _JOBS_LOCK:
        if not hasattr(app.state, "rota_jobs"):
            app.state.rota_jobs = RotaJobs(finished=lambda job: _record_end(app, job))
        return app.state.rota_jobs


def _record_end(app, job: RotaJob) -> None:
    action = {"build": "rota_built", "replan": "rota_replanned"}[job.kind]
    with app.state.sessions() as db:
        actions.record_now(
            db,
            user=db.get(User, job.user_id),
            action=action if job.state == DONE else f"{action}_failed",
            subject=f"rota:{job.slug}" if job.slug else "rota",
            detail=(job.detail if job.state == DONE else f"{job.title}: {job.error}")[:2000],
        )


# --- the list -----------------------------------------------------------------------------------


@router.get("")
def rotas_page(request: Request, user: User = Depends(viewer)):
    return _page(request, user)


def _page(request: Request, user: User, *, status_code: int = 200, errors=(), form=None):
    return render(
        request,
        "rotas.html",
        user,
        status_code=status_code,
        title="Rotas",
        rotas=rota_store(request).all(),
        job=rota_jobs(request).current(),
        errors=list(errors),
        form=form or {},
        seconds=DEFAULT_SECONDS,
        limits=SECONDS,
        local_time=local_time,
    )


def _read_upload(upload: UploadFile | None, what: str) -> tuple[str, bytes] | None:
    """The file's name (any NHS number in it masked: the name reaches the page, the rota's folder
    and the audit log) and its bytes, within the limit."""
    if upload is None or not upload.filename:
        return None
    name = mask_nhs_numbers(upload.filename)
    content = upload.file.read(FILE_LIMIT + 1)
    if len(content) > FILE_LIMIT:
        raise RotaStoreError(f"{what}: {name} is over {FILE_LIMIT // 1024} KB")
    return name, content


@router.post("/upload")
def upload_grid(
    request: Request,
    grid: UploadFile | None = File(None),
    legend: UploadFile | None = File(None),
    one_in_three: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Keep an uploaded grid as a draft and show its check."""
    try:
        found = _read_upload(grid, "Rota")
        if found is None:
            raise RotaStoreError("Rota: choose the grid (.xlsx or .csv) to check")
        kept = rota_store(request).keep_uploaded(
            *found, by=user.full_name, legend=_read_upload(legend, "Legend"), one_in_three=bool(one_in_three)
        )
    except RotaStoreError as error:
        return _page(request, user, status_code=422, errors=[str(error)])
    check = kept.check()
    actions.record_now(
        db,
        user=user,
        action="rota_uploaded",
        subject=f"rota:{kept.slug}",
        detail=f"{kept.name}: {len(check.breaches)} breach(es)",
    )
    return RedirectResponse(f"/rotas/{kept.slug}", status_code=303)


@router.post("/build")
def build(
    request: Request,
    spec: UploadFile | None = File(None),
    example: str = Form(""),
    name: str = Form(""),
    start: str = Form(""),
    weeks: str = Form(""),
    leave: str = Form(""),
    wte: str = Form(""),
    seconds: str = Form(str(DEFAULT_SECONDS)),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Start building a rota from the YAML (or the worked example) in the background."""
    form = {"name": name, "start": start, "weeks": weeks, "leave": leave, "wte": wte, "seconds": seconds}
    form["example"] = example
    try:
        found = _read_upload(spec, "Specification")
        if found is None and not example:
            raise RotaStoreError("Specification: choose the YAML file, or build the worked example")
        text = EXAMPLE.read_text() if found is None else found[1].decode("utf-8-sig", errors="replace")
        where = "the worked example" if found is None else found[0]
        text = spec_with(text, where, name=name, start=start, weeks=weeks, leave=leave, wte=wte)
        problem = read_spec(text, where)
        allowed = _seconds(seconds)
    except (RotaStoreError, RotaSpecError) as error:
        return _refused(request, user, 422, [str(error)], form)
    try:
        _start_build(request, user, db, problem, text, allowed)
    except Busy as busy:
        return _refused(request, user, 409, [str(busy)], form)
    if request.headers.get("HX-Request"):
        return _progress(request, rota_jobs(request).current())
    return RedirectResponse("/rotas#rota-job", status_code=303)


def _start_build(request: Request, user: User, db: Session, problem, text: str, allowed: float) -> RotaJob:
    """Build ``problem`` (whose YAML is ``text``) in the background; ``Busy`` while another runs."""
    by = user.full_name

    def work(phase):
        solution = _solved(problem, allowed, on_phase=phase)
        phase(SAVING)
        kept = rota_store(request).keep_built(solution, text, by=by)
        breaches = len(kept.check().breaches)
        return kept.slug, (
            f"{problem.name}, {problem.start} to {problem.end}: {len(solution.assignments)} duties "
            f"({solution.status.lower()}, {solution.seconds:.1f} s), {breaches} breach(es)"
        )

    job = rota_jobs(request).start(
        work, kind="build", title=f"Building {problem.name}", seconds=allowed, by=by, user_id=user.id
    )
    actions.record_now(
        db, user=user, action="rota_build_started", subject="rota", detail=f"{problem.name}, {allowed:g} s"
    )
    return job


def _seconds(text: str) -> float:
    least, most = SECONDS
    try:
        value = float(text)
    except ValueError:
        raise RotaStoreError(f"Time to search: {text[:10]!r} is not a number of seconds") from None
    if not least <= value <= most:
        raise RotaStoreError(f"Time to search: give {least} to {most} seconds, not {value:g}")
    return value


def _solved(problem, seconds: float, **options):
    """The solver's answer; when there is none, why, in its own plain words."""
    try:
        return solve(problem, seconds=seconds, **options)
    except NoCompliantRota as error:
        raise _none_meets(error) from None
    except RuntimeError as error:
        raise RotaStoreError(str(error)) from None


def _none_meets(error: NoCompliantRota) -> RotaStoreError:
    """Why no rota was built, said once: the solver's explanation starts "No rota meets every
    requirement" (or "No compliant rota was found") itself; a problem found before solving does not."""
    said = " ".join(error.reasons)
    return RotaStoreError(said if said.startswith("No ") else f"No rota meets every rule: {said}")


def _refused(request: Request, user: User, status: int, problems: list[str], form=None):
    """The page with what is wrong; to htmx, which swaps no error answer, the list alone as a 200."""
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "_rota_problems.html", {"errors": problems})
    return _page(request, user, status_code=status, errors=problems, form=form)


@router.get("/job")
def job_progress(request: Request, seen: str = "", user: User = Depends(viewer)):
    """The job's progress, for the page's poll: 204 (nothing to swap) while nothing has changed."""
    job = rota_jobs(request).current()
    if job is None:  # the server restarted: said, and the poll stopped (it would renew the session forever)
        return templates.TemplateResponse(
            request, "_job_gone.html", {"what": "rota job"}, status_code=STOP_POLLING
        )
    if job.version == seen:
        return Response(status_code=204)
    return _progress(request, job)


def _progress(request: Request, job: RotaJob):
    return templates.TemplateResponse(
        request, "_rota_job.html", {"job": job, "oob": True, "local_time": local_time}
    )


# --- the form ---------------------------------------------------------------------------------
# Registered before ``/{slug}``, which would otherwise take ``form`` for a rota's address.


@router.get("/form")
def rota_form_page(request: Request, start_from: str = Query("", alias="from"), user: User = Depends(editor)):
    """The form, blank, or filled from the worked example (``?from=example``) or a built rota."""
    if start_from == "example":
        form = spec_form(yaml.safe_load(EXAMPLE.read_text()))
    elif start_from:
        rota = _kept(request, start_from)
        if rota.source != BUILT:
            raise HTTPException(404, "An uploaded grid has no specification to fill the form from.")
        form = spec_form(yaml.safe_load((rota.folder / "spec.yaml").read_text()))
    else:
        form = blank_form()
    return _form_page(request, user, form)


def _form_page(request, user, form: RotaForm, *, status_code=200, problems=(), seconds=str(DEFAULT_SECONDS)):
    return render(
        request,
        "rota_form.html",
        user,
        status_code=status_code,
        title="Build a rota from a form",
        form=form,
        sections=SECTIONS,
        problems=list(problems),
        marked={p.anchor for p in problems},
        seconds=seconds,
        limits=SECONDS,
        max_rows=MAX_ROWS,
    )


@router.post("/form")
async def rota_form_post(request: Request, user: User = Depends(editor), db: Session = Depends(database)):
    """Add a row (the form again, one blank row longer) or build the rota the form describes."""
    fields = await request.form(max_fields=FORM_FIELD_LIMIT)
    form = read_form(
        lambda name: [as_text(v) for v in fields.getlist(name)][:MAX_ROWS],
        lambda name: as_text(fields.get(name, "")),
    )
    seconds = as_text(fields.get("seconds", str(DEFAULT_SECONDS)))
    too_many = [
        FormProblem(
            f"{s.title}: more than {MAX_ROWS} rows; the form takes {MAX_ROWS} (the YAML takes any number)"
        )
        for s in SECTIONS
        if max(len(fields.getlist(f"{s.key}-{key}")) for key, _ in s.fields) > MAX_ROWS
    ]
    if too_many:  # refused rather than cut at MAX_ROWS, every row given back so none is lost
        whole = read_form(
            lambda name: [as_text(v) for v in fields.getlist(name)],
            lambda name: as_text(fields.get(name, "")),
        )
        return _form_page(request, user, whole, status_code=422, problems=too_many, seconds=seconds)
    if unfit := form_problems(fields.multi_items(), field_label):  # the check every form has, rows kept
        problems = [FormProblem(p) for p in unfit]
        return _form_page(request, user, form, status_code=422, problems=problems, seconds=seconds)
    added = as_text(fields.get("add", ""))
    if added in {s.key for s in SECTIONS}:
        if len(form.section(added)) >= MAX_ROWS:  # a button pressed on a page from before it was full
            full = FormProblem(
                f"{BY_KEY[added].title}: the form takes {MAX_ROWS} rows (the YAML takes any number)"
            )
            return _form_page(request, user, form, status_code=422, problems=[full], seconds=seconds)
        return _form_page(request, user, form.with_row(added), seconds=seconds)
    try:
        allowed = _seconds(seconds)
    except RotaStoreError as error:
        return _form_page(request, user, form, status_code=422, problems=[FormProblem(str(error), "seconds")])
    try:
        problem, text = form_problem(form)
    except RotaFormError as error:
        return _form_page(request, user, form, status_code=422, problems=error.problems, seconds=seconds)
    except RotaSpecError as error:  # a problem the model found only once the rota was put together
        return _form_page(
            request, user, form, status_code=422, problems=[FormProblem(str(error))], seconds=seconds
        )
    try:
        _start_build(request, user, db, problem, text, allowed)
    except Busy as busy:
        return _form_page(
            request, user, form, status_code=409, problems=[FormProblem(str(busy))], seconds=seconds
        )
    return RedirectResponse("/rotas#rota-job", status_code=303)


# --- one rota -----------------------------------------------------------------------------------


def _kept(request: Request, slug: str) -> KeptRota:
    try:
        return rota_store(request).get(slug)
    except RotaStoreError as error:
        raise HTTPException(404, str(error)[0].upper() + str(error)[1:] + ".") from None


@router.get("/{slug}")
def rota_page(request: Request, slug: str, user: User = Depends(viewer)):
    return _rota_page(request, user, _kept(request, slug))


def _unreadable(rota: KeptRota, error: Exception) -> str:
    """Why a kept rota cannot be shown (its file changed by hand, or kept before a check it now fails),
    without the home's folder: one rota never takes a page down for everyone."""
    return f"{rota.name} ({rota.slug}) cannot be read: " + str(error).replace(f"{rota.current}/", "")


def _rota_page(request: Request, user: User, rota: KeptRota, *, status_code: int = 200, errors=(), form=None):
    try:
        check = rota.check()
    except (ValueError, OSError) as error:  # a RotaInputError or RotaStoreError among them
        return _page(request, user, status_code=422, errors=[*errors, _unreadable(rota, error)])
    breaches = breach_table(check).to_dict("records")
    by_rule: dict[str, int] = {}
    for row in breaches:
        by_rule[row["rule"]] = by_rule.get(row["rule"], 0) + 1
    context = {
        "rota": rota,
        "check": check,
        "breaches": breaches,
        "by_rule": [(RULES[r], n) for r, n in sorted(by_rule.items())],
        "unchecked": [(RULES[r], why) for r, why in check.unchecked],
        "hours": doctor_table(check).to_dict("records"),
        "doctors": rota.doctors(),
        "notice_rule": RULES["R19b"],
        "notice_weeks": _notice_weeks(rota),
    }
    if rota.source == BUILT:
        solution = rota.solution()
        grid = grid_table(solution)
        context.update(
            problem=solution.problem,
            fairness=fairness_table(solution).to_dict("records"),
            patterns=pattern_table(solution).to_dict("records"),
            grid_columns=list(grid.columns),
            grid=grid.to_dict("records"),
        )
    return render(
        request,
        "rota.html",
        user,
        status_code=status_code,
        title=rota.name,
        errors=list(errors),
        form=form or {},
        job=rota_jobs(request).current(),
        seconds=DEFAULT_SECONDS,
        limits=SECONDS,
        local_time=local_time,
        **context,
    )


@router.post("/{slug}/publish")
def publish(request: Request, slug: str, user: User = Depends(editor), db: Session = Depends(database)):
    rota = _kept(request, slug)

    def change():
        try:
            done = rota_store(request).publish(slug, by=user.full_name)
        except (ValueError, OSError) as error:  # refused (RotaStoreError), or its file cannot be read
            raise actions.ActionError(str(error)) from None
        actions.record_now(
            db,
            user=user,
            action="rota_published",
            subject=f"rota:{slug}",
            detail=f"{done.name}: published; a later change owes {_notice_weeks(done)} weeks' notice "
            "(R19b, unverified)",
        )
        return done

    return change_then_redirect(change, to=f"/rotas/{slug}", page=partial(_rota_page, request, user, rota))


def _notice_weeks(rota: KeptRota) -> int:
    return (rota.problem().limits if rota.source == BUILT else Limits()).change_notice_weeks


@router.post("/{slug}/replan")
def replan(
    request: Request,
    slug: str,
    doctor: str = Form(""),
    first: str = Form(""),
    last: str = Form(""),
    seconds: str = Form(str(DEFAULT_SECONDS)),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Re-plan in the background with ``doctor`` absent from ``first`` to ``last``."""
    rota = _kept(request, slug)
    form = {"doctor": doctor, "first": first, "last": last, "seconds": seconds}
    problems = []
    if rota.source != BUILT:
        problems.append("Only a rota built here can be re-planned: an uploaded grid has no specification.")
    if doctor not in {d for d, _ in rota.doctors()}:
        problems.append("Doctor: choose the doctor who is absent")
    days = {}
    for field, text in (("first", first), ("last", last)):
        try:
            days[field] = date.fromisoformat(text.strip())
        except ValueError:
            problems.append(f"{'First' if field == 'first' else 'Last'} day absent: a date like 2026-02-16")
    try:
        allowed = _seconds(seconds)
    except RotaStoreError as error:
        problems.append(str(error))
    if not problems and days["last"] < days["first"]:
        problems.append("Last day absent: on or after the first day")
    elif not problems and days["last"] < today():
        problems.append(f"Last day absent: the absence is over ({days['last']} is past): nothing to re-plan")
    if problems:
        return _replan_refused(request, user, rota, 422, problems, form)
    by, on = user.full_name, today()
    name = dict(rota.doctors())[doctor]
    absence = f"{name} absent {days['first']:%-d %b} to {days['last']:%-d %b %Y}"

    def work(phase):
        try:
            kept, record = rota_store(request).replan(
                slug, doctor, days["first"], days["last"], by=by, seconds=allowed, today=on, on_phase=phase
            )
        except NoCompliantRota as error:
            raise _none_meets(error) from None
        except RuntimeError as error:
            raise RotaStoreError(str(error)) from None
        changes = record["changes"]
        late = sum(c["late"] for c in changes)
        said = f"{kept.name}: {absence}; {len(changes)} change(s) to duties ({record['solved']})"
        if record["published"]:
            said += f"; {late} less than {record['notice_weeks']} weeks away (R19b, unverified)"
        return slug, said

    try:
        job = rota_jobs(request).start(
            work,
            kind="replan",
            title=f"Re-planning {rota.name}: {absence}",
            seconds=allowed,
            by=by,
            user_id=user.id,
            slug=slug,
        )
    except Busy as busy:
        return _replan_refused(request, user, rota, 409, [str(busy)], form)
    actions.record_now(
        db, user=user, action="rota_replan_started", subject=f"rota:{slug}", detail=f"{rota.name}: {absence}"
    )
    if request.headers.get("HX-Request"):
        return _progress(request, job)
    return RedirectResponse(f"/rotas/{slug}#rota-job", status_code=303)


def _replan_refused(request, user, rota, status, problems, form):
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "_rota_problems.html", {"errors": problems})
    return _rota_page(request, user, rota, status_code=status, errors=problems, form=form)


# --- downloads ----------------------------------------------------------------------------------


def _download(db: Session, user: User, rota: KeptRota, what: str, content: bytes, media: str, filename: str):
    actions.record_capped(
        db, user=user, action="rota_downloaded", subject=f"rota:{rota.slug}:{what}", detail=rota.name
    )
    plain = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in filename)
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/{slug}/rota.xlsx")
def download_grid(request: Request, slug: str, user: User = Depends(viewer), db: Session = Depends(database)):
    rota = _kept(request, slug)
    try:
        content = rota.workbook()
    except (ValueError, OSError) as error:  # a RotaInputError or RotaStoreError among them
        raise HTTPException(422, _unreadable(rota, error)) from None
    return _download(db, user, rota, "xlsx", content, XLSX, f"{rota.slug}.xlsx")


@router.get("/{slug}/spec.yaml")
def download_spec(request: Request, slug: str, user: User = Depends(viewer), db: Session = Depends(database)):
    rota = _kept(request, slug)
    if rota.source != BUILT:
        raise HTTPException(404, "An uploaded grid has no specification.")
    content = (rota.folder / "spec.yaml").read_bytes()
    return _download(db, user, rota, "yaml", content, "application/yaml", f"{rota.slug}.yaml")


@router.get("/{slug}/calendars/{doctor}.ics")
def download_calendar(
    request: Request, slug: str, doctor: str, user: User = Depends(viewer), db: Session = Depends(database)
):
    rota = _kept(request, slug)
    names = dict(rota.doctors())
    if doctor not in names:
        raise HTTPException(404, f"There is no doctor {doctor[:40]!r} on this rota.")
    duties, _, _ = rota.duties()
    own = sorted((d for d in duties if d.doctor == doctor), key=lambda d: d.start)
    content = duty_calendar(f"{rota.name}: {names[doctor]}", own).to_ical()
    return _download(
        db, user, rota, f"ics:{mask_nhs_numbers(doctor)}", content, "text/calendar", f"{doctor}.ics"
    )
