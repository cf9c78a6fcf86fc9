"""A saved CSV read by Arrow where Arrow gives exactly what pandas' reader gives, and by pandas'
reader otherwise (NHS England's full monthly RTT file: a quarter of the time)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from stocktake.files.waitinglist import (
    WaitingListInputError,
    _read_by_arrow,
    _read_by_pandas,
    saved_csv_table,
)
from stocktake.ingest.sniff import decode, sniff_delimiter

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
PUBLISHED = sorted((FIXTURES / "rtt").glob("*.csv")) + sorted((FIXTURES / "waitinglist").glob("*.csv"))


def _both(text: str) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    delimiter = sniff_delimiter(text)
    return _read_by_arrow(text, delimiter, "f.csv"), _read_by_pandas(text, delimiter, "f.csv")


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.name)
def test_a_published_file_is_read_by_arrow_as_pandas_reads_it(path):
    text, _ = decode(path.read_bytes())
    by_arrow, by_pandas = _both(text)
    if path.name.startswith("rtt_provider") or path.name == "england_rtt_monthly.csv":
        assert by_arrow is not None  # files of these kinds are read by Arrow: the comparison is not empty
    if by_arrow is not None:  # others have a quoted header, or a blank line, which Arrow leaves
        pd.testing.assert_frame_equal(by_arrow, by_pandas)


@pytest.mark.parametrize(
    "text",
    [
        'month;waiting\r\n2024-01;"1.234"\r\n2024-02;1300\r\n',  # semicolons, Windows line ends, quotes
        'name,count\n"Smith, J",3\n"St Mary\'s ""A""",4\n',  # a quoted comma and doubled quotes
        "name,count\nCafé £,3\nx ,4\n",  # a character past ASCII, a space at a cell's end
    ],
)
def test_text_arrow_reads_is_read_as_pandas_reads_it(text):
    by_arrow, by_pandas = _both(text)
    assert by_arrow is not None
    pd.testing.assert_frame_equal(by_arrow, by_pandas)


@pytest.mark.parametrize(
    "text",
    [
        'name,count\nx, "3,344"\n',  # a space before a quote: pandas' reader skips it, Arrow's keeps it
        "name,count\nx, 3\n",  # a space at a cell's start
        "name , count\nx,3\n",  # spaces about a name
        "name,count\nx,3\n\ny,4\n",  # a blank line (kept as a row, so rows stay lines)
    ],
)
def test_text_arrow_could_read_differently_is_read_by_pandas(text):
    by_arrow, by_pandas = _both(text)
    assert by_arrow is None
    data = text.encode("utf-8")
    pd.testing.assert_frame_equal(saved_csv_table(data, "f.csv"), by_pandas.iloc[: len(by_pandas)])


def test_a_line_too_long_is_refused_and_one_ending_in_a_comma_read():
    """pandas' reader had read "x,3,5" under a header of two with "x" as the index: every cell shifted
    (an outside check's "Smith, J" became a procedure group "J"). A blank cell past the header (a line
    ending in a comma) is read; any other is refused, on whichever line it stands."""
    with pytest.raises(WaitingListInputError, match=r"f\.csv, line 2: 3 cells where the header has 2"):
        saved_csv_table(b"name,count\nx,3,5\n", "f.csv")
    with pytest.raises(WaitingListInputError, match=r"f\.csv, line 3: 3 cells where the header has 2"):
        saved_csv_table(b"name,count\nx,3\ny,4,note\n", "f.csv")
    read = saved_csv_table(b"name,count\nx,3,\ny,4,\n", "f.csv")
    assert list(read.columns) == ["name", "count"] and read.values.tolist() == [["x", "3"], ["y", "4"]]


def test_a_written_csv_keeps_twelve_figures_and_not_the_floats_last_digits(tmp_path):
    """An analyst read 20.999999999999996 target weeks in the stats CSV as a fault: a float's last
    digits are its arithmetic's. Twelve significant figures keep every figure the list can give (a
    national list is 8 digits) and drop them; whole numbers and text are as they were."""
    from stocktake.files.waitinglist import write_csv

    out = tmp_path / "out.csv"
    frame = pd.DataFrame(
        {
            "weeks": [0.1 + 0.2, 3 * 7.0 - 1e-14, 52 / 7],
            "count": [7_500_000, 3, 0],
            "group": ["P1", "P2", "P3"],
        }
    )
    write_csv(frame, out)
    assert out.read_text().splitlines() == [
        "weeks,count,group",
        "0.3,7500000,P1",
        "21,3,P2",
        "7.42857142857,0,P3",
    ]


def test_utf16_saved_without_its_byte_order_mark_is_read_as_with_it():
    """An outside check: such a file had been read as UTF-8, its header "m o n t h , …" refused as
    missing every column."""
    text = "month,waiting\n2024-01,1300\n2024-02,1310\n"
    marked = saved_csv_table(text.encode("utf-16"), "f.csv")
    for unmarked in (text.encode("utf-16-le"), text.encode("utf-16-be")):
        pd.testing.assert_frame_equal(saved_csv_table(unmarked, "f.csv"), marked)
    assert marked.values.tolist() == [["2024-01", "1300"], ["2024-02", "1310"]]
