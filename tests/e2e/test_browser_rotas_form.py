"""The rota form in a real browser: an editor opens it from the Rotas page, adds a row, types a small
rota with one mistake, sees the mistake named by row and field with everything typed still there,
corrects it and builds the rota (its progress polled by htmx). axe-core (WCAG 2.2 AA) on each page.
The browser, server and checks are test_browser.py's own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_browser import (  # noqa: F401
    _accessibility_violations,
    _signed_in,
    browser,
    server,
)

pytestmark = pytest.mark.e2e

DOCTORS = (("A", "Dr Ada"), ("B", "Dr Bo"), ("C", "Dr Cy"))
#: Two shift types: a weekday day shift, and a non-resident on-call Monday to Thursday (no weekend).
SHIFTS = (
    {"id": "day", "label": "Day", "site": "Northgate", "start": "08:00", "end": "17:00", "days": "weekdays"},
    {
        "id": "oc",
        "label": "On call",
        "site": "Northgate",
        "start": "17:00",
        "end": "08:00",
        "days": "Mon-Thu",
    },
)


def test_an_editor_builds_a_small_rota_from_the_form(browser, server):  # noqa: F811
    page = _signed_in(browser, server, "editor")
    page.goto(f"{server}/rotas")
    page.get_by_role("link", name="Build a rota from a form").click()
    page.wait_for_selector("#rota-form")
    assert _accessibility_violations(page) == []
    start = date.today() + timedelta(days=21 - date.today().weekday())
    page.locator("#name").fill("Form rota")
    page.locator("#start").fill(start.isoformat())
    page.locator("#weeks").fill("2")
    for index, (doctor, name) in enumerate(DOCTORS):
        page.locator(f"#doctors-{index}-id").fill(doctor)
        page.locator(f"#doctors-{index}-name").fill(name)
        page.locator(f"#doctors-{index}-sites").fill("Northgate")
    page.locator("#doctors-1-wte").fill("150%")  # the mistake
    # Add a row (a submit button, no script needed): the form comes back one row longer, text kept.
    page.get_by_role("button", name="Add a row to Doctors").click()
    page.wait_for_selector("#doctors-3-id")
    assert page.locator("#doctors-0-id").input_value() == "A"
    for index, shift in enumerate(SHIFTS):
        for key, value in shift.items():
            page.locator(f"#shifts-{index}-{key}").fill(value)
    page.locator("#shifts-1-kind").select_option("on_call")
    page.locator("#shifts-1-expected_hours").fill("3")
    page.locator("#patterns-0-name").fill("1:3 on call")
    page.locator("#patterns-0-one_in").fill("3")
    page.locator("#patterns-0-shifts").fill("oc")
    page.locator("#patterns-0-doctors").fill("A, B, C")
    page.locator("#seconds").fill("5")
    page.locator("#build-from-form").click()
    page.wait_for_selector("#form-problems")
    assert (
        "Doctors, row 2, WTE: '150%' is not a whole-time equivalent"
        in page.locator("#form-problems").inner_text()
    )
    assert page.locator("#patterns-0-doctors").input_value() == "A, B, C"  # nothing typed is lost
    assert _accessibility_violations(page) == []
    page.locator("#form-problems a").first.click()  # the summary's link goes to the field
    page.locator("#doctors-1-wte").fill("80%")
    page.locator("#build-from-form").click()
    page.get_by_role("link", name="See the rota").click(timeout=60_000)
    page.wait_for_selector("#fairness-table")
    assert "No breach of any rule checked." in page.content()
    assert "1:3 on call" in page.content()  # the pattern's frequencies
    assert _accessibility_violations(page) == []
    assert page.script_errors == []
