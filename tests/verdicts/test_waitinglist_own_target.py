"""The department's own target for the share within 18 weeks, read from its stock-take (ADR 82): as
the table writes it, by the catalogue's month where it names one, and nothing where the measure is
not a share to raise."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from stocktake.metrics.catalogue import Target
from stocktake.verdicts.waitinglist import SHARE_MEASURE, OwnTarget, for_own_target, own_target

MARCH = pd.Period("2026-03", "M")


def _entry(target=75.34444, unit="%", improvement="increase", catalogue=None, trajectory=None, decimals=1):
    """A stock-take entry of the share as ``own_target`` reads one: its chart's target, its
    catalogue's (a least gain resolved to 75.34444 by March 2026), its basis."""
    catalogue = catalogue if catalogue is not None else Target(75.34444, "65%, or …", 2025, by="2026-03")
    metric = SimpleNamespace(
        id=SHARE_MEASURE,
        unit=unit,
        improvement=improvement,
        title="Waiting within 18 weeks",
        decimals=decimals,
        target=catalogue,
    )
    chart = SimpleNamespace(target=target, trajectory=trajectory)
    return SimpleNamespace(result=SimpleNamespace(metric=metric, chart=chart), target_basis="the basis")


def test_it_is_the_target_to_a_hundredth_rounded_up_beside_the_tables_by_the_catalogues_month():
    """A recheck: the table's 75.6 planned for a target of 75.63 fell short of it."""
    own = own_target([_entry()])
    assert own == OwnTarget(75.35, "the basis", "Waiting within 18 weeks", MARCH, False, "75.3%")
    assert own.words(MARCH - 12, MARCH).startswith(
        "The department's own target for this share is 75.35%, 75.3% in its table, the stock-take's for "
    )
    exact = own_target([_entry(target=95.0, catalogue=Target(95.0, "s"))])
    assert exact.words(MARCH - 12, MARCH).startswith(
        "The department's own target for this share is 95.0%, the"
    )


def test_a_target_set_since_has_no_month_of_the_catalogues():
    assert own_target([_entry(target=80.0)]).by is None


@pytest.mark.parametrize(
    "entry",
    [
        _entry(unit="proportion", target=0.65),  # a copy read as a proportion: "0.65%" had been said
        _entry(improvement="decrease", target=8.0),  # a copy redefined as over 18 weeks
        _entry(target=None),
        _entry(target=0.0),
    ],
)
def test_a_measure_that_is_not_a_share_to_raise_gives_none(entry):
    assert own_target([entry]) is None
    assert own_target([]) is None


def test_its_month_is_its_own_while_it_is_ahead_and_said_when_it_has_passed():
    own = own_target([_entry()])
    default = pd.Period("2026-12", "M")
    assert own.month_for(pd.Period("2025-12", "M"), default) == MARCH
    assert "is not after" not in own.words(pd.Period("2025-12", "M"), default)
    late = pd.Period("2026-10", "M")
    assert own.month_for(late, pd.Period("2027-10", "M")) == pd.Period("2027-10", "M")
    said = own.words(late, pd.Period("2027-10", "M"))
    assert said.endswith(
        "its month, March 2026, has passed (the list is of October 2026), so its answer is for October 2027"
    )
    assert own.words(MARCH, MARCH + 12).endswith(
        "its month, March 2026, is the list's own, so its answer is for March 2027"
    )
    # a recheck: a month more than five years on had been said "not after" the list's
    far = own.words(MARCH - 61, MARCH - 49)
    assert "its month, March 2026, is more than five years after the list's (February 2021)" in far


def test_a_trajectory_is_said_and_no_answer_is_made_for_it():
    own = own_target([_entry(trajectory=[71.0, 72.0])])
    assert own.trajectory and "its trajectory's milestones are not read here" in own.words(MARCH - 12, MARCH)
    assert for_own_target(object(), own) is None  # the found list is not even read
