"""The board report's "Waiting list" on a 36-month demo warehouse: the list now, in 12 months with its
interval, the 18-week share and the capacity gap, in the HTML and the workbook; nothing of it when
the warehouse holds no pathways."""

from __future__ import annotations

import dataclasses

import duckdb
import openpyxl
import pandas as pd
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.report.run import ReportRequest, stock_take, waiting_list, write_stocktake
from stocktake.report.waitinglist import warehouse_overview

pytestmark = pytest.mark.e2e

SHEETS = ["Waiting list", "WL weeks waited", "WL projection", "WL groups"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("waiting") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, table in generate(Department(seed=11, months=36)).items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return path


@pytest.fixture(scope="module")
def report(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    taken = stock_take(ReportRequest(warehouse, out))
    paths = {p.suffix: p for p in write_stocktake(taken, out, ("html", "xlsx"))}
    return taken, paths


def test_the_stocktake_carries_the_list(report, warehouse):
    taken, _ = report
    found = taken.waiting_list
    assert found is not None and found.projection is not None
    assert found.waiting == warehouse_overview(warehouse).waiting


def test_the_html_has_the_section_with_its_four_figures(report):
    taken, paths = report
    page = paths[".html"].read_text()
    assert '<h2 id="waiting-list-title">Waiting list</h2>' in page
    found = taken.waiting_list
    last = found.projection.table().iloc[-1]
    assert f"{found.waiting:,} patients waiting at the end of {found.month.strftime('%B %Y')}" in page
    assert f"{last['waiting']:,} (95% interval {last['waiting_low']:,} to {last['waiting_high']:,})" in page
    assert f"{found.now.pct_within_18_weeks:.1f}% within 18 weeks" in page
    assert f"{found.answer.extra_per_week:.1f} extra treatments a week" in page
    # the capacity answer is said to be central, with the list's own uncertainty beside it
    assert "These are central answers at steady flows, not forecasts" in page
    assert f"has a 95% interval of {last['waiting_low']:,} to {last['waiting_high']:,}" in page


def test_the_workbook_has_the_sheets(report):
    taken, paths = report
    book = openpyxl.load_workbook(paths[".xlsx"])
    assert all(name in book.sheetnames for name in SHEETS)
    summary = {row[0]: row[1] for row in book["Waiting list"].iter_rows(min_row=2, values_only=True)}
    assert summary["Waiting at the month's end"] == taken.waiting_list.waiting
    projection = pd.DataFrame(
        list(book["WL projection"].values)[1:], columns=next(book["WL projection"].values)
    )
    assert list(projection["Waiting"]) == list(taken.waiting_list.projection.table()["waiting"])


def test_a_chosen_month_ends_the_list_there(warehouse):
    found = waiting_list(warehouse, pd.Period("2024-12", freq="M"))
    assert found.month == pd.Period("2024-12", freq="M")


def test_no_pathways_no_section(report, warehouse, tmp_path):
    bare = tmp_path / "bare.duckdb"
    bare.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(bare)) as con:
        con.execute("DROP TABLE rtt_pathways")
    assert waiting_list(bare) is None
    taken = dataclasses.replace(report[0], waiting_list=None)
    paths = {p.suffix: p for p in write_stocktake(taken, tmp_path / "out", ("html", "xlsx"))}
    assert 'id="waiting-list-title"' not in paths[".html"].read_text()
    assert not set(SHEETS) & set(openpyxl.load_workbook(paths[".xlsx"]).sheetnames)
