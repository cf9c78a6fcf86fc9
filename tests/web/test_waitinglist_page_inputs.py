"""The Waiting list page's inputs and wording: each field's error under its own field
with the summary linking to it; only plain decimal numbers read from the fields; a long value quoted
short; the 18-week sentence worded as a share; old figures said plainly (the projection still from
the data's month); the board workbook's target weeks as the page shows them."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import test_waitinglist_page as page_tests

from stocktake.report.waitinglist import waiting_list_sheets, warehouse_overview
from stocktake.web.routes import waitinglist as route

# The Waiting list page's demo warehouse (its spine list cut to three) and the figures worked from it.
demo_warehouse, expected = page_tests.demo_warehouse, page_tests.expected
HTMX, _cells = page_tests.HTMX, page_tests._cells


def _summary(page: str) -> str:
    """The target's error summary (its links and words), or "" when there is none."""
    found = re.search(
        r'<div class="nhsuk-error-summary" aria-labelledby="target-error-title".*?</div>\s*</div>', page, re.S
    )
    return found[0] if found else ""


def _group(page: str, field: str) -> str:
    """The form group holding the input whose id is ``field``."""
    groups = page.split('<div class="nhsuk-form-group')
    [group] = [g for g in groups if f'id="{field}" name="{field}"' in g]
    return group.split("</div>")[0]


def _said(text: str) -> str:
    """The text a reader sees: tags dropped, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


@pytest.fixture
def on(monkeypatch):
    """Set the page's today."""

    def move(day: date) -> None:
        monkeypatch.setattr(route, "today", lambda: day)

    return move


# --- 2. each field's error under its own field ---------------------------------------------------


@pytest.mark.parametrize(
    ("by", "words"),
    [
        ("2025-13", "The target month '2025-13' is not a month (YYYY-MM"),
        ("soon", "The target month 'soon' is not a month (YYYY-MM"),
        ("2020-01", "The target month 2020-01 must come after the list's month"),
    ],
)
def test_a_bad_month_is_said_under_the_month_and_the_summary_links_to_it(clients, by, words):
    refused = clients["viewer"].get("/waiting-list", params={"by": by})
    assert refused.status_code == 422
    summary = _summary(refused.text)
    assert re.findall(r'href="#(\w+)"', summary) == ["by"]
    assert words in _said(summary)
    month = _group(refused.text, "by")
    assert "nhsuk-form-group--error" in month and 'id="by-error"' in month and words in _said(month)
    assert 'aria-describedby="by-error"' in month and "nhsuk-input--error" in month
    share = _group(refused.text, "target")
    assert "nhsuk-form-group--error" not in share and "nhsuk-error-message" not in share
    assert f'value="{by}"' in month  # kept as typed


def test_both_fields_wrong_each_under_its_own_in_the_forms_order(clients):
    refused = clients["viewer"].get("/waiting-list", params={"target": "ninety", "by": "2025-13"})
    assert refused.status_code == 422
    assert re.findall(r'href="#(\w+)"', _summary(refused.text)) == ["target", "by"]
    assert "The target share 'ninety' is not a number" in _said(_group(refused.text, "target"))
    assert "The target month '2025-13' is not a month" in _said(_group(refused.text, "by"))
    assert "2025-13" not in _said(_group(refused.text, "target"))


def test_a_bad_share_with_a_good_month_keeps_the_month(clients, expected):
    by = expected["month"] + 6
    refused = clients["viewer"].get("/waiting-list", params={"target": "ninety", "by": str(by)})
    assert refused.status_code == 422
    assert re.findall(r'href="#(\w+)"', _summary(refused.text)) == ["target"]
    assert "nhsuk-form-group--error" not in _group(refused.text, "by")
    assert f"The page shows the capacity for 92% within 18 weeks by {by} instead." in _said(refused.text)


# --- 3 and 4. plain numbers only; a long value quoted short ---------------------------------------


@pytest.mark.parametrize("typed", ["1_0", "١٢", "nan", "inf", "-inf", "1e2", "9 2", "92%%", "++92", "0x5A"])
def test_a_share_that_is_not_a_plain_number_is_refused(clients, typed):
    refused = clients["viewer"].get("/waiting-list", params={"target": typed})
    assert refused.status_code == 422
    assert f"The target share {typed!r} is not a number" in _said(_summary(refused.text))


@pytest.mark.parametrize("typed", ["1_0", "٣", "nan", "inf", "1e1"])
def test_a_setting_that_is_not_a_plain_number_is_refused_and_taken_as_zero(clients, typed):
    refused = clients["viewer"].get("/waiting-list", params={"growth": typed})
    assert refused.status_code == 422
    assert f"Demand growth {typed!r} is not a number" in _said(refused.text)
    assert "Scenario: no change." in _said(refused.text)


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"target": "80.5%"}, "80.5% within 18 weeks by"),
        ({"target": " 85 % "}, "85% within 18 weeks by"),
        ({"growth": "-2.5"}, "Scenario: demand -2.5% a year."),
        ({"validation": ".5"}, "Scenario: 0.5% of the list removed by validation"),
        # a director's check: the page writes "demand +20% a year" and the guide "−10 to 20"
        ({"growth": "+5"}, "Scenario: demand +5% a year."),
        ({"growth": "\u22125"}, "Scenario: demand -5% a year."),
        ({"target": "+90"}, "90% within 18 weeks by"),
    ],
)
def test_plain_decimals_are_still_read(clients, params, said):
    answer = clients["viewer"].get("/waiting-list", params=params)
    assert answer.status_code == 200, _said(_summary(answer.text))
    assert said in _said(answer.text)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"target": "x" * 10_000}, f"The target share '{'x' * 40}…' is not a number"),
        ({"target": "9" * 10_000}, f"The target share '{'9' * 40}…' must be more than 0 and at most 100"),
        ({"by": "2" * 10_000}, f"The target month '{'2' * 40}…' is not a month"),
        ({"growth": "x" * 10_000}, f"Demand growth '{'x' * 40}…' is not a number"),
    ],
    ids=["share", "huge-share", "month", "setting"],
)
def test_a_long_value_is_quoted_short_in_the_error(clients, params, words):
    """The field keeps what was typed (its value attribute); the words quote at most 40 characters."""
    [typed] = params.values()
    refused = clients["viewer"].get("/waiting-list", params=params)
    assert refused.status_code == 422
    said = _said(refused.text)  # the text a reader sees, without the fields' values
    assert words in said and typed[:41] not in said


# --- 5. the 18-week sentence ---------------------------------------------------------------------


def test_the_18_week_sentence_says_it_is_the_share_month_by_month(clients, expected):
    page = _said(clients["viewer"].get("/waiting-list").text)
    assert "In 18 weeks" not in page
    last = (expected["month"] + 12).strftime("%B %Y")
    assert re.search(
        rf"The share of the list waiting within 18 weeks \(month by month in the table below\): "
        rf"[0-9.]+% now, [0-9.]+% \(95% interval [0-9.]+% to [0-9.]+%\) in {last},",
        page,
    )


# --- 6. old figures ------------------------------------------------------------------------------


def test_figures_months_old_are_said_so_and_the_projection_still_runs_from_their_month(
    clients,
    expected,
    on,
):
    month = expected["month"]  # March 2025: it ended on its last day
    on((month + 21).start_time.date() + timedelta(days=2))  # the 3rd, 21 months on: 20 whole months since
    words = month.strftime("%B %Y")
    page = clients["viewer"].get("/waiting-list").text
    said = _said(page)
    assert f"These figures run to {words}, 20 months ago: an editor can load a newer extract" in said
    assert page.index('id="data-age"') < page.index('id="now"')  # near the top
    assert f"The 12 months after {words}" in said and "The next 12 months" not in said
    assert f"Move a setting to see the 12 months after {words} under it" in said
    # Not re-based on today: the projection and the target still from the data's month.
    rows = _cells(page, "projection-table")
    assert rows[0][0] == (month + 1).strftime("%B %Y") and rows[-1][0] == (month + 12).strftime("%B %Y")
    assert (
        f"92% within 18 weeks (the NHS constitutional standard) by {(month + 12).strftime('%B %Y')}" in said
    )
    editor = _said(clients["editor"].get("/waiting-list").text)
    assert "on the Upload data page to see the list as it is now" in editor
    swapped = _said(clients["viewer"].get("/waiting-list", params={"growth": "3"}, headers=HTMX).text)
    assert f"over the 12 months after {words}:" in swapped


@pytest.mark.parametrize(("ahead", "old"), [(1, False), (2, False), (3, True)])
def test_figures_are_old_from_three_months_before_todays_month(clients, expected, on, ahead, old):
    month = expected["month"]
    on((month + ahead).end_time.date())
    said = _said(clients["viewer"].get("/waiting-list").text)
    assert ("These figures run to" in said) is old
    assert ("The next 12 months" in said) is not old


# --- 8. the workbook's target weeks ---------------------------------------------------------------


def test_the_workbooks_target_weeks_are_the_pages(clients, demo_warehouse):
    page = clients["viewer"].get("/waiting-list").text
    shown = {row[0]: row[6] for row in _cells(page, "by-1")}  # by priority: P4's target is a year
    sheet = waiting_list_sheets(warehouse_overview(demo_warehouse))["WL groups"]
    exported = {
        row["Group"]: row["Target (weeks)"] for _, row in sheet[sheet["Group by"] == "priority"].iterrows()
    }
    assert set(shown) == set(exported) and shown["P4"] == "52"
    assert {group: f"{weeks}" for group, weeks in exported.items()} == shown


# --- issue 26, round 2: one error summary; shares in plain decimals --------------------------------


@pytest.mark.parametrize("params", [{"target": "ninety"}, {"by": "2025-13"}, {"target": "0", "by": "soon"}])
def test_a_bad_target_or_month_gives_one_summary_with_links_only(clients, params):
    """base.html's own summary lists an ``errors`` it is given: the page's field errors are not it."""
    page = clients["viewer"].get("/waiting-list", params=params).text
    assert page.count('class="nhsuk-error-summary"') == 1
    assert "There is a problem" not in page
    assert not re.search(r"<li>\s*(target|by)\s*</li>", page)
    assert re.findall(r'href="#(\w+)"', _summary(page)) == [f for f in ("target", "by") if f in params]


@pytest.mark.parametrize("typed", ["0.0000001", "92.125", "0.001"])
def test_a_share_with_more_than_two_decimals_is_refused_not_shown_as_1e_07(clients, typed):
    refused = clients["viewer"].get("/waiting-list", params={"target": typed})
    assert refused.status_code == 422
    said = _said(refused.text)
    assert f"The target share {typed!r} has more than 2 decimal places" in said
    assert "e-0" not in said and "1e-07" not in refused.text


@pytest.mark.parametrize(("typed", "shown"), [("92.25", "92.25"), ("0.01", "0.01"), ("100", "100")])
def test_a_share_with_up_to_two_decimals_reads_back_as_typed(clients, typed, shown):
    answer = clients["viewer"].get("/waiting-list", params={"target": typed})
    assert answer.status_code == 200, _said(_summary(answer.text))
    assert f"{shown}% within 18 weeks by" in _said(answer.text)
    assert f'value="{shown}"' in _group(answer.text, "target")


def test_a_setting_finer_than_a_hundredth_reads_back_plainly(clients):
    page = clients["viewer"].get("/waiting-list", params={"growth": "0.0000001"}).text
    assert "e-07" not in page and "e-0" not in _said(page)
    assert "Scenario: no change." in _said(page)


def test_a_new_target_beyond_what_the_server_works_out_at_once_is_asked_again(app, clients, expected):
    """A security check: 60 new targets at once held every request thread and database connection,
    and other people's pages waited 36 s or failed. Beyond two worked out at once, a new target is
    refused at once (429), the page showing the default target meanwhile; then it is answered."""
    by = str(expected["month"] + 7)
    held = app.state.targets_at_once
    assert held.acquire(blocking=False) and held.acquire(blocking=False)
    try:
        busy = clients["viewer"].get("/waiting-list", params={"target": "77", "by": by})
    finally:
        held.release()
        held.release()
    assert busy.status_code == 429
    said = _said(busy.text)
    assert "working out other targets just now: ask for this one again shortly" in said
    assert "92% within 18 weeks" in said  # the default answer meanwhile
    again = clients["viewer"].get("/waiting-list", params={"target": "77", "by": by})
    assert again.status_code == 200 and "77% within 18 weeks by" in _said(again.text)
