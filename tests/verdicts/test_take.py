"""``take_stock``, the one way from series to a stock-take (the CLI report, the demo and the web).

Hand-made series as in test_stocktake.py: 30 steady months alternating 58% and 62% (mean 60, every
moving range 4), then 14 months alternating 26% and 28% from January 2025.
"""

from datetime import date

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue, Metric
from stocktake.verdicts import Mark, take_stock

MONTHS = pd.date_range("2022-07-01", periods=44, freq="MS")
VALUES = np.r_[np.tile([58.0, 62.0], 15), np.tile([26.0, 28.0], 7)]
CATALOGUE = Catalogue(
    "Test",
    (
        Metric("m", "Measure", "Area", "%", "increase", "hand-made"),
        Metric("empty", "No values yet", "Area", "%", "increase", "hand-made"),
    ),
)
SERIES = {
    "m": pd.DataFrame({"period": MONTHS, "value": VALUES}),
    "empty": pd.DataFrame({"period": pd.DatetimeIndex([]), "value": []}),
}


def _marked(rebase: bool):
    marks = {"m": [Mark(date(2025, 1, 1), "New pathway", rebase=rebase)]}
    return take_stock(CATALOGUE, SERIES, "hand-made", marks=marks)


def test_a_mark_that_rebases_restarts_the_limits_and_reads_the_step_at_it():
    taken = _marked(rebase=True)
    entry = taken.entries[0]
    # New limits from Jan 2025 on the 14 values alone: mean 27, every moving range 2, 27 ± 2.66 × 2.
    assert entry.result.chart.latest.mean == 27.0
    assert entry.result.variation_type == "common_cause"
    # ... and the fall at the change, 14 months ago, is the verdict: the step is beyond chance
    assert entry.category == "going_backwards" and entry.before_rebase is None
    assert entry.sentence.startswith("Special-cause concern at the change on 1 Jan 2025")
    assert taken.annotations == {"m": [("2025-01-01", "New pathway")]}


def test_a_mark_that_does_not_rebase_is_only_drawn():
    taken = _marked(rebase=False)
    entry = taken.entries[0]
    # One period of 44 values: 26–28% is far below the lower limit of a process around 60% early on.
    assert entry.category == "going_backwards"
    assert entry.before_rebase is None
    assert taken.annotations == {"m": [("2025-01-01", "New pathway")]}


def test_measures_without_values_are_left_out_and_what_the_caller_knows_is_carried():
    taken = take_stock(
        CATALOGUE,
        SERIES,
        "Warehouse w.duckdb",
        targets={"m": 50.0},
        target_bases={"m": "Board, April 2025"},
        no_data=(("late", ("theatre_cases",)),),
    )
    assert [e.result.metric.id for e in taken.entries] == ["m"]
    assert (taken.department, taken.source) == ("Test", "Warehouse w.duckdb")
    assert taken.entries[0].result.chart.target == 50.0
    assert taken.entries[0].target_basis == "Board, April 2025"
    assert taken.no_data_lines == ["late (needs theatre_cases)"]


def test_a_restart_asked_of_a_t_chart_says_on_its_mark_that_it_was_not_made():
    """An outside check: "restart the limits" on the days-between-deaths chart was drawn as a plain
    mark, and nothing told the reader the request had no effect (a t chart keeps one set of limits)."""
    gaps = pd.DataFrame(
        {"period": pd.date_range("2023-01-10", periods=20, freq="23D"), "value": np.full(20, 23.0)}
    )
    catalogue = Catalogue(
        "Test", (Metric("d", "Days between deaths", "Area", "days", "increase", "hand-made", chart="t"),)
    )
    marks = {"d": [Mark(date(2023, 6, 1), "Safety huddle", rebase=True), Mark(date(2023, 9, 1), "Audit")]}
    taken = take_stock(catalogue, {"d": gaps}, "hand-made", marks=marks)
    assert taken.annotations["d"] == [
        (
            "2023-06-01",
            "Safety huddle (limits not restarted: a chart of the time between events keeps one set)",
        ),
        ("2023-09-01", "Audit"),
    ]
