"""Since last month: the changes worth an alert, from hand-made stock-takes (issue 25)."""

from types import SimpleNamespace

import pandas as pd

from stocktake.verdicts.changes import changes, since_last_month, window_statement
from stocktake.verdicts.stocktake import Entry, StockTake

CONCERN, IMPROVING, COMMON = "special_cause_concern", "special_cause_improvement", "common_cause"


def _entry(metric_id, variation, assurance, category, last="2025-03", area="Theatres", target=None) -> Entry:
    metric = SimpleNamespace(
        id=metric_id, title=metric_id.title(), area=area, monthly=True, unit="%", decimals=1
    )
    chart = SimpleNamespace(
        latest=SimpleNamespace(variation_type=variation, assurance_type=assurance), target=target
    )
    x = pd.date_range(pd.Timestamp(f"{last}-01") - pd.DateOffset(months=5), periods=6, freq="MS")
    result = SimpleNamespace(
        metric=metric, chart=chart, x=x, variation_type=variation, assurance_type=assurance, hidden=None
    )
    return Entry(result, category, "")


def _take(*entries) -> StockTake:
    return StockTake("T&O", "test", tuple(entries))


def test_each_kind_of_change_is_found_most_urgent_first():
    before = _take(
        _entry("a", COMMON, None, "no_change_yet"),
        _entry("b", COMMON, "inconsistent", "grindingly_slow"),
        _entry("c", IMPROVING, None, "moved_the_needle"),
        _entry("d", COMMON, "consistent_pass", "reliably_at_target"),
        _entry("e", COMMON, None, "no_change_yet"),
    )
    now = _take(
        _entry("a", CONCERN, None, "going_backwards"),
        _entry("b", COMMON, "consistent_pass", "reliably_at_target"),
        _entry("c", COMMON, None, "no_change_yet"),
        _entry("d", COMMON, "inconsistent", "grindingly_slow"),
        _entry("e", COMMON, None, "no_change_yet"),  # unchanged: no alert
        _entry("f", CONCERN, None, "going_backwards"),  # new this month: nothing to compare with
    )
    found = changes(before, now)
    assert [(c.metric_id, c.kind) for c in found] == [
        ("a", "going_backwards"),
        ("d", "missed_target"),
        ("c", "stopped_improving"),
        ("b", "reached_target"),
    ]
    assert found[0].line == "A started going backwards in March 2025 (was No evidence of change)"
    # the signal ended, not the level (an outside check read "stopped improving" as getting worse)
    assert found[2].line == (
        "C no longer shows special-cause improvement in March 2025 (was Moved the needle; now No evidence "
        "of change)"
    )


def test_marking_a_change_that_worked_is_not_stopped_improving():
    """Built end to end: 30 steady months, then a rise on 1 Jan 2025 marked "restart the limits". In
    Nov 2025 11 values follow the mark (deferred: one set of limits, special-cause improvement); in
    Dec 2025 the twelfth restarts the limits, and the months since are common cause on their own."""
    import numpy as np

    from stocktake.metrics.catalogue import Catalogue, Metric
    from stocktake.verdicts.analysis import analyse
    from stocktake.verdicts.stocktake import build

    months = pd.date_range("2022-07-01", periods=42, freq="MS")
    values = np.r_[np.tile([58.0, 62.0], 15), np.tile([86.0, 88.0], 6)]
    catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", "increase", "hand-made"),))

    def take(n: int) -> StockTake:
        series = {"m": pd.DataFrame({"period": months[:n], "value": values[:n]})}
        return build("Test", "hand-made", analyse(catalogue, series, rebase={"m": ["2025-01-01"]}))

    before, now = take(41), take(42)
    assert before.entries[0].result.chart.latest.variation_type == IMPROVING
    assert now.entries[0].result.variation_type == COMMON  # limits restarted in Jan 2026
    assert now.entries[0].category == before.entries[0].category == "moved_the_needle"
    assert changes(before, now) == ()


def test_still_going_backwards_is_not_news():
    before, now = (
        _take(_entry("a", CONCERN, None, "going_backwards")),
        _take(_entry("a", CONCERN, None, "going_backwards")),
    )
    assert changes(before, now) == ()


def test_each_measure_is_read_against_its_own_previous_month():
    now = _take(
        _entry("hip", CONCERN, None, "going_backwards", last="2025-04", area="Hip fracture"),
        _entry("lists", COMMON, "consistent_pass", "reliably_at_target", last="2025-03"),
    )
    asked = []

    def as_at(period):
        asked.append(period)
        return {
            "2025-03": _take(_entry("hip", COMMON, None, "no_change_yet", last="2025-03")),
            "2025-02": _take(_entry("lists", COMMON, "inconsistent", "grindingly_slow", last="2025-02")),
        }[period]

    found = since_last_month(now, as_at)
    assert asked == ["2025-02", "2025-03"]
    assert [(c.metric_id, c.kind, f"{c.month:%Y-%m}") for c in found] == [
        ("hip", "going_backwards", "2025-04"),
        ("lists", "reached_target", "2025-03"),
    ]
    assert window_statement(now.entries) == (
        "Each measure to its latest complete month: most to April 2025; Theatres to March 2025."
    )


def test_the_window_names_the_areas_past_the_rest():
    entries = [
        _entry("a", COMMON, None, "no_change_yet", last="2025-03"),
        _entry("b", COMMON, None, "no_change_yet", last="2025-03"),
        _entry("hip", COMMON, None, "no_change_yet", last="2025-04", area="Hip fracture"),
        _entry("stay", COMMON, None, "no_change_yet", last="2025-03", area="Hip fracture"),
    ]
    assert window_statement(entries) == (
        "Each measure to its latest complete month: most to March 2025; Hip to April 2025."
    )
    assert window_statement(entries[:2]) == "Each measure to its latest complete month: all to March 2025."


def test_a_target_that_moved_is_said_as_such_not_as_a_target_missed():
    """An outside check: the month a catalogue's least gain is read from arrived (ADR 78), the target
    went from 65% to 75.3%, and the alert said "no longer reliably meets its target" of limits that
    had not moved."""
    before = _take(_entry("rtt", IMPROVING, "consistent_pass", "moved_the_needle", target=65.0))
    now = _take(_entry("rtt", IMPROVING, "consistent_fail", "moved_the_needle", target=75.344))
    [found] = changes(before, now)
    assert found.kind == "target_changed"
    assert found.line == (
        "Rtt is read against a changed target in March 2025 (75.3%, was 65.0%): the process will "
        "consistently fail it (it consistently met 65.0%)"
    )
    same = _take(_entry("rtt", IMPROVING, "consistent_fail", "moved_the_needle", target=65.0))
    assert [c.kind for c in changes(before, same)] == ["missed_target"]  # the target as was: missed
