"""The targets file: a bad target is named by its metric and what is wrong with it."""

import re

import pytest

from stocktake.report.inputs import ReportInputError, load_targets


def test_a_bad_target_names_its_metric_and_the_problem(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  los_elective_hip_knee: {fraction: 0.5}\n")
    with pytest.raises(ReportInputError) as raised:
        load_targets(path, {"los_elective_hip_knee"})
    assert str(raised.value) == (
        f"{path}: targets.los_elective_hip_knee: give either value (and source), or baseline and benchmark"
    )


def test_a_mistyped_field_is_named_under_its_target(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  los_elective_hip_knee: {value: lots}\n")
    with pytest.raises(
        ReportInputError, match=r"targets\.los_elective_hip_knee\.value: Input should be a valid number"
    ):
        load_targets(path, {"los_elective_hip_knee"})


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("- a\n- b\n", "top level: a mapping with `targets:`"),
        ("just words\n", "top level: a mapping with `targets:`"),
        ("targets: [1, 2]\n", "targets: a mapping of metric ids to targets"),
    ],
)
def test_a_targets_file_of_the_wrong_shape_is_one_line(tmp_path, text, said):
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    with pytest.raises(ReportInputError, match=re.escape(f"{path}: {said}")):
        load_targets(path, {"a"})
