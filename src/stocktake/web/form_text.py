"""What a workspace form's text may hold: no control characters and no NHS numbers.

Checked once, where every form is first read (``security.check_csrf``), so no route can forget it. A
NUL byte had failed every write on PostgreSQL with a 500 whose traceback logged the values sent (an
outside check, beside the sign-in's username); a vertical tab pasted from Word into a target's basis
broke every board report's workbook after it; an NHS number typed in a PDSA cycle's title reached the
report's chart and PDF. Each is refused with the field's name instead.
"""

from __future__ import annotations

import unicodedata

from stocktake.ingest.pseudonymise import mask_nhs_numbers

#: Fields never kept or shown as typed (a password is hashed; the token is compared): left as sent.
UNCHECKED = frozenset({"password", "current", "new", "again", "csrf_token"})
#: Control characters a multi-line field may hold.
LINE_BREAKS_AND_TABS = frozenset("\t\n\r")
#: Forms whose routes refuse a control character themselves, naming its table, row and field (the rota
#: and job-plan forms, `rota.duties.control_character`): here only NHS numbers are checked (a route adds
#: its own path).
OWN_CONTROL_CHECKS: set[str] = set()


def _control(value: str) -> str | None:
    return next((c for c in value if unicodedata.category(c) == "Cc" and c not in LINE_BREAKS_AND_TABS), None)


def unfit_fields(fields, controls: bool = True) -> list[str]:
    """One line per text field that cannot be kept, naming it and why; ``fields``: (name, value)
    pairs, uploads among them left to their readers; ``controls``: control characters checked too."""
    problems = []
    for name, value in fields:
        if not isinstance(value, str) or name in UNCHECKED:
            continue
        shown = name if name.isprintable() and len(name) <= 40 else "a field"
        if controls and (bad := _control(value)) is not None:
            problems.append(
                f"{shown}: holds a control character (U+{ord(bad):04X}), which cannot be kept or exported; "
                "retype it, or paste it as plain text"
            )
        elif mask_nhs_numbers(value) != value:
            problems.append(
                f"{shown}: holds what reads as an NHS number; write no patient identifiers in the workspace"
            )
    return problems
