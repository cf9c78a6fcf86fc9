"""The pages that correct a governance record: one edit form (prefilled, with a Withdraw button that
asks why) for every kind, and the history shown under each record (ADR 0024).

A form field's name is the field's name in the history (``met:12`` is criterion 12's count met), so
the labels a form shows are the labels its history shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import Request

from stocktake.appdb.models import User
from stocktake.web.pages import render

#: How the history names a withdrawal.
WITHDRAWN_LABEL = "Withdrawn"


@dataclass(frozen=True)
class Field:
    """One field of an edit form; ``kind`` is text, textarea, date, number or select."""

    name: str
    label: str
    value: str = ""
    kind: str = "text"
    options: tuple[tuple[str, str], ...] = ()  # (value, words) for a select
    hint: str = ""

    @property
    def html_id(self) -> str:
        return "field-" + self.name.replace(":", "-").replace("_", "-")


def shown(value: object) -> str:
    """A stored value as a form shows it: empty for none, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def labels_of(fields: Iterable[Field]) -> dict[str, str]:
    """The history's labels: each field's form label."""
    return {"withdrawn": WITHDRAWN_LABEL} | {f.name: f.label for f in fields}


def with_values(fields: Iterable[Field], sent: dict[str, str] | None) -> list[Field]:
    """The fields showing what was sent (a refused edit comes back as typed), else as stored."""
    if sent is None:
        return list(fields)
    return [Field(f.name, f.label, sent.get(f.name, f.value), f.kind, f.options, f.hint) for f in fields]


def edit_page(
    request: Request,
    user: User,
    *,
    noun: str,
    name: str,
    back: str,
    action: str,
    fields: list[Field],
    changes: list,
    status_code: int = 200,
    **context,
):
    """The edit form for one record (posted to ``action``, ending /edit), its Withdraw form (posted
    to the same path ending /withdraw) and its history."""
    return render(
        request,
        "edit.html",
        user,
        status_code=status_code,
        title=f"Correct {noun}: {name}",
        noun=noun,
        name=name,
        back=back,
        action=action,
        withdraw_action=action.removesuffix("/edit") + "/withdraw",
        fields=fields,
        changes=changes,
        labels=labels_of(fields),
        **context,
    )
