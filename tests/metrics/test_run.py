"""Each metric against values worked by hand on a small handmade warehouse."""

import numpy as np
import pandas as pd
import pytest

from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.run import NOT_RECORDED, Grain, run_catalogue

T = pd.Timestamp


@pytest.fixture(scope="module")
def series(warehouse):
    """With the trailing incomplete month (February: the data end on the 21st) kept, whose values so
    far are worked by hand here too; the SPC leaves it out (ADR 29, test_latest_month.py)."""
    return run_catalogue(warehouse, load_catalogue(), partial=True)


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
    # dated by the day alone: a death's time to the minute was in the workbook and the HTML's chart data
    assert (pd.to_datetime(events["period"]) == pd.to_datetime(events["period"]).dt.normalize()).all()


def test_a_month_without_denominator_is_missing_not_zero(series):
    # H5, February's one patient, was not tested for delirium after surgery. (Until ADR 29 this read
    # the clinic's February, which its data, ending 25 January, no longer reach.)
    assert np.isnan(_value(series, "hipfx_not_delirious_after_surgery", "2024-02-01"))


def _by(warehouse, dimension, metric_id, period="month"):
    found = run_catalogue(warehouse, load_catalogue(), Grain(period, dimension), partial=True)
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


@pytest.fixture(scope="module")
def partial(connect, tables):
    """The handmade warehouse as `ingest --partial` leaves it with two extracts: the others absent."""
    return connect({name: tables[name] for name in ("hip_fractures", "admissions")})


def test_measures_whose_datasets_are_absent_are_named_not_a_crash(partial):
    from stocktake.metrics.run import missing_data

    catalogue = load_catalogue()
    absent = missing_data(partial, catalogue)
    lacking = ("vfc_", "theatre_", "rtt_", "implant_")
    assert set(absent) == {m.id for m in catalogue.metrics if m.id.startswith(lacking)}
    assert absent["theatre_late_starts"] == ("theatre_cases", "theatre_sessions")
    assert absent["rtt_median_wait"] == ("rtt_pathways",)
    assert absent["implant_spend_per_case"] == ("procurement",)  # it reads admissions too, which is there


def test_the_measures_with_data_are_computed_as_on_the_whole_warehouse(partial):
    series = run_catalogue(partial, load_catalogue())
    assert not any(metric_id.startswith(("vfc_", "theatre_", "rtt_", "implant_")) for metric_id in series)
    assert _value(series, "hipfx_surgery_36h", "2024-01-01") == 50.0  # H1, H2 of four, as above
    assert _value(series, "los_elective_hip_knee", "2024-01-01") == 1.0
    by_site = run_catalogue(partial, load_catalogue(), Grain(by="site"))
    assert "hipfx_surgery_36h" in by_site and "rtt_median_wait" not in by_site


def test_a_source_holding_no_dataset_of_the_catalogue_gives_no_series():
    import ibis

    assert run_catalogue(ibis.duckdb.connect(), load_catalogue()) == {}


def test_an_optional_dimension_column_the_source_lacks_leaves_its_measures_out(connect, tables):
    """A warehouse loaded before rtt_pathways had a consultant (ADR 65) has no such column: grouped by
    consultant, the RTT measures are left out as a dataset without the dimension is, not a query error
    (every page of the workspace failed so in CI)."""
    older = {name: table for name, table in tables.items()}
    older["rtt_pathways"] = tables["rtt_pathways"].drop(columns="consultant")
    by_consultant = run_catalogue(connect(older), load_catalogue(), Grain(by="consultant"))
    assert not any(metric_id.startswith("rtt_") for metric_id in by_consultant)
    assert "theatre_late_starts" in by_consultant  # theatre lists still by their surgeon
    whole = run_catalogue(connect(older), load_catalogue())
    assert "rtt_median_wait" in whole  # and the measures themselves are there
