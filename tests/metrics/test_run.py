"""Each metric against values worked by hand on a small handmade warehouse."""

import ibis
import numpy as np
import pandas as pd
import pytest

from stocktake.ingest.schemas import DATASETS
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.run import run_catalogue

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


def _spell(i, method, group, admitted, discharged, died=False):
    return {
        "spell_id": i,
        "patient_id": f"p{i}",
        "site": "A",
        "specialty": "to",
        "admission_method": method,
        "admitted_at": admitted,
        "discharged_at": discharged,
        "procedure_group": group,
        "age": 70,
        "sex": "female",
        "consultant": "C1",
        "died_in_hospital": died,
    }


def _hip(i, arrived, surgery_hours, review_hours, died=False):
    arrival = T(arrived)
    return {
        "spell_id": i,
        "site": "A",
        "arrived_at": arrival,
        "surgery_at": arrival + pd.Timedelta(hours=surgery_hours) if surgery_hours is not None else None,
        "orthogeriatric_review_at": arrival + pd.Timedelta(hours=review_hours),
        "mobilised_day_after_surgery": surgery_hours is not None,
        "delirium_assessed": True,
        "bone_health_assessed": True,
        "died_within_30_days": died,
    }


@pytest.fixture(scope="module")
def series():
    tables = {
        "hip_fractures": _table(
            "hip_fractures",
            [
                _hip("H1", "2024-01-05 10:00", 10, 72),  # on time; review at exactly 72 h counts
                _hip("H2", "2024-01-06 10:00", 36, 73),  # exactly 36 h counts
                _hip("H3", "2024-01-07 10:00", 37, 20, died=True),
                _hip("H4", "2024-01-08 10:00", None, 20),  # not operated: counts as not met
                _hip("H5", "2024-02-02 10:00", 20, 20),
            ],
        ),
        "admissions": _table(
            "admissions",
            [
                _spell("H1", "non_elective", "hip_fracture_fixation", "2024-01-05 10:00", "2024-01-15 12:00"),
                _spell("H2", "non_elective", "hip_fracture_fixation", "2024-01-06 10:00", "2024-01-26 12:00"),
                _spell("S1", "elective", "hip_replacement", "2024-01-01 23:00", "2024-01-03 08:00"),
                _spell("S2", "elective", "knee_replacement", "2024-01-10 08:00", "2024-01-10 18:00"),
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
                    "surgeon": "C1",
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
                    "patient_id": "p",
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
                    "patient_id": "p",
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
                    "patient_id": "p",
                    "site": "A",
                    "referred_at": "2024-01-02 12:00",
                    "source": "ed",
                    "injury": "wrist",
                    "outcome": "discharged",
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
    return run_catalogue(con, load_catalogue())


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
        ("vfc_discharged_at_virtual_review", "2024-01-01", 100 / 3),
        ("vfc_face_to_face_per_100", "2024-01-01", 100.0),
        ("rtt_within_18_weeks", "2024-01-01", 50.0),  # R1 in, R2 out, R3 stopped
        ("implant_spend_per_case", "2024-01-01", 550.0),  # £1,100 over two joints
    ],
)
def test_metric_worked_by_hand(series, metric_id, month, expected):
    assert _value(series, metric_id, month) == pytest.approx(expected)


def test_days_between_rare_events(series):
    events = series["days_between_elective_deaths"]
    assert list(events["value"]) == pytest.approx([7.0])  # deaths discharged 14 Feb and 21 Feb


def test_a_month_without_denominator_is_missing_not_zero(series):
    assert np.isnan(_value(series, "vfc_discharged_at_virtual_review", "2024-02-01"))
