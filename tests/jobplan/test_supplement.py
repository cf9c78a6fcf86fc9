"""The on-call supplement from a rota: frequencies counted by hand on hand-made rotas, the bands and
the fixture's % with its verification flag, and rotas built by the rota optimiser feeding it."""

from datetime import date, datetime, timedelta

import pytest

from stocktake.jobplan.model import JobPlan, OnCallCommitment
from stocktake.jobplan.read import EXAMPLE
from stocktake.jobplan.supplement import NotOnRota, band_of, on_call_days, rota_burden, supplement_for
from stocktake.rota.duties import Duty
from stocktake.rota.export import write_rota
from stocktake.rota.grid import read_rota_file
from stocktake.rota.model import read_problem
from stocktake.rota.solver import solve

MONDAY = date(2026, 2, 2)
EXAMPLES = EXAMPLE.parent


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def rotating_24h(consultants: int, days: int) -> list[Duty]:
    """Consultant C1, C2, … on call 08:00–08:00 in turn, one a day: a 1 in ``consultants`` rota."""
    return [
        Duty(
            f"C{i % consultants + 1}",
            at(MONDAY + timedelta(i), 8),
            at(MONDAY + timedelta(i + 1), 8),
            "on_call",
            2.0,
        )
        for i in range(days)
    ]


def plan(consultant="C1", category="A", weeks=42.0) -> JobPlan:
    return JobPlan(consultant, "2026/27", (), OnCallCommitment("T&O", category), working_weeks=weeks)


def test_a_one_in_three_category_a_rota_is_high_frequency_eight_percent():
    supplement = supplement_for(plan(), rotating_24h(3, 21))
    # 21 days of cover, 7 for C1: rostered 1 in 3; covering leave over 42 of 52 weeks: 1 in 3 × 42/52
    assert supplement.burden.rostered_one_in == 3
    assert supplement.one_in == pytest.approx(3 * 42 / 52)
    assert (supplement.band, supplement.percent) == ("high", 8.0)
    assert supplement.rate.verified  # the one cell a second source confirmed (1:3 Cat A = 8%)


def test_a_one_in_eight_category_a_rota_is_medium_frequency_five_percent_unverified():
    supplement = supplement_for(plan(), rotating_24h(8, 56))
    assert supplement.burden.rostered_one_in == 8
    assert supplement.one_in == pytest.approx(8 * 42 / 52)  # 6.46: still 1:5–1:8
    assert (supplement.band, supplement.percent, supplement.rate.verification) == ("medium", 5.0, "U")
    assert supplement_for(plan(category="B"), rotating_24h(8, 56)).percent == 2.0


def test_prospective_cover_moves_a_one_in_nine_into_the_medium_band():
    duties = rotating_24h(9, 63)
    covering = supplement_for(plan(), duties)  # 9 × 42/52 = 7.27
    assert (covering.band, covering.percent) == ("medium", 5.0)
    rostered = supplement_for(plan(), duties, leave_in_rota=True)  # leave already in the rota: 1 in 9
    assert (rostered.one_in, rostered.band, rostered.percent) == (9, "low", 3.0)


@pytest.mark.parametrize(
    ("one_in", "band"),
    [
        (1, "high"),
        (4, "high"),
        (4.5, "high"),
        (5, "medium"),
        (8, "medium"),
        (8.9, "medium"),
        (9, "low"),
        (20, "low"),
    ],
)
def test_bands_from_the_terms(one_in, band):
    assert band_of(one_in) == band


def test_on_call_days_count_nights_days_and_each_day_of_a_weekend():
    saturday = MONDAY + timedelta(5)
    night = Duty("C1", at(MONDAY, 17), at(MONDAY + timedelta(1), 8), "on_call", 2.0)
    weekend = Duty("C1", at(saturday, 8), at(saturday + timedelta(2), 8), "on_call", 8.0)
    day_then_night = [
        Duty("C1", at(MONDAY + timedelta(2), 8), at(MONDAY + timedelta(2), 17), "on_call", 1.0),
        Duty("C1", at(MONDAY + timedelta(2), 17), at(MONDAY + timedelta(3), 8), "on_call", 1.0),
    ]
    assert on_call_days([night]) == {MONDAY}
    assert on_call_days([weekend]) == {saturday, saturday + timedelta(1)}
    assert on_call_days(day_then_night) == {MONDAY + timedelta(2)}
    resident = Duty("C1", at(MONDAY, 8), at(MONDAY, 20), "shift")
    assert on_call_days([resident]) == set()


def test_on_call_work_is_counted_as_pas_with_premium_time_and_resident_hours_per_week():
    # Monday 17:00 to Tuesday 08:00, 3 h of work expected, spread evenly over its 15 h: plain time is
    # 17:00–19:00 and 07:00–08:00 (3 h, so 0.6 h of work: 0.15 PA), premium 12 h (2.4 h: 0.8 PA)
    night = Duty("C1", at(MONDAY, 17), at(MONDAY + timedelta(1), 8), "on_call", 3.0)
    ward = Duty("C1", at(MONDAY + timedelta(2), 8), at(MONDAY + timedelta(2), 18), "shift")
    cover = [
        night,
        ward,
        Duty("C2", at(MONDAY + timedelta(6), 17), at(MONDAY + timedelta(7), 8), "on_call", 1.0),
    ]
    burden = rota_burden(cover, "C1", leave_in_rota=True)
    assert burden.weeks == 1
    assert burden.on_call_work_pas == pytest.approx(0.95)
    assert burden.resident_hours == pytest.approx(10.0)
    # over 42 working weeks the same year's work falls in fewer weeks: × 52/42 per working week
    assert rota_burden(cover, "C1").on_call_work_pas == pytest.approx(0.95 * 52 / 42)


def test_a_consultant_not_on_the_rota_is_named():
    with pytest.raises(
        NotOnRota, match=r"'C9' has no on-call period in the rota \(its doctors: C1, C2, C3\)"
    ):
        supplement_for(plan("C9"), rotating_24h(3, 21))


def test_the_stated_frequency_is_used_without_a_rota():
    stated = JobPlan("C1", "2026/27", (), OnCallCommitment("T&O", "B", one_in=3))
    assert supplement_for(stated).percent == 3.0
    assert supplement_for(JobPlan("C1", "2026/27", ())) is None


@pytest.fixture(scope="module")
def designs(tmp_path_factory):
    """The two example designs built by the rota optimiser and written as `rota solve` writes them."""
    folders = {}
    for name in ("both_sites", "by_site"):
        solution = solve(read_problem(EXAMPLES / f"example_oncall_{name}.yaml"), seconds=20, workers=1)
        assert solution.check().breaches == ()
        folders[name] = write_rota(solution, tmp_path_factory.mktemp(name))
    return folders


@pytest.mark.parametrize("written", ["duties.csv", "rota.xlsx"])
def test_a_rota_built_by_the_solver_feeds_the_supplement(designs, written):
    both = read_rota_file(designs["both_sites"] / written)
    by_site = read_rota_file(designs["by_site"] / written)
    for number in range(1, 9):
        consultant = f"C0{number}"
        one = supplement_for(plan(consultant), list(both.duties), period=both.period)
        # 8 weeks, 56 days of cover; the 1:8 shares them 7 each, each site's 1:4 shares them 14 each
        assert (one.burden.rota_days, one.burden.on_call_days) == (56, 7)
        assert (one.band, one.percent) == ("medium", 5.0)
        split = supplement_for(plan(consultant), list(by_site.duties), period=by_site.period)
        assert (split.burden.rota_days, split.burden.on_call_days) == (56, 14)
        assert (split.band, split.percent) == ("high", 8.0)


def test_which_numbers_rest_on_the_unverified_terms_is_said():
    """A 1 in 9 rota (C1 on days 0, 9, …, 54 from a Monday, 08:00–08:00, 2 hours of work spread evenly):
    low as rostered, medium with prospective cover (9 × 42/52 = 7.27), so the band rests on cover.
    The weekday 07:00/19:00 line makes premium 12 of the 24 hours of a Mon–Thu start (19–24 and 0–7),
    5 of a Friday start (19–24; Saturday is a weekend anyway), 7 of a Sunday start (Monday 0–7), none of
    a Saturday start. C1 starts Mon, Tue, Wed, Thu once each, Fri, Sat, Sun once: 4×12 + 5 + 7 = 60 hours
    at 2/24 of work an hour = 5 hours of work at 3 h a PA rather than 4: 5 × (1/3 − 1/4) = 0.41667 PA
    over 9 weeks, per working week ÷ (42/52)."""
    from stocktake.jobplan.tables import rests_on_unverified

    found = supplement_for(plan(), rotating_24h(9, 63))
    assert (found.burden.band_as_rostered, found.band) == ("low", "medium")
    assert found.burden.band_rests_on_cover
    expected = 5 * (1 / 3 - 1 / 4) / 9 / (42 / 52)
    assert found.burden.weekday_boundary_pas == pytest.approx(expected)
    assert rests_on_unverified(found) == (
        "band medium rests on prospective cover (unverified method; low as rostered); "
        f"{expected:.2f} of the on-call work PAs rest on the weekday 19:00 boundary (unverified)"
    )
    same = supplement_for(plan(), rotating_24h(8, 56))  # medium as rostered and with cover
    assert not same.burden.band_rests_on_cover and "prospective" not in rests_on_unverified(same)
