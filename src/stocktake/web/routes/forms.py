"""Reading typed values out of form fields, with errors that name the field."""

from __future__ import annotations

from datetime import date

from stocktake.appdb.actions import ActionError


def a_date(field: str, text: str, *, optional: bool = False) -> date | None:
    if optional and not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ActionError(f"{field}: a date as YYYY-MM-DD, not {text!r}") from None


def a_number(field: str, text: str, kind=float):
    try:
        return kind(text.strip())
    except ValueError:
        raise ActionError(f"{field}: a {'whole ' if kind is int else ''}number, not {text!r}") from None


def texts(form) -> dict[str, str]:
    """A form read by hand (fields named at run time) as text only: a file sent where text belongs
    is refused by name rather than failing deep in a route."""
    found = {}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise ActionError(f"{name}: text, not a file")
        found[name] = value
    return found
