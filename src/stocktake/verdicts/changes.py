"""What changed since last month: measures whose verdict moved between two stock-takes (issue 25).

Pure: two stock-takes in (as things stood at the previous month, and now), the changes a lead would
want an alert for out: a measure that started going backwards (a special cause of concern), one
that reached its target (assurance turned to pass), one that lost it, and one that stopped improving.
``since_last_month`` reads each measure against its own previous month, since each measure runs to
its own latest complete month (ADR 29).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from stocktake.verdicts.narrative import CATEGORIES
from stocktake.verdicts.stocktake import Entry, StockTake

#: Each kind of change, most urgent first, as a lead reads it.
KINDS = {
    "going_backwards": "started going backwards",
    "missed_target": "no longer reliably meets its target",
    # the signal ended, not the level: "stopped improving" had read as getting worse beside a level
    # barely changed, one rule no longer met (an outside check)
    "stopped_improving": "no longer shows special-cause improvement",
    "reached_target": "reached its target",
    # the target moved, not the process: a catalogue's least gain read from a month that arrived
    # (ADR 78) had said "no longer reliably meets its target" of limits that had not moved
    "target_changed": "is read against a changed target",
}


@dataclass(frozen=True)
class Change:
    metric_id: str
    title: str
    kind: str
    #: The verdict (``CATEGORIES`` key) before and now.
    before: str
    now: str
    #: The month the measure is read to now.
    month: pd.Timestamp
    #: For a changed target: the targets and what the process does against each, in words.
    detail: str = ""

    @property
    def line(self) -> str:
        """E.g. "Hip fracture surgery within 36 hours started going backwards in April 2025 (was
        No evidence of change)"; where a signal ended, what it reads as now too."""
        if self.kind == "target_changed":
            return f"{self.title} {KINDS[self.kind]} in {self.month:%B %Y} {self.detail}"
        now = f"; now {CATEGORIES[self.now]}" if self.kind == "stopped_improving" else ""
        return f"{self.title} {KINDS[self.kind]} in {self.month:%B %Y} (was {CATEGORIES[self.before]}{now})"


def changes(before: StockTake, now: StockTake) -> tuple[Change, ...]:
    """The measures of ``now`` whose verdict changed since ``before`` in a way worth an alert, most
    urgent first (catalogue order within a kind). A measure not in ``before`` is not a change."""
    earlier = {e.result.metric.id: e for e in before.entries}
    found = []
    for entry in now.entries:
        was = earlier.get(entry.result.metric.id)
        kind = _kind(was, entry) if was is not None else None
        if kind is not None:
            found.append(
                Change(
                    entry.result.metric.id,
                    entry.result.metric.title,
                    kind,
                    was.category,
                    entry.category,
                    pd.Timestamp(entry.result.x[-1]),
                    _moved_target(was, entry) if kind == "target_changed" else "",
                )
            )
    order = list(KINDS)
    return tuple(sorted(found, key=lambda c: order.index(c.kind)))


#: What the process does against its target, as a changed target's alert says it (a recheck: "now
#: Moved the needle (was Moved the needle)" had said nothing of what changed).
AGAINST_IT = {
    "consistent_pass": ("will consistently meet", "consistently met"),
    "consistent_fail": ("will consistently fail", "consistently failed"),
    "inconsistent": ("will sometimes meet and sometimes miss", "sometimes met and sometimes missed"),
}


def _moved_target(was: Entry, now: Entry) -> str:
    """ "(75.3%, was 65.0%): the process will consistently fail it (it consistently met 65.0%)"."""
    old, new = was.format(was.result.chart.target), now.format(now.result.chart.target)
    doing = AGAINST_IT.get(now.result.assurance_type, ("cannot yet be read against",))[0]
    did = AGAINST_IT.get(was.result.assurance_type, ("", "could not be read against"))[1]
    return f"({new}, was {old}): the process {doing} it (it {did} {old})"


def _kind(was: Entry, now: Entry) -> str | None:
    """The alert between two verdicts. Going backwards and improving are read from the category, not
    the latest period's icon: a change marked with a restart of the limits is read across it (ADR 49),
    and "stopped improving" the month it was marked would contradict "Moved the needle" beside it."""
    backwards, moved = "going_backwards", "moved_the_needle"
    if now.category == backwards and was.category != backwards:
        return "going_backwards"
    passing = "consistent_pass"
    moved_target = was.result.chart.target != now.result.chart.target
    if moved_target and (was.result.assurance_type == passing) != (now.result.assurance_type == passing):
        return "target_changed"
    if was.result.assurance_type == passing and now.result.assurance_type != passing:
        return "missed_target"
    if was.category == moved and now.category != moved:
        return "stopped_improving"
    if now.result.assurance_type == passing and was.result.assurance_type != passing:
        return "reached_target"
    return None


def since_last_month(now: StockTake, as_at: Callable[[str], StockTake]) -> tuple[Change, ...]:
    """``changes`` with each measure read as it stood at the month before its own latest month.

    ``as_at(period)`` is the stock-take as at the end of a month ("YYYY-MM"), e.g.
    ``lambda p: workspace.stocktake(db, period=p)``: it is asked once per distinct previous month.
    """
    previous: dict[str, str] = {}
    for entry in now.entries:
        if entry.result.metric.monthly and len(entry.result.x) > 1:
            month = pd.Timestamp(entry.result.x[-1]) - pd.offsets.MonthBegin(1)
            previous[entry.result.metric.id] = f"{month:%Y-%m}"
    earlier: dict[str, Entry] = {}
    for period in sorted(set(previous.values())):
        for entry in as_at(period).entries:
            if previous.get(entry.result.metric.id) == period:
                earlier[entry.result.metric.id] = entry
    before = dataclasses.replace(now, entries=tuple(earlier.values()))
    return changes(before, now)


def window_statement(entries: tuple[Entry, ...] | list[Entry]) -> str:
    """The months a stock-take shows and why, e.g. "Each measure to its latest complete month: most
    to March 2025; Hip fracture to April 2025." (an area is named when all its measures end together,
    else its measures are)."""
    monthly = [e for e in entries if e.result.metric.monthly and len(e.result.x)]
    if not monthly:
        return ""
    ends = {e.result.metric.id: pd.Timestamp(e.result.x[-1]) for e in monthly}
    counts = pd.Series(list(ends.values())).value_counts()
    most = max(counts.index, key=lambda month: (counts[month], month))
    lead = "Each measure to its latest complete month: "
    if len(counts) == 1:
        return f"{lead}all to {most:%B %Y}."
    others: dict[pd.Timestamp, list[str]] = {}
    for area in dict.fromkeys(e.result.metric.area for e in monthly):
        inside = [e for e in monthly if e.result.metric.area == area]
        months = {ends[e.result.metric.id] for e in inside}
        if months == {most}:
            continue
        if len(months) == 1:
            others.setdefault(months.pop(), []).append(area)
            continue
        for e in inside:
            if ends[e.result.metric.id] != most:
                others.setdefault(ends[e.result.metric.id], []).append(e.result.metric.title)
    rest = "; ".join(f"{', '.join(names)} to {month:%B %Y}" for month, names in sorted(others.items()))
    return f"{lead}most to {most:%B %Y}; {rest}."
