"""Have a list's referrals or treatments changed within the year its projection averages?

The weeks-waited projection holds each flow at its average over the latest 12 returns. Neither replay
can see a flow change (each feeds the months' own flows), so a step within the year went unsaid: an
outside check raised referrals by a fifth over the latest six months and the projection ran 13% low a
year on. The latest six months against the six before, beyond what the months' own variation gives
by chance, are said (ADR 73).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.spc.attribute import D2  # a moving range's mean over the spread, for ranges of two
from stocktake.waitinglist.capacity import CapacityAnswer
from stocktake.waitinglist.weeks_waited import FLOW_MONTHS, WeeksWaited, monthly_flows

#: The months in each half compared: the latest six against the six before.
HALF = 6
#: A change must pass this many standard errors of the difference between the halves' means; the
#: months' spread is read from their moving ranges within each half (so the step itself is not in it),
#: as an XmR chart reads it, and never below a count's chance spread (its square root): identical
#: months would otherwise make any difference "beyond chance". On Poisson months where nothing
#: changed (30–5,000 a month) it fired on 1–1.5% of years; a 10% step at 500 a month 73%, at 100 16%.
SPREADS = 3.0
#: Nor is a change under this share of the earlier months said: at a national size the months' spread
#: is their seasons, and a few per cent either side of the year's average moves a projection little.
LEAST_SHARE = 0.05


@dataclass(frozen=True)
class FlowChange:
    """A flow's monthly mean over the latest six months and the six before, changed beyond chance."""

    flow: str
    before: float
    lately: float

    @property
    def share(self) -> float:
        return self.lately / self.before - 1 if self.before else math.inf

    def words(self) -> str:
        way = "higher" if self.lately > self.before else "lower"
        by = f"{abs(self.share):.0%} " if self.before else ""
        return (
            f"{self.flow} ran {by}{way} over the latest {HALF} months ({self.lately:,.0f} a month) than "
            f"over the {HALF} before ({self.before:,.0f})"
        )


def changed(flow: str, monthly) -> FlowChange | None:
    """The change in ``monthly`` (the latest twelve months' counts, oldest first) between its halves,
    when beyond chance and at least :data:`LEAST_SHARE`; None otherwise, or from fewer months."""
    counts = np.asarray(monthly, dtype=float)
    if len(counts) != 2 * HALF or np.isnan(counts).any():
        return None
    before, lately = counts[:HALF], counts[HALF:]
    ranges = np.concatenate([np.abs(np.diff(before)), np.abs(np.diff(lately))])
    spread = max(ranges.mean() / D2, math.sqrt(max(counts.mean(), 1.0)))
    gap = lately.mean() - before.mean()
    if abs(gap) <= SPREADS * spread * math.sqrt(2 / HALF):
        return None
    if before.mean() > 0 and abs(gap) < LEAST_SHARE * before.mean():
        return None
    return FlowChange(flow, float(before.mean()), float(lately.mean()))


def changes_in_pathways(
    pathways: pd.DataFrame, last: pd.Period
) -> tuple[tuple[float, float] | None, tuple[FlowChange, ...]]:
    """Patient-level pathways' referrals and treatments a month over the latest six months (None with
    fewer than 12 months of flows), and those of the two that changed within the year: what `weeks
    --warehouse`, `capacity --warehouse` and the Waiting list page say."""
    referred, treated = monthly_flows(pathways, last)
    if len(referred) < FLOW_MONTHS:
        return None, ()
    lately = (float(referred[-HALF:].mean()), float(treated[-HALF:].mean()))
    flows = (("referrals", referred), ("treatments", treated))
    return lately, tuple(c for flow, counts in flows if (c := changed(flow, counts)) is not None)


def said(changes: tuple[FlowChange, ...], held: str, then: str) -> str:
    """The flows that changed, as one sentence: "Referrals ran 8% higher … than over the 6 before
    (4,543), more than the months' own variation gives by chance; {held}. {then}."."""
    text = " and ".join(change.words() for change in changes)
    return (
        f"{text[0].upper()}{text[1:]}, more than the months' own variation gives by chance; {held}. {then}."
    )


def _at_latest(lately: tuple[float, float]) -> str:
    return (
        f"At the latest {HALF} months' flows instead ({lately[0]:,.0f} referrals and {lately[1]:,.0f} "
        "treatments a month)"
    )


def plainly(summary: WeeksWaited, figure: str) -> str:
    """One of a projected month's figures as written: a share to a tenth, a count whole."""
    value = getattr(summary, figure)
    return f"{value:.1f}%" if figure.startswith("pct_") else f"{value:,.0f}"


def projection_at_latest_flows(
    held: WeeksWaited, latest: WeeksWaited, lately: tuple[float, float], written=plainly
) -> str:
    """What the weeks-waited projection's last month comes to at the latest six months' flows, beside
    ``held`` (the same month at the year's averages); ``written(summary, figure)`` writes a figure,
    hiding what the table beside it hides ("7 over 52 weeks", and a share giving 7 over 18 weeks away,
    had been printed beside a table of "*")."""
    month = pd.Period(latest.month, freq="M")
    return (
        f"{_at_latest(lately)}, the list moved forward by weeks waited comes to {written(latest, 'waiting')} "
        f"waiting in {month:%B %Y} rather than {written(held, 'waiting')} at the year's averages, "
        f"{written(latest, 'pct_within_18_weeks')} within 18 weeks rather than "
        f"{written(held, 'pct_within_18_weeks')}, and {written(latest, 'over_52_weeks')} over 52 weeks "
        f"rather than {written(held, 'over_52_weeks')}"
    )


def capacity_at_latest_flows(
    held: CapacityAnswer,
    latest: CapacityAnswer,
    lately: tuple[float, float],
    year_treatments: float,
    month: Callable[[pd.Period], str] = str,
) -> str:
    """What the target needs from the same start at the latest six months' flows, beside ``held`` (at
    the year's ``year_treatments`` a month), each with the treatments a week in all: the two extras
    sit on different present capacities (an outside recheck read more extra as more capacity, where
    in all it was less)."""

    def needs(answer: CapacityAnswer, treatments_a_month: float) -> str:
        if answer.extra_per_week is None:
            return "is not reachable with any uplift the model allows"
        if answer.extra_per_week == 0:
            return "is met without extra capacity"
        in_all = treatments_a_month * 12 / 52 + answer.extra_per_week
        return f"needs {answer.extra_per_week:.1f} extra treatments a week, {in_all:,.0f} a week in all"

    return (
        f"{_at_latest(lately)}, {latest.target.describe(month)} {needs(latest, lately[1])} from "
        f"{month(latest.start)} "
        f"(at the year's averages it {needs(held, year_treatments)})"
    )
