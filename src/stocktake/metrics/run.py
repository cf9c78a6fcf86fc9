"""Compile catalogue definitions to Ibis and run them: one tidy monthly series per metric.

Any Ibis backend holding the canonical tables will do; DuckDB is the default.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from stocktake.metrics import expressions as ex
from stocktake.metrics.catalogue import Aggregate, Catalogue, Events, Metric, View

SERIES_COLUMNS = ["metric_id", "period", "numerator", "denominator", "value"]
EVENT_COLUMNS = ["metric_id", "period", "value"]


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
        return source.group_by(list(view.group_by)).aggregate(
            **{name: reducers[how](source[column]) for name, how, column in view.aggregates}
        )
    other = table(con, catalogue, view.join.dataset)
    return source.join(other, view.join.key, how=view.join.how)


def run_catalogue(con, catalogue: Catalogue) -> dict[str, pd.DataFrame]:
    """Every metric's series, over the months that the data cover."""
    by_month = {m.id: _fractions(con, catalogue, m) for m in catalogue.metrics if _is_monthly(m)}
    window = reporting_window(by_month.values())
    results = {}
    for metric in catalogue.metrics:
        if metric.events is not None:
            results[metric.id] = events_series(con, catalogue, metric.id, metric.events)
            continue
        parts = by_month[metric.id] if metric.id in by_month else _fractions(con, catalogue, metric, window)
        results[metric.id] = _finish(metric, parts, window)
    return results


def _is_monthly(metric: Metric) -> bool:
    parts = (metric.numerator, metric.denominator)
    return metric.events is None and not any(p is not None and p.census for p in parts)


def reporting_window(parts) -> pd.DatetimeIndex:
    """The months most metrics cover: from the median first month to the median last month.

    Extracts have ragged edges (orders placed before the first admission, stays that end after
    the last), so the window follows the bulk of the metrics rather than the widest of them.
    """
    months = [p.index[p["denominator"] > 0] for p in parts if len(p)]
    months = [m for m in months if len(m)]
    if not months:
        raise ValueError("the warehouse holds no rows for any metric")
    first = pd.Series([m.min() for m in months]).sort_values().iloc[(len(months) - 1) // 2]
    last = pd.Series([m.max() for m in months]).sort_values().iloc[len(months) // 2]
    return pd.date_range(first, last, freq="MS")


def _fractions(con, catalogue, metric: Metric, window: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    numerator = monthly(con, catalogue, metric.numerator, window)
    if metric.denominator is None:
        return pd.DataFrame({"numerator": numerator["value"], "denominator": numerator["rows"]})
    denominator = monthly(con, catalogue, metric.denominator, window)["value"]
    return pd.concat({"numerator": numerator["value"], "denominator": denominator}, axis=1, sort=True)


def monthly(con, catalogue: Catalogue, aggregate: Aggregate, window=None) -> pd.DataFrame:
    """The aggregate's value (and rows counted) per month, indexed by the month's first day."""
    rows = table(con, catalogue, aggregate.dataset)
    if aggregate.census:
        rows = _census(rows, aggregate.census, window)
    else:
        rows = rows.mutate(period=rows[aggregate.period_from].truncate("M").cast("date"))
    if aggregate.where is not None:
        rows = rows.filter(ex.compile_to_ibis(aggregate.where, rows))
    value = ex.compile_to_ibis(aggregate.value, rows) if aggregate.value is not None else None
    if value is not None:
        rows = rows.mutate(_value=value).filter(ibis._["_value"].notnull())
    reducer = {
        "count": lambda r: r.count(),
        "sum": lambda r: r["_value"].sum(),
        "mean": lambda r: r["_value"].mean(),
    }[aggregate.statistic]
    result = rows.group_by("period").aggregate(value=reducer, rows=lambda r: r.count()).execute()
    result["period"] = pd.to_datetime(result["period"])
    return result.set_index("period").sort_index().astype(float)


def _census(rows: ibis.Table, census: tuple[str, str], window: pd.DatetimeIndex) -> ibis.Table:
    """One row per pathway per month end at which it was open."""
    start, stop = census
    months = ibis.memtable(
        pd.DataFrame(
            {
                "period": window.date,
                "period_end": (window + pd.offsets.MonthEnd(0)).date,
            }
        )
    )
    rows = rows.cross_join(months)
    opened = rows[start].cast("date") <= rows["period_end"]
    still_open = rows[stop].isnull() | (rows[stop].cast("date") > rows["period_end"])
    return rows.filter(opened & still_open)


def _finish(metric: Metric, parts: pd.DataFrame, window: pd.DatetimeIndex) -> pd.DataFrame:
    parts = parts.reindex(window)
    counted = metric.numerator.statistic != "mean"
    numerator = parts["numerator"].fillna(0) if counted else parts["numerator"]
    denominator = parts["denominator"].fillna(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = numerator / denominator.replace(0, np.nan) if counted else numerator
    return pd.DataFrame(
        {
            "metric_id": metric.id,
            "period": window,
            "numerator": numerator.to_numpy(),
            "denominator": denominator.to_numpy(),
            "value": (value * metric.scale).to_numpy(),
        }
    )


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
