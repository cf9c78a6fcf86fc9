"""Session expiry and the board report in a real browser (the fixtures and checks of
``test_browser.py``), on a workspace whose sessions end after IDLE seconds unused: the warning
before the end and "Stay signed in"; a PDSA cycle typed in when the session ends, sent, signed in
again and found put back, then recorded; an htmx click after the end told so; a board report built
with its progress shown. axe-core WCAG 2.2 AA on each, the warning and progress on screen."""

from __future__ import annotations

import re
import shutil
import threading
import time
from datetime import timedelta

import pytest
import uvicorn
from sqlalchemy import select
from test_browser import CHROMIUM_FLAGS, PASSWORD, _accessibility_violations, _free_port, browser  # noqa: F401

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import User, WebSession
from stocktake.settings import Settings
from stocktake.web.app import create_app

pytestmark = pytest.mark.e2e
IDLE = 24  # seconds: the warning comes a quarter of it before the end, 6 seconds
CYCLE = {"Cycle": "Ring-fenced morning slot", "Plan": "Hold the first slot of each morning list for hips"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_warehouse):
    home = tmp_path_factory.mktemp("expiry-workspace")
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'workspace.sqlite'}",
        idle_timeout=timedelta(seconds=IDLE),
    )
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        actions.create_user(
            db, by=None, username="editor", full_name="A editor", password=PASSWORD, role="editor"
        )
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    running.should_exit = True
    thread.join(timeout=10)


def _page(browser, url: str):  # noqa: F811
    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            m.type == "error" and "Content Security Policy" in m.text and page.script_errors.append(m.text)
        ),
    )
    page.goto(url)
    return page


def _sign_in(page) -> None:
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _project(app) -> int:
    with app.state.sessions() as db:
        editor = db.scalar(select(User).where(User.username == "editor"))
        return actions.create_project(
            db, by=editor, title="Faster to theatre", aim="80% in 36 h", lead="A"
        ).id


def test_a_form_typed_as_the_session_ends_is_put_back_after_signing_in_again(browser, server):  # noqa: F811
    url, app = server
    project = _project(app)
    page = _page(browser, f"{url}/projects/{project}")
    _sign_in(page)
    page.wait_for_url(f"{url}/projects/{project}")
    started = time.monotonic()
    for label, text in CYCLE.items():
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_label("Started on").fill("2024-03-04")
    # The warning, a quarter of the idle time before the end.
    dialog = page.get_by_role("dialog", name="You are about to be signed out")
    dialog.wait_for(state="visible", timeout=(IDLE + 5) * 1000)
    assert time.monotonic() - started <= IDLE  # before the end; how long before depends on the load
    assert "if you do nothing" in dialog.inner_text()
    assert _accessibility_violations(page) == []
    # Then the end: the dialog says so, with a way back to this page.
    ended = page.get_by_role("dialog", name="Your session has ended")
    ended.wait_for(state="visible", timeout=15_000)
    href = ended.get_by_role("button", name="Sign in again").get_attribute("href")
    assert href == f"/sign-in?next=%2Fprojects%2F{project}"
    assert _accessibility_violations(page) == []
    # Sent anyway: to sign in, and back to the form with what was typed.
    ended.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Record cycle").click()
    page.wait_for_url(f"{url}/sign-in**")
    _sign_in(page)
    page.wait_for_url(f"{url}/projects/{project}")
    for label, text in CYCLE.items():
        assert page.get_by_label(label, exact=True).input_value() == text
    assert page.get_by_label("Started on").input_value() == "2024-03-04"
    assert "has been put back" in page.get_by_role("status").filter(has_text="put back").inner_text()
    assert _accessibility_violations(page) == []
    page.get_by_role("button", name="Record cycle").click()
    page.wait_for_load_state()
    assert page.get_by_text(CYCLE["Cycle"]).count() >= 1  # recorded
    page.goto(f"{url}/projects/{project}")
    assert page.get_by_label("Cycle", exact=True).input_value() == ""  # sent: nothing is put back now
    assert page.script_errors == []


def test_stay_signed_in_keeps_the_session(browser, server):  # noqa: F811
    url, _ = server
    page = _page(browser, f"{url}/decisions")
    _sign_in(page)
    page.wait_for_url(f"{url}/decisions")
    signed_in_at = time.monotonic()
    dialog = page.get_by_role("dialog", name="You are about to be signed out")
    dialog.wait_for(state="visible", timeout=(IDLE + 5) * 1000)
    dialog.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")
    time.sleep(max(0.0, IDLE + 2 - (time.monotonic() - signed_in_at)))  # past the end without it
    assert page.evaluate("fetch('/session').then(r => r.json())")["signed_in"] is True
    assert page.script_errors == []


def test_an_htmx_click_after_the_session_ended_says_so(browser, server):  # noqa: F811
    url, app = server
    page = _page(browser, f"{url}/")
    _sign_in(page)
    page.wait_for_url(f"{url}/")
    with app.state.sessions() as db:  # ended on the server (as idling would), the page not told
        db.query(WebSession).delete()
        db.commit()
    page.get_by_label("Area").select_option("Theatres")
    page.get_by_role("dialog", name="Your session has ended").wait_for(state="visible", timeout=10_000)
    assert page.locator(".app-session-ended").count() == 1  # in the swap target too
    assert page.script_errors == []


def test_a_board_report_is_built_with_its_progress_shown(browser, server):  # noqa: F811
    url, _ = server
    page = _page(browser, f"{url}/reports")
    _sign_in(page)
    page.wait_for_url(f"{url}/reports")
    site = page.get_by_label("Site").locator("option").nth(1).get_attribute("value")
    page.get_by_label("Site").select_option(site)
    page.get_by_role("button", name="Build the board report").click()
    card = page.locator("#report-job-card")
    card.get_by_text("In progress").wait_for(timeout=10_000)
    assert "Building the report: step" in page.locator("#report-job-status").inner_text()
    assert _accessibility_violations(page) == []
    # Built, or failed with its reason (said at once, rather than a ten-minute wait for "Built in").
    page.get_by_text(re.compile("Built in|The report could not be built")).first.wait_for(timeout=300_000)
    assert "could not be built" not in card.inner_text(), card.inner_text()
    assert card.locator(".nhsuk-tag", has_text="Done").count() == 4
    assert page.locator("#report-job-status").inner_text() == "The report is built and ready to download."
    pdf = card.get_by_role("link", name="PDF").get_attribute("href")
    assert page.request.get(f"{url}{pdf}").body().startswith(b"%PDF")
    assert _accessibility_violations(page) == []
    assert page.script_errors == []
