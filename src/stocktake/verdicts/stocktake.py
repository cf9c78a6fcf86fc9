"""The stock-take every renderer (HTML, PDF, Excel) draws from: each measure placed and explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

import numpy as np
import pandas as pd

from stocktake.metrics.suppression import MASK, coarse_chart
from stocktake.periods import months_between
from stocktake.procurement.opportunities import Opportunities
from stocktake.spc.rebase import MIN_REBASE_POINTS
from stocktake.spc.xmr import XmrChart
from stocktake.targets.projection import Projection, project
from stocktake.verdicts.analysis import MetricResult
from stocktake.verdicts.expected import ObservedExpected
from stocktake.verdicts.narrative import (
    CATEGORIES,
    CHANGE_CATEGORIES,
    DRIFTING_STOCK,
    Formatter,
    across_rebase,
    at_bound_note,
    before_rebase,
    chart_category,
    day,
    deferred,
    sentence,
    step_at_rebase,
)
from stocktake.verdicts.peers import PeerComparison
from stocktake.verdicts.trusts import TrustComparison
from stocktake.verdicts.waitinglist import Overview as WaitingListOverview

VARIATION_ROWS = {
    "special_cause_improvement": "Special cause improvement",
    "common_cause": "Common cause",
    "special_cause_concern": "Special cause concern",
}
ASSURANCE_COLUMNS = {
    "consistent_pass": "Consistently passing",
    "inconsistent": "Hit and miss",
    "consistent_fail": "Consistently failing",
    None: "No target",
}


@dataclass(frozen=True)
class Reading:
    """The verdict had a rebase not restarted the limits, kept when the rebase changed it."""

    rebase_on: date
    category: str
    sentence: str

    @property
    def headline(self) -> str:
        """E.g. "Going backwards without the rebase on 1 Jul 2025"."""
        return f"{CATEGORIES[self.category]} without the rebase on {day(self.rebase_on)}"


@dataclass(frozen=True)
class Entry:
    result: MetricResult
    category: str
    sentence: str
    projection: Projection | None = None
    target_basis: str | None = None
    #: Set when the latest rebase changed the verdict: what it was without that rebase.
    before_rebase: Reading | None = None

    @property
    def format(self) -> Formatter:
        """The measure's formatter; coarse where small numbers are hidden (its statistics are rounded)."""
        return Formatter(self.result.metric.unit, self.result.metric.decimals, coarse=bool(self.hidden.any()))

    @property
    def hidden(self) -> np.ndarray:
        hidden = self.result.hidden
        return np.zeros(len(self.result.x), dtype=bool) if hidden is None else hidden

    def shown(self, index: int) -> str:
        """The value at ``index`` as an export shows it: "*" when small numbers are behind it."""
        return MASK if self.hidden[index] else self.format(self.result.chart.y[index])

    @property
    def latest_index(self) -> int:
        present = np.flatnonzero(~np.isnan(self.result.chart.y))
        return int(present[-1]) if len(present) else len(self.result.x) - 1


@dataclass(frozen=True)
class StockTake:
    department: str
    source: str
    entries: tuple[Entry, ...]
    annotations: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=datetime.now)
    #: Measures left out because the warehouse holds none of their data (id → datasets lacking).
    no_data: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: The board report's "Compared with peers": each measure with a funnel across sites, last year.
    peers: tuple[PeerComparison, ...] = ()
    #: "Compared with peers", observed ÷ expected: each outcome measure with expected counts kept.
    observed_expected: tuple[ObservedExpected, ...] = ()
    #: "Compared with other trusts": each measure with other trusts' published figures kept (ADR 39).
    trusts: tuple[TrustComparison, ...] = ()
    #: The board report's "Procurement opportunities"; None when no orders were looked at.
    procurement: Opportunities | None = None
    #: The board report's "Waiting list"; None when the warehouse holds no pathways.
    waiting_list: WaitingListOverview | None = None
    #: The list retargeted to the department's own target for the share within 18 weeks, where it has
    #: one and it is not the answer's (the report says what each would take).
    waiting_list_for_own_target: WaitingListOverview | None = None

    @property
    def follow_up_note(self) -> str:
        """Why outcomes read some days after each patient's date end before the rest (ADR 74), or "":
        an outside recheck found the board report's 30-day mortality ending a month early, unsaid."""
        ends = [e.result.x[-1] for e in self.entries if e.result.metric.monthly and len(e.result.x)]
        if not ends:
            return ""
        latest = max(ends)
        waiting = [
            f"{e.result.metric.title} ({e.result.metric.follow_up_days} days; to {e.result.x[-1]:%B %Y})"
            for e in self.entries
            if e.result.metric.follow_up_days and len(e.result.x) and e.result.x[-1] < latest
        ]
        if not waiting:
            return ""
        return (
            "These outcomes end earlier than most measures: each month is shown once the data reach its "
            f"follow-up past the month's end, so its outcomes are known: {'; '.join(waiting)}."
        )

    @property
    def no_data_lines(self) -> list[str]:
        """Each measure left out for want of data, and what it needs: the report says so."""
        return [f"{metric_id} (needs {', '.join(lacking)})" for metric_id, lacking in self.no_data]

    @cached_property  # read by every page of the web workspace; the entries never change
    def period_label(self) -> str:
        if not self.entries:  # a warehouse holding only extracts no measure reads (orders, say)
            return "No measure has data yet"
        first = min(e.result.x.min() for e in self.entries)
        last = max(e.result.x.max() for e in self.entries)
        return months_between(first, last)

    def by_category(self) -> dict[str, list[Entry]]:
        return {key: [e for e in self.entries if e.category == key] for key in CATEGORIES}

    def matrix(self) -> list[tuple[str, list[list[Entry]]]]:
        """The Making Data Count summary matrix: variation rows × assurance columns of measures."""
        rows = []
        for variation, label in VARIATION_ROWS.items():
            cells = [
                [
                    e
                    for e in self.entries
                    if variation_row(e) == variation and e.result.assurance_type == assurance
                ]
                for assurance in ASSURANCE_COLUMNS
            ]
            rows.append((label, cells))
        return rows


def variation_row(entry: Entry) -> str:
    """The entry's row of the matrix: neutral special causes and too-few-points sit with common cause."""
    variation = entry.result.variation_type
    return variation if variation in VARIATION_ROWS else "common_cause"


def build(
    department: str,
    source: str,
    results: list[MetricResult],
    *,
    annotations: dict[str, list[tuple[str, str]]] | None = None,
    target_bases: dict[str, str] | None = None,
) -> StockTake:
    """Place every measure, explain it, and project its target where one is set and not yet met.

    A rebase that changed the verdict is reported beside it (``Entry.before_rebase``), and a change
    date that has not restarted the limits yet is said in the sentence and on its chart mark.
    """
    entries, marks = [], dict(annotations or {})
    for result in results:
        chart, metric = result.chart, result.metric
        hidden = result.hidden is not None and bool(np.any(result.hidden))
        fmt = Formatter(metric.unit, metric.decimals, coarse=hidden)
        said = coarse_chart(chart, result.hidden) if result.hidden is not None else chart
        kind, opening, before, notes = _rebase_readings(result, said, fmt)
        if metric.stock and kind in CHANGE_CATEGORIES:
            notes = (*notes, DRIFTING_STOCK)
        if kind in CHANGE_CATEGORIES and not opening:
            counts = (
                (result.numerator, result.denominator)
                if metric.numerator_is_count
                and result.numerator is not None
                and result.denominator is not None
                else None
            )
            notes = (*notes, at_bound_note(chart, fmt, result.hidden, counts))
        text = sentence(  # the mean and limits it quotes as exported beside hidden points (ADR 9)
            said,
            result.x,
            fmt,
            notes,
            latest_hidden=_latest_hidden(result),
            monthly=metric.monthly,
            opening=opening,
            hidden=result.hidden,
        )
        projection = _projection(result)
        if projection is not None and chart.target is not None and not _assured_in_words(result, projection):
            text += " " + projection.describe()
        basis = (target_bases or {}).get(metric.id) or (metric.target.source if metric.target else None)
        entries.append(Entry(result, kind, text, projection, basis, before))
        if metric.id in marks:
            marks[metric.id] = _marked_deferred(marks[metric.id], result)
    return StockTake(department, source, tuple(entries), marks)


def _assured_in_words(result: MetricResult, projection: Projection) -> bool:
    """An average already at the target is for the assurance to put in words: with limits to read, a
    hit-and-miss target "already met" on average is still missed in some months (Making Data Count)."""
    return projection.status == "met" and result.assurance_type is not None


def _rebase_readings(
    result: MetricResult, said: XmrChart, fmt: Formatter
) -> tuple[str, str, Reading | None, tuple[str, ...]]:
    """The measure's category, the sentence's opening when the verdict is the step at the latest
    restart of the limits (``across_rebase``; else ""), the reading without that restart when it
    differs from the verdict, and the notes: the step at the restart (unless the opening says it),
    then a note for each deferred change date."""
    kind = chart_category(result.chart)
    rebasing = result.rebasing
    if rebasing is None:
        return kind, "", None, ()
    since = rebasing.applied[-1] if rebasing.applied else date.min
    notes = [deferred(when, n) for when, n in rebasing.deferred if when > since]
    across = (
        across_rebase(result.chart, result.x, fmt, since, said, result.hidden) if rebasing.applied else None
    )
    if across is not None:  # the period since is common cause throughout: the step is the news
        category_at_change, opening = across
        return category_at_change, opening, None, tuple(notes)
    if rebasing.applied:
        notes.insert(0, step_at_rebase(said, fmt, since))
    before = None
    if rebasing.without_latest is not None:
        without = rebasing.without_latest
        without_said = coarse_chart(without, result.hidden) if result.hidden is not None else without
        without_kind, text = before_rebase(without_said, result.x, fmt, since, _latest_hidden(result))
        if without_kind != kind:
            before = Reading(since, without_kind, text)
            notes.insert(1, text)
    return kind, "", before, tuple(notes)


def _latest_hidden(result: MetricResult) -> bool:
    return result.hidden is not None and len(result.hidden) > 0 and bool(result.hidden[-1])


def _marked_deferred(marks: list[tuple[str, str]], result: MetricResult) -> list[tuple[str, str]]:
    """A deferred rebase's chart mark says why the limits did not start again there."""
    waiting = {when.isoformat(): n for when, n in (result.rebasing.deferred if result.rebasing else ())}
    return [
        (when, f"{label} (limits not restarted: {waiting[when]} of {MIN_REBASE_POINTS} values)")
        if when in waiting
        else (when, label)
        for when, label in marks
    ]


def describe_rebase(dated: date, with_it: Entry, without_it: Entry) -> str:
    """A new rebase on ``dated`` in words: the verdict with it and without it (for the audit log)."""
    rebasing = with_it.result.rebasing
    waiting = dict(rebasing.deferred) if rebasing else {}
    if rebasing and dated in rebasing.applied:
        what = "limits start again."
    elif dated in waiting:
        what = f"limits to start again, deferred: {waiting[dated]} of {MIN_REBASE_POINTS} values follow it."
    else:
        what = "limits to start again, but this chart has no new period there."
    return (
        f"{what} With it: {CATEGORIES[with_it.category]}. {with_it.sentence} "
        f"Without it: {CATEGORIES[without_it.category]}. {without_it.sentence}"
    )


def _projection(result: MetricResult) -> Projection | None:
    """The target's projection from the current period's shown values: a line fitted through hidden
    ones too had given them back (an outside check re-ran it for each of 1–7 and one matched)."""
    chart = result.chart
    if chart.target is None or result.metric.improvement == "neutral" or not result.metric.monthly:
        return None
    if result.assurance_type == "consistent_pass":
        return None
    segment = chart.latest
    current = slice(segment.start, segment.start + segment.n)
    shown = chart.y if result.hidden is None else np.where(result.hidden, np.nan, chart.y)
    return project(
        pd.DatetimeIndex(result.x[current]),
        shown[current],
        chart.target,
        result.metric.improvement,
        segment.mean,
    )
