"""NHS number check digits (published vectors) and keyed pseudonyms."""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocktake.ingest.pseudonymise import (
    is_placeholder_nhs_number,
    is_valid_nhs_number,
    load_or_create_key,
    mask_nhs_numbers,
    nhs_number_checks,
    normalised_identifier,
    pseudonymise,
)

VECTORS = pd.read_csv(
    Path(__file__).resolve().parents[3] / "shared/fixtures/identifiers/nhs_number_check_digit_vectors.csv",
    dtype=str,
)


@pytest.mark.parametrize("row", VECTORS.to_dict("records"), ids=lambda r: r["nhs_number"])
def test_check_digit_vectors(row):
    assert is_valid_nhs_number(row["nhs_number"]) == (row["valid"] == "TRUE")


def test_not_ten_digits_is_invalid():
    assert not is_valid_nhs_number("943476591")
    assert not is_valid_nhs_number("94347659AB")


def test_pseudonyms_are_stable_per_key_and_hide_the_identifier():
    ids = pd.Series(["9434765919", "4010232137", "9434765919", ""])
    first = pseudonymise(ids, b"a" * 32)
    assert first[0] == first[2] != first[1]
    assert pd.isna(first[3])
    assert "9434765919" not in "".join(first.dropna())
    assert pseudonymise(ids, b"b" * 32)[0] != first[0]


def test_key_is_created_once_and_private(tmp_path):
    path = tmp_path / "secrets" / "key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert load_or_create_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "written", ["447 836 5431", "447-836-5431", "4478365431 ", "447 836-5431", "447\u00a0836\u00a05431"]
)
def test_one_patient_has_one_pseudonym_however_the_number_is_written(written):
    """Spells linked to RTT pathways by NHS number: exports write it with spaces, dashes or neither."""
    assert (
        pseudonymise(pd.Series([written]), b"a" * 32)[0]
        == pseudonymise(pd.Series(["4478365431"]), b"a" * 32)[0]
    )


def test_other_identifiers_are_normalised_alike():
    pseudonyms = pseudonymise(pd.Series(["rn-00123", "RN 00123", "RN00123", "RN00124"]), b"a" * 32)
    assert pseudonyms[0] == pseudonyms[1] == pseudonyms[2] != pseudonyms[3]


@pytest.mark.parametrize("written", ["943 476 5919", "943-476-5919", " 9434765919"])
def test_check_digit_of_a_number_written_with_spaces_or_dashes(written):
    assert is_valid_nhs_number(written)
    assert not is_valid_nhs_number(written[:-1] + "8")


@pytest.mark.parametrize("value", ["943476591²", "٩٤٣٤٧٦٥٩١٩", "9434765919x", "", "-", "94347659 1"])
def test_only_ten_ascii_digits_can_be_an_nhs_number(value):
    assert not is_valid_nhs_number(value)


@pytest.mark.parametrize(
    ("value", "placeholder"), [("0000000000", True), ("999 999 9999", True), ("9434765919", False)]
)
def test_placeholders_are_one_digit_ten_times(value, placeholder):
    assert is_valid_nhs_number(value)  # which is why the check digit alone does not catch them
    assert is_placeholder_nhs_number(value) == placeholder


def test_the_column_check_agrees_with_the_published_vectors():
    valid, placeholder = nhs_number_checks(VECTORS["nhs_number"])
    assert valid.tolist() == (VECTORS["valid"] == "TRUE").tolist()
    # The vectors' note: 0000000000 passes modulus 11 but is not an issued number.
    assert VECTORS["nhs_number"][placeholder].tolist() == ["0000000000"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.from_regex(r"[0-9]{10}|[0-9]{3}[ -][0-9]{3}[ -][0-9]{4}|[0-9 ]{0,12}|.{0,12}", fullmatch=True)
    )
)
def test_the_column_check_agrees_with_the_check_of_one_value(values):
    valid, placeholder = nhs_number_checks(pd.Series(values, dtype=object))
    assert valid.tolist() == [is_valid_nhs_number(v) for v in values]
    assert placeholder.tolist() == [is_placeholder_nhs_number(v) for v in values]


def test_an_nhs_number_exported_as_a_float_is_the_same_patient():
    """Issue 24: `4478365431.0` and `4.478365431E9` (a float column's export) link to `447-836-5431`."""
    key = b"k" * 32
    written = pd.Series(["447-836-5431", "4478365431.0", "4.478365431E9", "4.478365431e+09"])
    assert pseudonymise(written, key).nunique() == 1
    valid, _ = nhs_number_checks(written)
    assert valid.all() and all(is_valid_nhs_number(v) for v in written)


def test_a_number_rounded_for_display_is_not_taken_for_the_patients():
    """Excel's `4.47837E+09` lost digits: it is left as written, and fails the check."""
    assert normalised_identifier("4.47837E+09") == "4.47837E+09"
    assert not is_valid_nhs_number("4.47837E+09")
    assert not is_valid_nhs_number("4478365431.5")


def test_an_nhs_number_with_thousands_separators_is_the_same_patient():
    """A spreadsheet that took the number for a count wrote `9,434,765,919`."""
    key = b"k" * 32
    written = pd.Series(
        ["943 476 5919", "9,434,765,919", "9,434,765,919.0", "9.434.765.919", "9'434'765'919"]
    )
    assert pseudonymise(written, key).nunique() == 1
    assert nhs_number_checks(written)[0].all() and all(is_valid_nhs_number(v) for v in written)
    assert not is_valid_nhs_number("9,434,765,918") and normalised_identifier("1,234") == "1,234"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("line 86, Total All: 9,434,765,919, but", "line 86, Total All: 943*******, but"),
        ("waiting: '9.434765919E+09'", "waiting: '943*******'"),
        ("group 9.434765919e+09", "group 943*******"),
        ("Dr 943 476 5919", "Dr 943 *** ****"),
        ("x9434765919x", "x943*******x"),
        ("n=1,234,567,890 and 9,434,765,918", "n=1,234,567,890 and 9,434,765,918"),  # fail the check
        ("4.47837E+09", "4.47837E+09"),  # rounded for display: not the patient's
        # a second outside check: the thousands of other locales, and a three-digit exponent
        ("clock_start: '9 434 765 919' is not a date", "clock_start: '9 4** *** ***' is not a date"),
        ("9\u202f434\u202f765\u202f919", "9\u202f4**\u202f***\u202f***"),
        ("9.434.765.919", "943*******"),
        ("9'434'765'919", "943*******"),
        ("9.434765919E+009", "943*******"),
        ("file 9-434-765-919.csv", "file 9-4**-***-***.csv"),  # a third check: dashes, as ingest reads
        ("9434-765-919", "943*-***-***"),
        ("clock_start: 2024-11-30 10:00", "clock_start: 2024-11-30 10:00"),  # a date stays a date
    ],
)
def test_an_nhs_number_is_masked_however_a_spreadsheet_wrote_it(text, shown):
    """An outsider: `9,434,765,919` and `9.434765919E+09` were echoed whole in errors, a stats CSV,
    the upload's rows to fix and the ingest's errors file, while the plain form was masked."""
    assert mask_nhs_numbers(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [  # an outside check typed these where a code, a group's name or a page's field belongs
        ("943.476.5919", "943.***.****"),
        ("943/476/5919", "943/***/****"),
        ("９４３４７６５９１９", "９４３*******"),  # full-width digits
        ("PROC_GRP ٩٤٣٤٧٦٥٩١٩!", "PROC_GRP ٩٤٣*******!"),  # Arabic-Indic digits
        ("94347 65919", "943** *****"),
        ("9 4 3 4 7 6 5 9 1 9", "9 4 * * * * * * * *"),
        ("943\t476\t5919", "943\t***\t****"),
        ("growth '94347-65919' is not a number", "growth '943**-*****' is not a number"),
        ("943.476.5918", "943.476.5918"),  # fails the check
        ("clock_start: 30.11.2024 10.00", "clock_start: 30.11.2024 10.00"),  # a date stays a date
        ("tel 01234 567 890", "tel 01234 567 890"),  # eleven digits
        # a second check found these in clear, and one loaded into the warehouse as a consultant's code
        ("(943) 476-5919", "(943) ***-****"),
        ("943  476  5919", "943  ***  ****"),
        ("943 - 476 - 5919", "943 - *** - ****"),
        ("943\u2013476\u20135919", "943\u2013***\u2013****"),  # en dashes, as Word puts them
        ("943_476_5919", "943_***_****"),
        ("943:476:5919 943|476|5919", "943:***:**** ***|***|****"),  # side by side: masked together
        ("943,476,5919", "943,***,****"),
        ("943 4765 919", "943 **** ***"),
        ("94 34 76 59 19", "94 ** ** ** **"),
        ("943\u200b476\u200b5919", "943\u200b***\u200b****"),  # zero-width spaces
        ("943\r\n476\r\n5919", "943\r\n***\r\n****"),
        ("0009434765919", "000**********"),  # leading zeros
        ("943.476.591.9", "943.***.***.*"),
        ("rows 3, 9434765919", "rows 3, 943*******"),  # beside another number
        ("at 2024-11-30 10:00:00 and 30/11/2024 10:00", "at 2024-11-30 10:00:00 and 30/11/2024 10:00"),
        ("4478365431.0", "447*******.0"),
        # a third check: these were in clear, and one number beside another showed its end
        ("943    476    5919", "943    ***    ****"),
        ("943 - - 476 - - 5919", "943 - - *** - - ****"),
        ("943\n\n\n\n476\n\n\n\n5919", "943\n\n\n\n***\n\n\n\n****"),
        ("⁹⁴³⁴⁷⁶⁵⁹¹⁹", "⁹⁴³*******"),  # superscript digits
        ("1234565,943 476 5919", "123****,*** *** ****"),
        # ... and these, no one's number, were masked
        ("2024-01-02 10:00-12:00", "2024-01-02 10:00-12:00"),
        ("02/01/2024 09:30 - 12:30", "02/01/2024 09:30 - 12:30"),
        ("01/01/2024 - 31/01/2024", "01/01/2024 - 31/01/2024"),
        ("loaded 2023-01-02 09:05:00, 12 rows", "loaded 2023-01-02 09:05:00, 12 rows"),
        ("rtt_2023-01-04_2023-02-03.csv", "rtt_2023-01-04_2023-02-03.csv"),
        ("tel 07700900000", "tel 07700900000"),
        ("tel 01632960001", "tel 01632960001"),
        ("tel +44 7700 900000", "tel +44 7700 900000"),
        ("£12,012,033.09 and £1,056,000,104", "£12,012,033.09 and £1,056,000,104"),
        ("rows 11, 12, 13, 14, 15, 16", "rows 11, 12, 13, 14, 15, 16"),
    ],
)
def test_an_nhs_number_is_masked_however_a_person_typed_it(text, shown):
    assert mask_nhs_numbers(text) == shown


def test_an_nhs_number_typed_so_in_another_column_is_found_by_the_column_check():
    """Ingest refuses an NHS number in the wrong column however it is written, so its rows-to-fix
    table shows it masked (it had said '943.476.5919 is not one of the codes')."""
    from stocktake.ingest.validate import _shown, _ten_digit_values

    text = pd.Series(
        ["943.476.5919", "９４３４７６５９１９", "943/476/5919", "94347 65919", "ARTH", "(943) 476-5919"]
    )
    ten_digits, passing = _ten_digit_values(text)
    assert passing.tolist() == [True, True, True, True, False, True]
    assert ten_digits.tolist() == [True, True, True, True, False, True]
    assert [_shown(v) for v in text] == [
        "943.***.****",
        "９４３*******",
        "943/***/****",
        "943** *****",
        "ARTH",
        "(943) ***-****",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4010232137 2.123456789E+09", "401******* 2.123456789E+09"),
        ("4010232137, 9.434765919E+09", "401*******, 943*******"),
        ("401 023 2137 9.434765919E+09", "401 *** **** 943*******"),
        ("9.434765919E+09 4010232137", "943******* 401*******"),
    ],
)
def test_a_number_beside_a_float_written_number_is_masked_too(text, expected):
    """An outside reading of the masker (found by a check that a long cell masks as if whole): a
    number in the same run of digits as a spreadsheet's float (`2.123456789E+09`) was skipped with it
    and shown whole, in an error message or a file name."""
    assert mask_nhs_numbers(text) == expected
