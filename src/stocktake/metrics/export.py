"""Write metric series for analysts (CSV or Parquet), with small numbers suppressed.

A series cut by consultant or age band quickly reaches counts small enough to identify patients;
a row with 1–7 people behind it keeps its place but loses its numbers, and says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue
from stocktake.metrics.suppression import is_small
from stocktake.spreadsheets import csv_ready

FORMATS = (".csv", ".parquet")


def suppressed(table: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The table with numerator, denominator and value blanked where 1–7 people lie behind them."""
    counted = {
        m.id for m in catalogue.metrics if m.numerator is not None and m.numerator.statistic == "count"
    }
    is_count = table["metric_id"].isin(counted).to_numpy()
    numerator, denominator = table["numerator"].to_numpy(float), table["denominator"].to_numpy(float)
    hidden = is_small(denominator) | (is_count & is_small(numerator))
    shown = table.copy()
    shown.loc[hidden, ["numerator", "denominator", "value"]] = np.nan
    shown["suppressed"] = hidden
    return shown


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
