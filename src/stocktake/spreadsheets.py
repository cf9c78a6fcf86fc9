"""Text written for a spreadsheet stays text: a label such as ``=HYPERLINK(…)`` typed into the
workspace, or found in an extract, must never become a live formula in a board's workbook or CSV.

Workbooks keep the text exactly, typed as a string; CSV has no types, so a value a spreadsheet would
read as a formula gets a leading apostrophe (OWASP's advice on CSV injection). Numbers are left be.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from stocktake.atomic import move_into_place, staging_folder

#: A cell starting with one of these is read by Excel, LibreOffice or Sheets as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_csv_text(value):
    """``value`` as a CSV cell that no spreadsheet will evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def csv_ready(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell made safe for a spreadsheet (numeric columns untouched)."""
    text = [c for c in table.columns if table[c].dtype == object or pd.api.types.is_string_dtype(table[c])]
    return table.assign(**{c: table[c].map(as_csv_text) for c in text}) if text else table


def keep_text(workbook: Workbook) -> None:
    """Turn any cell openpyxl took for a formula back into the text it was given (we write none)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_tables(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """The first table as CSV, or every table as a sheet of a workbook (header row frozen, text kept
    as text); written to a temporary file beside ``path`` and renamed, so a failure leaves nothing
    half-written. An OSError is the caller's to word."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=staging_folder(path),
        prefix=f".{path.name}.",
        suffix=path.suffix.lower(),  # openpyxl: .xlsx
    )
    os.close(handle)
    try:
        if path.suffix.lower() == ".csv":
            csv_ready(next(iter(sheets.values()))).to_csv(temporary, index=False)
        else:
            with pd.ExcelWriter(temporary, engine="openpyxl") as writer:
                for name, table in sheets.items():
                    table.to_excel(writer, sheet_name=name, index=False)
                    writer.sheets[name].freeze_panes = "A2"
                keep_text(writer.book)
        move_into_place(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
