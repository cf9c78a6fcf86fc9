"""The contract checker on hand-made rotas: one breach per rule, and rotas sitting exactly on each limit."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from stocktake.rota.check import check_rota, weekend_band
from stocktake.rota.duties import Duty, break_starts
from stocktake.rota.rules import RULES, Limits

MONDAY = datetime(2025, 8, 4)


def shift(day: int, start: float, hours: float, doctor: str = "dr_a") -> Duty:
    begin = MONDAY + timedelta(days=day, hours=start)
    return Duty(doctor, begin, begin + timedelta(hours=hours))


def on_call(day: int, hours: float = 24, expected: float = 8, start: float = 9, episodes=None) -> Duty:
    begin = MONDAY + timedelta(days=day, hours=start)
    return Duty(
        "dr_a", begin, begin + timedelta(hours=hours), "on_call", expected, expected_episodes=episodes
    )


def with_breaks(duty: Duty, *times: str) -> Duty:
    return replace(duty, breaks=break_starts(duty.start, [time.fromisoformat(t) for t in times]))


def low_weekend(expected: float = 3, episodes: float | None = 3) -> list[Duty]:
    """Saturday and Sunday of the first weekend on a non-resident on call, 08:00 to 08:00."""
    return [on_call(d, expected=expected, start=8, episodes=episodes) for d in (5, 6)]


def rules(duties, period=(date(2025, 8, 4), date(2025, 8, 31)), published=None, **limits) -> list[str]:
    return [b.rule for b in check_rota(duties, Limits(**limits), period, published).breaches]


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
        ([*days(*range(5)), *low_weekend(expected=8), *days(7)], "R5"),  # on call counts: eight days in a row
        ([*days(0, 1, 2, 3, 4), *low_weekend(expected=3.5), *days(7)], "R5"),  # not low: 3.5 h expected
        ([*days(0, 1, 2, 3, 4), *low_weekend(episodes=None), *days(7)], "R5"),  # episodes not known
        ([*days(*range(5)), *low_weekend(), *days(*range(7, 13))], "R5a"),  # thirteen days
        ([*days(*range(5)), *low_weekend(), *days(*range(7, 12)), shift(13, 15, 8)], "R5a"),  # 46 h rest
        ([with_breaks(shift(0, 8, 9), "08:30")], "R17"),  # a break in the first hour does not count
        ([with_breaks(shift(0, 8, 10), "12:00", "12:15")], "R17"),  # overlapping breaks count once
        ([with_breaks(shift(0, 8, 10), "12:00", "17:30")], "R17"),  # one in the last hour
        ([with_breaks(shift(0, 8, 6))], "R17"),  # none rostered in a 6 h shift
        ([with_breaks(shift(0, 20, 12.5), "23:00", "03:00")], "R17b"),  # a 12.5 h night with two
    ],
)
def test_each_rule_catches_its_breach(duties, rule):
    assert rule in rules(duties)


def test_low_intensity_weekend_on_call_allows_twelve_days_then_48_hours_rest():
    twelve = [*days(*range(5)), *low_weekend(), *days(*range(7, 12))]  # Mon to Fri of the next week
    two_of_four = {"check_one_in_three_weekends": False}
    assert rules([*twelve, shift(13, 16, 8)], **two_of_four) == []  # Fri 16:00 to Sun 16:00: exactly 48 h
    assert rules([*twelve, shift(13, 15, 8)], **two_of_four) == ["R5a"]


def test_rest_after_a_run_is_measured_from_the_end_of_its_last_duty_that_day():
    # Seven days, the seventh with an evening on call to 08:00 on day 7: 48 h from then is 08:00 day 9.
    seven = [*days(*range(7), start=8, hours=8), on_call(6, hours=15, expected=4, start=17)]
    assert rules([*seven, shift(9, 8, 8)]) == []
    assert rules([*seven, shift(9, 7, 8)]) == ["R5"]


def test_less_than_full_time_hours_are_pro_rata_and_the_rule_can_be_switched_off():
    forty = [shift(d, 8, 10) for d in range(28) if d % 7 < 4]  # 40 h a week
    part_time = (("dr_a", 0.8),)  # 38.4 h
    assert rules(forty, wte=part_time) == ["R18"]
    assert rules(forty, wte=part_time, check_pro_rata_hours=False) == []
    assert rules(forty, wte=(("dr_a", 10 / 12),)) == []  # exactly 40 h pro rata
    assert not RULES["R18"].verified


def test_notice_of_the_rota_is_at_least_six_weeks_and_unchecked_without_a_date():
    rota = days(0)
    assert rules(rota, published=MONDAY.date() - timedelta(days=41)) == ["R19"]
    assert rules(rota, published=MONDAY.date() - timedelta(days=42)) == []
    unchecked = dict(check_rota(rota).unchecked)
    assert {"R16a", "R17", "R19", "R20"} <= set(unchecked)
    assert "R19" not in dict(check_rota(rota, published=date(2025, 6, 1)).unchecked)
    assert "R17" not in dict(check_rota([with_breaks(shift(0, 8, 4))]).unchecked)


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
        [*days(*range(5)), *low_weekend(), *days(*range(7, 12))],  # R5a: twelve days, on the limits
        [with_breaks(shift(0, 8, 9), "09:00")],  # 9 h: one break, starting right after the first hour
        [with_breaks(shift(0, 8, 10), "09:00", "16:30")],  # two, the second ending as the last hour begins
        [with_breaks(shift(0, 8, 5))],  # 5 h: no break owed
        [with_breaks(shift(0, 20, 12), "22:00", "01:00", "04:00")],  # a 12 h night with three
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
    assert summary.night_hours == pytest.approx(24)  # each 21:00–09:00 night: 12 h, all before 10:00
    assert summary.weekend_frequency == "1 in 2.0"
    assert weekend_band(2, 4).startswith("10%") and weekend_band(1, 8).startswith("3%")


@pytest.mark.parametrize(
    ("start", "hours", "enhanced"),
    [
        (8, 9, 0),  # 08:00–17:00: no night hours
        (14, 10, 10),  # 14:00–00:00: ends at midnight, within 00:00–04:00, so the whole 10 h
        (15, 10, 10),  # 15:00–01:00: ends 00:00–04:00, the whole shift
        (13, 10, 2),  # 13:00–23:00: 21:00–23:00 only
        (20, 12, 12),  # 20:00–08:00: 8 h or more from 20:00, every hour (20:00–21:00 too)
        (22, 12.5, 12),  # 22:00–10:30: every hour up to 10:00
        (20, 7, 7),  # 20:00–03:00: under 8 h, but it ends 00:00–04:00: the whole 7 h
        (19, 12, 10),  # 19:00–07:00: starts before 20:00: 21:00–07:00
        (6, 8, 1),  # 06:00–14:00: 06:00–07:00
    ],
)
def test_night_enhancement_hours(start, hours, enhanced):
    from stocktake.rota.check import night_enhanced_hours

    assert night_enhanced_hours(shift(0, start, hours)) == pytest.approx(enhanced)


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


def test_the_command_reads_breaks_episodes_wte_and_notice_and_lists_every_rule(tmp_path):
    import openpyxl
    from typer.testing import CliRunner

    from stocktake.cli import app

    rota = tmp_path / "rota.csv"
    rota.write_text(
        "doctor,start,end,kind,expected_hours,expected_episodes,breaks\n"
        "dr_a,2025-08-04 08:00,2025-08-04 18:00,shift,,,12:00;15:00\n"
        "dr_a,2025-08-05 20:00,2025-08-06 08:30,shift,,,none\n"
        "dr_b,2025-08-04 09:00,2025-08-05 09:00,on_call,3,2,\n"
    )
    out = tmp_path / "findings.xlsx"
    args = [
        "rota",
        "check",
        str(rota),
        "--out",
        str(out),
        "--wte",
        "dr_a=0.2",
        "--published-on",
        "2025-07-01",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "dr_a 2025-08-05 R17" in output and "0 break(s) of 30 min" in output
    assert "dr_a 2025-08-04 R18" in output  # 22.5 h over one week, above 48 h x 0.2
    assert "dr_a 2025-08-04 R19" in output  # 34 days' notice
    assert "not checked: R16a" in output and "not checked: R17 " not in output
    sheet = openpyxl.load_workbook(out)["Rules"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(RULES)
    assert rows["R17"][5] == 1 and rows["R17"][6] == "yes"
    assert rows["R20"][6].startswith("no: ")


def test_a_bad_break_time_names_row_and_column(tmp_path):
    from stocktake.rota.duties import RotaInputError, read_rota

    rota = tmp_path / "rota.csv"
    rota.write_text("doctor,start,end,kind,breaks\ndr_a,2025-08-04 08:00,2025-08-04 18:00,shift,noon\n")
    with pytest.raises(
        RotaInputError, match=r"row 2, column breaks: 'noon' is not start times like 12:30;16:00"
    ):
        read_rota(rota)


def test_durations_and_rest_are_real_hours_across_the_clock_changes():
    def duty(start: str, end: str) -> Duty:
        return Duty("dr_a", datetime.fromisoformat(start), datetime.fromisoformat(end))

    october = (date(2026, 10, 19), date(2026, 11, 1))  # the clocks go back at 02:00 on Sunday 25 October
    march = (date(2026, 3, 23), date(2026, 4, 5))  # and forward at 01:00 on Sunday 29 March
    quiet = {"check_one_in_three_weekends": False}
    assert rules([duty("2026-10-24 20:00", "2026-10-25 08:30")], october, **quiet) == ["R3"]  # 13.5 h
    assert rules([duty("2026-10-17 20:00", "2026-10-18 08:30")], october, **quiet) == []  # 12.5 h
    rest = [duty("2026-03-28 10:00", "2026-03-28 22:00"), duty("2026-03-29 09:00", "2026-03-29 17:00")]
    assert rules(rest, march, **quiet) == ["R4"]  # 10 h of real rest; 11 on the clock
    summary = check_rota([duty("2026-03-28 20:00", "2026-03-29 08:00")], Limits(), march).doctors[0]
    assert summary.average_weekly_hours == pytest.approx(11 / 2)


def test_notice_is_owed_before_the_rota_starts_not_before_a_doctors_first_duty():
    # The rota starts Mon 4 Aug 2025; published 24 Jun, 41 days before. dr_b's first duty is Wed
    # 6 Aug (43 days), the days before being leave: the notice still falls short, from 4 Aug.
    rota = [shift(0, 8, 8), shift(2, 8, 8, doctor="dr_b")]
    found = check_rota(rota, Limits(), (date(2025, 8, 4), date(2025, 8, 31)), date(2025, 6, 24)).breaches
    notice = {(b.doctor, b.date) for b in found if b.rule == "R19"}
    assert notice == {("dr_a", date(2025, 8, 4)), ("dr_b", date(2025, 8, 4))}
    assert rules(rota[1:], published=date(2025, 6, 23)) == []  # exactly 42 days before 4 Aug


def test_a_period_of_part_of_a_week_is_averaged_over_whole_weeks_and_says_so():
    # Monday to Friday, 9 h a day: 45 h in the week, not 45 h over 5/7 of a week (63 h, an R1 breach).
    weekdays = days(0, 1, 2, 3, 4, hours=9)
    result = check_rota(weekdays, Limits(), (date(2025, 8, 4), date(2025, 8, 8)))
    assert result.doctors[0].average_weekly_hours == pytest.approx(45)
    assert result.period == (date(2025, 8, 4), date(2025, 8, 10))
    assert [b.rule for b in result.breaches] == []
    assert result.warnings == (
        "the rota's period, 2025-08-04 to 2025-08-08, is 5 days; weekly hours are averaged over whole "
        "weeks, so over 2025-08-04 to 2025-08-10 (1 week)",
    )
    assert check_rota(weekdays, Limits(), (date(2025, 8, 4), date(2025, 8, 10))).warnings == ()


def test_options_naming_no_doctor_are_refused_and_case_is_ignored_with_a_note():
    from stocktake.rota.check import limits_for
    from stocktake.rota.duties import RotaInputError

    doctors = ("dr_a", "dr_b")
    limits, notes = limits_for(doctors, (), ["DR_A=80%"], ["Dr_B"])
    assert limits.wte == (("dr_a", 0.8),) and limits.opted_out == {"dr_b"}
    assert notes == [
        "--wte DR_A=80%: taken as dr_a (names are matched ignoring case)",
        "--opted-out Dr_B: taken as dr_b (names are matched ignoring case)",
    ]
    with pytest.raises(
        RotaInputError, match=r"--wte dr_x=0.8: no doctor 'dr_x' in the rota \(its doctors: dr_a, dr_b\)"
    ):
        limits_for(doctors, (), ["dr_x=0.8"])
    with pytest.raises(RotaInputError, match=r"--opted-out drb: no doctor 'drb'"):
        limits_for(doctors, (), (), ["drb"])
    with pytest.raises(RotaInputError, match=r"--wte 'dr_a=8': '8' is not a whole-time equivalent"):
        limits_for(doctors, (), ["dr_a=8"])


def test_an_opted_out_doctor_named_in_another_case_gets_the_56_hour_cap(tmp_path):
    from typer.testing import CliRunner

    from stocktake.cli import app

    # dr_a: 10 h a day Monday to Friday, 50 h a week: above 48 h, within the opted-out 56 h.
    rota = tmp_path / "rota.csv"
    rota.write_text(
        "doctor,start,end,kind\n"
        + "".join(f"dr_a,2025-08-{d:02d} 08:00,2025-08-{d:02d} 18:00,shift\n" for d in range(4, 9))
    )
    plain = CliRunner().invoke(app, ["rota", "check", str(rota), "--no-one-in-three"])
    assert "R1 average weekly hours: 50.0 h a week on average (limit 48 h)" in plain.output
    opted = CliRunner().invoke(app, ["rota", "check", str(rota), "--opted-out", "DR_A", "--no-one-in-three"])
    assert opted.exit_code == 0, opted.output
    assert "taken as dr_a" in " ".join(opted.output.split())
    unknown = CliRunner().invoke(app, ["rota", "check", str(rota), "--wte", "dr_b=0.8"])
    assert unknown.exit_code == 2
    assert "--wte dr_b=0.8: no doctor 'dr_b' in the rota (its doctors: dr_a)" in " ".join(
        unknown.output.split()
    )


@pytest.mark.parametrize(
    ("start", "end", "hours", "warning"),
    [
        # The clocks go forward at 01:00 on 29 March 2026: 01:30 never happens; read as 02:30 BST.
        ("2026-03-29 01:30", "2026-03-29 09:00", 6.5, "2026-03-29 01:30 (dr_a) does not exist in the UK"),
        # They go back at 02:00 on 25 October 2026: 01:30 happens twice; read as the first (BST).
        ("2026-10-25 01:30", "2026-10-25 09:00", 8.5, "2026-10-25 01:30 (dr_a) happens twice in the UK"),
    ],
)
def test_times_that_the_clock_change_skips_or_repeats_are_warned_of(start, end, hours, warning):
    duty = Duty("dr_a", datetime.fromisoformat(start), datetime.fromisoformat(end))
    assert duty.span_hours == pytest.approx(hours)
    (found,) = check_rota([duty]).warnings
    assert found.startswith(warning)
    assert check_rota([Duty("dr_a", datetime(2026, 10, 25, 2), datetime(2026, 10, 25, 9))]).warnings == ()


def test_duty_times_may_be_written_without_a_leading_zero(tmp_path):
    from stocktake.rota.duties import read_rota

    rota = tmp_path / "rota.csv"
    rota.write_text("doctor,start,end,kind,breaks\ndr_a,2025-08-04 8:00,2025-08-04 18:00,shift,12:30;1600\n")
    (duty,) = read_rota(rota)
    assert duty.start == datetime(2025, 8, 4, 8)
    assert duty.breaks == (datetime(2025, 8, 4, 12, 30), datetime(2025, 8, 4, 16))
