"""Each measure to its own latest complete month (ADR 29), on synthetic warehouses with known answers."""

import ibis
import pandas as pd
import pytest

from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.run import reaches, run_catalogue

T = pd.Timestamp


def _hips(first: str, last: str) -> list[dict]:
    """One hip fracture a day, operated in 10 hours, all assessed."""
    return [
        {
            "spell_id": f"H{day:%Y%m%d}",
            "site": "A",
            "arrived_at": day + pd.Timedelta(hours=9),
            "surgery_at": day + pd.Timedelta(hours=19),
            "orthogeriatric_review_at": day + pd.Timedelta(hours=20),
            "mobilised_day_after_surgery": True,
            "delirium_assessed": True,
            "bone_health_assessed": True,
            "died_within_30_days": False,
        }
        for day in pd.date_range(first, last)
    ]


def _spells(first: str, last: str) -> list[dict]:
    """One elective hip replacement a day, home the next day."""
    return [
        {
            "spell_id": f"S{day:%Y%m%d}",
            "patient_id": f"p{day:%Y%m%d}",
            "site": "A",
            "specialty": "to",
            "admission_method": "elective",
            "admitted_at": day + pd.Timedelta(hours=8),
            "discharged_at": day + pd.Timedelta(hours=32),
            "procedure_group": "hip_replacement",
            "age": 70,
            "sex": "female",
            "consultant": "C1",
            "died_in_hospital": False,
        }
        for day in pd.date_range(first, last)
    ]


def _warehouse(table, hips_to: str, spells_to: str = "2024-03-30"):
    con = ibis.duckdb.connect()
    con.create_table("hip_fractures", table("hip_fractures", _hips("2024-01-01", hips_to)))
    con.create_table("admissions", table("admissions", _spells("2024-01-01", spells_to)))
    return con


def _months(series, metric_id) -> list[str]:
    return [f"{p:%Y-%m}" for p in series[metric_id]["period"]]


def test_a_dataset_a_whole_month_past_the_others_shows_that_month_for_its_measures_only(typed_table):
    con = _warehouse(typed_table, hips_to="2024-04-30")  # hip fractures to 30 April; admissions end 31 March
    series = run_catalogue(con, load_catalogue())
    assert _months(series, "hipfx_surgery_36h") == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert series["hipfx_patients"]["value"].tolist() == [31, 29, 31, 30]
    # The stay is counted from the spell (admissions), which ends in March: it waits for April's.
    assert _months(series, "hipfx_length_of_stay")[-1] == "2024-03"
    assert _months(series, "los_elective_hip_knee") == ["2024-01", "2024-02", "2024-03"]
    found = reaches(con, load_catalogue())
    assert found["hipfx_surgery_36h"].complete_to == T("2024-04-01") and not found["hipfx_surgery_36h"].note
    assert found["los_elective_hip_knee"].complete_to == T("2024-03-01")


def test_a_partial_latest_month_is_left_out_and_named(typed_table):
    con = _warehouse(typed_table, hips_to="2024-04-14")
    series = run_catalogue(con, load_catalogue())
    assert _months(series, "hipfx_surgery_36h")[-1] == "2024-03"  # April is not a point
    reach = reaches(con, load_catalogue())["hipfx_surgery_36h"]
    assert (reach.complete_to, reach.incomplete) == (T("2024-03-01"), T("2024-04-01"))
    assert reach.note == "April 2024 incomplete: data to 14 April"
    so_far = run_catalogue(con, load_catalogue(), partial=True)["hipfx_patients"]
    assert so_far.set_index("period").loc[T("2024-04-01"), "value"] == 14  # its values so far


@pytest.mark.parametrize(
    ("last_day", "complete"),
    [
        ("2024-03-31", True),
        ("2024-03-28", True),  # Easter 2024: Good Friday 29 March, the last working day the 28th
        ("2024-03-27", False),  # four days short
    ],
)
def test_a_month_is_complete_when_the_data_reach_its_last_four_days(last_day, complete, typed_table):
    con = _warehouse(typed_table, hips_to=last_day, spells_to=last_day)
    reach = reaches(con, load_catalogue())["hipfx_surgery_36h"]
    assert reach.complete_to == (T("2024-03-01") if complete else T("2024-02-01"))
    assert (reach.incomplete is None) == complete


def test_an_outcome_waits_for_its_follow_up_past_the_months_end(typed_table):
    """An outside check: March's 30-day deaths and 120-day returns home were charted from data ending
    31 March (ADR 74). Hip fractures to 30 April: 30-day mortality runs to March (30 April is 30 days
    past its end), the rest of the hip-fracture measures to April; April is incomplete, and so named."""
    con = _warehouse(typed_table, hips_to="2024-04-30", spells_to="2024-04-30")
    series = run_catalogue(con, load_catalogue())
    assert _months(series, "hipfx_surgery_36h")[-1] == "2024-04"
    assert _months(series, "hipfx_mortality_30d") == ["2024-01", "2024-02", "2024-03"]
    reach = reaches(con, load_catalogue())["hipfx_mortality_30d"]
    assert (reach.complete_to, reach.incomplete) == (T("2024-03-01"), T("2024-04-01"))
    assert (
        reach.note
        == "April 2024 on incomplete: each needs 30 days' follow-up, and the data run to 30 April 2024"
    )
    # a day short of 30 days past March's end (less the grace for a month's last working days, ADR 29)
    short = reaches(_warehouse(typed_table, hips_to="2024-04-26", spells_to="2024-04-26"), load_catalogue())
    assert short["hipfx_mortality_30d"].complete_to == T("2024-02-01")
    assert short["hipfx_mortality_30d"].note.startswith("March 2024 on incomplete")
    # 120 days: data to 30 April reach no month's end 120 days on, so there is no point yet; with
    # ``partial`` the months so far are there to read
    assert series["hipfx_returned_home_120d"].empty
    so_far = run_catalogue(con, load_catalogue(), partial=True)["hipfx_mortality_30d"]
    assert _months({"m": so_far}, "m")[-1] == "2024-04"


def test_rows_dated_after_today_make_no_month_complete(typed_table):
    """An outside check: theatre lists booked for the coming weeks made the month under way complete,
    and the board was told utilisation fell to 0%. Hip fractures to 30 April, read on 20 April."""
    con = _warehouse(typed_table, hips_to="2024-04-30", spells_to="2024-04-30")
    reach = reaches(con, load_catalogue(), today=T("2024-04-20"))["hipfx_surgery_36h"]
    assert (reach.complete_to, reach.incomplete) == (T("2024-03-01"), T("2024-04-01"))
    assert reach.note == "April 2024 incomplete: data to 20 April"
    assert reaches(con, load_catalogue(), today=T("2024-05-02"))["hipfx_surgery_36h"].complete_to == T(
        "2024-04-01"
    )
