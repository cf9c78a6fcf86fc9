"""The column mapping page in a real browser: an admin uploads a sample in another trust's style,
corrects the suggestion and saves it; axe-core (WCAG 2.2 AA) on the page, the form and the result.
The browser and the checks are test_browser.py's own."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from test_browser import PASSWORD, _accessibility_violations, _free_port, _signed_in, browser  # noqa: F401

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory
from stocktake.demo.generate import Department, generate
from stocktake.ingest.mapping import load_mapping
from stocktake.settings import Settings
from stocktake.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from trust_styles import true_mapping, write_extracts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def home(tmp_path_factory, demo_warehouse) -> Path:
    home = tmp_path_factory.mktemp("mapping-workspace")
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    return home


@pytest.fixture(scope="module")
def server(home):
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
    app = create_app(settings)
    with session_factory(make_engine(settings.database_url))() as db:
        actions.create_user(
            db, by=None, username="admin", full_name="An admin", password=PASSWORD, role="admin"
        )
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_an_admin_reviews_a_suggested_mapping_and_saves_it(browser, server, home, tmp_path):  # noqa: F811
    write_extracts(generate(Department(seed=7, months=2)), true_mapping("westbrook_held_out"), tmp_path)
    page = _signed_in(browser, server, "admin")
    page.goto(f"{server}/uploads")
    page.get_by_role("link", name="Review the column mapping").click()
    page.wait_for_url(f"{server}/admin/mapping")
    assert _accessibility_violations(page) == []
    page.get_by_label("Sample extracts").set_input_files(str(tmp_path / "hip_registry.csv"))
    page.get_by_role("button", name="Suggest a mapping").click()
    page.wait_for_selector("#fields-hip_fractures")
    assert page.get_by_role("heading", level=1).inner_text() == "Review the column mapping"
    assert _accessibility_violations(page) == []
    page.get_by_label("Column for site").select_option("facility")
    page.get_by_label("Save hip fractures in the mapping").check()
    page.get_by_role("button", name="Save as the department's mapping").click()
    page.wait_for_url(f"{server}/admin/mapping/**")
    assert "Saved the column mapping (hip_fractures)" in page.locator("[role=status]").inner_text()
    assert _accessibility_violations(page) == []
    assert load_mapping(home / "mapping.yaml").datasets["hip_fractures"].columns["site"].column == "facility"
    assert page.script_errors == []
