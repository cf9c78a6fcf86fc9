"""Files as people save them: each kind of messy extract loads exactly the rows its clean file loads,
says what was guessed in one line, and is refused as before with ``strict``.

The clean files are the demo department's exports; each messy file is the same data saved another
way (another encoding or delimiter, a title block, Excel's serial dates, ...), so the independent
truth is the clean file's load.
"""

import csv
import io
from datetime import datetime, timedelta

import duckdb
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest.load import IngestError, NoExtractsError, ingest_directory
from stocktake.ingest.mapping import DatasetMapping, Mapping, load_mapping
from stocktake.ingest.schemas import DATASETS, Column, Dataset
from stocktake.ingest.validate import convert

KEY = b"k" * 32
SPELLS, ORDERS, SESSIONS = "pas_inpatient_spells.csv", "procurement_order_lines.csv", "theatres_sessions.csv"
DATASET = {SPELLS: "admissions", ORDERS: "procurement", SESSIONS: "theatre_sessions"}


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean")
    export(generate(Department(seed=3, months=2)), load_mapping(MAPPING), path)
    return path


def _rows(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _csv(rows, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _column(rows, name: str, change) -> list[list[str]]:
    """The rows with every value of one column changed (blanks left blank)."""
    at = rows[0].index(name)
    return [rows[0]] + [[change(v) if i == at and v else v for i, v in enumerate(r)] for r in rows[1:]]


def _cell(rows, row: int, name: str, value: str) -> list[list[str]]:
    rows = [list(r) for r in rows]
    rows[row][rows[0].index(name)] = value
    return rows


def _redated(written: str, to: str, source: str = "%d/%m/%Y %H:%M") -> str:
    return datetime.strptime(written, source).strftime(to)


def _serial(written: str) -> float:
    """A date as Excel holds it: days since 30 December 1899, the time as a fraction of a day."""
    return (datetime.strptime(written, "%d/%m/%Y %H:%M") - datetime(1899, 12, 30)) / timedelta(days=1)


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


def _windows_1252(rows):
    return SPELLS, _csv(rows, encoding="cp1252")


def _day_first_no_zeros(written: str) -> str:
    day = datetime.strptime(written, "%d/%m/%Y")
    return f"{day.day}/{day.month}/{day:%y}"


def _with_midnight(rows):
    return _cell(rows, 1, "ADM_DTTM", rows[1][rows[0].index("ADM_DTTM")][:10] + " 00:00")


def _café(rows):
    return _cell(rows, 1, "ITEM_DESCRIPTION", "Café trolley – £5 spare")


def _seconds_and_a_date_only(rows):
    rows = _column(rows, "ADM_DTTM", lambda v: v + ":00")
    return SPELLS, _csv(_cell(rows, 1, "ADM_DTTM", rows[1][rows[0].index("ADM_DTTM")][:10]))


def _money(rows):
    rows = _column(rows, "UNIT_PRICE_GBP", lambda v: f"£{float(v):,.2f}")
    rows = _column(rows, "BENCHMARK_PRICE_GBP", lambda v: f"£{float(v):,.2f}")
    return ORDERS, _csv(_column(rows, "QTY", lambda v: f"{int(v):,}"))


def _a_big_order(rows):
    return _cell(rows, 1, "QTY", "1234")


def _totals(rows, word: str):
    total = sum(int(r[rows[0].index("QTY")]) for r in rows[1:])
    last = [""] * len(rows[0])
    last[0] = word
    last[rows[0].index("QTY")] = str(total)
    return ORDERS, _csv([*rows, last])


def _title_workbook(rows):
    title = [["Northshire Hospitals: inpatient spells"], ["Run 02/12/2026 by the BI team"]]
    notes = [["Read me"], ["The spells are on the next sheet."]]
    return "spells.xlsx", _workbook({"Notes": notes, "Spells": [*title, *rows]})


def _serial_workbook(rows):
    at = [rows[0].index("ADM_DTTM"), rows[0].index("DIS_DTTM")]
    typed = [rows[0]] + [[_serial(v) if i in at else v for i, v in enumerate(r)] for r in rows[1:]]
    return "spells.xlsx", _workbook({"Spells": typed})


#: name → (clean file, change to both files, the messy file, what the line says, refused strictly)
CASES = {
    "windows-1252": (
        ORDERS,
        _café,
        lambda r: (ORDERS, _csv(r, encoding="cp1252")),
        "read as Windows-1252",
        True,
    ),
    "utf-16, tab": (
        SPELLS,
        None,
        lambda r: (SPELLS, _csv(r, "\t", "utf-16")),
        "read as UTF-16, tab-delimited",
        True,
    ),
    "semicolons": (SPELLS, None, lambda r: (SPELLS, _csv(r, ";")), "';'-delimited", True),
    "tabs": (ORDERS, None, lambda r: (ORDERS, _csv(r, "\t")), "tab-delimited", True),
    "£ and 1,234": (
        ORDERS,
        _a_big_order,
        _money,
        "thousands separators (UNIT_PRICE_GBP, QTY, BENCHMARK_PRICE_GBP), £ signs (UNIT_PRICE_GBP, BENCH",
        True,
    ),
    "header case": (
        SPELLS,
        None,
        lambda r: (SPELLS, _csv([[n.lower() + " " for n in r[0]], *r[1:]])),
        "headers in another case or spacing (spell_no, nhs_no",
        True,
    ),
    "codes in lower case": (
        SPELLS,
        None,
        lambda r: (SPELLS, _csv(_column(r, "ADM_TYPE", str.lower))),
        "codes in another case or spacing (ADM_TYPE)",
        True,
    ),
    "dashed NHS numbers": (
        SPELLS,
        None,
        lambda r: (SPELLS, _csv(_column(r, "NHS_NO", lambda v: f"{v[:3]}-{v[3:6]}-{v[6:]}"))),
        "",  # NHS numbers were always read in any written form: nothing guessed
        False,
    ),
    "seconds, a date only": (
        SPELLS,
        _with_midnight,
        _seconds_and_a_date_only,
        "date-only values at 00:00",
        True,
    ),
    "03-Mar-2022 20:33": (
        SPELLS,
        None,
        lambda r: (SPELLS, _csv(_column(r, "ADM_DTTM", lambda v: _redated(v, "%d-%b-%Y %H:%M")))),
        "dates with month names (ADM_DTTM)",
        True,
    ),
    "3/3/22": (
        SESSIONS,
        None,
        lambda r: (SESSIONS, _csv(_column(r, "SESSION_DATE", _day_first_no_zeros))),
        "dates day-first (SESSION_DATE)",
        True,
    ),
    "Excel serial dates": (SPELLS, None, _serial_workbook, "Excel serial dates (ADM_DTTM, DIS_DTTM)", True),
    "title rows, second sheet": (
        SPELLS,
        None,
        _title_workbook,
        "sheet 'Spells', title rows 1–2 skipped",
        True,
    ),
    "title rows in a CSV": (
        SPELLS,
        None,
        lambda r: (SPELLS, _csv([["Inpatient spells, April 2022"], [], *r])),
        "title rows 1–2 skipped",
        True,
    ),
    ".CSV": (SPELLS, None, lambda r: (SPELLS.upper(), _csv(r)), "", True),
    "a totals row": (ORDERS, None, lambda r: _totals(r, "Grand total"), "totals row 244 skipped", True),
    "a row of sums": (ORDERS, None, lambda r: _totals(r, ""), "totals row 244 skipped", True),
    "trailing commas": (
        SPELLS,
        None,
        lambda r: (SPELLS, _csv([r[0]] + [[*row, ""] for row in r[1:]] + [[""] * 16] * 3)),
        "empty trailing columns ignored",
        True,
    ),
}


def _mapping(clean: str, file: str) -> Mapping:
    """The demo mapping, for one dataset, reading it from ``file``."""
    demo = load_mapping(MAPPING)
    spec = demo.datasets[DATASET[clean]].model_copy(update={"file": file})
    return Mapping(source=demo.source, datasets={DATASET[clean]: spec})


def _loaded(warehouse, dataset: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f'SELECT * FROM "{dataset}" ORDER BY "{DATASETS[dataset].key}"').df()


def _folders(clean_dir, tmp_path, case: str):
    clean, prepare, mess, _, _ = CASES[case]
    rows = _rows(clean_dir / clean)
    rows = prepare(rows) if prepare else rows
    (tmp_path / "clean").mkdir()
    (tmp_path / "messy").mkdir()
    (tmp_path / "clean" / clean).write_bytes(_csv(rows))
    name, data = mess(rows)
    (tmp_path / "messy" / name).write_bytes(data)
    mapped = name if name.endswith(".xlsx") else clean
    return _mapping(clean, clean), _mapping(clean, mapped)


@pytest.mark.parametrize("case", CASES)
def test_a_messy_file_loads_what_its_clean_file_loads_and_says_what_was_guessed(clean_dir, tmp_path, case):
    clean_mapping, messy_mapping = _folders(clean_dir, tmp_path, case)
    dataset = DATASET[CASES[case][0]]
    ingest_directory(tmp_path / "clean", clean_mapping, tmp_path / "clean.duckdb", KEY, partial=True)
    done = ingest_directory(tmp_path / "messy", messy_mapping, tmp_path / "messy.duckdb", KEY, partial=True)
    pd.testing.assert_frame_equal(
        _loaded(tmp_path / "messy.duckdb", dataset), _loaded(tmp_path / "clean.duckdb", dataset)
    )
    (loaded,) = done.files
    said = CASES[case][3]
    assert (said in loaded.read_as) if said else loaded.read_as == "", loaded.read_as
    assert loaded.read_as.count("\n") == 0  # one line per file


@pytest.mark.parametrize("case", CASES)
def test_strict_reads_as_before(clean_dir, tmp_path, case):
    """--strict: each kind refused, nothing written, as before this reader guessed anything (NHS
    numbers with dashes were always read)."""
    _, messy_mapping = _folders(clean_dir, tmp_path, case)
    warehouse = tmp_path / "messy.duckdb"
    if not CASES[case][4]:
        ingest_directory(tmp_path / "messy", messy_mapping, warehouse, KEY, partial=True, strict=True)
        return
    with pytest.raises((IngestError, NoExtractsError)):
        ingest_directory(tmp_path / "messy", messy_mapping, warehouse, KEY, partial=True, strict=True)
    assert not warehouse.exists()


def test_the_command_prints_the_line_and_logs_it(clean_dir, tmp_path):
    _folders(clean_dir, tmp_path, "semicolons")
    args = ["ingest", str(tmp_path / "messy"), "--mapping", str(MAPPING), "--partial"]
    args += ["--warehouse", str(tmp_path / "w" / "w.duckdb")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"  {SPELLS}: ';'-delimited" in result.output
    with duckdb.connect(str(tmp_path / "w" / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT read_as FROM ingest_log").fetchall() == [(f"{SPELLS}: ';'-delimited",)]
    strict = CliRunner().invoke(app, [*args[:5], "--warehouse", str(tmp_path / "s" / "w.duckdb"), "--strict"])
    assert strict.exit_code == 2
    assert "this column in the header row" in " ".join(strict.output.split())


def test_what_was_guessed_is_said_before_the_errors_it_may_explain(clean_dir, tmp_path):
    rows = _rows(clean_dir / SPELLS)
    rows = _cell(rows, 2, "ADM_TYPE", "XX")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "pas_inpatient_spells_4478365431.csv").write_bytes(_csv(rows, ";"))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        MAPPING.read_text().replace(
            "file: pas_inpatient_spells.csv", "file: pas_inpatient_spells_4478365431.csv"
        )
    )
    args = ["ingest", str(tmp_path / "raw"), "--mapping", str(mapping), "--partial"]
    result = CliRunner().invoke(app, [*args, "--warehouse", str(tmp_path / "w" / "w.duckdb")])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == "pas_inpatient_spells_447*******.csv: ';'-delimited"  # no NHS number, even in a name
    assert "row 3, column ADM_TYPE: found 'XX'" in " ".join(result.output.split())
    assert not (tmp_path / "w" / "w.duckdb").exists()


# --- values, one column at a time: hand-worked


def _one_column(kind: str, values: list[str], date_format: str | None = None, **how):
    schema = Dataset("t", key="id", columns=(Column("id"), Column("v", kind)))
    mapping = DatasetMapping(file="t.csv", columns={"id": "ID", "v": {"column": "V", "format": date_format}})
    raw = pd.DataFrame({"ID": [f"R{i}" for i in range(len(values))], "V": values})
    return convert(raw, schema, mapping, "t.csv", KEY, **how)


AMBIGUOUS = (
    "a date whose day and month can be told apart (no date in this column has a day over 12, so it could "
    'be either: give the column\'s format in the mapping, e.g. format: "%d/%m/%Y")'
)


def test_a_date_column_no_value_of_which_tells_day_from_month_is_refused_row_by_row():
    _, errors, _ = _one_column("date", ["03/04/2024", "05/05/2024", "11/12/2024"])
    # 05/05 is the same day either way; the other two are named
    assert [(e.row, e.column, e.value, e.expected) for e in errors] == [
        (2, "V", "03/04/2024", AMBIGUOUS),
        (4, "V", "11/12/2024", AMBIGUOUS),
    ]


@pytest.mark.parametrize(
    ("values", "date_format", "expected", "said"),
    [
        (["03/04/2024", "13/04/2024"], None, ["2024-04-03", "2024-04-13"], "dates day-first"),
        (["03/04/2024", "04/13/2024"], None, ["2024-03-04", "2024-04-13"], "dates month-first"),
        (["03/04/2024", "05/06/24"], "%m/%d/%Y", ["2024-03-04", "2024-05-06"], "dates month-first"),
        (["Apr-23", "April 2023", "2023-04", "04/2023"], None, ["2023-04-01"] * 4, "month labels as the 1st"),
        (["45000", "45000.0"], None, ["2023-03-15", "2023-03-15"], "Excel serial dates"),
    ],
)
def test_dates_as_people_write_them(values, date_format, expected, said):
    table, errors, guessed = _one_column("date", values, date_format, spreadsheet=True)
    assert errors == []
    assert table["v"].dt.strftime("%Y-%m-%d").tolist() == expected
    assert (said, "V") in guessed


def test_a_serial_date_from_a_csv_is_not_a_date():
    _, errors, _ = _one_column("date", ["45000"])
    assert [e.value for e in errors] == ["45000"]


def test_a_time_in_a_date_column_is_refused_unless_midnight():
    table, errors, _ = _one_column("date", ["01/04/2024 00:00:00", "02/04/2024 08:30"], "%d/%m/%Y")
    assert table["v"].iloc[0] == pd.Timestamp("2024-04-01")
    assert [(e.row, e.value) for e in errors] == [(3, "02/04/2024 08:30")]


@pytest.mark.parametrize(
    ("values", "semicolon", "expected"),
    [
        (["1,234", "£2,100.00", "45%", "-£5", "12"], False, [1234, 2100, 0.45, -5, 12]),
        (["3,5", "1.234,5", "1,234"], True, [3.5, 1234.5, 1.234]),  # 3,5 settles it: decimal commas
        (["1,234,567", "1,234"], True, [1234567, 1234]),  # 1,234,567 settles it: thousands
    ],
)
def test_numbers_as_people_write_them(values, semicolon, expected):
    table, errors, _ = _one_column("number", values, semicolon=semicolon)
    assert errors == []
    assert table["v"].astype(float).tolist() == pytest.approx(expected)


def test_a_comma_nothing_settles_in_a_semicolon_file_is_refused():
    _, errors, _ = _one_column("number", ["1,234", "12"], semicolon=True)
    assert [(e.row, e.value) for e in errors] == [(2, "1,234")]
    assert errors[0].expected.startswith("a number whose comma means one thing")


def test_a_comma_that_groups_no_thousands_is_refused_in_a_comma_file():
    _, errors, _ = _one_column("number", ["3,5", "12,34,567"])
    assert [e.value for e in errors] == ["3,5", "12,34,567"]


def test_strict_reads_values_only_as_mapped():
    _, errors, guessed = _one_column("number", ["1,234", "£5", "45%"], strict=True)
    assert [e.value for e in errors] == ["1,234", "£5", "45%"] and guessed == ()


def test_a_missing_column_under_a_title_block_names_the_header_row_the_file_shows(clean_dir, tmp_path):
    """Issue 24: the header is on row 4 under three title rows, so the error names row 4, not 1."""
    rows = _rows(clean_dir / SPELLS)
    at = rows[0].index("SPELL_NO")
    rows = [[v for i, v in enumerate(r) if i != at] for r in rows]
    (tmp_path / SPELLS).write_bytes(_csv([["Inpatient spells"], ["Run by the BI team"], [], *rows]))
    with pytest.raises(IngestError) as refused:
        ingest_directory(tmp_path, _mapping(SPELLS, SPELLS), tmp_path / "w.duckdb", KEY, partial=True)
    (error,) = refused.value.errors
    assert (error.row, error.column) == (4, "SPELL_NO")
    assert error.expected.startswith("this column in the header row (found 'NHS_NO', ")
    assert error.row_label == "4 (header)"


def test_a_serial_date_refused_is_shown_with_the_date_it_reads_as(clean_dir, tmp_path):
    """An outside check was shown "46447.41666666666" refused as a date after the day of loading, and
    had to work out which date that was."""
    rows = _rows(clean_dir / SPELLS)
    at = rows[0].index("ADM_DTTM")
    rows[1][at] = "08/03/2099 10:00"
    name, content = _serial_workbook(rows)
    (tmp_path / name).write_bytes(content)
    with pytest.raises(IngestError) as refused:
        ingest_directory(tmp_path, _mapping(SPELLS, name), tmp_path / "w.duckdb", KEY, partial=True)
    [error] = [e for e in refused.value.errors if e.column == "ADM_DTTM"]
    assert error.value.endswith("(read as 2099-03-08 10:00)") and error.row == 2
