"""A theatre department's weekly pattern of lists, read from its history: which weekdays usually
hold lists (site by site, bank holidays aside), the latest four weeks made a pattern to repeat into a
month with none booked, what a month booked in part lacks (usual days without lists, or without a
kind of list, or with half or fewer of their lists), and days worded in runs. Pure functions over a
frame of lists (``date``, ``site``, ``session_type``); knows nothing of files or the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from stocktake.bank_holidays import bank_holidays

#: A group of lists (a site, or a site's lists of one kind) counts for a month booked in part when it
#: has lists booked in the month or held lists within this many weeks before it: a site closed for
#: good is not a gap, a site whose previous month was empty is.
EXPECTED_WEEKS = 8


def _month_groups(planned: pd.DataFrame, period: pd.Period, by: list[str]):
    """Each group of ``planned`` (by the ``by`` columns) that the month should have lists in, with its
    lists before the month, those booked in it, and the latest day before it that held lists: the
    group's usual days are read up to that day, so a month after an empty one still has them."""
    start, end = period.start_time.normalize(), period.end_time.normalize()
    keys = [planned[c].astype("string").fillna("") for c in by]
    for key, mine in planned.groupby(keys, sort=True):
        before = mine[mine["date"] < start]
        booked = mine[(mine["date"] >= start) & (mine["date"] <= end)]
        if before.empty:
            continue
        latest = before["date"].max().normalize()
        if booked.empty and latest < start - pd.Timedelta(weeks=EXPECTED_WEEKS):
            continue
        yield (key if isinstance(key, tuple) else (key,)), before, booked, latest


def _usual_days(before: pd.DataFrame, latest: pd.Timestamp, period: pd.Period) -> list[date]:
    """The month's days on the group's usual weekdays, bank holidays aside."""
    start, end = period.start_time.normalize(), period.end_time.normalize()
    usual = usual_weekdays(before["date"], latest)
    holidays = bank_holidays(start.date(), end.date())
    return [d.date() for d in pd.date_range(start, end) if d.dayofweek in usual and d.date() not in holidays]


def unbooked_days(planned: pd.DataFrame, period: pd.Period) -> tuple[tuple[str, date], ...]:
    """(site, day) of a month with ``planned`` lists booked in it where the site has none booked on one
    of its usual list weekdays (:func:`usual_weekdays` to its latest lists before the month; bank
    holidays aside): a month booked only in part (some days, or one site) is planned on its booked
    lists only, and a December with its first week booked had looked like a month's plan."""
    if not _booked_in(planned, period):
        return ()
    found = []
    for (site,), before, booked, latest in _month_groups(planned, period, ["site"]):
        held = set(booked["date"].dt.date)
        found += [(site, d) for d in _usual_days(before, latest, period) if d not in held]
    return tuple(found)


def unbooked_kinds(planned: pd.DataFrame, period: pd.Period) -> dict[str, tuple[tuple[str, date], ...]]:
    """By kind of list (``session_type``): (site, day) where the site has other lists booked but none
    of a kind it usually has that weekday (only the day-case lists booked so far); days with no
    lists at all are :func:`unbooked_days`'."""
    if not _booked_in(planned, period):
        return {}
    empty = set(unbooked_days(planned, period))  # a kind's usual day is one of its site's
    found: dict[str, list[tuple[str, date]]] = {}
    for (site, kind), before, booked, latest in _month_groups(planned, period, ["site", "session_type"]):
        mine = set(booked["date"].dt.date)
        days = [d for d in _usual_days(before, latest, period) if d not in mine and (site, d) not in empty]
        if days:
            found.setdefault(kind, []).extend((site, d) for d in days)
    return {kind: tuple(sorted(days)) for kind, days in sorted(found.items())}


#: A day is booked short when its lists of a kind are at most this share of the kind's usual number
#: on that weekday (the median over the latest weeks' days that held them), and the usual is at
#: least :data:`SHORT_FROM`: one of three or two of four booked is a day half booked; one of two is
#: a surgeon on leave, too common to be worth a caution.
SHORT_SHARE = 0.5
SHORT_FROM = 3


@dataclass(frozen=True)
class ShortDay:
    """A day booked with far fewer lists of a kind than its weekday usually holds."""

    site: str
    kind: str
    day: date
    booked: int
    usual: int


def short_days(planned: pd.DataFrame, period: pd.Period) -> tuple[ShortDay, ...]:
    """Days of a month booked in part whose lists of a kind are :data:`SHORT_SHARE` or fewer of the
    weekday's usual number (none at all is :func:`unbooked_kinds`')."""
    if not _booked_in(planned, period):
        return ()
    found = []
    for (site, kind), before, booked, latest in _month_groups(planned, period, ["site", "session_type"]):
        recent = before[before["date"] > latest - pd.Timedelta(weeks=USUAL_WEEKS)]
        per_day = recent.groupby(recent["date"].dt.normalize()).size()
        usual = per_day.groupby(per_day.index.dayofweek).median()
        counts = booked.groupby(booked["date"].dt.date).size()
        for day, count in counts.items():
            typical = int(usual.get(day.weekday(), 0))
            if typical >= SHORT_FROM and count <= SHORT_SHARE * typical:
                found.append(ShortDay(site, kind, day, int(count), typical))
    return tuple(sorted(found, key=lambda s: (s.day, s.site, s.kind)))


def _booked_in(planned: pd.DataFrame, period: pd.Period) -> bool:
    """Whether any list is booked in the month (none booked: the latest weeks are repeated instead)."""
    start, end = period.start_time.normalize(), period.end_time.normalize()
    return not planned[(planned["date"] >= start) & (planned["date"] <= end)].empty


def day_runs(days: tuple[date, ...]) -> str:
    """ "7–11, 14–18 and 29 December": consecutive days as ranges, each month named once."""
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1 and day.month == runs[-1][-1].month:
            runs[-1].append(day)
        else:
            runs.append([day])
    by_month: dict[str, list[str]] = {}
    for run in runs:
        words = f"{run[0].day}" if len(run) == 1 else f"{run[0].day}–{run[-1].day}"
        by_month.setdefault(f"{run[0]:%B}", []).append(words)
    said = []
    for month, parts in by_month.items():
        said.append((", ".join(parts[:-1]) + " and " if len(parts) > 1 else "") + f"{parts[-1]} {month}")
    return ", ".join(said)


#: A weekday is one the department usually has lists on when it held lists in at least this share of
#: its days over the latest eight weeks: a bank holiday or a fortnight's closure leaves it usual (6 of
#: 8), lists every other week (4 of 8) or one Saturday's (1 of 8) do not.
USUAL_SHARE = 0.75
USUAL_WEEKS = 8


def weekday_shares(dates: pd.Series, until: pd.Timestamp) -> dict[int, float]:
    """Each weekday's (Monday 0) share of its days holding lists in the latest :data:`USUAL_WEEKS`
    weeks to ``until`` (or since the first list, if that is later), bank holidays not counted (three
    May and Easter Mondays had made Monday unusual by late May)."""
    since = max(dates.min(), until - pd.Timedelta(weeks=USUAL_WEEKS) + pd.Timedelta(days=1))
    held = set(dates[(dates >= since) & (dates <= until)].dt.normalize())
    off = bank_holidays(since.date(), until.date())  # a known day off says nothing of the weekday
    days = [d for d in pd.date_range(since.normalize(), until.normalize()) if d.date() not in off]
    shares = {}
    for weekday in range(7):
        mine = [d for d in days if d.dayofweek == weekday]
        shares[weekday] = sum(d in held for d in mine) / len(mine) if mine else 0.0
    return shares


def usual_weekdays(dates: pd.Series, until: pd.Timestamp) -> set[int]:
    """The weekdays holding lists on at least :data:`USUAL_SHARE` of their days (:func:`weekday_shares`)."""
    return {w for w, share in weekday_shares(dates, until).items() if share >= USUAL_SHARE}


#: A weekday holding lists on under this share of its days is an odd one (a one-off Saturday list):
#: its lists are not repeated. Fortnightly lists (a half) are.
ODD_SHARE = 0.25


@dataclass(frozen=True)
class RepeatedWeeks:
    """The four weeks to repeat, and what was done to make them a pattern (said on the lists line)."""

    lists: pd.DataFrame
    #: (site, day) of the four weeks on a usual weekday without lists, given its weekday's latest.
    filled: tuple[tuple[str, date], ...]
    #: Days whose lists fell on an odd weekday, not repeated.
    dropped: tuple[date, ...]


def repeated_weeks(before: pd.DataFrame, latest: pd.Timestamp) -> RepeatedWeeks:
    """The four weeks to ``latest`` as a pattern to repeat, site by site: a day among them with no
    lists on one of the site's usual weekdays (a bank holiday, a closure, a day not yet booked, a day
    before a short history starts) takes the lists of its weekday's latest day that had them (the
    earliest after it, when none before), so the gap is not repeated onto ordinary days every four
    weeks; a day on an odd weekday (a one-off Saturday) is not repeated."""
    first = latest - pd.Timedelta(days=27)
    parts, filled, dropped = [], [], set()
    for site, mine in before.groupby(before["site"].astype("string").fillna(""), sort=True):
        shares = weekday_shares(mine["date"], latest)
        window = mine[(mine["date"] >= first) & (mine["date"] <= latest)]
        odd_days = [w for w, share in shares.items() if share < ODD_SHARE]
        odd = window["date"].dt.dayofweek.isin(odd_days).to_numpy(dtype=bool)
        dropped |= set(window.loc[odd, "date"].dt.date)
        parts.append(window[~odd])
        held = set(window["date"].dt.normalize())
        for day in pd.date_range(first.normalize(), latest.normalize()):
            if shares[day.dayofweek] < USUAL_SHARE or day in held:
                continue
            same = mine[mine["date"].dt.dayofweek == day.dayofweek]
            earlier = same[same["date"] < day]
            donor = earlier["date"].max() if not earlier.empty else same["date"].min()
            parts.append(same[same["date"].dt.normalize() == donor.normalize()].assign(date=day))
            filled.append((str(site), day.date()))
    return RepeatedWeeks(pd.concat(parts), tuple(filled), tuple(sorted(dropped)))


def filled_words(filled: tuple[tuple[str, date], ...], sites: frozenset[str] = frozenset()) -> str:
    """(site, day) pairs as "14–18 and 21–25 August" when every one of the department's ``sites`` is
    named with the same days (a department-wide gap, or a department of one site), else by site:
    "Riverside 14–18 August, Westfield 25 August" (a gap at Riverside alone, named as Riverside's)."""
    by_site: dict[str, list[date]] = {}
    for site, day in filled:
        by_site.setdefault(site, []).append(day)
    runs = {site: day_runs(tuple(sorted(days))) for site, days in sorted(by_site.items())}
    if len(set(runs.values())) == 1 and set(runs) >= sites - {""}:
        return next(iter(runs.values()))
    return ", ".join(f"{site} {words}" for site, words in runs.items())
