"""The lenient readers' rules one at a time, each on a hand-made case where a guess could go wrong."""

import codecs

import pandas as pd
import pytest

from stocktake.ingest import sniff


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("Café £5".encode(), "Café £5", "UTF-8"),
        (codecs.BOM_UTF8 + "Café".encode(), "Café", "UTF-8 with a byte-order mark"),
        ("Café £5".encode("utf-16"), "Café £5", "UTF-16"),
        # an export that leaves the mark off: UTF-8 had read it as NULs between the letters
        (
            "month,waiting\n2024-01,5".encode("utf-16-le"),
            "month,waiting\n2024-01,5",
            "UTF-16 without a byte-order mark",
        ),
        ("Café £5".encode("utf-16-be"), "Café £5", "UTF-16 without a byte-order mark"),
        ("Café £5 – 3".encode("cp1252"), "Café £5 – 3", "Windows-1252"),
        (b"plain", "plain", "UTF-8"),  # ASCII is UTF-8: nothing to say
    ],
)
def test_the_encoding_is_detected(data, text, encoding):
    assert sniff.decode(data) == (text, encoding)


def test_a_byte_neither_utf8_nor_windows_1252_is_named_by_row():
    with pytest.raises(sniff.UnreadableText) as raised:
        sniff.decode(b"a,b\n1,2\n3,\x9d\n")
    assert (raised.value.row, raised.value.byte) == (3, 0x9D)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('when,n\n2024-01-01,"1,234"\n2024-02-01,"2,345"\n', ","),  # quoted commas are values
        ('"when";"n"\n"2024-01-01";"1,234"\n"2024-02-01";"2,345"\n', ";"),
        ("when;n\n2024-01-01;3,5\n2024-02-01;4,25\n", ";"),  # decimal commas
        ("when\tn\n2024-01-01\t1,234\n2024-02-01\t2,345\n", "\t"),
        ("Report title\n\nwhen;n\n2024-01-01;3\n2024-02-01;4\n", ";"),  # under a title
        ("n\n1\n2\n", ","),  # one column: the default
    ],
)
def test_the_delimiter_is_sniffed_from_the_lines_read_as_csv(text, delimiter):
    assert sniff.sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("records", "expected", "at"),
    [
        ([["Title"], [], ["A", "B", "C"], ["1", "2", "3"]], ["a", " b "], 2),  # any case or spacing
        ([["A", "B"], ["1", "2"]], ["A", "B"], 0),
        ([["Title"], ["A", "B", "C"], ["1", "2", "3"]], ["A", "B", "X"], 1),  # X missing: still the header
        ([["Title"], ["A", "B"]], ["X", "Y"], 0),  # nothing like it: row 1, for validation to name
        ([["Spells, April", ""], ["Run by BI", ""], ["A", "B"], ["1", "2"]], [], 2),  # narrower: a title
        ([["2024", "5"], ["A", "B"], ["1", "2"]], [], 1),  # numbers are no header
        ([["A", "B"], ["1", "2"]], [], 0),
    ],
)
def test_the_header_is_found_under_a_title_block(records, expected, at):
    assert sniff.header_index(records, expected) == at


def _frame(rows):
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.mark.parametrize(
    ("rows", "totals"),
    [
        ([["id", "n"], ["a", "1"], ["b", "2"], ["c", "3"], ["Total", "6"]], [3]),
        ([["id", "n"], ["a", "1"], ["b", "2"], ["c", "3"], ["", "6"]], [3]),  # a row of sums
        ([["id", "n"], ["a", "1"], ["b", "2"], ["c", "3"], ["Subtotal", "6"], ["Grand total", "6"]], [3, 4]),
        ([["id", "n"], ["a", "1"], ["b", "2"], ["c", "3"], ["", "7"]], []),  # not the sum: data
        ([["id", "n"], ["a", "1"], ["b", "2"], ["c", "3"], ["d", "6"]], []),  # a key: data that sums
        ([["id", "n"], ["a", "1"], ["b", "2"], ["Total", "3"]], []),  # too few rows above to tell
        (
            [["what", "n"], ["Total deaths", "1"], ["Total deaths", "2"], ["Total deaths", "3"]],
            [],
        ),  # a label, not a total
        ([["id", "n"], ["a", "1,000"], ["b", "2,000"], ["c", "3,000"], ["", "6,000"]], [3]),
    ],
)
def test_a_totals_row_is_told_from_data(rows, totals):
    assert sniff.totals_rows(_frame(rows)) == totals


def test_the_line_says_each_guess_once_grouping_columns():
    guesses = sniff.Guesses(
        encoding="Windows-1252",
        delimiter=";",
        title_rows=(1, 3),
        totals_rows=(214,),
        values=(("dates day-first", "ADM_DTTM"), ("dates day-first", "DIS_DTTM")),
    )
    assert guesses.line() == (
        "read as Windows-1252, ';'-delimited, dates day-first (ADM_DTTM, DIS_DTTM), title rows 1–3 skipped, "
        "totals row 214 skipped"
    )
    assert (
        sniff.Guesses().line() == "" and sniff.Guesses(encoding="UTF-8 with a byte-order mark").line() == ""
    )


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("03-Mar-2022 20:33", None, "2022-03-03 20:33:00"),
        ("3 March 2022", None, "2022-03-03 00:00:00"),
        ("3/3/22", None, "2022-03-03 00:00:00"),
        ("01/04/2024 08:00:59", "dmy", "2024-04-01 08:00:59"),
        ("01/04/2024", "mdy", "2024-01-04 00:00:00"),
        ("2024-04-01T08:00", None, "2024-04-01 08:00:00"),
        ("Sept 2023", None, "2023-09-01 00:00:00"),
        ("31/02/2024", "dmy", None),  # no such day
        ("soon", None, None),
    ],
)
def test_one_date_as_people_write_it(value, order, expected):
    reading = sniff.read_dates(pd.Series([value]), order)
    found = reading.values.iloc[0]
    assert (str(found) if not pd.isna(found) else None) == expected
    assert reading.unreadable[0] == (expected is None)


def test_a_column_left_ambiguous_is_not_said_to_be_day_first():
    """Issue 24: "dates day-first (Date Ordered)" then every ambiguous row refused contradicted itself;
    05/05/2023 reads one way, but no order was chosen for the column."""
    reading = sniff.read_dates(pd.Series(["01/04/2022", "05/05/2023", "03/02/2022"]))
    assert reading.order is None
    assert list(reading.ambiguous) == [True, False, True]
    assert "dates day-first" not in reading.notes
    settled = sniff.read_dates(pd.Series(["01/04/2022", "25/05/2023"]))
    assert settled.order == "dmy" and "dates day-first" in settled.notes
