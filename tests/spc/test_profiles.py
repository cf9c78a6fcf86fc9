"""The mdc-2023 rule profile: each way it differs from NHSRplotthedots 0.2.2, worked by hand."""

import numpy as np
import pytest

from stocktake.spc import xmr

BOTH = {"nhsrplotthedots-0.2.2", "mdc-2023"}


def _types(y, profile, **options):
    return list(xmr(y, profile=profile, screen_outliers=True, **options).point_type)


def test_points_beyond_three_sigma_count_towards_two_in_three():
    # limits 0.81 ± 2.66 × 0.9 (screened): 4.2 is outside, 3.0 between two and three sigma.
    y = [0, 1] * 7 + [0, 4.2, 3.0, 1, 1, 0]
    old, new = _types(y, "nhsrplotthedots-0.2.2"), _types(y, "mdc-2023")
    assert (old[15], old[16]) == ("special_cause_improvement", "common_cause")
    assert (new[15], new[16]) == ("special_cause_improvement", "special_cause_improvement")


def test_a_tie_neither_adds_to_nor_breaks_a_trend():
    y = [1, 0.5, 0, -0.5, -0.5, -1, -1.5, -2, 2.0, -0.1, 0.4, 1.0, -0.4, -1.0, 1.8, -2.3]
    old, new = _types(y, "nhsrplotthedots-0.2.2"), _types(y, "mdc-2023")
    assert old[:8] == ["common_cause"] * 8
    assert new[:8] == ["special_cause_concern"] * 8  # seven falling values, the tie carried along


def test_improvement_wins_when_rules_disagree():
    # y = 0..7, lower is better: the rising trend is concern, but 0 and 1 are also two-in-three
    # below the mean (counting the point beyond the limit), which is improvement.
    y = np.arange(8.0)
    old = _types(y, "nhsrplotthedots-0.2.2", improvement="decrease")
    new = _types(y, "mdc-2023", improvement="decrease")
    assert old[1] == "special_cause_concern"
    assert new[1] == "special_cause_improvement"


def test_no_icons_under_thirteen_points():
    y = [3, 4, 5, 4, 3, 6, 5, 4]
    assert xmr(y, profile="nhsrplotthedots-0.2.2").latest.variation_type == "common_cause"
    chart = xmr(y, profile="mdc-2023", target=4)
    assert chart.latest.variation_type is None and chart.latest.assurance_type is None
    assert any("13 points" in w for w in chart.warnings)


def test_mdc_2023_does_not_screen_moving_ranges_by_default():
    y = [10, 11] * 9 + [10, 50]
    assert xmr(y, profile="mdc-2023").upl[0] == pytest.approx(xmr(y, screen_outliers=False).upl[0])


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown rule profile"):
        xmr([1, 2, 3], profile="excel")
