"""Saving the department's mapping: one audit event, the old file kept beside it, dated; a mapping
the model refuses writes nothing, neither file nor event."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from stocktake.appdb import actions
from stocktake.appdb.actions import base
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import AuditEvent
from stocktake.ingest.mapping import load_mapping

FIRST = """source: first
datasets:
  hip_fractures:
    file: nhfd.csv
    columns: {spell_id: SPELL, site: HOSPITAL, arrived_at: ARRIVED, delirium_assessed: DELIRIUM,
              bone_health_assessed: BONE, died_within_30_days: DIED}
"""
SECOND = FIRST.replace("source: first", "source: second").replace("HOSPITAL", "SITE")


@pytest.fixture
def db(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def _events(db) -> list[tuple[str, str, str]]:
    return [(e.action, e.subject, e.detail) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_save_keeps_the_old_file_dated_and_records_one_event(db, tmp_path, monkeypatch):
    admin = actions.create_user(
        db, by=None, username="admin", full_name="", password="a long enough password, kettle", role="admin"
    )
    home = tmp_path / "home"
    home.mkdir()
    path = home / "mapping.yaml"
    monkeypatch.setattr(base, "_now", lambda: datetime(2026, 12, 2, 10, 15, 30))
    assert actions.save_mapping(db, by=admin, path=path, text=FIRST) is None
    backup = actions.save_mapping(db, by=admin, path=path, text=SECOND)
    assert backup == home / "mapping.yaml.20261202T101530.bak"
    assert backup.read_text() == FIRST and path.read_text() == SECOND
    assert load_mapping(path).datasets["hip_fractures"].columns["site"].column == "SITE"
    again = actions.save_mapping(db, by=admin, path=path, text=FIRST)  # the same second: numbered
    assert again.name == "mapping.yaml.20261202T101530-2.bak" and again.read_text() == SECOND
    saved = [e for e in _events(db) if e[0] == "mapping_saved"]
    assert [e[1] for e in saved] == ["mapping:mapping.yaml"] * 3
    assert saved[0][2] == "1 dataset(s), 6 fields: hip_fractures"
    assert saved[1][2].endswith("the previous one kept as mapping.yaml.20261202T101530.bak")
    assert not list(home.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (FIRST.replace("spell_id: SPELL, ", ""), "the required column spell_id is not mapped"),
        (FIRST.replace("hip_fractures", "hip_fracture"), "not a canonical dataset"),
        ("source: [unclosed", "not YAML"),
    ],
)
def test_a_mapping_the_model_refuses_writes_nothing(db, tmp_path, text, reason):
    admin = actions.create_user(
        db, by=None, username="admin", full_name="", password="a long enough password, kettle", role="admin"
    )
    home = tmp_path / "home"
    home.mkdir()
    path = home / "mapping.yaml"
    path.write_text(FIRST)
    events = _events(db)
    with pytest.raises(actions.ActionError, match=reason):
        actions.save_mapping(db, by=admin, path=path, text=text)
    assert path.read_text() == FIRST
    assert sorted(p.name for p in home.iterdir()) == ["mapping.yaml"]
    assert _events(db) == events
