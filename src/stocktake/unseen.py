"""Characters that draw nothing: format characters (joiners, tags, bidirectional marks), marks drawn on
another character, and blanks of other categories. A form refuses most of them; an NHS number and a
password are read as a person sees them, past them (an outside check hid "401 023 2137" and
"Password2026!" behind them)."""

from __future__ import annotations

import unicodedata

#: Categories that draw nothing of their own: format characters, and marks drawn on another.
UNSEEN_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
#: Characters that draw nothing, or a blank, outside those categories: the Hangul fillers, the braille
#: blank and the musical null notehead; and the combining grapheme joiner, a mark that draws nothing.
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800\U0001d159\u034f")


def seen(text: str) -> str:
    """``text`` as a person sees it: what draws nothing left out."""
    return "".join(c for c in text if unicodedata.category(c) not in UNSEEN_CATEGORIES and c not in BLANKS)
