"""Those waiting past their priority's target (P1–P3), counted at the list's month end and hidden where
the count, or the rest of the priority's row, is 1–7 (hand-worked lists)."""

from __future__ import annotations

import pandas as pd
import pytest

from stocktake.verdicts.waitinglist import _past_due

END = pd.Timestamp("2025-03-31")


def _list(priority: str, waited_days: list[int]) -> tuple[pd.DataFrame, pd.Series]:
    pathways = pd.DataFrame(
        {
            "clock_start": [END - pd.Timedelta(days=d) for d in waited_days],
            "clock_stop": [pd.NaT] * len(waited_days),
            "priority": priority,
        }
    )
    return pathways, pd.Series(True, index=pathways.index)


@pytest.mark.parametrize(
    "priority, waited, past_due, hidden",
    [
        ("P2", [28] * 10 + [29] * 10, 10, False),  # 28 days is on target, 29 past it
        ("P2", [10] * 17 + [40] * 3, 3, True),  # 3 past due
        ("P2", [10] * 1 + [40] * 19, 19, True),  # 1 not: the row's 20 gives it back
        ("P3", [84] * 30, 0, False),  # none past: 0 is no small number
        ("P1", [8] * 12, 12, False),
    ],
)
def test_past_due_by_hand(priority, waited, past_due, hidden):
    pathways, waiting = _list(priority, waited)
    assert _past_due(pathways, waiting, END, priority, len(waited), False, True) == (past_due, hidden)
    assert _past_due(pathways, waiting, END, priority, len(waited), False, False) == (past_due, False)


def test_a_hidden_row_hides_its_past_due():
    pathways, waiting = _list("P2", [10] * 10 + [40] * 10)
    assert _past_due(pathways, waiting, END, "P2", 20, True, True) == (10, True)


def test_only_those_waiting_at_the_end_are_counted():
    pathways, _ = _list("P2", [40] * 20)
    waiting = pd.Series([True] * 12 + [False] * 8)
    assert _past_due(pathways, waiting, END, "P2", 12, False, True) == (12, False)


def test_a_stop_before_its_start_is_refused_in_words():
    """An outside check edited the warehouse by hand: the page said NumPy's "'list' argument must have
    no negative elements"."""
    from stocktake.verdicts.waitinglist import OverviewError, overview

    pathways = pd.DataFrame(
        {
            "clock_start": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-03-01"]),
            "clock_stop": pd.to_datetime(["2024-01-05", None, "2024-04-01"]),
            "priority": ["P3", "P3", "P2"],
        }
    )
    with pytest.raises(OverviewError, match="1 pathway whose clock stop is before its clock start"):
        overview(pathways)
