"""Another target on the Waiting list page is the capacity answer alone, worked out from the picture
already made (an outside check: each new target took two seconds holding the warehouse's lock)."""

from __future__ import annotations

import pytest

from stocktake.demo.generate import Department, generate
from stocktake.verdicts.waitinglist import TargetError, overview, retargeted


@pytest.fixture(scope="module")
def pathways():
    return generate(Department(seed=11, months=30))["rtt_pathways"]


def test_a_picture_retargeted_answers_as_one_made_for_that_target(pathways):
    untargeted = overview(pathways, cases_per_list=3.5)
    by = str(untargeted.month + 9)
    made_for_it = overview(pathways, target_pct=80, target_by=by, cases_per_list=3.5)
    again = retargeted(untargeted, 80, by)
    assert again.target == made_for_it.target and again.target != untargeted.target
    assert again.answer == made_for_it.answer and again.answer.lists_per_week is not None
    assert again.capacity_problem == made_for_it.capacity_problem
    assert again.weeks is untargeted.weeks  # the picture is not made again


def test_a_target_it_cannot_use_is_refused_by_the_retarget(pathways):
    untargeted = overview(pathways)
    with pytest.raises(TargetError, match="must come after the list's month"):
        retargeted(untargeted, 80, str(untargeted.month))
