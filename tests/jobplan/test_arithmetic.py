"""The contract arithmetic on hand-worked job plans: every figure below is worked out in the comment
beside it from the Terms (4 h a PA in plain time, 3 h in premium time, pro rata across the boundary;
annualised counts over the working weeks)."""

import csv

import pytest

from stocktake.jobplan.arithmetic import activity_pas, find_overlaps, summarise
from stocktake.jobplan.model import EVERY_WEEK, Activity, JobPlan, OnCallCommitment, WeekPattern
from stocktake.jobplan.team import team_capacity
from stocktake.jobplan.terms import SUPPLEMENT_TABLE, TERMS, PremiumTime

MON, TUE, WED, FRI, SAT, SUN = 0, 1, 2, 4, 5, 6


def at(hours: float) -> int:
    return round(hours * 60)


def session(day, start, end, activity="clinic", kind="DCC", site="N", weeks=EVERY_WEEK) -> Activity:
    return Activity(day, at(start), at(end), activity, kind, site, weeks)


def plan(*activities, weeks=42.0, on_call=None) -> JobPlan:
    return JobPlan("C01", "2026/27", tuple(activities), on_call, working_weeks=weeks)


def test_a_premium_time_evening_pa_is_three_hours():
    evening = activity_pas(session(TUE, 19, 22), 42)  # 3 h, all after 19:00: 3 / 3 = 1 PA
    assert (evening.plain_hours, evening.premium_hours) == (0, 3)
    assert evening.pas == pytest.approx(1.0)
    assert evening.weekday_premium  # the weekday boundary is the unverified part of the table


def test_a_session_across_the_boundary_counts_pro_rata():
    # 17:00–20:00: 2 h before 19:00 (2 / 4 = 0.5 PA) and 1 h after (1 / 3 PA): 5/6 PA
    across = activity_pas(session(FRI, 17, 20), 42)
    assert across.pas == pytest.approx(0.5 + 1 / 3)
    assert across.premium_pas == pytest.approx(1 / 3)
    # 06:00–08:00: 1 h before 07:00 (1/3) and 1 h after (1/4)
    assert activity_pas(session(MON, 6, 8), 42).pas == pytest.approx(1 / 3 + 1 / 4)


def test_a_weekend_ward_round_is_premium_time_all_day():
    saturday = activity_pas(session(SAT, 8, 11, "ward round"), 42)  # 3 h on a Saturday morning: 1 PA
    assert saturday.pas == pytest.approx(1.0) and not saturday.weekday_premium
    assert activity_pas(session(SUN, 9, 13, "ward round"), 42).pas == pytest.approx(4 / 3)
    assert activity_pas(session(MON, 9, 13), 42).pas == pytest.approx(1.0)  # the same 4 h on a Monday


def test_an_annualised_plan_is_averaged_over_the_working_weeks_net_of_leave():
    weekly = session(MON, 8, 12, "theatre")  # 1 PA every working week
    annual = session(TUE, 8, 12, "theatre", weeks=WeekPattern("per_year", 21))  # 21 lists a year
    summary = summarise(plan(weekly, annual, weeks=42))
    # 21 lists over 42 working weeks = 0.5 a week, 1 PA each
    assert summary.total_pas == pytest.approx(1.5)
    # with more leave (40 working weeks) the same 21 lists are 21/40 a working week
    assert summarise(plan(weekly, annual, weeks=40)).total_pas == pytest.approx(1 + 21 / 40)
    # the department sees 1.5 lists a working week, i.e. 1.5 × 42 / 52 a calendar week, 63 a year
    (theatre,) = team_capacity([plan(weekly, annual, weeks=42)])
    assert theatre.sessions_per_working_week == pytest.approx(1.5)
    assert theatre.sessions_per_week == pytest.approx(1.5 * 42 / 52)
    assert theatre.sessions_per_year == pytest.approx(63)


def test_week_a_and_week_b_each_count_half_and_may_share_a_slot():
    a = session(WED, 8, 16, "theatre", weeks=WeekPattern("A"))  # 8 h = 2 PAs in week A
    b = session(WED, 9, 13, "clinic", weeks=WeekPattern("B"))  # 4 h = 1 PA in week B
    summary = summarise(plan(a, b))
    assert summary.total_pas == pytest.approx(0.5 * 2 + 0.5 * 1)
    assert find_overlaps((a, b)) == []  # never in the same week
    every = session(WED, 12, 14, "MDT")
    assert find_overlaps((a, b, every)) == [(0, 2), (1, 2)]
    one_in_four = session(FRI, 8, 12, "teaching", "SPA", weeks=WeekPattern("one_in", 4))
    assert summarise(plan(one_in_four)).pas("SPA") == pytest.approx(0.25)


def test_totals_by_type_and_the_warnings():
    activities = [session(day, 8, 12, "theatre") for day in (MON, TUE, WED)]
    activities += [session(day, 13, 17, "clinic") for day in (MON, TUE, WED)]
    activities += [session(FRI, 8, 12, "SPA", "SPA"), session(FRI, 13, 15, "SPA", "SPA")]  # 1.5 SPA
    activities += [session(FRI, 15, 17, "lead", "additional_nhs"), session(SAT, 8, 14, "ward round")]
    on_call = OnCallCommitment("T&O", "A", 8, unpredictable_pas=2.0)
    summary = summarise(plan(*activities, on_call=on_call))
    # DCC 6 (weekdays) + 2 (6 h on a Saturday / 3) + 2 (on-call work) = 10; SPA 1.5; additional 0.5
    assert dict(summary.by_type) == pytest.approx(
        {"DCC": 10, "SPA": 1.5, "additional_nhs": 0.5, "external": 0}
    )
    assert summary.total_pas == pytest.approx(12.0)
    assert summary.premium_pas == pytest.approx(2.0)
    assert len(summary.warnings) == 1 and "SPA 1.50 PAs is below the department's 2.5" in summary.warnings[0]
    assert summarise(plan(*activities, on_call=on_call), spa_minimum=1.5).warnings == ()  # 12 is not past 12
    more = summarise(plan(*activities, session(SUN, 8, 9, "ward round"), on_call=on_call), spa_minimum=1)
    assert more.warnings == ("12.33 PAs a week is past 12 (a job plan should not usually exceed 12)",)


def test_a_trust_reading_premium_time_as_eight_to_eight_gets_its_own_answer():
    eight_to_eight = PremiumTime(weekday_plain_from=8 * 60, weekday_plain_until=20 * 60)
    assert activity_pas(session(FRI, 17, 20), 42, eight_to_eight).pas == pytest.approx(0.75)


def test_every_term_has_a_source_and_the_unverified_ones_say_so():
    assert all(t.source for t in TERMS)
    unverified = {t.item for t in TERMS if not t.verified}
    assert "premium time, Monday to Friday" in unverified
    assert "prospective cover" in unverified
    assert {"PA in premium time", "premium time, Saturday and Sunday", "on-call frequency bands"}.isdisjoint(
        unverified
    )


def test_the_supplement_table_is_the_shared_fixture(fixtures_dir):
    with open(fixtures_dir / "jobplan" / "consultant_oncall_supplement_2003.csv", newline="") as handle:
        columns = (
            "frequency_band",
            "rota_frequency",
            "category",
            "pct_of_fulltime_basic_salary",
            "verification",
        )
        fixture = [tuple(row[c] for c in columns) for row in csv.DictReader(handle)]
    fixture = [(band, freq, cat, float(pct), flag) for band, freq, cat, pct, flag in fixture]
    assert [
        (r.band, r.rota_frequency, r.category, r.percent, r.verification) for r in SUPPLEMENT_TABLE
    ] == fixture
