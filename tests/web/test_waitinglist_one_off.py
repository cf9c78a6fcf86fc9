"""A validation sweep in the warehouse's pathways: the board report, its workbook and the Waiting list
page say the month was read as a one-off (not carried on as the list's trend) and by how many, the
weeks-waited calibration leaves it out, and a list without one says nothing of it."""

from __future__ import annotations

import html
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.report.run import ReportRequest, stock_take, write_stocktake
from stocktake.waitinglist.history import history_from_pathways, history_from_table
from stocktake.waitinglist.one_offs import one_offs

pytestmark = pytest.mark.e2e

SWEPT = pd.Period("2024-10", freq="M")


def swept_pathways() -> pd.DataFrame:
    """The 36-month demo's pathways with a tenth of those waiting in October 2024 removed on its 28th."""
    pathways = generate(Department(seed=11, months=36))["rtt_pathways"]
    day = pd.Timestamp("2024-10-28")
    waiting = (pathways["clock_start"] < pd.Timestamp("2024-10-01")) & (
        pathways["clock_stop"].isna() | (pathways["clock_stop"] > day)
    )
    chosen = np.random.default_rng(3).permutation(np.flatnonzero(waiting))[: waiting.sum() // 10]
    pathways.loc[pathways.index[chosen], ["clock_stop", "status"]] = [day, "removed"]
    return pathways


@pytest.fixture(scope="module")
def demo_warehouse(
    tmp_path_factory, warehouse_of
):  # conftest's app (and so its clients) is built on this one
    tables = generate(Department(seed=11, months=36)) | {"rtt_pathways": swept_pathways()}
    return warehouse_of(tmp_path_factory.mktemp("swept") / "warehouse.duckdb", tables)


@pytest.fixture(scope="module")
def report(demo_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    taken = stock_take(ReportRequest(demo_warehouse, out))
    return taken, {p.suffix: p for p in write_stocktake(taken, out, ("html", "xlsx"))}


def test_the_sweep_is_found_in_the_pathways_history():
    (one_off,) = one_offs(history_from_table(history_from_pathways(swept_pathways())))
    assert one_off.month == SWEPT and one_off.excess < -200


def test_the_weeks_waited_calibration_leaves_the_sweep_out():
    """Its reneges had been every month's: the calibration's mean renege rates carried a twelfth of the
    sweep on. Left out, they are near the unswept list's; kept in, far from them."""
    from stocktake.waitinglist import weeks_waited
    from stocktake.waitinglist.weeks_waited import bins_from_pathways, weeks_inputs

    clean, swept = generate(Department(seed=11, months=36))["rtt_pathways"], swept_pathways()
    last = pd.Period("2025-03", freq="M")
    _, plain, *_ = weeks_inputs(clean, last)
    _, left_out, _, _, how = weeks_inputs(swept, last)
    assert f"{SWEPT.strftime('%B %Y')} left out (a one-off" in how
    starts = swept["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = swept["clock_stop"].to_numpy(dtype="datetime64[D]")
    first = max(pd.Period(swept["clock_start"].min(), freq="M") + weeks_waited.MAX_MONTHS_WAITED, last - 12)
    kept_in = bins_from_pathways(
        starts, stops, (swept["status"] == "treated").to_numpy(), first, last
    ).calibrate()
    drift = {
        name: np.abs(np.subtract(params.renege, plain.renege)).sum()
        for name, params in (("left out", left_out), ("kept in", kept_in))
    }
    assert drift["left out"] < drift["kept in"] / 2


def test_the_report_says_the_one_off_in_its_words_and_its_workbook(report):
    taken, paths = report
    (one_off,) = taken.waiting_list.projection.model.one_offs
    said = (
        f"In October 2024 about {-one_off.excess:,.0f} more left "
        "the list than in a usual month (a validation sweep"
    )
    assert said in html.unescape(paths[".html"].read_text())
    summary = openpyxl.load_workbook(paths[".xlsx"])["Waiting list"]
    rows = {row[0]: row[1] for row in summary.iter_rows(values_only=True)}
    assert rows["One-off months"].startswith(said)


def test_the_page_says_the_one_off_beside_the_projection(report, clients):
    taken, _ = report
    (one_off,) = taken.waiting_list.projection.model.one_offs
    page = html.unescape(clients["viewer"].get("/waiting-list").text)
    found = re.search(r'<span id="one-offs">(.*?)</span>', page)
    assert found and found[1].startswith(f"In October 2024 about {-one_off.excess:,.0f} more left")


def test_a_list_without_a_sweep_says_nothing_of_one(tmp_path, warehouse_of):
    path = warehouse_of(tmp_path / "warehouse.duckdb", generate(Department(seed=11, months=36)))
    taken = stock_take(ReportRequest(path, tmp_path))
    (page,) = write_stocktake(taken, tmp_path, ("html",))
    assert taken.waiting_list.projection.model.one_offs == ()
    assert "one-off" not in page.read_text()
