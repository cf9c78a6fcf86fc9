"""Drill-downs hide what has 1–7 cases behind it, as exports do, unless the workspace is set to show it."""

from __future__ import annotations

import dataclasses
import re
import warnings

import pytest

from stocktake.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

METRIC = "hipfx_surgery_36h"


def _rows(page: str) -> dict[str, list[str]]:
    """Each group's cells: latest, mean, variation, assurance, cases in the latest period (the
    latest value without the month named under it)."""
    rows = re.findall(r'<tr class="nhsuk-table__row">(.*?)</tr>', page, flags=re.DOTALL)
    cells = [re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, flags=re.DOTALL) for row in rows]
    return {c[0]: [x.split("<br>")[0].strip() for x in c[1:]] for c in cells if len(c) == 6}


@pytest.fixture(scope="module")
def showing(app, clients):
    """A viewer of the same workspace set to show small numbers."""
    settings = dataclasses.replace(app.state.settings, drilldown_small_numbers="show")
    client = TestClient(create_app(settings, migrate=False))
    client.cookies = clients["viewer"].cookies
    return client


def test_a_consultants_latest_value_from_1_to_7_cases_is_hidden(clients, showing):
    url = f"/metrics/{METRIC}/drilldown?by=consultant"
    shown, hidden = _rows(showing.get(url).text), _rows(clients["viewer"].get(url).text)
    assert shown.keys() == hidden.keys()
    small = {g for g, cells in shown.items() if cells[4].isdigit() and 1 <= int(cells[4]) <= 7}
    assert len(small) >= 3  # the demo has several consultants with a handful of cases last month
    for group, cells in hidden.items():
        if group in small:
            assert (cells[0], cells[4]) == ("*", "*"), group
            assert "%" not in cells[0]
        elif (cells[0], cells[4]) == ("*", "*"):  # a partner, so that the total gives no small one away
            assert shown[group][4].isdigit() and int(shown[group][4]) >= 8, group
        else:  # the mean exact, or coarsened where a point of its period is hidden (to a step of the
            # limits' width over its points: 20 points of a percentage for a period of a few months)
            assert cells[:1] + cells[2:] == shown[group][:1] + shown[group][2:], group
            if cells[1] not in (shown[group][1], "*"):
                assert cells[1].startswith("about "), group  # said to be rounded
                number = [float(re.search(r"[0-9.]+", c[1])[0]) for c in (cells, shown[group])]
                assert abs(number[0] - number[1]) <= 5, group  # never coarse beside the limits
    assert "1 to 7 cases behind it, a value read among so few" in clients["viewer"].get(url).text


def test_a_group_with_1_to_7_cases_in_all_shows_only_its_name(app, clients, showing):
    frame = app.state.workspace.series("age_band")[METRIC]
    totals = frame.groupby("age_band")["denominator"].sum()
    tiny = [str(g) for g, n in totals.items() if 1 <= n <= 7]
    assert tiny  # the demo's youngest hip fractures are few
    url = f"/metrics/{METRIC}/drilldown?by=age_band"
    hidden, shown = _rows(clients["viewer"].get(url).text), _rows(showing.get(url).text)
    for group in tiny:
        assert hidden[group] == ["*"] * 5
        assert shown[group][1] != "*"


def test_a_funnel_by_priority_says_why_there_is_none(clients):
    """Priorities are held to their own target times: no funnel, said in words (a recheck read
    "across prioritys"); a consultant's funnel of the same measure is drawn."""
    text = " ".join(clients["viewer"].get("/metrics/rtt_within_18_weeks/funnel?by=priority").text.split())
    assert "cannot be compared across priorities on a funnel plot: each priority is held to its own" in text
    assert "prioritys" not in text
    page = " ".join(clients["viewer"].get("/metrics/rtt_within_18_weeks/funnel?by=consultant").text.split())
    assert "At the end of" in page and "each consultant's patients waiting then" in page
