"""A catalogue target with a least gain (``Target.at_least_better_by``): 65% by March 2026, "with each
trust to improve by at least 5 percentage points", read against the service's own March 2025."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stocktake.metrics.catalogue import Catalogue, Metric, Target
from stocktake.verdicts.analysis import analyse
from stocktake.verdicts.least_gain import resolved
from stocktake.verdicts.stocktake import build

MONTHS = pd.date_range("2023-04-01", periods=30, freq="MS")  # April 2023 to September 2025
NATIONAL = Target(65.0, "65% by March 2026 (Elective Reform Plan, January 2025)", 2025, 5.0, "2025-03")


def _share(values, cases=1000.0) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    denominator = np.full(len(values), cases) if np.isscalar(cases) else np.asarray(cases, dtype=float)
    return pd.DataFrame(
        {
            "period": MONTHS[: len(values)],
            "value": values,
            "numerator": values * denominator / 100,
            "denominator": denominator,
        }
    )


def _metric(target=NATIONAL, improvement="increase", unit="%") -> Metric:
    return Metric("rtt", "Within 18 weeks", "Waiting list", unit, improvement, "hand-made", target=target)


@pytest.mark.parametrize(
    ("march_2025", "expected"),
    [
        (62.3, 67.3),  # 5 points on its own start is further than 65: the trust's target
        (55.0, 65.0),  # 65 is the further: 10 points to go
        (60.0, 65.0),  # both the same
        (98.0, 100.0),  # a share cannot pass 100%
    ],
)
def test_the_target_is_the_national_value_or_five_points_on_the_months_own_whichever_is_higher(
    march_2025, expected
):
    values = np.full(30, 50.0)
    values[23] = march_2025  # March 2025
    target = resolved(_metric(), _share(values)).target
    assert target.value == pytest.approx(expected)
    assert target.source == (
        "65% by March 2026 (Elective Reform Plan, January 2025), or at least 5 percentage points better "
        f"than March 2025 ({march_2025:.1f}%), whichever is higher"
        + (", no further than 100%" if expected == 100 else "")
    )
    assert target.year == 2025 and target.at_least_better_by is None  # resolved: a plain target


def test_a_measure_that_improves_downwards_is_moved_down():
    values = np.full(30, 20.0)  # days waited, say: 20 in March 2025, the national 25 already beaten
    target = Target(25.0, "a standard", None, 3.0, "2025-03")
    assert resolved(_metric(target, "decrease", "days"), _share(values)).target.value == pytest.approx(17.0)


@pytest.mark.parametrize(
    ("frame", "also_hidden", "why"),
    [
        (_share(np.full(20, 60.0)), {}, "its figures end before that month"),  # to November 2024
        (_share(np.full(30, 60.0)).iloc[24:], {}, "no value for that month"),  # from April 2025
        (
            _share(np.full(30, 62.3), np.r_[np.full(23, 1000.0), 5.0, np.full(6, 1000.0)]),
            {},
            "that month's value is hidden in reports and exports (small numbers, here or elsewhere)",
        ),
        (  # hidden in a site's report as another site's complement (an outside check saw "(50.0%)")
            _share(np.full(30, 62.3)),
            {"rtt": {MONTHS[23]}},
            "that month's value is hidden in reports and exports (small numbers, here or elsewhere)",
        ),
    ],
    ids=["series-ends-before", "month-absent", "month-hidden", "month-hidden-as-a-complement"],
)
def test_without_the_months_own_value_the_national_value_stands_and_says_why(frame, also_hidden, why):
    [result] = analyse(Catalogue("Test", (_metric(),)), {"rtt": frame}, also_hidden=also_hidden)
    target = result.metric.target
    assert target.value == 65.0 == result.chart.target
    assert "the rule of at least 5 percentage points better than March 2025 is not applied: " + why in (
        target.source
    )
    assert "62.3" not in target.source and target.resolved_from == NATIONAL


def test_a_month_hidden_in_a_chain_of_nested_counts_is_not_built_on():
    """An outside check: 35 over 52 weeks shown beside 31 over 65 hidden (the 4 between them), and the
    target "26 pathways … better than March 2025 (31 pathways)" gave the 31 away."""
    counts = {"over_52": np.r_[np.full(23, 60.0), 35.0, np.full(6, 60.0)]}
    counts["over_65"] = counts["over_52"] - np.r_[np.full(23, 20.0), 4.0, np.full(6, 20.0)]
    gain = Target(200.0, "a local aim", None, 5.0, "2025-03")
    metrics = tuple(
        Metric(
            i, i, "Waiting list", "pathways", "decrease", "hand-made", target=gain if i == "over_65" else None
        )
        for i in counts
    )
    catalogue = Catalogue("Test", metrics, nested_counts=(("over_52", "over_65"),))
    frames = {
        i: pd.DataFrame({"period": MONTHS, "value": c, "numerator": c, "denominator": np.ones(30)})
        for i, c in counts.items()
    }
    results = {r.metric.id: r for r in analyse(catalogue, frames)}
    assert results["over_65"].hidden[23]  # hidden by the chain, not by its own count of 31
    assert results["over_65"].chart.target == 200.0 and "31" not in results["over_65"].metric.target.source


def test_a_gain_is_capped_where_a_measure_cannot_go_and_says_so():
    values = np.full(30, 19.8)  # a stay of 19.8 days, asked 30 days better
    target = Target(25.0, "a standard", None, 30.0, "2025-03")
    [result] = analyse(Catalogue("Test", (_metric(target, "decrease", "days"),)), {"rtt": _share(values)})
    assert "at least 30 days better than March 2025 (19.8 days)" in result.metric.target.source
    assert result.chart.target == 0.0 and result.metric.target.source.endswith(
        "whichever is lower, no further than 0 days"
    )


def test_the_stocktake_reads_and_quotes_the_resolved_target():
    """The chart's target line, its assurance and the sentence's basis are the trust's own 67.3%."""
    values = np.r_[np.full(23, 62.0), 62.3, np.full(6, 66.0)]  # 66% lately: past 65, short of 67.3
    catalogue = Catalogue("Test", (_metric(),))
    [result] = analyse(catalogue, {"rtt": _share(values)})
    assert result.chart.target == pytest.approx(67.3)
    entry = build("Test", "hand-made", [result]).entries[0]
    assert "67.3%" in entry.sentence and entry.target_basis.endswith("(62.3%), whichever is higher")
