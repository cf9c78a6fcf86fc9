"""Reading a raw export: every malformed file is refused with its bad rows named, never read some
other way than it was meant (a shifted column, a column chosen at random) and never a traceback."""

import zipfile

import openpyxl
import pandas as pd
import pytest

from stocktake.demo.run import MAPPING
from stocktake.ingest import read
from stocktake.ingest.load import IngestError, ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.read import ReadError, read_raw

SPELLS_HEADER = (
    "SPELL_NO,NHS_NO,SITE_CODE,MAIN_SPEF,ADM_TYPE,ADM_DTTM,DIS_DTTM,PRIMARY_OPCS,PROC_GRP,"
    "PRIMARY_ICD10,AGE_ON_ADM,SEX,CONS_CODE,DIS_DEST,DIS_METHOD"
)
SPELL = "HF0000004,4505577104,RNS02,110,NEL,04/02/2022 12:13,14/02/2022 01:35,W241,HFX,S720,91,2,C1,19,1"


def _read(tmp_path, text: str | bytes, name: str = "x.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return read_raw(path)


def _refusal(tmp_path, text, name="x.csv", **how) -> list[tuple]:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(ReadError) as raised:
        read_raw(path, **how)
    return [(e.file, e.row, e.column, e.value, e.expected) for e in raised.value.errors]


def test_strictly_only_utf8_is_read(tmp_path):
    """--strict: a Windows-1252 byte (0xA3, £) is refused as before; leniently it is read."""
    assert _refusal(tmp_path, b"a,b\n1,\xa3 5\n", strict=True) == [
        ("x.csv", 2, "", "the byte 0xA3", "UTF-8 text (save the export as CSV UTF-8)")
    ]
    assert _read(tmp_path, b"a,b\n1,\xa3 5\n").values.tolist() == [["1", "£ 5"]]


def test_a_row_with_more_fields_than_the_header_is_named(tmp_path):
    # pandas took the first column for the index here, shifting every value one column left
    found = _refusal(tmp_path, "a,b,c\n1,2,3,4\n5,6,7\n8,9,10,11,12\n")
    assert found == [
        ("x.csv", 2, "", "4 fields", "3 fields, as the header has"),
        ("x.csv", 4, "", "5 fields", "3 fields, as the header has"),
    ]


def test_a_row_with_fewer_fields_is_named_too(tmp_path):
    # a file cut off mid-row: the last row must not load with its missing values blank
    assert _refusal(tmp_path, "a,b,c\n1,2,3\n4,5")[0][:4] == ("x.csv", 3, "", "2 fields")


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    found = _refusal(tmp_path, "SPELL_NO,NHS_NO,SITE,NHS_NO\n1,2,3,4\n")
    assert found == [("x.csv", 1, "NHS_NO", "columns 2, 4", "each column named once in the header")]


def test_blank_rows_are_dropped_and_the_others_keep_their_spreadsheet_row(tmp_path):
    frame = _read(tmp_path, b"\xef\xbb\xbfa,b\r\n1,2\r\n\r\n3,4\r\n,\r\n5,6\r\n")
    assert list(frame.columns) == ["a", "b"]  # the byte-order mark is not part of the first name
    assert frame.values.tolist() == [["1", "2"], ["3", "4"], ["5", "6"]]
    assert [i + 2 for i in frame.index] == [2, 4, 6]


def test_a_quoted_value_may_hold_a_comma_or_a_line_break(tmp_path):
    frame = _read(tmp_path, 'a,b\n"x, y","two\nlines"\n3,4\n')
    assert frame.values.tolist() == [["x, y", "two\nlines"], ["3", "4"]]
    assert [i + 2 for i in frame.index] == [2, 3]


QUOTE = "a well-formed CSV row (a quote opened in this row is not closed, or text follows one)"


@pytest.mark.parametrize(
    ("text", "row", "value", "expected"),
    [
        # 0x81 is neither UTF-8 nor Windows-1252 (which reads 0xA3 as £: test_messy_files)
        (
            b"a,b\n1,\x81 5\n",
            2,
            "the byte 0x81",
            "UTF-8, UTF-16 or Windows-1252 text (save the export as CSV UTF-8)",
        ),
        (b"a,b\n1,2\n3,\x004\n", 3, "a NUL character", "text, not binary data"),
        (b"", 1, "a blank first row", "a header row naming the columns"),
        (b"\n\n1,2\n", 1, "a blank first row", "a header row naming the columns"),
        (b'a,b\n1,"2\n', 2, "", QUOTE),
        # A quote opened on row 3 swallows every row after it, past the longest value a cell may
        # hold: the row named is the one where it opened.
        (b'a,b\n1,2\n3,"4\n' + b"5,6\n" * 40_000, 3, "", QUOTE),
        (b"a\n" + b"x" * 200_000 + b"\n", 2, "a longer value", "values of at most 131,072 characters"),
    ],
)
def test_an_unreadable_csv_gets_one_line_naming_the_row(tmp_path, text, row, value, expected):
    assert _refusal(tmp_path, text) == [("x.csv", row, "", value, expected)]


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut short", b"a,b\n1,2\n"])
def test_a_truncated_empty_or_misnamed_workbook_gets_one_line(tmp_path, content):
    (found,) = _refusal(tmp_path, content, "x.xlsx")
    assert found[1:4] == (0, "", "")
    assert found[4] == "an Excel workbook (.xlsx); this one is truncated, empty or another kind of file"


def test_a_workbook_with_a_damaged_sheet_gets_one_line(tmp_path):
    path = tmp_path / "good.xlsx"
    _workbook(path, [["a"], [1]])
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "x.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    (found,) = _refusal(tmp_path, (tmp_path / "x.xlsx").read_bytes(), "x.xlsx")
    assert found[4].startswith("a readable Excel workbook (openpyxl could not read it: ")


def test_a_workbook_too_big_unpacked_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    path = tmp_path / "x.xlsx"
    _workbook(path, [["a"], *[[f"value {i}"] for i in range(2000)]])
    monkeypatch.setattr(read, "MAX_XLSX_BYTES", 20_000)
    monkeypatch.setattr(read.openpyxl, "load_workbook", _never)
    (found,) = _refusal(tmp_path, path.read_bytes(), "x.xlsx")
    assert found[4] == "a workbook of at most 0 MB unpacked (export it as CSV)"


def test_a_sheet_with_too_many_cells_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "x.xlsx"
    _workbook(path, [["a", "b"], *[[i, i] for i in range(100)]])
    monkeypatch.setattr(read, "MAX_XLSX_CELLS", 150)
    (found,) = _refusal(tmp_path, path.read_bytes(), "x.xlsx")
    assert found[1] == 76 and found[4] == "a sheet of at most 150 cells (export it as CSV)"


def test_a_sheet_claiming_a_million_columns_reads_only_its_cells(tmp_path):
    path = tmp_path / "good.xlsx"
    _workbook(path, [["a", "b"], [1, 2], [None, None], [3, 4]])
    forged = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b'<dimension ref="A1:B4" />', b'<dimension ref="A1:XFD1048576" />')
                assert b"XFD1048576" in data
            target.writestr(item, data)
    frame = read_raw(forged)
    assert frame.values.tolist() == [["1", "2"], ["3", "4"]]
    assert [i + 2 for i in frame.index] == [2, 4]


def test_a_workbook_header_naming_a_column_twice_is_refused(tmp_path):
    path = tmp_path / "x.xlsx"
    _workbook(path, [["a", "b", "a"], [1, 2, 3]])
    assert _refusal(tmp_path, path.read_bytes(), "x.xlsx") == [
        ("x.xlsx", 1, "a", "columns 1, 3", "each column named once in the header")
    ]


def test_a_damaged_parquet_file_gets_one_line(tmp_path):
    path = tmp_path / "good.parquet"
    pd.DataFrame({"a": range(100)}).to_parquet(path)
    (found,) = _refusal(tmp_path, path.read_bytes()[:-30], "x.parquet")
    assert found[1] == 0 and found[4].startswith("a readable Parquet file (")


def test_an_extra_field_in_an_extract_lists_the_row_and_loads_nothing(tmp_path):
    """Through the whole load (as the upload page runs it): the row list, not a crash."""
    (tmp_path / "raw").mkdir()
    spells = tmp_path / "raw" / "pas_inpatient_spells.csv"
    spells.write_text(f"{SPELLS_HEADER}\n{SPELL},EXTRA\n{SPELL.replace('HF0000004', 'HF0000005')}\n")
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(IngestError) as raised:
        ingest_directory(tmp_path / "raw", load_mapping(MAPPING), warehouse, b"k" * 32, partial=True)
    assert [(e.file, e.row, e.value) for e in raised.value.errors] == [
        ("pas_inpatient_spells.csv", 2, "16 fields")
    ]
    assert not warehouse.exists()


def _workbook(path, rows) -> None:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)


def _never(*args, **kwargs):
    raise AssertionError("the workbook was parsed")


def test_a_clean_export_reads_as_pandas_reads_it(tmp_path):
    """The quick reader for well-formed files gives what pandas' own CSV reader gives."""
    from stocktake.demo.export import export
    from stocktake.demo.generate import Department, generate

    export(generate(Department(seed=2, months=2)), load_mapping(MAPPING), tmp_path)
    for path in sorted(tmp_path.glob("*.csv")):
        expected = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        found = read_raw(path)
        assert list(found.columns) == list(expected.columns)
        assert found.astype(object).values.tolist() == expected.astype(object).values.tolist(), path.name
        assert list(found.index) == list(range(len(expected)))


# --- issue 24: a file far wider than an extract is refused before any per-column work -----------


def test_a_csv_wider_than_an_extract_is_refused_at_once(tmp_path):
    header = ",".join(f"c{i}" for i in range(400_000))
    errors = _refusal(tmp_path, header + "\n" + ",".join("1" * 400_000) + "\n")
    assert errors == [
        (
            "x.csv",
            1,
            "",
            "400,000 columns",
            "at most 1,000 columns (Stocktake reads extracts of up to 1,000: is this the right file?)",
        )
    ]


def test_a_wide_file_under_a_title_or_with_quotes_is_refused_too_and_trailing_commas_do_not_count(tmp_path):
    wide = ",".join(f'"c{i}"' for i in range(1_500))
    assert _refusal(tmp_path, f"Title\n\n{wide}\n" + ",".join("1" * 1_500) + "\n")[0][3] == "1,500 columns"
    frame = _read(tmp_path, "a,b" + "," * 2_000 + "\n1,2" + "," * 2_000 + "\n")
    assert list(frame.columns) == ["a", "b"]


def test_a_sheet_wider_than_an_extract_is_refused(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append([f"c{i}" for i in range(1_200)])
    workbook.active.append(list(range(1_200)))
    workbook.save(tmp_path / "wide.xlsx")
    with pytest.raises(ReadError) as raised:
        read_raw(tmp_path / "wide.xlsx")
    assert raised.value.errors[0].value == "1,200 columns"


def test_tab_delimited_text_named_tsv_or_txt_is_read_as_a_csv(tmp_path):
    for name in ("x.tsv", "x.txt"):
        frame = read.read_extract(_write(tmp_path, name, "a\tb\n1\t2\n"))
        assert frame.frame.to_dict("list") == {"a": ["1"], "b": ["2"]}
        assert frame.guesses.delimiter == "\t"


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path
