"""What a workspace form's text may hold: no control characters and no NHS numbers.

Checked once, where every form is first read (``security.check_csrf``), so no route can forget it. A
NUL byte had failed every write on PostgreSQL with a 500 whose traceback logged the values sent (an
outside check, beside the sign-in's username); a vertical tab pasted from Word into a target's basis
broke every board report's workbook after it; an NHS number typed in a PDSA cycle's title reached the
report's chart and PDF. Each is refused with the field's name instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable

from stocktake.ingest.pseudonymise import URL_ESCAPE, is_valid_nhs_number, read_as_digits, ten_digit_runs
from stocktake.unseen import BLANKS, seen

#: Fields never kept or shown as typed (a password is hashed; the token is compared): left as sent.
UNCHECKED = frozenset({"password", "current", "new", "again", "csrf_token"})
#: Control characters a multi-line field may hold.
LINE_BREAKS_AND_TABS = frozenset("\t\n\r")
#: Forms whose routes read the whole form themselves and give it back with its refusals, every row
#: kept (the rota and job-plan forms, a hundred rows each: a refusal here had lost them all to an error
#: page). By path: (field name, which of its values) → its label ("Doctors, row 3, Name", not
#: "doctors-name"). The route calls :func:`form_problems` with it; a route adds its own.
CHECKED_BY_ROUTE: dict[str, Callable[[str, int], str]] = {}
#: Beyond the control characters: what XML (a workbook) cannot hold, or what turns text round, hides
#: or breaks its lines unseen: surrogates and unassigned code points (U+FFFF had written a workbook no
#: spreadsheet opens, with nothing said), line and paragraph separators, and the format characters
#: (Cf: bidirectional overrides, zero-width spaces, word joiners, byte-order marks) but those below.
UNFIT_CATEGORIES = frozenset({"Cc", "Cs", "Cn", "Co", "Zl", "Zp", "Cf"})
#: Format characters ordinary writing needs, kept: the zero-width non-joiner and joiner (Persian,
#: the Indic scripts, emoji such as 👩🏽‍⚕️), left-to-right and right-to-left marks (a name in Arabic
#: within English), the soft hyphen Word pastes, and the tags of the Welsh and Scottish flags. An NHS
#: number is read past them (an outside check hid one with U+2060; a recheck found these refused).
WRITING_FORMATS = frozenset("\u200c\u200d\u200e\u200f\u00ad") | frozenset(map(chr, range(0xE0020, 0xE0080)))


def _unfit_character(value: str, c0: bool) -> str | None:
    """The first character the field cannot keep; ``c0``: the C0 controls too (else a route says)."""
    for c in value:
        if c in LINE_BREAKS_AND_TABS or (not c0 and (c < " " or c == "\x7f")) or c in WRITING_FORMATS:
            continue
        if unicodedata.category(c) in UNFIT_CATEGORIES or c in BLANKS:
            return c
    return None


#: A digit just before or after ten digits, across a few separators: they are ten of a longer list.
_DIGIT_BEFORE = re.compile(r"[0-9][^0-9A-Za-z]{0,8}\Z")
_DIGIT_AFTER = re.compile(r"[^0-9A-Za-z]{0,8}[0-9]")


def holds_nhs_number(value: str) -> bool:
    """Whether ``value`` holds an NHS number however it is grouped or written: the candidates the
    uploads' masking finds (``ten_digit_runs``: one rule for both; an outside check got "943476 5919",
    "9-4-3-4-7-6-5-9-1-9" and a line break past a stricter one here), the check digit deciding. Ten
    numbers a space, a slash or a line apart can fit it too (one time in eleven): refused, the field
    named, and the writer may put commas between them."""
    # as shown: 401⁠023⁠2137 reads whole; a mark drawn on a digit (a combining low line) or nothing
    shown = seen(value)
    readable = read_as_digits(shown)
    return any(
        is_valid_nhs_number(digits) and _written_as_one(readable, start, end)
        for start, end, digits in ten_digit_runs(shown)
    )


def _written_as_one(text: str, start: int, end: int) -> bool:
    """Whether ten digits (``text[start:end]``) read as one number as a person writes one: in three groups
    or fewer ("943 476 5919", "943476 5919", "(943) 476-5919"), or in more parted alike and with no
    more digits beside them ("9-4-3-4-7-6-5-9-1-9", "40 10 23 21 37"); not percentages. Readings that
    alternate ("BP 132/70 114/91", "slots 12.00 11.30") are not one number, nor ten of a longer list
    of counts ("Weekly 12 13 30 22 36 55 32 44 46 17"): rechecks found a quarter, then half, of such
    lines refused by chance, each window of ten digits a new chance to fit the check digit."""
    span = URL_ESCAPE.sub(" ", text[start:end])
    if "%" in span:
        return False
    groups = re.findall(r"[0-9]+", span)
    if len(groups) <= 3:
        return True
    partings = {re.sub(r"\s+", " ", p) for p in re.split(r"[0-9]+", span)[1:-1]}
    listed = _DIGIT_BEFORE.search(text[max(0, start - 9) : start]) or _DIGIT_AFTER.match(text[end : end + 9])
    return len(partings) == 1 and not listed


def form_problems(fields, label: Callable[[str, int], str]) -> list[str]:
    """:func:`unfit_fields` for a form whose route reads it whole (:data:`CHECKED_BY_ROUTE`), C0
    controls left to the route (it names their table, row and field and links to them), and a file
    sent where text is asked for refused: an outside check's file part named "4010232137" was kept as
    the text of its repr."""
    files = [label(name, nth) for name, nth, value in _numbered(fields) if not isinstance(value, str)]
    return [f"{where}: a file was sent where text is asked for" for where in files] + unfit_fields(
        fields, controls=False, label=label
    )


def as_text(value) -> str:
    """A form value as text: a file part sent where text is asked for is none (its repr, file name and
    all, had been kept as a doctor's name); :func:`form_problems` says it was sent."""
    return value if isinstance(value, str) else ""


def _numbered(fields):
    """(name, which of its values, value) for each field."""
    seen = Counter()
    for name, value in fields:
        yield name, seen[name], value
        seen[name] += 1


def unfit_fields(fields, controls: bool = True, label: Callable[[str, int], str] | None = None) -> list[str]:
    """One line per text field that cannot be kept, naming it and why; ``fields``: (name, value)
    pairs, uploads among them left to their readers; ``controls``: C0 controls checked too; ``label``:
    a field's name on its form, from its name and which of the name's values it is (0 for the first)."""
    problems = []
    for name, nth, value in _numbered(fields):
        if not isinstance(value, str) or name in UNCHECKED:
            continue
        printable = name.isprintable() and len(name) <= 40 and not holds_nhs_number(name)
        shown = (label(name, nth) if label else name) if printable else "a field"
        if (bad := _unfit_character(value, controls)) is not None:
            problems.append(
                f"{shown}: holds a character that cannot be kept or exported (U+{ord(bad):04X}, a control "
                "or invisible character); retype it, or paste it as plain text"
            )
        elif holds_nhs_number(value):
            problems.append(
                f"{shown}: holds what reads as an NHS number; write no patient identifiers in the workspace"
            )
    return problems
