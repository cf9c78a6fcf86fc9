"""Write metric series for analysts (CSV or Parquet), with small numbers suppressed.

A series cut by consultant or age band quickly reaches counts small enough to identify patients;
a row with 1–7 people behind it keeps its place but loses its numbers, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue, CatalogueError, load_catalogue
from stocktake.metrics.suppression import SHOWN_HERE, hidden_points, nested_hiding, remainder_is_small
from stocktake.spreadsheets import csv_ready

FORMATS = (".csv", ".parquet")
#: A series table's columns that are not its keys (measure, period and any group).
VALUE_COLUMNS = ("numerator", "denominator", "value", "suppressed")


def suppressed(table: pd.DataFrame, catalogue: Catalogue, months: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table with numerator, denominator and value blanked where 1–7 people lie behind them
    (a percentile: where it is read among 1–7).
    ``months``: the same series by month, for a table of quarters (``given_away_by_months``)."""
    counted = {m.id for m in catalogue.metrics if m.numerator_is_count}
    is_count = table["metric_id"].isin(counted).to_numpy()
    numerator, denominator = table["numerator"].to_numpy(float), table["denominator"].to_numpy(float)
    read_at = table["metric_id"].map({m.id: m.percentile for m in catalogue.metrics}).to_numpy(float)
    hidden = hidden_points(numerator, denominator, is_count, read_at)
    if months is not None:
        hidden |= given_away_by_months(table, months, counted)
    hidden = across_groups(table, catalogue, nested_in_table(table, catalogue, hidden))
    shown = table.copy()
    shown.loc[hidden, ["numerator", "denominator", "value"]] = np.nan
    shown["suppressed"] = hidden
    return shown


def given_away_by_months(quarters: pd.DataFrame, months: pd.DataFrame, counted: set[str]) -> np.ndarray:
    """Quarters to hide because, less their months as the monthly export shows them, they give a
    hidden month back (``suppression.remainder_is_small``): an outside check took a quarter's 23
    deaths less October's and December's 10 each, and had November's 3."""
    keys = [c for c in quarters.columns if c not in VALUE_COLUMNS]
    at = quarters.assign(period=pd.to_datetime(quarters["period"]))
    hidden = np.zeros(len(quarters), dtype=bool)
    # each group's quarter against its months; and, by site, the whole's (the sites' quarters add up
    # to it): a site's months of 1–7 each are hidden, but their sum was the whole's hidden month
    passes = [(keys, months)]
    if len(keys) > 2:
        whole = months.groupby(["metric_id", "period"], sort=False)[["numerator", "denominator"]].sum()
        passes.append((["metric_id", "period"], whole.reset_index()))
    for keys_used, table in passes:
        table = table.assign(period=pd.to_datetime(table["period"]).dt.to_period("Q").dt.start_time)
        given_away = {
            key: remainder_is_small(rows["numerator"], rows["denominator"], key[0] in counted)
            for key, rows in table.groupby(keys_used, dropna=False, sort=False)
        }
        hidden |= [given_away.get(key, False) for key in at[keys_used].itertuples(index=False, name=None)]
    return hidden


def across_groups(table: pd.DataFrame, catalogue: Catalogue, hidden: np.ndarray) -> np.ndarray:
    """``hidden`` with every group of a measure hidden in a period where any one is: the whole's own
    export less the other groups gave a hidden site's count back (an outside check; the workspace's
    site reports hide so already, ``suppression.hidden_across_groups``). A table without groups is
    left as it is; hiding a group can expose a nested difference, so the two repeat until settled."""
    groups = [c for c in table.columns if c not in ("metric_id", "period", *VALUE_COLUMNS)]
    if not groups:
        return hidden
    keys = [table["metric_id"], table["period"]]
    while True:
        spread = pd.Series(hidden, index=table.index).groupby(keys, dropna=False).transform("any").to_numpy()
        if (spread == hidden).all():
            return hidden
        hidden = nested_in_table(table, catalogue, spread)


def nested_in_table(table: pd.DataFrame, catalogue: Catalogue, hidden: np.ndarray) -> np.ndarray:
    """``hidden`` with more rows hidden where the catalogue's nested counts, in one period (and group),
    would show two differing by 1–7 (:func:`metrics.suppression.nested_hiding`)."""
    hidden = np.asarray(hidden, dtype=bool).copy()
    cells = [c for c in table.columns if c not in ("metric_id", "numerator", "denominator", "value")]
    for chain in catalogue.nested_counts:
        ids = [part.partition(".")[0] for part in chain]
        rows = table.index[table["metric_id"].isin(ids)]
        for _, together in table.loc[rows].groupby(cells, dropna=False, sort=False):
            order, counts, flags = [], [], []
            for part, metric_id in zip(chain, ids, strict=True):
                found = together.index[together["metric_id"] == metric_id]
                if len(found):
                    at = table.index.get_loc(found[0])
                    row = table.loc[found[0]]
                    counts.append(
                        row["denominator"] - row["numerator"]
                        if part.endswith(".outside")
                        else row["numerator"]
                    )
                    order.append(at)
                    flags.append(bool(hidden[at]))
            for at, hide in zip(order, nested_hiding(np.asarray(counts, dtype=float), flags), strict=True):
                hidden[at] |= hide
    return hidden


def write_series(table: pd.DataFrame, path: Path) -> Path:
    """Write the tidy table as CSV or Parquet, chosen by the file's extension."""
    path = Path(path)
    if path.suffix not in FORMATS:
        raise ValueError(f"{path}: write .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.assign(period=pd.to_datetime(table["period"]).dt.date)
    if path.suffix == ".csv":
        csv_ready(table).to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path


class SeriesRequestError(ValueError):
    """The request or its source cannot give series; the message says why, in a line."""


@dataclass(frozen=True)
class SeriesRequest:
    """What ``stocktake metrics`` was asked for: the series of every metric, written to ``out``."""

    source: Path
    catalogue: Path
    out: Path
    engine: str = "duckdb"
    by: str | None = None
    period: str = "month"
    user_metrics: Path | None = None
    suppress: bool = True


@dataclass(frozen=True)
class SeriesWritten:
    table: pd.DataFrame
    #: Metrics without data, with the datasets (or fields) they lack.
    absent: dict[str, tuple[str, ...]]
    #: Metrics with data but no series at this grain (no such dimension, or rare-event charts).
    left_out: tuple[str, ...]


def export_series(request: SeriesRequest) -> SeriesWritten:
    """Check the request, run the catalogue on the source, suppress small numbers and write."""
    from stocktake.metrics.engines import ENGINES, SourceError, open_engine
    from stocktake.metrics.run import PERIODS, Grain, as_table, missing_data, run_catalogue
    from stocktake.metrics.user import with_user_metrics
    from stocktake.warehouse import WarehouseError

    if request.engine not in ENGINES:
        raise SeriesRequestError(f"--engine {request.engine!r}: expected one of {', '.join(ENGINES)}")
    if request.period not in PERIODS:
        raise SeriesRequestError(f"--period {request.period!r}: expected one of {', '.join(PERIODS)}")
    if request.out.suffix not in FORMATS:
        raise SeriesRequestError(f"--out {request.out}: expected a file ending {' or '.join(FORMATS)}")
    try:
        catalogue = load_catalogue(request.catalogue)
        if request.user_metrics is not None:
            catalogue = with_user_metrics(catalogue, request.user_metrics)
    except CatalogueError as error:
        raise SeriesRequestError(str(error)) from None
    if request.by is not None and request.by not in catalogue.dimensions:
        raise SeriesRequestError(f"--by {request.by!r}: expected one of {', '.join(catalogue.dimensions)}")
    try:
        with open_engine(request.engine, request.source) as con:
            absent = missing_data(con, catalogue)
            series = run_catalogue(con, catalogue, Grain(request.period, request.by))
            months = (
                as_table(run_catalogue(con, catalogue, Grain("month", request.by)))
                if request.suppress and request.period == "quarter"
                else None
            )
    except (SourceError, ValueError, WarehouseError) as error:
        raise SeriesRequestError(str(error)) from None
    table = as_table(series)
    if request.suppress:
        table = suppressed(table, catalogue, months)
    else:
        table = table.assign(small_numbers=SHOWN_HERE)
    write_series(table, request.out)
    left_out = tuple(
        m.id
        for m in catalogue.metrics
        if m.id not in absent and (m.id not in series or "numerator" not in series[m.id])
    )
    return SeriesWritten(table, absent, left_out)
