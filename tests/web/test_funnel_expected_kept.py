"""Expected counts kept (ADR 34): an editor keeps a file, every viewer then sees observed ÷ expected
without uploading; replacing it withdraws the old one; a bad file writes nothing."""

from __future__ import annotations

import json
import re
import stat

import pandas as pd
import pytest
from sqlalchemy import func, select

from stocktake.appdb.models import AuditEvent
from stocktake.files.expected import kept_expected, withdrawn_expected

METRIC = "hipfx_mortality_30d"


def _keep(client, text: str, name: str = "case_mix.csv"):
    return client.post(
        f"/metrics/{METRIC}/expected",
        data={"by": "site", "csrf_token": client.csrf},
        files={"expected": (name, text.encode(), "text/csv")},
        follow_redirects=False,
    )


def _deaths(app):
    frame = app.state.workspace.series("site")[METRIC]
    recent = frame[frame["period"].isin(sorted(frame["period"].unique())[-12:])]
    totals = recent.groupby("site")[["numerator", "denominator"]].sum()
    return totals[totals["denominator"] > 0]["numerator"]


def _csv(expected: dict[str, float]) -> str:
    return "unit,expected\n" + "".join(f"{s},{e}\n" for s, e in expected.items())


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _shown_ratios(text: str) -> dict[str, float]:
    table = text.split("observed ÷ expected by site</caption>")[1].split("</tbody>")[0]
    return {s: float(r) for s, r in re.findall(r"<tr><td>([^<]+)</td>\s*<td>([0-9.]+)</td>", table)}


@pytest.fixture(scope="module")
def home(app):
    return app.state.settings.home


def test_a_viewer_cannot_keep_them(clients, home):
    answer = _keep(clients["viewer"], "unit,expected\nA,1\nB,2\n")
    assert answer.status_code == 403
    assert kept_expected(home, METRIC) is None


def test_kept_by_an_editor_and_seen_by_a_viewer_without_uploading(app, clients, home):
    deaths = _deaths(app)
    expected = {site: max(float(n), 1.0) * 0.8 for site, n in deaths.items()}  # everyone 25% above
    before = len(_events(app, "expected_counts_kept"))
    answer = _keep(clients["editor"], _csv(expected))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/metrics/{METRIC}/funnel?by=site#observed-expected"
    kept = kept_expected(home, METRIC)
    assert kept.counts == pytest.approx(expected) and kept.kept_by == "editor" and kept.name == "case_mix.csv"
    for path in (kept.path, kept.path.with_suffix(".json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(kept.path.with_suffix(".json").read_text())["by"] == "editor"
    events = _events(app, "expected_counts_kept")
    assert len(events) == before + 1 and events[-1].subject == f"metric:{METRIC}"
    first, last = kept.months  # none given: the latest 12 months the data holds, recorded
    assert (pd.Period(last, "M") - pd.Period(first, "M")).n == 11
    assert events[-1].detail == f"{len(expected)} site(s) from case_mix.csv for {first} to {last}"

    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel")
    assert page.status_code == 200
    assert 'id="kept-expected"' in page.text and "by editor" in page.text
    assert "Keep these expected counts" not in page.text  # a viewer may not keep
    shown = _shown_ratios(page.text)
    assert set(shown) == set(expected)
    for site, ratio in shown.items():
        assert ratio == pytest.approx(deaths[site] / expected[site], abs=0.005)
    viewed = _events(app, "funnel_viewed")[-1]
    assert viewed.detail == "by site, observed ÷ expected from the counts kept (case_mix.csv)"
    assert "Keep these expected counts" in clients["editor"].get(f"/metrics/{METRIC}/funnel").text


def test_replacing_them_withdraws_the_old_ones(app, clients, home):
    deaths = _deaths(app)
    first = kept_expected(home, METRIC)
    if first is None:  # run alone: keep a first file
        assert _keep(clients["editor"], _csv({s: 2.0 for s in deaths.index})).status_code == 303
        first = kept_expected(home, METRIC)
    again = {site: max(float(n), 1.0) for site, n in deaths.items()}  # exactly as expected
    assert _keep(clients["admin"], _csv(again), "model_v2.csv").status_code == 303
    now = kept_expected(home, METRIC)
    assert now.name == "model_v2.csv" and now.kept_by == "admin" and now.counts == pytest.approx(again)
    old = withdrawn_expected(home, METRIC)[0]
    assert old.counts == first.counts and old.name == first.name and old.kept_by == first.kept_by
    assert old.withdrawn_by == "admin" and old.withdrawn_at is not None
    page = clients["viewer"].get(f"/metrics/{METRIC}/funnel").text
    assert 'id="withdrawn-expected"' in page and f"{first.name}: kept by {first.kept_by}" in page
    assert all(r == pytest.approx(deaths[s] / again[s], abs=0.005) for s, r in _shown_ratios(page).items())
    assert "withdrawn" in _events(app, "expected_counts_kept")[-1].detail


def test_a_bad_file_is_refused_in_one_line_and_nothing_is_written(app, clients, home):
    folder = home / "expected"
    files_before = sorted(p.relative_to(home) for p in folder.rglob("*")) if folder.exists() else []
    with app.state.sessions() as db:
        events_before = db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "expected_counts_kept")
        )
    answer = _keep(clients["editor"], "unit,expected\nNorthshire General,3\nRiverside,-1\n", "bad.csv")
    assert answer.status_code == 422
    assert "bad.csv, row 3, column expected: &#39;-1&#39;; an expected count must be above 0" in answer.text
    after = sorted(p.relative_to(home) for p in folder.rglob("*")) if folder.exists() else []
    assert after == files_before
    with app.state.sessions() as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "expected_counts_kept")
            )
            == events_before
        )


def test_an_upload_still_overrides_the_kept_counts_for_that_view_only(app, clients, home):
    deaths = _deaths(app)
    if kept_expected(home, METRIC) is None:
        assert _keep(clients["editor"], _csv({s: 2.0 for s in deaths.index})).status_code == 303
    kept = kept_expected(home, METRIC)
    tried = {site: max(float(n), 1.0) * 2 for site, n in deaths.items()}
    page = clients["viewer"].post(
        f"/metrics/{METRIC}/funnel",
        data={"by": "site", "csrf_token": clients["viewer"].csrf},
        files={"expected": ("try.csv", _csv(tried).encode(), "text/csv")},
    )
    assert page.status_code == 200 and "for this view only: not kept" in page.text
    assert all(
        r == pytest.approx(deaths[s] / tried[s], abs=0.005) for s, r in _shown_ratios(page.text).items()
    )
    assert kept_expected(home, METRIC).counts == kept.counts  # the kept file is untouched
