"""Returns as a trust gets them from NHS England: the full monthly file (every provider, zipped), the
older format whose bands stop at 52 weeks, and a provider code typed in lower case."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.files.rtt import read_rtt_return
from stocktake.files.waitinglist import WaitingListInputError
from stocktake.waitinglist.rtt_return import BAND_COLUMNS, RttReturnError, parse_rtt_return

RBD = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "rtt" / "rtt_provider_2024_11_RBD.csv"
runner = CliRunner()


def _table() -> pd.DataFrame:
    return pd.read_csv(RBD, dtype=str, keep_default_na=False)


def _other(code: str, rows: int = 30) -> pd.DataFrame:
    other = _table().head(rows).copy()
    other["Provider Org Code"] = code
    return other


def _full_file() -> pd.DataFrame:
    """RBD between two other trusts, one of which has a cell no count could be."""
    broken = _other("RA7")
    broken.loc[broken.index[3], "Gt 03 To 04 Weeks SUM 1"] = "n/a"
    return pd.concat([broken, _table(), _other("RX1")], ignore_index=True)


def _zipped(tmp_path: Path, members: dict[str, pd.DataFrame]) -> Path:
    path = tmp_path / "Full-CSV-data-file-Nov24-ZIP.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in members.items():
            archive.writestr(name, table.to_csv(index=False))
    return path


def _weeks(tmp_path: Path, given: Path, *args: str):
    out = tmp_path / "proj.csv"
    result = runner.invoke(app, ["waitinglist", "weeks", str(given), "--out", str(out), *args])
    return result, " ".join(result.output.split()), out


def test_the_full_file_zipped_reads_as_the_providers_own_return(tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "rbd.csv").write_text(_table().to_csv(index=False))
    expected, _, expected_out = _weeks(alone, alone / "rbd.csv")
    assert expected.exit_code == 0, expected.output

    zipped = _zipped(tmp_path, {"20241130-RTT-November-2024-full-extract.csv": _full_file()})
    result, _, out = _weeks(tmp_path, zipped, "--provider", "rbd")  # typed in lower case

    assert result.exit_code == 0, result.output
    assert out.read_text() == expected_out.read_text()


def test_another_providers_cells_are_not_checked_and_ours_keep_their_file_lines():
    full = _full_file()
    kept = parse_rtt_return(full, "full.csv", provider="RBD")
    assert kept.providers == ("RBD",) and len(kept.lines) == 512

    ours = full.index[full["Provider Org Code"] == "RBD"][5]
    full.loc[ours, "Total All"] = "x"
    with pytest.raises(RttReturnError, match=rf"full.csv, line {ours + 2}, Total All: 'x' is not a count"):
        parse_rtt_return(full, "full.csv", provider="RBD")


def test_a_file_of_many_providers_without_one_chosen_names_a_few_and_counts_the_rest():
    many = pd.concat([_other(f"R{i:02d}", rows=2) for i in range(8)], ignore_index=True)
    with pytest.raises(RttReturnError) as error:
        parse_rtt_return(many, "full.csv")
    message = str(error.value)
    assert "holds the returns of 8 providers (R00 (2 lines), R01 (2 lines)" in message
    assert "R04 (2 lines) and 3 more); the model is one provider's list: give --provider CODE" in message


def test_a_line_with_no_provider_is_named():
    table = _table()
    table.loc[4, "Provider Org Code"] = " "
    with pytest.raises(RttReturnError, match=r"r.csv, line 6, Provider Org Code: blank"):
        parse_rtt_return(table, "r.csv")


def test_a_zip_of_two_csvs_is_refused_by_their_names_and_nothing_written(tmp_path):
    zipped = _zipped(tmp_path, {"a.csv": _table(), "notes/b.csv": _table()})
    result, text, out = _weeks(tmp_path, zipped)
    assert result.exit_code == 2
    assert "a ZIP holding 2 CSV files (a.csv, notes/b.csv); expected one RTT return CSV" in text
    assert not out.exists()


def test_a_damaged_zip_is_said_to_be_damaged(tmp_path):
    zipped = _zipped(tmp_path, {"r.csv": _table()})
    zipped.write_bytes(zipped.read_bytes()[:300])
    with pytest.raises(WaitingListInputError, match=r"\.zip: a damaged or unreadable ZIP"):
        read_rtt_return(zipped)


def test_a_message_from_inside_a_zip_names_the_zip_and_the_csv(tmp_path):
    table = _table()
    table.loc[2, "RTT Part Type"] = "Part_9"
    zipped = _zipped(tmp_path, {"r.csv": table})
    with pytest.raises(WaitingListInputError, match=r"\.zip \(r\.csv\), line 4, RTT Part Type: 'Part_9'"):
        read_rtt_return(zipped)


def test_a_history_given_zipped_is_told_to_unzip_it(tmp_path):
    history = tmp_path / "history.zip"
    with zipfile.ZipFile(history, "w") as archive:
        archive.writestr("history.csv", "month,waiting\n2024-01,10\n")
    result = runner.invoke(app, ["waitinglist", "project", str(history), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "history.zip: a ZIP archive, not a CSV; unzip it and give the CSV inside" in " ".join(
        result.output.split()
    )


def test_the_older_format_with_bands_to_52_weeks_is_named_as_such():
    """Returns of the older format end their bands at "Gt 52 Weeks SUM 1", one count for every wait
    over a year: said as that, not as 52 missing columns."""
    table = _table()
    beyond = list(BAND_COLUMNS[52:])
    counted = table[beyond].replace("", "0").astype(int).sum(axis=1).astype(str)
    older = table.drop(columns=beyond)
    older.insert(older.columns.get_loc("Gt 51 To 52 Weeks SUM 1") + 1, "Gt 52 Weeks SUM 1", counted)
    with pytest.raises(RttReturnError) as error:
        parse_rtt_return(older, "r.csv")
    message = str(error.value)
    assert message.startswith("r.csv: its week bands stop at 'Gt 52 Weeks SUM 1', the older format")
    assert "give returns with bands to 'Gt 104 Weeks SUM 1'" in message
    assert "\n" not in message


# --- what an outside check found (each once silent, or a traceback) ---------------------------------


def test_a_line_of_ours_with_no_provider_code_is_refused_even_with_a_provider_chosen():
    """A blank code on our largest C_110 line had dropped 3,344 patients with --provider: 95 waiting."""
    full = _full_file()
    ours = full.index[(full["Provider Org Code"] == "RBD") & (full["Total All"] == "3344")][0]
    full.loc[ours, "Provider Org Code"] = ""
    with pytest.raises(RttReturnError, match=rf"full.csv, line {ours + 2}, Provider Org Code: blank"):
        parse_rtt_return(full, "full.csv", provider="RBD")


def test_a_quote_left_open_in_another_trusts_line_is_refused_not_read_into_ours(tmp_path):
    """One stray quote in the trust before ours read 104 of our lines into one of its cells."""
    text = _full_file().to_csv(index=False).splitlines()
    before_ours = 31  # RA7's last line (30 lines after the header), just before RBD's first
    text[before_ours - 1] = text[before_ours - 1].replace(",RA7,", ',"RA7,', 1)
    path = tmp_path / "full.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(
        WaitingListInputError, match=rf"full.csv, line {before_ours}: a cell holds a line break"
    ):
        read_rtt_return(path, "RBD")


def test_a_corrupt_zip_is_one_line_not_a_traceback(tmp_path):
    zipped = _zipped(tmp_path, {"r.csv": _full_file()})
    damaged = bytearray(zipped.read_bytes())
    damaged[200:210] = bytes(10)  # inside the compressed data: zlib's "invalid distance"
    zipped.write_bytes(bytes(damaged))
    with pytest.raises(WaitingListInputError) as error:
        read_rtt_return(zipped, "RBD")
    assert "a damaged or unreadable ZIP" in str(error.value) and "\n" not in str(error.value)


def test_a_workbook_is_named_a_workbook_whatever_its_name(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(list(_table().columns))
    for name in ("return.xlsx", "return.zip"):
        book.save(tmp_path / name)
        with pytest.raises(WaitingListInputError, match="a workbook, not a CSV; save the sheet as CSV UTF-8"):
            read_rtt_return(tmp_path / name)


def test_a_macs_own_entries_in_a_zip_are_not_files_of_it(tmp_path):
    zipped = _zipped(tmp_path, {"full.csv": _table(), "__MACOSX/._full.csv": _table().head(1)})
    assert read_rtt_return(zipped).providers == ("RBD",)


def test_an_empty_or_password_protected_zip_is_said_to_be_so(tmp_path):
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(WaitingListInputError, match=r"empty.zip: a ZIP holding no CSV files \(nothing\)"):
        read_rtt_return(empty)
    locked = _zipped(tmp_path, {"r.csv": _table()}).rename(tmp_path / "locked.zip")
    data = bytearray(locked.read_bytes())
    for header, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the encrypted bit, as zip -P sets
        data[data.index(header) + flags] |= 0x1
    locked.write_bytes(bytes(data))
    with pytest.raises(WaitingListInputError, match=r"locked.zip: r.csv is password-protected; unzip it"):
        read_rtt_return(locked)


def test_new_bands_past_52_weeks_beside_the_old_open_band_are_missing_columns_not_the_old_format():
    table = _table().drop(columns=list(BAND_COLUMNS[78:]))
    table["Gt 52 Weeks SUM 1"] = "0"
    with pytest.raises(RttReturnError, match=r"missing week-band columns .* \(27 of 105\)"):
        parse_rtt_return(table, "r.csv")


def test_a_provider_code_in_another_case_inside_the_file_is_the_same_provider():
    table = _table()
    table.loc[table["RTT Part Type"] == "Part_2", "Provider Org Code"] = "rbd"
    read = parse_rtt_return(table, "r.csv")
    assert read.providers == ("RBD",) and len(read.lines) == 512


def test_a_line_whose_provider_code_is_no_code_is_refused_not_left_out():
    """A re-check: a trust's name where our largest line's code should be, and --provider RBD kept the
    rest: 1,134 waiting of 21,702."""
    full = _full_file()
    ours = full.index[(full["Provider Org Code"] == "RBD") & (full["Total All"] == "20568")][0]
    full.loc[ours, "Provider Org Code"] = "DORSET COUNTY HOSPITAL NHS FOUNDATION TRUST"
    with pytest.raises(RttReturnError, match=rf"line {ours + 2}, Provider Org Code: 'DORSET COUNTY HOSPITAL"):
        parse_rtt_return(full, "f.csv", provider="RBD")


@pytest.mark.parametrize("left_out", [",QVV,", ",QVV,NHS DORSET INTEGRATED CARE BOARD,"])
def test_a_line_one_or_two_cells_short_anywhere_is_refused_whoever_it_belongs_to(left_out):
    """A third check: two cells left out before the code put a commissioner's code (QVV) where the
    provider's was, which passed as another provider: 1,134 waiting of 21,702. Every line has a Total
    All, the last cell: a short line leaves it blank, and is refused."""
    text = _full_file().to_csv(index=False).splitlines()
    ours = next(i for i, line in enumerate(text) if ",RBD," in line and ",Part_2," in line)
    text[ours] = text[ours].replace(left_out, ",", 1)
    table = pd.read_csv(io.StringIO("\n".join(text)), dtype=str, keep_default_na=False)
    with pytest.raises(RttReturnError, match=rf"line {ours + 1}, (Total All: blank|Provider Org Code)"):
        parse_rtt_return(table, "f.csv", provider="RBD")
    theirs = next(i for i, line in enumerate(text) if ",RX1," in line)  # another trust's: refused too
    text = _full_file().to_csv(index=False).splitlines()
    text[theirs] = text[theirs].replace(",QVV,", ",", 1).replace(",RX1,", ",RX1,", 1)
    table = pd.read_csv(io.StringIO("\n".join(text)), dtype=str, keep_default_na=False)
    with pytest.raises(RttReturnError, match="another provider's line"):
        parse_rtt_return(table, "f.csv", provider="RBD")


@pytest.mark.parametrize("command", ["weeks", "capacity"])
def test_a_treatment_function_with_no_one_waiting_is_refused_not_met(tmp_path, command):
    """An outside check: a treatment function whose counts are all 0 gave a 92nd percentile of "nan"
    (`weeks`) and "met without extra capacity (100.0% within 18 weeks …)" of no one (`capacity`)."""
    table = pd.read_csv(RBD, dtype=str, keep_default_na=False)
    counts = [c for c in table.columns if c.startswith("Gt ") or c == "Total" or c == "Total All"]
    chosen = table["Treatment Function Code"] == "C_110"
    table.loc[chosen, counts] = "0"
    path = tmp_path / "zeros.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    extra = ["--months", "3"] if command == "weeks" else ["--target-pct", "65", "--by", "2025-09"]
    result = runner.invoke(
        app,
        ["waitinglist", command, str(path), "--treatment-function", "C_110", *extra, "--out", str(out)],
    )
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "--treatment-function C_110 (Trauma and Orthopaedic Service): no one waiting" in said
    assert not out.exists()


def test_headers_in_any_case_or_spacing_are_the_published_ones():
    """An outside check: `PERIOD`, `treatment function code` and `GT 00 TO 01 WEEKS SUM 1` were
    refused as missing, where a history's names are read in any case."""
    table = _table()
    shouted = table.set_axis(
        [c.upper() if i % 2 else f" {c.lower()}  " for i, c in enumerate(table.columns)], axis=1
    )
    read = parse_rtt_return(table, "rbd.csv")
    again = parse_rtt_return(shouted, "shouted.csv")
    assert again.month == read.month and again.treatment_functions == read.treatment_functions
    for part in read.parts:
        assert again.total(part, "C_110") == read.total(part, "C_110")
    assert (again.bands == read.bands)[~pd.isna(read.bands)].all()
    twice = pd.concat([table, table[["Total"]].set_axis(["TOTAL"], axis=1)], axis=1)
    with pytest.raises(RttReturnError, match="more than one column named 'Total' \\(in any case\\)"):
        parse_rtt_return(twice, "twice.csv")
