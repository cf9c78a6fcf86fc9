"""The chart for slides (issue 25): PNG at 16:9 and SVG, titled, with the period, the department and
trust as the source, each change date labelled, small numbers hidden, and every download logged."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.appdb.models import AuditEvent
from stocktake.settings import Settings
from stocktake.web.app import create_app

METRIC = "hipfx_surgery_36h"
SMALL = "daycase_rate_hip_knee"  # four months with 1–7 cases behind them in the demo data
CHANGES = ("Trauma list <moved> & $5 board", "Second consultant on call")
PASSWORD = "a long enough password, kettle"  # as conftest's sign_in_as signs in


@pytest.fixture(scope="module")
def app(tmp_path_factory, demo_warehouse):
    home = tmp_path_factory.mktemp("slides")
    (home / "warehouse.duckdb").write_bytes(demo_warehouse.read_bytes())
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'workspace.sqlite'}",
        department="Trauma & Orthopaedics",
        trust="Demo NHS Foundation Trust",
    )
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        for role in ("viewer", "editor"):
            actions.create_user(
                db, by=None, username=role, full_name=f"A {role}", password=PASSWORD, role=role
            )
    return app


@pytest.fixture(scope="module")
def changed(app, sign_in_as):
    editor = sign_in_as("editor")
    for dated, label in zip(("2023-03-01", "2023-04-01"), CHANGES, strict=True):
        answer = editor.post(
            f"/metrics/{METRIC}/annotations",
            data={"dated": dated, "label": label, "csrf_token": editor.csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 303


@pytest.fixture(scope="module")
def viewer(changed, sign_in_as):
    return sign_in_as("viewer")


def _description(svg: str) -> str:
    return re.search(r"<dc:description>(.*?)</dc:description>", svg, re.S)[1]


def test_the_png_is_1600_by_900_and_named_for_the_measure(viewer):
    answer = viewer.get(f"/metrics/{METRIC}/slide.png")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert re.fullmatch(
        rf'attachment; filename="{METRIC}-\d{{4}}-\d{{2}}\.png"', answer.headers["content-disposition"]
    )
    width, height = Image.open(io.BytesIO(answer.content)).size
    assert (width, height) == (1600, 900) and width * 9 == height * 16


def test_the_svg_has_the_title_source_period_and_each_change_as_text(viewer):
    answer = viewer.get(f"/metrics/{METRIC}/slide.svg")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    svg = answer.text
    texts = [re.sub(r"\s+", " ", t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
    assert "Hip fracture surgery within 36 hours of arrival" in texts
    assert any(t.startswith("Source: Trauma &amp; Orthopaedics, Demo NHS Foundation Trust.") for t in texts)
    assert any(re.match(r"\w+ \d{4} to \w+ \d{4}", t) for t in texts)  # the period
    for label in CHANGES:  # drawn as text (escaped, never markup or mathematics)
        escaped = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in texts
    assert "<moved>" not in svg


def test_a_hidden_value_is_neither_drawn_nor_in_the_svgs_data(app, viewer):
    with app.state.sessions() as db:
        [entry] = [e for e in app.state.workspace.stocktake(db).entries if e.result.metric.id == SMALL]
    y = entry.result.chart.y
    hidden = {entry.format(v) for v in y[entry.hidden]}
    shown = {entry.format(v) for v in y[~entry.hidden] if v == v}
    assert hidden - shown and shown  # the demo data has both, and they differ
    svg = viewer.get(f"/metrics/{SMALL}/slide.svg").text
    description = _description(svg)
    for value in shown:
        assert value in description
    for value in hidden - shown:
        assert value not in svg
    assert f"{int(entry.hidden.sum())} point(s) not shown" in description
    assert f"{int(entry.hidden.sum())} point(s) with 1–7 cases not shown" in svg


def test_a_viewer_can_download_and_it_is_in_the_audit_log(app, viewer):
    assert viewer.get(f"/metrics/{METRIC}/slide.svg").status_code == 200
    with app.state.sessions() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "chart_downloaded")).all()
    assert any(e.subject == f"metric:{METRIC}" and e.detail == "slide svg" for e in events)


def test_the_metric_page_links_both_formats(viewer):
    page = viewer.get(f"/metrics/{METRIC}").text
    assert f'href="/metrics/{METRIC}/slide.png"' in page and f'href="/metrics/{METRIC}/slide.svg"' in page


def test_anonymous_cannot_and_unknown_formats_or_measures_are_404(sign_in_as, viewer):
    anonymous = sign_in_as(None)
    answer = anonymous.get(f"/metrics/{METRIC}/slide.png", follow_redirects=False)
    assert answer.status_code in (303, 401)
    assert "image" not in answer.headers.get("content-type", "")
    assert viewer.get(f"/metrics/{METRIC}/slide.pdf").status_code == 404
    assert viewer.get("/metrics/no_such_measure/slide.png").status_code == 404
