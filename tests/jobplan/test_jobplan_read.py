"""Reading job plans: the example, a workbook read as its YAML, and each kind of bad input named by
file, row and field."""

import pandas as pd
import pytest
import yaml

from stocktake.jobplan.arithmetic import summarise
from stocktake.jobplan.model import WeekPattern
from stocktake.jobplan.read import EXAMPLE, JobPlanInputError, read_plan


def example_data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def write_yaml(tmp_path, data, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_example_reads_and_adds_up():
    found = read_plan(EXAMPLE)
    summary = summarise(found.plan)
    # DCC: 1+1+1 (Mon, Tue) + 2×½ (Wed A) + 1×½ (Wed B) + ½ + ½ (Thu) + (½ + ⅓) (Fri 17–20)
    #      + 10/42 (Saturday ward rounds) + 1 (on-call work) ; SPA 1 + ½ + ¼ ; additional ½
    dcc = 3 + 1 + 0.5 + 1 + 0.5 + 1 / 3 + 10 / 42 + 1
    assert dict(summary.by_type) == pytest.approx(
        {"DCC": dcc, "SPA": 1.75, "additional_nhs": 0.5, "external": 0.0}
    )
    assert found.plan.activities[-1].weeks == WeekPattern("per_year", 10)
    assert found.plan.activities[10].weeks == WeekPattern("one_in", 4)
    assert found.plan.sites == {"Northshire General", "Riverside"}


def test_an_unquoted_afternoon_time_is_a_time_not_a_base_60_number(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "consultant: C1\nyear: 2026/27\nactivities:\n"
        "  - {weekday: Mon, start: 13:00, end: 17:00, activity: clinic, type: DCC}\n"
    )
    (activity,) = read_plan(path).plan.activities
    assert (activity.start, activity.end) == (13 * 60, 17 * 60)


def test_a_workbook_reads_as_the_same_plan(tmp_path):
    data = example_data()
    on_call = data.pop("on_call")
    activities = pd.DataFrame(data.pop("activities"))
    fields = [{"field": k, "value": v} for k, v in data.items()]
    fields += [{"field": f"on_call_{k}", "value": v} for k, v in on_call.items()]
    path = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame(fields).to_excel(writer, sheet_name="Plan", index=False)
        activities.to_excel(writer, sheet_name="Activities", index=False)
    assert read_plan(path).plan == read_plan(EXAMPLE).plan
    activities.loc[4, "type"] = "clinical"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame(fields).to_excel(writer, sheet_name="Plan", index=False)
        activities.to_excel(writer, sheet_name="Activities", index=False)
    with pytest.raises(JobPlanInputError) as raised:
        read_plan(path)
    assert str(raised.value) == (
        f"{path}, sheet Activities, row 6, field type: 'clinical' is not an activity type; "
        "use DCC, SPA, additional_nhs, external"
    )


def _with(change) -> dict:
    data = example_data()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["activities"][1].update(end="12:30"),
            "activities row 2, field end: 12:30 is not after the start 13:00",
        ),
        (
            lambda d: d["activities"][2].update(type="theatre"),
            "activities row 3, field type: 'theatre' is not an activity type; "
            "use DCC, SPA, additional_nhs, external",
        ),
        (
            lambda d: d["activities"].append(
                {"weekday": "Mon", "start": "11:00", "end": "12:30", "activity": "MDT", "type": "DCC"}
            ),
            "activities row 14, field start: Mon 11:00–12:30 MDT overlaps activities row 1 "
            "(Mon 08:00–12:00 theatre)",
        ),
        (
            lambda d: d["activities"][0].update(weekday="Funday"),
            "activities row 1, field weekday: 'Funday' is not a day of the week",
        ),
        (
            lambda d: d["activities"][0].update(weeks="fortnightly"),
            "activities row 1, field weeks: 'fortnightly' is not a week pattern",
        ),
        (
            lambda d: d["activities"][12].update(weeks="A"),
            "activities row 13, field per_year: per_year is given, so weeks must be every",
        ),
        (
            lambda d: d["on_call"].update(category="C"),
            "field on_call.category: 'C' is not an on-call category",
        ),
        (lambda d: d.update(state="agreed"), "field agreed_by: an agreed plan says who agreed it and when"),
        (lambda d: d.pop("year"), "field year: Field required"),
    ],
)
def test_bad_input_is_named_by_file_row_and_field(tmp_path, change, message):
    path = write_yaml(tmp_path, _with(change))
    with pytest.raises(JobPlanInputError) as raised:
        read_plan(path)
    assert str(raised.value).startswith(f"{path}, {message}")
    assert "\n" not in str(raised.value)


def test_week_a_and_week_b_in_the_same_slot_are_not_an_overlap(tmp_path):
    data = _with(lambda d: d["activities"][4].update(start="09:00", end="13:00"))
    assert len(read_plan(write_yaml(tmp_path, data)).plan.activities) == 13


def test_every_problem_is_named_on_one_line_with_the_value_found(tmp_path):
    """The shared wording (``validation_messages.describe``): each place and problem, ``; `` between."""

    def two_problems(d):
        d["activities"][0].update(weekday="Funday")
        d.update(working_weeks="lots")

    path = write_yaml(tmp_path, _with(two_problems))
    with pytest.raises(JobPlanInputError) as raised:
        read_plan(path)
    message = str(raised.value)
    assert message.startswith(f"{path}, ")
    assert "activities row 1, field weekday: 'Funday' is not a day of the week" in message
    assert "field working_weeks: Input should be a valid number" in message and "('lots')" in message
    assert message.count("; field ") + message.count("; activities ") == 1 and "\n" not in message


def _text_plan(tmp_path, body: str, name: str = "plan.yaml"):
    """A plan written as people type it (the YAML read as text, so ``inf`` reaches the model)."""
    path = tmp_path / name
    path.write_text("consultant: C09\nyear: 2026/27\n" + body)
    return path


MONDAY = 'activities:\n  - {weekday: Mon, start: "08:00", end: "12:00", activity: t, type: DCC}\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            MONDAY + "on_call: {rota: x, category: A, one_in: inf}\n",
            "field on_call.one_in: Input should be a finite",
        ),
        (
            MONDAY + "on_call: {rota: x, category: A, one_in: 1e999}\n",
            "field on_call.one_in: Input should be a finite",
        ),
        (
            MONDAY + "on_call: {rota: x, category: A, one_in: nan}\n",
            "field on_call.one_in: Input should be a finite",
        ),
        (
            MONDAY + "on_call: {rota: x, category: A, one_in: 100}\n",
            "field on_call.one_in: Input should be less than",
        ),
        (
            MONDAY + "on_call: {rota: x, category: A, one_in: 8, unpredictable_pas: inf}\n",
            "field on_call.unpredictable_pas: Input should be a finite",
        ),
        (
            MONDAY + "on_call: {rota: x, category: A, one_in: 8, unpredictable_pas: 40}\n",
            "field on_call.unpredictable_pas: Input should be less than or equal to 12",
        ),
        (
            MONDAY + "working_weeks: 0.001\n",
            "field working_weeks: Input should be greater than or equal to 26",
        ),
        (MONDAY + "working_weeks: nan\n", "field working_weeks: Input should be a finite"),
        (
            MONDAY.replace("type: DCC}", "type: DCC, per_year: nan}"),
            "activities row 1, field per_year: Input should be a finite",
        ),
        (
            MONDAY.replace("type: DCC}", "type: DCC, weeks: 1 in 1e9}"),
            "activities row 1, field weeks: '1 in 1e9' is not a week pattern",
        ),
        (
            'activities:\n  - {weekday: Monkey, start: "08:00", end: "12:00", activity: t, type: DCC}\n',
            "activities row 1, field weekday: 'Monkey' is not a day of the week",
        ),
        (
            'activities:\n  - {weekday: Mon, start: "08:00:30", end: "12:00", activity: t, type: DCC}\n',
            "activities row 1, field start: '08:00:30' has seconds",
        ),
    ],
)
def test_numbers_that_are_no_plan_are_refused_where_they_are_read(tmp_path, body, message):
    """inf, 1e999 and nan read as floats from YAML's text; past the bounds a number is a slip. Each is
    refused by file, row and field, before any arithmetic (inf once crashed the supplement's band)."""
    path = _text_plan(tmp_path, body)
    with pytest.raises(JobPlanInputError) as raised:
        read_plan(path)
    assert str(raised.value).startswith(f"{path}, {message}"), str(raised.value)
    assert "\n" not in str(raised.value)


def test_day_names_in_full_or_three_letters_and_whole_minutes_from_a_spreadsheet_read(tmp_path):
    body = (
        "activities:\n"
        '  - {weekday: monday, start: "08:00:00", end: "12:00", activity: t, type: DCC}\n'
        '  - {weekday: SUNDAY, start: "08:00", end: "12:00", activity: w, type: DCC}\n'
        '  - {weekday: tue, start: "20:00", end: "24:00", activity: e, type: DCC}\n'
    )
    plan = read_plan(_text_plan(tmp_path, body)).plan
    assert [(a.weekday, a.start, a.end) for a in plan.activities] == [
        (0, 480, 720),
        (6, 480, 720),
        (1, 1200, 1440),
    ]


def test_a_yaml_syntax_error_is_one_line_naming_file_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("consultant: C09\nyear: 2026/27\nactivities: [a\n")
    with pytest.raises(JobPlanInputError) as raised:
        read_plan(path)
    message = str(raised.value)
    assert "\n" not in message
    # the YAML ends (line 4, column 1) before the list opened on line 3 is closed
    assert message.startswith(f"{path}, line 4, column 1: not valid YAML: ")


def test_a_consultant_code_is_one_person_however_typed(tmp_path):
    assert read_plan(_text_plan(tmp_path, MONDAY).rename(tmp_path / "a.yaml")).plan.consultant == "C09"
    path = tmp_path / "b.yaml"
    path.write_text("consultant: '  c09 '\nyear: 2026/27\n" + MONDAY)
    assert read_plan(path).plan.consultant == "C09"


@pytest.mark.parametrize(
    ("counts", "refused"),
    [
        ((20, 20), False),
        ((21, 21), False),
        ((30, 20), True),
        ((10, 10, 10, 10), False),
        ((10, 10, 10, 13), True),
    ],
)
def test_annualised_sessions_may_share_a_slot_while_their_counts_fit_the_working_weeks(
    tmp_path, counts, refused
):
    """42 working weeks: 20 + 20 Saturday lists can fall in different weeks; 30 + 20 cannot."""
    rows = "".join(
        f'  - {{weekday: Sat, start: "08:00", end: "12:00", activity: list {k}, type: DCC, per_year: {n}}}\n'
        for k, n in enumerate(counts)
    )
    path = _text_plan(tmp_path, "working_weeks: 42\nactivities:\n" + rows)
    if refused:
        with pytest.raises(JobPlanInputError, match="overlaps"):
            read_plan(path)
    else:
        assert len(read_plan(path).plan.activities) == len(counts)


def test_an_annualised_session_still_overlaps_a_weekly_one(tmp_path):
    body = (
        "activities:\n"
        '  - {weekday: Mon, start: "08:00", end: "12:00", activity: t, type: DCC}\n'
        '  - {weekday: Mon, start: "09:00", end: "11:00", activity: u, type: DCC, per_year: 2}\n'
    )
    with pytest.raises(
        JobPlanInputError, match=r"activities row 2, field start: .* overlaps activities row 1"
    ):
        read_plan(_text_plan(tmp_path, body))
