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
