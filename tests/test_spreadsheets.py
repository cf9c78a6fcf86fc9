"""Text that a spreadsheet would evaluate stays text in every workbook and CSV we write."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook, load_workbook

from stocktake.spreadsheets import as_csv_text, csv_ready, keep_text

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


def test_csv_cells_that_a_spreadsheet_would_evaluate_get_an_apostrophe():
    for text in FORMULAS:
        assert as_csv_text(text) == "'" + text
    for kept in ("midway to GIRFT", "-5", "-1.5e3", "+44", "", "a=b", 3, -4.0, None):
        assert as_csv_text(kept) == kept


def test_a_tables_numbers_are_untouched_and_its_text_is_made_safe():
    table = pd.DataFrame({"label": ["=1+1", "fine"], "value": [-1.0, 2.0]})
    written = csv_ready(table).to_csv(index=False)
    assert written.splitlines() == ["label,value", "'=1+1,-1.0", "fine,2.0"]


def test_a_workbook_keeps_formula_like_text_as_text():
    book = Workbook()
    book.active.append(["=1+1", 5, "plain"])
    keep_text(book)
    buffer = io.BytesIO()
    book.save(buffer)
    cell = load_workbook(io.BytesIO(buffer.getvalue())).active["A1"]
    assert cell.value == "=1+1" and cell.data_type == "s"
