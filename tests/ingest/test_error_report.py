"""The error report: each kind of error counted with its first rows, never a page per row, and no
identifier in it whichever column it arrived in."""

import pandas as pd

from stocktake.demo.run import MAPPING
from stocktake.ingest.error_report import error_kinds, summary, write_error_report
from stocktake.ingest.load import IngestError
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.validate import RowError, to_canonical

DATE = "a date and time like 31/12/2024 23:59"
BAD_DATES = [RowError("spells.csv", row, "ADM_DTTM", "2024-01-01", DATE) for row in range(2, 5002)]
BAD_AGES = [RowError("spells.csv", 7, "AGE_ON_ADM", "x", "a whole number")]
TWICE = [RowError("po.csv", row, "LINE", "L1", f"a unique line_id (row {row - 1} has it)") for row in (3, 4)]
ERRORS = [*BAD_DATES, *BAD_AGES, *TWICE]
SWAPPED_HEADER = (
    "SPELL_NO,CONS_CODE,SITE_CODE,MAIN_SPEF,ADM_TYPE,ADM_DTTM,DIS_DTTM,PRIMARY_OPCS,PROC_GRP,"
    "PRIMARY_ICD10,AGE_ON_ADM,SEX,NHS_NO,DIS_DEST,DIS_METHOD"
)


def test_errors_are_grouped_by_kind_commonest_first_with_their_first_rows():
    kinds = error_kinds(ERRORS, rows_per_kind=2)
    assert [(k.file, k.column, k.expected, k.count) for k in kinds] == [
        ("spells.csv", "ADM_DTTM", DATE, 5000),
        ("po.csv", "LINE", "a unique line_id (another row has it)", 2),  # the row named is no new kind
        ("spells.csv", "AGE_ON_ADM", "a whole number", 1),
    ]
    assert [e.row for e in kinds[0].first] == [2, 3]
    assert kinds[1].first == tuple(TWICE)


def test_the_report_is_capped_per_kind(tmp_path):
    csv_path, html_path = write_error_report(ERRORS, tmp_path, "Test trust")
    table = pd.read_csv(csv_path, dtype=str)
    assert len(table) == 1000 + 1 + 2
    assert table["row"].tolist()[:3] == ["2", "3", "4"] and table["row"].tolist()[999] == "1001"
    html = html_path.read_text()
    assert "5,003 errors" in html
    assert "the first 20 of 5,000 errors" in html
    assert html.count("2024-01-01") == 20
    assert "errors.csv lists the first 1,000 rows of each kind" in html
    assert len(html) < 30_000


def test_a_short_report_lists_every_error(tmp_path):
    csv_path, html_path = write_error_report([*BAD_AGES, *TWICE], tmp_path, "Test trust")
    assert len(pd.read_csv(csv_path)) == 3
    html = html_path.read_text()
    assert "the first" not in html and "errors.csv lists" not in html


def test_the_exception_message_counts_each_kind():
    message = str(IngestError(ERRORS))
    lines = message.splitlines()
    assert lines[0] == "5,003 error(s); nothing was loaded:"
    assert lines[1] == f"  5,000 × spells.csv, column ADM_DTTM: expected {DATE}"
    assert lines[2] == f"    spells.csv, row 2, column ADM_DTTM: found '2024-01-01', expected {DATE}"
    assert lines[5] == "    … and 4,997 more like these"
    assert len(lines) == 1 + (1 + 3 + 1) + (1 + 2) + (1 + 1)
    assert message == summary(ERRORS)


def test_nhs_numbers_in_a_swapped_column_never_reach_the_report(tmp_path):
    """The extract's NHS_NO and CONS_CODE headers swapped: NHS numbers arrive as consultants."""
    header = SWAPPED_HEADER.split(",")
    rows = [
        f"SP{i},{nhs},RNS01,110,EL,01/04/2024 08:00,03/04/2024 11:00,W371,THR,M161,71,2,C1234567,19,1".split(
            ","
        )
        for i, nhs in enumerate(["9434765919", "401 023 2137", "4010232080"])
    ]
    mapping = load_mapping(MAPPING).datasets["admissions"]
    _, errors = to_canonical(
        pd.DataFrame(rows, columns=header), DATASETS["admissions"], mapping, "s.csv", b"k"
    )
    assert len(errors) == 6  # each row: an NHS number as consultant, a consultant as NHS number
    csv_path, html_path = write_error_report(errors, tmp_path, "Test trust")
    for text in (csv_path.read_text(), html_path.read_text(), str(IngestError(errors))):
        for digits in ("9434765919", "4010232137", "401 023 2137", "4010232080", "023 2137", "0232080"):
            assert digits not in text
        assert "943*******" in text


def test_a_formula_in_a_bad_cell_stays_text_in_errors_csv(tmp_path):
    bad = [RowError("spells.csv", 2, "AGE_ON_ADM", '=HYPERLINK("http://x","y")', "a whole number")]
    csv_path, _ = write_error_report(bad, tmp_path, "Test trust")
    assert pd.read_csv(csv_path, dtype=str)["value"].tolist() == ['\'=HYPERLINK("http://x","y")']


def test_the_report_is_private_and_a_later_good_load_removes_it(tmp_path):
    from stocktake.ingest.error_report import clear_error_report

    csv_path, html_path = write_error_report(ERRORS, tmp_path / "errors", "demo")
    assert {p.stat().st_mode & 0o777 for p in (csv_path, html_path)} == {0o600}
    (tmp_path / "errors" / "notes.txt").write_text("mine")
    assert clear_error_report(tmp_path / "errors") == [csv_path, html_path]
    assert [p.name for p in (tmp_path / "errors").iterdir()] == ["notes.txt"]
    assert clear_error_report(tmp_path / "absent") == []
