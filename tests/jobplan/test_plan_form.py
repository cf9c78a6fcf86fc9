"""The workspace's job-plan form: the worked example through the form gives the example's plan; blank
rows left out; every field the reader refuses named at once by the form's section, row and field;
the checks across rows named by the form's row (not the kept row's); the text kept as typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml

from stocktake.jobplan.form import (
    BLANK_ROWS,
    JobPlanForm,
    JobPlanFormError,
    blank_form,
    blank_row,
    form_plan,
    plan_form,
    read_form,
)
from stocktake.jobplan.read import EXAMPLE, read_plan
from stocktake.jobplan.write import plan_data, plan_yaml

TODAY = date(2026, 12, 3)


def row(**values) -> dict:
    return blank_row() | values


def test_the_worked_example_through_the_form_is_the_examples_plan(tmp_path):
    example = replace(read_plan(EXAMPLE).plan, state="draft")  # the form has no state: a draft
    form = plan_form(plan_data(example))
    assert len(form.rows) == BLANK_ROWS  # the example's 13 sessions and blank rows after them
    assert form.rows[12]["weeks"] == "10 a year"  # per_year: 10 is typed as "10 a year"
    # blank rows between the sessions are left out
    spaced = JobPlanForm(form.top, form.on_call, (blank_row(), *form.rows[:5], blank_row(), *form.rows[5:]))
    plan = form_plan(spaced, today=TODAY).plan
    assert plan == example
    path = tmp_path / "kept.yaml"
    path.write_text(plan_yaml(plan))
    assert read_plan(path).plan == example  # the file kept for it reads back the same


def test_a_form_read_from_a_requests_fields_keeps_every_row_in_order():
    sent = {
        "consultant": ["c09"],
        "year": ["26/27"],
        "activities-weekday": ["Mon", "", "Tue"],
        "activities-start": ["08:00", "", "13:00"],
        "activities-end": ["12:00", "", "17:00"],
        "activities-activity": ["theatre", "", "SPA"],
        "activities-type": ["DCC", "DCC", "SPA"],
        "activities-site": ["Riverside", "", ""],
        "activities-weeks": ["A", "", ""],
    }
    form = read_form(lambda name: sent.get(name, []), lambda name: (sent.get(name) or [""])[0])
    assert len(form.rows) == 3 and form.rows[1] == blank_row()
    plan = form_plan(form, today=TODAY).plan
    assert (plan.consultant, plan.year, len(plan.activities)) == ("C09", "2026/27", 2)
    assert plan.activities[0].weeks.kind == "A" and plan.on_call is None


def test_every_refused_field_is_named_at_once_by_section_row_and_field():
    form = JobPlanForm(
        {"consultant": "C09", "year": "2026/28"},
        {"rota": "T&O", "category": "", "one_in": "0"},
        (
            row(weekday="Mon", start="08:00", end="12:00", activity="theatre"),
            blank_row(),
            row(weekday="Tue", start="8 o'clock", end="12:00", activity="clinic"),
            row(start="13:00", end="17:00", activity="clinic"),  # no weekday chosen
            row(weekday="Wed", start="08:00", end="12:00", activity="x", weeks="fortnightly"),
        ),
    )
    with pytest.raises(JobPlanFormError) as refused:
        form_plan(form, today=TODAY)
    said = {p.anchor: p.message for p in refused.value.problems}
    assert said == {
        "year": "Financial year: '2026/28' is not a financial year: 28 does not follow 2026",  # said once
        "activities-2-start": "Timetable, row 3, Starts: " + '"8 o\'clock" is not a time like 08:00',
        "activities-3-weekday": "Timetable, row 4, Weekday: needed",
        "activities-4-weeks": "Timetable, row 5, Weeks: 'fortnightly' is not a week pattern; use every, A, B "
        "or '1 in N' (or per_year)",
        "on_call-category": "On call, Category: needed",
        "on_call-one_in": "On call, Frequency (1 in N): Input should be greater than or equal to 1 ('0')",
    }


def test_checks_across_rows_name_the_forms_rows_not_the_kept_ones():
    """Row 3 of the form is the second session kept (row 2 is blank): an overlap names both as typed."""
    form = JobPlanForm(
        {"consultant": "C09", "year": "2026/27"},
        {},
        (
            row(weekday="Mon", start="08:00", end="12:00", activity="theatre"),
            blank_row(),
            row(weekday="Mon", start="11:00", end="13:00", activity="clinic"),
        ),
    )
    with pytest.raises(JobPlanFormError) as refused:
        form_plan(form, today=TODAY)
    [problem] = refused.value.problems
    assert problem.anchor == "activities-2-start"
    assert problem.message == (
        "Timetable, row 3, Starts: Mon 11:00–13:00 clinic overlaps Timetable, row 1 (Mon 08:00–12:00 theatre)"
    )
    backwards = JobPlanForm(
        form.top, {}, (blank_row(), row(weekday="Fri", start="17:00", end="09:00", activity="x"))
    )
    with pytest.raises(
        JobPlanFormError, match=r"^Timetable, row 2, Ends: 09:00 is not after the start 17:00"
    ):
        form_plan(backwards, today=TODAY)


def test_a_blank_form_is_refused_asking_for_a_session_and_the_consultant():
    with pytest.raises(JobPlanFormError) as refused:
        form_plan(blank_form(), today=TODAY)
    assert [p.message for p in refused.value.problems] == ["Timetable: give at least one session"]
    one = JobPlanForm({}, {}, (row(weekday="Mon", start="08:00", end="12:00", activity="t"),))
    with pytest.raises(JobPlanFormError) as refused:
        form_plan(one, today=TODAY)
    assert [p.message for p in refused.value.problems] == [
        "Consultant (code): needed",
        "Financial year: needed",
    ]


def test_an_annualised_row_is_typed_as_so_many_a_year():
    form = JobPlanForm(
        {"consultant": "C09", "year": "2026/27", "working_weeks": "40"},
        {},
        (row(weekday="Sat", start="08:00", end="11:00", activity="ward round", weeks="41 a year"),),
    )
    with pytest.raises(JobPlanFormError) as refused:  # more than once a week over 40 working weeks
        form_plan(form, today=TODAY)
    assert refused.value.problems[0].anchor == "activities-0-weeks"
    assert refused.value.problems[0].message.startswith(
        "Timetable, row 1, Weeks: 41 a year is more than once"
    )
    fine = JobPlanForm(form.top, {}, (form.rows[0] | {"weeks": "20 a year"},))
    assert form_plan(fine, today=TODAY).plan.activities[0].weeks.n == 20
    assert yaml.safe_load(plan_yaml(form_plan(fine, today=TODAY).plan))["activities"][0]["per_year"] == 20
