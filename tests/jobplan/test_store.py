"""Job plans kept in the home: versions, states and who moved them, supersession, one plan per
consultant for the rota, and the team's capacity written to the warehouse by `stocktake jobplan
capacity --home`."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.jobplan.read import EXAMPLE, read_plan
from stocktake.jobplan.store import JobPlanStore, JobPlanStoreError, agreed, current, latest_agreed

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
    # the example: Mon 08-12 theatre at Northshire General every week; Wed 08-16 theatre at Riverside in
    # week A
    # (half the weeks); 42 working weeks of 52
    assert [r[:3] for r in rows] == [("theatre", "Northshire General", 1), ("theatre", "Riverside", 1)]
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


def _agree(store, kept, **more):
    store.propose(kept.slug, by="Ann")
    return store.agree(kept.slug, by="Bob", **more)


def test_proposing_or_agreeing_a_version_not_the_one_seen_is_refused(tmp_path):
    store = JobPlanStore(tmp_path)
    kept = store.keep_uploaded("a.yaml", plan("C01"), by="Ann")
    store.propose(kept.slug, by="Ann", version=1)
    store.keep_uploaded("b.yaml", plan("C01", working_weeks=40), by="Cy")  # version 2: a draft again
    with pytest.raises(
        JobPlanStoreError, match=r"^C01 2026/27 was not proposed: you saw version 1, and version 2"
    ):
        store.propose(kept.slug, by="Ann", version=1)
    store.propose(kept.slug, by="Ann", version=2)
    with pytest.raises(JobPlanStoreError, match="you saw version 1, and version 2 has been uploaded since"):
        store.agree(kept.slug, by="Bob", version=1)
    assert store.get(kept.slug).state == "proposed"
    assert store.agree(kept.slug, by="Bob", version=2)[0].state == "agreed"


def test_agreeing_supersedes_the_same_or_an_earlier_year_and_refuses_a_year_before_an_agreed_one(tmp_path):
    store = JobPlanStore(tmp_path)
    newer = store.keep_uploaded("a.yaml", plan("C02", "2025/26"), by="Ann")
    _agree(store, newer)
    older = store.keep_uploaded("b.yaml", plan("C02", "2023/24"), by="Ann")
    with pytest.raises(
        JobPlanStoreError, match=r"C02 2023/24 cannot be agreed: C02's plan for 2025/26 is agreed"
    ):
        _agree(store, older)
    assert store.get(newer.slug).state == "agreed" and store.get(older.slug).state == "proposed"
    same = store.keep_uploaded("c.yaml", plan("C02", "2025/26", working_weeks=40), by="Ann")  # a revision
    assert same.slug != newer.slug  # the agreed plan is not open: a new plan for the same year
    _, superseded = _agree(store, same)
    assert [p.slug for p in superseded] == [newer.slug]
    assert [p.slug for p in agreed(store.all())] == [same.slug]


def test_a_consultant_code_in_another_case_is_the_same_consultant(tmp_path):
    store = JobPlanStore(tmp_path)
    first = store.keep_uploaded("a.yaml", plan("c01"), by="Ann")
    again = store.keep_uploaded("b.yaml", plan(" C01"), by="Ann")
    assert again.slug == first.slug and len(again.versions) == 2 and again.consultant == "C01"
    old = store.keep_uploaded("c.yaml", plan("C01", "2025/26"), by="Ann")
    _agree(store, old)
    _, superseded = _agree(store, again)
    assert [p.slug for p in superseded] == [old.slug]


def test_a_failure_before_saving_leaves_every_plan_as_it_was(tmp_path):
    store = JobPlanStore(tmp_path)
    old = store.keep_uploaded("a.yaml", plan("C01", "2025/26"), by="Ann")
    _agree(store, old)
    new = store.keep_uploaded("b.yaml", plan("C01"), by="Ann")
    store.propose(new.slug, by="Ann")
    seen = []

    def fails(after):
        seen.extend(p.slug for p in after)
        raise RuntimeError("the capacity could not be made")

    before = {p.slug: p.about for p in store.all()}
    with pytest.raises(RuntimeError):
        store.agree(new.slug, by="Bob", before_saving=fails)
    assert seen == [new.slug]  # the plans agreed afterwards: the new one, not the one it supersedes
    assert {p.slug: p.about for p in store.all()} == before


def test_latest_agreed_is_each_consultants_latest_year(tmp_path):
    """Plans kept before the same-or-earlier rule may leave a consultant two agreed plans (an older year
    agreed after a newer one); the capacity takes the latest year."""
    store = JobPlanStore(tmp_path)
    newer = store.keep_uploaded("a.yaml", plan("C02", "2025/26"), by="Ann")
    _agree(store, newer)
    older = store.keep_uploaded("b.yaml", plan("C02", "2023/24"), by="Ann")
    store.propose(older.slug, by="Ann")
    about = json.loads((older.folder / "about.json").read_text()) | {
        "state": "agreed",
        "agreed_at": AT.isoformat(),
    }
    (older.folder / "about.json").write_text(json.dumps(about))  # agreed by the old rule, last
    other = store.keep_uploaded("c.yaml", plan("C03"), by="Ann")
    _agree(store, other)
    assert [p.slug for p in latest_agreed(store.all())] == [newer.slug, other.slug]
    assert newer.slug in [p.slug for p in current(store.all())]
