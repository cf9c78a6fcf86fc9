"""The workspace's search box (/search): measures and kept records, escaped, for signed-in users;
a participant's account finds only their own programmes."""

from __future__ import annotations

from datetime import date

from stocktake.appdb import actions
from stocktake.appdb.models import User

ATTACK = '<script>alert("x")</script>'


def test_the_box_finds_measures_and_records_and_shows_them_escaped(app, clients):
    with app.state.sessions() as db:
        editor = db.query(User).filter_by(username="editor").one()
        project = actions.create_project(
            db, by=editor, title=f"Cemented hemiarthroplasty {ATTACK}", aim="Fewer revisions", lead="Mr Hip"
        )
        actions.record_decision(
            db,
            by=editor,
            decided_on=date(2026, 1, 5),
            title="Stop uncemented stems",
            decided_by="Board",
            rationale="NICE CG124 recommends cemented implants",
        )
    page = clients["viewer"].get("/search", params={"q": "cemented"}).text
    assert f'href="/projects/{project.id}"' in page and "Stop uncemented stems" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    measures = clients["viewer"].get("/search", params={"q": "HIP fracture"}).text
    assert 'href="/metrics/hipfx_surgery_36h"' in measures  # the overview's measures, any case
    assert "0 results" in clients["viewer"].get("/search", params={"q": "cemented zebra"}).text
    assert 'action="/search"' in clients["viewer"].get("/").text  # the box is in every page's header


def test_search_needs_a_signed_in_user(clients):
    answer = clients[None].get("/search", params={"q": "hip"}, follow_redirects=False)
    assert answer.status_code in (303, 401) and "hipfx" not in answer.text


def test_a_participants_account_finds_only_their_own_programmes(app, sign_in_as):
    with app.state.sessions() as db:
        editor = db.query(User).filter_by(username="editor").one()
        mine = actions.create_programme(db, by=editor, name="Searchable leaders one")
        other = actions.create_programme(db, by=editor, name="Searchable leaders two")
        cohort = actions.add_cohort(db, by=editor, programme_id=mine.id, name="2026")
        actions.create_user(
            db,
            by=None,
            username="pat",
            full_name="Pat",
            password="a long enough password, kettle",
            role="viewer",
        )
        actions.add_participant(db, by=editor, cohort_id=cohort.id, code="P1", name="Pat", username="pat")
    page = sign_in_as("pat").get("/search", params={"q": "searchable leaders"}).text
    assert f'href="/programmes/{mine.id}"' in page and f'href="/programmes/{other.id}"' not in page


def test_a_measure_whose_data_are_not_loaded_is_not_found(tmp_path, demo_warehouse):
    """A department rolling out loads one extract at a time: search offers only pages that open."""
    import re
    import shutil

    import duckdb
    from fastapi.testclient import TestClient

    from stocktake.settings import Settings
    from stocktake.web.app import create_app

    shutil.copy(demo_warehouse, tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("DROP TABLE rtt_pathways")
    app = create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'workspace.sqlite'}"))
    with app.state.sessions() as db:
        actions.create_user(
            db, by=None, username="v", full_name="V", password="a long enough password, kettle", role="viewer"
        )
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)[1]
    client.post(
        "/sign-in",
        data={"username": "v", "password": "a long enough password, kettle", "csrf_token": token},
        follow_redirects=False,
    )
    page = client.get("/search", params={"q": "waiting"}).text
    assert "/metrics/rtt_within_18_weeks" not in page
    assert "/metrics/hipfx_surgery_36h" in client.get("/search", params={"q": "hip"}).text
