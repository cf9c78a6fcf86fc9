"""`stocktake spc` on files as people save them: each messy file gives exactly the points and summary
its clean file gives, and says what was guessed in one line; `--strict` reads as before.

The clean file is a weekly (or monthly) series in two facets with ISO dates and plain numbers; each
messy file is the same table saved another way, so the clean file's output is the independent truth.
"""

import csv
import io
from datetime import date, datetime, timedelta

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()
WEEKS = [date(2023, 1, 2) + timedelta(weeks=i) for i in range(30)]
MONTHS = [date(2021 + (3 + i) // 12, (3 + i) % 12 + 1, 1) for i in range(24)]  # April 2021 onwards


def _series(days) -> list[list]:
    """Two facets; values in the thousands (so a separator shows) with a shift half way."""
    rows = [["week", "site", "n"]]
    for facet, base in (("North", 1200), ("Café", 2400)):
        rows += [
            [d, facet, base + (i * 37) % 90 + (150 if i >= len(days) // 2 else 0)] for i, d in enumerate(days)
        ]
    return rows


def _csv(rows, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _text(rows, day=date.isoformat, number=str) -> list[list[str]]:
    return [rows[0]] + [[day(d), facet, number(n)] for d, facet, n in rows[1:]]


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _parquet(rows) -> bytes:
    frame = pd.DataFrame(rows[1:], columns=rows[0]).assign(week=lambda f: pd.to_datetime(f["week"]))
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


def _serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


WEEKLY, MONTHLY = _series(WEEKS), _series(MONTHS)
PLAIN = _text(WEEKLY)
TOTAL = sum(n for _, _, n in WEEKLY[1:])
#: name → (clean rows, the messy file's name and bytes, extra arguments, what the line says, strict refuses)
CASES = {
    "windows-1252": (PLAIN, ("in.csv", _csv(PLAIN, encoding="cp1252")), [], "read as Windows-1252", True),
    "utf-16, tab": (
        PLAIN,
        ("in.csv", _csv(PLAIN, "\t", "utf-16")),
        [],
        "read as UTF-16, tab-delimited",
        True,
    ),
    "semicolons": (PLAIN, ("in.csv", _csv(PLAIN, ";")), [], "';'-delimited", False),
    "tabs": (PLAIN, ("in.csv", _csv(PLAIN, "\t")), [], "tab-delimited", False),
    "1,234": (PLAIN, ("in.csv", _csv(_text(WEEKLY, number="{:,}".format))), [], "thousands separators", True),
    "£2,100.00": (
        _text(WEEKLY, number="{:.2f}".format),
        ("in.csv", _csv(_text(WEEKLY, number="£{:,.2f}".format))),
        [],
        "thousands separators, £ signs",
        True,
    ),
    "45%": (  # a chart of a percentage in percentage points, as typed
        _text(WEEKLY, number=lambda n: f"{n / 100:g}"),
        ("in.csv", _csv(_text(WEEKLY, number=lambda n: f"{n / 100:g}%"))),
        [],
        "% signs (45% is 45)",
        True,
    ),
    "header case": (
        PLAIN,
        ("in.csv", _csv([["WEEK", "Site ", " N"], *PLAIN[1:]])),
        [],
        "headers in another case or spacing (WEEK, N, Site)",
        True,
    ),
    "3/3/22": (
        PLAIN,
        ("in.csv", _csv(_text(WEEKLY, day=lambda d: f"{d.day}/{d.month}/{d:%y}"))),
        [],
        "dates day-first",
        True,
    ),
    "03-Mar-2022": (
        PLAIN,
        ("in.csv", _csv(_text(WEEKLY, day=lambda d: f"{d:%d-%b-%Y}"))),
        [],
        "dates with month names",
        True,
    ),
    "Apr-23": (
        _text(MONTHLY),
        ("in.csv", _csv(_text(MONTHLY, day="{:%b-%y}".format))),
        [],
        "month labels",
        True,
    ),
    "April 2023": (
        _text(MONTHLY),
        ("in.csv", _csv(_text(MONTHLY, day="{:%B %Y}".format))),
        [],
        "month labels",
        True,
    ),
    "2023-04": (
        _text(MONTHLY),
        ("in.csv", _csv(_text(MONTHLY, day="{:%Y-%m}".format))),
        [],
        "month labels",
        False,
    ),
    "Excel serial dates": (
        PLAIN,
        ("in.xlsx", _workbook({"Data": [WEEKLY[0]] + [[_serial(d), f, n] for d, f, n in WEEKLY[1:]]})),
        [],
        "Excel serial dates",
        True,
    ),
    "title rows, second sheet": (
        PLAIN,
        ("in.xlsx", _workbook({"About": [["Notes"]], "Weekly": [["Weekly counts"], [], *WEEKLY]})),
        [],
        "sheet 'Weekly', title rows 1–2 skipped",
        True,
    ),
    "title rows in a CSV": (
        PLAIN,
        ("in.csv", _csv([["Weekly counts", "", ""], *PLAIN])),
        [],
        "title row 1",
        True,
    ),
    ".CSV": (PLAIN, ("IN.CSV", _csv(PLAIN)), [], "", False),
    "a totals row": (
        PLAIN,
        ("in.csv", _csv([*PLAIN, ["Total", "", str(TOTAL)]])),
        [],
        "totals row 62 skipped",
        True,
    ),
    "trailing commas, blank rows": (
        PLAIN,
        ("in.csv", _csv([PLAIN[0]] + [[*r, ""] for r in PLAIN[1:]] + [["", "", "", ""]] * 3)),
        [],
        "empty trailing columns ignored",
        True,
    ),
    "Parquet": (PLAIN, ("in.parquet", _parquet(WEEKLY)), [], "", True),
    "an ambiguous date, with its format": (
        _text(MONTHLY),
        ("in.csv", _csv(_text(MONTHLY, day="{:%d/%m/%Y}".format))),
        ["--date-format", "%d/%m/%Y"],
        "",
        False,
    ),
}


def _run(path, folder, *extra):
    points, summary = folder / "points.csv", folder / "summary.csv"
    args = ["spc", str(path), "--date", "week", "--value", "n", "--facet", "site"]
    result = runner.invoke(app, [*args, "--points-out", str(points), "--summary-out", str(summary), *extra])
    return result, points, summary


def _files(tmp_path, case: str):
    clean_rows, (name, data), extra, _, _ = CASES[case]
    (tmp_path / "clean").mkdir()
    (tmp_path / "messy").mkdir()
    (tmp_path / "clean.csv").write_bytes(_csv(clean_rows))
    (tmp_path / name).write_bytes(data)
    return tmp_path / "clean.csv", tmp_path / name, extra


@pytest.mark.parametrize("case", CASES)
def test_a_messy_file_charts_exactly_as_its_clean_file(tmp_path, case):
    clean, messy, extra = _files(tmp_path, case)
    expected, points, summary = _run(clean, tmp_path / "clean")
    assert expected.exit_code == 0, expected.output
    found, messy_points, messy_summary = _run(messy, tmp_path / "messy", *extra)
    assert found.exit_code == 0, found.output
    assert messy_points.read_bytes() == points.read_bytes()
    assert messy_summary.read_bytes() == summary.read_bytes()
    said = CASES[case][3]
    output = " ".join(found.output.split())
    assert (f"{messy.name}: " in output and said in output) if said else f"{messy.name}:" not in output, (
        output
    )


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][4]])
def test_strict_refuses_what_it_refused_before(tmp_path, case):
    _, messy, extra = _files(tmp_path, case)
    result, points, _ = _run(messy, tmp_path / "messy", *extra, "--strict")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and not points.exists()


def test_a_date_whose_day_and_month_no_value_tells_apart_is_refused_naming_row_and_column(tmp_path):
    """Monthly on the 1st: 01/04/2021 could be 1 April or 4 January, and no day is over 12."""
    path = tmp_path / "in.csv"
    path.write_bytes(_csv(_text(MONTHLY, day="{:%d/%m/%Y}".format)))
    result, points, _ = _run(path, tmp_path)
    assert result.exit_code == 2
    assert (
        f"{path}, row 2, column week: '01/04/2021' could be 1 April or 4 January "
        "(no date in the column has a day "
        "over 12); give --date-format %d/%m/%Y or %m/%d/%Y"
    ) in " ".join(result.output.split())
    assert not points.exists()


def test_a_comma_in_a_semicolon_file_that_nothing_settles_is_refused(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("week;n\n2024-01-01;1,234\n2024-01-08;2,345\n2024-01-15;1,999\n")
    points, summary = tmp_path / "p.csv", tmp_path / "s.csv"
    args = ["spc", str(path), "--date", "week", "--value", "n", "--points-out", str(points)]
    result = runner.invoke(app, [*args, "--summary-out", str(summary)])
    assert result.exit_code == 2
    assert "row 2, column n: '1,234' could be a decimal comma or a thousands separator" in " ".join(
        result.output.split()
    )
    strict = runner.invoke(app, [*args, "--summary-out", str(summary), "--strict"])  # as before: 1.234
    assert strict.exit_code == 0, strict.output
    assert pd.read_csv(points)["y"].tolist() == [1.234, 2.345, 1.999]


def test_strict_still_reads_day_first_dates_as_before(tmp_path):
    """Before this reader, spc took 01/05/2021 as 1 May without asking: --strict keeps that."""
    path = tmp_path / "in.csv"
    path.write_bytes(_csv(_text(MONTHLY, day="{:%d/%m/%Y}".format)))
    result, points, _ = _run(path, tmp_path, "--strict")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(points)["x"].iloc[:2].tolist() == ["2021-04-01", "2021-05-01"]


def test_serial_dates_round_to_the_second():
    from stocktake.ingest.sniff import read_dates

    at = datetime(2022, 3, 3, 12, 13)
    serial = (at - datetime(1899, 12, 30)) / timedelta(days=1)
    assert read_dates(pd.Series([repr(serial)]), serials=True).values.iloc[0] == pd.Timestamp(at)
