"""The board report built in the background: a build runs through its steps to done, a second
request joins it (another choice waits), the files are the report for the month and site chosen
(its last month is the one chosen, its source line names the department, trust and site), each
build and download is in the audit log, and a failed build says why and replaces nothing."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import AuditEvent
from stocktake.settings import Settings
from stocktake.web.app import create_app
from stocktake.web.report_jobs import DONE, FAILED, RUNNING, WAITING, ReportJobs, ReportOptions

PASSWORD = "a long enough password, kettle"
DEPARTMENT, TRUST = "Trauma & Orthopaedics", "St Elsewhere NHS Foundation Trust"


@pytest.fixture(scope="module")
def app(tmp_path_factory, demo_warehouse):
    """A workspace whose home names its department and trust, as a report's source line should."""
    home = tmp_path_factory.mktemp("reports-workspace")
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    settings = Settings(
        home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}", department=DEPARTMENT, trust=TRUST
    )
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        for role in ("viewer", "editor"):
            actions.create_user(
                db, by=None, username=role, full_name=f"A {role}", password=PASSWORD, role=role
            )
    return app


def _options(page: str, name: str) -> list[str]:
    select_ = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return [v for v in re.findall(r'<option value="([^"]*)"', select_) if v]


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(
            db.scalars(
                select(AuditEvent)
                .options(joinedload(AuditEvent.user))
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


def test_a_build_runs_its_steps_is_joined_and_gives_the_report_chosen(app, sign_in_as):
    viewer, editor = sign_in_as("viewer"), sign_in_as("editor")
    page = viewer.get("/reports").text
    months, sites = _options(page, "period"), _options(page, "site")
    assert months == sorted(months, reverse=True) and len(sites) >= 2
    period, site = months[3], sites[1]  # three months before the latest, at one site
    chosen = {"period": period, "site": site}

    answer = viewer.post("/reports/build", data=chosen | {"csrf_token": viewer.csrf}, follow_redirects=False)
    assert answer.status_code == 303
    joined = editor.post(
        "/reports/build", data=chosen | {"csrf_token": editor.csrf}, headers={"HX-Request": "1"}
    )
    assert joined.status_code == 200 and "In progress" in joined.text  # the same job's progress
    assert 'hx-trigger="every 1s"' in joined.text and 'hx-swap-oob="innerHTML"' in joined.text
    other = editor.post("/reports/build", data={"period": months[0], "csrf_token": editor.csrf})
    assert other.status_code == 409 and "is being built" in other.text  # one build at a time
    other = editor.post(
        "/reports/build", data={"period": months[0], "csrf_token": editor.csrf}, headers={"HX-Request": "1"}
    )  # htmx swaps no 409: told in the progress area instead
    assert other.status_code == 200 and "The report was not started" in other.text
    assert "<html" not in other.text

    job = app.state.report_jobs.wait(timeout=900)
    assert job.state == DONE, job.error
    assert [s.state for s in job.steps] == [DONE] * 4 and all(s.seconds > 0 for s in job.steps)
    assert job.options == ReportOptions(period, site) and job.requested_by == "A viewer"
    finished = viewer.get("/reports/job")
    assert "Built in" in finished.text and "every 1s" not in finished.text  # polling stops
    assert viewer.get("/reports/job", params={"seen": job.version}).status_code == 204  # nothing new

    # The files kept for this choice: its last month is the month chosen, at the site chosen. The
    # finished build's card and the list of reports built link to the same files.
    page = viewer.get("/reports").text
    assert "/reports/built//" not in page
    month_name = datetime.strptime(period, "%Y-%m").strftime("%B %Y")
    assert f"To {month_name}, {site}</td>" in page  # names as written, not "To january 2025, riverside"
    card, link = re.findall(r'href="(/reports/built/\w+/stocktake\.xlsx)"', page)
    assert card == link
    download = viewer.get(link)
    assert download.headers["content-disposition"].endswith(f'stocktake-{period}-{site}.xlsx"')
    book = load_workbook(io.BytesIO(download.content))
    assert book["Summary"]["A2"].value == f"{DEPARTMENT}, {TRUST}, {site}"  # the source line
    periods = [row[3] for row in book["Series"].iter_rows(min_row=2, values_only=True)]
    assert max(periods).strftime("%Y-%m") == period
    assert datetime.strptime(period, "%Y-%m").strftime("%B %Y") in book["Summary"]["A1"].value
    pdf = viewer.get(link.replace(".xlsx", ".pdf"))
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    html = viewer.get(link.replace(".xlsx", ".html")).text
    assert f"{DEPARTMENT}, {TRUST}, {site}" in html.replace("&amp;", "&")

    # Every build and download in the audit log, by whom.
    assert [e.user.username for e in _events(app, "report_build_started")] == ["viewer"]
    assert [e.user.username for e in _events(app, "report_build_joined")] == ["editor"]
    [built] = _events(app, "report_built")
    assert built.user.username == "viewer" and site in built.detail
    downloads = _events(app, "report_downloaded")
    assert [e.subject.rsplit(":", 1)[1] for e in downloads] == ["xlsx", "pdf", "html"]


def test_a_month_or_site_not_offered_is_refused_and_nothing_starts(app, sign_in_as):
    viewer = sign_in_as("viewer")
    before = app.state.report_jobs.current() if hasattr(app.state, "report_jobs") else None
    for form, said in (({"period": "2099-01"}, "Month: choose"), ({"site": "Nowhere"}, "Site: choose")):
        answer = viewer.post("/reports/build", data=form | {"csrf_token": viewer.csrf})
        assert answer.status_code == 422 and said in answer.text
    assert (app.state.report_jobs.current() if hasattr(app.state, "report_jobs") else None) == before


def test_downloads_and_progress_need_a_signed_in_user(app, sign_in_as):
    anonymous = sign_in_as(None)
    for path in ("/reports/job", "/reports/built/0123456789abcdef/stocktake.pdf"):
        assert anonymous.get(path, follow_redirects=False).headers["location"].startswith("/sign-in")
    assert sign_in_as("viewer").get("/reports/built/0123456789abcdef/stocktake.pdf").status_code == 404


def test_a_direct_download_waits_its_turn_and_too_many_are_refused(app, sign_in_as):
    """An outside check: six PDFs asked at once (7 s each, built in the request) held both cores and the
    workspace's lock for a minute. One is built at a time, a few wait their turn (a director's Excel
    asked just after their PDF), and beyond them, or after the wait, 429 and why: a page for a browser,
    a line for a script (whose `curl -o report.pdf` must not save a page)."""
    from stocktake.web.report_jobs import DownloadTurns

    viewer = sign_in_as("viewer")
    kept, app.state.download_turns = app.state.download_turns, DownloadTurns(queued=1, wait_seconds=0.2)
    turns = app.state.download_turns
    try:
        assert turns.take()  # a download being built
        page = viewer.get("/reports/stocktake.xlsx", headers={"Accept": "text/html,*/*"})
        line = viewer.get("/reports/stocktake.xlsx", headers={"Accept": "*/*"})
        turns.give_back()
        served = viewer.get("/reports/stocktake.xlsx")
    finally:
        app.state.download_turns = kept
    assert page.status_code == line.status_code == 429 and page.headers["Retry-After"] == "30"
    assert "Other reports are being built for download just now" in page.text and "<html" in page.text
    assert line.text.startswith("Other reports are being built") and "<" not in line.text
    assert served.status_code == 200 and served.content.startswith(b"PK")
    with app.state.sessions() as db:  # each refusal recorded (capped), as every refusal is
        refusals = db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "request_refused", AuditEvent.subject == "report:xlsx"
            )
        ).all()
    assert len(refusals) >= 2 and refusals[-1].detail == "429: other reports being built"


def test_download_turns_queue_a_few_and_refuse_the_rest():
    import threading

    from stocktake.web.report_jobs import DownloadTurns

    turns = DownloadTurns(queued=1, wait_seconds=5)
    assert turns.take()  # building
    waited = []
    second = threading.Thread(target=lambda: waited.append(turns.take()))
    second.start()
    while turns._admitted._value:  # the second is admitted and waiting
        pass
    assert not turns.take()  # a third: refused at once, the queue full
    turns.give_back()
    second.join(5)
    assert waited == [True]  # the second built in its turn
    turns.give_back()
    assert turns.take()  # and the turns are free again
    turns.give_back()


def test_a_failed_build_says_why_and_keeps_the_last_report(tmp_path):
    kept = tmp_path / ReportOptions().key
    kept.mkdir()
    (kept / "stocktake.pdf").write_bytes(b"%PDF the last one")
    about = {
        "period": None,
        "site": None,
        "built_at": "2026-12-01T09:00:00+00:00",
        "built_by": "A",
        "seconds": 60,
    }
    (kept / "about.json").write_text(json.dumps(about))
    told = []

    def no_data(options):
        raise ValueError("no data for any measure (no extract of theirs is loaded)")

    jobs = ReportJobs(tmp_path, stocktake=no_data, finished=told.append)
    job, joined = jobs.start(ReportOptions(), by="A lead", user_id=1)
    assert not joined and job.state == RUNNING
    job = jobs.wait(timeout=30)
    assert job.state == FAILED and told == [job]
    assert (
        job.error
        == "Computing the stock-take: ValueError: no data for any measure (no extract of theirs is loaded)"
    )
    assert [s.state for s in job.steps] == [FAILED, WAITING, WAITING, WAITING]
    [last] = jobs.built()
    assert jobs.read(last.folder.name, "pdf")[1] == b"%PDF the last one"
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]  # no half-built folder left behind


@pytest.mark.parametrize(("field", "typed"), [("period", "9434765919"), ("site", "943 476 5919")])
def test_an_nhs_number_typed_into_the_build_form_is_shown_masked(app, sign_in_as, field, typed):
    """A third outside check: a hand-made request's month or site came back whole in the refusal
    ("Month: choose one of the months listed, not '9434765919'"). Every form's NHS numbers are now
    refused by field where the form is first read (``web.form_text``), before the route."""
    viewer = sign_in_as("viewer")
    refused = viewer.post("/reports/build", data={field: typed, "csrf_token": viewer.csrf})
    assert refused.status_code == 422 and f"{field}: holds what reads as an NHS number" in refused.text
    assert "9434765919" not in refused.text and "943 476 5919" not in refused.text


def test_a_poll_for_a_job_the_server_no_longer_has_is_told_so_and_stops(app, sign_in_as, monkeypatch):
    """A page polls every second while its job runs; after a restart the server has no job, and the
    204 it gave kept the page polling for ever (each poll renewing the session, so it never went idle).
    Now the poll is answered with htmx's stop-polling status and a sentence to show in its place."""
    for registry in ("report_jobs", "rota_jobs"):  # as after a restart: made afresh on first use
        monkeypatch.delattr(app.state, registry, raising=False)
    viewer = sign_in_as("viewer")
    for path, what in (("/reports/job", "report build"), ("/rotas/job", "rota job")):
        answer = viewer.get(path, params={"seen": "3"})
        assert answer.status_code == 286, path
        assert f"The {what} this page was following stopped when the server restarted" in answer.text
        assert "every 1s" not in answer.text


def test_a_download_waits_its_turn_holding_no_database_connection(app, sign_in_as):
    """An outside check: 80 report requests at once from one viewer left every worker thread waiting
    for a pooled connection, held by requests waiting for a thread (the user's read kept its
    connection to the end of the request), and another user's page failed after 30 s. The user is
    read and the connection given back before the route runs; a download waits its turn without one."""
    from stocktake.web.report_jobs import DownloadTurns

    pool = app.state.sessions.kw["bind"].pool
    held = []

    class Watched(DownloadTurns):
        def take(self) -> bool:
            held.append(pool.checkedout())
            return False  # refused: all this test needs is the moment of waiting

    viewer = sign_in_as("viewer")
    kept, app.state.download_turns = app.state.download_turns, Watched()
    try:
        board = viewer.get("/reports/stocktake.xlsx", headers={"Accept": "*/*"})
    finally:
        app.state.download_turns = kept
    assert board.status_code == 429
    assert held == [0]
