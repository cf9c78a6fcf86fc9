"""The capacity answer's theatre lists count only the operations: a whole tracking list's
non-admitted pathways (no priority recorded, ADR 60) are treated without a list (ADR 61)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.report.waitinglist import assumptions, capacity_words
from stocktake.verdicts.waitinglist import lists_hidden, overview
from stocktake.web.routes.waitinglist import _target_lists


@pytest.fixture(scope="module")
def pathways():
    return generate(Department(seed=11, months=30))["rtt_pathways"]


def _without_priority_every_third(pathways: pd.DataFrame) -> pd.DataFrame:
    """Every third pathway made non-admitted: its priority (and procedure group) blank."""
    whole = pathways.copy()
    chosen = whole.index % 3 == 0
    whole.loc[chosen, ["priority", "procedure_group"]] = None
    return whole


def test_the_lists_are_the_extra_operations_over_the_cases_a_list(pathways):
    whole = _without_priority_every_third(pathways)
    found = overview(whole, target_pct=85, target_by=None, cases_per_list=3.5)
    end = found.month.end_time.normalize()
    started, stopped = pd.to_datetime(whole["clock_start"]), pd.to_datetime(whole["clock_stop"])
    over = (started <= end) & (stopped.isna() | (stopped > end)) & ((end - started).dt.days > 126)
    decided = over & whole["priority"].notna()
    assert 0 < decided.sum() < over.sum()
    answer = found.answer
    assert (answer.admitted.admitted, answer.admitted.waiting) == (decided.sum(), over.sum())
    assert answer.extra_per_week > 0
    assert answer.lists_per_week == pytest.approx(answer.extra_per_week * decided.sum() / over.sum() / 3.5)
    words = " ".join(capacity_words(found).split())
    assert (
        f"for those with a decision to admit, {answer.lists_to_book:.1f} extra theatre lists a week" in words
    )
    said = " ".join(assumptions(found).split())
    assert f"({decided.sum() / over.sum():.0%}; from the pathways" in said
    # lists alone would not reach the target: the page offers no "try the target's lists"
    assert _target_lists(found) is None


def test_a_list_with_every_long_waiter_admitted_counts_every_extra_treatment(pathways):
    """The demo's list is of admitted pathways: its lists are the extra treatments over the cases."""
    found = overview(pathways, target_pct=85, target_by=None, cases_per_list=3.5)
    assert found.admitted is None and found.answer.extra_per_week > 0
    assert found.answer.lists_per_week == pytest.approx(found.answer.extra_per_week / 3.5)
    assert _target_lists(found) == found.answer.lists_to_book
    assert "theatre lists count every extra treatment as an operation" in " ".join(assumptions(found).split())


def test_lists_that_would_give_away_a_few_with_a_decision_to_admit_are_hidden(pathways):
    """Of the long waiters only 1–7 with a priority: the lists (their share of the uplift) say "*"."""
    whole = pathways.copy()
    month = overview(whole).month
    end = month.end_time.normalize()
    started, stopped = pd.to_datetime(whole["clock_start"]), pd.to_datetime(whole["clock_stop"])
    over = (started <= end) & (stopped.isna() | (stopped > end)) & ((end - started).dt.days > 126)
    keep = over[over].index[:5]
    whole.loc[over & ~whole.index.isin(keep), ["priority", "procedure_group"]] = None
    found = overview(whole, target_pct=85, target_by=None, cases_per_list=3.5)
    assert lists_hidden(found.answer) and found.answer.extra_per_week > 0
    words = " ".join(capacity_words(found).split())
    assert "for those with a decision to admit, * extra theatre lists a week" in words
    assert "a share hidden: it would give 1–7 patients away" in " ".join(assumptions(found).split())


def test_a_published_returns_share_is_never_hidden():
    """A return's Part 2A counts are public: 3 of 40 long waiters with a decision to admit are said."""
    from stocktake.waitinglist.capacity import AdmittedShare, CapacityAnswer, WaitTarget

    target = WaitTarget(pd.Period("2025-06", freq="M"), pct_within_18_weeks=80)
    answer = CapacityAnswer(target, pd.Period("2025-01", freq="M"), 10.0, 70.0, 80.0, 2.5)
    for published, hidden in ((True, False), (False, True)):
        admitted = AdmittedShare(3, 40, "counts", published=published)
        assert lists_hidden(replace(answer, admitted=admitted)) is hidden
    assert lists_hidden(replace(answer, admitted=AdmittedShare(8, 40, "counts"))) is False
    assert lists_hidden(replace(answer, admitted=AdmittedShare(35, 40, "counts"))) is True  # 5 without
    assert lists_hidden(answer) is False
