"""Icons say in words what they show in colour."""

import pytest

from stocktake.report.icons import assurance_icon, variation_icon, variation_label


@pytest.mark.parametrize(
    ("variation_type", "improvement", "label"),
    [
        ("special_cause_improvement", "increase", "Special cause improvement (high values)"),
        ("special_cause_improvement", "decrease", "Special cause improvement (low values)"),
        ("special_cause_concern", "increase", "Special cause concern (low values)"),
        ("special_cause_concern", "decrease", "Special cause concern (high values)"),
        ("special_cause_neutral_high", "neutral", "Special cause, neither better nor worse (high values)"),
        ("common_cause", "increase", "Common cause variation"),
    ],
)
def test_variation_label(variation_type, improvement, label):
    assert variation_label(variation_type, improvement) == label
    icon = variation_icon(variation_type, improvement)
    assert icon.startswith("<svg") and f'aria-label="{label}"' in icon


def test_assurance_icons_use_letters_and_words():
    assert ">P<" in assurance_icon("consistent_pass") and "consistently meet" in assurance_icon(
        "consistent_pass"
    )
    assert ">F<" in assurance_icon("consistent_fail")
    assert ">?<" in assurance_icon("inconsistent")
    assert "No target" in assurance_icon(None)
