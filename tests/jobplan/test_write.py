"""A plan written as YAML reads back as the same plan: the worked example, a workbook's plan, and a
plan holding every week pattern, a session to midnight, an agreed state and an on-call doctor."""

from __future__ import annotations

from datetime import date

import yaml

from stocktake.jobplan.model import Activity, JobPlan, OnCallCommitment, WeekPattern
from stocktake.jobplan.read import EXAMPLE, read_plan
from stocktake.jobplan.write import plan_data, plan_yaml


def _round_trip(tmp_path, plan: JobPlan) -> JobPlan:
    path = tmp_path / "written.yaml"
    path.write_text(plan_yaml(plan))
    return read_plan(path).plan


def test_the_worked_example_reads_back_the_same(tmp_path):
    plan = read_plan(EXAMPLE).plan
    assert _round_trip(tmp_path, plan) == plan


def test_every_pattern_a_midnight_end_and_an_agreement_read_back_the_same(tmp_path):
    plan = JobPlan(
        "C07",
        "2026/27",
        (
            Activity(0, 8 * 60, 12 * 60, "theatre", "DCC", "Riverside", WeekPattern("A")),
            Activity(0, 8 * 60, 12 * 60, "clinic", "DCC", "Riverside", WeekPattern("B")),
            Activity(1, 20 * 60, 24 * 60, "trauma list", "DCC", "Northshire General"),
            Activity(2, 9 * 60 + 30, 11 * 60 + 15, "teaching", "SPA", "", WeekPattern("one_in", 3.0)),
            Activity(5, 8 * 60, 11 * 60, "ward round", "DCC", "Riverside", WeekPattern("per_year", 10.5)),
            Activity(4, 13 * 60, 17 * 60, "medical director", "external"),
            Activity(3, 13 * 60, 17 * 60, "governance", "additional_nhs"),
        ),
        OnCallCommitment("T&O consultants", "B", 6.0, "Dr Seven", 0.75),
        name="Ms Seven: 'quoted' # not a comment",
        state="agreed",
        agreed_by="Clinical Director",
        agreed_on=date(2026, 5, 1),
        working_weeks=41.5,
    )
    assert _round_trip(tmp_path, plan) == plan
    data = plan_data(plan)
    assert data["activities"][2]["end"] == "24:00" and data["activities"][4]["per_year"] == 10.5
    assert data["activities"][3]["weeks"] == "1 in 3" and "weeks" not in data["activities"][2]


def test_a_workbooks_plan_written_as_yaml_reads_back_the_same(tmp_path):
    import pandas as pd

    example = yaml.safe_load(EXAMPLE.read_text())
    fields = [(k, example[k]) for k in ("consultant", "name", "year", "state", "working_weeks")]
    fields += [(f"on_call_{k}", v) for k, v in example["on_call"].items()]
    path = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame(fields, columns=["field", "value"]).to_excel(book, sheet_name="Plan", index=False)
        pd.DataFrame(example["activities"]).to_excel(book, sheet_name="Activities", index=False)
    plan = read_plan(path).plan
    assert _round_trip(tmp_path, plan) == plan == read_plan(EXAMPLE).plan
