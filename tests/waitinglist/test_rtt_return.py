"""The monthly RTT provider return read as published: the real Dorset County return, and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.waitinglist.rtt_return import (
    BAND_COLUMNS,
    PART_TYPES,
    RttReturnError,
    parse_rtt_return,
)

RTT = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "rtt"
RBD = RTT / "rtt_provider_2024_11_RBD.csv"
runner = CliRunner()


def _table() -> pd.DataFrame:
    return pd.read_csv(RBD, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def rbd():
    return parse_rtt_return(_table(), str(RBD))


def test_the_real_return_is_read_whole(rbd):
    assert str(rbd.month) == "2024-11"
    assert rbd.providers == ("RBD",)
    assert len(rbd.lines) == 512
    assert set(rbd.lines["part"]) == set(PART_TYPES)
    assert len(rbd.treatment_functions) == 19
    assert rbd.treatment_functions["C_110"] == "Trauma and Orthopaedic Service"
    assert rbd.bands.shape == (512, 105)


def test_each_lines_bands_add_up_to_its_own_totals(rbd):
    """Completed parts publish ``Total`` (= bands) and ``Total All`` (= Total + unknown clock starts);
    incomplete parts publish only ``Total All``; new periods have no bands at all."""
    table = _table()
    published_bands = table[list(BAND_COLUMNS)].replace("", np.nan).astype(float).to_numpy()
    sums = np.nansum(published_bands, axis=1)
    parts = table["RTT Part Type"]
    completed = parts.isin(["Part_1A", "Part_1B"]).to_numpy()
    assert np.array_equal(sums[completed], table.loc[completed, "Total"].astype(float).to_numpy())
    banded = ~(parts == "Part_3").to_numpy()
    assert np.array_equal(sums[banded], table.loc[banded, "Total All"].astype(float).to_numpy())
    assert np.isnan(published_bands[~banded]).all()


def test_totals_per_part_equal_the_returns_own_total_column(rbd):
    for part in ("Part_1A", "Part_1B", "Part_2", "Part_2A"):
        for code in rbd.treatment_functions:
            assert rbd.by_week(part, code).sum() == rbd.total(part, code)
    # The published headline figures, read off the file by hand: T&O's waiting list and the trust's.
    assert rbd.total("Part_2", "C_110") == 3439
    assert rbd.total("Part_2", "C_999") == 21702
    assert rbd.total("Part_3", "C_999") == 5003
    with pytest.raises(KeyError, match="no week bands"):
        rbd.by_week("Part_3")


def test_the_all_treatment_function_line_is_the_sum_of_the_others(rbd):
    lines = rbd.lines
    for part in PART_TYPES:
        others = lines[(lines["part"] == part) & (lines["treatment_function"] != "C_999")]
        assert rbd.total(part, "C_999") == others["total_all"].sum()
        if part != "Part_3":
            codes = others["treatment_function"].unique()
            assert np.array_equal(rbd.by_week(part, "C_999"), sum(rbd.by_week(part, c) for c in codes))


def test_missing_week_bands_are_named():
    table = _table().drop(columns=["Gt 52 To 53 Weeks SUM 1", "Gt 104 Weeks SUM 1"])
    with pytest.raises(RttReturnError) as error:
        parse_rtt_return(table, "r.csv")
    message = str(error.value)
    assert "'Gt 52 To 53 Weeks SUM 1', 'Gt 104 Weeks SUM 1' (2 of 105)" in message
    assert "\n" not in message


def test_an_unknown_part_type_is_named_with_its_line():
    table = _table()
    table.loc[6, "RTT Part Type"] = "Part_4"
    with pytest.raises(RttReturnError, match=r"r.csv, line 8, RTT Part Type: 'Part_4' is not a part type"):
        parse_rtt_return(table, "r.csv")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Gt 03 To 04 Weeks SUM 1", "x7", "line 3, Gt 03 To 04 Weeks SUM 1: 'x7' is not a count"),
        ("Gt 03 To 04 Weeks SUM 1", "-1", "line 3, Gt 03 To 04 Weeks SUM 1: '-1' is not a count"),
        # a spreadsheet's rounding (1,234,567 shown in a narrow column), and a programmer's spelling
        ("Total All", "1.23E+06", "line 3, Total All: '1.23E+06' is in scientific notation"),
        ("Gt 03 To 04 Weeks SUM 1", "1_234", "line 3, Gt 03 To 04 Weeks SUM 1: '1_234' is not a count"),
        ("Gt 03 To 04 Weeks SUM 1", "12,34", "line 3, Gt 03 To 04 Weeks SUM 1: '12,34' is not a count"),
        # an outside recheck: a semicolon file's 4.000 (four thousand) had been read as 4
        ("Total All", "4.000", "line 3, Total All: '4.000' groups its thousands with full stops or spaces"),
        ("Total All", "4\u00a0790", "line 3, Total All: '4\\xa0790' groups its thousands"),
        (
            "Total All",
            "\uff14\uff17\uff19\uff10",
            "'\uff14\uff17\uff19\uff10' is not a count (a whole number, 0 or more, in the digits 0-9",
        ),
        ("Total All", "None", "line 3, Total All: 'None' is not a count"),  # text, not a blank
        ("Total All", "x" * 500, "line 3, Total All: '" + "x" * 40 + "…' is not a count"),  # cut, not echoed
        ("Gt 03 To 04 Weeks SUM 1", "", "line 3, Gt 03 To 04 Weeks SUM 1: blank"),
        ("Total All", "", "line 3, Total All: blank"),
        ("Period", "RTT-Nonsember-2024", "Period: 'RTT-Nonsember-2024' is not a return period"),
    ],
)
def test_bad_cells_are_named(column, value, expected):
    table = _table()
    table[column] = table[column].astype(object)
    table.loc[1, column] = value
    if column == "Period":
        table[column] = value
    with pytest.raises(RttReturnError, match=re.escape(expected)):
        parse_rtt_return(table, "r.csv")


def test_the_command_refuses_a_return_missing_bands_and_writes_nothing(tmp_path):
    broken = tmp_path / "return.csv"
    _table().drop(columns=list(BAND_COLUMNS[100:])).to_csv(broken, index=False)
    out = tmp_path / "proj.csv"
    result = runner.invoke(app, ["waitinglist", "weeks", str(broken), "--out", str(out)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "missing week-band columns 'Gt 100 To 101 Weeks SUM 1'" in text and "(5 of 105)" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["return.csv"]


def test_the_command_refuses_an_unknown_part_type(tmp_path):
    broken = tmp_path / "return.csv"
    table = _table()
    table.loc[0, "RTT Part Type"] = "Part_9"
    table.to_csv(broken, index=False)
    result = runner.invoke(app, ["waitinglist", "weeks", str(broken)])
    assert result.exit_code == 2
    assert "line 2, RTT Part Type: 'Part_9' is not a part type" in " ".join(result.output.split())


def test_returns_must_be_consecutive_months(tmp_path):
    later = tmp_path / "jan.csv"
    table = _table()
    table["Period"] = "RTT-January-2025"
    table.to_csv(later, index=False)
    result = runner.invoke(app, ["waitinglist", "weeks", str(RBD), str(later)])
    assert result.exit_code == 2
    assert "skip 2024-12; give consecutive months" in " ".join(result.output.split())


def test_an_unknown_treatment_function_is_named():
    result = runner.invoke(app, ["waitinglist", "weeks", str(RBD), "--treatment-function", "C_999X"])
    assert result.exit_code == 2
    assert "--treatment-function 'C_999X': not in the 2024-11 return" in " ".join(result.output.split())


def test_two_providers_returns_of_one_month_are_refused_for_their_providers(tmp_path):
    """An analyst's check: RBD's and RDZ's returns for November were refused as "is for 2024-11, as
    … is", sending them to check the month; the same file twice read the same."""
    other = tmp_path / "rdz.csv"
    _table().assign(**{"Provider Org Code": "RDZ"}).to_csv(other, index=False)
    said = " ".join(runner.invoke(app, ["waitinglist", "weeks", str(RBD), str(other)]).output.split())
    assert "rdz.csv: is for RDZ" in said and "for RBD; give one provider's returns" in said
    twice = runner.invoke(app, ["waitinglist", "weeks", str(RBD), str(RBD)])
    assert twice.exit_code == 2 and "given twice; give each month's return once" in twice.output
    copy = tmp_path / "copy.csv"
    copy.write_bytes(RBD.read_bytes())
    said = " ".join(runner.invoke(app, ["waitinglist", "weeks", str(RBD), str(copy)]).output.split())
    assert "is for 2024-11, as" in said and "give one return a month" in said


def test_the_guides_worked_capacity_example_is_what_the_command_says():
    """An analyst checking their set-up against the guide found 43.2 and 303.8 there, 42.9 and 300.4
    from the command: the guide's figures are read from it here, so they cannot drift again."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide" / "waitinglist.md").read_text()
    said = " ".join(guide.split())
    first, last = re.search(
        r"65% by September 2025 needs ([\d.]+) extra treatments a week from December 2024, or ([\d.]+) if",
        said,
    ).groups()
    args = ["waitinglist", "capacity", str(RBD), "--treatment-function", "C_110", "--target-pct", "65"]
    result = runner.invoke(app, [*args, "--by", "2025-09"])
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert f": {first} extra treatments a week" in printed and "from 2024-12" in printed
    assert re.search(rf"2025-09 │ +{re.escape(last)} ", result.output)
