"""How a count is written in a waiting-list file: digits, with or without a spreadsheet's thousands
commas ("1,471"), and nothing a spreadsheet or a program made of it on the way.

``6.53E+06`` is how a spreadsheet shows 6,527,149 in a narrow column, and what it saves when the
column is formatted as "General": three figures of seven, 2,851 pathways lost without a word.
``6_527_149`` is a programmer's spelling, and ``65,27,149`` or ``6.527.149`` other countries'. Each is
refused with what it is, not read.
"""

from __future__ import annotations

import re

import pandas as pd

#: A count as people and spreadsheets write one; a sign and a fraction are let through to be refused
#: by the reader with its own range rule ("a whole number, 0 or more").
PLAIN = re.compile(r"[-+]?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?")
SCIENTIFIC = re.compile(r"[-+]?\d*\.?\d+[eE][-+]?\d+")


def plainly_written(text: pd.Series) -> pd.Series:
    """Whether each cell (text, already stripped) is a number written plainly."""
    return text.str.fullmatch(PLAIN.pattern).fillna(False).astype(bool)


def as_number(text: pd.Series) -> pd.Series:
    """The plainly written cells as numbers (thousands commas taken out); anything else NaN."""
    plain = plainly_written(text)
    return pd.to_numeric(text.where(plain).str.replace(",", "", regex=False), errors="coerce")


def why_not_a_count(cell: str) -> str:
    """What is wrong with a cell :func:`plainly_written` refused, in words."""
    if SCIENTIFIC.fullmatch(cell):
        return (
            "is in scientific notation, which a spreadsheet writes when it rounds a count to a few "
            "figures; format the column as a whole number (Number, 0 decimal places) and save it again"
        )
    return "is not a count (a whole number, 0 or more, written in digits, with or without commas: 1,471)"
