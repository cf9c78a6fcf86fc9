"""A plan agreed before years were checked, with a year far ahead (``2099/00``): read and reported,
compared with no other plan. It once refused every later agreement for its consultant ("C01's plan
for 2099/00 is agreed") and stopped `stocktake jobplan capacity` (its file no longer read). The
limit is worked by hand: a year starting (1 April) more than two years after today is out of range.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.jobplan.read import EXAMPLE, JobPlanInputError, read_plan
from stocktake.jobplan.store import JobPlanStore, JobPlanStoreError, agreed, current, latest_agreed

runner = CliRunner()


def plan(consultant: str, year: str = "2026/27") -> bytes:
    data = yaml.safe_load(EXAMPLE.read_text()) | {"consultant": consultant, "year": year}
    return yaml.safe_dump(data, sort_keys=False).encode()


def _agree(store, kept):
    store.propose(kept.slug, by="Ann")
    return store.agree(kept.slug, by="Bob")


def kept_far_ahead(store: JobPlanStore, consultant: str = "C01", state: str = "agreed"):
    """A plan kept (and agreed) before the limit: its year made 2099/00 in its file and about.json."""
    kept = store.keep_uploaded("old.yaml", plan(consultant), by="Ann")
    if state in ("proposed", "agreed"):
        store.propose(kept.slug, by="Ann")
    if state == "agreed":
        store.agree(kept.slug, by="Bob")
    kept.file.write_bytes(plan(consultant, "2099/00"))
    about = kept.folder / "about.json"
    about.write_text(json.dumps(json.loads(about.read_text()) | {"year": "2099/00"}))
    return store.get(kept.slug)


def test_a_far_ahead_year_kept_before_the_limit_is_read_and_reported(tmp_path):
    store = JobPlanStore(tmp_path)
    old = kept_far_ahead(store)
    with pytest.raises(JobPlanInputError, match="'2099/00' starts more than 2 years after today"):
        read_plan(old.file)  # an upload today is still refused
    assert old.plan().year == "2099/00" and old.plan().state == "agreed"  # but the kept plan reads
    assert old.year_problem().startswith("year out of range: 2099/00 starts more than 2 years after today")
    assert not old.in_range()
    fine = store.keep_uploaded("c02.yaml", plan("C02"), by="Ann")
    assert fine.year_problem() == "" and fine.in_range()


def test_it_does_not_block_a_later_agreement_which_supersedes_it(tmp_path):
    store = JobPlanStore(tmp_path)
    old = kept_far_ahead(store)
    new = store.keep_uploaded("new.yaml", plan("C01", "2026/27"), by="Ann")
    done, superseded = _agree(store, new)  # was: "C01's plan for 2099/00 is agreed" and refused
    assert done.state == "agreed" and [p.slug for p in superseded] == [old.slug]
    gone = store.get(old.slug)
    assert gone.state == "superseded" and gone.about["superseded_by"] == new.slug
    assert gone.history[-1]["why"].startswith("year out of range: 2099/00")
    assert [p.slug for p in agreed(store.all())] == [new.slug]


def test_it_is_no_ones_latest_while_they_have_another_and_cannot_itself_be_agreed(tmp_path):
    store = JobPlanStore(tmp_path)
    alone = kept_far_ahead(store, "C03")
    assert [p.slug for p in latest_agreed(store.all())] == [alone.slug]  # alone, still their agreement
    # two agreed plans for C01 (kept before the rules): the one in range stands, not the later year
    far = kept_far_ahead(store, "C01")
    near = store.keep_uploaded("near.yaml", plan("C01", "2025/26"), by="Ann")
    store.propose(near.slug, by="Ann")
    about = json.loads((near.folder / "about.json").read_text()) | {
        "state": "agreed",
        "agreed_at": "2020-01-01T00:00:00+00:00",
    }
    (near.folder / "about.json").write_text(json.dumps(about))
    assert [p.slug for p in latest_agreed(store.all())] == [near.slug, alone.slug]
    assert [p.slug for p in current(store.all())] == [near.slug, alone.slug]
    assert far.slug not in [p.slug for p in current(store.all())]
    proposed = kept_far_ahead(store, "C04", state="proposed")
    with pytest.raises(JobPlanStoreError, match=r"^C04 2099/00 cannot be agreed: year out of range: 2099/00"):
        store.agree(proposed.slug, by="Bob")
    assert store.get(proposed.slug).state == "proposed"


def test_the_capacity_command_reads_it_and_goes_on(tmp_path, demo_warehouse):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    store = JobPlanStore(home / "jobplans")
    kept_far_ahead(store, "C01")
    other = store.keep_uploaded("c02.yaml", plan("C02"), by="Ann")
    _agree(store, other)
    result = runner.invoke(app, ["jobplan", "capacity", "--home", str(home)])
    assert result.exit_code == 0, result.output  # was exit 2: the 2099/00 file no longer read
    assert "from 2 agreed plan(s)" in result.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT DISTINCT plans FROM team_capacity").fetchall() == [(2,)]
