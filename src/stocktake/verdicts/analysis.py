"""Apply SPC to each metric's series: the verdicts the report, the web and the exports show.

Pure: takes the tidy series the metric engine returns and the catalogue's definitions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue, Metric
from stocktake.metrics.suppression import hidden_points, nested_hiding
from stocktake.metrics.suppression import one_person as moved_by_one_person
from stocktake.spc import XmrChart
from stocktake.spc.prime import attribute_xmr
from stocktake.spc.rebase import plan_rebases, rebase_point
from stocktake.spc.tchart import t_chart
from stocktake.spc.xmr import xmr_many
from stocktake.verdicts.least_gain import resolved


@dataclass(frozen=True)
class Rebasing:
    """What the change dates that restart the limits did, so a verdict never hides what one removed.

    ``deferred`` holds change dates whose limits have not started again because too few values
    follow them (``spc.rebase``), with the count so far; ``without_latest`` is the chart read as if
    the latest honoured change date had not restarted the limits (its date is ``applied[-1]``).
    """

    applied: tuple[date, ...] = ()
    deferred: tuple[tuple[date, int], ...] = ()
    without_latest: XmrChart | None = None


@dataclass(frozen=True)
class MetricResult:
    metric: Metric
    x: pd.DatetimeIndex
    chart: XmrChart
    #: Points to show as "*" in anything exported (counts of 1–7 behind them).
    hidden: np.ndarray | None = None
    numerator: np.ndarray | None = None
    denominator: np.ndarray | None = None
    rebasing: Rebasing | None = None

    @property
    def one_person(self) -> np.ndarray | None:
        """How far one person moves each point (``suppression.one_person``), for coarse limits."""
        return moved_by_one_person(self.metric, self.denominator)

    @property
    def variation_type(self) -> str:
        return self.chart.latest.variation_type

    @property
    def assurance_type(self) -> str | None:
        return self.chart.latest.assurance_type


def analyse(
    catalogue: Catalogue,
    series: dict[str, pd.DataFrame],
    *,
    rebase: dict[str, list] | None = None,
    targets: dict[str, float] | None = None,
    trajectories: dict[str, np.ndarray] | None = None,
    also_hidden: dict[str, set] | None = None,
) -> list[MetricResult]:
    """One SPC chart per metric with values, in catalogue order: every XmR metric in one call.

    ``rebase`` maps a metric id to the dates from which its limits start again: a date that too
    few values follow yet is deferred (``spc.rebase``), and the latest one used is also read
    without it (``Rebasing``). ``targets`` and ``trajectories`` override the catalogue's targets and
    add planned values. ``also_hidden``: periods of a measure to hide besides its own small ones (a
    site's report hides the complements that keep the other sites' small points from being worked out).
    """
    rebase, trajectories, also_hidden = rebase or {}, trajectories or {}, also_hidden or {}
    # No values, no chart: a rare-event measure with no event yet (no elective death) is left out.
    measured = [m for m in catalogue.metrics if len(series.get(m.id, ()))]
    hidden = _hidden_as_exported(catalogue, series, also_hidden)
    measured = [resolved(m, series[m.id], hidden.get(m.id)) for m in measured]
    chosen = {m.id: (targets or {}).get(m.id, _target(m)) for m in measured}
    monthly = [m for m in measured if m.monthly]
    plans = {m.id: _plan(series[m.id], rebase.get(m.id, [])) for m in monthly}
    charts = _monthly_charts(monthly, series, {i: p.starts for i, p in plans.items()}, chosen)
    rebased = [m for m in monthly if plans[m.id].applied]
    replanned = {m.id: _without_latest(series[m.id], rebase[m.id], plans[m.id]) for m in rebased}
    without = _monthly_charts(rebased, series, {i: p.starts for i, p in replanned.items()}, chosen)
    for metric in measured:
        if metric.id not in charts:
            values = series[metric.id]["value"].to_numpy(dtype=float)
            charts[metric.id] = t_chart(values, improvement=metric.improvement, target=chosen[metric.id])
        if metric.id in trajectories:
            charts[metric.id] = dataclasses.replace(charts[metric.id], trajectory=trajectories[metric.id])
    results = [
        _result(m, series[m.id], charts[m.id], _rebasing(plans.get(m.id), without.get(m.id)))
        for m in measured
    ]
    return [
        _also_hidden(r, also_hidden.get(r.metric.id, set())) for r in nested(results, catalogue.nested_counts)
    ]


def _hidden_as_exported(catalogue: Catalogue, series, also_hidden: dict[str, set]) -> dict[str, np.ndarray]:
    """Each series' points as every export hides them (:func:`chain_hidden`, then ``also_hidden``),
    in the series' order: what a target resolved from one month's value must not give away."""
    hidden = chain_hidden(catalogue, series)
    for metric_id, periods in also_hidden.items():
        if metric_id in hidden and periods:
            hidden[metric_id] = hidden[metric_id] | pd.DatetimeIndex(series[metric_id]["period"]).isin(
                list(periods)
            )
    return hidden


def _also_hidden(result: MetricResult, periods: set) -> MetricResult:
    """``result`` with ``periods`` hidden too (none to add: as it is)."""
    if result.hidden is None or not periods:
        return result
    return dataclasses.replace(result, hidden=result.hidden | result.x.isin(list(periods)))


def nested(results: list[MetricResult], chains: tuple[tuple[str, ...], ...]) -> list[MetricResult]:
    """The results with more points hidden where counts of one census, each inside the one before
    (``Catalogue.nested_counts``), would give the patients between two of them away when exported."""
    parts = {r.metric.id: (r.x, r.hidden, r.numerator, r.denominator) for r in results}
    parts = {i: part for i, part in parts.items() if part[1] is not None}
    hidden = _nested_hidden(parts, chains)
    return [dataclasses.replace(r, hidden=hidden.get(r.metric.id, r.hidden)) for r in results]


def chain_hidden(catalogue: Catalogue, series: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Each series' points hidden as :func:`analyse` hides them (their own counts and their chains),
    in the series' order, without drawing a chart: for one measure read beside its chain's others."""
    parts = {}
    for metric in catalogue.metrics:
        frame = series.get(metric.id)
        if frame is None or not len(frame) or "denominator" not in frame:
            continue
        numerator, denominator = frame["numerator"].to_numpy(float), frame["denominator"].to_numpy(float)
        own = hidden_points(numerator, denominator, metric.numerator_is_count, metric.percentile)
        parts[metric.id] = (pd.DatetimeIndex(frame["period"]), own, numerator, denominator)
    return _nested_hidden(parts, catalogue.nested_counts)


def _nested_hidden(parts: dict[str, tuple], chains: tuple[tuple[str, ...], ...]) -> dict[str, np.ndarray]:
    """Each chain's counts, period by period, through :func:`metrics.suppression.nested_hiding`:
    ``parts`` maps a measure to its periods, hidden points, numerators and denominators."""
    hidden = {i: np.asarray(part[1], dtype=bool).copy() for i, part in parts.items()}
    for chain in chains:
        members = [(part.partition(".")[0], part.endswith(".outside")) for part in chain]
        members = [(i, outside) for i, outside in members if i in parts]  # measures with values
        at = {i: {period: k for k, period in enumerate(parts[i][0])} for i, _ in members}
        for period in sorted(set().union(*at.values())):
            places = [(i, at[i][period], outside) for i, outside in members if period in at[i]]
            counts = [
                parts[i][3][k] - parts[i][2][k] if outside else parts[i][2][k] for i, k, outside in places
            ]
            flags = [bool(hidden[i][k]) for i, k, _ in places]
            for (i, k, _), hide in zip(places, nested_hiding(counts, flags), strict=True):
                hidden[i][k] |= hide
    return hidden


@dataclass(frozen=True)
class _Plan:
    starts: tuple[int, ...]  # first point of each honoured new period
    applied: tuple[date, ...]  # the change date behind each
    deferred: tuple[tuple[date, int], ...]


def _plan(frame: pd.DataFrame, dates) -> _Plan:
    """The change dates' first points, split by ``plan_rebases`` into honoured and deferred."""
    firsts = _first_points(pd.DatetimeIndex(frame["period"]), dates)
    plan = plan_rebases(list(firsts), frame["value"].to_numpy(dtype=float))
    return _Plan(
        plan.honoured,
        tuple(firsts[i] for i in plan.honoured),
        tuple((firsts[i], n) for i, n in plan.deferred),
    )


def _without_latest(frame: pd.DataFrame, dates, plan: _Plan) -> _Plan:
    """The plan had the latest honoured rebase not been asked for: planned afresh, so an earlier
    change date it overshadowed may now be honoured in its place."""
    x, latest = pd.DatetimeIndex(frame["period"]), plan.starts[-1]
    return _plan(frame, [d for d in dates if latest not in _first_points(x, [d])])


def _rebasing(plan: _Plan | None, without: XmrChart | None) -> Rebasing | None:
    if plan is None or not (plan.applied or plan.deferred):
        return None
    return Rebasing(plan.applied, plan.deferred, without)


def _result(metric: Metric, series: pd.DataFrame, chart: XmrChart, rebasing=None) -> MetricResult:
    x = pd.DatetimeIndex(series["period"])
    if "denominator" not in series:  # rare events: each point is one event
        return MetricResult(metric, x, chart, rebasing=rebasing)
    numerator, denominator = series["numerator"].to_numpy(float), series["denominator"].to_numpy(float)
    hidden = hidden_points(numerator, denominator, metric.numerator_is_count, metric.percentile)
    return MetricResult(metric, x, chart, hidden, numerator, denominator, rebasing)


def _target(metric: Metric) -> float | None:
    return metric.target.value if metric.target else None


def _monthly_charts(metrics: list[Metric], series, starts_of, targets) -> dict[str, XmrChart]:
    """XmR charts in one many-series call; the p and u charts a catalogue asks for, one by one."""
    charts = _xmr_charts([m for m in metrics if m.chart == "xmr"], series, starts_of, targets)
    for metric in (m for m in metrics if m.chart != "xmr"):
        frame = series[metric.id]
        charts[metric.id] = attribute_xmr(
            metric.chart,
            frame["numerator"].to_numpy(dtype=float),
            frame["denominator"].to_numpy(dtype=float),
            improvement=metric.improvement,
            target=targets[metric.id],
            rebase_at=starts_of.get(metric.id, ()),
            scale=metric.scale,
        )
    return charts


def _xmr_charts(metrics: list[Metric], series, starts_of, targets) -> dict[str, XmrChart]:
    """Every metric's chart in one many-series call; ``starts_of`` gives each one's new periods."""
    if not metrics:
        return {}
    lengths = [len(series[m.id]) for m in metrics]
    values = np.concatenate([series[m.id]["value"].to_numpy(dtype=float) for m in metrics])
    labels = np.repeat(np.arange(len(metrics)), lengths)
    starts = np.zeros(len(values), dtype=bool)
    offsets = np.cumsum([0, *lengths[:-1]])
    for offset, metric in zip(offsets, metrics, strict=True):
        starts[[offset + i for i in starts_of.get(metric.id, ())]] = True
    target_rows = np.repeat([np.nan if targets[m.id] is None else targets[m.id] for m in metrics], lengths)
    many = xmr_many(
        labels,
        values,
        starts,
        improvement=np.repeat([m.improvement for m in metrics], lengths),
        target=target_rows,
    )
    return {
        m.id: many.chart(i, series[m.id]["value"], m.improvement, targets[m.id])
        for i, m in enumerate(metrics)
    }


def _first_points(x: pd.DatetimeIndex, dates) -> dict[int, date]:
    """The first point on or after each change date (never the very first point), with its date.

    Two dates that fall on the same point count once, under the earlier date.
    """
    firsts: dict[int, date] = {}
    for when in sorted(pd.Timestamp(d).date() for d in dates):
        point = rebase_point(x, when)
        if point is not None:
            firsts.setdefault(point, when)
    return firsts


def summary_record(result: MetricResult) -> dict:
    """The metric as summary.json lists it."""
    chart = result.chart
    return {
        "id": result.metric.id,
        "title": result.metric.title,
        "unit": result.metric.unit,
        "improvement": result.metric.improvement,
        "variation_type": result.variation_type,
        "assurance_type": result.assurance_type,
        "points": [
            {
                "x": x.strftime("%Y-%m-%d"),
                "y": _number(y),
                "mean": _number(mean),
                "lpl": _number(lpl),
                "upl": _number(upl),
                "point_type": str(point_type),
            }
            for x, y, mean, lpl, upl, point_type in zip(
                result.x, chart.y, chart.mean, chart.lpl, chart.upl, chart.point_type, strict=True
            )
        ],
    }


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
