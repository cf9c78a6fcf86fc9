"""Metrics a user adds in YAML: compiled to the catalogue's definitions, and bad ones explained."""

import pandas as pd
import pytest

from stocktake.metrics.catalogue import CatalogueError, load_catalogue
from stocktake.metrics.run import run_catalogue
from stocktake.metrics.user import with_user_metrics

T = pd.Timestamp

USER = """
metrics:
  - id: knee_hip_stays_p90
    title: 90th percentile stay, elective joints
    dataset: admissions
    date: discharged_at
    kind: percentile
    percentile: 90
    value: {days_between: [admitted_at, discharged_at]}
    where: {in: [procedure_group, [hip_replacement, knee_replacement]]}
    unit: days
    improvement: decrease
  - id: hipfx_weekend_share
    title: Hip fractures arriving at the weekend
    dataset: hip_fractures
    date: arrived_at
    kind: ratio
    numerator_where: {in: [{day_of_week: arrived_at}, [5, 6]]}
    unit: "%"
  - id: elective_spells
    title: Elective spells
    dataset: admissions
    date: admitted_at
    kind: count
    where: {in: [admission_method, [elective, day_case]]}
  - id: mean_age
    title: Mean age of admissions
    dataset: admissions
    date: admitted_at
    kind: mean
    value: age
  - id: implant_spend
    title: Implant spend
    dataset: procurement
    date: ordered_on
    kind: sum
    value: {mul: [unit_price, quantity]}
    where: {eq: [category, implant]}
"""


def test_user_metrics_worked_by_hand(warehouse, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(USER)
    catalogue = with_user_metrics(load_catalogue(), path)
    series = run_catalogue(warehouse, catalogue)

    def value(metric_id, month):
        return series[metric_id].set_index("period").loc[T(month), "value"]

    # January joints: S1 (2 midnights), S2 (0); linear 90th percentile = 0 + 0.9 × 2
    assert value("knee_hip_stays_p90", "2024-01-01") == pytest.approx(1.8)
    assert value("hipfx_weekend_share", "2024-01-01") == pytest.approx(50.0)  # Sat 6, Sun 7 of four
    assert value("elective_spells", "2024-01-01") == 3  # S1, S2, S3
    assert value("mean_age", "2024-01-01") == pytest.approx((70 + 90 + 70 * 3) / 5)
    assert value("implant_spend", "2024-01-01") == pytest.approx(2000.0)


BASE = "id: x, title: X, dataset: admissions, date: admitted_at"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"metrics: [{{{BASE}, kind: mean}}]", "x.*a mean needs a value"),
        (f"metrics: [{{{BASE}, kind: ratio}}]", "give numerator_where"),
        (f"metrics: [{{{BASE}, kind: median}}]", "x.kind"),
        (f"metrics: [{{{BASE}, kind: count, where: {{near: a}}}}]", "unknown operation 'near'"),
        (
            "metrics: [{id: x, title: X, dataset: wards, date: admitted_at, kind: count}]",
            "'wards' is neither",
        ),
        (
            "metrics: [{id: x, title: X, dataset: admissions, date: admitted, kind: count}]",
            "no column 'admitted'",
        ),
        ("metrics: [{id: X Y, title: X, dataset: admissions, date: admitted_at, kind: count}]", "X Y.id"),
        (f"metrics: [{{{BASE.replace('x', 'hipfx_surgery_36h', 1)}, kind: count}}]", "the id is used twice"),
        ("metrics: [{id: x", "cannot read the metrics file"),
    ],
)
def test_bad_user_metric_is_explained_with_file_and_metric(tmp_path, text, message):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError, match=message) as raised:
        with_user_metrics(load_catalogue(), path)
    assert str(path) in str(raised.value)
