"""RTT returns as a trust's analyst keeps them: re-saved by Excel (thousands separators, trailing empty
rows), edited by hand (a blank line), with patients of unknown clock start, or a month lacking a part;
each read as published or refused naming its line (issue 26, an analyst's findings)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic_histories import within_a_month

from stocktake.files.rtt import read_rtt_return, read_rtt_returns, weeks_inputs_from_returns
from stocktake.files.waitinglist import WaitingListInputError

RBD = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "rtt" / "rtt_provider_2024_11_RBD.csv"
T_AND_O = "C_110"


def _table() -> pd.DataFrame:
    return pd.read_csv(RBD, dtype=str, keep_default_na=False)


def _line_of(table: pd.DataFrame, part: str, treatment_function: str = T_AND_O) -> int:
    """The file line (header is line 1) of the part's first line for the treatment function."""
    chosen = (table["RTT Part Type"] == part) & (table["Treatment Function Code"] == treatment_function)
    return int(np.flatnonzero(chosen.to_numpy())[0]) + 2


def test_excels_thousands_separators_and_trailing_rows_read_as_the_published_return(tmp_path):
    table = _table()
    grouped = table.copy()
    for column in [c for c in table.columns if c.startswith("Gt ") or c.startswith("Total")]:
        grouped[column] = table[column].map(lambda v: f"{int(float(v)):,}" if v.strip() else v)
    assert grouped.map(lambda v: "," in v).to_numpy().any()  # some counts are 1,000 or more
    saved = tmp_path / "excel.csv"
    saved.write_text(
        grouped.to_csv(index=False, lineterminator="\r\n") + ",,,,\r\n" * 3, encoding="utf-8-sig"
    )
    published, resaved = read_rtt_return(RBD), read_rtt_return(saved)
    pd.testing.assert_frame_equal(published.lines, resaved.lines)
    np.testing.assert_array_equal(published.bands, resaved.bands)


def test_a_blank_line_is_skipped_and_later_lines_keep_their_numbers(tmp_path):
    table = _table()
    line = _line_of(table, "Part_2")
    table.loc[line - 2, "RTT Part Type"] = "Part_9"
    text = table.to_csv(index=False).splitlines()
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join([*text[:10], "", *text[10:]]) + "\n")  # a blank line 11
    assert line > 11
    with pytest.raises(WaitingListInputError, match=rf"edited.csv, line {line + 1}, RTT Part Type: 'Part_9'"):
        read_rtt_return(edited)


def test_a_total_all_unlike_its_bands_is_refused_by_line(tmp_path):
    table = _table()
    line = _line_of(table, "Part_2")
    total = int(table.loc[line - 2, "Total All"])
    table.loc[line - 2, "Total All"] = str(total + 1000)
    shifted = tmp_path / "shifted.csv"
    table.to_csv(shifted, index=False)
    with pytest.raises(WaitingListInputError) as error:
        read_rtt_return(shifted)
    assert str(error.value) == (
        f"{shifted}, line {line}, Total All: {total + 1000:,}, but the line's week bands and unknown clock "
        f"starts add up to {total:,}; is a column shifted or a cell mistyped?"
    )


def test_patients_of_unknown_clock_start_are_said_to_be_outside_the_list_projected(tmp_path):
    table = _table()
    line = _line_of(table, "Part_2")
    table.loc[line - 2, "Patients with unknown clock start date"] = "25"
    table.loc[line - 2, "Total All"] = str(int(table.loc[line - 2, "Total All"]) + 25)
    path = tmp_path / "unknown.csv"
    table.to_csv(path, index=False)
    published = weeks_inputs_from_returns(read_rtt_returns([RBD]), T_AND_O)
    inputs = weeks_inputs_from_returns(read_rtt_returns([path]), T_AND_O)
    assert inputs.origin.total == published.origin.total  # in no week band
    whole = read_rtt_return(path).total("Part_2", T_AND_O)
    assert (
        f"25 waiting with an unknown clock start (in the return's total of {whole:,.0f})"
        in inputs.calibration
    )
    assert "unknown clock start" not in published.calibration


def _three_months(tmp_path, october_keeps) -> list:
    table = _table()
    paths = []
    for month in ("September", "October", "November"):
        copy = table.assign(Period=f"RTT-{month}-2024")
        if month == "October":
            copy = copy[october_keeps(copy)]
        paths.append(tmp_path / f"{month}.csv")
        copy.to_csv(paths[-1], index=False)
    return paths


def test_a_month_without_its_referrals_is_left_out_of_their_average(tmp_path):
    """Three months of the same return, the middle one without Part_3 at all: referrals are the
    others' (the same each month), not two-thirds of them (each month's at least those within a month
    of referral, which here exceed Part 3's count: ADR 69)."""
    paths = _three_months(tmp_path, lambda t: t["RTT Part Type"] != "Part_3")
    returns = read_rtt_returns(paths)
    inputs = weeks_inputs_from_returns(returns, T_AND_O)
    assert within_a_month(returns[0], T_AND_O) > read_rtt_return(RBD).total("Part_3", T_AND_O)
    others = [within_a_month(returns[k], T_AND_O) for k in (0, 2)]
    assert inputs.referrals == pytest.approx(np.mean(others))
    assert (
        "MISSING for C_110: Part_3 (new RTT periods, so no referrals) in 2024-10: left out of the monthly "
        "averages, taken as 0 by the calibration, its referrals as those waiting or treated within a month "
        "of referral; give the whole return"
    ) in inputs.calibration


def test_a_month_whose_return_has_no_line_for_the_treatment_function_counts_it_as_0(tmp_path):
    """A third outside check: a part absent for one treatment function in every month was "none
    published, taken as 0", but absent in one month only it was left out as unknown, so the other
    months alone set the average. Published returns leave out empty lines: a month whose return
    holds the part for other treatment functions is a true 0 for this one, in the average and said."""
    paths = _three_months(
        tmp_path, lambda t: ~((t["RTT Part Type"] == "Part_3") & (t["Treatment Function Code"] == T_AND_O))
    )
    returns = read_rtt_returns(paths)
    inputs = weeks_inputs_from_returns(returns, T_AND_O)
    # in the average as 0, then raised to those within a month of referral, as every month is (ADR 69)
    assert inputs.referrals == pytest.approx(np.mean([within_a_month(r, T_AND_O) for r in returns]))
    assert f"referrals raised by {inputs.referrals / (409 * 2 / 3) - 1:.0%}" in inputs.calibration
    assert (
        "no Part_3 lines for C_110 in 2024-10 (new RTT periods, so no referrals): none published, taken as 0"
        in inputs.calibration
    )
    assert "MISSING" not in inputs.calibration


def test_returns_that_disagree_month_to_month_are_warned_of_their_large_reneges(tmp_path):
    """The same return under four months: no one moves up a month's wait, which NHSRtt's calibration can
    only read as patients leaving some waits and joining others; the command says the reneges, counted
    both ways, are large and why (net of each other they are small since ADR 69 keeps rates below 0)."""
    from typer.testing import CliRunner

    from stocktake.cli import app

    paths = []
    for month in ("August", "September", "October", "November"):
        paths.append(tmp_path / f"{month}.csv")
        _table().assign(Period=f"RTT-{month}-2024").to_csv(paths[-1], index=False)
    args = ["waitinglist", "weeks", "--treatment-function", T_AND_O, "--months", "3"]
    copied = CliRunner().invoke(app, [*args, *map(str, paths)])
    assert copied.exit_code == 0, copied.output
    said = " ".join(copied.output.split())
    assert re.search(r"Reneges run at \d+% of referrals a month in the calibration, counting both ways", said)
    single = CliRunner().invoke(app, [*args, str(RBD)])
    assert single.exit_code == 0 and "Reneges run at" not in single.output
    # `capacity` on the same returns says so too (an outside check: it answered without a word)
    target = [
        "waitinglist",
        "capacity",
        "--treatment-function",
        T_AND_O,
        "--target-pct",
        "65",
        "--by",
        "2025-09",
    ]
    capacity = CliRunner().invoke(app, [*target, *map(str, paths)])
    assert capacity.exit_code == 0, capacity.output
    assert re.search(r"Reneges run at \d+% of referrals a month", " ".join(capacity.output.split()))
    assert "Reneges run at" not in CliRunner().invoke(app, [*target, str(RBD)]).output


@pytest.mark.parametrize(
    "given", ["C_110", "c_110", "110", "Trauma and Orthopaedic Service", " trauma and orthopaedic service "]
)
def test_a_treatment_function_by_its_code_number_or_name(given):
    inputs = weeks_inputs_from_returns(read_rtt_returns([RBD]), given)
    assert inputs.title == "RBD C_110 Trauma and Orthopaedic Service"


def test_an_unknown_treatment_function_is_refused_with_the_codes_and_names_known():
    with pytest.raises(
        WaitingListInputError, match=r"'X12': not in the 2024-11 return \(it has C_100 \(General"
    ):
        weeks_inputs_from_returns(read_rtt_returns([RBD]), "X12")


def test_two_files_joined_header_and_all_are_named_so(tmp_path):
    """An outside recheck: `cat` of two months' files gave "'Provider Org Code' is not an organisation
    code … is a cell missing or shifted before it?"."""
    table = _table()
    path = tmp_path / "joined.csv"
    path.write_text(table.to_csv(index=False) + table.assign(Period="RTT-October-2024").to_csv(index=False))
    with pytest.raises(
        WaitingListInputError,
        match=rf"joined.csv, line {len(table) + 2}: the header again, so this file joins two returns",
    ):
        read_rtt_return(path)


def test_a_month_written_in_another_case_is_the_same_month(tmp_path):
    table = _table()
    upper = table.assign(Period=[(p.upper(), p, p.lower())[i % 3] for i, p in enumerate(table["Period"])])
    path = tmp_path / "cases.csv"
    upper.to_csv(path, index=False)
    assert str(read_rtt_return(path).month) == "2024-11"


def test_two_months_in_one_file_are_refused_with_the_way_out(tmp_path):
    table = _table()
    both = pd.concat([table, table.assign(Period="RTT-October-2024")])
    path = tmp_path / "two.csv"
    both.to_csv(path, index=False)
    first_october = len(table) + 2  # the header is line 1
    with pytest.raises(
        WaitingListInputError,
        match=rf"two.csv, line {first_october}, Period: 'RTT-October-2024', after 'RTT-November-2024' from "
        r"line 2: holds more than one period .*; give one file a month$",
    ):
        read_rtt_return(path)


def test_a_thousands_comma_without_quotes_names_its_line_and_the_likely_cause(tmp_path):
    """An outsider's hand edit, `3,344` unquoted on one line: refused in the CSV library's words
    ("Error tokenizing data. C error: Expected 121 fields in line 39, saw 122")."""
    table = _table()
    line = _line_of(table, "Part_2")
    lines = RBD.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[line - 1].split(",")
    total = table.columns.get_loc("Total All")
    cells[total] = f"{int(cells[total]) // 1000 + 1},{int(cells[total]) % 1000:03d}"  # as a person types it
    lines[line - 1] = ",".join(cells)
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join(lines) + "\n")
    with pytest.raises(WaitingListInputError) as refused:
        read_rtt_return(edited)
    said = str(refused.value)
    columns = len(table.columns)
    assert said.startswith(f"{edited}, line {line}: {columns + 1} cells where the header has {columns}; ")
    assert 'quote it ("3,344")' in said and "C error" not in said


def test_an_empty_file_says_so(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(WaitingListInputError, match=r"empty\.csv: the file is empty \(no header row\)"):
        read_rtt_return(empty)


def test_a_quote_never_closed_names_its_line(tmp_path):
    """An outside check: pandas' "EOF inside string starting at row 2", a line short of the file's."""
    lines = RBD.read_text(encoding="utf-8-sig").splitlines()
    last = len(lines)  # the header is line 1
    lines[-1] = lines[-1].replace(",", ',"', 1)  # no other quote after it: the file ends inside it
    edited = tmp_path / "quoted.csv"
    edited.write_text("\n".join(lines) + "\n")
    with pytest.raises(WaitingListInputError) as refused:
        read_rtt_return(edited)
    said = str(refused.value)
    assert said.startswith(f'{edited}, line {last}: a quote (") opens a cell and is never closed')


def test_the_reneges_caution_names_months_without_referrals_as_a_cause(tmp_path):
    """A fifth outside check: a month with no referral lines read as reneges of 64% of referrals, and
    the caution blamed "a resubmission, a changed basis" only."""
    from stocktake.cli.waitinglist import RENEGE_WARNING, renege_warning

    assert renege_warning(0.64, False) == RENEGE_WARNING.format(share=0.64)
    said = renege_warning(0.64, True)
    assert said.startswith("Reneges run at 64% of referrals") and said.endswith(
        "; or the months named above without referrals or treatments, which it reads as 0"
    )
    gaps = _three_months(tmp_path, lambda t: t["RTT Part Type"] != "Part_3")
    assert weeks_inputs_from_returns(read_rtt_returns(gaps), T_AND_O).flow_gaps
    assert not weeks_inputs_from_returns(read_rtt_returns([RBD]), T_AND_O).flow_gaps


def _with_cell(tmp_path, column: str, value: str) -> tuple[Path, int]:
    table = _table()
    line = _line_of(table, "Part_2")
    table.loc[line - 2, column] = value
    path = tmp_path / "edited.csv"
    table.to_csv(path, index=False)
    return path, line


def test_an_nhs_number_in_a_week_band_is_refused_without_a_sum_that_gives_it_back(tmp_path):
    """An outside check: the Total All message said the bands add up to 9,434,765,936; less the
    line's 17, the patient's number."""
    path, line = _with_cell(tmp_path, "Gt 00 To 01 Weeks SUM 1", "9434765919")
    with pytest.raises(WaitingListInputError) as refused:
        read_rtt_return(path)
    message = str(refused.value)
    assert f"line {line}, Gt 00 To 01 Weeks SUM 1: '943*******' is more than any list holds" in message
    assert not re.search(r"9[,.]?434|476[,.]?59", message)


@pytest.mark.parametrize(("code", "shown"), [("9434765919", "943*******"), ("110", "110"), ("", "")])
def test_a_line_under_no_treatment_function_code_is_refused(tmp_path, code, shown):
    """An outside check: the C_110 list line with an NHS number for its code was left out unsaid
    (3,422 waiting instead of 3,439)."""
    path, line = _with_cell(tmp_path, "Treatment Function Code", code)
    with pytest.raises(
        WaitingListInputError,
        match=re.escape(
            f"line {line}, Treatment Function Code: '{shown}' is not a treatment function code (like C_110"
        ),
    ):
        read_rtt_return(path)


def test_a_month_without_the_treatment_function_is_named_by_its_file(tmp_path):
    """An analyst's outside check: a run of returns, one month without any T&O line, was refused naming
    the month but not the file, beside every treatment function's code and name."""
    paths = _three_months(tmp_path, lambda t: t["Treatment Function Code"] != T_AND_O)
    with pytest.raises(WaitingListInputError) as refused:
        weeks_inputs_from_returns(read_rtt_returns(paths), T_AND_O)
    assert str(refused.value) == (
        f"{paths[1]}: the 2024-10 return has no lines for --treatment-function C_110, which the 2024-11 "
        "return has; give that month's whole return, or only the months after it"
    )


def test_the_latest_six_months_flows_are_said_beside_the_years_average_held(tmp_path):
    """An outside check: referrals up a fifth over the latest six months left the projection 13% low
    and nothing said so (each replay feeds the months' own flows, so neither can see it). Every new
    period of the latest six returns doubled (each month's referrals are then Part 3's count, above
    those waiting or treated within a month), the latest six's average is said beside the year's."""
    from synthetic_histories import months_of_returns

    paths = months_of_returns(tmp_path, 14)
    steady = weeks_inputs_from_returns(read_rtt_returns(paths), T_AND_O)
    # the same return each month: within a month of referral moves only with the months' days
    assert steady.lately == pytest.approx((steady.referrals, steady.capacity), rel=0.01)
    for path in paths[-6:]:
        table = pd.read_csv(path)
        part_3 = table["RTT Part Type"] == "Part_3"
        table.loc[part_3, "Total All"] *= 2
        table.to_csv(path, index=False, float_format="%.0f")
    doubled = read_rtt_returns(paths)
    raised = weeks_inputs_from_returns(doubled, T_AND_O)
    counted = [r.total("Part_3", T_AND_O) for r in doubled]
    within = [within_a_month(r, T_AND_O) for r in doubled]
    expected = [max(c, w) for c, w in zip(counted, within, strict=True)]
    assert raised.lately[0] == pytest.approx(np.mean(expected[-6:]))
    assert raised.referrals == pytest.approx(np.mean(expected[-12:]))
    assert raised.referrals < raised.lately[0]
    assert raised.lately[1] == pytest.approx(steady.lately[1])  # treatments as they were
    assert (
        read_rtt_returns(paths[:11])
        and weeks_inputs_from_returns(read_rtt_returns(paths[:11]), T_AND_O).lately is None
    )
