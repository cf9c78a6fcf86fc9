"""The rule helpers against the unit vectors of NHSRplotthedots 0.2.2's own tests."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.spc import rules

VECTORS = pd.read_csv(
    Path(__file__).resolve().parents[3]
    / "shared/fixtures/spc/nhsrplotthedots_tests/ptd_rule_helper_vectors.csv",
    dtype=str,
    keep_default_na=False,
)
VECTORS = VECTORS[VECTORS["arg1"] != ""]


def _ints(text: str) -> np.ndarray:
    return np.array([int(v) for v in text.split()], dtype=int)


HELPERS = {
    "seven_point_one_side_mean": lambda a, b: rules.seven_point_one_side_mean(a),
    "part_of_seven": lambda a, b: rules.part_of_seven(a),
    "seven_point_trend": lambda a, b: rules.seven_point_trend(a.astype(float)),
    "two_in_three(": lambda a, b: rules.two_in_three_window(a.astype(float), b.astype(float)),
    "part_of_two_in_three": lambda a, b: rules.part_of_two_in_three(a.astype(float), b.astype(float)),
}


@pytest.mark.parametrize(
    "row", VECTORS.to_dict("records"), ids=lambda r: f"{r['function_name'][:24]}:{r['arg1']}"
)
def test_rule_helper_vector(row):
    helper = next(f for name, f in HELPERS.items() if row["function_name"].startswith(name))
    arg2 = _ints(row["arg2"]) if row["arg2"] else None
    assert list(helper(_ints(row["arg1"]), arg2)[0]) == list(_ints(row["expected"]))


def test_missing_value_breaks_a_trend_instead_of_failing():
    y = np.array([1, 2, 3, np.nan, 4, 5, 6, 7, 8, 9], dtype=float)
    assert list(rules.seven_point_trend(y)[0]) == [0] * 10


def test_precedence_outside_limits_names_the_point_before_a_trend():
    y = np.arange(8, dtype=float)
    side = np.sign(y - 3.5)
    outside = np.array([1, 0, 0, 0, 0, 0, 0, 1], dtype=float)
    profile = rules.PROFILES["nhsrplotthedots-0.2.2"]
    rule, direction = rules.special_cause(y, side, np.zeros(8), outside, 1, profile)
    assert [rules.RULE_NAMES[r] for r in rule[0]] == ["outside_limits"] + ["trend"] * 6 + ["outside_limits"]
    assert list(direction[0]) == [-1] + [1] * 7
