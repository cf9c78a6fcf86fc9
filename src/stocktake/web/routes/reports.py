"""Board-ready reports of the stock-take as the workspace shows it (the department's own targets and
change dates): HTML, PDF and Excel, with small numbers suppressed.

"Build the board report" starts a background job (``report_jobs``) for a chosen month and site; the
page asks for its progress every second and lists the last report built for each choice, to
download. Every build and download is in the audit log. The direct downloads
(``/reports/stocktake.{fmt}``, built while the request waits) stay for scripts and links.
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.report.run import with_board_sections, write_stocktake
from stocktake.web.clock import local_time
from stocktake.web.pages import render
from stocktake.web.report_jobs import DONE, Busy, ReportJob, ReportJobs, ReportOptions
from stocktake.web.security import database, viewer
from stocktake.web.templating import STOP_POLLING, templates

router = APIRouter(prefix="/reports")
MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MONTHS_OFFERED = 36
_JOBS_LOCK = threading.Lock()


def report_jobs(request: Request) -> ReportJobs:
    """The app's one ``ReportJobs``, made on first use; its reports are kept in the home."""
    app = request.app
    with _JOBS_LOCK:
        if not hasattr(app.state, "report_jobs"):
            app.state.report_jobs = ReportJobs(
                app.state.settings.reports / "web",
                stocktake=lambda options: _stocktake(app, options),
                finished=lambda job: _record_end(app, job),
            )
        return app.state.report_jobs


def _stocktake(app, options: ReportOptions):
    """The stock-take the workspace shows; the department-wide report also compares its sites and
    lists procurement opportunities, as ``stocktake report`` does."""
    workspace = app.state.workspace
    with app.state.sessions() as db:
        taken = workspace.stocktake(db, site=options.site, period=options.period)
    if options.site is not None:
        return taken
    last = pd.Period(options.period, freq="M") if options.period else None
    by_site = workspace.series("site") if "site" in workspace.catalogue.dimensions else {}
    with workspace.lock:  # uploads hold it while they write the warehouse
        return with_board_sections(taken, workspace.catalogue, by_site, workspace.warehouse, last)


def _record_end(app, job: ReportJob) -> None:
    with app.state.sessions() as db:
        actions.record_now(
            db,
            user=db.get(User, job.user_id),
            action="report_built" if job.state == DONE else "report_build_failed",
            subject=f"report:{job.options.key}",
            detail=job.options.describe()
            + (f" in {job.seconds:.0f} s" if job.state == DONE else f": {job.error}"),
        )


@router.get("")
def reports_page(request: Request, user: User = Depends(viewer)):
    return _page(request, user)


def _page(
    request: Request,
    user: User,
    *,
    status_code: int = 200,
    chosen: ReportOptions | None = None,
    errors=(),
):
    jobs = report_jobs(request)
    months, sites = _choices(request)
    job = jobs.current()
    return render(
        request,
        "reports.html",
        user,
        status_code=status_code,
        title="Reports",
        formats=MEDIA,
        months=months,
        sites=sites,
        chosen=chosen or ReportOptions(),
        job=job,
        job_built=_job_built(request, job),
        built=jobs.built(),
        errors=list(errors),
        local_time=local_time,
    )


def _choices(request: Request) -> tuple[list[tuple[str, str]], list[str]]:
    """The months a report can end at (the latest first) and the sites, from the warehouse."""
    workspace = request.app.state.workspace
    try:
        periods = {p for frame in workspace.series().values() for p in frame["period"]}
        sites = workspace.groups("site")
    except FileNotFoundError:  # no warehouse yet
        return [], []
    months = sorted({pd.Timestamp(p).strftime("%Y-%m") for p in periods}, reverse=True)[:MONTHS_OFFERED]
    return [(m, pd.Timestamp(f"{m}-01").strftime("%B %Y")) for m in months], sites


@router.post("/build")
def build(
    request: Request,
    period: str = Form(""),
    site: str = Form(""),
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """Start a build (or join the one running for the same choice); the page shows its progress."""
    months, sites = _choices(request)
    chosen = ReportOptions(period or None, site or None)
    problems = []
    if period and not (re.fullmatch(r"\d{4}-\d{2}", period) and period in dict(months)):
        problems.append(f"Month: choose one of the months listed, not {mask_nhs_numbers(period[:20])!r}")
    if site and site not in sites:
        problems.append(f"Site: choose one of the sites listed, not {mask_nhs_numbers(site[:40])!r}")
    if not months:
        problems.append("There is no data yet: upload extracts first.")
    if problems:
        return _refused(request, user, 422, chosen, problems)
    try:
        job, joined = report_jobs(request).start(chosen, by=user.full_name, user_id=user.id)
    except Busy as busy:
        return _refused(request, user, 409, chosen, [str(busy)])
    action = "report_build_joined" if joined else "report_build_started"
    actions.record_now(db, user=user, action=action, subject=f"report:{chosen.key}", detail=chosen.describe())
    if request.headers.get("HX-Request"):
        return _progress(request, job)
    return RedirectResponse("/reports", status_code=303)


def _refused(request: Request, user: User, status: int, chosen: ReportOptions, problems: list[str]):
    """The page with what is wrong; to htmx, which swaps no error answer, the list alone as a 200
    into the progress area, so the problem is shown rather than nothing happening."""
    if request.headers.get("HX-Request"):
        return templates.TemplateResponse(request, "_report_problems.html", {"errors": problems})
    return _page(request, user, status_code=status, chosen=chosen, errors=problems)


@router.get("/job")
def job_progress(request: Request, seen: str = "", user: User = Depends(viewer)):
    """The build's progress, for the page's poll: 204 (nothing to swap) while nothing has changed."""
    job = report_jobs(request).current()
    if job is None:  # the server restarted: said, and the poll stopped (it would renew the session forever)
        return templates.TemplateResponse(
            request, "_job_gone.html", {"what": "report build"}, status_code=STOP_POLLING
        )
    if job.version == seen:
        return Response(status_code=204)
    return _progress(request, job)


def _progress(request: Request, job: ReportJob):
    return templates.TemplateResponse(
        request,
        "_report_job.html",
        {"job": job, "job_built": _job_built(request, job), "oob": True, "local_time": local_time},
    )


def _job_built(request: Request, job: ReportJob | None):
    """The files a finished build kept, for its card's download links (the page's own list of
    reports built is another variable: the card once read that list and linked to nothing)."""
    return report_jobs(request).kept(job.options.key) if job is not None and job.state == DONE else None


@router.get("/built/{key}/stocktake.{fmt}")
def download_built(
    request: Request, key: str, fmt: str, user: User = Depends(viewer), db: Session = Depends(database)
):
    found = report_jobs(request).read(key, fmt)
    if found is None:
        raise HTTPException(404, "There is no such report: build it on the Reports page.")
    built, content = found
    actions.record_capped(  # a download a client can ask for at will: capped as refusals are
        db,
        user=user,
        action="report_downloaded",
        subject=f"report:{key}:{fmt}",
        detail=built.options.describe(),
    )
    name = f"stocktake-{built.options.period or 'latest'}" + (
        f"-{_slug(built.options.site)}" if built.options.site else ""
    )
    disposition = f'attachment; filename="{name}.{fmt}"'
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "site"


DOWNLOAD_BUSY = (
    "Other reports are being built for download just now; ask again in half a minute, or build this one "
    "with “Build the board report” below and download it when it is done."
)
#: A refused download's line in the audit log.
BUSY_DETAIL = "429: other reports being built"


def busy_for_a_script(reason: str) -> PlainTextResponse:
    """429 as a line: a script's `curl -o report.pdf` must not save the page as its PDF."""
    return PlainTextResponse(reason, status_code=429, headers={"Retry-After": "30"})


def wants_a_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


@router.get("/stocktake.{fmt}")
def download(request: Request, fmt: str, user: User = Depends(viewer), db: Session = Depends(database)):
    if fmt not in MEDIA:
        raise HTTPException(404, f"no report format {fmt!r} (html, pdf or xlsx)")
    turns = request.app.state.download_turns  # one built at a time, a few waiting (an outside check)
    if not turns.take():
        # a refused download is recorded, capped, as every refusal is (a flood of them left no trace)
        actions.record_refusal(db, user=user, subject=f"report:{fmt}", detail=BUSY_DETAIL)
        if not wants_a_page(request):
            return busy_for_a_script(DOWNLOAD_BUSY.split(", or build")[0] + ".")
        refused = _refused(request, user, 429, ReportOptions(), [DOWNLOAD_BUSY])
        refused.headers["Retry-After"] = "30"
        return refused
    try:
        stocktake = _stocktake(request.app, ReportOptions())
        with tempfile.TemporaryDirectory() as folder:
            [path] = write_stocktake(stocktake, Path(folder), (fmt,))
            content = path.read_bytes()
    finally:
        turns.give_back()
    actions.record_capped(db, user=user, action="report_downloaded", subject=f"report:{fmt}")
    disposition = f'attachment; filename="stocktake-{stocktake.entries[0].result.x.max():%Y-%m}.{fmt}"'
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})
