"""Keeping an outcome measure's expected counts: a file in the home that every viewer's funnel page
and the board report then read, so keeping one is audited and the one it replaces is withdrawn, not
deleted (ADR 34)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import User
from stocktake.files.expected import (
    ExpectedFileError,
    KeptExpected,
    keep_expected,
    kept_expected,
    parse_expected,
)


def keep_expected_counts(
    session: Session,
    *,
    by: User | None,
    home: Path,
    metric_id: str,
    content: bytes,
    name: str,
    dimension: str = "site",
    who: str = "",
    cases: Mapping[str, float] | None = None,
    months: tuple[str, str] | None = None,
) -> KeptExpected:
    """Keep ``content`` (``unit,expected``, one row per group of ``dimension``) as the measure's
    expected counts in ``home``, the counts
    it replaces withdrawn beside it. Refused, with nothing written and no event, unless every row is
    right. ``who``: the person when there is no account (the command line says whose). ``cases``:
    each group's cases in the data (``verdicts.expected.cases_by_group``): a file naming none of
    them, or expecting more events than a group's cases, is refused. ``months``: the first and last
    month (YYYY-MM) the counts are for, over which observed events are counted. Counts kept before
    that cannot be read are withdrawn as they are, not in the way (issue 28)."""
    who = by.username if by is not None else who or "the command line"
    try:
        counts = parse_expected(content, name, cases)
    except ExpectedFileError as error:
        raise ActionError(str(error)) from None
    try:
        previous, damaged = kept_expected(home, metric_id, dimension), False
    except ExpectedFileError:
        previous, damaged = None, True
    detail = f"{len(counts)} {dimension}(s) from {name}"
    if months is not None:
        detail += f" for {months[0]} to {months[1]}"
    if damaged:
        detail += "; the damaged counts kept before withdrawn"
    if previous is not None:
        detail += f"; the counts kept by {previous.kept_by} on {previous.at:%Y-%m-%d} withdrawn"
    if by is None:
        detail += f" (by {who})"
    with _transaction(session):
        record(session, user=by, action="expected_counts_kept", subject=f"metric:{metric_id}", detail=detail)
        session.flush()  # a database that refuses the event refuses before the files are touched
        try:
            kept, _ = keep_expected(
                home,
                metric_id,
                content,
                by=dimension,
                name=name,
                who=who,
                at=base._now(),
                cases=cases,
                months=months,
            )
        except ExpectedFileError as error:
            raise ActionError(str(error)) from None
        except OSError as error:
            raise ActionError(f"{name}: cannot keep it in the home: {error.strerror}") from None
    return kept
