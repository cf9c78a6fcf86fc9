"""The workspace's kept results (issue 26): at most 256, the least recently used going first, so one
viewer sending many distinct targets cannot flush every page's results."""

from __future__ import annotations

import pytest

from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.metrics.catalogue import DEFAULT_CATALOGUE
from stocktake.workspace import Workspace

LIMIT = 256


@pytest.fixture
def workspace_and_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    upgrade(url)
    with session_factory(make_engine(url))() as db:
        yield Workspace(tmp_path / "none.duckdb", DEFAULT_CATALOGUE), db


def test_the_least_recently_used_goes_first_and_a_recently_read_result_stays(workspace_and_db):
    workspace, db = workspace_and_db
    made = []

    def keep(name):
        return workspace.cached((name,), db, lambda: made.append(name) or f"result of {name}")

    keep("overview")  # the first result kept: the oldest
    keep("metric page")
    for k in range(LIMIT - 2):
        keep(f"target {k}")
    assert len(workspace._built) == LIMIT and made.count("overview") == 1
    assert keep("overview") == "result of overview"  # read again, not made again
    assert made.count("overview") == 1
    for k in range(LIMIT - 2, LIMIT + 40):  # a viewer sending many more distinct targets
        keep(f"target {k}")
    assert len(workspace._built) <= LIMIT
    kept = {key[0] for key in workspace._built}
    assert "overview" in kept  # used early, read recently: kept
    assert "metric page" not in kept and "target 0" not in kept  # the least recently used went
    assert f"target {LIMIT + 39}" in kept
    assert keep("overview") == "result of overview" and made.count("overview") == 1
    # What went is made again when asked for.
    keep("metric page")
    assert made.count("metric page") == 2


def test_a_full_cache_is_never_emptied_at_once(workspace_and_db):
    workspace, db = workspace_and_db
    for k in range(3 * LIMIT):
        workspace.cached((f"target {k}",), db, lambda k=k: k)
        assert len(workspace._built) == min(k + 1, LIMIT)
