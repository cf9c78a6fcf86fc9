"""Issue 28, outsiders' findings on the funnel page by trust: a crude rate with our counts hidden and
every other trust at 0 events shows the figures and says no funnel can be drawn (it was a 500); a
damaged file kept before is named from the home (never the server's path) with what to do, and an
editor replaces it through the page."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pandas as pd
import pytest

from stocktake.files.peer_figures import keep_peer_figures, kept_peer_figures

OWN = "Northshire NHS Trust"
RATE = "theatre_cases_per_list"  # a crude rate: cases per theatre list
HIP = "hipfx_surgery_36h"
ZEROS = "unit,numerator,denominator\nEastfield Hospital,0,40\nWestbrook General,0,60\n"


@pytest.fixture(scope="module")
def app(app):
    app.state.settings = dataclasses.replace(app.state.settings, trust=OWN)
    return app


def _keep(home, metric: str, text: str, *, proportion: bool):
    keep_peer_figures(
        home,
        metric,
        text.encode(),
        name="girft.csv",
        source="GIRFT pack",
        who="a lead",
        at=datetime(2026, 12, 1, 9, 0),
        proportion=proportion,
    )


def replace_through_the_page(client, home) -> None:
    """An editor keeps one trust's figures for HIP through the funnel page's form, replacing what was kept."""
    answer = client.post(
        f"/metrics/{HIP}/peers",
        data={"csrf_token": client.csrf, "source": "NHFD 2024", "period_from": "", "period_to": ""},
        files={"figures": ("nhfd.csv", b"unit,numerator,denominator\nSouthport Royal,520,640\n", "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[-2000:]
    assert kept_peer_figures(home, HIP, proportion=True).figures.units == ("Southport Royal",)


def test_a_rate_with_ours_hidden_and_no_events_among_peers_is_no_crash(app, clients, monkeypatch):
    workspace, home = app.state.workspace, app.state.settings.home
    _keep(home, RATE, ZEROS, proportion=False)
    real = workspace.series
    ours = pd.DataFrame({"period": [pd.Timestamp("2024-06-01")], "numerator": [3], "denominator": [20]})
    monkeypatch.setattr(
        workspace, "series", lambda by=None: {**real(by), RATE: ours} if by is None else real(by)
    )
    page = clients["viewer"].get(f"/metrics/{RATE}/funnel?by=trust")
    assert page.status_code == 200, page.text[-2000:]
    assert 'id="no-funnel"' in page.text
    assert "no events among the other trusts, so no funnel can be drawn" in page.text
    body = page.text.split('id="our-trust"')[1]
    assert "Eastfield Hospital" in body and "Westbrook General" in body
    assert "3 of 20" not in body and "0.15" not in body  # our hidden 3 of 20 lists shown nowhere
    assert 'id="chart"' not in body and "plotly" not in body


def test_a_damaged_file_is_named_from_the_home_and_replaced_through_the_page(app, clients):
    home = app.state.settings.home
    _keep(home, HIP, "unit,numerator,denominator\nEastfield Hospital,300,400\n", proportion=True)
    (home / "peers" / "figures" / f"{HIP}.json").write_text("{not json")
    page = clients["editor"].get(f"/metrics/{HIP}/funnel?by=trust")
    assert page.status_code == 200
    said = " ".join(page.text.split())
    assert f"peer figures file damaged: peers/figures/{HIP}.json; replace it with stocktake peers set" in said
    assert str(home) not in page.text and "Keep these figures" in page.text
    replace_through_the_page(clients["editor"], home)
    again = clients["viewer"].get(f"/metrics/{HIP}/funnel?by=trust")
    assert again.status_code == 200 and "damaged" not in again.text and 'id="our-trust"' in again.text
