"""Expected counts kept for their months on the funnel page (ADR 54): the months an editor gives are
kept and the comparison counts observed deaths over them; months the data does not hold whole are
not compared, and said; a month written wrong keeps nothing."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from stocktake.files.expected import kept_expected
from stocktake.web.app import create_app

METRIC = "hipfx_mortality_30d"


def _keep(client, text: str, first: str = "", last: str = ""):
    return client.post(
        f"/metrics/{METRIC}/expected",
        data={"by": "site", "csrf_token": client.csrf, "period_from": first, "period_to": last},
        files={"expected": ("case_mix.csv", text.encode(), "text/csv")},
        follow_redirects=False,
    )


def _totals(app, first: pd.Period, last: pd.Period) -> pd.DataFrame:
    frame = app.state.workspace.series("site")[METRIC]
    month = pd.DatetimeIndex(frame["period"]).to_period("M")
    chosen = frame[(month >= first) & (month <= last)]
    totals = chosen.groupby("site")[["numerator", "denominator"]].sum()
    return totals[totals["denominator"] > 0]


def _showing(app, clients):
    """A viewer of the same workspace set to show small numbers to its staff."""
    settings = dataclasses.replace(app.state.settings, drilldown_small_numbers="show")
    client = TestClient(create_app(settings, migrate=False))
    client.cookies = clients["viewer"].cookies
    return client


def _csv(expected: dict[str, float]) -> str:
    return "unit,expected\n" + "".join(f"{s},{e}\n" for s, e in expected.items())


def _ratios(text: str) -> dict[str, float]:
    table = text.split("observed ÷ expected by site</caption>")[1].split("</tbody>")[0]
    return {s: float(r) for s, r in re.findall(r"<tr><td>([^<]+)</td>\s*<td>([0-9.]+)</td>", table)}


def test_counts_for_an_earlier_year_are_said_not_compared_and_those_for_the_latest_year_are(app, clients):
    """Counts kept for a year ending five months before the measure's last month: not compared beside
    the peers table's latest year (subtraction would give months away), and the page says which months
    to keep counts for. Counts for those months, as it happened, read 1 at every site. (The measure's
    17 months: September 2023's 30 days are not in the data, ADR 74.)"""
    held = sorted(
        pd.DatetimeIndex(app.state.workspace.series("site")[METRIC]["period"].unique()).to_period("M")
    )
    first, last = held[-17], held[-6]
    earlier = _csv({site: float(n) for site, n in _totals(app, first, last)["numerator"].items()})
    assert _keep(clients["editor"], earlier, str(first), str(last)).status_code == 303
    assert kept_expected(app.state.settings.home, METRIC).months == (str(first), str(last))
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel").text
    assert f"for {first.strftime('%B %Y')} to {last.strftime('%B %Y')})" in page
    latest = f"{held[-12].strftime('%B %Y')} to {held[-1].strftime('%B %Y')}"
    assert f"Not compared: the expected counts are for {first.strftime('%B %Y')}" in page
    assert f"keep counts for {latest}" in page and "observed ÷ expected by site</caption>" not in page
    assert "They are kept, and not compared now" in page and "sees the comparison below" not in page

    now = _totals(app, held[-12], held[-1])["numerator"]
    assert _keep(clients["editor"], _csv({s: float(n) for s, n in now.items()})).status_code == 303  # default
    assert kept_expected(app.state.settings.home, METRIC).months == (str(held[-12]), str(held[-1]))
    shown = _ratios(_showing(app, clients).get(f"/metrics/{METRIC}/funnel").text)
    assert shown.keys() == set(now.index) and all(np.isclose(r, 1.0) for r in shown.values())


def test_counts_for_months_beyond_the_data_are_not_compared_and_said(app, clients):
    held = sorted(
        pd.DatetimeIndex(app.state.workspace.series("site")[METRIC]["period"].unique()).to_period("M")
    )
    first, last = held[-6], held[-1] + 6
    assert (
        _keep(
            clients["editor"], "unit,expected\nNorthshire General,10\nRiverside,10\n", str(first), str(last)
        ).status_code
        == 303
    )
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel").text
    assert "Not compared: the expected counts are for" in page
    assert "and the data read holds 6 of those 12 months" in page
    assert "observed ÷ expected by site</caption>" not in page
    assert "The expected counts cannot be used" not in page  # kept ahead of a load: said, not an error


def test_counts_kept_ahead_of_a_load_are_not_checked_against_part_of_their_cases(app, clients):
    """An outside check: 40 deaths expected over a year, kept when the data held one of its months,
    was refused as more than that one month's cases."""
    held = sorted(
        pd.DatetimeIndex(app.state.workspace.series("site")[METRIC]["period"].unique()).to_period("M")
    )
    first, last = held[-1], held[-1] + 11
    one_month = _totals(app, first, first)["denominator"]
    big = {site: float(n) + 5 for site, n in one_month.items()}  # more than the one month's cases
    answer = _keep(
        clients["editor"],
        "unit,expected\n" + "".join(f"{s},{e}\n" for s, e in big.items()),
        str(first),
        str(last),
    )
    assert answer.status_code == 303, answer.text
    assert kept_expected(app.state.settings.home, METRIC).months == (str(first), str(last))


def test_a_month_written_wrong_keeps_nothing(app, clients):
    before = kept_expected(app.state.settings.home, METRIC)
    answer = _keep(clients["editor"], "unit,expected\nRiverside,3\n", "2024-13", "2025-01")
    assert answer.status_code == 422
    assert "The months the counts are for, from: &#39;2024-13&#39; is not a month" in answer.text
    answer = _keep(clients["editor"], "unit,expected\nRiverside,3\n", "2024-01", "")
    assert answer.status_code == 422 and "give both the first and the last month" in answer.text
    assert 'name="period_from" type="text" value="2024-01"' in answer.text  # typed, not lost
    answer = _keep(clients["editor"], "unit,expected\nRiverside,3\n", "2024-12", "２０２４-０１")
    assert answer.status_code == 422 and "is not a month" in answer.text
    assert kept_expected(app.state.settings.home, METRIC) == before
