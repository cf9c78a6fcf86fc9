"""`stocktake metrics`: tidy series for analysts, cut by any dimension, small numbers blanked."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["metrics", *map(str, args)])


def test_by_site_quarterly_as_parquet(demo_warehouse, tmp_path):
    out = tmp_path / "series.parquet"
    result = _run("--source", demo_warehouse, "--by", "site", "--period", "quarter", "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table.columns) == [
        "metric_id",
        "site",
        "period",
        "numerator",
        "denominator",
        "value",
        "suppressed",
    ]
    assert set(table["site"]) >= {"Northshire General", "Riverside", "Westfield"}
    assert set(pd.to_datetime(table["period"]).dt.month) == {1, 4, 7, 10}
    assert not table["metric_id"].str.startswith("rtt_").any()  # the RTT extract has no site


def test_small_numbers_are_blanked_and_flagged(demo_warehouse, tmp_path):
    out = tmp_path / "series.csv"
    assert _run("--source", demo_warehouse, "--by", "consultant", "--out", out).exit_code == 0
    table = pd.read_csv(out)
    counts = table[table["metric_id"] == "hipfx_surgery_36h"]
    assert counts["suppressed"].any()
    shown = counts[~counts["suppressed"]]
    assert not shown["denominator"].between(1, 7).any() and not shown["numerator"].between(1, 7).any()
    assert counts.loc[counts["suppressed"], ["numerator", "denominator", "value"]].isna().all().all()
    raw = tmp_path / "raw.csv"
    assert (
        _run("--source", demo_warehouse, "--by", "consultant", "--out", raw, "--no-suppress").exit_code == 0
    )
    assert pd.read_csv(raw)["denominator"].between(1, 7).any()
    # the file says so on every row (an IG check: nothing in it told the two apart)
    assert (pd.read_csv(raw)["small_numbers"] == "1-7 shown (--no-suppress): for use inside the trust").all()
    assert "small_numbers" not in table.columns


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "fortnight"], "--period 'fortnight': expected one of month, week, quarter"),
        (["--by", "ward"], "--by 'ward': expected one of site, consultant"),
        (["--engine", "polars"], "--engine 'polars': expected one of duckdb, spark"),
    ],
)
def test_bad_options_are_named(demo_warehouse, tmp_path, args, message):
    result = _run("--source", demo_warehouse, "--out", tmp_path / "x.csv", *args)
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_wrong_output_format_is_named(demo_warehouse, tmp_path):
    result = _run("--source", demo_warehouse, "--out", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "expected a file ending .csv or .parquet" in result.output


@pytest.fixture
def partial_warehouse(demo_warehouse, tmp_path):
    """The demo warehouse without its RTT and procurement extracts (as `ingest --partial` leaves it)."""
    import shutil

    import duckdb

    path = tmp_path / "partial.duckdb"
    shutil.copy(demo_warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE rtt_pathways")
        con.execute("DROP TABLE procurement")
    return path


def test_measures_without_data_are_listed_and_the_rest_written(partial_warehouse, tmp_path):
    out = tmp_path / "series.csv"
    result = _run("--source", partial_warehouse, "--out", out)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"No data (no rtt_pathways in {partial_warehouse}): rtt_within_18_weeks, rtt_median_wait" in said
    assert "No data (no procurement in" in said and "implant_spend_per_case" in said
    written = set(pd.read_csv(out)["metric_id"])
    assert "hipfx_surgery_36h" in written and "theatre_late_starts" in written
    assert not any(m.startswith(("rtt_", "implant_")) for m in written)


@pytest.mark.parametrize("damage", ["flipped", "sqlite", "truncated"])
def test_a_damaged_warehouse_is_one_line(demo_warehouse, tmp_path, damage):
    path = _damaged(demo_warehouse, tmp_path, damage)
    result = _run("--source", path, "--out", tmp_path / "x.csv")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), result.output
    assert "Traceback" not in result.output


def _damaged(warehouse, tmp_path, damage):
    import sqlite3

    path = tmp_path / "w.duckdb"
    data = bytearray(warehouse.read_bytes())
    if damage == "sqlite":  # another program's database under the warehouse's name
        sqlite3.connect(path).execute("CREATE TABLE t (a)").connection.commit()
        return path
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:  # a bit flipped every 8 KB past the header
        for i in range(16384, len(data), 8192):
            data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def test_the_waiting_lists_nested_counts_never_show_a_small_difference(demo_warehouse, tmp_path):
    """Over 52, 65 and 78 weeks each inside the one before: two shown never differ by 1–7. The demo's
    list is thinned to one pathway in three, so that there are small differences to hide."""
    import shutil

    import duckdb

    demo_warehouse = shutil.copy(demo_warehouse, tmp_path / "thinned.duckdb")
    with duckdb.connect(str(demo_warehouse)) as con:
        con.execute("DELETE FROM rtt_pathways WHERE CAST(substr(pathway_id, 4) AS INTEGER) % 3 <> 0")
    out = tmp_path / "series.csv"
    assert _run("--source", demo_warehouse, "--out", out).exit_code == 0
    table = pd.read_csv(out)
    chain = ["rtt_over_52_weeks", "rtt_over_65_weeks", "rtt_over_78_weeks"]
    wide = table[table["metric_id"].isin(chain)].pivot(
        index="period", columns="metric_id", values="numerator"
    )
    pairs = [(a, b) for i, a in enumerate(chain) for b in chain[i + 1 :]]
    differences = pd.concat([wide[a] - wide[b] for a, b in pairs]).dropna()
    assert len(differences) >= 10 and not differences.between(1, 7).any()
    raw = tmp_path / "raw.csv"
    assert _run("--source", demo_warehouse, "--out", raw, "--no-suppress").exit_code == 0
    unsuppressed = pd.read_csv(raw)
    wide = unsuppressed[unsuppressed["metric_id"].isin(chain)].pivot(
        index="period", columns="metric_id", values="numerator"
    )
    assert pd.concat([wide[a] - wide[b] for a, b in pairs]).between(1, 7).any()  # there was something to hide
