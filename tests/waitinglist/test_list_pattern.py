"""What a month booked in part lacks: usual days after an empty month, a kind of list not yet booked,
a day half booked (the gaps a theatre manager's review found the caution missed)."""

from datetime import date

import pandas as pd

from stocktake.waitinglist.list_pattern import ShortDay, short_days, unbooked_days, unbooked_kinds


def _lists(first: str, last: str, site="X", kind="elective", per_day=2, skip=()) -> pd.DataFrame:
    """``per_day`` lists of ``kind`` at ``site`` every weekday from ``first`` to ``last``."""
    skip = {pd.Timestamp(d) for d in skip}
    days = [d for d in pd.date_range(first, last) if d.dayofweek < 5 and d not in skip]
    return pd.DataFrame(
        [{"date": d, "site": site, "session_type": kind} for d in days for _ in range(per_day)]
    )


DECEMBER = pd.Period("2025-12", "M")
#: December 2025's weekdays less Christmas Day and Boxing Day.
DECEMBER_DAYS = [d.date() for d in pd.bdate_range("2025-12-01", "2025-12-31") if d.day not in (25, 26)]


def test_a_month_after_an_empty_one_still_names_its_usual_days():
    """November not loaded, December's first week booked: the eight weeks before December held lists
    in four, so no weekday looked usual and the caution said nothing. The usual days are now read to
    the latest lists (31 October)."""
    lists = pd.concat([_lists("2025-09-01", "2025-10-31"), _lists("2025-12-01", "2025-12-05")])
    days = [d for _, d in unbooked_days(lists, DECEMBER)]
    assert days == DECEMBER_DAYS[5:]


def test_a_site_closed_for_good_is_not_a_gap():
    """A site whose lists stopped more than eight weeks before the month, with none booked in it, is
    closed, not unbooked; one that stopped six weeks before is a gap."""
    booked = _lists("2025-09-01", "2025-12-31", skip=("2025-12-25", "2025-12-26"))
    closed = _lists("2025-06-02", "2025-09-26", site="Old")
    assert unbooked_days(pd.concat([booked, closed]), DECEMBER) == ()
    paused = _lists("2025-06-02", "2025-10-17", site="Paused")
    named = unbooked_days(pd.concat([booked, paused]), DECEMBER)
    assert {site for site, _ in named} == {"Paused"} and len(named) == len(DECEMBER_DAYS)


def test_only_the_day_case_lists_booked_names_the_elective_days():
    """Westfield's day-case lists booked for December, its elective lists not yet: every day had lists,
    so nothing was said, and 21 days of elective patients were planned onto day-case lists only."""
    elective = _lists("2025-09-01", "2025-11-28", site="W", per_day=1)
    day_case = _lists("2025-09-01", "2025-12-31", site="W", kind="day_case", per_day=4)
    lists = pd.concat([elective, day_case])
    assert unbooked_days(lists, DECEMBER) == ()
    kinds = unbooked_kinds(lists, DECEMBER)
    assert list(kinds) == ["elective"]
    assert kinds["elective"] == tuple(("W", d) for d in DECEMBER_DAYS)
    whole = pd.concat([lists, _lists("2025-12-01", "2025-12-31", site="W", per_day=1)])
    assert unbooked_kinds(whole, DECEMBER) == {}


def test_a_day_with_none_booked_at_all_is_named_once():
    """A day with no lists of any kind is an unbooked day, not also an unbooked kind."""
    lists = pd.concat(
        [
            _lists("2025-09-01", "2025-12-31", site="W", skip=("2025-12-25", "2025-12-26", "2025-12-10")),
            _lists("2025-09-01", "2025-12-31", site="W", kind="day_case", skip=("2025-12-10",)),
        ]
    )
    assert unbooked_days(lists, DECEMBER) == (("W", date(2025, 12, 10)),)
    assert unbooked_kinds(lists, DECEMBER) == {}


def test_a_day_half_booked_is_named_with_its_count():
    """Four elective lists every weekday; 8 December booked with two, 9 December with three, and a
    site with two a day booked one on 10 December (a surgeon on leave, not a caution)."""
    four = _lists("2025-09-01", "2025-12-31", per_day=4, skip=("2025-12-08", "2025-12-09"))
    eighth = _lists("2025-12-08", "2025-12-08", per_day=2)
    ninth = _lists("2025-12-09", "2025-12-09", per_day=3)
    two = _lists("2025-09-01", "2025-12-31", site="Y", skip=("2025-12-10",))
    tenth = _lists("2025-12-10", "2025-12-10", site="Y", per_day=1)
    lists = pd.concat([four, eighth, ninth, two, tenth])
    assert short_days(lists, DECEMBER) == (ShortDay("X", "elective", date(2025, 12, 8), 2, 4),)
    assert unbooked_days(lists, DECEMBER) == ()


def test_nothing_booked_is_no_gap():
    """A month with no lists booked is planned on its latest weeks repeated, not cautioned."""
    lists = _lists("2025-09-01", "2025-11-28")
    assert unbooked_days(lists, DECEMBER) == ()
    assert unbooked_kinds(lists, DECEMBER) == {}
    assert short_days(lists, DECEMBER) == ()
