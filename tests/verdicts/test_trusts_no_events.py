"""Issue 28, outsiders' finding: a crude rate by trust with our counts hidden (1–7) and every other
trust at 0 events has no funnel (its lines are drawn around the other trusts' average, 0), and
``compare_units`` refuses it; the comparison must say so, never crash the page or the report. Worked
by hand: the figures are listed as given, our value stays hidden, and nothing of ours is shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stocktake.files.peer_figures import PeerFigures
from stocktake.funnel import FunnelDataError, FunnelMethod, compare_units
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.suppression import MASK
from stocktake.report.board import trust_sections
from stocktake.verdicts.peers import funnel_method
from stocktake.verdicts.trusts import compare_with_trusts

METRIC = load_catalogue().metric("theatre_cases_per_list")  # a crude rate: cases per theatre list
ZEROS = PeerFigures(
    ("Trust A", "Trust B", "Trust C"), (0.0, 0.0, 0.0), (40.0, 60.0, 25.0), ("2024-06", "2024-06")
)


def _ours(cases: int, lists: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {"period": [pd.Timestamp("2024-06-01")], "numerator": [cases], "denominator": [lists]}
    )


def test_the_measure_is_a_crude_rate_and_the_funnel_refuses_no_events():
    """The premise: PHEindicatormethods' crude rate has no lines around an average of 0."""
    assert funnel_method(METRIC) == FunnelMethod("rate", multiplier=1.0, rate_type="crude")
    with pytest.raises(FunnelDataError, match="no unit has any events"):
        compare_units(ZEROS.numerator, ZEROS.denominator, funnel_method(METRIC))


@pytest.mark.parametrize("cases", [1, 3, 7])
def test_our_hidden_counts_among_trusts_with_no_events_say_there_is_no_funnel(cases):
    compared = compare_with_trusts(METRIC, _ours(cases), ZEROS, own="Northshire", source="GIRFT")
    assert compared is not None and compared.hidden and compared.funnel is None
    assert compared.no_funnel == "no events among the other trusts, so no funnel can be drawn"
    assert compared.sentence() == (
        f"Our trust: {MASK} (1 to 7 cases or events, or a count another table "
        "would give away by subtraction: not shown) among 4 trusts: "
        "no events among the other trusts, so no funnel can be drawn"
    )
    assert compared.label == MASK and compared.period == "June 2024"
    assert compared.peers_median == 0.0  # the other trusts' values: 0/40, 0/60, 0/25
    assert all(np.isnan(v) for v in compared.limits().values())
    # the same words whatever our hidden count: nothing of ours can be worked out
    assert compared.sentence() == compare_with_trusts(METRIC, _ours(5), ZEROS, own="Northshire").sentence()


def test_no_events_anywhere_ours_included_says_so_too():
    compared = compare_with_trusts(METRIC, _ours(0), ZEROS, own="Northshire")
    assert not compared.hidden and compared.funnel is None
    assert compared.no_funnel == "no events among the trusts, ours included, so no funnel can be drawn"
    assert compared.label == "no funnel"


def test_our_shown_counts_still_give_a_funnel_around_every_trust():
    """Eight of our cases are shown: the average over every trust is 8 / 145 lists, so there are lines."""
    compared = compare_with_trusts(METRIC, _ours(8), ZEROS, own="Northshire")
    assert not compared.hidden and compared.funnel is not None
    assert compared.funnel.baseline == pytest.approx(8 / 145)


def test_the_report_section_says_so_with_ours_hidden():
    compared = compare_with_trusts(METRIC, _ours(3), ZEROS, own="Northshire", source="GIRFT")
    [section] = trust_sections((compared,))
    assert (section.value, section.counts, section.limits_95, section.limits_998, section.label) == (
        MASK,
    ) * 5
    assert section.note == "no events among the other trusts, so no funnel can be drawn"
    assert (
        section.peers_median == "0.00 cases per list"
        and section.period == "June 2024"
        and section.trusts == 4
    )
