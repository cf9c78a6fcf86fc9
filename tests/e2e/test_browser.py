"""The web workspace in a real browser (Debian's Chromium driven by Playwright; no browser download):
sign in, the overview, a drill-down, an upload with an error, a PDSA cycle appearing on its chart,
a viewer refused an edit, and an axe-core accessibility check (WCAG 2.2 AA) of each page visited."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time

import pytest
import uvicorn

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.settings import Settings
from stocktake.web.app import NODE_MODULES, create_app

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough password, kettle"
METRIC = "hipfx_surgery_36h"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_FLAGS = [  # quiet in a closed network, and able to run as root in CI
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_warehouse):
    home = tmp_path_factory.mktemp("browser-workspace")
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        for role in ("viewer", "editor"):
            actions.create_user(
                db, by=None, username=role, full_name=f"A {role}", password=PASSWORD, role=role
            )
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: run make setup")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _signed_in(browser, server, role: str):
    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.script_errors = []  # uncaught errors, and anything the Content Security Policy blocked
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            m.type == "error" and "Content Security Policy" in m.text and page.script_errors.append(m.text)
        ),
    )
    page.goto(f"{server}/")
    assert "/sign-in" in page.url
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/")
    return page


def _accessibility_violations(page) -> list[str]:
    # A click that submits a form returns before the next page has its styles: checked then, the
    # header's links are the browser's default blue on NHS blue (a colour-contrast failure, once in CI).
    page.wait_for_load_state("load")
    page.evaluate(AXE.read_text())  # evaluated, not added as a script tag: the page's CSP allows none
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => `${v.id}: ${v.help} (${v.nodes.length}) ${v.nodes[0].target}`)",
        WCAG_22_AA,
    )
    return found


def test_editor_signs_in_drills_down_uploads_and_records_a_pdsa_cycle(browser, server, tmp_path):
    page = _signed_in(browser, server, "editor")
    # The overview: every measure with its icons, filterable without a reload (htmx).
    assert page.get_by_role("heading", level=1).inner_text().startswith("Trauma & Orthopaedics")
    assert _accessibility_violations(page) == []
    page.get_by_label("Area").select_option("Theatres")
    page.wait_for_url("**area=Theatres**")
    assert page.locator("#overview-table caption").inner_text().endswith("in Theatres")
    # A metric and its drill-down by consultant, loaded into the page.
    page.goto(f"{server}/metrics/{METRIC}")
    page.wait_for_selector("#chart .main-svg")
    page.get_by_role("link", name="By consultant", exact=True).click()
    page.wait_for_selector("#drilldown table")
    assert page.locator("#drilldown tbody tr").count() >= 2
    assert _accessibility_violations(page) == []
    # An upload with an error: listed by row, nothing loaded.
    bad = tmp_path / "nhfd_submission.csv"
    bad.write_text("SPELL_NO,HOSPITAL\nX1,RNS01\n")
    page.goto(f"{server}/uploads")
    page.get_by_label("Dataset").select_option("hip_fractures")
    page.get_by_label("Extract file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and load").click()
    page.wait_for_selector("#row-errors")
    assert "was not loaded" in page.locator(".nhsuk-error-summary").inner_text()
    assert _accessibility_violations(page) == []
    # A QI project measuring the metric; its PDSA cycle shows on the metric's chart.
    page.goto(f"{server}/projects")
    page.get_by_label("Title").fill("Faster to theatre")
    page.get_by_label("Aim").fill("85% of hip fractures operated on within 36 hours")
    page.get_by_role("button", name="Start project").click()
    page.get_by_label("Metric").select_option(METRIC)
    page.get_by_role("button", name="Link measure").click()
    page.get_by_label("Cycle", exact=True).fill("Ring-fenced morning slot")
    page.get_by_label("Started on").fill("2023-03-06")
    page.get_by_role("button", name="Record cycle").click()
    page.wait_for_selector("td:has-text('Ring-fenced morning slot')")
    assert _accessibility_violations(page) == []
    page.get_by_role("link", name="Hip fracture surgery within 36 hours of arrival").click()
    page.wait_for_selector("#chart .main-svg")
    assert page.locator("#chart .annotation-text", has_text="PDSA: Ring-fenced morning slot").count() == 1
    assert page.script_errors == []


def test_a_viewer_sees_no_edit_forms_and_is_refused_an_edit(browser, server):
    page = _signed_in(browser, server, "viewer")
    page.goto(f"{server}/metrics/{METRIC}")
    assert page.get_by_role("button", name="Save target").count() == 0
    page.goto(f"{server}/uploads")
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
    token = page.goto(f"{server}/projects") and page.locator("input[name=csrf_token]").first.get_attribute(
        "value"
    )
    answer = page.request.post(
        f"{server}/metrics/{METRIC}/target", form={"value": "1", "basis": "b", "csrf_token": token}
    )
    assert answer.status == 403
    assert _accessibility_violations(page) == []
    # Their own account, from their name in the header: a viewer may change their own password.
    page.get_by_role("link", name="A viewer (viewer)").click()
    page.wait_for_url(f"{server}/account")
    assert page.get_by_label("New password again").count() == 1
    assert _accessibility_violations(page) == []


def test_an_editor_corrects_a_decision_and_sees_its_history_then_withdraws_it(browser, server):
    page = _signed_in(browser, server, "editor")
    page.goto(f"{server}/decisions")
    page.get_by_label("Decided on").fill("2024-05-14")
    page.get_by_label("What was decided").fill("Add a Saturday trauma lsit")
    page.get_by_label("Why", exact=True).fill("Breaches cluster after Friday admissions")
    page.get_by_label("Decided by").fill("T&O governance")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("link", name="Add a Saturday trauma lsit").click()
    page.get_by_role("link", name="Edit or withdraw this decision").click()
    page.wait_for_url("**/edit")
    assert page.get_by_label("What was decided").input_value() == "Add a Saturday trauma lsit"  # prefilled
    assert _accessibility_violations(page) == []
    page.get_by_label("What was decided").fill("Add a Saturday trauma list")
    page.get_by_label("Why the change (optional)").fill("Typo")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"/decisions/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Add a Saturday trauma list"
    page.get_by_text("History of this decision").click()
    change = page.locator(".record-change").first.inner_text()
    assert "Add a Saturday trauma lsit → Add a Saturday trauma list" in change and "Why: Typo" in change
    assert _accessibility_violations(page) == []
    page.get_by_role("link", name="Edit or withdraw this decision").click()
    page.get_by_label("Why it is withdrawn").fill("Never agreed")
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_url(re.compile(r"/decisions/\d+$"))
    assert "Never agreed" in page.locator(".nhsuk-tag--grey + span").inner_text()
    page.goto(f"{server}/decisions")
    assert page.get_by_role("link", name="Add a Saturday trauma list").count() == 0
    page.get_by_role("link", name="Show withdrawn (1)").click()
    page.wait_for_url("**withdrawn=1")
    assert page.get_by_role("link", name="Add a Saturday trauma list").count() == 1
    assert _accessibility_violations(page) == []
    assert page.script_errors == []
