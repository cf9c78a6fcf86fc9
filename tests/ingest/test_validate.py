"""Every ingest rule has a failing file that produces exactly the expected error."""

import pandas as pd
import pytest

from stocktake.demo.run import MAPPING
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.validate import RowError, to_canonical

KEY = b"k" * 32
HEADER = (
    "SPELL_NO,NHS_NO,SITE_CODE,MAIN_SPEF,ADM_TYPE,ADM_DTTM,DIS_DTTM,PRIMARY_OPCS,PROC_GRP,"
    "PRIMARY_ICD10,AGE_ON_ADM,SEX,CONS_CODE,DIS_DEST,DIS_METHOD"
)
GOOD = "SP1,9434765919,RNS01,110,EL,01/04/2024 08:00,03/04/2024 11:00,W371,THR,M161,71,2,C1234567,19,1"


def _admissions(*rows: str):
    lines = [HEADER, *rows]
    raw = pd.DataFrame([line.split(",") for line in lines[1:]], columns=lines[0].split(","))
    mapping = load_mapping(MAPPING).datasets["admissions"]
    return to_canonical(raw, DATASETS["admissions"], mapping, "spells.csv", KEY)


def _with(column: str, value: str, row: str = GOOD) -> str:
    cells = row.split(",")
    cells[HEADER.split(",").index(column)] = value
    return ",".join(cells)


def test_a_good_row_is_converted_to_canonical_form():
    table, errors = _admissions(GOOD)
    assert errors == []
    row = table.iloc[0]
    assert row["site"] == "Northshire General"
    assert row["admission_method"] == "elective"
    assert row["admitted_at"] == pd.Timestamp("2024-04-01 08:00")
    assert row["sex"] == "female"
    assert not row["died_in_hospital"]
    assert row["age"] == 71
    assert row["patient_id"] != "9434765919" and len(row["patient_id"]) == 20


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("ADM_DTTM", "2024-04-01", "a date and time like 31/12/2024 23:59"),
        ("ADM_TYPE", "XX", "one of the codes DC, EL, NEL"),
        ("AGE_ON_ADM", "seventy", "a whole number"),
        ("AGE_ON_ADM", "70.5", "a whole number"),
        ("CONS_CODE", "", "a value (consultant is required)"),
        ("NHS_NO", "9434765918", "a valid NHS number (modulus 11 check digit)"),
        ("DIS_DTTM", "31/03/2024 08:00", "no earlier than ADM_DTTM"),
    ],
)
def test_each_rule_names_file_row_column_value_and_expectation(column, value, expected):
    _, errors = _admissions(GOOD.replace("SP1", "SP0"), _with(column, value))
    shown = "943*******" if column == "NHS_NO" else value  # an identifier is never repeated whole
    assert errors == [RowError("spells.csv", 3, column, shown, expected)]


def test_duplicate_key_points_at_the_first_row():
    _, errors = _admissions(GOOD, GOOD)
    assert errors == [RowError("spells.csv", 3, "SPELL_NO", "SP1", "a unique spell_id (row 2 has it)")]


def test_missing_column_is_reported_against_the_header():
    raw = pd.DataFrame({"SPELL_NO": ["SP1"]})
    mapping = load_mapping(MAPPING).datasets["admissions"]
    _, errors = to_canonical(raw, DATASETS["admissions"], mapping, "spells.csv", KEY)
    assert RowError("spells.csv", 1, "NHS_NO", "", "this column in the header row") in errors


def test_error_reads_as_a_sentence():
    error = RowError("spells.csv", 7, "AGE_ON_ADM", "x", "a whole number")
    assert str(error) == "spells.csv, row 7, column AGE_ON_ADM: found 'x', expected a whole number"
