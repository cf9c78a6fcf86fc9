"""A job plan written as the YAML ``read.py`` reads (the fields of ``example_jobplan.yaml``), so a kept
plan downloaded from the workspace, or typed into its form, is a file ``stocktake jobplan check``
takes and reads back as the same plan.

Every value is written so that reading it gives it back exactly: times as ``HH:MM`` (an end at
midnight as ``24:00``), a week pattern as ``every``, ``A``, ``B``, ``1 in N`` or ``per_year``, numbers
without a needless ``.0``, and the state with who agreed it and when.
"""

from __future__ import annotations

import yaml

from stocktake.jobplan.model import WEEKDAYS, Activity, JobPlan, clock


def plan_data(plan: JobPlan) -> dict:
    """The plan as the mapping its YAML holds."""
    data: dict = {"consultant": plan.consultant}
    if plan.name:
        data["name"] = plan.name
    data |= {"year": plan.year, "state": plan.state}
    if plan.agreed_by:
        data["agreed_by"] = plan.agreed_by
    if plan.agreed_on is not None:
        data["agreed_on"] = plan.agreed_on.isoformat()
    data["working_weeks"] = _number(plan.working_weeks)
    data["activities"] = [_activity(a) for a in plan.activities]
    if plan.on_call is not None:
        c = plan.on_call
        on_call: dict = {"rota": c.rota, "category": c.category}
        if c.one_in is not None:
            on_call["one_in"] = _number(c.one_in)
        if c.doctor:
            on_call["doctor"] = c.doctor
        if c.unpredictable_pas:
            on_call["unpredictable_pas"] = _number(c.unpredictable_pas)
        data["on_call"] = on_call
    return data


def plan_yaml(plan: JobPlan) -> str:
    """The plan's YAML text."""
    head = f"# Job plan: {plan.consultant} {plan.year}, as `stocktake jobplan check` reads it\n"
    return head + yaml.safe_dump(plan_data(plan), sort_keys=False, allow_unicode=True, width=110)


def _activity(a: Activity) -> dict:
    row: dict = {
        "weekday": WEEKDAYS[a.weekday],
        "start": clock(a.start),
        "end": clock(a.end),
        "activity": a.activity,
        "type": a.type,
    }
    if a.site:
        row["site"] = a.site
    if a.weeks.kind in ("A", "B"):
        row["weeks"] = a.weeks.kind
    elif a.weeks.kind == "one_in":
        row["weeks"] = f"1 in {_number(a.weeks.n)}"
    elif a.weeks.kind == "per_year":
        row["per_year"] = _number(a.weeks.n)
    return row


def _number(value: float | None) -> int | float:
    value = float(value or 0)
    return int(value) if value.is_integer() else value
