"""One search box for the workspace: the measures (as the overview searches them) and what the
workspace keeps (``appdb.search``), each kind the user may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from stocktake.appdb.models import User
from stocktake.appdb.search import Hit, excerpt, find, words_of
from stocktake.web.pages import render
from stocktake.web.programme_view import participant_of, sees_everyone
from stocktake.web.security import database, viewer

router = APIRouter()


@router.get("/search")
def search(request: Request, q: str = "", user: User = Depends(viewer), db: Session = Depends(database)):
    query = q.strip()[:200]
    workspace = request.app.state.workspace
    words = words_of(query)
    # The measures the overview shows: one whose data are not loaded has no page to open.
    shown = [e.result.metric for e in workspace.stocktake(db).entries] if workspace.warehouse.exists() else []
    measures = [
        Hit("Measure", m.title, f"/metrics/{m.id}", found, False)
        for m in shown
        if (found := excerpt([m.title, m.area, m.id, m.description], words)) is not None
    ]
    visible = None if sees_everyone(user, db) else {p.cohort.programme_id for p in participant_of(db, user)}
    titles = {m.id: m.title for m in shown}
    kept = find(db, query, programme_ids=visible, metric_titles=titles) if words else []
    return render(
        request,
        "search.html",
        user,
        title=f"Search: {query}" if query else "Search",
        q=query,
        hits=measures + kept,
    )
