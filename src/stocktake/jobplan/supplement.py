"""The on-call availability supplement (Schedule 16) from the rota actually built or read.

Frequency: a day is an on-call day for a consultant when they are on call at noon or at 23:59 of it,
so a 17:00–08:00 night, a 24-hour day and each day of a 48-hour weekend count once, and a day and a
night on the same date count once. The rota's days are the days of its cycle on which anyone is on
call; a consultant's rostered frequency is 1 in (rota days ÷ their on-call days).

Prospective cover: a rota drawn without leave shares out the on-call days as if everyone were always
present, but each consultant covers colleagues' leave and so does their share in the weeks they work
(42 of 52 by default). The frequency that sets the band is then 1 in (rota days × working weeks / 52
÷ on-call days); a 1:8 rota is worked at 1 in 6.5. When the rota already shows leave and who covers
it (``leave_in_rota``), the rostered frequency is the one used. (NHS Scotland guidance, unverified for
England: see ``terms.TERMS``.)

Band: high 1:1–1:4, medium 1:5–1:8, low 1:9 or less; a frequency between two bands falls in the more
frequent (1 in 4.5 is more often than 1 in 5, so high). Times category A or B → % of full-time basic
salary, with the table's verification flag.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from stocktake.jobplan.model import JobPlan, consultant_code
from stocktake.jobplan.terms import ENGLAND_2003, WORKING_WEEKS, PremiumTime, SupplementRate, supplement_rates
from stocktake.rota.duties import Duty

ANCHORS = (time(12, 0), time(23, 59))
BANDS = (("high", 5.0), ("medium", 9.0), ("low", float("inf")))  # band, frequencies below this value


class NotOnRota(ValueError):
    """The consultant a job plan names has no on-call period in the rota given."""

    def __init__(self, doctor: str, doctors: Iterable[str]):
        self.doctor = doctor
        known = ", ".join(sorted(set(doctors))) or "none"
        super().__init__(f"{doctor!r} has no on-call period in the rota (its doctors: {known})")


def band_of(one_in: float) -> str:
    """The band of a frequency of 1 in ``one_in`` (under 1 after prospective cover of a 1:1 rota); one
    that is no number of days (inf, nan, 0) is a ValueError, never a band."""
    if not (math.isfinite(one_in) and one_in > 0):
        raise ValueError(f"1 in {one_in:g} is not an on-call frequency (a finite number of days)")
    return next(band for band, below in BANDS if one_in < below)


def on_call_days(duties: Iterable[Duty]) -> set[date]:
    """Dates on which one of these on-call periods covers noon or 23:59."""
    found = set()
    for duty in duties:
        if duty.kind != "on_call":
            continue
        day = duty.start.date()
        while day <= duty.end.date():
            if any(duty.start <= datetime.combine(day, at) < duty.end for at in ANCHORS):
                found.add(day)
            day += timedelta(days=1)
    return found


def cycle(duties: list[Duty], period: tuple[date, date] | None = None) -> tuple[date, date]:
    """The rota's period (a grid's own dates), else its first to last duty date, in whole weeks."""
    first, last = period or (min(d.start.date() for d in duties), max(d.start.date() for d in duties))
    weeks = -(-((last - first).days + 1) // 7)
    return first, first + timedelta(days=7 * weeks - 1)


@dataclass(frozen=True)
class RotaBurden:
    """What a rota asks of one consultant: how often on call, the on-call work, the resident hours."""

    doctor: str
    rota_days: int  # days of the cycle on which someone is on call
    on_call_days: int
    weeks: float  # of the cycle
    availability: float  # working weeks / 52 with prospective cover; 1 when the rota shows leave
    on_call_work_pas: float  # per working week, from the rota's expected hours of work on call
    resident_hours: float  # per week of the cycle: the doctor's resident (shift) duties
    weekday_boundary_pas: float = 0.0  # of on_call_work_pas: premium only by the weekday 07:00/19:00 line

    @property
    def band_as_rostered(self) -> str:
        return band_of(self.rostered_one_in)

    @property
    def band_rests_on_cover(self) -> bool:
        """The band differs from the rota's as rostered: it rests on the (unverified) prospective-cover
        method."""
        return self.availability < 1 and self.band_as_rostered != self.band

    @property
    def rostered_one_in(self) -> float:
        return self.rota_days / self.on_call_days

    @property
    def one_in(self) -> float:
        """The frequency that sets the band, after prospective cover."""
        return self.rota_days * self.availability / self.on_call_days

    @property
    def band(self) -> str:
        return band_of(self.one_in)


def rota_burden(
    duties: list[Duty],
    doctor: str,
    *,
    period: tuple[date, date] | None = None,
    working_weeks: float = WORKING_WEEKS,
    leave_in_rota: bool = False,
    premium: PremiumTime = ENGLAND_2003,
) -> RotaBurden:
    own = [d for d in duties if consultant_code(d.doctor) == consultant_code(doctor)]  # c01 is C01
    days = on_call_days(own)
    if not days:
        raise NotOnRota(doctor, (d.doctor for d in duties if d.kind == "on_call"))
    first, last = cycle(duties, period)
    weeks = ((last - first).days + 1) / 7
    availability = 1.0 if leave_in_rota else working_weeks / 52
    work = sum(_on_call_work_pas(d, premium) for d in own if d.kind == "on_call")
    weekdays_plain = replace(premium, weekday_plain_from=0, weekday_plain_until=24 * 60)
    without = sum(_on_call_work_pas(d, weekdays_plain) for d in own if d.kind == "on_call")
    resident = sum(d.span_hours for d in own if d.kind == "shift")
    return RotaBurden(
        doctor,
        len(on_call_days(d for d in duties if first <= d.start.date() <= last)),
        len(days),
        weeks,
        availability,
        work / weeks / availability,
        resident / weeks,
        (work - without) / weeks / availability,
    )


def _on_call_work_pas(duty: Duty, premium: PremiumTime) -> float:
    """The expected work of an on-call period, spread evenly over it, as PAs (3 hours a PA in
    premium time, Schedule 7)."""
    plain = in_premium = 0
    moment = duty.start
    while moment < duty.end:
        until = min(duty.end, datetime.combine(moment.date() + timedelta(days=1), time(0)))
        start = moment.hour * 60 + moment.minute
        end = start + round((until - moment).total_seconds() / 60)
        extra = premium.premium_minutes(moment.weekday(), start, end)
        in_premium, plain = in_premium + extra, plain + (end - start - extra)
        moment = until
    spread = duty.work_hours / ((plain + in_premium) / 60) if plain + in_premium else 0.0
    return premium.pas(plain / 60 * spread, in_premium / 60 * spread)


@dataclass(frozen=True)
class Supplement:
    """A consultant's on-call availability supplement and where its frequency came from."""

    consultant: str
    rota: str  # the rota file's name, or the job plan's stated rota
    category: str
    one_in: float
    rate: SupplementRate
    burden: RotaBurden | None = None  # None: from the job plan's stated frequency

    @property
    def band(self) -> str:
        return self.rate.band

    @property
    def percent(self) -> float:
        return self.rate.percent


def supplement_for(
    plan: JobPlan,
    duties: list[Duty] | None = None,
    *,
    rota: str = "",
    period: tuple[date, date] | None = None,
    leave_in_rota: bool = False,
    rates: dict[tuple[str, str], SupplementRate] | None = None,
) -> Supplement | None:
    """The supplement from the rota when one is given, else from the plan's stated 1 in N; None
    when the plan has no on-call commitment (or states no frequency and no rota is given)."""
    if plan.on_call is None:
        return None
    rates = rates or supplement_rates()
    if duties is None:
        if plan.on_call.one_in is None:
            return None
        one_in = plan.on_call.one_in
        rate = rates[band_of(one_in), plan.on_call.category]
        return Supplement(plan.consultant, plan.on_call.rota, plan.on_call.category, one_in, rate)
    burden = rota_burden(
        duties, plan.rota_doctor, period=period, working_weeks=plan.working_weeks, leave_in_rota=leave_in_rota
    )
    rate = rates[burden.band, plan.on_call.category]
    return Supplement(
        plan.consultant, rota or plan.on_call.rota, plan.on_call.category, burden.one_in, rate, burden
    )
