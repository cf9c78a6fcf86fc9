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

from stocktake.ingest.load import INGEST_LOG
from stocktake.ingest.schemas import DATASETS
from stocktake.metrics import expressions as ex
from stocktake.metrics.catalogue import Aggregate, Catalogue, Events, Metric, View, dimension_expressions
from stocktake.metrics.coverage import needed_fields, resolve
from stocktake.metrics.percentiles import banded_percentile
from stocktake.small_numbers import NOT_RECORDED

SERIES_COLUMNS = ["metric_id", "period", "numerator", "denominator", "value"]
EVENT_COLUMNS = ["metric_id", "period", "value"]

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


def run_catalogue(
    con, catalogue: Catalogue, grain: Grain = Grain(), *, partial: bool = False
) -> dict[str, pd.DataFrame]:
    """Every metric's series, in catalogue order: each to its own latest complete period (ADR 29).

    Series start where most metrics' data start (the median first period) and each runs to the
    latest period its own datasets cover to (near) its end (``reaches``); a trailing period the data
    only partly cover is left out, or kept with ``partial`` (its values so far, as the hand-worked
    tests read them). A metric with data but no complete period yet has an empty series.

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
    if grain.by is not None:  # an optional column the data do not hold is no dimension of theirs
        unheld = _unheld_groups(con, parts)
        parts = [p for p in parts if p.metric_id not in unheld]
    if not parts:  # no metric has the dimension in these data (the RTT extract has no site)
        return {}
    flows = _compute(con, catalogue, [p for p in parts if not p.aggregate.census], grain)
    first = first_period(_support(catalogue, flows))
    if first is None:  # only waiting-list censuses (e.g. by priority, which only RTT has)
        first = _census_first(con, catalogue, parts, grain.period)
    reached = reaches(con, catalogue, grain.period)
    spans = {
        metric_id: _span(first, reach.last(partial), grain.period)
        for metric_id, reach in reached.items()
        if any(p.metric_id == metric_id for p in parts)
    }
    censuses = [p for p in parts if p.aggregate.census]
    census_window = _union(spans[p.metric_id] for p in censuses)
    values = flows | (_compute(con, catalogue, censuses, grain, census_window) if len(census_window) else {})
    results = {}
    for metric in catalogue.metrics:
        if metric.events is not None and grain.by is None:
            results[metric.id] = events_series(con, catalogue, metric.id, metric.events)
        elif (metric.id, "numerator") in values:
            results[metric.id] = _finish(metric, values, spans[metric.id], grain.by)
        elif metric.id in spans:  # a census with no complete period yet
            columns = [*SERIES_COLUMNS[:1], *([grain.by] if grain.by else []), *SERIES_COLUMNS[1:]]
            results[metric.id] = pd.DataFrame(columns=columns)
    return results


def missing_data(con, catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Each metric whose data the source does not hold, with what it lacks: a dataset, or a field
    the mapping of its latest load left out (``hip_fractures.surgery_at``).

    A warehouse loaded with only some extracts (``ingest --partial``) has no table for the others,
    and a mapping that leaves an optional field out loads it empty; either way the measure has no
    data, which is said rather than counted (a surgery-within-36-hours share of 0.0%). A field
    mapped but empty is data (no virtual clinic reviews before the clinic began): it counts.
    """
    mapped = _mapped_fields(con)
    held: dict[str, bool] = {}  # each table asked for once: a schema for every metric took seconds
    absent = {}
    for metric in catalogue.metrics:
        lacking = []
        for dataset, names in needed_fields(catalogue, metric).items():
            if dataset not in held:
                held[dataset] = _holds(con, dataset)
            if not held[dataset]:
                lacking.append(dataset)
            elif dataset in mapped:
                lacking += [f"{dataset}.{name}" for name in sorted(names - mapped[dataset])]
        if lacking:
            absent[metric.id] = tuple(lacking)
    return absent


def _unheld_groups(con, parts: list[_Part]) -> set[str]:
    """The metrics whose dimension reads an optional column of a canonical table the source does not
    hold (a warehouse loaded before the column was, or one not made by ingest) or that its latest load
    left unmapped: grouped, all theirs would be one blank group, or a query error (an RTT pathway's
    consultant, optional since ADR 65)."""
    mapped, columns, unheld = _mapped_fields(con), {}, set()
    for part in parts:
        dataset = part.aggregate.dataset
        if part.group is None or dataset not in DATASETS:
            continue
        if dataset not in columns:
            columns[dataset] = set(con.table(dataset).columns) if _holds(con, dataset) else set()
        needed = ex.columns(part.group) & set(DATASETS[dataset].names)
        if needed - columns[dataset] or (dataset in mapped and needed - mapped[dataset]):
            unheld.add(part.metric_id)
    return unheld


def _holds(con, name: str) -> bool:
    try:
        con.table(name)
        return True
    except TableNotFound:
        return False


def _mapped_fields(con) -> dict[str, set[str]]:
    """The fields each dataset's latest load mapped, as ingest logged them (none: not known, as in a
    warehouse another tool wrote)."""
    try:
        log = con.table(INGEST_LOG)
    except TableNotFound:
        return {}
    if "fields" not in log.columns:
        return {}
    undone = log.filter(log.undoes.notnull()).undoes
    effective = log.filter(  # ingest.load.EFFECTIVE, with the fields known
        log.load_id.notnull()
        & (log.kind.isnull() | (log.kind != "undo"))
        & ~log.load_id.isin(undone)
        & log.fields.notnull()
    )
    rows = effective.select("dataset", "fields", "load_id").execute()
    rows = rows.sort_values("load_id").drop_duplicates("dataset", keep="last")
    return {r.dataset: set(filter(None, r.fields.split(","))) for r in rows.itertuples()}


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


def first_period(supports: list[pd.Series]) -> pd.Timestamp | None:
    """Where series start: the median first period with data over the metrics.

    Extracts have ragged starts (orders placed before the first admission, stays that began before
    the extract), so series start where the bulk of the metrics do rather than the earliest.
    """
    firsts = [s.index[s.to_numpy() > 0].min() for s in supports if (s.to_numpy() > 0).any()]
    if not firsts:
        return None
    return pd.Series(firsts).sort_values().iloc[(len(firsts) - 1) // 2]


#: A period is complete when a metric's data reach its last few days: a month ending on a weekend,
#: an Easter weekend or a bank-holiday Monday has its last working day (the last theatre list, order
#: or clinic) up to three days before its end (ADR 29). A week needs its Friday.
GRACE_DAYS: dict[str, int] = {"month": 3, "quarter": 3, "week": 2}


@dataclass(frozen=True)
class Reach:
    """How far one metric's data go, and so its latest complete period (ADR 29)."""

    metric_id: str
    period: Period
    #: The latest date every dataset the metric reads reaches (None: no dated rows yet).
    data_to: pd.Timestamp | None
    #: The start of the latest period the data cover to (near) its end.
    complete_to: pd.Timestamp | None
    #: The start of the period after it, which the data reach only partly: left out of the SPC.
    incomplete: pd.Timestamp | None = None
    #: The metric's ``follow_up_days``: its periods are complete that far before the data end.
    follow_up_days: int = 0

    def last(self, partial: bool = False) -> pd.Timestamp | None:
        """The last period of the series: the incomplete one too with ``partial``."""
        return self.incomplete if partial and self.incomplete is not None else self.complete_to

    @property
    def note(self) -> str:
        """E.g. "April 2025 incomplete: data to 14 April" (empty when nothing is left out)."""
        if self.incomplete is None or self.data_to is None:
            return ""
        if self.follow_up_days and self.complete_to is not None:
            first = _period_start(
                period_ends(pd.DatetimeIndex([self.complete_to]), self.period)[0] + pd.Timedelta(days=1),
                self.period,
            )
            return (
                f"{period_name(first, self.period)} on incomplete: each needs {self.follow_up_days} days' "
                f"follow-up, and the data run to {self.data_to:%-d %B %Y}"
            )
        return f"{period_name(self.incomplete, self.period)} incomplete: data to {self.data_to:%-d %B}"


def period_name(start: pd.Timestamp, period: Period = "month") -> str:
    """April 2025; week of 7 April 2025; 2025 Q2."""
    if period == "week":
        return f"week of {start:%-d %B %Y}"
    if period == "quarter":
        return f"{start.year} Q{start.quarter}"
    return f"{start:%B %Y}"


def reaches(
    con, catalogue: Catalogue, period: Period = "month", today: pd.Timestamp | None = None
) -> dict[str, Reach]:
    """Each metric with a period (not the rare-event t charts) and how far its data go.

    A dataset reaches the latest date in the columns the catalogue dates periods by on it (arrival,
    admission and discharge, list date, order date, clock start and stop). A metric reaches the
    earliest of what the datasets it reads reach (a dataset joined only to look up a key, such as
    admissions for a hip fracture's consultant, does not hold it back). Its latest complete period
    is the last one whose end the data reach within ``GRACE_DAYS``. Dates after ``today`` (default:
    the machine's) reach no further than today: a theatre system's export holds the lists booked for
    the coming weeks, and an outside check's booked lists had made the month under way "complete",
    its utilisation 0%.
    """
    today = pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today)
    absent = missing_data(con, catalogue)
    metrics = [m for m in catalogue.metrics if m.numerator is not None and m.id not in absent]
    dated = _period_columns(catalogue)
    held = {name for m in metrics for name in _datasets(catalogue, m)}  # every one of them is there
    reached = {n: _dataset_reach(con, n, sorted(columns)) for n, columns in dated.items() if n in held}
    # Datasets left-joined to look something up: only a key read there, they do not hold a metric back.
    lookups = {
        v.join.dataset: v.join.key for v in catalogue.views.values() if v.join and v.join.how == "left"
    }
    found = {}
    for metric in metrics:
        read = [
            reached[name]
            for name, fields in needed_fields(catalogue, metric).items()
            if name in reached and not (name in lookups and fields <= {lookups[name]})
        ]
        data_to = None if not read or any(r is None for r in read) else min(*read, today)
        found[metric.id] = _reach(metric.id, period, data_to, metric.follow_up_days)
    return found


def _reach(metric_id: str, period: Period, data_to: pd.Timestamp | None, follow_up_days: int = 0) -> Reach:
    """The latest period whose end, and ``follow_up_days`` after it, the data reach (within GRACE_DAYS)."""
    if data_to is None:
        return Reach(metric_id, period, None, None, follow_up_days=follow_up_days)
    followed = data_to - pd.Timedelta(days=follow_up_days)
    start = _period_start(followed, period)
    end = period_ends(pd.DatetimeIndex([start]), period)[0]
    if followed >= end - pd.Timedelta(days=GRACE_DAYS[period]):
        complete = start
    else:
        complete = _period_start(start - pd.Timedelta(days=1), period)
    latest = _period_start(data_to, period)  # with follow-up, the periods between are incomplete too
    return Reach(metric_id, period, data_to, complete, latest if latest > complete else None, follow_up_days)


def _period_start(when: pd.Timestamp, period: Period) -> pd.Timestamp:
    return pd.Timestamp(when).to_period({"month": "M", "week": "W-SUN", "quarter": "Q"}[period]).start_time


def _period_columns(catalogue: Catalogue) -> dict[str, set[str]]:
    """The canonical dataset behind each date column the catalogue dates periods by, with its columns."""
    found: dict[str, set[str]] = defaultdict(set)
    for metric in catalogue.metrics:
        for aggregate in (metric.numerator, metric.denominator):
            if aggregate is None:
                continue
            columns = set(aggregate.census) if aggregate.census else {aggregate.period_from}
            for dataset, fields in resolve(catalogue, aggregate.dataset, columns).items():
                schema = DATASETS.get(dataset)
                types = {c.name: c.type for c in schema.columns} if schema else {}
                found[dataset] |= {f for f in fields if types.get(f) in ("date", "timestamp")}
    return {name: columns for name, columns in found.items() if columns}


def _dataset_reach(con, name: str, columns: list[str]) -> pd.Timestamp | None:
    """The latest date in any of a dataset's period columns (None when it has no dated row)."""
    rows = con.table(name)
    found = rows.aggregate(**{f"c{i}": rows[c].cast("timestamp").max() for i, c in enumerate(columns)})
    latest = [pd.Timestamp(v) for v in found.execute().iloc[0] if not pd.isna(v)]
    return max(latest) if latest else None


def _span(first: pd.Timestamp, last: pd.Timestamp | None, period: Period) -> pd.DatetimeIndex:
    """The periods from ``first`` to ``last`` (none when there is no last or it comes before)."""
    if last is None or last < first:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    return pd.date_range(first, last, freq=PERIODS[period][1])


def _union(spans) -> pd.DatetimeIndex:
    found = pd.DatetimeIndex([], dtype="datetime64[ns]")
    for span in spans:
        found = found.union(span)
    return found


def _census_first(con, catalogue: Catalogue, parts: list[_Part], period: Period) -> pd.Timestamp:
    """For a catalogue of waiting lists only: series start at the first clock start."""
    censuses = [p.aggregate for p in parts if p.aggregate.census]
    if not censuses:
        raise ValueError("the warehouse holds no rows for any metric")
    aggregate = censuses[0]
    rows = table(con, catalogue, aggregate.dataset)
    first = rows.aggregate(first=rows[aggregate.census[0]].min()).execute().iloc[0]["first"]
    if pd.isna(first):
        raise ValueError("the warehouse holds no rows for any metric")
    return _period_start(pd.Timestamp(first), period)


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
    """Whole days between consecutive events; each point is dated by the later event's day. The day,
    not the time: every chart and export carries these dates, and a death's time to the minute beside
    its date identifies more than the chart needs (a review found it in the workbook and the HTML)."""
    rows = table(con, catalogue, events.dataset)
    if events.where is not None:
        rows = rows.filter(ex.compile_to_ibis(events.where, rows))
    at = pd.to_datetime(rows.select(at=rows[events.at]).order_by("at").execute()["at"]).dropna()
    at = at.dt.normalize()
    gaps = at.diff().dt.days.astype(float)
    return pd.DataFrame(
        {"metric_id": metric_id, "period": at.iloc[1:].to_numpy(), "value": gaps.iloc[1:].to_numpy()}
    )
