"""Keeping a measure's figures for other trusts, as published: a file in the home that every
viewer's funnel page (by trust) and the board report then read, so keeping one is audited and the
one it replaces is withdrawn, not deleted (ADR 39, as ADR 34 keeps expected counts)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import User
from stocktake.files.peer_figures import (
    KeptPeerFigures,
    PeerFiguresError,
    checked_source,
    keep_peer_figures,
    kept_peer_figures,
    parse_peer_figures,
    period_words,
)


def keep_peer_figures_for(
    session: Session,
    *,
    by: User | None,
    home: Path,
    metric_id: str,
    content: bytes,
    name: str,
    source: str,
    proportion: bool,
    own_trust: str = "",
    period: tuple[str, str] | None = None,
    who: str = "",
) -> KeptPeerFigures:
    """Keep ``content`` (``unit,numerator,denominator``, one row per other trust) as the measure's
    peer figures in ``home``, those it replaces withdrawn beside it. Refused, with nothing written and
    no event, unless every row is right (``ActionError``: one line per problem). ``who``: the person
    when there is no account (the command line says whose)."""
    who = by.username if by is not None else who or "the command line"
    try:
        source = checked_source(source)
        figures = parse_peer_figures(content, name, proportion=proportion, own_trust=own_trust, period=period)
    except PeerFiguresError as error:
        raise ActionError(str(error)) from None
    try:  # figures kept before that cannot be read are withdrawn as they are, not in the way (issue 28)
        previous, damaged = kept_peer_figures(home, metric_id, proportion=proportion), False
    except PeerFiguresError:
        previous, damaged = None, True
    detail = f"{len(figures.units)} trust(s) from {name} ({source}; {period_words(figures.period)})"
    if damaged:
        detail += "; the damaged figures kept before withdrawn"
    if previous is not None:
        detail += f"; the figures kept by {previous.kept_by} on {previous.at:%Y-%m-%d} withdrawn"
    if by is None:
        detail += f" (by {who})"
    with _transaction(session):
        record(session, user=by, action="peer_figures_kept", subject=f"metric:{metric_id}", detail=detail)
        session.flush()  # a database that refuses the event refuses before the files are touched
        try:
            kept, _ = keep_peer_figures(
                home,
                metric_id,
                content,
                name=name,
                source=source,
                who=who,
                at=base._now(),
                proportion=proportion,
                own_trust=own_trust,
                period=period,
            )
        except PeerFiguresError as error:
            raise ActionError(str(error)) from None
        except OSError as error:
            raise ActionError(f"{name}: cannot keep it in the home: {error.strerror}") from None
    return kept
