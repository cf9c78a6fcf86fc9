"""What an outsider found in job plans (issue 27, third review; ADR 0041 addendum): control characters
refused where a plan is read, naming the row and field, rather than saved and then failing the check's
workbook; a consultant's code of letters, digits, ``-``, ``_`` and ``.`` only; a value said once in a
field's problem; the agreement's date the London day the pages show; the agreement's moment taken
inside the store's lock; the out-of-date line in London time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pandas as pd
import pytest
import yaml
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.jobplan.capacity import capacity_frame, out_of_date
from stocktake.jobplan.read import EXAMPLE, JobPlanInputError, read_plan
from stocktake.jobplan.store import JobPlanStore, newest_change
from stocktake.jobplan.write import plan_yaml

runner = CliRunner()
TODAY = date(2026, 12, 3)


def _data(**changes) -> dict:
    return yaml.load(EXAMPLE.read_text(), Loader=yaml.BaseLoader) | changes


def _write(tmp_path, data: dict, name: str = "plan.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))  # escapes as \v, \0, \e
    return path


#: Every character openpyxl refuses in a cell, and the tab and line breaks a one-line field cannot show.
REFUSED = sorted(
    {chr(c) for c in range(0x110) if ILLEGAL_CHARACTERS_RE.match(chr(c))} | {"\t", "\n", "\r", "\x7f"}
)


def test_the_characters_refused_are_openpyxls_and_the_line_breaks_independently_listed():
    assert {"\x00", "\x0b", "\x1b", "\x0c", "\t", "\n"} <= set(REFUSED) and " " not in REFUSED
    assert len(REFUSED) == 33  # the 32 C0 controls and DEL, counted by hand


@pytest.mark.parametrize("char", REFUSED, ids=[f"{ord(c):#04x}" for c in REFUSED])
def test_a_control_character_in_an_activity_is_refused_naming_its_row_and_field(tmp_path, char):
    data = _data()
    data["activities"][2] = data["activities"][2] | {"activity": f"fracture{char}clinic"}
    with pytest.raises(JobPlanInputError) as refused:
        read_plan(_write(tmp_path, data), today=TODAY)
    said = str(refused.value)
    assert said.startswith(f"{tmp_path / 'plan.yaml'}, activities row 3, field activity: ")
    assert "contains a control character" in said and said.count(repr(f"fracture{char}clinic")) == 1
    assert "\n" not in said and char not in said.replace(str(tmp_path), "")  # one line, the character escaped


@pytest.mark.parametrize(
    ("field", "value", "place"),
    [
        ("name", "Miss Rachel\x0bAdeyemi", "field name"),  # Word's line break
        ("agreed_by", "Dr\x00Bo", "field agreed_by"),
        ("on_call", {"rota": "T&O\x1b[31m", "category": "A", "one_in": "8"}, "field on_call.rota"),
    ],
)
def test_a_control_character_anywhere_in_the_plan_is_refused(tmp_path, field, value, place):
    path = _write(tmp_path, _data(**{field: value}))
    with pytest.raises(JobPlanInputError, match="contains a control character") as refused:
        read_plan(path, today=TODAY)
    assert f", {place}: " in str(refused.value)


def test_the_check_command_refuses_it_in_one_line_and_writes_no_workbook(tmp_path):
    data = _data()
    data["activities"][0] = data["activities"][0] | {"site": "Northshire\x0bGeneral"}
    out = tmp_path / "check.xlsx"
    result = runner.invoke(app, ["jobplan", "check", str(_write(tmp_path, data)), "--out", str(out)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "activities row 1, field site" in lines[0]
    assert "contains a control character ('\\x0b')" in lines[0] and "Traceback" not in result.output
    assert not out.exists()


def test_spaces_at_either_end_are_still_trimmed(tmp_path):
    data = _data(name="  Miss Rachel Adeyemi\n")
    assert read_plan(_write(tmp_path, data), today=TODAY).plan.name == "Miss Rachel Adeyemi"


@pytest.mark.parametrize("code", ["C 01", "C01/2", "C01\\2", "C01:a", "Dr Ng"])
def test_a_consultants_code_with_a_space_or_a_slash_is_refused_naming_the_field(tmp_path, code):
    with pytest.raises(JobPlanInputError) as refused:
        read_plan(_write(tmp_path, _data(consultant=code)), today=TODAY)
    assert (
        f"field consultant: {code!r} is not a consultant's code; use letters, digits, - _ or . only"
        in str(refused.value)
    )


@pytest.mark.parametrize("code", [".", "..", "-", "_.-"])
def test_a_consultants_code_of_only_punctuation_is_refused(tmp_path, code):
    """``.`` or ``..`` names no one, and as a file's name means the folder itself or the one above."""
    with pytest.raises(JobPlanInputError) as refused:
        read_plan(_write(tmp_path, _data(consultant=code)), today=TODAY)
    assert "with at least one letter or digit" in str(refused.value)


@pytest.mark.parametrize("code", ["C.1", "c-9", "x_", "7"])
def test_a_code_with_a_letter_or_digit_among_the_marks_is_kept(tmp_path, code):
    assert read_plan(_write(tmp_path, _data(consultant=code)), today=TODAY).plan.consultant == code.upper()


@pytest.mark.parametrize("code", ["C01", "c-01", "T_O.7"])
def test_letters_digits_dash_underscore_and_dot_are_a_code(tmp_path, code):
    assert read_plan(_write(tmp_path, _data(consultant=code)), today=TODAY).plan.consultant == code.upper()


def test_a_fields_problem_says_the_value_once(tmp_path):
    data = _data()
    data["activities"][0] = data["activities"][0] | {"end": "25:00"}
    with pytest.raises(JobPlanInputError) as refused:
        read_plan(_write(tmp_path, data), today=TODAY)
    assert str(refused.value).endswith("activities row 1, field end: '25:00' is not a time like 08:00")
    data = _data(working_weeks="60")  # a message that does not name the value still gets it
    with pytest.raises(JobPlanInputError, match=r"less than or equal to 52 \('60'\)$"):
        read_plan(_write(tmp_path, data), today=TODAY)


def _agreed_at(store: JobPlanStore, at: datetime):
    kept = store.keep_uploaded("plan.yaml", _write_text(), by="Ann")
    store.propose(kept.slug, by="Ann")
    done, _ = store.agree(kept.slug, by="Bob", at=at)
    return done


def _write_text() -> bytes:
    return yaml.safe_dump(_data(state="draft"), sort_keys=False).encode()


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), date(2026, 7, 2)),  # BST: 00:30 on the 2nd in London
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), date(2026, 12, 1)),  # GMT: the same day
        (datetime(2026, 3, 28, 23, 59, tzinfo=UTC), date(2026, 3, 28)),  # the night before the clocks go on
        (datetime(2026, 3, 29, 23, 0, tzinfo=UTC), date(2026, 3, 30)),  # the first night of BST
    ],
)
def test_the_downloaded_yamls_agreed_on_is_the_london_day(tmp_path, at, day):
    done = _agreed_at(JobPlanStore(tmp_path), at)
    assert done.plan().agreed_on == day
    assert f"agreed_on: '{day.isoformat()}'" in plan_yaml(done.plan())


def test_the_agreement_is_timed_inside_the_lock_after_the_capacity_an_earlier_one_made(tmp_path):
    """A waits in its capacity step holding the lock; B asks to agree meanwhile. B's moment must be
    after the capacity A made, or a capacity written by A without B would look up to date."""
    store = JobPlanStore(tmp_path)
    first, second = (store.keep_uploaded(f"{c}.yaml", _code(c), by="Ann") for c in ("C01", "C02"))
    for kept in (first, second):
        store.propose(kept.slug, by="Ann")
    waiting, go, made = threading.Event(), threading.Event(), {}

    def capacity_of_a(plans):
        waiting.set()
        go.wait(10)
        made["frame"] = capacity_frame([p.plan() for p in plans])

    a = threading.Thread(target=lambda: store.agree(first.slug, by="Bob", before_saving=capacity_of_a))
    b = threading.Thread(target=lambda: store.agree(second.slug, by="Bob"))
    a.start()
    assert waiting.wait(10)
    b.start()
    time.sleep(0.3)  # B is waiting for the lock
    go.set()
    a.join(10)
    b.join(10)
    written_by_a = made["frame"]
    assert set(written_by_a["plans"]) == {1}  # A's capacity lacks B
    b_agreed = datetime.fromisoformat(store.get(second.slug).about["agreed_at"])
    a_wrote = pd.Timestamp(written_by_a["written_at"].max()).to_pydatetime().replace(tzinfo=UTC)
    assert b_agreed > a_wrote
    assert out_of_date(written_by_a, newest_change(store.all())).startswith("team capacity out of date")


def _code(code: str) -> bytes:
    return yaml.safe_dump(_data(consultant=code, state="draft"), sort_keys=False).encode()


def test_the_out_of_date_line_is_in_london_time():
    written = capacity_frame([], datetime(2026, 7, 1, 9, 0, 5, tzinfo=UTC))
    written = pd.concat([written, written.iloc[:0]])  # no rows says nothing of when: give one
    written.loc[0] = ["theatre", "N", 1, 1.0, 1.0, 42.0, 1.0, 1, pd.Timestamp(2026, 7, 1, 9, 0, 5)]
    said = out_of_date(written, datetime(2026, 7, 1, 9, 0, 7, tzinfo=UTC))
    assert said.endswith(
        "written 1 July 2026, 10:00:05, and a plan was agreed or superseded after it, 1 July 2026, 10:00:07"
    )
    assert "UTC" not in said
