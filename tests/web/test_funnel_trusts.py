"""The funnel page by trust (ADR 39): an editor keeps other trusts' published figures; every viewer
then sees the department's trust among them, its counts taken from the warehouse over the figures'
months (counted here straight from the hip-fracture records), its label worked by hand; a period the
warehouse does not hold is said; a viewer cannot keep figures (403, logged); a bad file writes
nothing."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re

import duckdb
import pandas as pd
import pytest
from scipy.stats import norm
from sqlalchemy import select

from stocktake.appdb.models import AuditEvent
from stocktake.files.peer_figures import kept_peer_figures, withdrawn_peer_figures

METRIC = "hipfx_surgery_36h"
OWN = "Northshire NHS Trust"
SOURCE = "NHFD 2024 annual report, table 3"


@pytest.fixture(scope="module")
def app(app):
    """The demo workspace, its home naming the department's trust."""
    app.state.settings = dataclasses.replace(app.state.settings, trust=OWN)
    return app


@pytest.fixture(scope="module")
def home(app):
    return app.state.settings.home


@pytest.fixture(scope="module")
def last_year(app) -> tuple[str, str]:
    months = sorted(app.state.workspace.series()[METRIC]["period"])[-12:]
    return f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}"


def operated_in_time(warehouse, first: str, last: str) -> tuple[int, int]:
    """The trust's patients operated on within 36 hours of arrival, and all its patients, arriving in
    the months, counted from the records (not through the catalogue)."""
    start = pd.Period(first, "M").to_timestamp()
    end = pd.Period(last, "M").to_timestamp(how="end")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        met, cases = con.execute(
            "SELECT count(*) FILTER (WHERE epoch(surgery_at - arrived_at) <= 36 * 3600), count(*) "
            "FROM hip_fractures WHERE arrived_at BETWEEN ? AND ?",
            [start, end],
        ).fetchone()
    return met, cases


def label_by_hand(events: float, cases: float, average: float) -> str:
    """PHEindicatormethods' proportion label: the value against θ ± z·√(θ(1 − θ)/n)."""
    p, spread = events / cases, math.sqrt(average * (1 - average) / cases)
    for z, tail in ((norm.ppf(0.999), "0.001"), (norm.ppf(0.975), "0.025")):
        if p > average + z * spread:
            return f"High ({tail})"
        if p < average - z * spread:
            return f"Low ({tail})"
    return "Not significant"


def _keep(client, text: str, name: str = "nhfd.csv", source: str = SOURCE, period=("", "")):
    return client.post(
        f"/metrics/{METRIC}/peers",
        data={"csrf_token": client.csrf, "source": source, "period_from": period[0], "period_to": period[1]},
        files={"figures": (name, text.encode(), "text/csv")},
        follow_redirects=False,
    )


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


PEERS = {"Eastfield Hospital": (300, 400), "Westbrook General": (150, 300), "Southport Royal": (520, 640)}


def _csv(peers=PEERS) -> str:
    return "unit,numerator,denominator\n" + "".join(f"{u},{n},{d}\n" for u, (n, d) in peers.items())


def test_the_site_funnel_offers_trusts(clients):
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel")
    assert page.status_code == 200 and f'href="/metrics/{METRIC}/funnel?by=trust"' in page.text


def test_before_any_figures_are_kept(app, clients, home):
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel?by=trust")
    assert page.status_code == 200 and 'id="no-peers"' in page.text
    assert "Keep these figures" not in page.text  # a viewer may not keep
    assert "Keep these figures" in clients["editor"].get(f"/metrics/{METRIC}/funnel?by=trust").text
    assert _events(app, "funnel_viewed")[-1].detail == "by trust, no figures kept"


def test_a_viewer_cannot_keep_them(app, clients, home):
    before = len(_events(app, "request_refused"))
    answer = _keep(clients["viewer"], _csv())
    assert answer.status_code == 403
    refused = _events(app, "request_refused")
    assert len(refused) == before + 1 and "editor" in refused[-1].detail
    assert kept_peer_figures(home, METRIC) is None and not _events(app, "peer_figures_kept")


def test_kept_by_an_editor_and_our_trust_placed_among_them(app, clients, home, last_year):
    answer = _keep(clients["editor"], _csv(), period=last_year)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/metrics/{METRIC}/funnel?by=trust"
    kept = kept_peer_figures(home, METRIC, proportion=True)
    assert kept.figures.period == last_year and kept.source == SOURCE and kept.kept_by == "editor"
    [event] = _events(app, "peer_figures_kept")
    assert event.subject == f"metric:{METRIC}" and event.detail.startswith(
        f"3 trust(s) from nhfd.csv ({SOURCE};"
    )

    met, cases = operated_in_time(app.state.settings.warehouse, *last_year)
    average = (met + sum(n for n, _ in PEERS.values())) / (cases + sum(d for _, d in PEERS.values()))
    label = label_by_hand(met, cases, average)
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel?by=trust")
    assert page.status_code == 200
    assert f"Our trust: {100 * met / cases:.1f}% — {label} among 4 trusts" in page.text
    row = re.search(r'<tr id="our-trust-row">(.*?)</tr>', page.text, re.S)[1]
    assert f"{OWN} (ours)" in row and f"<td>{met:,}</td><td>{cases:,}</td>" in row
    median = sorted(100 * n / d for n, d in PEERS.values())[1]
    assert f"The other trusts' median: {median:.1f}%" in page.text
    assert 'id="period-mismatch"' not in page.text and 'data-figure="' in page.text and "(ours)" in page.text
    assert "Keep these figures" not in page.text
    assert _events(app, "funnel_viewed")[-1].detail == "by trust, figures kept (nhfd.csv)"


def test_figures_for_months_the_warehouse_lacks_are_said_to_differ(app, clients, home, last_year):
    assert _keep(clients["admin"], _csv(), "old.csv", period=("2001-01", "2001-12")).status_code == 303
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel?by=trust").text
    assert 'id="period-mismatch"' in page
    assert "the other trusts&#39; figures are for January 2001 to December 2001, which the warehouse" in page
    first, last = (pd.Period(m, "M").to_timestamp() for m in last_year)
    assert (
        f"ours are the latest 12 complete months, {first:%B %Y} to {last:%B %Y}: not the same period" in page
    )
    old = withdrawn_peer_figures(home, METRIC)
    assert old and old[0].name == "nhfd.csv" and old[0].withdrawn_by == "admin"
    assert 'id="withdrawn-peers"' in page and "nhfd.csv (NHFD 2024 annual report, table 3;" in page


def test_a_bad_file_is_refused_line_by_line_and_nothing_is_written(app, clients, home):
    folder = home / "peers"
    files_before = sorted(p.relative_to(home) for p in folder.rglob("*")) if folder.exists() else []
    events_before = len(_events(app, "peer_figures_kept"))
    text = f"unit,numerator,denominator\n{OWN},10,20\nEastfield,30,20\nWestbrook,5,0\n"
    answer = _keep(clients["editor"], text, "bad.csv")
    assert answer.status_code == 422
    for line in (
        f"bad.csv, row 2, column unit: &#39;{OWN}&#39; is the department&#39;s own trust",
        "bad.csv, row 3, column numerator: &#39;30&#39; is above the denominator (20)",
        "bad.csv, row 4, column denominator: &#39;0&#39;; a denominator must be above 0",
    ):
        assert f"<li>{line}" in answer.text
    no_source = _keep(clients["editor"], _csv(), source="")
    assert no_source.status_code == 422 and "Source: name where the figures were published" in no_source.text
    bad_period = _keep(clients["editor"], _csv(), period=("2024-01", ""))
    assert bad_period.status_code == 422 and "give both the first and the last month" in bad_period.text
    after = sorted(p.relative_to(home) for p in folder.rglob("*")) if folder.exists() else []
    assert after == files_before and len(_events(app, "peer_figures_kept")) == events_before


def test_a_measure_without_a_funnel_has_no_trusts(clients):
    no_funnel = clients["editor"].post(
        "/metrics/hipfx_length_of_stay/peers",
        data={"csrf_token": clients["editor"].csrf, "source": SOURCE},
        files={"figures": ("f.csv", _csv().encode(), "text/csv")},
        follow_redirects=False,
    )
    assert no_funnel.status_code == 404
    page = clients["viewer"].get("/metrics/hipfx_length_of_stay/funnel?by=trust")
    assert page.status_code == 200 and "not a count of cases over a count" in page.text


def test_our_hidden_counts_cannot_be_worked_out_from_the_page(app, clients, monkeypatch):
    """An outsider solved our hidden counts from the average over every trust drawn on the chart, the
    axis spanning our denominator and the peers' shown counts. With ours hidden, the page (HTML and
    the chart's JSON) is the same whatever our hidden counts are: 5 of 38 or 6 of 39."""
    peers = {
        f"Trust {c}": (n, d)
        for c, n, d in zip(
            "ABCDEFGHIJK",
            [4, 9, 3, 2, 9, 5, 9, 9, 4, 4, 8],
            [55, 63, 80, 78, 93, 56, 52, 74, 65, 54, 95],
            strict=True,
        )
    }
    assert _keep(clients["editor"], _csv(peers)).status_code == 303
    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    pages = []
    for met, cases in ((5, 38), (6, 39), (7, 300)):
        frame = pd.DataFrame(
            {"period": months, "numerator": [0] * 11 + [met], "denominator": [0] * 11 + [cases]}
        )
        monkeypatch.setattr(app.state.workspace, "series", lambda *a, frame=frame, **k: {METRIC: frame})
        page = clients["viewer"].get(f"/metrics/{METRIC}/funnel?by=trust")
        assert (
            page.status_code == 200
            and "Our trust: * (1 to 7 cases or events, or a count another table "
            "would give away by subtraction: not shown)"
            in page.text
        )
        # the session's countdown (seconds left) moves with the clock, not with the data: set aside
        pages.append(re.sub(r'data-[a-z-]*seconds="\d+"', "", page.text))
    assert pages[0] == pages[1] == pages[2]
    page = pages[0]
    average = 100 * sum(n for n, _ in peers.values()) / sum(d for _, d in peers.values())
    assert f"the average over the other trusts: {average:.1f}% (ours is left out" in page
    figure = json.loads(html.unescape(re.search(r'data-figure="([^"]+)"', page)[1]))
    [line] = [t for t in figure["data"] if t.get("name") == "average"]
    assert line["y"][0] == pytest.approx(average)
    assert line["x"] == pytest.approx([0.9 * 52, 1.1 * 95])  # the peers' denominators alone
