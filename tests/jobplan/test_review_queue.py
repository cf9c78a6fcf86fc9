"""The review queue: a plan is listed when it moved past a threshold since the last agreed plan, and
each reason names the change, worked out by hand."""

from datetime import date

from stocktake.jobplan.model import EVERY_WEEK, Activity, JobPlan
from stocktake.jobplan.review import Thresholds, review_queue


def session(day, start, activity, kind="DCC", site="Northgate", weeks=EVERY_WEEK) -> Activity:
    return Activity(day, start * 60, (start + 4) * 60, activity, kind, site, weeks)


BASE = (
    session(0, 8, "theatre"),
    session(0, 13, "clinic"),
    session(1, 8, "fracture clinic"),
    session(1, 13, "SPA", "SPA", ""),
    session(2, 8, "SPA", "SPA", ""),
)


def plan(year, activities, state="agreed", consultant="C01") -> JobPlan:
    agreed = ("Clinical director", date(2025, 6, 1)) if state == "agreed" else ("", None)
    return JobPlan(consultant, year, activities, state=state, agreed_by=agreed[0], agreed_on=agreed[1])


def test_an_unchanged_plan_is_not_listed_and_a_small_change_stays_under_the_threshold():
    last = plan("2025/26", BASE, "superseded")
    assert review_queue([plan("2026/27", BASE, "proposed")], [last]) == []
    moved = (*BASE[:4], session(2, 9, "SPA", "SPA", ""))  # same PAs, same type, an hour later
    (item,) = review_queue([plan("2026/27", moved, "proposed")], [last])
    assert item.changes == (
        "sessions added: Wed 09:00–13:00 SPA (SPA), every week",
        "sessions removed: Wed 08:00–12:00 SPA (SPA), every week",
    )
    assert review_queue([plan("2026/27", moved, "proposed")], [last], Thresholds(sessions=3)) == []


def test_pas_the_split_and_sites_that_changed_are_each_named():
    last = plan("2025/26", BASE)
    now = (*BASE[:4], session(2, 8, "theatre", site="Southfield"), session(3, 8, "clinic", site="Southfield"))
    (item,) = review_queue([plan("2026/27", now, "proposed")], [last, plan("2024/25", BASE)])
    assert item.baseline_year == "2025/26"
    # before: DCC 3, SPA 2 (5 PAs); now: DCC 5, SPA 1 (6 PAs)
    assert item.changes[:2] == ("PAs 5.00 → 6.00 (+1.00)", "DCC/SPA 3.00/2.00 → 5.00/1.00")
    assert item.changes[-1] == "sites added: Southfield"


def test_a_plan_with_no_earlier_agreed_plan_is_listed():
    draft_last_year = plan("2025/26", BASE, "draft")
    (item,) = review_queue([plan("2026/27", BASE, "proposed")], [draft_last_year])
    assert item.changes == ("no agreed plan from an earlier year to compare with",)
