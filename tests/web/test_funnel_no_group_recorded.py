"""A funnel by consultant on a warehouse whose theatre sessions name no surgeon says so, not "recorded
for fewer than two consultants" (a carried-over note)."""

from __future__ import annotations

import duckdb
import pytest

from stocktake.demo.generate import Department, generate


@pytest.fixture(scope="module")
def demo_warehouse(
    tmp_path_factory, warehouse_of
):  # conftest's app (and so its clients) is built on this one
    path = warehouse_of(
        tmp_path_factory.mktemp("unnamed") / "warehouse.duckdb", generate(Department(seed=11))
    )
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE theatre_sessions SET surgeon = NULL")
    return path


def test_a_funnel_by_a_group_no_record_names_says_so(clients):
    page = " ".join(
        clients["viewer"].get("/metrics/theatre_on_the_day_cancellations/funnel?by=consultant").text.split()
    )
    assert "cannot be compared across consultants on a funnel plot: its records name no consultant." in page
    assert "fewer than two" not in page
    named = " ".join(clients["viewer"].get("/metrics/hipfx_surgery_36h/funnel?by=consultant").text.split())
    assert "cannot be compared" not in named  # the hip fracture records name theirs: drawn
