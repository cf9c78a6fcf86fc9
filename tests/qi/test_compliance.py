"""Audit compliance, hand-worked."""

from __future__ import annotations

import pytest

from stocktake.qi.compliance import CriterionCompliance, Measured, overall
from stocktake.qi.progress import describe


def test_compliance_is_met_over_eligible_and_the_change_is_first_to_latest():
    row = CriterionCompliance("Bone health", 90, (Measured(40, 30), None, Measured(20, 19)))
    assert row.by_cycle[0].percent == 75
    assert row.latest.percent == 95
    assert row.change == pytest.approx(20)
    assert row.meets_standard is True


def test_a_criterion_never_measured_has_no_verdict():
    row = CriterionCompliance("x", 90, (None, Measured(0, 0)))
    assert row.latest is None and row.meets_standard is None and row.change is None


def test_overall_pools_every_check_of_a_cycle():
    rows = [
        CriterionCompliance("a", 90, (Measured(40, 30),)),
        CriterionCompliance("b", 85, (Measured(10, 10),)),
        CriterionCompliance("c", 85, (None,)),
    ]
    assert overall(rows, 0) == 80  # (30 + 10) / (40 + 10)


def test_met_cannot_exceed_eligible():
    with pytest.raises(ValueError, match="between 0 and eligible"):
        Measured(3, 4)


def test_progress_scores_are_the_ihi_scale():
    assert describe(3.5) == "3.5 — Improvement"
    with pytest.raises(ValueError, match=r"one of 0\.5"):
        describe(2.7)
