"""The department's capacity from its job plans: sessions of each activity per week, net of leave.

A job plan describes a working week; a consultant works ``working_weeks`` of the year's 52, so a
weekly theatre list delivers ``working_weeks / 52`` lists in an average calendar week. That figure is
the supply side the waiting-list work needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stocktake.jobplan.arithmetic import activity_pas
from stocktake.jobplan.model import JobPlan, consultant_code


@dataclass(frozen=True)
class Capacity:
    activity: str
    site: str
    consultants: int
    sessions_per_working_week: float  # summed over the job plans as written
    sessions_per_week: float  # per calendar week, net of each consultant's leave
    sessions_per_year: float
    pas_per_week: float  # per calendar week, net of leave


def team_capacity(plans: Iterable[JobPlan]) -> list[Capacity]:
    """One row per activity and site. Activity and site names are compared without regard to case or
    spacing (``Northgate`` and ``northgate `` are one site), each shown as first spelled; consultants
    by their code (``c01`` is ``C01``)."""
    groups: dict[tuple[str, str], dict] = {}
    for plan in plans:
        share = plan.working_weeks / 52
        for activity in plan.activities:
            row = activity_pas(activity, plan.working_weeks)
            key = (_same(activity.activity), _same(activity.site))
            group = groups.setdefault(
                key,
                {
                    "name": " ".join(activity.activity.split()),
                    "site": " ".join(activity.site.split()),
                    "who": set(),
                    "plan": 0.0,
                    "pas": 0.0,
                    "weeks": 0.0,
                },
            )
            group["who"].add(consultant_code(plan.consultant))
            group["plan"] += row.per_week
            group["weeks"] += row.per_week * share
            group["pas"] += row.pas_per_week * share
    return [
        Capacity(g["name"], g["site"], len(g["who"]), g["plan"], g["weeks"], g["weeks"] * 52, g["pas"])
        for _, g in sorted(groups.items())
    ]


def _same(name: str) -> str:
    return " ".join(name.split()).casefold()
