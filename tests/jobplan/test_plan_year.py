"""A plan's financial year: read in the forms people type it, kept and compared as ``YYYY/YY``, and
anything else (or a year far ahead) refused naming file, row and field. Each expectation is worked by
hand from the rule: the second year follows the first; ``YY/YY`` is in the 2000s; a year starting
(1 April) more than two years after today is a slip."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml

from stocktake.jobplan.model import EVERY_WEEK, Activity, JobPlan, financial_year, year_key
from stocktake.jobplan.read import EXAMPLE, JobPlanInputError, read_plan
from stocktake.jobplan.review import review_queue
from stocktake.jobplan.store import JobPlanStore, agreed

TODAY = date(2026, 12, 3)  # 2 years on: 2028-12-03, so 2028/29 (from 2028-04-01) is the last year taken
AT = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


def session(day, start, activity, kind="DCC") -> Activity:
    return Activity(day, start * 60, (start + 4) * 60, activity, kind, "Northgate", EVERY_WEEK)


BASE = (  # DCC 3, SPA 2: 5 PAs a week
    session(0, 8, "theatre"),
    session(0, 13, "clinic"),
    session(1, 8, "fracture clinic"),
    session(1, 13, "SPA", "SPA"),
    session(2, 8, "SPA", "SPA"),
)


def _yaml(tmp_path, year: str):
    path = tmp_path / "plan.yaml"
    data = yaml.safe_load(EXAMPLE.read_text()) | {"year": year}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("2026/27", "2026/27"),
        ("2026-27", "2026/27"),
        ("26/27", "2026/27"),
        ("2026/2027", "2026/27"),
        (" 2025/26 ", "2025/26"),
        ("2028/29", "2028/29"),  # starts 2028-04-01, before 2028-12-03
        ("1999/00", "1999/00"),  # the century turns: 00 follows 99
    ],
)
def test_a_year_in_each_accepted_form_is_read_as_yyyy_yy(tmp_path, typed, kept):
    assert read_plan(_yaml(tmp_path, typed), today=TODAY).plan.year == kept


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("2026", "'2026' is not a financial year; write it like 2026/27"),
        ("2026/28", "'2026/28' is not a financial year: 28 does not follow 2026"),
        ("26/28", "'26/28' is not a financial year: 28 does not follow 26"),
        ("2026/2028", "2028 does not follow 2026"),
        ("26-27", "'26-27' is not a financial year"),
        ("2026-2027", "'2026-2027' is not a financial year"),
        ("FY26", "'FY26' is not a financial year"),
        ("2029/30", "'2029/30' starts more than 2 years after today (2026-12-03)"),
        ("2062/63", "'2062/63' starts more than 2 years after today (2026-12-03)"),
    ],
)
def test_any_other_year_is_refused_on_one_line_naming_file_and_field(tmp_path, typed, said):
    path = _yaml(tmp_path, typed)
    with pytest.raises(JobPlanInputError) as caught:
        read_plan(path, today=TODAY)
    message = str(caught.value)
    assert message.startswith(f"{path}, field year: ") and said in message and "\n" not in message


def test_a_workbook_year_is_refused_naming_its_sheet_and_row(tmp_path):
    import pandas as pd

    path = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"field": ["consultant", "year"], "value": ["C01", "2026/28"]}).to_excel(
            book, sheet_name="Plan", index=False
        )
        pd.DataFrame(
            [{"weekday": "Mon", "start": "08:00", "end": "12:00", "activity": "t", "type": "DCC"}]
        ).to_excel(book, sheet_name="Activities", index=False)
    with pytest.raises(JobPlanInputError, match=r"plan\.xlsx, sheet Plan, row 3, field year: '2026/28'"):
        read_plan(path, today=TODAY)


def test_years_order_as_the_years_they_are_not_as_text():
    assert financial_year("26/27") == financial_year("2026-27") == "2026/27"
    assert year_key("25/26") < year_key("2026/27") == year_key("26/27") < year_key("2027/28")
    assert year_key("2026") == (-1, "2026")  # kept before years were checked: before every real year


def plan(year, state="agreed", activities=BASE) -> JobPlan:
    agreed_on = ("CD", date(2025, 6, 1)) if state == "agreed" else ("", None)
    return JobPlan("C01", year, activities, state=state, agreed_by=agreed_on[0], agreed_on=agreed_on[1])


def test_the_review_queue_finds_the_earlier_year_however_it_was_written():
    # as text "25/26" sorts after "2026/27" ('5' > '0'), so it was no baseline and the plan was listed
    assert review_queue([plan("2026/27", "proposed")], [plan("25/26")]) == []
    more = (*BASE, session(3, 8, "clinic"))  # one session added: 6 PAs from 5
    (item,) = review_queue([plan("2026/27", "proposed", more)], [plan("25/26"), plan("2024/25")])
    assert item.baseline_year == "25/26" and item.changes[0] == "PAs 5.00 → 6.00 (+1.00)"
    # the same year written another way is the same year, not an earlier one
    (item,) = review_queue([plan("2026/27", "proposed", more)], [plan("2026-27")])
    assert item.changes == ("no agreed plan from an earlier year to compare with",)
    (item,) = review_queue([plan("2026/27", "proposed", more)], [plan("2026-27")], same_year=True)
    assert item.baseline_year == "2026-27"


def _upload(store, year: str):
    data = yaml.safe_load(EXAMPLE.read_text()) | {"consultant": "C01", "year": year}
    return store.keep_uploaded("p.yaml", yaml.safe_dump(data, sort_keys=False).encode(), by="Ann")


def _agree(store, kept):
    store.propose(kept.slug, by="Ann")
    return store.agree(kept.slug, by="Bob", at=AT)


def test_the_store_keeps_and_compares_the_normalised_year(tmp_path):
    store = JobPlanStore(tmp_path)
    last = _upload(store, "2025/26")
    _agree(store, last)
    short = _upload(store, "26/27")  # was key -1, "earlier" than 2025/26, and refused
    assert short.year == "2026/27" and short.about["year"] == "2026/27"
    _, superseded = _agree(store, short)
    assert [p.slug for p in superseded] == [last.slug]
    dashed = _upload(store, "2026-27")  # as text "2026-27" < "2026/27": was refused as earlier
    _, superseded = _agree(store, dashed)
    assert [p.slug for p in superseded] == [short.slug]
    assert [p.slug for p in agreed(store.all())] == [dashed.slug]


def test_a_year_kept_before_years_were_checked_is_compared_normalised(tmp_path):
    store = JobPlanStore(tmp_path)
    old = _upload(store, "2026/27")
    _agree(store, old)
    about = old.folder / "about.json"
    about.write_text(about.read_text().replace('"2026/27"', '"26/27"'))
    assert store.get(old.slug).year == "2026/27"
    revised = _upload(store, "2026-27")
    _, superseded = _agree(store, revised)  # the same year: supersedes it, not refused as earlier
    assert [p.slug for p in superseded] == [old.slug]
