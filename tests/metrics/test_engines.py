"""The same catalogue on DuckDB and on PySpark gives the same series, on the demo department."""

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from stocktake.ingest.schemas import DATASETS
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.engines import SourceError, open_engine
from stocktake.metrics.run import Grain, as_table, run_catalogue

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime")


@pytest.fixture(scope="module")
def warehouse(demo_warehouse):
    return demo_warehouse


def _run(engine, warehouse, grain):
    with open_engine(engine, warehouse) as con:
        series = run_catalogue(con, load_catalogue(), grain)
    events = {k: v for k, v in series.items() if "numerator" not in v}
    return as_table(series), events


@pytest.mark.parametrize("grain", [Grain(), Grain("quarter", "site")], ids=["monthly", "quarterly-by-site"])
def test_duckdb_and_spark_give_identical_series(warehouse, grain):
    duck, duck_events = _run("duckdb", warehouse, grain)
    spark, spark_events = _run("spark", warehouse, grain)
    assert len(duck) > 100 and duck["metric_id"].nunique() >= (30 if grain.by is None else 25)
    pd.testing.assert_frame_equal(duck, spark, check_exact=False, rtol=1e-12, atol=1e-9)
    assert duck_events.keys() == spark_events.keys()
    for metric_id, events in duck_events.items():
        pd.testing.assert_frame_equal(events, spark_events[metric_id], check_exact=False, rtol=1e-12)


def test_duckdb_reads_a_parquet_folder_like_the_warehouse(warehouse, tmp_path):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name in DATASETS:
            con.execute(f"COPY {name} TO '{tmp_path / name}.parquet' (FORMAT parquet)")
    catalogue = load_catalogue()
    with open_engine("duckdb", tmp_path) as con:
        from_parquet = run_catalogue(con, catalogue)["hipfx_surgery_36h"]
    with open_engine("duckdb", warehouse) as con:
        from_warehouse = run_catalogue(con, catalogue)["hipfx_surgery_36h"]
    assert np.allclose(from_parquet["value"], from_warehouse["value"], equal_nan=True)


def test_a_missing_source_is_named(tmp_path):
    with (
        pytest.raises(SourceError, match="no such warehouse"),
        open_engine("duckdb", tmp_path / "nope.duckdb"),
    ):
        pass
    with (
        pytest.raises(SourceError, match="no Parquet file named after a dataset"),
        open_engine("duckdb", tmp_path),
    ):
        pass
