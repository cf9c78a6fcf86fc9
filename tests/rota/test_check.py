"""The contract checker on hand-made rotas: one breach per rule, and rotas sitting exactly on each limit."""

from datetime import date, datetime, timedelta

import pytest

from stocktake.rota.check import Limits, check_rota, weekend_band
from stocktake.rota.duties import Duty

MONDAY = datetime(2025, 8, 4)


def shift(day: int, start: float, hours: float, doctor: str = "dr_a") -> Duty:
    begin = MONDAY + timedelta(days=day, hours=start)
    return Duty(doctor, begin, begin + timedelta(hours=hours))


def on_call(day: int, hours: float = 24, expected: float = 8, start: float = 9) -> Duty:
    begin = MONDAY + timedelta(days=day, hours=start)
    return Duty("dr_a", begin, begin + timedelta(hours=hours), "on_call", expected)


def rules(duties, period=(date(2025, 8, 4), date(2025, 8, 31)), **limits) -> list[str]:
    return [b.rule for b in check_rota(duties, Limits(**limits), period).breaches]


def days(*numbers, start=8, hours=8):
    return [shift(d, start, hours) for d in numbers]


@pytest.mark.parametrize(
    ("duties", "rule"),
    [
        (days(0, start=8, hours=13.5), "R3"),
        ([shift(0, 8, 12), shift(1, 6, 8)], "R4"),  # 20:00 to 06:00: 10 h rest
        (days(*range(8)), "R5"),  # eight shifts in a row
        ([*days(*range(7)), shift(8, 7, 8)], "R5"),  # seven, then 07:00 two days later: 47 h rest
        (days(*range(5), hours=10.5), "R6"),  # five long days
        ([shift(d, 21, 10) for d in range(5)], "R9"),  # five nights
        ([shift(0, 21, 10), shift(2, 8, 8)], "R10"),  # one night, then 24 h rest
        (days(*range(6), start=7, hours=12.5), "R2"),  # 75 h in six days
        ([on_call(0, hours=25)], "R12"),
        ([on_call(0), on_call(1)], "R13"),
        ([on_call(0), on_call(2), on_call(4), on_call(6)], "R14"),
        ([on_call(0), shift(1, 9, 10.5)], "R15"),
        ([on_call(0, expected=17)], "R16"),
        ([shift(d, 8, 12) for d in range(28) if d % 7 in (0, 1, 2, 3)] + days(4, 11, 18, 25, hours=4), "R1"),
    ],
)
def test_each_rule_catches_its_breach(duties, rule):
    assert rule in rules(duties)


def test_more_than_one_weekend_in_two_breaks_the_absolute_limit():
    assert rules(days(5, 12, 19)) == ["R11"]  # three of four weekends


def test_one_in_two_is_reported_as_the_unverified_one_in_three_design_limit_and_can_be_switched_off():
    weekends = days(5, 19)
    assert rules(weekends) == ["R11b"]
    assert rules(weekends, check_one_in_three_weekends=False) == []
    breach = check_rota(weekends, Limits(), (date(2025, 8, 4), date(2025, 8, 31))).breaches[0]
    assert not breach.detail.verified and "unverified" in breach.limit


@pytest.mark.parametrize(
    "duties",
    [
        days(0, start=8, hours=13),  # exactly 13 h
        [shift(0, 8, 12), shift(1, 7, 8)],  # exactly 11 h rest
        [*days(*range(7)), shift(8, 16, 8)],  # seven shifts ending 16:00 Sun, next at 16:00 Tue: exactly 48 h
        [*days(*range(4), hours=11), shift(6, 7, 8)],  # four long days (19:00 end), then 60 h rest
        [shift(d, 21, 10) for d in range(4)] + [shift(6, 5, 8)],  # four nights ending 07:00 Fri, then 46 h
        [shift(0, 21, 10), shift(3, 5, 8)],  # one night ending 07:00 Tue, next start 05:00 Thu: exactly 46 h
        [*days(*range(6), hours=10), shift(6, 7, 12)],  # exactly 72 h in 168, one long shift
        [on_call(5), on_call(6)],  # Saturday and Sunday on call
        [on_call(0, expected=16)],  # exactly 16 h expected work in 24 h
        [on_call(0), shift(1, 9, 10)],  # 10 h the day after on-call
    ],
)
def test_a_rota_exactly_on_each_limit_is_compliant(duties):
    assert rules(duties, check_one_in_three_weekends=False) == []


def test_breach_names_doctor_date_finding_and_limit():
    breach = check_rota([shift(0, 8, 12), shift(1, 6, 8)]).breaches[0]
    assert (breach.doctor, breach.date, breach.rule) == ("dr_a", date(2025, 8, 5), "R4")
    assert breach.found == "10 h rest before this shift" and breach.limit == "11 h"
    assert breach.detail.source.startswith("TCS 2016")


def test_summary_hours_weekends_and_nights():
    rota = [shift(d, 21, 12) for d in (0, 1)] + days(5, 12)
    summary = check_rota(rota, period=(date(2025, 8, 4), date(2025, 8, 31))).doctors[0]
    assert summary.average_weekly_hours == pytest.approx((24 + 16) / 4)
    assert (summary.weekends_worked, summary.weekends, summary.nights) == (2, 4, 2)
    assert summary.night_hours == pytest.approx(20)  # 21:00–07:00 of each 21:00–09:00 night
    assert summary.weekend_frequency == "1 in 2.0"
    assert weekend_band(2, 4).startswith("10%") and weekend_band(1, 8).startswith("3%")


def test_on_call_counts_its_expected_work_spread_over_the_period():
    rota = [*days(0, 1, 2, 3, start=8, hours=12), on_call(4, hours=24, expected=30, start=8)]
    assert "R2" in rules(rota)  # 48 h of shifts + 30 h expected on call = 78 h in 168


def test_the_command_reads_csv_and_writes_xlsx(tmp_path):
    import openpyxl
    from typer.testing import CliRunner

    from stocktake.cli import app

    rota = tmp_path / "rota.csv"
    rota.write_text(
        "doctor,start,end,kind,expected_hours\n"
        "dr_a,2025-08-04 08:00,2025-08-04 20:00,shift,\n"
        "dr_a,2025-08-05 06:00,2025-08-05 14:00,shift,\n"
        "dr_b,2025-08-04 09:00,2025-08-05 09:00,on_call,6\n"
    )
    out = tmp_path / "findings.xlsx"
    result = CliRunner().invoke(app, ["rota", "check", str(rota), "--out", str(out)])
    assert result.exit_code == 1  # a breach was found
    assert "dr_a 2025-08-05 R4 rest between shifts: 10 h rest before this shift (limit 11 h)" in result.output
    sheet = openpyxl.load_workbook(out)["Breaches"]
    assert [c.value for c in sheet[2]][:3] == ["dr_a", "2025-08-05", "R4"]


def test_a_bad_rota_file_names_row_and_column(tmp_path):
    from typer.testing import CliRunner

    from stocktake.cli import app

    rota = tmp_path / "rota.csv"
    rota.write_text("doctor,start,end,kind,expected_hours\ndr_a,2025-08-04 08:00,tomorrow,shift,\n")
    result = CliRunner().invoke(app, ["rota", "check", str(rota)])
    assert result.exit_code == 2
    assert "row 2, column end: 'tomorrow' is not a date and time" in " ".join(result.output.split())
