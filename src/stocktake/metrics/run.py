"""Compile catalogue definitions to Ibis and run them: one tidy series per metric (and group).

Any Ibis backend holding the canonical tables will do; DuckDB is the default, PySpark the engine
for a regional or national team (``metrics/engines.py``). Parts of metrics that read the same
table at the same grain are computed in one grouped query, so the catalogue costs a handful of
scans rather than one per metric.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from ibis.common.exceptions import TableNotFound

from stocktake.metrics import expressions as ex
from stocktake.metrics.catalogue import Aggregate, Catalogue, Events, Metric, View, dimension_expressions
from stocktake.metrics.percentiles import banded_percentile

SERIES_COLUMNS = ["metric_id", "period", "numerator", "denominator", "value"]
EVENT_COLUMNS = ["metric_id", "period", "value"]
NOT_RECORDED = "(not recorded)"

Period = Literal["month", "week", "quarter"]
#: Ibis truncation unit and pandas frequency of each period; weeks start on Monday (ISO).
PERIODS: dict[str, tuple[str, str]] = {"month": ("M", "MS"), "week": ("W", "W-MON"), "quarter": ("Q", "QS")}


@dataclass(frozen=True)
class Grain:
    """How series are cut: by month, week or quarter, and optionally by a catalogue dimension."""

    period: Period = "month"
    by: str | None = None


@dataclass(frozen=True)
class _Part:
    metric_id: str
    role: Literal["numerator", "denominator"]
    aggregate: Aggregate
    group: ex.Expression | None


def table(con, catalogue: Catalogue, name: str) -> ibis.Table:
    """A canonical table, or a catalogue view built from them."""
    view = catalogue.views.get(name)
    return _view(con, catalogue, view) if view else con.table(name)


def _view(con, catalogue: Catalogue, view: View) -> ibis.Table:
    source = table(con, catalogue, view.source)
    if view.group_by:
        reducers = {
            "min": lambda c: c.min(),
            "max": lambda c: c.max(),
            "sum": lambda c: c.sum(),
            "count": lambda c: c.count(),
        }
        source = source.group_by(list(view.group_by)).aggregate(
            **{name: reducers[how](source[column]) for name, how, column in view.aggregates}
        )
    if view.following:
        following = view.following
        window = ibis.window(
            group_by=source[following.partition_by], order_by=[source[c] for c in following.order_by]
        )
        source = source.mutate(**{new: source[old].lead().over(window) for new, old in following.columns})
    if view.join:
        source = source.join(table(con, catalogue, view.join.dataset), view.join.key, how=view.join.how)
    return source


def run_catalogue(con, catalogue: Catalogue, grain: Grain = Grain()) -> dict[str, pd.DataFrame]:
    """Every metric's series over the periods the data cover, in catalogue order.

    With ``grain.by`` each series has a column of that name, and metrics whose datasets lack the
    dimension (or that are rare-event t charts) are left out. So are metrics whose datasets are
    not in the source at all (``missing_data`` names them).
    """
    absent = missing_data(con, catalogue)
    if absent:
        kept = tuple(m for m in catalogue.metrics if m.id not in absent)
        if not kept:
            return {}
        catalogue = dataclasses.replace(catalogue, metrics=kept)
    parts = _parts(catalogue, grain.by)
    if not parts:  # no metric has the dimension in these data (the RTT extract has no site)
        return {}
    flows = _compute(con, catalogue, [p for p in parts if not p.aggregate.census], grain)
    window = reporting_window(_support(catalogue, flows), grain.period)
    if window is None:  # only waiting-list censuses (e.g. by priority, which only RTT has)
        window = _census_window(con, catalogue, parts, grain.period)
    values = flows | _compute(con, catalogue, [p for p in parts if p.aggregate.census], grain, window)
    results = {}
    for metric in catalogue.metrics:
        if metric.events is not None and grain.by is None:
            results[metric.id] = events_series(con, catalogue, metric.id, metric.events)
        elif (metric.id, "numerator") in values:
            results[metric.id] = _finish(metric, values, window, grain.by)
    return results


def missing_data(con, catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Each metric that reads a dataset the source does not hold, with the datasets it lacks.

    A warehouse loaded with only some extracts (``ingest --partial``) has no table for the others;
    their measures have no data, which is said rather than a crash.
    """
    present: dict[str, bool] = {}

    def holds(name: str) -> bool:
        if name not in present:
            try:
                con.table(name)
                present[name] = True
            except TableNotFound:
                present[name] = False
        return present[name]

    absent = {}
    for metric in catalogue.metrics:
        lacking = tuple(sorted(d for d in _datasets(catalogue, metric) if not holds(d)))
        if lacking:
            absent[metric.id] = lacking
    return absent


def _datasets(catalogue: Catalogue, metric: Metric) -> set[str]:
    """The canonical tables a metric reads, through any views."""
    names = {a.dataset for a in (metric.numerator, metric.denominator) if a is not None}
    if metric.events is not None:
        names.add(metric.events.dataset)
    tables, seen = set(), set()
    while names:
        name = names.pop()
        seen.add(name)
        view = catalogue.views.get(name)
        if view is None:
            tables.add(name)
            continue
        names |= {view.source, *([view.join.dataset] if view.join else [])} - seen
    return tables


def as_table(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All series in one tidy table, as the ``metrics`` command writes it."""
    frames = [frame for frame in series.values() if "numerator" in frame]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SERIES_COLUMNS)


def _parts(catalogue: Catalogue, by: str | None) -> list[_Part]:
    if by is not None and by not in catalogue.dimensions:
        raise KeyError(f"no dimension {by!r} (the catalogue has {', '.join(catalogue.dimensions)})")
    parts = []
    for metric in catalogue.metrics:
        if metric.numerator is None:
            continue
        groups = dimension_expressions(catalogue, metric, by) if by else {}
        if groups is None:
            continue
        for role in ("numerator", "denominator"):
            aggregate = getattr(metric, role)
            if aggregate is not None:
                parts.append(_Part(metric.id, role, aggregate, groups.get(role)))
    return parts


ADDITIVE = ("count", "sum", "mean")  # statistics that can be summed from finer groups


def _compute(con, catalogue: Catalogue, parts: list[_Part], grain: Grain, window=None) -> dict:
    """(metric id, role) → a frame of value and rows counted, indexed by period (and group).

    All the counts, sums and means on one table are found in a single pass grouped by every
    period column they use, then summed up to each part's own period; distinct counts and
    percentiles, which cannot be summed, get a pass per period column; banded percentiles share
    their band counts.
    """
    batches = defaultdict(list)
    for part in parts:
        batches[(part.aggregate.dataset, part.aggregate.census, part.group)].append(part)
    results = {}
    for (dataset, census, group), batch in batches.items():
        rows = table(con, catalogue, dataset)
        if census:
            rows = _census(rows, census, window, grain.period)
        else:
            unit = PERIODS[grain.period][0]
            starts = {_period_column(p): p.aggregate.period_from for p in batch}
            rows = rows.mutate(**{name: rows[c].truncate(unit).cast("date") for name, c in starts.items()})
        extra = []
        if group is not None:
            rows = rows.mutate(group=ex.compile_to_ibis(group, rows).cast("string"))
            extra = ["group"]
        additive = [p for p in batch if p.aggregate.statistic in ADDITIVE]
        if additive:
            results |= _additive(additive, rows, extra)
        others = defaultdict(list)
        for part in batch:
            if part.aggregate.statistic not in ADDITIVE:
                others[_period_column(part)].append(part)
        for period, chosen in others.items():
            keys = [period, *extra]
            plain = [p for p in chosen if p.aggregate.method != "bands"]
            if plain:
                found = _grouped(rows, keys, plain, _reductions)
                results |= {(p.metric_id, p.role): found[i] for i, p in enumerate(plain)}
            bands = {}
            for part in chosen:
                if part.aggregate.method == "bands":
                    shared = (part.aggregate.value, part.aggregate.where)
                    if shared not in bands:
                        bands[shared] = _band_counts(part.aggregate, rows, keys)
                    results[(part.metric_id, part.role)] = _banded(
                        bands[shared], keys, part.aggregate.percentile
                    )
    return results


def _period_column(part: _Part) -> str:
    """The column holding a part's period: its own date's, or the census's period end."""
    return f"period_{part.aggregate.period_from}" if not part.aggregate.census else "period"


def _additive(parts: list[_Part], rows: ibis.Table, extra: list[str]) -> dict:
    """One grouped pass for every count, sum and mean, summed up to each part's period."""
    keys = [*sorted({_period_column(p) for p in parts}), *extra]
    found = _grouped(rows, keys, parts, _sum_and_rows, index=False)
    results = {}
    for i, part in enumerate(parts):
        own = [_period_column(part), *extra]
        summed = found[i][[*own, "value", "rows"]].groupby(own, dropna=False).sum(min_count=1)
        if part.aggregate.statistic == "mean":
            summed["value"] = summed["value"] / summed["rows"].where(summed["rows"] > 0)
        summed.index = summed.index.set_names(["period", *extra])
        results[(part.metric_id, part.role)] = _indexed(summed.reset_index(), ["period", *extra])
    return results


def _grouped(rows: ibis.Table, keys: list[str], parts: list[_Part], reductions, index: bool = True) -> list:
    """Run one grouped query for several parts; a frame of (value, rows) per part."""
    if len(parts) == 1 and parts[0].aggregate.where is not None:
        # One part alone: filter the rows rather than the aggregate, so fewer reach the grouping.
        aggregate = parts[0].aggregate
        rows = rows.filter(ex.compile_to_ibis(aggregate.where, rows))
        parts = [dataclasses.replace(parts[0], aggregate=dataclasses.replace(aggregate, where=None))]
    named = {}
    for i, part in enumerate(parts):
        named[f"value_{i}"], named[f"rows_{i}"] = reductions(part.aggregate, rows)
    found = rows.group_by(keys).aggregate(**named).execute()
    frames = []
    for i in range(len(parts)):
        frame = found[[*keys, f"value_{i}", f"rows_{i}"]].rename(
            columns={f"value_{i}": "value", f"rows_{i}": "rows"}
        )
        frame = frame.astype({"value": float, "rows": float})
        if index:
            frame = _indexed(frame.rename(columns={keys[0]: "period"}), ["period", *keys[1:]])
        frames.append(frame)
    return frames


def _sum_and_rows(aggregate: Aggregate, rows: ibis.Table):
    """The reductions of an additive part: a mean is carried as its sum (and its rows)."""
    if aggregate.statistic == "mean":
        aggregate = dataclasses.replace(aggregate, statistic="sum")
    return _reductions(aggregate, rows)


def _reductions(aggregate: Aggregate, rows: ibis.Table):
    """The Ibis reductions for an aggregate's value and for the number of rows behind it."""
    where = ex.compile_to_ibis(aggregate.where, rows) if aggregate.where is not None else None
    if aggregate.value is None:
        counted = rows.count(where=where)
        return counted, counted
    value = ex.compile_to_ibis(aggregate.value, rows)
    statistic = aggregate.statistic
    reduced = {
        "count": lambda: value.count(where=where),
        "sum": lambda: value.sum(where=where),
        "mean": lambda: value.mean(where=where),
        "count_distinct": lambda: value.nunique(where=where),
        "percentile": lambda: value.quantile(aggregate.percentile / 100, where=where),
    }[statistic]()
    return reduced, value.count(where=where)


def _band_counts(aggregate: Aggregate, rows: ibis.Table, keys: list[str]) -> pd.DataFrame:
    """Rows per whole-unit band of the value, per period (and group), from the engine."""
    if aggregate.where is not None:
        rows = rows.filter(ex.compile_to_ibis(aggregate.where, rows))
    value = ex.compile_to_ibis(aggregate.value, rows)
    rows = rows.filter(value.notnull()).mutate(band=value.floor().cast("int64"))
    counts = rows.group_by([*keys, "band"]).aggregate(count=lambda r: r.count()).execute()
    return counts.rename(columns={keys[0]: "period"})


def _banded(counts: pd.DataFrame, keys: list[str], percentile: float) -> pd.DataFrame:
    """A percentile by the publication's banded method, interpolated here from band counts."""
    keys = ["period", *keys[1:]]
    counts = _indexed(counts.copy(), keys).reset_index()
    found = [
        (*key, banded_percentile(part["band"], part["count"], percentile), part["count"].sum())
        for key, part in counts.groupby(keys)
    ]
    table = pd.DataFrame(found, columns=[*keys, "value", "rows"]).astype({"value": float, "rows": float})
    return table.set_index(keys)


def _indexed(result: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    result["period"] = pd.to_datetime(result["period"])
    if "group" in keys:
        result["group"] = result["group"].astype(object).where(result["group"].notna(), NOT_RECORDED)
    return result.set_index(keys).sort_index()


def _support(catalogue: Catalogue, values: dict) -> list[pd.Series]:
    """Per metric, the rows (or denominator) behind each period, summed over any groups."""
    supports = []
    for metric in catalogue.metrics:
        role = "denominator" if metric.denominator is not None else "numerator"
        column = "value" if role == "denominator" else "rows"
        if (metric.id, role) in values:
            frame = values[(metric.id, role)][column]
            supports.append(frame.groupby(level="period").sum())
    return supports


def reporting_window(supports: list[pd.Series], period: Period = "month") -> pd.DatetimeIndex | None:
    """The periods most metrics cover: from the median first period to the median last period.

    Extracts have ragged edges (orders placed before the first admission, stays that end after
    the last), so the window follows the bulk of the metrics rather than the widest of them.
    """
    covered = [s.index[s.to_numpy() > 0] for s in supports]
    covered = [c for c in covered if len(c)]
    if not covered:
        return None
    first = pd.Series([c.min() for c in covered]).sort_values().iloc[(len(covered) - 1) // 2]
    last = pd.Series([c.max() for c in covered]).sort_values().iloc[len(covered) // 2]
    return pd.date_range(first, last, freq=PERIODS[period][1])


def _census_window(con, catalogue: Catalogue, parts: list[_Part], period: Period) -> pd.DatetimeIndex:
    """For a catalogue of waiting lists only: the periods from the first clock start to the last."""
    censuses = [p.aggregate for p in parts if p.aggregate.census]
    if not censuses:
        raise ValueError("the warehouse holds no rows for any metric")
    aggregate = censuses[0]
    rows = table(con, catalogue, aggregate.dataset)
    start = rows[aggregate.census[0]]
    span = rows.aggregate(first=start.min(), last=start.max()).execute().iloc[0]
    if pd.isna(span["first"]):
        raise ValueError("the warehouse holds no rows for any metric")
    unit = PERIODS[period][1]
    first = pd.Timestamp(span["first"]).to_period(unit[0]).start_time
    return pd.date_range(first, pd.Timestamp(span["last"]), freq=unit)


def period_ends(window: pd.DatetimeIndex, period: Period) -> pd.DatetimeIndex:
    """The last day of each period in the window."""
    offset = {
        "month": pd.offsets.MonthEnd(0),
        "week": pd.offsets.Day(6),
        "quarter": pd.offsets.QuarterEnd(0),
    }[period]
    return window + offset


def _census(rows: ibis.Table, census: tuple[str, str], window: pd.DatetimeIndex, period: Period):
    """One row per pathway per period end at which it was open."""
    start, stop = census
    ends = ibis.memtable(
        pd.DataFrame({"period": window.date, "period_end": period_ends(window, period).date})
    )
    rows = rows.cross_join(ends)
    opened = rows[start].cast("date") <= rows["period_end"]
    still_open = rows[stop].isnull() | (rows[stop].cast("date") > rows["period_end"])
    return rows.filter(opened & still_open)


def _finish(metric: Metric, values: dict, window: pd.DatetimeIndex, by: str | None) -> pd.DataFrame:
    numerator = values[(metric.id, "numerator")]
    denominator = values.get((metric.id, "denominator"))
    if by is None:
        index = pd.DatetimeIndex(window, name="period")
    else:
        groups = set(numerator.index.get_level_values("group"))
        if denominator is not None:
            groups |= set(denominator.index.get_level_values("group"))
        index = pd.MultiIndex.from_product([window, sorted(groups)], names=["period", "group"])
    top = numerator.reindex(index)
    counted = metric.numerator.statistic in ("count", "sum", "count_distinct")
    top_value = top["value"].fillna(0) if counted else top["value"]
    if denominator is None:
        bottom = top["rows"].fillna(0)
        value = top_value
    else:
        bottom = denominator.reindex(index)["value"].fillna(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = top_value / bottom.replace(0, np.nan)
    frame = pd.DataFrame(
        {
            "metric_id": metric.id,
            "period": index.get_level_values("period"),
            "numerator": top_value.to_numpy(dtype=float),
            "denominator": bottom.to_numpy(dtype=float),
            "value": (value * metric.scale).to_numpy(dtype=float),
        }
    )
    if by is not None:
        frame.insert(1, by, index.get_level_values("group"))
    return frame


def events_series(con, catalogue: Catalogue, metric_id: str, events: Events) -> pd.DataFrame:
    """Days between consecutive events; each point is dated by the later event."""
    rows = table(con, catalogue, events.dataset)
    if events.where is not None:
        rows = rows.filter(ex.compile_to_ibis(events.where, rows))
    at = pd.to_datetime(rows.select(at=rows[events.at]).order_by("at").execute()["at"]).dropna()
    gaps = at.diff().dt.total_seconds() / 86400
    return pd.DataFrame(
        {"metric_id": metric_id, "period": at.iloc[1:].to_numpy(), "value": gaps.iloc[1:].to_numpy()}
    )
