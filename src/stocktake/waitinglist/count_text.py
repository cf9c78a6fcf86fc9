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

#: A count as people and spreadsheets write one, in the digits 0-9 (a full-width or Arabic-Indic digit
#: was read by one reader and refused by the other); a sign and a fraction are let through to be
#: refused by the reader with its own range rule ("a whole number, 0 or more"), except thousands
#: grouped by full stops (below).
PLAIN = re.compile(r"[-+]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]*)?")
SCIENTIFIC = re.compile(r"[-+]?[0-9]*\.?[0-9]+[eE][-+]?[0-9]+")
#: 4.000 or 6.527.149: thousands grouped by full stops, as much of Europe writes them; "4.000" had been
#: read as four (an outside check: a semicolon file's 4,000 referrals read as 4).
DOT_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{3})+")
#: Thousands grouped by spaces (plain, no-break or narrow), as much of Europe and the SI write them.
SPACE_GROUPED = re.compile(r"[-+]?[0-9]{1,3}([ \u00a0\u202f][0-9]{3})+")


def plainly_written(text: pd.Series) -> pd.Series:
    """Whether each cell (text, already stripped) is a number written plainly."""
    plain = text.str.fullmatch(PLAIN.pattern).fillna(False).astype(bool)
    return plain & ~text.str.fullmatch(DOT_GROUPED.pattern).fillna(False).astype(bool)


def is_plain(cell: str) -> bool:
    """:func:`plainly_written` of one cell."""
    return bool(PLAIN.fullmatch(cell)) and not DOT_GROUPED.fullmatch(cell)


def as_number(text: pd.Series) -> pd.Series:
    """The plainly written cells as numbers (thousands commas taken out); anything else NaN."""
    plain = plainly_written(text)
    return pd.to_numeric(text.where(plain).str.replace(",", "", regex=False), errors="coerce")


def cut(cell: str, most: int = 40) -> str:
    """A cell as a message quotes it: a long one cut (3,000 characters had been echoed whole)."""
    return cell if len(cell) <= most else cell[:most] + "…"


def why_not_a_count(cell: str) -> str:
    """What is wrong with a cell :func:`plainly_written` refused, in words."""
    if SCIENTIFIC.fullmatch(cell):
        return (
            "is in scientific notation, which a spreadsheet writes when it rounds a count to a few "
            "figures; format the column as a whole number (Number, 0 decimal places) and save it again"
        )
    if DOT_GROUPED.fullmatch(cell) or SPACE_GROUPED.fullmatch(cell):
        return (
            "groups its thousands with full stops or spaces, which reads as a decimal or as text in "
            "other places; write the count in digits alone (4000), or with commas (4,000)"
        )
    return "is not a count (a whole number, 0 or more, in the digits 0-9, alone or with commas: 1,471)"
