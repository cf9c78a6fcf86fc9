"""Each metric against values worked by hand on a small handmade warehouse."""

import ibis
import numpy as np
import pandas as pd
import pytest

from stocktake.ingest.schemas import DATASETS
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.run import NOT_RECORDED, Grain, run_catalogue

T = pd.Timestamp


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(DATASETS[name].names))
    for column in DATASETS[name].columns:
        if column.type in ("date", "timestamp"):
            frame[column.name] = pd.to_datetime(frame[column.name])
        elif column.type == "boolean":
            frame[column.name] = frame[column.name].astype("boolean")
        elif column.type in ("integer", "number"):
            frame[column.name] = pd.to_numeric(frame[column.name])
        else:
            frame[column.name] = frame[column.name].astype("string")
    return frame


def _spell(i, method, group, admitted, discharged, died=False, age=70):
    return {
        "spell_id": i,
        "patient_id": f"p{i}",
        "site": "A",
        "specialty": "to",
        "admission_method": method,
        "admitted_at": admitted,
        "discharged_at": discharged,
        "procedure_group": group,
        "age": age,
        "sex": "female",
        "consultant": "C1",
        "died_in_hospital": died,
    }


def _hip(i, arrived, surgery_hours, review_hours, died=False, **fields):
    arrival = T(arrived)
    return fields | {
        "spell_id": i,
        "site": "A",
        "arrived_at": arrival,
        "surgery_at": arrival + pd.Timedelta(hours=surgery_hours) if surgery_hours is not None else None,
        "orthogeriatric_review_at": arrival + pd.Timedelta(hours=review_hours),
        "mobilised_day_after_surgery": surgery_hours is not None,
        "delirium_assessed": fields.get("delirium_assessed", True),
        "bone_health_assessed": fields.get("bone_health_assessed", True),
        "died_within_30_days": died,
    }


@pytest.fixture(scope="module")
def warehouse():
    tables = {
        "hip_fractures": _table(
            "hip_fractures",
            [
                # on time; review at exactly 72 h counts
                _hip(
                    "H1",
                    "2024-01-05 10:00",
                    10,
                    72,
                    not_delirious_after_surgery=True,
                    returned_home_by_120_days=True,
                ),
                # exactly 36 h counts; the day after arrival
                _hip("H2", "2024-01-06 10:00", 36, 73, not_delirious_after_surgery=False),
                # 40 h: two calendar days after arrival
                _hip(
                    "H3",
                    "2024-01-07 10:00",
                    40,
                    20,
                    died=True,
                    bone_health_assessed=False,
                    returned_home_by_120_days=False,
                ),
                # not operated: counts as not met
                _hip(
                    "H4",
                    "2024-01-08 10:00",
                    None,
                    20,
                    delirium_assessed=False,
                    returned_home_by_120_days=False,
                ),
                _hip("H5", "2024-02-02 10:00", 20, 20),
            ],
        ),
        "admissions": _table(
            "admissions",
            [
                _spell("H1", "non_elective", "hip_fracture_fixation", "2024-01-05 10:00", "2024-01-15 12:00"),
                _spell(
                    "H2",
                    "non_elective",
                    "hip_fracture_fixation",
                    "2024-01-06 10:00",
                    "2024-01-26 12:00",
                    age=90,
                ),
                _spell("S1", "elective", "hip_replacement", "2024-01-01 23:00", "2024-01-03 08:00"),
                _spell("S2", "day_case", "knee_replacement", "2024-01-10 08:00", "2024-01-10 18:00"),
                _spell("S3", "elective", "arthroscopy", "2024-01-11 08:00", "2024-01-12 18:00"),
                _spell(
                    "S4", "elective", "knee_replacement", "2024-02-10 08:00", "2024-02-14 18:00", died=True
                ),
                _spell(
                    "S5", "elective", "hip_replacement", "2024-02-11 08:00", "2024-02-21 18:00", died=True
                ),
            ],
        ),
        "theatre_sessions": _table(
            "theatre_sessions",
            [
                {
                    "session_id": "L1",
                    "site": "A",
                    "theatre": "T1",
                    "date": "2024-01-09",
                    "planned_start": "2024-01-09 08:00",
                    "planned_end": "2024-01-09 12:00",
                    "specialty": "to",
                    "surgeon": "C1",
                    "session_type": "elective",
                },
                {
                    "session_id": "L2",
                    "site": "A",
                    "theatre": "T1",
                    "date": "2024-01-09",
                    "planned_start": "2024-01-09 13:00",
                    "planned_end": "2024-01-09 17:00",
                    "specialty": "to",
                    "surgeon": "C1",
                    "session_type": "elective",
                },
                {
                    "session_id": "L3",
                    "site": "A",
                    "theatre": "T1",
                    "date": "2024-02-09",
                    "planned_start": "2024-02-09 08:00",
                    "planned_end": "2024-02-09 12:00",
                    "specialty": "to",
                    "surgeon": "C2",
                    "session_type": "elective",
                },
            ],
        ),
        "theatre_cases": _table(
            "theatre_cases",
            [
                {
                    "case_id": "K1",
                    "session_id": "L1",
                    "procedure": "W371",
                    "procedure_group": "hip_replacement",
                    "in_theatre_at": "2024-01-09 07:50",
                    "out_of_theatre_at": "2024-01-09 09:00",
                    "cancelled_on_day": False,
                },
                {
                    "case_id": "K2",
                    "session_id": "L1",
                    "procedure": "W371",
                    "procedure_group": "hip_replacement",
                    "in_theatre_at": "2024-01-09 11:30",
                    "out_of_theatre_at": "2024-01-09 12:30",
                    "cancelled_on_day": False,
                },
                {
                    "case_id": "K3",
                    "session_id": "L1",
                    "procedure": "W371",
                    "procedure_group": "hip_replacement",
                    "cancelled_on_day": True,
                    "cancellation_reason": "no bed",
                },
                {
                    "case_id": "K4",
                    "session_id": "L3",
                    "procedure": "W371",
                    "procedure_group": "hip_replacement",
                    "in_theatre_at": "2024-02-09 08:20",
                    "out_of_theatre_at": "2024-02-09 10:20",
                    "cancelled_on_day": False,
                },
            ],
        ),
        "fracture_clinic": _table(
            "fracture_clinic",
            [
                {
                    "referral_id": "F1",
                    "patient_id": "p1",
                    "site": "A",
                    "referred_at": "2024-01-02 10:00",
                    "source": "ed",
                    "injury": "wrist",
                    "vfc_reviewed_at": "2024-01-03 10:00",
                    "outcome": "discharged",
                    "face_to_face_attendances": 0,
                },
                {
                    "referral_id": "F2",
                    "patient_id": "p2",
                    "site": "A",
                    "referred_at": "2024-01-02 11:00",
                    "source": "ed",
                    "injury": "wrist",
                    "vfc_reviewed_at": "2024-01-03 10:00",
                    "outcome": "face_to_face",
                    "face_to_face_attendances": 2,
                },
                {
                    "referral_id": "F3",
                    "patient_id": "p3",
                    "site": "A",
                    "referred_at": "2024-01-02 12:00",
                    "source": "ed",
                    "injury": "wrist",
                    "outcome": "discharged",
                    "face_to_face_attendances": 1,
                },
                {  # F1's patient again, 23 days later; reviewed after 96 hours
                    "referral_id": "F4",
                    "patient_id": "p1",
                    "site": "A",
                    "referred_at": "2024-01-25 10:00",
                    "source": "ed",
                    "injury": "wrist",
                    "vfc_reviewed_at": "2024-01-29 10:00",
                    "outcome": "face_to_face",
                    "face_to_face_attendances": 1,
                },
            ],
        ),
        "procurement": _table(
            "procurement",
            [
                {
                    "line_id": "O1",
                    "ordered_on": "2024-01-04",
                    "site": "A",
                    "item_code": "HIP",
                    "description": "hip",
                    "category": "implant",
                    "supplier": "S",
                    "unit_price": 1000.0,
                    "quantity": 1,
                    "benchmark_unit_price": 900.0,
                },
                {
                    "line_id": "O5",
                    "ordered_on": "2024-01-20",
                    "site": "A",
                    "item_code": "HIP",
                    "description": "hip",
                    "category": "implant",
                    "supplier": "S",
                    "unit_price": 1000.0,
                    "quantity": 1,
                    "benchmark_unit_price": 900.0,
                },
                {
                    "line_id": "O4",
                    "ordered_on": "2024-02-05",
                    "site": "A",
                    "item_code": "KNEE",
                    "description": "knee",
                    "category": "implant",
                    "supplier": "S",
                    "unit_price": 1200.0,
                    "quantity": 1,
                },
                {
                    "line_id": "O2",
                    "ordered_on": "2024-01-04",
                    "site": "A",
                    "item_code": "CEM",
                    "description": "cement",
                    "category": "consumable",
                    "supplier": "S",
                    "unit_price": 50.0,
                    "quantity": 2,
                    "benchmark_unit_price": 55.0,
                },
                {
                    "line_id": "O3",
                    "ordered_on": "2024-01-04",
                    "site": "A",
                    "item_code": "CHAIR",
                    "description": "chair",
                    "category": "furniture",
                    "supplier": "S",
                    "unit_price": 500.0,
                    "quantity": 1,
                },
            ],
        ),
        "rtt_pathways": _table(
            "rtt_pathways",
            [
                {
                    "pathway_id": "R1",
                    "patient_id": "p",
                    "clock_start": "2023-12-01",
                    "priority": "P3",
                    "procedure_group": "hip_replacement",
                    "status": "waiting",
                },
                {
                    "pathway_id": "R2",
                    "patient_id": "p",
                    "clock_start": "2023-06-01",
                    "priority": "P3",
                    "procedure_group": "hip_replacement",
                    "status": "waiting",
                },
                {
                    "pathway_id": "R3",
                    "patient_id": "p",
                    "clock_start": "2023-10-01",
                    "clock_stop": "2024-01-15",
                    "priority": "P3",
                    "procedure_group": "hip_replacement",
                    "status": "treated",
                },
                {
                    "pathway_id": "R5",
                    "patient_id": "p",
                    "clock_start": "2022-06-01",
                    "priority": "P4",
                    "procedure_group": "knee_replacement",
                    "status": "waiting",
                },
                {
                    "pathway_id": "R4",
                    "patient_id": "p",
                    "clock_start": "2024-02-01",
                    "priority": "P3",
                    "procedure_group": "hip_replacement",
                    "status": "waiting",
                },
            ],
        ),
    }
    con = ibis.duckdb.connect()
    for name, frame in tables.items():
        con.create_table(name, frame)
    return con


@pytest.fixture(scope="module")
def series(warehouse):
    return run_catalogue(warehouse, load_catalogue())


def _value(series, metric_id, month):
    frame = series[metric_id].set_index("period")
    return frame.loc[T(month), "value"]


@pytest.mark.parametrize(
    ("metric_id", "month", "expected"),
    [
        ("hipfx_surgery_36h", "2024-01-01", 50.0),  # H1, H2 of four
        ("hipfx_surgery_36h", "2024-02-01", 100.0),
        ("hipfx_orthogeriatric_review_72h", "2024-01-01", 75.0),  # all but H2 (73 h)
        ("hipfx_mobilised_day_after_surgery", "2024-01-01", 100.0),  # operated ones only
        ("hipfx_mortality_30d", "2024-01-01", 25.0),
        ("hipfx_length_of_stay", "2024-01-01", 15.0),  # 10 and 20 midnights
        ("los_elective_hip_knee", "2024-01-01", 1.0),  # 2 midnights and a day case
        ("theatre_capped_utilisation", "2024-01-01", 90 / 480 * 100),  # 60 + 30 capped minutes
        ("theatre_capped_utilisation", "2024-02-01", 50.0),
        ("theatre_cases_per_list", "2024-01-01", 1.0),
        ("theatre_late_starts", "2024-01-01", 0.0),  # L2 had no case: not counted
        ("theatre_late_starts", "2024-02-01", 100.0),  # 20 minutes late
        ("theatre_on_the_day_cancellations", "2024-01-01", 100 / 3),
        ("vfc_discharged_at_virtual_review", "2024-01-01", 25.0),
        ("vfc_face_to_face_per_100", "2024-01-01", 100.0),
        ("rtt_within_18_weeks", "2024-01-01", 100 / 3),  # R1 in; R2, R5 out; R3 stopped
        ("implant_spend_per_case", "2024-01-01", 1050.0),  # £2,100 over two joints
        ("implant_spend_per_case", "2024-02-01", 600.0),  # £1,200 over two joints
        ("hipfx_prompt_surgery", "2024-01-01", 200 / 3),  # H1 same day, H2 next day; H3 two days
        ("hipfx_not_delirious_after_surgery", "2024-01-01", 50.0),  # of the two tested
        ("hipfx_delirium_assessed", "2024-01-01", 75.0),
        ("hipfx_returned_home_120d", "2024-01-01", 100 / 3),  # H2 not followed up
        ("hipfx_bone_health_assessed", "2024-01-01", 75.0),
        ("hipfx_patients", "2024-01-01", 4.0),
        ("hipfx_patients", "2024-02-01", 1.0),
        ("vfc_reviewed_within_72h", "2024-01-01", 50.0),  # F1, F2; F3 never, F4 after 96 h
        ("vfc_converted_to_face_to_face", "2024-01-01", 200 / 3),  # F2, F4 of three reviewed
        ("vfc_reattended_within_30d", "2024-01-01", 100.0),  # F1's patient back in 23 days
        ("vfc_referrals", "2024-01-01", 4.0),
        ("los_elective_hip", "2024-01-01", 2.0),
        ("los_elective_knee", "2024-01-01", 0.0),
        ("daycase_rate_hip_knee", "2024-01-01", 50.0),  # S2 of S1, S2
        ("los_trauma_median", "2024-01-01", (242 + 482) / 2 / 24),  # H1 242 h, H2 482 h
        ("theatre_uncapped_utilisation", "2024-01-01", 130 / 480 * 100),  # 70 + 60 minutes
        ("theatre_uncapped_utilisation", "2024-02-01", 50.0),
        ("theatre_early_finishes", "2024-01-01", 0.0),  # L1 overran; L2 had no case
        ("theatre_early_finishes", "2024-02-01", 100.0),  # 100 minutes early
        ("theatre_late_start_minutes", "2024-01-01", 0.0),  # L1 started early: no late minutes
        ("theatre_late_start_minutes", "2024-02-01", 20.0),
        ("rtt_median_wait", "2024-01-01", 35.0),  # bands 8, 34, 86: rank 2 ends band 34
        ("rtt_p95_wait", "2024-01-01", 86.85),  # rank 2.85: 0.85 of the way through band 86
        ("rtt_waiting_list_size", "2024-01-01", 3.0),
        ("rtt_waiting_list_size", "2024-02-01", 4.0),  # R4 joins
        ("rtt_over_52_weeks", "2024-01-01", 1.0),  # R5: 608 days
        ("rtt_over_65_weeks", "2024-01-01", 1.0),
        ("rtt_over_78_weeks", "2024-01-01", 1.0),
        ("implant_price_variance", "2024-01-01", 190.0),  # 2 × £100 over, 2 × £5 under
        ("implant_product_lines", "2024-01-01", 1.0),  # HIP twice
        ("implant_product_lines", "2024-02-01", 1.0),
    ],
)
def test_metric_worked_by_hand(series, metric_id, month, expected):
    assert _value(series, metric_id, month) == pytest.approx(expected)


def test_days_between_rare_events(series):
    events = series["days_between_elective_deaths"]
    assert list(events["value"]) == pytest.approx([7.0])  # deaths discharged 14 Feb and 21 Feb


def test_a_month_without_denominator_is_missing_not_zero(series):
    assert np.isnan(_value(series, "vfc_discharged_at_virtual_review", "2024-02-01"))


def _by(warehouse, dimension, metric_id, period="month"):
    found = run_catalogue(warehouse, load_catalogue(), Grain(period, dimension))
    frame = found[metric_id]
    return (
        frame.set_index(["period", dimension])["value"] if dimension else frame.set_index("period")["value"]
    )


def test_hip_fracture_metric_by_age_band_from_the_joined_spell(warehouse):
    values = _by(warehouse, "age_band", "hipfx_surgery_36h")
    assert values[(T("2024-01-01"), "65-74")] == 100.0  # H1, aged 70
    assert values[(T("2024-01-01"), "85+")] == 100.0  # H2, aged 90
    assert values[(T("2024-01-01"), NOT_RECORDED)] == 0.0  # H3, H4 have no spell in the extract


def test_theatre_lists_by_consultant_use_the_surgeon(warehouse):
    values = _by(warehouse, "consultant", "theatre_capped_utilisation")
    assert values[(T("2024-01-01"), "C1")] == pytest.approx(90 / 480 * 100)
    assert np.isnan(values[(T("2024-01-01"), "C2")])  # C2 had no list in January
    assert values[(T("2024-02-01"), "C2")] == pytest.approx(50.0)


def test_a_metric_whose_dataset_lacks_the_dimension_is_left_out(warehouse):
    found = run_catalogue(warehouse, load_catalogue(), Grain("month", "priority"))
    assert set(found) == {m for m in found if m.startswith("rtt_")}
    assert found["rtt_over_52_weeks"].set_index(["period", "priority"]).loc[
        (T("2024-01-01"), "P4"), "value"
    ] == pytest.approx(1.0)


def test_weeks_start_on_monday_and_quarters_add_up(warehouse):
    weekly = _by(warehouse, None, "hipfx_patients", "week")
    assert weekly[T("2024-01-01")] == 3  # Fri 5, Sat 6, Sun 7 January
    assert weekly[T("2024-01-08")] == 1
    assert weekly[T("2024-01-29")] == 1  # Fri 2 February
    quarterly = _by(warehouse, None, "hipfx_patients", "quarter")
    assert quarterly[T("2024-01-01")] == 5


def test_waiting_list_is_counted_at_each_week_end(warehouse):
    weekly = _by(warehouse, None, "rtt_waiting_list_size", "week")
    assert weekly[T("2024-01-08")] == 4  # Sunday 14 January: R3 is stopped on the 15th
    assert weekly[T("2024-01-15")] == 3


def test_unknown_dimension_is_named(warehouse):
    with pytest.raises(KeyError, match="no dimension 'ward'"):
        run_catalogue(warehouse, load_catalogue(), Grain("month", "ward"))
