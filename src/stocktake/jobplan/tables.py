"""Job plans as tables for the command line and for CSV / XLSX, and writing them all or nothing.

Every table that depends on an unverified term says so in a column (``verification``,
``premium_time``), so the flag travels with the numbers into a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from stocktake.jobplan.arithmetic import PlanSummary
from stocktake.jobplan.model import TYPES
from stocktake.jobplan.review import ReviewItem
from stocktake.jobplan.supplement import Supplement
from stocktake.jobplan.team import Capacity, team_capacity
from stocktake.jobplan.terms import COMPILED_ON, TERMS


def summary_table(
    summaries: Iterable[PlanSummary], supplements: dict[str, Supplement | None]
) -> pd.DataFrame:
    rows = []
    for s in summaries:
        supplement = supplements.get(s.plan.consultant)
        rows.append(
            {
                "consultant": s.plan.consultant,
                "year": s.plan.year,
                "state": s.plan.state,
                **{f"{kind}_pas": round(s.pas(kind), 3) for kind in TYPES},
                "total_pas": round(s.total_pas, 3),
                "premium_time_pas": round(s.premium_pas, 3),
                "working_weeks": s.plan.working_weeks,
                **_supplement_columns(supplement),
                "warnings": "; ".join(s.warnings),
            }
        )
    return pd.DataFrame(rows)


def _supplement_columns(supplement: Supplement | None) -> dict:
    if supplement is None:
        return {
            "on_call_one_in": None,
            "band": "",
            "category": "",
            "supplement_pct": None,
            "verification": "",
        }
    return {
        "on_call_one_in": round(supplement.one_in, 2),
        "band": supplement.band,
        "category": supplement.category,
        "supplement_pct": supplement.percent,
        "verification": supplement.rate.verification,
    }


def activity_table(summaries: Iterable[PlanSummary]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "consultant": s.plan.consultant,
                "when": r.activity.when,
                "activity": r.activity.activity,
                "type": r.activity.type,
                "site": r.activity.site,
                "weeks": r.activity.weeks.label,
                "per_working_week": round(r.per_week, 4),
                "hours": round(r.activity.hours, 3),
                "premium_hours": round(r.premium_hours, 3),
                "pas_each": round(r.pas, 4),
                "pas_per_week": round(r.pas_per_week, 4),
                "premium_time": "weekday boundary (unverified)" if r.weekday_premium else "",
            }
            for s in summaries
            for r in s.activities
        ]
    )


def supplement_table(supplements: Iterable[Supplement]) -> pd.DataFrame:
    """One row per consultant and rota: the frequency found, the band, the supplement and its flag."""
    rows = []
    for s in supplements:
        burden = s.burden
        rows.append(
            {
                "rota": s.rota,
                "consultant": s.consultant,
                "rota_days": burden.rota_days if burden else None,
                "on_call_days": burden.on_call_days if burden else None,
                "rostered_one_in": round(burden.rostered_one_in, 2) if burden else None,
                "one_in": round(s.one_in, 2),
                "frequency_from": _from(s),
                "band": s.band,
                "category": s.category,
                "supplement_pct": s.percent,
                "verification": s.rate.verification,
                "on_call_work_pas": round(burden.on_call_work_pas, 3) if burden else None,
                "resident_hours_per_week": round(burden.resident_hours, 2) if burden else None,
                "band_as_rostered": burden.band_as_rostered if burden else "",
                "weekday_boundary_pas": round(burden.weekday_boundary_pas, 3) if burden else None,
                "rests_on_unverified": rests_on_unverified(s),
            }
        )
    return pd.DataFrame(rows)


def rests_on_unverified(s: Supplement) -> str:
    """Which of the numbers measured from a rota rest on an unverified term, in words: the band, when
    prospective cover moves it from the rota's band as rostered; the on-call work, where it counts
    weekday hours before 07:00 or from 19:00 as premium time. "none" when neither does."""
    burden, found = s.burden, []
    if burden is not None and burden.band_rests_on_cover:
        found.append(
            f"band {s.band} rests on prospective cover "
            f"(unverified method; {burden.band_as_rostered} as rostered)"
        )
    if burden is not None and burden.weekday_boundary_pas > 0.0005:
        found.append(
            f"{burden.weekday_boundary_pas:.2f} of the on-call work PAs rest on the weekday 19:00 boundary "
            "(unverified)"
        )
    return "; ".join(found) or "none"


def _from(s: Supplement) -> str:
    if s.burden is None:
        return "job plan (stated)"
    if s.burden.availability < 1:
        return f"rota, prospective cover over {s.burden.availability * 52:g} of 52 weeks (unverified method)"
    return "rota, leave shown in the rota"


def comparison_table(supplements: Iterable[Supplement]) -> pd.DataFrame:
    """Each consultant across the rota designs, side by side: one column group per rota."""
    long = supplement_table(supplements)
    if long.empty:
        return long
    wide = long.pivot(
        index="consultant",
        columns="rota",
        values=[
            "one_in",
            "band",
            "supplement_pct",
            "verification",
            "on_call_work_pas",
            "resident_hours_per_week",
        ],
    )
    order = list(dict.fromkeys(long["rota"]))
    wide = wide.reindex(columns=[(v, r) for r in order for v in wide.columns.levels[0]])
    wide.columns = [f"{rota}: {value}" for value, rota in wide.columns]
    return wide.reset_index()


COMPARED = {
    "one_in": "1 in N (sets the band)",
    "rostered_one_in": "1 in N as rostered",
    "band": "band",
    "category": "category",
    "supplement_pct": "supplement, % of basic salary",
    "verification": "rate verified?",
    "on_call_work_pas": "on-call work, PAs a week",
    "resident_hours_per_week": "resident hours a week",
    "rests_on_unverified": "rests on unverified terms",
}


def comparison_by_consultant(supplements: Iterable[Supplement]) -> dict[str, pd.DataFrame]:
    """For reading on a screen: per consultant, a measure per row and a rota design per column."""
    long = supplement_table(supplements)
    return {
        consultant: rows.set_index("rota")[list(COMPARED)].rename(columns=COMPARED).T
        for consultant, rows in long.groupby("consultant", sort=False)
    }


def team_table(capacity: Iterable[Capacity]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "activity": c.activity,
                "site": c.site,
                "consultants": c.consultants,
                "sessions_per_working_week": round(c.sessions_per_working_week, 3),
                "sessions_per_week_net_of_leave": round(c.sessions_per_week, 3),
                "sessions_per_year": round(c.sessions_per_year, 1),
                "pas_per_week_net_of_leave": round(c.pas_per_week, 3),
            }
            for c in capacity
        ]
    )


def review_table(items: Iterable[ReviewItem]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "consultant": i.consultant,
                "year": i.year,
                "compared_with": i.baseline_year or "",
                "change": change,
            }
            for i in items
            for change in i.changes
        ],
        columns=["consultant", "year", "compared_with", "change"],
    )


def terms_table() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "item": t.item,
                "value": t.value,
                "source": t.source,
                "verified": "yes" if t.verified else "no (unverified)",
                "as_of": COMPILED_ON.isoformat(),
            }
            for t in TERMS
        ]
    )


def check_sheets(
    summaries: Iterable[PlanSummary], supplements: dict[str, Supplement | None]
) -> dict[str, pd.DataFrame]:
    """The workbook of ``stocktake jobplan check --out plan.xlsx``: the summary, each session, the
    supplement, the team's sessions and the terms with their sources (the workspace's download of a
    plan's check is the same sheets)."""
    summaries = list(summaries)
    return {
        "Summary": summary_table(summaries, supplements),
        "Activities": activity_table(summaries),
        "Supplement": supplement_table(s for s in supplements.values() if s is not None),
        "Team": team_table(team_capacity(s.plan for s in summaries)),
        "Terms": terms_table(),
    }
