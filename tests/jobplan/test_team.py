"""The team's capacity from its job plans: a consultant's code typed in two cases is one consultant,
and a site typed in two cases is one site, shown as first spelled (hand-worked)."""

import pytest

from stocktake.jobplan.model import Activity, JobPlan
from stocktake.jobplan.team import team_capacity


def _plan(consultant: str, *sessions: tuple[int, str, str]) -> JobPlan:
    """Each session 08:00–12:00 (one plain-time PA) on the weekday given, every week; 42 weeks."""
    activities = tuple(Activity(day, 8 * 60, 12 * 60, what, "DCC", site) for day, what, site in sessions)
    return JobPlan(consultant, "2026/27", activities, working_weeks=42)


def test_codes_and_sites_in_another_case_are_the_same_consultant_and_site():
    plans = [
        _plan("C01", (0, "theatre", "Northshire General"), (1, "Clinic", "Riverside")),
        _plan("c01 ", (2, "theatre", "northshire general ")),  # the same consultant, typed otherwise
        _plan("C02", (0, "THEATRE", "NORTHSHIRE GENERAL")),
    ]
    rows = {(c.activity, c.site): c for c in team_capacity(plans)}
    assert set(rows) == {("theatre", "Northshire General"), ("Clinic", "Riverside")}
    theatre = rows["theatre", "Northshire General"]
    # three weekly lists (C01 twice, C02 once) by two consultants; 1 PA each; 42 of 52 weeks worked
    assert theatre.consultants == 2
    assert theatre.sessions_per_working_week == pytest.approx(3.0)
    assert theatre.sessions_per_week == pytest.approx(3 * 42 / 52)
    assert theatre.pas_per_week == pytest.approx(3 * 42 / 52)
    assert rows["Clinic", "Riverside"].consultants == 1
