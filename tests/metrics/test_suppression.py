"""Small-number suppression on real published counts (RTT, T&O by commissioner, March 2015)."""

from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.metrics.suppression import MASK, hidden_points, is_small, suppress_counts

RTT = (
    Path(__file__).resolve().parents[3]
    / "shared/fixtures/rtt/rtt_incomplete_ccg_trauma_orthopaedics_2015_03.csv"
)


def test_every_count_of_one_to_seven_is_masked_and_nothing_else():
    table = pd.read_csv(RTT)
    bands = [c for c in table.columns if c.startswith("gt_")]
    small = is_small(table[bands])
    assert small.sum() > 100  # the fixture is full of small counts
    shown = suppress_counts(table, bands)
    for column in bands:
        masked = shown[column] == MASK
        assert (masked == is_small(table[column])).all()
        kept = shown.loc[~masked, column].astype(float)
        assert ((kept == 0) | (kept >= 8)).all()
    assert np.array_equal(shown["ccg_code"], table["ccg_code"])


def test_a_rate_is_hidden_when_either_count_behind_it_is_small():
    numerator, denominator = np.array([0, 3, 9, 9, 40]), np.array([40, 40, 5, 40, 0])
    assert list(hidden_points(numerator, denominator, numerator_is_count=True)) == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert list(hidden_points(numerator, denominator, numerator_is_count=False)) == [
        False,
        False,
        True,
        False,
        False,
    ]
