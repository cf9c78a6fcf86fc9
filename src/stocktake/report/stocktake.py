"""The stock-take every renderer (HTML, PDF, Excel) draws from: each measure placed and explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
import pandas as pd

from stocktake.analysis import MetricResult
from stocktake.report.narrative import CATEGORIES, Formatter, category, sentence
from stocktake.targets.projection import Projection, project

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
class Entry:
    result: MetricResult
    category: str
    sentence: str
    projection: Projection | None = None
    target_basis: str | None = None

    @property
    def format(self) -> Formatter:
        return Formatter(self.result.metric.unit, self.result.metric.decimals)

    @property
    def hidden(self) -> np.ndarray:
        hidden = self.result.hidden
        return np.zeros(len(self.result.x), dtype=bool) if hidden is None else hidden

    def shown(self, index: int) -> str:
        """The value at ``index`` as an export shows it: "*" when small numbers are behind it."""
        return "*" if self.hidden[index] else self.format(self.result.chart.y[index])

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

    @cached_property  # read by every page of the web workspace; the entries never change
    def period_label(self) -> str:
        first = min(e.result.x.min() for e in self.entries)
        last = max(e.result.x.max() for e in self.entries)
        return f"{first:%B %Y} to {last:%B %Y}"

    def by_category(self) -> dict[str, list[Entry]]:
        return {key: [e for e in self.entries if e.category == key] for key in CATEGORIES}

    def matrix(self) -> list[tuple[str, list[list[Entry]]]]:
        """The Making Data Count summary matrix: variation rows × assurance columns of measures."""
        rows = []
        for variation, label in VARIATION_ROWS.items():
            cells = [
                [e for e in self.entries if _row(e) == variation and e.result.assurance_type == assurance]
                for assurance in ASSURANCE_COLUMNS
            ]
            rows.append((label, cells))
        return rows


def _row(entry: Entry) -> str:
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
    """Place every measure, explain it, and project its target where one is set and not yet met."""
    entries = []
    for result in results:
        chart, metric = result.chart, result.metric
        fmt = Formatter(metric.unit, metric.decimals)
        text = sentence(chart, result.x, fmt)
        projection = _projection(result)
        if projection is not None and chart.target is not None:
            text += " " + projection.describe()
        basis = (target_bases or {}).get(metric.id) or (metric.target.source if metric.target else None)
        entries.append(
            Entry(result, category(result.variation_type, result.assurance_type), text, projection, basis)
        )
    return StockTake(department, source, tuple(entries), annotations or {})


def _projection(result: MetricResult) -> Projection | None:
    chart = result.chart
    if chart.target is None or result.metric.improvement == "neutral" or result.metric.chart != "xmr":
        return None
    if result.assurance_type == "consistent_pass":
        return None
    segment = chart.latest
    current = slice(segment.start, segment.start + segment.n)
    return project(
        pd.DatetimeIndex(result.x[current]),
        chart.y[current],
        chart.target,
        result.metric.improvement,
        segment.mean,
    )
