"""The workspace on a phone (390 px wide, issue 25), in a real browser with the fixtures and checks of
``test_browser.py``: every page an admin can open fits the screen's width (a wide table scrolls in
its own container instead) and has no serious or critical axe-core violation; finding what is going
backwards takes one click on the overview; a chart is exported for slides from its metric page."""

from __future__ import annotations

import io
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select
from test_browser import CHROMIUM_FLAGS, PASSWORD, _free_port, browser  # noqa: F401

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import User
from stocktake.qi.compliance import Measured
from stocktake.settings import Settings
from stocktake.web.app import NODE_MODULES, create_app

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
METRIC = "hipfx_surgery_36h"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: What sticks out past the right edge, for the failure message: the widest few elements.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right).slice(0, 4)
  .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
    + ` ${Math.round(e.getBoundingClientRect().right)}px`)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_warehouse):
    home = tmp_path_factory.mktemp("phone-workspace")
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'workspace.sqlite'}",
        department="Trauma & Orthopaedics",
        trust="Demo NHS Foundation Trust",
    )
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        actions.create_user(
            db, by=None, username="admin", full_name="A admin", password=PASSWORD, role="admin"
        )
        ids = _records(db, db.scalar(select(User).where(User.username == "admin")))
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ids
    running.should_exit = True
    thread.join(timeout=10)


def _records(db, admin: User) -> dict[str, int]:
    """A project, a decision and an audit with a cycle and an action, with long words in them, so
    their pages have what a department's would."""
    long = "Ring-fenced-morning-trauma-slot-for-hip-fractures-with-orthogeriatric-review"
    project = actions.create_project(
        db, by=admin, title=f"Faster to theatre {long}", aim="80% in 36 h", lead="A"
    )
    actions.add_measure(db, by=admin, project_id=project.id, metric_id=METRIC, kind="outcome")
    decision = actions.record_decision(
        db,
        by=admin,
        decided_on=date(2024, 5, 14),
        title="Add a Saturday trauma list",
        rationale=f"Breaches cluster after Friday admissions: {long}",
        decided_by="T&O governance",
        evidence="https://example.nhs.uk/a/very/long/link/to/the/governance/minutes/of/may/2024.pdf",
        metric_id=METRIC,
    )
    audit = actions.create_audit(
        db,
        by=admin,
        title="Consent forms complete",
        standard="GMC consent guidance 2020",
        criteria=[("Risks written on the form", 95.0), ("Patient's signature and date", 100.0)],
    )
    criteria = [c.id for c in audit.criteria]
    actions.add_audit_cycle(
        db,
        by=admin,
        audit_id=audit.id,
        label="First cycle",
        started_on=date(2024, 1, 1),
        ended_on=date(2024, 3, 31),
        sample="40 consecutive elective cases",
        results={criteria[0]: Measured(40, 31), criteria[1]: Measured(40, 38)},
    )
    cycle = db.get(type(audit), audit.id).cycles[0].id
    actions.add_audit_action(
        db,
        by=admin,
        cycle_id=cycle,
        what=f"Teach the consent form {long}",
        owner="A lead",
        due_on=date(2024, 6, 1),
    )
    return {"project": project.id, "decision": decision.id, "audit": audit.id}


@pytest.fixture(scope="module")
def phone(browser, server):  # noqa: F811
    base, _ = server
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    yield page
    context.close()


def _pages(ids: dict[str, int]) -> list[str]:
    return [
        "/",
        f"/metrics/{METRIC}",
        f"/metrics/{METRIC}/drilldown?by=site",
        f"/metrics/{METRIC}/drilldown?by=consultant",
        f"/metrics/{METRIC}/funnel?by=consultant",
        f"/metrics/{METRIC}/comments",
        "/projects",
        f"/projects/{ids['project']}",
        "/decisions",
        f"/decisions/{ids['decision']}",
        "/audits",
        f"/audits/{ids['audit']}",
        "/procurement",
        "/waiting-list",
        "/reports",
        "/uploads",
        "/account",
        "/admin/users",
        "/admin/audit-log",
        "/admin/mapping",
    ]


def _serious_violations(page) -> list[str]:
    page.wait_for_load_state("load")  # as in test_browser: styles in place before contrast is judged
    page.evaluate(AXE.read_text())
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => `${v.id}: ${v.help} (${v.nodes.length}) ${v.nodes[0].target}`)",
        WCAG_22_AA,
    )


def test_every_page_fits_a_phone_and_has_no_serious_accessibility_problem(phone, server):
    base, ids = server
    problems = {}
    for path in _pages(ids):
        answer = phone.goto(f"{base}{path}")
        assert answer.status == 200, path
        phone.wait_for_load_state("load")
        width = phone.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"] + 1:
            problems[path] = f"{width} px wide: {phone.evaluate(OVERFLOWING)}"
        found = _serious_violations(phone)
        if found:
            problems[f"{path} (axe)"] = found
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_going_backwards_is_one_click_from_the_overview(phone, server):
    base, _ = server
    phone.goto(f"{base}/")
    link = phone.locator(".verdict-count--going_backwards a")
    count = int(link.locator(".verdict-count__number").inner_text())
    link.click()
    phone.wait_for_url("**verdict=going_backwards**")
    assert phone.locator("#overview-table tbody tr").count() == count >= 1
    assert "Going backwards" in phone.locator("#overview-table caption").inner_text()
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"] + 1


def test_a_chart_is_exported_for_slides_from_its_page(phone, server):
    from PIL import Image

    base, _ = server
    phone.goto(f"{base}/metrics/{METRIC}")
    with phone.expect_download() as png:
        phone.get_by_role("link", name="Download the chart as PNG for slides").click()
    assert png.value.suggested_filename.startswith(f"{METRIC}-")
    assert Image.open(io.BytesIO(Path(png.value.path()).read_bytes())).size == (1600, 900)
    with phone.expect_download() as svg:
        phone.get_by_role("link", name="Download as SVG for slides").click()
    text = Path(svg.value.path()).read_text(encoding="utf-8")
    assert "Hip fracture surgery within 36 hours of arrival" in text
    assert "Trauma &amp; Orthopaedics, Demo NHS Foundation Trust" in text
