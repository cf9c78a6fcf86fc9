"""The synthetic department: deterministic, realistically shaped, and faithful to its exports."""

import numpy as np
import pandas as pd
import pytest

from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate, winter
from stocktake.demo.run import MAPPING
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.read import read_raw
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.validate import to_canonical


@pytest.fixture(scope="module")
def tables():
    return generate(Department(seed=3))


def test_same_seed_same_department():
    small = Department(seed=5, months=2)
    first, second = generate(small), generate(small)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])
    assert not generate(Department(seed=6, months=2))["admissions"].equals(first["admissions"])


def test_scale_multiplies_volumes():
    one, two = generate(Department(seed=5, months=2)), generate(Department(seed=5, months=2, scale=2))
    ratio = len(two["fracture_clinic"]) / len(one["fracture_clinic"])
    assert 1.8 < ratio < 2.2


def test_every_canonical_dataset_with_its_columns(tables):
    assert set(tables) == set(DATASETS)
    for name, table in tables.items():
        assert list(table.columns) == list(DATASETS[name].names), name


def test_hip_fracture_patients_are_mostly_over_80(tables):
    ages = tables["admissions"].query("procedure_group == 'hip_fracture_fixation'")["age"]
    assert (ages >= 80).mean() > 0.6


def test_length_of_stay_is_right_skewed(tables):
    spells = tables["admissions"].query("admission_method == 'non_elective'")
    stay = (spells["discharged_at"] - spells["admitted_at"]).dt.total_seconds() / 86400
    assert stay.mean() > stay.median() * 1.05


def test_electives_happen_on_weekdays_and_hip_fractures_rise_in_winter(tables):
    electives = tables["admissions"].query("admission_method == 'elective'")
    assert (electives["admitted_at"].dt.day_of_week >= 5).mean() < 0.02
    arrived = tables["hip_fractures"]["arrived_at"]
    in_winter = winter(arrived) > 0.5
    assert in_winter.mean() > 0.52


def test_lists_start_late_and_some_overrun(tables):
    cases = tables["theatre_cases"].merge(tables["theatre_sessions"], on="session_id")
    first = cases.groupby("session_id").agg(
        first_in=("in_theatre_at", "min"),
        last_out=("out_of_theatre_at", "max"),
        start=("planned_start", "first"),
        end=("planned_end", "first"),
    )
    late = (first["first_in"] - first["start"]).dt.total_seconds() / 60
    assert 5 < late.median() < 30
    assert (late > 15).mean() > 0.2
    assert ((first["last_out"] > first["end"]).mean()) > 0.02


def test_export_then_ingest_gives_back_the_department(tables, tmp_path):
    mapping = load_mapping(MAPPING)
    export(tables, mapping, tmp_path)
    for name, dataset_mapping in mapping.datasets.items():
        raw = read_raw(tmp_path / dataset_mapping.file)
        canonical, errors = to_canonical(
            raw, DATASETS[name], dataset_mapping, dataset_mapping.file, b"k" * 32
        )
        assert errors == [], name
        original = tables[name].reset_index(drop=True)
        for column in DATASETS[name].columns:
            if column.identifier:
                assert canonical[column.name].notna().all()
                continue
            got, want = canonical[column.name], original[column.name]
            if column.type == "number":
                np.testing.assert_allclose(got.astype(float), want.astype(float), rtol=1e-9)
            else:
                assert list(got.astype(object).where(got.notna(), None)) == list(
                    want.astype(object).where(want.notna(), None)
                ), f"{name}.{column.name}"
