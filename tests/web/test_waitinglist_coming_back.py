"""The list coming back after a sweep, in a warehouse: the weeks-waited calibration leaves those months'
reneges out (their shortfall had been carried on as a lower renege rate all year, so the 18-week share,
the 52-week count and the scenarios' baseline grew the list the paragraph beside them said was not its
trend), and the page says that the projection carries the rest on where the weeks-waited model does not.
"""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import pandas as pd
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.waitinglist import weeks_waited
from stocktake.waitinglist.history import history_from_pathways, history_from_table
from stocktake.waitinglist.projection import project
from stocktake.waitinglist.weeks_waited import OneOffMonths, bins_from_pathways, weeks_inputs

pytestmark = pytest.mark.e2e

LAST = pd.Period("2025-03", freq="M")


def swept(months_before: int) -> pd.DataFrame:
    """The 36-month demo's pathways with a tenth of those waiting swept on the 28th of a month: those
    who were to be removed later anyway (ADR 55), so that the list comes back after it."""
    pathways = generate(Department(seed=11, months=36))["rtt_pathways"]
    month = LAST - months_before
    day = month.start_time + pd.Timedelta(days=27)
    waiting = (pathways["clock_start"] < month.start_time) & (
        pathways["clock_stop"].isna() | (pathways["clock_stop"] > day)
    )
    later = waiting & (pathways["status"] == "removed")
    chosen = np.random.default_rng(3).permutation(np.flatnonzero(later))[: waiting.sum() // 10]
    pathways.loc[pathways.index[chosen], ["clock_stop", "status"]] = [day, "removed"]
    return pathways


def weeks_list_in_a_year(pathways: pd.DataFrame, one_offs: OneOffMonths | None = None) -> float:
    origin, params, referrals, treatments, _ = weeks_inputs(pathways, LAST)
    if one_offs is not None:  # the same calibration, leaving out only what is given
        starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
        stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
        first = max(
            pd.Period(pd.Timestamp(starts.min()), freq="M") + weeks_waited.MAX_MONTHS_WAITED, LAST - 12
        )
        bins = bins_from_pathways(starts, stops, (pathways["status"] == "treated").to_numpy(), first, LAST)
        params = dataclasses.replace(bins.calibrate(one_offs), soonest_extra_days=params.soonest_extra_days)
    path = weeks_waited.project(origin, [referrals] * 12, [treatments] * 12, params)
    return path.steps[-1].waiting_list.summary().waiting


def test_the_weeks_calibration_leaves_the_return_out_and_meets_the_projection():
    pathways = swept(7)
    model = project(history_from_table(history_from_pathways(pathways)), 12)
    (one_off,) = model.model.one_offs
    assert one_off.seen >= 4  # the return read
    *_, how = weeks_inputs(pathways, LAST)
    assert "left out (the list coming back after a sweep)" in how
    sweep_only = OneOffMonths((one_off.month,))
    projected = model.path.waiting[-1]
    # the weeks-waited list a year on is near the projection's, as it was not with the return kept in
    assert (
        abs(weeks_list_in_a_year(pathways) - projected)
        < abs(weeks_list_in_a_year(pathways, sweep_only) - projected) / 2
    )


def test_the_report_and_page_say_the_projection_carries_the_return_and_the_weeks_model_does_not(
    tmp_path, warehouse_of
):
    from stocktake.report.run import ReportRequest, stock_take, write_stocktake
    from stocktake.report.waitinglist import waiting_list_section

    tables = generate(Department(seed=11, months=36)) | {"rtt_pathways": swept(3)}
    taken = stock_take(ReportRequest(warehouse_of(tmp_path / "warehouse.duckdb", tables), tmp_path))
    section = waiting_list_section(taken.waiting_list)  # the page renders the same section
    assert section.coming_back and "the projection carries that on" in section.one_offs
    (page,) = write_stocktake(taken, tmp_path, ("html",))
    assert "(it does not carry on the list coming back after the sweep, which the list's size does)" in (
        html.unescape(page.read_text())
    )


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory, warehouse_of):  # conftest's app (and so its clients) is built on it
    tables = generate(Department(seed=11, months=36)) | {"rtt_pathways": swept(3)}
    return warehouse_of(tmp_path_factory.mktemp("coming_back") / "warehouse.duckdb", tables)


def test_the_page_says_the_weeks_model_does_not_carry_the_return_on(clients):
    page = html.unescape(clients["viewer"].get("/waiting-list").text)
    assert "(it does not carry on the list coming back after the sweep, which Waiting does)" in page
    assert "and carries on the list coming back after a sweep)" in page
    assert "At the pace of the latest months" in page
