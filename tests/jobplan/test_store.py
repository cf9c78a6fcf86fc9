"""Job plans kept in the home: versions, states and who moved them, supersession, one plan per
consultant for the rota, and the team's capacity written to the warehouse by `stocktake jobplan
capacity --home`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.jobplan.read import EXAMPLE, read_plan
from stocktake.jobplan.store import JobPlanStore, JobPlanStoreError, agreed, current

runner = CliRunner()
AT = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


def plan(consultant: str, year: str = "2026/27", **changes) -> bytes:
    data = yaml.safe_load(EXAMPLE.read_text()) | {"consultant": consultant, "year": year} | changes
    return yaml.safe_dump(data, sort_keys=False).encode()


def test_a_plan_is_a_draft_then_proposed_then_agreed_with_who_and_when(tmp_path):
    store = JobPlanStore(tmp_path)
    kept = store.keep_uploaded("c01.yaml", plan("C01"), by="Ann")
    assert kept.state == "draft" and kept.plan().state == "draft"  # the file says proposed: not taken
    with pytest.raises(JobPlanStoreError, match="only a proposed plan can be agreed"):
        store.agree(kept.slug, by="Ann")
    store.propose(kept.slug, by="Ann")
    done, superseded = store.agree(kept.slug, by="Bob", at=AT)
    assert superseded == [] and done.state == "agreed"
    assert (done.plan().agreed_by, done.plan().agreed_on) == ("Bob", AT.date())
    assert [(h["state"], h["by"]) for h in done.history] == [
        ("draft", "Ann"),
        ("proposed", "Ann"),
        ("agreed", "Bob"),
    ]
    assert not list(done.folder.glob(".about*"))  # written beside and renamed into place
    with pytest.raises(JobPlanStoreError, match="only a draft can be proposed"):
        store.propose(kept.slug, by="Ann")


def test_an_upload_revises_the_open_plan_and_agreeing_supersedes_the_last_agreed(tmp_path):
    store = JobPlanStore(tmp_path)
    old = store.keep_uploaded("a.yaml", plan("C01", "2025/26"), by="Ann")
    store.propose(old.slug, by="Ann")
    store.agree(old.slug, by="Bob")
    new = store.keep_uploaded("b.yaml", plan("C01"), by="Ann")
    store.propose(new.slug, by="Ann")
    again = store.keep_uploaded("c.yaml", plan("C01", working_weeks=40), by="Cy")
    assert again.slug == new.slug and again.state == "draft"  # a changed proposal is a draft again
    assert [v["uploaded_as"] for v in again.versions] == ["b.yaml", "c.yaml"]
    assert again.plan().working_weeks == 40
    assert (again.folder / "versions" / "1" / "plan.yaml").read_bytes() == plan("C01")
    assert [p.slug for p in current(store.all())] == [old.slug]  # the agreed plan, until another is
    store.propose(new.slug, by="Ann")
    _, superseded = store.agree(new.slug, by="Bob")
    assert [p.slug for p in superseded] == [old.slug]
    assert (
        store.get(old.slug).state == "superseded" and store.get(old.slug).about["superseded_by"] == new.slug
    )
    assert [p.slug for p in agreed(store.all())] == [new.slug]
    assert [p.slug for p in current(store.all())] == [new.slug]


def test_bad_input_is_refused_by_the_name_uploaded_and_nothing_is_kept(tmp_path):
    store = JobPlanStore(tmp_path)
    bad = plan("C01", working_weeks=60)
    with pytest.raises(JobPlanStoreError) as error:
        store.keep_uploaded("mine.yaml", bad, by="Ann")
    assert str(error.value).startswith("mine.yaml, field working_weeks:")
    assert "\n" not in str(error.value)
    with pytest.raises(JobPlanStoreError, match=r"^notes.txt: a job plan is a .yaml or .xlsx file"):
        store.keep_uploaded("notes.txt", b"", by="Ann")
    assert store.all() == [] and list(tmp_path.iterdir()) == []


def test_the_capacity_command_writes_the_agreed_plans_to_the_homes_warehouse(tmp_path, demo_warehouse):
    home = tmp_path / "home"
    home.mkdir()
    store = JobPlanStore(home / "jobplans")
    kept = store.keep_uploaded("c01.yaml", plan("C01"), by="Ann")
    store.keep_uploaded("c02.yaml", plan("C02"), by="Ann")  # a draft: left out
    store.propose(kept.slug, by="Ann")
    store.agree(kept.slug, by="Bob")
    refused = runner.invoke(app, ["jobplan", "capacity", "--home", str(home)])
    assert refused.exit_code == 2 and "no warehouse in this home" in refused.output
    shutil.copy(demo_warehouse, home / "warehouse.duckdb")
    result = runner.invoke(app, ["jobplan", "capacity", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "from 1 agreed plan(s)" in result.output
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT activity, site, consultants, sessions_per_working_week, sessions_per_week, plans "
            "FROM team_capacity WHERE activity = 'theatre' ORDER BY site"
        ).fetchall()
    # the example: Mon 08-12 theatre at Northgate every week; Wed 08-16 theatre at Southfield in week A
    # (half the weeks); 42 working weeks of 52
    assert [r[:3] for r in rows] == [("theatre", "Northgate", 1), ("theatre", "Southfield", 1)]
    assert [r[3] for r in rows] == pytest.approx([1.0, 0.5])
    assert [r[4] for r in rows] == pytest.approx([42 / 52, 0.5 * 42 / 52])
    assert {r[5] for r in rows} == {1}


def _workbook(path, kind: str = "DCC") -> bytes:
    data = yaml.safe_load(EXAMPLE.read_text())
    on_call = data.pop("on_call")
    activities = pd.DataFrame(data.pop("activities"))
    activities.loc[4, "type"] = kind
    fields = [{"field": k, "value": v} for k, v in data.items()]
    fields += [{"field": f"on_call_{k}", "value": v} for k, v in on_call.items()]
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame(fields).to_excel(writer, sheet_name="Plan", index=False)
        activities.to_excel(writer, sheet_name="Activities", index=False)
    return path.read_bytes()


def test_a_workbook_is_kept_as_uploaded_and_a_bad_cell_is_named_by_sheet_and_row(tmp_path):
    store = JobPlanStore(tmp_path / "jobplans")
    with pytest.raises(JobPlanStoreError) as error:
        store.keep_uploaded("Rachel's plan.xlsx", _workbook(tmp_path / "bad.xlsx", "clinical"), by="Ann")
    assert str(error.value).startswith(
        "Rachel's plan.xlsx, sheet Activities, row 6, field type: 'clinical' is not an activity type"
    )
    assert store.all() == []
    kept = store.keep_uploaded("Rachel's plan.xlsx", _workbook(tmp_path / "good.xlsx"), by="Ann")
    assert kept.file.name == "plan.xlsx" and kept.versions[0]["uploaded_as"] == "Rachel's plan.xlsx"
    expected = read_plan(EXAMPLE).plan
    assert kept.plan().activities == expected.activities and kept.plan().state == "draft"
