"""Check a rota against the 2016 Terms and Conditions for doctors in training (England), as amended 2019.

Each rule is encoded on real clock times (a rolling 168-hour window; rest measured from the actual
end of the last duty) and reported with its number, its source and how sure the source is, as the
rule book (``rules.py``) gives them (``shared/reference/nhs_rota_rules.md``: A quoted, B two
sources, C one source or unverified).
Rules of confidence C are configurable and marked as unverified wherever they are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby, pairwise

from stocktake.rota.duties import (
    BREAK,
    HOUR,
    Duty,
    RotaInputError,
    clock_change_warnings,
    elapsed_hours,
    parse_wte,
    wall_clock_after,
)
from stocktake.rota.rules import NOT_FROM_A_ROTA, RULES, WEEKEND_BANDS, Limits, Rule

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Breach:
    doctor: str
    date: date
    rule: str
    found: str
    limit: str

    @property
    def detail(self) -> Rule:
        return RULES[self.rule]


@dataclass(frozen=True)
class DoctorSummary:
    doctor: str
    average_weekly_hours: float
    weekends_worked: int
    weekends: int
    nights: int
    night_hours: float  # hours that attract the night enhancement (``night_enhanced_hours``)
    weekend_allowance: str  # band; C-rated, so marked unverified

    @property
    def weekend_frequency(self) -> str:
        return f"1 in {self.weekends / self.weekends_worked:.1f}" if self.weekends_worked else "none"


@dataclass(frozen=True)
class RotaCheck:
    breaches: tuple[Breach, ...]
    doctors: tuple[DoctorSummary, ...]
    period: tuple[date, date] = field(default=(date.min, date.min))
    unchecked: tuple[tuple[str, str], ...] = ()  # (rule, why this rota cannot show it)
    warnings: tuple[str, ...] = ()  # what the check assumed where the rota was not clear


# --- what a duty is -----------------------------------------------------------------------------


def _overlap_hours(duty: Duty, start: datetime, end: datetime) -> float:
    return max(elapsed_hours(max(duty.start, start), min(duty.end, end)), 0.0)


def _daily_window_hours(duty: Duty, begin: time, finish: time) -> float:
    """Hours of the duty inside a window that runs from ``begin`` to ``finish`` the next morning."""
    total, day = 0.0, duty.start.date() - DAY
    while datetime.combine(day, begin) < duty.end:
        total += _overlap_hours(duty, datetime.combine(day, begin), datetime.combine(day + DAY, finish))
        day += DAY
    return total


def is_night(duty: Duty) -> bool:
    """R8: a shift with at least 3 hours between 23:00 and 06:00."""
    return duty.kind == "shift" and _daily_window_hours(duty, time(23), time(6)) >= 3


def is_long(duty: Duty) -> bool:
    return duty.kind == "shift" and duty.span_hours > 10


def is_late_evening(duty: Duty) -> bool:
    """A long shift, not a night, finishing after 23:00."""
    return is_long(duty) and not is_night(duty) and duty.end > datetime.combine(duty.start.date(), time(23))


def _whole_weeks(first: date, last: date) -> tuple[date, date]:
    """From the first day, rounded up to whole weeks."""
    weeks = -(-((last - first).days + 1) // 7)
    return first, first + timedelta(days=7 * weeks - 1)


def reference_period(
    duties: list[Duty], period: tuple[date, date] | None
) -> tuple[tuple[date, date], list[str]]:
    """The period hours are averaged over: whole weeks (R1's reference period is 26 weeks or the rota
    cycle, never part of a week), so a grid of weekdays alone is not read as a 5-day week. Rounding
    a given period up is said, not done silently."""
    given = period or (min(d.start.date() for d in duties), max(d.end.date() for d in duties))
    whole = _whole_weeks(*given)
    if period is None or whole == period:
        return whole, []
    days, weeks = (period[1] - period[0]).days + 1, ((whole[1] - whole[0]).days + 1) // 7
    return whole, [
        f"the rota's period, {period[0]} to {period[1]}, is {days} days; weekly hours are averaged over "
        f"whole weeks, so over {whole[0]} to {whole[1]} ({weeks} week{'s' if weeks > 1 else ''})"
    ]


def limits_for(
    doctors: tuple[str, ...],
    wte: tuple[tuple[str, float], ...] = (),
    wte_options: list[str] | tuple[str, ...] = (),
    opted_out: list[str] | tuple[str, ...] = (),
    check_one_in_three_weekends: bool = True,
) -> tuple[Limits, list[str]]:
    """Limits for the command line's ``--wte DOCTOR=0.8`` and ``--opted-out DOCTOR``: a name that is
    no doctor of the rota is refused, since ignoring it would silently drop R1's and R18's caps."""
    notes: list[str] = []
    fractions = list(wte)
    for text in wte_options:
        name, equals, value = text.partition("=")
        if not equals:
            raise RotaInputError(f"--wte {text!r}: expected DOCTOR=FRACTION, like dr_a=0.8 or dr_a=80%")
        doctor = _doctor(name, doctors, f"--wte {text}", notes)
        try:
            fractions.append((doctor, parse_wte(value)))
        except ValueError as error:
            raise RotaInputError(f"--wte {text!r}: {error}") from error
    out = frozenset(_doctor(name, doctors, f"--opted-out {name}", notes) for name in opted_out)
    limits = Limits(
        opted_out=out, check_one_in_three_weekends=check_one_in_three_weekends, wte=tuple(fractions)
    )
    return limits, notes


def _doctor(name: str, doctors: tuple[str, ...], option: str, notes: list[str]) -> str:
    """The rota's doctor a name means: exactly, or else the one doctor matching it ignoring case."""
    name = name.strip()
    if name in doctors:
        return name
    same = [d for d in doctors if d.casefold() == name.casefold()]
    if len(same) == 1:
        notes.append(f"{option}: taken as {same[0]} (names are matched ignoring case)")
        return same[0]
    shown = ", ".join(doctors[:20]) + (f" and {len(doctors) - 20} more" if len(doctors) > 20 else "")
    raise RotaInputError(f"{option}: no doctor {name!r} in the rota (its doctors: {shown})")


# --- the rules ----------------------------------------------------------------------------------


def check_rota(
    duties: list[Duty],
    limits: Limits = Limits(),  # noqa: B008 - frozen, so one shared default is safe
    period: tuple[date, date] | None = None,
    published: date | None = None,
) -> RotaCheck:
    """Every breach for every doctor, each doctor's hours, weekends and nights, and what went unchecked."""
    if not duties:
        return RotaCheck((), ())
    (first, last), warnings = reference_period(duties, period)
    breaches, doctors = [], []
    for doctor, own in groupby(sorted(duties, key=lambda d: (d.doctor, d.start)), key=lambda d: d.doctor):
        own = list(own)
        breaches += _breaches(doctor, own, limits, first, last)
        if published is not None:
            breaches += _notice_breaches(doctor, first, limits, published)
        doctors.append(_summary(doctor, own, first, last))
    return RotaCheck(
        tuple(sorted(breaches, key=lambda b: (b.doctor, b.date, b.rule))),
        tuple(doctors),
        (first, last),
        _unchecked(duties, published),
        tuple(warnings + clock_change_warnings(duties)),
    )


def _unchecked(duties: list[Duty], published: date | None) -> tuple[tuple[str, str], ...]:
    found = list(NOT_FROM_A_ROTA.items())
    without_breaks = sum(d.kind == "shift" and d.breaks is None for d in duties)
    if without_breaks:
        why = f"{without_breaks} shift(s) have no rostered break times (a breaks column: 12:30;16:00)"
        found += [("R17", why), ("R17b", why)]
    if published is None:
        found.append(("R19", "no publication date was given"))
    return tuple(sorted(found))


def _breaches(doctor: str, duties: list[Duty], limits: Limits, first: date, last: date) -> list[Breach]:
    found = []

    def breach(day: date, rule: str, what: str, limit: str) -> None:
        found.append(Breach(doctor, day, rule, what, limit))

    shifts = [d for d in duties if d.kind == "shift"]
    on_calls = [d for d in duties if d.kind == "on_call"]
    weeks = ((last - first).days + 1) / 7
    average = sum(d.work_hours for d in duties) / weeks
    cap, pro_rata = limits.cap(doctor), limits.pro_rata_cap(doctor)
    if average > cap + 1e-9:
        breach(first, "R1", f"{average:.1f} h a week on average", f"{cap:g} h")
    elif pro_rata is not None and average > pro_rata + 1e-9:
        breach(first, "R18", f"{average:.1f} h a week on average", f"{pro_rata:g} h pro rata (unverified)")
    worst, worst_start = _busiest_168_hours(duties)
    if worst > limits.hours_in_168 + 1e-9:
        breach(
            worst_start.date(),
            "R2",
            f"{worst:.1f} h in the 168 h from {worst_start:%d %b %H:%M}",
            f"{limits.hours_in_168:g} h",
        )
    for shift in shifts:
        if shift.span_hours > limits.shift_hours + 1e-9:
            breach(shift.start.date(), "R3", f"a {shift.span_hours:g} h shift", f"{limits.shift_hours:g} h")
        for rule, what, limit in break_shortfalls(shift, limits):
            breach(shift.start.date(), rule, what, limit)
    for before, after in pairwise(shifts):
        rest = elapsed_hours(before.end, after.start)
        if rest < limits.rest_between_shifts - 1e-9:
            breach(
                after.start.date(),
                "R4",
                f"{rest:g} h rest before this shift",
                f"{limits.rest_between_shifts:g} h",
            )
    for run in _runs(duties):
        _consecutive_days(run, duties, limits, breach)
    for rule, kind, most, rest in (
        ("R6", is_long, limits.consecutive_long, limits.rest_after_run),
        ("R7", is_late_evening, limits.consecutive_late_evening, limits.rest_after_run),
        ("R9", is_night, limits.consecutive_nights, None),
    ):
        for run in _runs([s for s in shifts if kind(s)]):
            days = _days(run)
            if days > most:
                breach(
                    run[0].start.date() + most * DAY,
                    rule,
                    f"{days} in a row from {run[0].start:%d %b}",
                    f"{most}",
                )
            elif days == most and rest is not None:
                _rest_after(_last(run), duties, rest, lambda d, w, lim, r=rule: breach(d, r, w, lim))
    for run in _runs([s for s in shifts if is_night(s)]):
        _rest_after(_last(run), duties, limits.rest_after_nights, lambda d, w, lim: breach(d, "R10", w, lim))
    found += _weekend_breaches(doctor, duties, limits, first, last)
    found += _on_call_breaches(doctor, on_calls, duties, limits)
    return found


def is_low_intensity(duty: Duty, limits: Limits) -> bool:
    """R5a: an on-call period expecting at most 3 h and 3 episodes of work (unknown episodes: not low)."""
    return (
        duty.kind == "on_call"
        and duty.work_hours <= limits.low_intensity_hours + 1e-9
        and duty.expected_episodes is not None
        and duty.expected_episodes <= limits.low_intensity_episodes + 1e-9
    )


def low_intensity_weekends(duties: list[Duty], limits: Limits) -> set[date]:
    """The Saturdays on which a low-intensity on call starts, followed by one on the Sunday."""
    starts = {d.start.date() for d in duties if is_low_intensity(d, limits)}
    return {day for day in starts if day.weekday() == 5 and day + DAY in starts}


def _consecutive_days(run: list[Duty], duties: list[Duty], limits: Limits, breach) -> None:
    """R5: at most 7 days in a row with a duty (on call included), then 48 h rest; R5a: 12 when the run
    holds a low-intensity weekend on call."""
    days, plain = _days(run), limits.consecutive_shifts
    if days < plain:
        return
    low = bool(low_intensity_weekends(run, limits))
    most = limits.consecutive_days_low_intensity_weekend if low else plain
    rule = "R5a" if low and days > plain else "R5"
    if days > most:
        breach(
            run[0].start.date() + most * DAY,
            rule,
            f"{days} days in a row from {run[0].start:%d %b}",
            f"{most}",
        )
    else:
        _rest_after(_last(run), duties, limits.rest_after_run, lambda d, w, lim: breach(d, rule, w, lim))


def break_shortfalls(shift: Duty, limits: Limits) -> list[tuple[str, str, str]]:
    """R17 and R17b, when the shift's breaks are rostered: whole 30-minute breaks clear of the first
    and last hour, not overlapping."""
    if shift.breaks is None:
        return []
    taken, free_from = 0, shift.start + HOUR
    for begin in shift.breaks:
        if begin >= free_from and begin + BREAK <= shift.end - HOUR:
            taken, free_from = taken + 1, begin + BREAK
    hours = shift.span_hours
    owed = 2 if hours > 9 else 1 if hours > 5 else 0
    what = f"{taken} break(s) of 30 min clear of the first and last hour in a {hours:g} h shift"
    if taken < owed:
        return [("R17", what, f"{owed}")]
    if limits.check_third_night_break and is_night(shift) and hours >= 12 and taken < 3:
        return [("R17b", what, "3 (unverified)")]
    return []


def _notice_breaches(doctor: str, first: date, limits: Limits, published: date) -> list[Breach]:
    """R19: notice is owed before the rota (the post) starts, not before a doctor's first duty, so
    a doctor whose rota opens with leave or rest days is owed the same notice."""
    notice = (first - published).days
    if notice >= 7 * limits.notice_weeks:
        return []
    what = f"published {published:%d %b %Y}, {notice} days before the rota starts"
    return [Breach(doctor, first, "R19", what, f"{limits.notice_weeks} weeks")]


def _busiest_168_hours(duties: list[Duty]) -> tuple[float, datetime]:
    """The most work in any 168 consecutive hours (the maximum starts at a duty's start or ends at an end)."""
    starts = [d.start for d in duties] + [wall_clock_after(d.end, -168) for d in duties]
    return max(
        ((sum(d.hours_between(s, wall_clock_after(s, 168)) for d in duties), s) for s in starts),
        key=lambda t: t[0],
    )


def _runs(duties: list[Duty]) -> list[list[Duty]]:
    """Duties starting on consecutive calendar days (sorted by start), grouped into runs."""
    runs: list[list[Duty]] = []
    for duty in duties:
        if runs and (duty.start.date() - runs[-1][-1].start.date()).days <= 1:
            runs[-1].append(duty)
        else:
            runs.append([duty])
    return runs


def _days(run: list[Duty]) -> int:
    return (run[-1].start.date() - run[0].start.date()).days + 1


def _last(run: list[Duty]) -> Duty:
    """The duty that ends the run: rest is measured from its end."""
    return max(run, key=lambda d: d.end)


def _rest_after(last: Duty, duties: list[Duty], hours: float, report) -> None:
    following = [d for d in duties if d.start >= last.end]
    if following:
        rest = elapsed_hours(last.end, following[0].start)
        if rest < hours - 1e-9:
            report(
                following[0].start.date(),
                f"{rest:g} h rest after the run ending {last.end:%d %b %H:%M}",
                f"{hours:g} h",
            )


def weekend_spans(first: date, last: date) -> list[tuple[datetime, datetime]]:
    saturday = first + timedelta(days=(5 - first.weekday()) % 7)
    spans = []
    while saturday + DAY <= last:
        spans.append((datetime.combine(saturday, time(0, 1)), datetime.combine(saturday + DAY, time(23, 59))))
        saturday += timedelta(days=7)
    return spans


def weekends_worked(duties: list[Duty], first: date, last: date) -> tuple[int, int]:
    spans = weekend_spans(first, last)
    worked = sum(any(_overlap_hours(d, s, e) > 0 for d in duties) for s, e in spans)
    return worked, len(spans)


def _weekend_breaches(doctor, duties, limits: Limits, first, last) -> list[Breach]:
    worked, weekends = weekends_worked(duties, first, last)
    found = []
    if weekends and worked / weekends > 1 / limits.weekends_one_in + 1e-9:
        found.append(
            Breach(doctor, first, "R11", f"{worked} of {weekends} weekends", f"1 in {limits.weekends_one_in}")
        )
    elif limits.check_one_in_three_weekends and weekends and worked / weekends > 1 / 3 + 1e-9:
        found.append(Breach(doctor, first, "R11b", f"{worked} of {weekends} weekends", "1 in 3 (unverified)"))
    return found


def _on_call_breaches(doctor, on_calls: list[Duty], duties: list[Duty], limits: Limits) -> list[Breach]:
    found = []
    for call in on_calls:
        day = call.start.date()
        if call.span_hours > limits.on_call_hours + 1e-9:
            found.append(
                Breach(
                    doctor,
                    day,
                    "R12",
                    f"a {call.span_hours:g} h on-call period",
                    f"{limits.on_call_hours:g} h",
                )
            )
        per_24 = call.work_hours / call.span_hours * 24
        if per_24 > limits.on_call_work_per_24h + 1e-9:
            found.append(
                Breach(
                    doctor,
                    day,
                    "R16",
                    f"{per_24:.1f} h expected work per 24 h",
                    f"{limits.on_call_work_per_24h:g} h",
                )
            )
        in_week = [c for c in on_calls if 0 <= (c.start.date() - day).days < 7]
        if len(in_week) > limits.on_calls_in_7_days:
            found.append(
                Breach(
                    doctor,
                    day,
                    "R14",
                    f"{len(in_week)} on-call periods from {day:%d %b}",
                    f"{limits.on_calls_in_7_days}",
                )
            )
    for run in _runs(on_calls):
        for before, after in pairwise(run):
            weekend_pair = before.start.weekday() == 5 and after.start.weekday() == 6
            if not weekend_pair and after.start.date() != before.start.date():
                found.append(
                    Breach(doctor, after.start.date(), "R13", "on call on consecutive days", "not allowed")
                )
        next_day = run[-1].start.date() + DAY
        for duty in duties:
            if (
                duty.kind == "shift"
                and duty.start.date() == next_day
                and duty.span_hours > limits.hours_after_on_call
            ):
                found.append(
                    Breach(
                        doctor,
                        next_day,
                        "R15",
                        f"a {duty.span_hours:g} h shift the day after on-call",
                        f"{limits.hours_after_on_call:g} h",
                    )
                )
    return found


# --- pay-relevant figures -----------------------------------------------------------------------


def weekend_band(worked: int, weekends: int) -> str:
    """Weekend allowance by frequency (``rules.WEEKEND_BANDS``, C-rated, so marked unverified)."""
    if not worked:
        return "0% (unverified band)"
    one_in = weekends / worked
    for limit, band in WEEKEND_BANDS:
        if one_in <= limit + 1e-9:
            return f"{band} (unverified band)"
    return "0% (unverified band)"


def night_enhanced_hours(shift: Duty) -> float:
    """Hours paid the night enhancement (BMA payslip guide, in the reference): those between 21:00 and
    07:00; on a shift of 8 h or more starting 20:00–23:59, every hour up to 10:00; the whole of a shift
    ending 00:00–04:00."""
    start, end = shift.start, shift.end
    if time(20) <= start.time() and shift.span_hours >= 8:
        return elapsed_hours(start, min(end, datetime.combine(start.date() + DAY, time(10))))
    if end.time() <= time(4):
        return shift.span_hours
    return _daily_window_hours(shift, time(21), time(7))


def _summary(doctor: str, duties: list[Duty], first: date, last: date) -> DoctorSummary:
    worked, weekends = weekends_worked(duties, first, last)
    weeks = ((last - first).days + 1) / 7
    night_hours = sum(night_enhanced_hours(d) for d in duties if d.kind == "shift")
    return DoctorSummary(
        doctor,
        sum(d.work_hours for d in duties) / weeks,
        worked,
        weekends,
        sum(is_night(d) for d in duties),
        night_hours,
        weekend_band(worked, weekends),
    )
