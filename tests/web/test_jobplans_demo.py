"""The demo department's job plans with its rotas: every consultant agreed, C03's proposal in the
review queue, the team's capacity from the agreed plans, and the two on-call designs side by side
for all eight consultants by default."""

from __future__ import annotations

import re
import shutil
import warnings
from html import unescape

import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.cli import app as cli
from stocktake.demo.jobplans import CONSULTANTS, seed_jobplans
from stocktake.demo.rotas import BOTH_SITES_SLUG, BY_SITE_SLUG, seed_rotas
from stocktake.jobplan.capacity import read_capacity
from stocktake.jobplan.store import JobPlanStore, current
from stocktake.settings import Settings
from stocktake.web.app import create_app

PASSWORD = "a long enough password, kettle"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_warehouse):
    home = tmp_path_factory.mktemp("demo-home")
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
    seed_rotas(settings)
    assert seed_jobplans(settings) is True
    assert seed_jobplans(settings) is False  # a second run leaves them as they are
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        actions.create_user(
            db, by=None, username="viewer", full_name="A viewer", password=PASSWORD, role="viewer"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    client.post(
        "/sign-in",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    return settings, client


def test_the_demo_has_agreed_plans_a_proposal_to_review_and_the_teams_capacity(demo):
    settings, client = demo
    kept = JobPlanStore(settings.home / "jobplans").all()
    states = {(p.consultant, p.year): p.state for p in kept}
    assert {c for c, _ in CONSULTANTS} == {
        c for (c, y), s in states.items() if s == "agreed" and y == "2025/26"
    }
    assert states["C01", "2024/25"] == "superseded" and states["C03", "2026/27"] == "proposed"
    page = client.get("/job-plans").text
    queue = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page.split('id="review-queue"')[1])))
    assert "C03 2026/27 against the agreed 2025/26" in queue
    assert "DCC/SPA 7.74/2.50 → 9.57/1.50" in queue
    capacity = read_capacity(settings.warehouse)
    assert set(capacity["plans"]) == {8}
    theatre = capacity[capacity["activity"] == "theatre"].set_index("site")["sessions_per_working_week"]
    # each consultant: two lists a week at their site and one in week A at the other; four per site
    assert theatre.to_dict() == pytest.approx({"Northshire General": 4 * 2.5, "Riverside": 4 * 2.5})
    assert 'id="capacity-table"' in page


def test_the_two_on_call_designs_side_by_side_for_every_consultant(demo):
    _, client = demo
    page = client.get("/job-plans/compare").text
    selected = re.findall(r'<option value="([\w-]+)" selected>', page)
    assert sorted(selected) == sorted([BOTH_SITES_SLUG, BY_SITE_SLUG])
    captions = re.findall(r'<caption class="nhsuk-table__caption">(\w+)</caption>', page)
    assert captions == [c for c, _ in CONSULTANTS]
    assert "not on this rota" not in page


def test_the_demo_comparison_equals_the_command_on_the_kept_files(demo, tmp_path):
    settings, client = demo
    page = client.get(f"/job-plans/compare?a={BOTH_SITES_SLUG}&b={BY_SITE_SLUG}").text
    shown = {}
    for consultant, table in re.findall(
        r'<caption class="nhsuk-table__caption">(\w+)</caption>(.*?)</table>', page, re.S
    ):
        for label, cells in re.findall(r'<th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', table, re.S):
            shown[consultant, unescape(label)] = re.findall(
                r'<td class="nhsuk-table__cell">(.*?)</td>', cells
            )
    rotas = [
        settings.home / "rotas" / slug / "current" / "duties.csv" for slug in (BOTH_SITES_SLUG, BY_SITE_SLUG)
    ]
    plans = [p.file for p in current(JobPlanStore(settings.home / "jobplans").all())]
    out = tmp_path / "compare.xlsx"
    args = ["jobplan", "compare", "--rota", str(rotas[0]), "--rota", str(rotas[1]), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, *map(str, plans)])
    assert result.exit_code == 0, result.output
    by_rota = pd.read_excel(out, sheet_name="By rota")
    assert len(by_rota) == 2 * len(CONSULTANTS)
    for row in by_rota.itertuples():
        design = [str(r) for r in rotas].index(row.rota)
        for column, label in COLUMNS:
            value, expected = shown[row.consultant, label][design], getattr(row, column)
            if isinstance(expected, str):
                assert value == expected
            else:
                assert float(value) == pytest.approx(expected), (row.consultant, label)


COLUMNS = (
    ("one_in", "1 in N (sets the band)"),
    ("rostered_one_in", "1 in N as rostered"),
    ("band", "band"),
    ("supplement_pct", "supplement, % of basic salary"),
    ("verification", "rate verified?"),
    ("on_call_work_pas", "on-call work, PAs a week"),
    ("resident_hours_per_week", "resident hours a week"),
)
