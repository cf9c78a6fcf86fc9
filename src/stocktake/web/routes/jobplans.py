"""The Job plans area: consultants' job plans with their PAs, premium time, on-call supplement and
warnings; their states (draft → proposed → agreed → superseded); the review queue; rota designs side
by side; the team's capacity.

- Upload a plan (the YAML or workbook ``stocktake jobplan check`` reads), or write one in the form
  (``/job-plans/new``, read by the same reader): kept as a draft, or as a new version of the
  consultant's open plan for that year. Bad input: one line naming the file (or the form's section),
  row and field; nothing kept.
- A plan's page: the check, with the supplement measured from a kept rota the user chooses (the
  plan's stated frequency when the consultant is not on it), the verification flag shown.
- Propose, withdraw a proposal (back to a draft), agree (who, when): each form carries the version
  shown, and is refused when another has been uploaded since. Agreeing supersedes the consultant's
  agreed plans for the same or an earlier year (an earlier year than one agreed is refused; a year
  out of range, kept before years were checked, is compared with nothing) and writes the team's
  capacity from each consultant's latest agreed plan to the warehouse (``team_capacity``): the
  capacity is made before the agreement is saved, plans that no longer read are left out and named
  in the audit event.
- A plan that cannot be read or computed shows as "cannot be read: …" on its row, never a 500.
- Compare two kept rotas for every consultant, as ``stocktake jobplan compare`` does.
- ``team_capacity`` judged out of date by when it was written against the newest agreement, and
  rebuilt by an editor from the page.
- Download a plan as its YAML and its check as the workbook ``jobplan check --out`` writes (viewers
  may; each download in the audit log).

Plans are files in the home (``jobplan/store.py``, ADR 0036). Viewers read (but not a programme
participant's account: plans are personal to consultants; ADR 0041 addendum); editors upload, propose
and agree. Every upload and change of state is in the audit log.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from functools import partial
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.jobplan.arithmetic import summarise
from stocktake.jobplan.capacity import capacity_frame, out_of_date, read_capacity, write_frame
from stocktake.jobplan.designs import RotaDesign, compare, supplement_from
from stocktake.jobplan.form import (
    ADD_ROWS,
    CHOICES,
    MAX_ROWS,
    ON_CALL,
    ON_CALL_CHOICES,
    ROW,
    TOP,
    TYPE_LABELS,
    JobPlanForm,
    JobPlanFormError,
    blank_form,
    field_label,
    form_plan,
    is_blank,
    plan_form,
    read_form,
    row_count,
)
from stocktake.jobplan.form import Problem as FormProblem
from stocktake.jobplan.model import consultant_code
from stocktake.jobplan.review import review_queue
from stocktake.jobplan.store import (
    PROPOSED,
    SUPERSEDED,
    JobPlanStore,
    JobPlanStoreError,
    KeptPlan,
    agreed,
    current,
    latest_agreed,
    newest_change,
)
from stocktake.jobplan.tables import COMPARED, activity_table, check_sheets, supplement_table
from stocktake.jobplan.terms import COMPILED_ON
from stocktake.jobplan.write import plan_data, plan_yaml
from stocktake.rota.store import RotaStore
from stocktake.spreadsheets import write_tables
from stocktake.warehouse import WarehouseError
from stocktake.web.clock import local_time
from stocktake.web.form_text import CHECKED_BY_ROUTE, as_text, form_problems
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.programme_view import sees_everyone
from stocktake.web.security import FORM_FIELDS, database, editor, viewer

router = APIRouter(prefix="/job-plans")
FILE_LIMIT = 900 * 1024  # under the 1 MB body limit with the form around it
TYPE_NAMES = {"DCC": "DCC", "SPA": "SPA", "additional_nhs": "Additional NHS", "external": "External"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Every field of twice MAX_ROWS rows and the form's own: a form longer than MAX_ROWS (written by
#: hand, or a page kept from before the cap) reaches the route and is refused with every row given
#: back, rather than Starlette's bare 400 "Too many fields" losing everything typed.
FORM_FIELD_LIMIT = 2 * MAX_ROWS * len(ROW) + len(TOP) + len(ON_CALL) + 10
FORM_FIELDS["/job-plans/new"] = FORM_FIELD_LIMIT
CHECKED_BY_ROUTE["/job-plans/new"] = field_label  # named by table, row and field here
FROM_FORM = "the workspace's form"  # a version's "uploaded as" when it was typed in the form


def plan_reader(request: Request, user: User = Depends(viewer), db: Session = Depends(database)) -> User:
    """A viewer or above, except an account linked to a programme participant (a participant's
    account): job plans are personal to consultants, and such an account is given its own programme
    record only (``programme_view.sees_everyone``, as the programmes pages and search decide it).
    Refused with 403 and the refusal kept, as the programme report's is."""
    if not sees_everyone(user, db):
        why = "Job plans are the consultants' own: a programme participant's account does not read them."
        actions.record_refusal(
            db, user=user, subject=f"{request.method} {request.url.path}"[:200], detail=why
        )
        raise HTTPException(403, why)
    return user


def plan_store(request: Request) -> JobPlanStore:
    return JobPlanStore(request.app.state.settings.home / "jobplans")


def rota_store(request: Request) -> RotaStore:
    return RotaStore(request.app.state.settings.home / "rotas")


def _design(request: Request, slug: str) -> RotaDesign | None:
    """A kept rota's duties under its name; None for none chosen, or one that cannot be read."""
    if not slug:
        return None
    try:
        rota = rota_store(request).get(slug)
        duties, period, _ = rota.duties()
    except Exception:  # a kept rota changed by hand or kept before a check it now fails: skipped
        return None
    return RotaDesign(rota.name, tuple(duties), period)


def _rotas(request: Request) -> list[tuple[str, str]]:
    return [(r.slug, r.name) for r in rota_store(request).all()]


def _row(kept: KeptPlan, design: RotaDesign | None) -> dict:
    """A plan's line on the list: its PAs by type, premium time, supplement and warnings; or why it
    cannot be shown, for that row alone (a file changed by hand since it was kept, or kept before a
    check it now fails), so one plan never takes the page down for everyone."""
    try:
        plan = kept.plan()
        summary = summarise(plan)
        found = supplement_from(plan, design)
    except Exception as error:  # any failure is this row's, said in its words
        return {
            "kept": kept,
            "problem": f"cannot be read: {_reason(error, kept)}",
            "year_problem": kept.year_problem(),
        }
    return {
        "kept": kept,
        "year_problem": kept.year_problem(),
        "plan": plan,
        "summary": summary,
        "supplement": found.supplement,
        "source": found.source,
    }


def _reason(error: Exception, kept: KeptPlan | None = None) -> str:
    """The error on one line, the plan's file named as uploaded rather than by the home's path."""
    said = " ".join(str(error).split()) or type(error).__name__
    return said.replace(str(kept.file), kept.versions[-1]["uploaded_as"]) if kept is not None else said


def _readable(kept: list[KeptPlan]) -> tuple[list, list[str]]:
    """The plans that read, and the others named with why (for the audit event and the compare page)."""
    plans, skipped = [], []
    for item in kept:
        try:
            plans.append(item.plan())
        except Exception as error:  # named, not fatal
            skipped.append(f"{item.consultant} {item.year} ({item.slug}): {_reason(error, item)}")
    return plans, skipped


# --- the list -----------------------------------------------------------------------------------


@router.get("")
def jobplans_page(request: Request, rota: str = "", user: User = Depends(plan_reader)):
    return _page(request, user, rota=rota)


def _page(request: Request, user: User, *, rota: str = "", status_code: int = 200, errors=()):
    kept = plan_store(request).all()
    design = _design(request, rota)
    rows = [_row(p, design) for p in kept if p.state != SUPERSEDED]
    plans = {p.slug: r["plan"] for p, r in ((r["kept"], r) for r in rows) if "plan" in r}
    # a year out of range (kept before years were checked) is compared with no other: ADR 0041
    # the queue is the proposed plans: a draft joins it when proposed, and leaves it when withdrawn
    open_plans = [r for r in rows if "plan" in r and r["kept"].state == PROPOSED and not r["year_problem"]]
    queue = review_queue(
        [r["plan"] for r in open_plans],
        [plans[p.slug] for p in agreed(kept) if p.slug in plans and p.in_range()],
        same_year=True,
    )
    links = {(r["plan"].consultant, r["plan"].year): r["kept"].slug for r in open_plans}
    settings = request.app.state.settings
    capacity, stale = None, ""
    try:
        with request.app.state.workspace.lock:
            capacity = read_capacity(settings.warehouse)
    except WarehouseError as error:
        stale = f"team capacity cannot be read: {_reason(error)}"
    if settings.warehouse.is_file() and not stale:
        stale = out_of_date(capacity, newest_change(kept))
    return render(
        request,
        "jobplans.html",
        user,
        status_code=status_code,
        title="Job plans",
        rows=rows,
        superseded=[p for p in kept if p.state == SUPERSEDED],
        queue=[(item, links.get((item.consultant, item.year))) for item in queue],
        capacity=None if capacity is None else capacity.to_dict("records"),
        stale=stale,
        rotas=_rotas(request),
        rota=rota if design else "",
        design=design,
        types=TYPE_NAMES,
        errors=list(errors),
        local_time=local_time,
    )


def _read_upload(upload: UploadFile | None) -> tuple[str, bytes]:
    """The file's name (any NHS number in it masked: the name reaches the page and the audit log)
    and its bytes, within the limit."""
    if upload is None or not upload.filename:
        raise JobPlanStoreError("Job plan: choose the plan (.yaml or .xlsx) to upload")
    name = mask_nhs_numbers(upload.filename)
    content = upload.file.read(FILE_LIMIT + 1)
    if len(content) > FILE_LIMIT:
        raise JobPlanStoreError(f"{name}: over {FILE_LIMIT // 1024} KB")
    return name, content


@router.post("/upload")
def upload_plan(
    request: Request,
    plan: UploadFile | None = File(None),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Keep an uploaded plan as a draft and show its check."""
    try:
        kept = plan_store(request).keep_uploaded(*_read_upload(plan), by=user.full_name)
    except JobPlanStoreError as error:
        return _page(request, user, status_code=422, errors=[str(error)])
    row = _row(kept, None)  # kept already: the audit event is recorded whatever the arithmetic says
    version = kept.versions[-1]
    pas = f"{row['summary'].total_pas:.2f} PAs a week" if "summary" in row else row["problem"]
    actions.record_now(
        db,
        user=user,
        action="jobplan_uploaded",
        subject=f"jobplan:{kept.slug}",
        detail=f"{kept.consultant} {kept.year}: version {version['number']} ({version['uploaded_as']}), "
        + pas,
    )
    return RedirectResponse(f"/job-plans/{kept.slug}", status_code=303)


@router.post("/capacity")
def rebuild_capacity(request: Request, user: User = Depends(editor), db: Session = Depends(database)):
    """Write ``team_capacity`` again from each consultant's latest agreed plan (as ``stocktake jobplan
    capacity`` does): the page's answer to "team capacity out of date — rebuild"."""

    def change():
        settings = request.app.state.settings
        if not settings.warehouse.is_file():
            raise actions.ActionError(
                "Team capacity: there is no warehouse in this home yet (load the department's extracts first)"
            )
        plans, skipped = _readable(latest_agreed(plan_store(request).all()))
        made = {"frame": capacity_frame(plans), "plans": len(plans), "skipped": skipped}
        written = _write_capacity(request, made)
        if not written.startswith("team_capacity written"):
            raise actions.ActionError(f"Team capacity was not rebuilt: {written}")
        actions.record_now(
            db, user=user, action="team_capacity_rebuilt", subject="jobplan:capacity", detail=written
        )

    return change_then_redirect(change, to="/job-plans#capacity", page=partial(_page, request, user))


# --- rota designs side by side ------------------------------------------------------------------


@router.get("/compare")
def compare_page(request: Request, a: str = "", b: str = "", user: User = Depends(plan_reader)):
    rotas = _rotas(request)
    plans, unreadable = _readable(current(plan_store(request).all()))
    if not a and not b:  # until the user chooses: the first two kept rotas the consultants are on
        doctors = {p.rota_doctor for p in plans if p.on_call is not None}
        on = [slug for slug, _ in rotas if _on(_design(request, slug), doctors)][:2]
        a, b = (on + [slug for slug, _ in rotas if slug not in on])[:2] + [""] * max(0, 2 - len(rotas))
    designs = [d for d in (_design(request, a), _design(request, b) if b != a else None) if d is not None]
    if len(designs) == 2 and designs[0].name == designs[1].name:  # two rotas kept under one name
        designs = [replace(d, name=f"{d.name} ({slug})") for d, slug in zip(designs, (a, b), strict=True)]
    found = compare(plans, designs)
    long = supplement_table(found.supplements)
    by_consultant = []
    for consultant in dict.fromkeys(long["consultant"]) if not long.empty else []:
        mine = long[long["consultant"] == consultant].set_index("rota")
        by_consultant.append(
            (
                consultant,
                [
                    (label, [mine.loc[d.name, key] if d.name in mine.index else None for d in designs])
                    for key, label in COMPARED.items()
                ],
            )
        )
    return render(
        request,
        "jobplan_compare.html",
        user,
        title="Rota designs side by side",
        rotas=rotas,
        a=a,
        b=b,
        designs=designs,
        by_consultant=by_consultant,
        missing=found.missing,
        unverified=sorted({s.rate.verification for s in found.supplements if not s.rate.verified}),
        plans=len(plans),
        unreadable=unreadable,
    )


def _on(design: RotaDesign | None, doctors: set[str]) -> bool:
    """Whether a consultant on call in a plan is on call in the rota: codes compared as
    ``consultant_code`` writes them (``c01`` on the rota is ``C01`` in the plan)."""
    codes = {consultant_code(d) for d in doctors}
    return design is not None and any(
        d.kind == "on_call" and consultant_code(d.doctor) in codes for d in design.duties
    )


# --- the form -----------------------------------------------------------------------------------
# Registered before ``/{slug}``, which would otherwise take ``new`` for a plan's address.


@router.get("/new")
def plan_form_page(request: Request, start_from: str = Query("", alias="from"), user: User = Depends(editor)):
    """The form, blank, or filled from a kept plan (``?from=SLUG``) to be changed and saved as its next
    version (or, for an agreed plan, as a new draft)."""
    form = blank_form()
    if start_from:
        kept = _kept(request, start_from)
        form = plan_form(plan_data(_readable_plan(kept)))
    return _form_page(request, user, form)


def _form_page(request, user, form: JobPlanForm, *, status_code=200, problems=()):
    return render(
        request,
        "jobplan_form.html",
        user,
        status_code=status_code,
        title="Write a job plan",
        form=form,
        top=TOP,
        on_call=ON_CALL,
        row_fields=ROW,
        choices=CHOICES,
        on_call_choices=ON_CALL_CHOICES,
        type_labels=TYPE_LABELS,
        problems=list(problems),
        marked={p.anchor for p in problems},
        max_rows=MAX_ROWS,
        add_rows=ADD_ROWS,
    )


@router.post("/new")
async def plan_form_post(request: Request, user: User = Depends(editor), db: Session = Depends(database)):
    """Add rows (the form again, longer) or save the plan the form describes as a draft: read as an
    uploaded file is, kept as its YAML, the same audit event as an upload's."""
    fields = await request.form(max_fields=FORM_FIELD_LIMIT)

    def values(name: str) -> list[str]:
        return [as_text(v) for v in fields.getlist(name)]

    form = read_form(values, lambda name: as_text(fields.get(name, "")))  # every row, none cut
    if row_count(values) > MAX_ROWS:  # blank rows dropped; more rows typed refused, every one given back
        form = replace(form, rows=tuple(row for row in form.rows if not is_blank(row)))
    if len(form.rows) > MAX_ROWS:
        problem = FormProblem(
            f"Timetable: {len(form.rows)} rows; the form takes {MAX_ROWS} (a file any number): "
            "clear the rows you do not need, or upload the plan as a file"
        )
        return _form_page(request, user, form, status_code=422, problems=[problem])
    if unfit := form_problems(fields.multi_items(), field_label):  # the check every form has, rows kept
        return _form_page(request, user, form, status_code=422, problems=[FormProblem(p) for p in unfit])
    if as_text(fields.get("add", "")) == "rows":
        if not form.rows_left:  # the button is not shown at MAX_ROWS; an old page's press is refused
            problem = FormProblem(f"Timetable: the form takes {MAX_ROWS} rows, and has them all", "add-rows")
            return _form_page(request, user, form, status_code=422, problems=[problem])
        return _form_page(request, user, form.with_rows())
    refused: list[FormProblem] = []

    def change():
        try:
            plan = form_plan(form).plan
        except JobPlanFormError as error:
            refused.extend(error.problems)
            raise actions.ActionError(str(error)) from None
        try:
            kept = plan_store(request).keep_uploaded(
                "plan.yaml", plan_yaml(plan).encode(), by=user.full_name, uploaded_as=FROM_FORM
            )
        except JobPlanStoreError as error:
            raise actions.ActionError(str(error)) from None
        row = _row(kept, None)
        pas = f"{row['summary'].total_pas:.2f} PAs a week" if "summary" in row else row["problem"]
        actions.record_now(
            db,
            user=user,
            action="jobplan_uploaded",
            subject=f"jobplan:{kept.slug}",
            detail=f"{kept.consultant} {kept.year}: version {kept.version} ({FROM_FORM}), {pas}",
        )
        return kept

    def page(errors=(), status_code=422):
        return _form_page(
            request, user, form, status_code=status_code, problems=refused or [FormProblem(e) for e in errors]
        )

    return change_then_redirect(change, to=lambda kept: f"/job-plans/{kept.slug}", page=page)


# --- one plan -----------------------------------------------------------------------------------


def _kept(request: Request, slug: str) -> KeptPlan:
    try:
        return plan_store(request).get(slug)
    except JobPlanStoreError as error:
        raise HTTPException(404, str(error)[0].upper() + str(error)[1:] + ".") from None


@router.get("/{slug}")
def plan_page(request: Request, slug: str, rota: str = "", user: User = Depends(plan_reader)):
    return _plan_page(request, user, _kept(request, slug), rota=rota)


def _plan_page(request: Request, user: User, kept: KeptPlan, *, rota: str = "", status_code=200, errors=()):
    design = _design(request, rota)
    row = _row(kept, design)
    summary = row.get("summary")
    superseded_by = kept.about.get("superseded_by")
    return render(
        request,
        "jobplan.html",
        user,
        status_code=status_code,
        title=f"Job plan {kept.consultant} {kept.year}",
        kept=kept,
        row=row,
        activities=activity_table([summary]).to_dict("records") if summary else [],
        rotas=_rotas(request),
        rota=rota if design else "",
        types=TYPE_NAMES,
        superseded_by=superseded_by,
        terms_date=COMPILED_ON,
        errors=list(errors),
        local_time=local_time,
    )


def _version(kept: KeptPlan, version: str) -> int:
    """The version the form was shown with; a form without it (an old page) is refused."""
    try:
        return int(version)
    except ValueError:
        raise actions.ActionError(
            f"{kept.consultant} {kept.year}: the form did not say which version you saw; "
            "read the plan below and try again"
        ) from None


@router.post("/{slug}/propose")
def propose(
    request: Request,
    slug: str,
    version: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Propose a draft (draft → proposed): it joins the review queue."""
    return _moved(
        request,
        slug,
        version,
        user,
        db,
        JobPlanStore.propose,
        "jobplan_proposed",
        lambda done: f"proposed (version {done.versions[-1]['number']})",
    )


@router.post("/{slug}/withdraw")
def withdraw(
    request: Request,
    slug: str,
    version: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Withdraw a proposal (proposed → draft): it leaves the review queue and can be changed or left."""
    return _moved(
        request,
        slug,
        version,
        user,
        db,
        JobPlanStore.withdraw,
        "jobplan_proposal_withdrawn",
        lambda done: f"proposal withdrawn, a draft again (version {done.version})",
    )


def _moved(request, slug, version, user, db, move, action: str, said):
    """A plan moved from one state to the next by ``move`` (a store method), if it is still the
    version the editor saw; one audit event, ``said`` of the plan moved."""
    kept = _kept(request, slug)

    def change():
        try:
            done = move(plan_store(request), slug, by=user.full_name, version=_version(kept, version))
        except JobPlanStoreError as error:
            raise actions.ActionError(str(error)) from None
        actions.record_now(
            db,
            user=user,
            action=action,
            subject=f"jobplan:{slug}",
            detail=f"{done.consultant} {done.year}: {said(done)}",
        )
        return done

    return change_then_redirect(
        change, to=f"/job-plans/{slug}", page=partial(_plan_page, request, user, kept)
    )


@router.post("/{slug}/agree")
def agree(
    request: Request,
    slug: str,
    version: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """Agree a proposed plan (the version the editor saw); the consultant's agreed plans for the same
    or an earlier year are superseded and the team's capacity rewritten. The capacity is made first
    (plans that no longer read left out and named), then the state saved, the table written and the
    audit events recorded: a refusal or failure before saving changes nothing."""
    kept = _kept(request, slug)

    def change():
        store = plan_store(request)
        made: dict = {}

        def capacity_first(after: list[KeptPlan]) -> None:
            plans, skipped = _readable(after)
            made.update(frame=capacity_frame(plans), plans=len(plans), skipped=skipped)

        try:
            done, superseded = store.agree(
                slug, by=user.full_name, version=_version(kept, version), before_saving=capacity_first
            )
        except JobPlanStoreError as error:
            raise actions.ActionError(str(error)) from None
        written = _write_capacity(request, made)
        actions.record_now(
            db,
            user=user,
            action="jobplan_agreed",
            subject=f"jobplan:{slug}",
            detail=f"{done.consultant} {done.year}: agreed "
            f"(version {done.versions[-1]['number']}); {written}",
        )
        for old in superseded:
            actions.record_now(
                db,
                user=user,
                action="jobplan_superseded",
                subject=f"jobplan:{old.slug}",
                detail=f"{old.consultant} {old.year}: superseded by {done.year} ({slug})",
            )
        return done

    return change_then_redirect(
        change, to=f"/job-plans/{slug}", page=partial(_plan_page, request, user, kept)
    )


def _write_capacity(request: Request, made: dict) -> str:
    """Replace ``team_capacity`` with the rows made before the agreement was saved; what happened, for
    the audit event (which is recorded whatever happens here)."""
    settings = request.app.state.settings
    left_out = f"; left out, not readable: {'; '.join(made['skipped'])}" if made["skipped"] else ""
    if not settings.warehouse.is_file():
        return "team_capacity not written: no warehouse yet" + left_out
    try:
        with request.app.state.workspace.lock:
            write_frame(settings.warehouse, made["frame"])
    except Exception as error:  # the agreement is saved: its audit event must still be recorded
        return f"team_capacity not written: {_reason(error)}" + left_out
    return f"team_capacity written from {made['plans']} agreed plan(s), {len(made['frame'])} row(s){left_out}"


# --- downloads ----------------------------------------------------------------------------------


def _download(
    db: Session, user: User, kept: KeptPlan, what: str, content: bytes, media: str, filename: str, source=""
):
    """The file as an attachment, its download in the audit log (as a rota's are); ``source``: where the
    check's supplement came from, for the check's workbook."""
    actions.record_capped(
        db,
        user=user,
        action="jobplan_downloaded",
        subject=f"jobplan:{kept.slug}:{what}",
        detail=f"{kept.consultant} {kept.year} ({kept.state}, version {kept.version})"
        + (f"; supplement: {source}" if source else ""),
    )
    plain = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in filename)
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


def _readable_plan(kept: KeptPlan):
    try:
        return kept.plan()
    except Exception as error:  # a file changed by hand: said, never a 500
        raise HTTPException(
            409, f"{kept.consultant} {kept.year} cannot be read: {_reason(error, kept)}"
        ) from None


@router.get("/{slug}/plan.yaml")
def download_plan(
    request: Request, slug: str, user: User = Depends(plan_reader), db: Session = Depends(database)
):
    """The plan as the YAML ``stocktake jobplan check`` reads, with the workspace's state; it reads
    back as the plan shown."""
    kept = _kept(request, slug)
    content = plan_yaml(_readable_plan(kept)).encode()
    return _download(db, user, kept, "yaml", content, "application/yaml", f"{kept.slug}.yaml")


@router.get("/{slug}/check.xlsx")
def download_check(
    request: Request,
    slug: str,
    rota: str = "",
    user: User = Depends(plan_reader),
    db: Session = Depends(database),
):
    """The plan's check as ``stocktake jobplan check --out`` writes it, the supplement measured from the
    rota chosen on the page (the plan's stated frequency when none is, or the consultant is not on it)."""
    kept = _kept(request, slug)
    row = _row(kept, _design(request, rota))
    if "problem" in row:
        raise HTTPException(409, f"{kept.consultant} {kept.year}: {row['problem']}")
    sheets = check_sheets([row["summary"]], {row["plan"].consultant: row["supplement"]})
    with tempfile.TemporaryDirectory(prefix="jobplan-check-") as folder:
        path = write_tables(sheets, Path(folder) / "check.xlsx")
        content = path.read_bytes()
    # the supplement's source in words: "measured from <the rota's name>", "stated in the plan (not on
    # <the rota's name>)", or "no on-call commitment"
    return _download(db, user, kept, "xlsx", content, XLSX, f"{kept.slug}-check.xlsx", row["source"])
