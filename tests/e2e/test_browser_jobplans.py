"""The Job plans pages in a real browser: an editor uploads the worked plan, sees its PAs, proposes
and agrees it; axe-core (WCAG 2.2 AA) on each page. The browser, server and checks are
test_browser.py's own."""

from __future__ import annotations

import pytest
from test_browser import (  # noqa: F401
    _accessibility_violations,
    _signed_in,
    browser,
    server,
)

from stocktake.jobplan.read import EXAMPLE

pytestmark = pytest.mark.e2e


def test_an_editor_uploads_proposes_and_agrees_a_job_plan(browser, server):  # noqa: F811
    page = _signed_in(browser, server, "editor")
    page.goto(f"{server}/job-plans")
    assert _accessibility_violations(page) == []
    page.get_by_label("Job plan (.yaml or .xlsx)").set_input_files(str(EXAMPLE))
    page.get_by_role("button", name="Upload the plan").click()
    page.wait_for_selector("#activity-table")
    # the worked example: 9.82 PAs a week (DCC 7.57, SPA 1.75), as `stocktake jobplan check` says
    assert page.locator("#total-pas").inner_text() == "9.82"
    assert "Draft" in page.locator("#plan-state").inner_text()
    assert _accessibility_violations(page) == []
    page.get_by_role("button", name="Propose this plan").click()
    page.wait_for_selector("text=Agree this plan")
    assert "Proposed" in page.locator("#plan-state").inner_text()
    page.get_by_role("button", name="Agree this plan").click()
    page.wait_for_selector("#plan-state >> text=Agreed")
    assert "by A editor" in page.locator("#plan-state").inner_text()
    assert _accessibility_violations(page) == []
    page.goto(f"{server}/job-plans")
    page.wait_for_selector("#capacity-table")
    assert _accessibility_violations(page) == []
    page.goto(f"{server}/job-plans/compare")
    assert _accessibility_violations(page) == []
    assert page.script_errors == []


def test_an_editor_writes_a_plan_in_the_form_is_refused_then_saves_proposes_and_withdraws(
    browser,  # noqa: F811
    server,  # noqa: F811
):
    page = _signed_in(browser, server, "editor")
    page.goto(f"{server}/job-plans/new")
    assert _accessibility_violations(page) == []
    page.fill("#consultant", "B01")
    page.fill("#year", "2026/27")
    page.select_option("#activities-0-weekday", "Mon")
    page.fill("#activities-0-start", "08:00")
    page.fill("#activities-0-end", "07:00")
    page.fill("#activities-0-activity", "theatre")
    page.get_by_role("button", name="Add 5 rows").click()
    page.wait_for_selector("#activities-24-start")
    page.locator("#save-plan").click()
    page.wait_for_selector("#form-problems")
    assert _accessibility_violations(page) == []
    assert "Timetable, row 1, Ends: 07:00 is not after" in page.locator("#form-problems").inner_text()
    page.fill("#activities-0-end", "12:00")
    page.locator("#save-plan").click()
    page.wait_for_selector("#activity-table")
    assert _accessibility_violations(page) == []
    page.get_by_role("button", name="Propose this plan").click()
    page.wait_for_selector("text=Withdraw the proposal")
    assert _accessibility_violations(page) == []
    page.get_by_role("button", name="Withdraw the proposal").click()
    page.wait_for_selector("text=Propose this plan")
    assert "Draft" in page.locator("#plan-state").inner_text()
    page.goto(f"{server}/job-plans")
    assert _accessibility_violations(page) == []
    assert page.script_errors == []
