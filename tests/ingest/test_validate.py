"""Every ingest rule has a failing file that produces exactly the expected error."""

import re
from datetime import date

import pandas as pd
import pytest

from stocktake.demo.run import MAPPING
from stocktake.ingest.mapping import DatasetMapping, load_mapping
from stocktake.ingest.read import read_raw
from stocktake.ingest.schemas import DATASETS, Column, Dataset
from stocktake.ingest.validate import RowError, to_canonical

KEY = b"k" * 32
HEADER = (
    "SPELL_NO,NHS_NO,SITE_CODE,MAIN_SPEF,ADM_TYPE,ADM_DTTM,DIS_DTTM,PRIMARY_OPCS,PROC_GRP,"
    "PRIMARY_ICD10,AGE_ON_ADM,SEX,CONS_CODE,DIS_DEST,DIS_METHOD"
)
GOOD = "SP1,9434765919,RNS01,110,EL,01/04/2024 08:00,03/04/2024 11:00,W371,THR,M161,71,2,C1234567,19,1"


def _admissions(*rows: str, today: date | None = None):
    lines = [HEADER, *rows]
    raw = pd.DataFrame([line.split(",") for line in lines[1:]], columns=lines[0].split(","))
    mapping = load_mapping(MAPPING).datasets["admissions"]
    return to_canonical(raw, DATASETS["admissions"], mapping, "spells.csv", KEY, today=today)


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
        # a date-only "2024-04-01" reads as midnight unless strict (test_messy_files)
        ("ADM_DTTM", "1st April 2024", "a date and time like 31/12/2024 23:59"),
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
    # the headers found are named, so a renamed one can be told (an outside check)
    assert (
        RowError("spells.csv", 1, "NHS_NO", "", "this column in the header row (found 'SPELL_NO')") in errors
    )


def test_error_reads_as_a_sentence():
    error = RowError("spells.csv", 7, "AGE_ON_ADM", "x", "a whole number")
    assert str(error) == "spells.csv, row 7, column AGE_ON_ADM: found 'x', expected a whole number"


# --- identifiers: masked wherever they are, refused where they do not belong, linked across formats


def _swap(line: str, first: str, second: str) -> str:
    cells, names = line.split(","), HEADER.split(",")
    i, j = names.index(first), names.index(second)
    cells[i], cells[j] = cells[j], cells[i]
    return ",".join(cells)


NHS_NUMBERS_ONLY_IN_NHS_NO = (
    "no NHS number: NHS numbers belong in NHS_NO only (are two columns' headers swapped?)"
)


@pytest.mark.parametrize("other", ["SPELL_NO", "CONS_CODE", "ADM_DTTM", "SITE_CODE", "AGE_ON_ADM"])
def test_an_nhs_number_in_another_column_is_refused_and_masked(other):
    """The extract's NHS_NO header swapped with another's: the NHS numbers land in ``other``."""
    first = _with("NHS_NO", "4010232137", GOOD.replace("SP1", "SP2"))
    _, errors = _admissions(_swap(GOOD, "NHS_NO", other), _swap(first, "NHS_NO", other))
    misplaced = [(e.row, e.column, e.value, e.expected) for e in errors if e.column == other]
    assert misplaced == [
        (2, other, "943*******", NHS_NUMBERS_ONLY_IN_NHS_NO),
        (3, other, "401*******", NHS_NUMBERS_ONLY_IN_NHS_NO),
    ]
    shown = " ".join(str(e) for e in errors)
    assert "9434765919" not in shown and "4010232137" not in shown
    assert {e.column for e in errors} == {other, "NHS_NO"}  # NHS_NO holds the other column's values


def test_an_nhs_number_is_masked_in_any_error_in_any_column():
    """Spaced or not, in a duplicate key or a bad date: never repeated whole."""
    row = _with("SPELL_NO", "943 476 5919")
    _, errors = _admissions(row, _with("ADM_DTTM", "4010232137", row))
    shown = " ".join(str(e) for e in errors)
    assert "943 476 5919" not in shown and "4010232137" not in shown and "9434765919" not in shown
    assert ("SPELL_NO", "943 *** ****", "a unique spell_id (row 2 has it)") in [
        (e.column, e.value, e.expected) for e in errors
    ]


@pytest.mark.parametrize("written", ["9.434765919E+09", "9.434765919e9"])
def test_an_nhs_number_a_spreadsheet_rewrote_is_refused_and_masked_in_another_column(written):
    """An outsider's upload: `9.434765919E+09` in the procedure group was not taken for an NHS
    number at all, and its rows to fix showed it whole."""
    _, errors = _admissions(_with("CONS_CODE", written))
    found = [(e.row, e.column, e.value, e.expected) for e in errors if e.column == "CONS_CODE"]
    assert found == [(2, "CONS_CODE", "943*******", NHS_NUMBERS_ONLY_IN_NHS_NO)]
    assert not re.search(r"9\.434765919", " ".join(str(e) for e in errors))


def test_an_nhs_number_inside_other_text_is_refused_and_masked():
    """Typed into a diagnosis or a consultant code it would load unhashed, and spread to every
    breakdown by consultant."""
    rows = (
        _with("PRIMARY_ICD10", "pt 943 476 5919"),
        _with("CONS_CODE", "NHS9434765919", GOOD.replace("SP1", "SP2")),
    )
    _, errors = _admissions(*rows)
    found = {(e.row, e.column, e.value) for e in errors}
    assert (2, "PRIMARY_ICD10", "pt 943 *** ****") in found and (3, "CONS_CODE", "NHS943*******") in found
    assert "9434765919" not in " ".join(str(e) for e in errors) and "476 5919" not in " ".join(
        map(str, errors)
    )


def test_no_error_names_an_nhs_number_even_in_a_file_name():
    from stocktake.ingest.validate import RowError

    error = RowError("spells_9434765919.csv", 2, "AGE", "9434765919 again", "a whole number")
    assert "9434765919" not in str(error) and error.file == "spells_943*******.csv"


def test_ten_digit_references_that_pass_the_check_by_chance_still_load():
    """943476591 has check digit 9 (weighted sum 299, remainder 2): …10 to …18 fail, as most
    ten-digit references do; 4010232137 passes by chance and is one value of three."""
    spells = ["9434765911", "9434765912", "4010232137"]
    table, errors = _admissions(*(_with("SPELL_NO", spell) for spell in spells))
    assert errors == []
    assert table["spell_id"].tolist() == spells


@pytest.mark.parametrize("written", ["447 836 5431", "447-836-5431", " 4478365431 ", "447 - 836 - 5431"])
def test_an_nhs_number_links_across_formats(written):
    table, errors = _admissions(_with("NHS_NO", "4478365431"))
    spaced, errors_spaced = _admissions(_with("NHS_NO", written))
    assert errors == errors_spaced == []
    assert spaced["patient_id"][0] == table["patient_id"][0]


@pytest.mark.parametrize("placeholder", ["0000000000", "9999999999", "1111111111", "999 999 9999"])
def test_placeholder_nhs_numbers_are_refused(placeholder):
    """Every repeated digit passes modulus 11 (10·d + … + 2·d = 54·d ≡ −d, so the check is d)."""
    _, errors = _admissions(_with("NHS_NO", placeholder))
    assert [(e.column, e.expected) for e in errors] == [
        ("NHS_NO", "a real NHS number, not a placeholder such as 0000000000")
    ]
    assert errors[0].value.startswith(placeholder[:3]) and set(errors[0].value[3:]) == {"*"}


# --- every cell value: converted, or one row-and-column error; never a traceback

NASTY = [
    "inf", "-inf", "+inf", "Infinity", "-Infinity", "nan", "NaN", "1e400", "-1e400", "1e-400",
    "123456789012", "99999999999999999999", "123456789012345678901234567890", "0x10", "1_000",
    "²", "١٢", "\x00", "-0", "9999-12-31", "31/02/2024", "01/01/0001 00:00", "true", "<b>",
    "💉", "4478365431", "447 836 5431", "9" * 400,
]  # fmt: skip


def _one_column_of_each_type():
    types = ("string", "integer", "number", "boolean", "date", "timestamp")
    schema = Dataset("t", key="id", columns=(Column("id"), *(Column(t, t, required=False) for t in types)))
    formats = {"date": "%d/%m/%Y", "timestamp": "%d/%m/%Y %H:%M"}
    mapping = DatasetMapping(
        file="t.csv",
        columns={"id": {"column": "ID"}}
        | {t: {"column": t.upper(), "format": formats.get(t)} for t in types},
    )
    return schema, mapping, types


def test_every_value_becomes_its_type_or_one_error_naming_row_and_column():
    schema, mapping, types = _one_column_of_each_type()
    raw = pd.DataFrame({"ID": [f"R{i}" for i in range(len(NASTY))]} | {t.upper(): NASTY for t in types})
    table, errors = to_canonical(raw, schema, mapping, "t.csv", KEY, today=date(2025, 1, 1))
    for t in types:
        refused = {e.row for e in errors if e.column == t.upper()}
        assert len(refused) == len([e for e in errors if e.column == t.upper()])  # one error per cell
        loaded = [i + 2 for i, v in enumerate(table[t]) if not pd.isna(v)]
        assert sorted(refused | set(loaded)) == list(range(2, len(NASTY) + 2)), t
    for e in errors:
        assert len(e.value) <= 61 and "4478365431" not in e.value and "836 5431" not in e.value


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", "1e400", "NaN", "-1e400"])
@pytest.mark.parametrize(("column", "expected"), [("AGE_ON_ADM", "a whole number")])
def test_non_finite_numbers_are_refused(value, column, expected):
    _, errors = _admissions(_with(column, value))
    assert [(e.row, e.column, e.value, e.expected) for e in errors] == [(2, column, value, expected)]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", "1e400"])
def test_non_finite_prices_are_refused(value):
    schema = DATASETS["procurement"]
    mapping = load_mapping(MAPPING).datasets["procurement"]
    names = [m.column for m in mapping.columns.values()]
    good = ["PO1", "25/03/2024", "RNS03", "NPC-1", "Knee", "implant", "OrthoCo", "2100.00", "1", "1980.00"]
    raw = pd.DataFrame([good, [*good[:7], value, "1", value]], columns=names)
    raw.loc[1, "ORDER_LINE_ID"] = "PO2"
    _, errors = to_canonical(raw, schema, mapping, "po.csv", KEY)
    assert [(e.row, e.column, e.expected) for e in errors] == [
        (3, "BENCHMARK_PRICE_GBP", "a number"),
        (3, "UNIT_PRICE_GBP", "a number"),
    ]


# --- plausible ranges, in the schema

AGES = "a whole number from 0 to 120 (the plausible range of age)"
# loaded on 1 January 2025: an admission or a discharge has happened by then
WINDOW = (
    "a date and time from 01/01/1990 00:00 to 01/01/2025 23:59 (no later than the day of loading: it has "
    "happened)"
)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("AGE_ON_ADM", "-5", AGES),
        ("AGE_ON_ADM", "121", AGES),
        ("AGE_ON_ADM", "200", AGES),
        ("AGE_ON_ADM", "123456789012", AGES),
        ("ADM_DTTM", "01/01/1900 00:00", WINDOW),
        ("ADM_DTTM", "31/12/1989 23:59", WINDOW),
        ("DIS_DTTM", "01/01/2099 00:00", WINDOW),
        ("DIS_DTTM", "02/01/2025 00:00", WINDOW),
        ("CONS_CODE", "C" * 1001, "at most 1,000 characters"),
        ("PRIMARY_OPCS", "x" * 10 * 2**20, "at most 1,000 characters"),
    ],
)
def test_implausible_values_are_refused(column, value, expected):
    _, errors = _admissions(_with(column, value), today=date(2025, 1, 1))
    assert [(e.row, e.column, e.expected) for e in errors] == [(2, column, expected)]
    assert errors[0].value == (value if len(value) <= 60 else value[:60] + "…")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("AGE_ON_ADM", "0"),
        ("AGE_ON_ADM", "120"),
        ("ADM_DTTM", "01/01/1990 00:00"),
        ("DIS_DTTM", "01/01/2025 23:59"),
        ("CONS_CODE", "C" * 1000),
    ],
)
def test_values_on_the_edges_of_their_range_load(column, value):
    _, errors = _admissions(_with(column, value), today=date(2025, 1, 1))
    assert errors == []


def test_swapped_admission_and_discharge_dates_are_refused_by_the_order_check():
    second = _with("DIS_DTTM", "02/04/2024 09:00", GOOD.replace("SP1", "SP2"))
    _, errors = _admissions(_swap(GOOD, "ADM_DTTM", "DIS_DTTM"), _swap(second, "ADM_DTTM", "DIS_DTTM"))
    swapped = "no earlier than ADM_DTTM (on every row: are the ADM_DTTM and DIS_DTTM headers swapped?)"
    assert [(e.row, e.column, e.expected) for e in errors] == [
        (2, "DIS_DTTM", swapped),
        (3, "DIS_DTTM", swapped),
    ]


def test_a_blank_line_mid_file_keeps_the_rows_after_it_numbered_as_a_spreadsheet_shows_them(tmp_path):
    """Spreadsheet rows 21 and 41 blank; the implausible age is on row 61 (the finding: row 59)."""
    lines = [HEADER, *(GOOD.replace("SP1", f"SP{row}") for row in range(2, 71))]
    lines[20] = lines[40] = ""
    lines[60] = _with("AGE_ON_ADM", "200", lines[60])
    (tmp_path / "spells.csv").write_text("\n".join(lines) + "\n")
    mapping = load_mapping(MAPPING).datasets["admissions"]
    raw = read_raw(tmp_path / "spells.csv")
    _, errors = to_canonical(raw, DATASETS["admissions"], mapping, "spells.csv", KEY)
    assert [(e.row, e.column, e.value) for e in errors] == [(61, "AGE_ON_ADM", "200")]


# --- row numbers


def test_blank_rows_are_skipped_and_keep_their_numbers():
    """Rows 3 and 5 of the spreadsheet are blank (kept by the reader as empty rows)."""
    blank = ",".join([""] * len(HEADER.split(",")))
    rows = [GOOD, blank, _with("AGE_ON_ADM", "x", GOOD.replace("SP1", "SP2")), blank]
    table, errors = _admissions(*rows, _with("SEX", "7", GOOD.replace("SP1", "SP3")))
    assert [(e.row, e.column) for e in errors] == [(4, "AGE_ON_ADM"), (6, "SEX")]
    assert len(table) == 3


def test_a_missing_column_is_named_on_the_header_row_given():
    from stocktake.ingest.validate import convert

    raw = pd.DataFrame([GOOD.split(",")], columns=HEADER.split(","), index=[3]).drop(columns="SPELL_NO")
    mapping = load_mapping(MAPPING).datasets["admissions"]
    found = convert(raw, DATASETS["admissions"], mapping, "spells.csv", KEY, header_row=4)
    assert [(e.row, e.column, e.header) for e in found.errors] == [(4, "SPELL_NO", True)]
    assert (
        RowError("spells.csv", 1, "X", "", "this column in the header row", header=True).row_label == "header"
    )


# --- a pathway's priority may be blank; its status and clock stop must agree (ADR 60) -----------------

PTL = "PATHWAY_ID,NHS_NO,CLOCK_START,CLOCK_STOP,PRIORITY,PROC_GRP,PATHWAY_STATUS"


def _pathways(*rows: str):
    raw = pd.DataFrame([r.split(",") for r in rows], columns=PTL.split(","))
    raw["CONSULTANT"] = "C1"  # the demo mapping's optional consultant, present as every column is
    mapping = load_mapping(MAPPING).datasets["rtt_pathways"]
    return to_canonical(raw, DATASETS["rtt_pathways"], mapping, "ptl.csv", KEY, today=date(2025, 1, 1))


def test_a_blank_priority_loads_blank_whether_the_patient_waits_or_not():
    """A trust's patient tracking list leaves the priority blank on non-admitted pathways (not waiting
    for a list) and on many closed ones: the whole load had been refused for them."""
    table, errors = _pathways(
        "A1,9434765919,01/04/2024,20/05/2024,,THR,TREATED",
        "A2,9434765919,01/04/2024,,,THR,OPEN",
        "A3,9434765919,01/04/2024,,2,TKR,OPEN",
    )
    assert errors == []
    assert table["priority"].isna().tolist() == [True, True, False] and table["priority"].iloc[2] == "P2"


def test_a_priority_deferred_at_the_patients_choice_loads():
    """P5 and P6 (FSSA: a decision to admit, treatment deferred at the patient's choice) are on real
    tracking lists, and a whole load had been refused for one of them (ADR 63). The demo trust codes
    them 5 and 6; 7 is no code."""
    table, errors = _pathways(
        "A1,9434765919,01/04/2024,,5,THR,OPEN",
        "A2,9434765919,01/04/2024,,6,TKR,OPEN",
    )
    assert errors == [] and table["priority"].tolist() == ["P5", "P6"]
    _, errors = _pathways("A3,9434765919,01/04/2024,,7,THR,OPEN")
    assert [(e.row, e.column, e.value) for e in errors] == [(2, "PRIORITY", "7")]
    assert "6" in errors[0].expected


def test_a_status_and_a_clock_stop_that_disagree_are_named_on_their_rows():
    """Waiting with a stop, or treated or removed without one: the row says two things, and the plan
    had been the first to notice, long after the load. A stop that is no date is named as itself."""
    _, errors = _pathways(
        "A1,9434765919,01/04/2024,20/05/2024,1,THR,TREATED",
        "A2,9434765919,01/04/2024,20/05/2024,1,THR,OPEN",  # waiting, stopped
        "A3,9434765919,01/04/2024,,2,TKR,TREATED",  # treated, no stop
        "A4,9434765919,01/04/2024,,2,TKR,VALIDATED_OFF",  # removed, no stop
        "A5,9434765919,01/04/2024,31/02/2024,,THR,TREATED",  # a stop that is no date
        "A6,9434765919,01/04/2024,,2,TKR,OPEN",
    )
    assert [(e.row, e.column, e.value, e.expected) for e in errors] == [
        (3, "CLOCK_STOP", "20/05/2024", "blank: PATHWAY_STATUS on this row means waiting"),
        (4, "CLOCK_STOP", "", "a value: PATHWAY_STATUS on this row means treated"),
        (5, "CLOCK_STOP", "", "a value: PATHWAY_STATUS on this row means removed"),
        (6, "CLOCK_STOP", "31/02/2024", "a date like 31/12/2024"),
    ]


def test_a_placeholder_stop_is_named_once_and_a_stop_after_the_day_of_loading_is_refused():
    """A 1900 stop on a waiting row had been named three times (implausible, before its start, not
    blank while waiting). A treatment after the day of loading has not happened: it had loaded, and
    every waiting-list command then refused the whole warehouse with no row named (an outside check)."""
    _, errors = _pathways(
        "A1,9434765919,01/04/2024,01/01/1900,1,THR,OPEN",
        "A2,9434765919,01/04/2024,20/12/2024,1,THR,TREATED",  # loaded on 1 January 2025: fine
        "A3,9434765919,01/04/2024,02/01/2025,1,THR,TREATED",  # the day after
        "A4,9434765919,03/01/2025,,1,THR,OPEN",  # a referral after the day of loading
    )
    assert [(e.row, e.column, e.expected) for e in errors] == [
        (
            2,
            "CLOCK_STOP",
            "a date from 01/01/1990 to 01/01/2025 (no later than the day of loading: it has happened)",
        ),
        (
            4,
            "CLOCK_STOP",
            "a date from 01/01/1990 to 01/01/2025 (no later than the day of loading: it has happened)",
        ),
        (
            5,
            "CLOCK_START",
            "a date from 01/01/1990 to 01/01/2025 (no later than the day of loading: it has happened)",
        ),
    ]


def test_a_non_admitted_pathway_loads_without_a_procedure_group():
    """A whole tracking list's non-admitted pathways have no intended procedure: every one of them had
    been refused, and a mapping cannot turn a blank into a code (an outside check)."""
    table, errors = _pathways("A1,9434765919,01/04/2024,,,,OPEN", "A2,9434765919,01/04/2024,,2,TKR,OPEN")
    assert errors == []
    assert table["procedure_group"].isna().tolist() == [True, False]


def test_a_planned_date_may_lie_a_year_ahead_and_no_further():
    """Theatre lists are booked ahead: a session's date may be up to a year after the day of loading (a
    date years away is a typo or a placeholder), unlike an event that has happened."""
    from stocktake.ingest.schemas import Column
    from stocktake.ingest.validate import _Extract, _out_of_range

    extract = _Extract("x.csv", KEY, (date(1990, 1, 1), date(2026, 1, 2)), (), today=date(2025, 1, 1))
    mapping = load_mapping(MAPPING).datasets["theatre_sessions"].columns["date"]
    days = pd.Series(pd.to_datetime(["2025-06-01", "2026-01-02", "2026-01-03"]))
    (planned,) = _out_of_range(days, Column("date", "date"), mapping, extract)
    (happened,) = _out_of_range(days, Column("date", "date", past=True), mapping, extract)
    assert planned.failed.tolist() == [False, False, True] and "(plausible dates)" in planned.expected
    assert happened.failed.tolist() == [True, True, True] and "it has happened" in happened.expected


def test_a_long_cell_shown_in_an_error_is_masked_as_if_masked_whole():
    """A long cell is masked only up to a letter past what is shown (a 10 MB cell had taken 14 s):
    on random cells of NHS numbers in their many writings, dates, floats and letters, what is shown is
    what masking the whole cell and cutting it shows."""
    import random

    from stocktake.ingest.pseudonymise import mask_nhs_numbers
    from stocktake.ingest.validate import SHOWN_LENGTH, _shown

    pieces = [
        "9434765919", "943 476 5919", "943-476-5919", "9 4 3 4 7 6 5 9 1 9", "9.434765919E+09",
        "9,434,765,919", "0009434765919", "2024-01-02T10:00", "30/11/2024", " ", "x", "ab", ", ", "£12",
        "4010232137", "401 023 2137", "+44 7700 900123", "٩٤٣٤٧٦٥٩١٩", "…", "1", "22", "T",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        cell = "".join(rng.choice(pieces) for _ in range(rng.randint(5, 60)))
        whole = mask_nhs_numbers(cell)
        expected = whole if len(whole) <= SHOWN_LENGTH else whole[:SHOWN_LENGTH] + "…"
        assert _shown(cell) == expected, cell
