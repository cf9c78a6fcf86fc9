"""The catalogue: every definition sourced and valid; a bad one is explained."""

import pandas as pd
import pytest

from stocktake.metrics import expressions as ex
from stocktake.metrics.catalogue import DEFAULT_CATALOGUE, CatalogueError, load_catalogue

AREAS = {
    "Hip fracture",
    "Virtual fracture clinic",
    "Length of stay",
    "Theatres",
    "Waiting list",
    "Procurement",
}


def test_default_catalogue_covers_the_areas_with_sourced_definitions():
    catalogue = load_catalogue()
    monthly = [m for m in catalogue.metrics if m.chart == "xmr"]
    assert len(catalogue.metrics) >= 30
    assert len(monthly) >= 30
    assert {m.area for m in catalogue.metrics} >= AREAS
    assert any(m.chart == "t" for m in catalogue.metrics)
    for metric in catalogue.metrics:
        assert metric.source and metric.unit and metric.title
        assert metric.improvement in ("increase", "decrease", "neutral")
    assert {"site", "consultant", "procedure_group", "age_band"} <= set(catalogue.dimensions)


@pytest.mark.parametrize(
    ("metric_yaml", "message"),
    [
        ("numerator: {dataset: wards, period_from: x}", "'wards' is neither a canonical dataset nor a view"),
        ("numerator: {dataset: admissions, period_from: admitted}", "admissions has no column 'admitted'"),
        (
            "numerator: {dataset: admissions, period_from: admitted_at, statistic: mean}",
            "a mean needs a value",
        ),
        (
            "numerator: {dataset: admissions, period_from: admitted_at, where: {within: [age, 3]}}",
            "unknown operation 'within'",
        ),
        (  # a share of 0–1 labelled %: nine in ten read "0.9%", and no month ever sits at 100%
            "numerator: {dataset: admissions, period_from: admitted_at}\n"
            "    denominator: {dataset: admissions, period_from: admitted_at}",
            "m1: a % over a denominator needs scale: 100, not 1",
        ),
        (  # a least gain needs the month it is read from
            "target: {value: 65, source: S, at_least_better_by: 5}",
            "m1.target: at_least_better_by and than go together",
        ),
        ("target: {value: 65, source: S, at_least_better_by: 5, than: March 2025}", "m1.target.than: 'March"),
        (
            "target: {value: 65, source: S, at_least_better_by: -5, than: '2025-03'}",
            "is not a number above 0",
        ),
        # an outside check: .inf became a target of -inf days, true a gain of 1, "five" a bare float error
        (
            "target: {value: 65, source: S, at_least_better_by: .inf, than: '2025-03'}",
            "m1.target.at_least_better_by: inf",
        ),
        (
            "target: {value: 65, source: S, at_least_better_by: true, than: '2025-03'}",
            "m1.target.at_least_better_by: True",
        ),
        (
            "target: {value: 65, source: S, at_least_better_by: five, than: '2025-03'}",
            "m1.target.at_least_better_by: 'five'",
        ),
        (
            "target: {value: 65, source: S, at_least_better_by: 500, than: '2025-03'}",
            "more than a share can move",
        ),
        # a target's month (ADR 82): a recheck read Python's repr of an unquoted date
        ("target: {value: 65, source: S, by: 2026-03-31}", "m1.target.by: 2026-03-31 is not a month written"),
        ("target: {value: 65, source: S, by: '2026-13'}", "m1.target.by: 2026-13 is not a month written"),
        (
            "target: {value: 65, source: S, at_least_better_by: 5, than: '2025-03', by: '2020-03'}",
            "m1.target.by: 2020-03 is not after the month its gain is read from (than: 2025-03)",
        ),
        (  # a recheck: a rare-event chart's "month" was the first of its events' gaps, taken silently
            "target: {value: 65, source: S, at_least_better_by: 5, than: '2025-03'}\n"
            "    events: {dataset: admissions, at: admitted_at}",
            "a rare-event chart has none",
        ),
    ],
)
def test_bad_definition_is_explained(tmp_path, metric_yaml, message):
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "department: Test\nmetrics:\n  - id: m1\n    title: T\n    area: A\n    unit: '%'\n"
        f"    improvement: increase\n    source: S\n    {metric_yaml}\n"
    )
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_expression_arguments_are_checked():
    with pytest.raises(ex.ExpressionError, match="hours_between takes 2 argument"):
        ex.parse({"hours_between": ["a"]}, "m")
    assert ex.parse({"eq": ["method", "elective"]}) == ex.Call(
        "eq", (ex.Column("method"), ex.Literal("elective"))
    )
    assert ex.columns(ex.parse({"le": [{"hours_between": ["a", "b"]}, 36]})) == {"a", "b"}


def test_a_dimension_naming_a_missing_column_is_explained(tmp_path):
    text = DEFAULT_CATALOGUE.read_text().replace(
        "per_dataset: {theatre_sessions: surgeon,", "per_dataset: {theatre_sessions: lead_surgeon,"
    )
    path = tmp_path / "catalogue.yaml"
    path.write_text(text)
    with pytest.raises(
        CatalogueError, match=r"dimensions\.consultant\.per_dataset: theatre_sessions has no column"
    ):
        load_catalogue(path)


def test_has_answers_whether_an_id_is_one_of_the_departments_metrics():
    catalogue = load_catalogue()  # trauma_orthopaedics.yaml defines hipfx_surgery_36h
    assert catalogue.has("hipfx_surgery_36h")
    assert not catalogue.has("hipfx_surgery_36H")  # ids are matched exactly, as URLs carry them
    assert not catalogue.has("")
    assert not catalogue.has("no_such_metric")


def test_nested_counts_name_metrics_of_the_catalogue(tmp_path):
    shipped = load_catalogue()
    assert shipped.nested_counts[0][:2] == ("rtt_waiting_list_size", "rtt_within_18_weeks.outside")
    path = tmp_path / "catalogue.yaml"
    text = DEFAULT_CATALOGUE.read_text().replace(
        "rtt_over_65_weeks, rtt_over_78_weeks]",
        "rtt_over_65_weeks, rtt_over_87_weeks, rtt_over_52_weeks.inside]",
    )
    path.write_text(text)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    assert "nested_counts: 'rtt_over_87_weeks' is no metric id" in str(error.value)
    assert "'rtt_over_52_weeks.inside' is no metric id (or ID.outside)" in str(error.value)


def test_a_sum_of_attendances_counts_as_a_count_for_the_small_number_rule():
    """An outside check: one face-to-face attendance in a week was shown, from a sum, beside the
    hidden conversion count it gave away. The catalogue marks the sum ``counts: true``."""
    from stocktake.metrics.export import suppressed

    catalogue = load_catalogue()
    assert catalogue.metric("vfc_face_to_face_per_100").numerator_is_count
    assert not catalogue.metric("theatre_capped_utilisation").numerator_is_count  # minutes, not events
    table = pd.DataFrame(
        {
            "metric_id": ["vfc_face_to_face_per_100", "vfc_face_to_face_per_100"],
            "period": pd.to_datetime(["2024-12-02", "2024-12-09"]),
            "numerator": [1.0, 9.0],
            "denominator": [12.0, 40.0],
            "value": [8.33, 22.5],
        }
    )
    shown = suppressed(table, catalogue)
    assert shown["suppressed"].tolist() == [True, False] and pd.isna(shown["numerator"].iloc[0])


def test_a_least_gain_on_a_measure_with_no_better_way_is_refused(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "department: Test\nmetrics:\n  - id: m1\n    title: T\n    area: A\n    unit: cases\n"
        "    improvement: neutral\n    source: S\n"
        "    target: {value: 5, source: S, at_least_better_by: 1, than: '2025-03'}\n"
        "    numerator: {dataset: admissions, period_from: admitted_at}\n"
    )
    with pytest.raises(CatalogueError, match=r"m1\.target\.at_least_better_by: a gain needs a better way"):
        load_catalogue(path)


def test_a_catalogue_that_cannot_be_read_is_named_as_the_catalogue(tmp_path):
    """An outside check: a missing catalogue's OSError reached the report command, which blamed --out."""
    from stocktake.metrics.catalogue import CatalogueError, load_catalogue

    with pytest.raises(CatalogueError, match=r"nope\.yaml: cannot read the catalogue: No such file"):
        load_catalogue(tmp_path / "nope.yaml")
