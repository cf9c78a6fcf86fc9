"""The rota form: the same problem as the YAML written by hand, the worked example through the form and
back, and every refusal naming its section, row and field."""

from __future__ import annotations

import pytest
import yaml

from stocktake.rota.form import (
    SECTIONS,
    RotaForm,
    RotaFormError,
    blank_form,
    form_problem,
    form_spec,
    read_form,
    spec_form,
)
from stocktake.rota.model import EXAMPLE, parse_problem

#: Two sites, four doctors, a day shift, a weekend day and an on-call, a 1:4 on-call pattern and a
#: request: written by hand as the YAML ``stocktake rota solve`` reads.
HAND_WRITTEN = """
name: Small rota
start: 2026-03-02
weeks: 2
limits: {check_one_in_three_weekends: false}
doctors:
  - {id: A, name: Dr A, grade: ST4, sites: [North Site]}
  - {id: B, sites: [North Site, South Site], wte: 0.8, leave: [2026-03-04, 2026-03-09..2026-03-10]}
  - {id: C, sites: [South Site], on_call: false}
  - {id: D, sites: [South Site], opted_out: true}
shifts:
  - {id: day, label: Day, site: North Site, start: "08:00", end: "17:00", days: [Mon, Tue, Wed, Thu, Fri],
     cover: 1, cover_max: 2, breaks: ["12:30"]}
  - {id: wkd, site: South Site, start: "09:00", end: "17:00", days: [Sat, Sun]}
  - {id: oc, label: On call, site: Both, start: "17:00", end: "08:00", kind: on_call, expected_hours: 3,
     expected_episodes: 2}
patterns:
  - {name: "1:4 on call", one_in: 4, shifts: [oc], doctors: [A, B, C, D], weekends_together: true}
requests:
  - {doctor: A, date: 2026-03-07}
  - {doctor: D, date: 2026-03-05, shift: oc, weight: 5}
"""

#: The same rota as the form's fields arrive (one value a row, blank rows among them).
FIELDS = {
    "name": ["Small rota"],
    "start": ["2026-03-02"],
    "weeks": ["2"],
    "doctors-id": ["A", "B", "", "C", "D"],
    "doctors-name": ["Dr A", "", "", "", ""],
    "doctors-grade": ["ST4", "", "", "", ""],
    "doctors-sites": ["North Site", "North Site, South Site", "", "South Site", "South Site"],
    "doctors-wte": ["", "80%", "", "", "1"],
    "doctors-on_call": ["yes", "yes", "yes", "no", "yes"],
    "doctors-opted_out": ["no", "no", "no", "no", "yes"],
    "doctors-leave": ["", "2026-03-04, 2026-03-09..2026-03-10", "", "", ""],
    "shifts-id": ["day", "wkd", "oc"],
    "shifts-label": ["Day", "", "On call"],
    "shifts-site": ["North Site", "South Site", "Both"],
    "shifts-start": ["8:00", "09:00", "17:00"],
    "shifts-end": ["17:00", "17:00", "08:00"],
    "shifts-kind": ["shift", "shift", "on_call"],
    "shifts-expected_hours": ["", "", "3"],
    "shifts-expected_episodes": ["", "", "2"],
    "shifts-days": ["Mon-Fri", "weekends", ""],
    "shifts-cover": ["1", "", ""],
    "shifts-cover_max": ["2", "", ""],
    "shifts-breaks": ["12:30", "", ""],
    "patterns-name": ["1:4 on call", ""],
    "patterns-one_in": ["4", ""],
    "patterns-shifts": ["oc", ""],
    "patterns-doctors": ["A B C, D", ""],
    "patterns-weekends_together": ["yes", "yes"],
    "requests-doctor": ["A", "D"],
    "requests-date": ["2026-03-07", "2026-03-05"],
    "requests-shift": ["", "oc"],
    "requests-weight": ["", "5"],
}


def _form(fields: dict[str, list[str]], one_in_three: str = "") -> RotaForm:
    fields = fields | {"one_in_three": [one_in_three]}
    return read_form(lambda name: fields.get(name, []), lambda name: (fields.get(name) or [""])[0])


def _refusals(**changes) -> list[str]:
    with pytest.raises(RotaFormError) as refused:
        form_spec(_form(FIELDS | changes))
    return [p.message for p in refused.value.problems]


def test_the_form_gives_the_problem_the_hand_written_yaml_gives():
    problem, text = form_problem(_form(FIELDS))
    expected = parse_problem(yaml.safe_load(HAND_WRITTEN))
    assert problem == expected
    assert parse_problem(yaml.safe_load(text)) == expected  # the spec.yaml kept reads back the same
    assert "&id" not in text  # plain YAML, no anchors


def test_the_one_in_three_check_is_left_to_its_default_when_ticked():
    problem, text = form_problem(_form(FIELDS, one_in_three="yes"))
    assert problem.limits.check_one_in_three_weekends and "limits" not in text


def test_the_worked_example_through_the_form_and_back_is_the_same_problem():
    data = yaml.safe_load(EXAMPLE.read_text())
    form = spec_form(data)
    assert [len(form.section(s.key)) for s in SECTIONS] == [8, 6, 3, 3]
    assert form.section("shifts")[0]["days"] == "weekdays" and form.section("doctors")[6]["wte"] == "0.8"
    assert form_problem(form)[0] == parse_problem(data)


def test_a_row_is_added_blank_and_a_blank_row_is_left_out():
    form = blank_form()
    assert [len(form.section(s.key)) for s in SECTIONS] == [3, 2, 1, 1]
    more = _form(FIELDS).with_row("shifts")
    assert len(more.section("shifts")) == 4 and more.section("shifts")[3]["kind"] == "shift"
    assert more.section("shifts")[:3] == _form(FIELDS).section("shifts")  # the text typed kept
    assert form_problem(more)[0] == parse_problem(yaml.safe_load(HAND_WRITTEN))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"doctors-wte": ["", "1.5", "", "", ""]},
            "Doctors, row 2, WTE: '1.5' is not a whole-time equivalent above 0 and at most 1",
        ),
        (
            {"doctors-sites": ["North Site", "", "", "South Site", "South Site"]},
            "Doctors, row 2, Sites: needed",
        ),
        (
            {"doctors-leave": ["", "2026-03-40", "", "", ""]},
            "Doctors, row 2, Leave: '2026-03-40' is not a date",
        ),
        (
            {
                "doctors-id": ["A", "B", "", "C", "D", "A"],
                "doctors-sites": [*FIELDS["doctors-sites"], "North Site"],
            },
            "Doctors, row 6, Id: 'A' is the id of row 1 too",
        ),
        ({"shifts-days": ["Mon-Fry", "weekends", ""]}, "Shift types, row 1, Days: 'Mon-Fry' is not a day"),
        ({"shifts-breaks": ["25:00", "", ""]}, "Shift types, row 1, Breaks (start times): Input should be"),
        (
            {"shifts-end": ["17:00", "5pm", "08:00"]},
            "Shift types, row 2, Ends: Input should be in a valid time",
        ),
        (
            {"shifts-expected_hours": ["", "", ""]},
            "Shift types, row 3: a non-resident on-call period needs expected_hours",
        ),
        ({"shifts-cover": ["3", "", ""]}, "Shift types, row 1: cover_max 2 is below cover 3"),
        (
            {"patterns-doctors": ["A B Z", ""]},
            "1-in-n patterns, row 1, Doctors (ids): no doctor 'Z' (the ids: A",
        ),
        ({"patterns-one_in": ["one", ""]}, "1-in-n patterns, row 1, 1 in: Input should be a valid integer"),
        (
            {"requests-shift": ["", "night"]},
            "Requests, row 2, Shift type (id; blank: a day off): no shift type",
        ),
        ({"start": ["2026-03-03"]}, "First day: 2026-03-03 is a Tue; a rota period starts on a Monday"),
        ({"weeks": ["30"]}, "Weeks: Input should be less than or equal to 26 (30)"),
        ({"name": [" "]}, "Name: give the rota a name"),
    ],
)
def test_each_refusal_names_the_section_row_and_field(changes, expected):
    found = _refusals(**changes)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_every_problem_is_listed_at_once_each_linked_to_its_field():
    with pytest.raises(RotaFormError) as refused:
        form_spec(
            _form(
                FIELDS
                | {"doctors-wte": ["2", "", "", "", ""], "shifts-days": ["", "", "Someday"], "weeks": [""]}
            )
        )
    problems = refused.value.problems
    assert [p.anchor for p in problems] == ["weeks", "doctors-0-wte", "shifts-2-days"]


def test_a_shift_no_doctor_can_work_is_said_in_words():
    """Not "only nobody can work it": a shift at a site none of the form's doctors works at."""
    from stocktake.rota.explain import static_problems

    data = yaml.safe_load(HAND_WRITTEN)
    data["shifts"].append(
        {"id": "far", "label": "Far day", "site": "Far Site", "start": "08:00", "end": "17:00"}
    )
    found = static_problems(parse_problem(data))
    assert "Far day needs 1 doctor(s) but no doctor can work it (site Far Site)." in found
    assert not any("nobody" in line for line in found)
    data["doctors"][0]["sites"].append("Far Site")
    data["shifts"][-1]["cover"] = 2
    assert "Far day needs 2 doctor(s) but only Dr A can work it (site Far Site)." in static_problems(
        parse_problem(data)
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (  # Word's line break, pasted into a name: it once ran the whole solve and then failed the grid
            {"doctors-name": ["Dr\x0bAmara", "", "", "", ""]},
            "Doctors, row 1, Name: 'Dr\\x0bAmara' contains a control character ('\\x0b')",
        ),
        (
            {"doctors-sites": ["North Site", "North\x00Site, South Site", "", "South Site", "South Site"]},
            "Doctors, row 2, Sites: 'North\\x00Site' contains a control character ('\\x00')",
        ),
        (
            {"shifts-label": ["Day\x1b[1m", "", "On call"]},
            "Shift types, row 1, Label (its code in the grid): 'Day\\x1b[1m' contains a control character "
            "('\\x1b')",
        ),
        ({"name": ["Small\trota"]}, "Name: 'Small\\trota' contains a control character ('\\t')"),
        (
            {"patterns-name": ["1:4\non call", ""]},
            "1-in-n patterns, row 1, Name: '1:4\\non call' contains a control character ('\\n')",
        ),
    ],
)
def test_a_control_character_is_refused_naming_the_row_and_field_with_the_value_once(changes, expected):
    assert _refusals(**changes) == [expected]  # the whole line: the value said once, escaped


def test_a_control_character_in_a_yaml_specification_is_refused_naming_its_place():
    from stocktake.rota.model import RotaSpecError

    data = yaml.safe_load(HAND_WRITTEN)
    data["doctors"][0]["name"] = "Dr\x0bAmara"
    with pytest.raises(RotaSpecError) as refused:
        parse_problem(data, "spec.yaml")
    assert str(refused.value).startswith(
        "spec.yaml: doctors, row 1, name: 'Dr\\x0bAmara' contains a control character ('\\x0b')"
    )
    data["doctors"][0]["name"] = " Dr Amara\n"  # a YAML block's trailing line break is not refused
    assert parse_problem(data).doctors[0].name == " Dr Amara\n"
