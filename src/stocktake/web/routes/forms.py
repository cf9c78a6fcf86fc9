"""Reading typed values out of form fields, with errors that name the field."""

from __future__ import annotations

from datetime import date

from stocktake.appdb.actions import ActionError
from stocktake.metrics.catalogue import Catalogue, Metric


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


def a_metric(field: str, metric_id: str, catalogue: Catalogue) -> Metric:
    """One of the department's metrics (``Catalogue.has``), else refused by name: the one check for a
    metric id from a form or a URL (``routes.metrics.known_metric`` turns the refusal into a 404)."""
    if not catalogue.has(metric_id):
        raise ActionError(f"{field}: {metric_id!r} is not a metric of this department")
    return catalogue.metric(metric_id)


def texts(form) -> dict[str, str]:
    """A form read by hand (fields named at run time) as text only: a file sent where text belongs
    is refused by name rather than failing deep in a route."""
    found = {}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise ActionError(f"{name}: text, not a file")
        found[name] = value
    return found
