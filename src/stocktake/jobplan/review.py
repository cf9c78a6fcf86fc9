"""The review queue: job plans that changed past a threshold since the last agreed plan, and how.

Each reason is a sentence a clinical lead can check against the two plans: the PAs before and
after, the DCC/SPA split before and after, the sessions added and removed, the sites gained and lost.
The baseline is the consultant's latest plan from an earlier year that was agreed (or has since been
superseded, which means it was agreed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stocktake.jobplan.arithmetic import summarise
from stocktake.jobplan.model import Activity, JobPlan, year_key

AGREED = ("agreed", "superseded")


@dataclass(frozen=True)
class Thresholds:
    pas: float = 0.5  # change in total PAs a week
    split: float = 0.5  # change in DCC or SPA PAs a week
    sessions: int = 1  # sessions added plus removed


@dataclass(frozen=True)
class ReviewItem:
    consultant: str
    year: str
    baseline_year: str | None
    changes: tuple[str, ...]


def review_queue(
    current: Iterable[JobPlan],
    earlier: Iterable[JobPlan],
    thresholds: Thresholds = Thresholds(),
    *,
    same_year: bool = False,
) -> list[ReviewItem]:
    """``same_year``: an agreed plan of the same year is a baseline too (the workspace, where a plan
    revised mid-year is compared with the one agreed for that year)."""
    earlier = list(earlier)
    queue = []
    for plan in current:
        base = _baseline(plan, earlier, same_year)
        changes = _changes(plan, base, thresholds)
        if changes:
            queue.append(ReviewItem(plan.consultant, plan.year, base.year if base else None, tuple(changes)))
    return queue


def _baseline(plan: JobPlan, earlier: list[JobPlan], same_year: bool = False) -> JobPlan | None:
    agreed = [
        p
        for p in earlier
        if p.consultant == plan.consultant
        and p.state in AGREED
        and p is not plan
        and (
            year_key(p.year) < year_key(plan.year) or (same_year and year_key(p.year) == year_key(plan.year))
        )
    ]
    return max(agreed, key=lambda p: year_key(p.year), default=None)


def _changes(plan: JobPlan, base: JobPlan | None, thresholds: Thresholds) -> list[str]:
    if base is None:
        return ["no agreed plan from an earlier year to compare with"]
    now, before = summarise(plan), summarise(base)
    found = []
    if abs(now.total_pas - before.total_pas) >= thresholds.pas - 1e-9:
        found.append(
            f"PAs {before.total_pas:.2f} → {now.total_pas:.2f} ({now.total_pas - before.total_pas:+.2f})"
        )
    moved = [abs(now.pas(k) - before.pas(k)) >= thresholds.split - 1e-9 for k in ("DCC", "SPA")]
    if any(moved):
        found.append(f"DCC/SPA {_split(before)} → {_split(now)}")
    added = [a for a in plan.activities if a not in base.activities]
    removed = [a for a in base.activities if a not in plan.activities]
    if len(added) + len(removed) >= max(thresholds.sessions, 1):
        if added:
            found.append("sessions added: " + "; ".join(_session(a) for a in added))
        if removed:
            found.append("sessions removed: " + "; ".join(_session(a) for a in removed))
    gained, lost = sorted(plan.sites - base.sites), sorted(base.sites - plan.sites)
    if gained:
        found.append("sites added: " + ", ".join(gained))
    if lost:
        found.append("sites no longer worked at: " + ", ".join(lost))
    return found


def _split(summary) -> str:
    return f"{summary.pas('DCC'):.2f}/{summary.pas('SPA'):.2f}"


def _session(activity: Activity) -> str:
    at = f" at {activity.site}" if activity.site else ""
    return f"{activity.when} {activity.activity} ({activity.type}){at}, {activity.weeks.label}"
