"""How long the signed-in session has left, for the page's expiry warning, and "Stay signed in".

Both answer anyone (JSON to the page's own script, never a page): a session that has ended answers
``{"signed_in": false}`` so the page can say so, rather than being redirected to sign in.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.web.security import database, session_timing

router = APIRouter(prefix="/session")


@router.get("")
def session_left(request: Request, db: Session = Depends(database)):
    """Read without counting as a use: a tab asking must not keep an idle session alive."""
    return _answer(request, lambda token, idle: actions.session_ends(db, token=token, idle=idle))


@router.post("/keep")
def keep_signed_in(request: Request, db: Session = Depends(database)):
    """The warning's "Stay signed in": the session counts as used now (CSRF-checked like any POST)."""
    return _answer(request, lambda token, idle: actions.keep_session(db, token=token, idle=idle))


def _answer(request: Request, ends_of) -> JSONResponse:
    token, idle = request.session.get("session"), request.app.state.settings.idle_timeout
    ends = ends_of(token, idle) if isinstance(token, str) else None
    timing = session_timing(ends, idle)
    body = {"signed_in": False} if timing is None else {"signed_in": True, **timing}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
