"""The funnel page of an outcome measure: the expected counts uploaded, observed ÷ expected drawn."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from stocktake.appdb.models import AuditEvent

# --- the funnel page -------------------------------------------------------------------------------


def _upload(client, text: str, metric: str = "hipfx_mortality_30d"):
    return client.post(
        f"/metrics/{metric}/funnel",
        data={"by": "site", "csrf_token": client.csrf},
        files={"expected": ("case_mix.csv", text.encode(), "text/csv")},
    )


def test_the_page_offers_the_upload_for_an_outcome_only(clients):
    viewer = clients["viewer"]
    assert "unit,expected" in viewer.get("/metrics/hipfx_mortality_30d/funnel").text
    assert "Observed against expected" not in viewer.get("/metrics/hipfx_surgery_36h/funnel").text
    assert _upload(viewer, "unit,expected\nA,1\n", "hipfx_surgery_36h").status_code == 404


def test_the_page_draws_observed_over_expected(app, clients):
    viewer = clients["viewer"]
    frame = app.state.workspace.series("site")["hipfx_mortality_30d"]
    recent = frame[frame["period"].isin(sorted(frame["period"].unique())[-12:])]
    deaths = recent.groupby("site")["numerator"].sum()
    deaths = deaths[recent.groupby("site")["denominator"].sum() > 0]
    expected = {site: max(float(n), 1.0) * 0.8 for site, n in deaths.items()}  # everyone 25% above
    page = _upload(viewer, "unit,expected\n" + "".join(f"{s},{e}\n" for s, e in expected.items()))
    assert page.status_code == 200, page.text
    text = page.text
    assert 'id="chart-oe"' in text and "/static/funnel_oe.js" in text
    table = text.split("observed ÷ expected by site</caption>")[1].split("</tbody>")[0]
    shown = dict(re.findall(r"<tr><td>([^<]+)</td>\s*<td>([0-9.]+)</td>", table))
    assert set(shown) == set(expected)
    for site, ratio in shown.items():
        assert float(ratio) == pytest.approx(deaths[site] / expected[site], abs=0.005)
    with app.state.sessions() as session:
        logged = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "funnel_viewed").order_by(AuditEvent.id.desc())
        ).first()
    assert logged.detail == "by site, observed ÷ expected from case_mix.csv"


def test_the_page_refuses_a_bad_file_in_one_line(clients):
    page = _upload(clients["viewer"], "unit,expected\nNorthshire General,none\n")
    assert page.status_code == 422
    assert "case_mix.csv, row 2, column expected: &#39;none&#39; is not a number" in page.text
    unknown = _upload(clients["viewer"], "unit,expected\nNowhere,3\nElsewhere,4\n")
    assert unknown.status_code == 422 and "none of its units (Nowhere, Elsewhere) has cases" in unknown.text


def test_an_nhs_number_in_the_files_name_is_masked_on_the_page_and_in_the_log(app, clients):
    viewer = clients["viewer"]
    sites = app.state.workspace.groups("site")
    answer = viewer.post(
        "/metrics/hipfx_mortality_30d/funnel",
        data={"by": "site", "csrf_token": viewer.csrf},
        files={
            "expected": (
                "9434765919.csv",
                "".join(["unit,expected\n", *(f"{s},5\n" for s in sites)]).encode(),
            )
        },
    )
    assert answer.status_code == 200 and "4765919" not in answer.text
    with app.state.sessions() as db:
        details = [
            e.detail or "" for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "funnel_viewed"))
        ]
    assert details and not any("4765919" in d for d in details)
