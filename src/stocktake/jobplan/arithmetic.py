"""The contract arithmetic of a job plan: PAs per activity and per week, totals by type, warnings.

Schedule 7 (premium time): a PA is 4 hours in plain time and 3 in premium time, and a session across
the boundary counts pro rata (an activity 17:00–20:00 on a weekday is 2 h / 4 + 1 h / 3 = 0.833 PA).
An annualised activity is averaged over the working weeks of the year (Schedule 3: the job plan
describes a typical working week; leave does not reduce it). The values and their sources are the
one table in ``terms.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from stocktake.jobplan.model import TYPES, Activity, JobPlan
from stocktake.jobplan.terms import ENGLAND_2003, PA_WARNING_ABOVE, SPA_MINIMUM_NEW_POST, PremiumTime


@dataclass(frozen=True)
class ActivityPAs:
    """One timetabled activity's contract value."""

    activity: Activity
    per_week: float  # occurrences per working week
    plain_hours: float  # in one occurrence
    premium_hours: float
    pas: float  # one occurrence
    premium_pas: float  # the part of ``pas`` from premium-time hours
    weekday_premium: bool  # premium time from the weekday boundary (unverified), not a weekend

    @property
    def pas_per_week(self) -> float:
        return self.pas * self.per_week

    @property
    def premium_pas_per_week(self) -> float:
        return self.premium_pas * self.per_week


def activity_pas(
    activity: Activity, working_weeks: float, premium: PremiumTime = ENGLAND_2003
) -> ActivityPAs:
    premium_minutes = premium.premium_minutes(activity.weekday, activity.start, activity.end)
    premium_hours = premium_minutes / 60
    plain_hours = activity.hours - premium_hours
    return ActivityPAs(
        activity,
        activity.weeks.per_working_week(working_weeks),
        plain_hours,
        premium_hours,
        premium.pas(plain_hours, premium_hours),
        premium.pas(0.0, premium_hours),
        premium_minutes > 0 and activity.weekday < 5,
    )


@dataclass(frozen=True)
class PlanSummary:
    """A job plan's PAs per working week: by activity, by type, in premium time; and its warnings."""

    plan: JobPlan
    activities: tuple[ActivityPAs, ...]
    by_type: tuple[tuple[str, float], ...]  # every type of TYPES, in that order
    premium_pas: float
    warnings: tuple[str, ...]

    @property
    def total_pas(self) -> float:
        return sum(pas for _, pas in self.by_type)

    def pas(self, kind: str) -> float:
        return dict(self.by_type)[kind]


def summarise(
    plan: JobPlan,
    *,
    spa_minimum: float = SPA_MINIMUM_NEW_POST,
    pa_limit: float = PA_WARNING_ABOVE,
    premium: PremiumTime = ENGLAND_2003,
) -> PlanSummary:
    """PAs per working week; agreed PAs of unpredictable on-call work count as DCC (Schedule 3)."""
    rows = tuple(activity_pas(a, plan.working_weeks, premium) for a in plan.activities)
    totals = {kind: 0.0 for kind in TYPES}
    for row in rows:
        totals[row.activity.type] += row.pas_per_week
    if plan.on_call is not None:
        totals["DCC"] += plan.on_call.unpredictable_pas
    by_type = tuple((kind, totals[kind]) for kind in TYPES)
    premium_pas = sum(r.premium_pas_per_week for r in rows)
    return PlanSummary(plan, rows, by_type, premium_pas, _warnings(rows, totals, spa_minimum, pa_limit))


def _warnings(rows, totals: dict[str, float], spa_minimum: float, pa_limit: float) -> tuple[str, ...]:
    found = []
    total = sum(totals.values())
    if total > pa_limit + 1e-9:
        found.append(f"{total:.2f} PAs a week is past {pa_limit:g} (a job plan should not usually exceed 12)")
    if totals["SPA"] < spa_minimum - 1e-9:
        found.append(
            f"SPA {totals['SPA']:.2f} PAs is below the department's {spa_minimum:g} "
            "(Academy of Medical Royal Colleges: 2.5 for new posts)"
        )
    late = [r.activity.when for r in rows if r.weekday_premium]
    if late:
        found.append(
            "premium time on weekdays (before 07:00, from 19:00) is unverified; "
            f"it applies to {', '.join(late)}"
        )
    return tuple(found)


def find_overlaps(activities: tuple[Activity, ...], working_weeks: float = 42.0) -> list[tuple[int, int]]:
    """Index pairs of activities on the same weekday whose times overlap in a week both can fall in.

    Annualised activities (``per_year``) name no weeks, so two in one slot are not an overlap while
    their counts fit in the year: at every moment of the slot the yearly counts of the annualised
    activities under way add up to no more than the working weeks (20 + 20 a year in 42 weeks fit;
    30 + 20 do not). An annualised activity against a weekly one (or A, B, 1 in N) still overlaps."""
    found = []
    for i, first in enumerate(activities):
        for j in range(i + 1, len(activities)):
            second = activities[j]
            if not (
                first.weekday == second.weekday and first.start < second.end and second.start < first.end
            ):
                continue
            if first.weeks.kind == second.weeks.kind == "per_year":
                if _annual_fit(activities, first, second, working_weeks):
                    continue
            elif not first.weeks.may_coincide(second.weeks):
                continue
            found.append((i, j))
    return found


def _annual_fit(activities: tuple[Activity, ...], first: Activity, second: Activity, weeks: float) -> bool:
    """The annualised activities under way at each moment where these two overlap fit in the year."""
    start, end = max(first.start, second.start), min(first.end, second.end)
    annual = [a for a in activities if a.weekday == first.weekday and a.weeks.kind == "per_year"]
    moments = {start} | {a.start for a in annual if start < a.start < end}
    return all(
        sum(a.weeks.n or 0 for a in annual if a.start <= moment < a.end) <= weeks + 1e-9 for moment in moments
    )
