"""The overview: what matters in ten seconds. Counts per verdict and the Making Data Count matrix at
the top (each a link that filters), then every measure's latest value, target, icons and verdict;
filter by area, site, verdict or matrix cell, search by title, sort."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from stocktake.appdb.models import User
from stocktake.verdicts.changes import KINDS, since_last_month, window_statement
from stocktake.verdicts.narrative import CATEGORIES
from stocktake.verdicts.stocktake import ASSURANCE_COLUMNS, VARIATION_ROWS, Entry, StockTake, variation_row
from stocktake.web.pages import render
from stocktake.web.security import database, viewer
from stocktake.web.templating import environment

router = APIRouter()

#: The order a lead reads in: what is going backwards first.
SORTS = {
    "verdict": "Verdict (going backwards first)",
    "title": "Measure (A to Z)",
    "area": "Area",
}
_ASSURANCE_KEYS = {str(key).lower(): key for key in ASSURANCE_COLUMNS}  # None → "none"


@dataclass(frozen=True)
class Filters:
    """What the lead asked to see; unknown values are dropped, never an error."""

    area: str = ""
    site: str = ""
    verdict: str = ""
    variation: str = ""
    assurance: str = ""
    q: str = ""
    sort: str = "verdict"

    def query(self, **changes) -> str:
        """This view's query string with ``changes``, for links that keep the other filters."""
        from urllib.parse import urlencode

        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v and not (k == "sort" and v == "verdict")})


def chosen(entries: list[Entry], filters: Filters) -> list[Entry]:
    """The measures the filters keep, in the order asked for."""
    words = filters.q.lower().split()
    kept = [
        e
        for e in entries
        if (not filters.area or e.result.metric.area == filters.area)
        and (not filters.verdict or e.category == filters.verdict)
        and (not filters.variation or variation_row(e) == filters.variation)
        and (not filters.assurance or e.result.assurance_type == _ASSURANCE_KEYS[filters.assurance])
        and all(w in f"{e.result.metric.title} {e.result.metric.area}".lower() for w in words)
    ]
    order = list(CATEGORIES)
    key = {
        "verdict": lambda e: order.index(e.category),
        "title": lambda e: e.result.metric.title.lower(),
        "area": lambda e: e.result.metric.area,
    }[filters.sort]
    return sorted(kept, key=key)  # stable: catalogue order within a verdict or area


@router.get("/")
def overview(
    request: Request,
    area: str = "",
    site: str = "",
    verdict: str = "",
    variation: str = "",
    assurance: str = "",
    q: str = "",
    sort: str = "verdict",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    workspace = request.app.state.workspace
    if not workspace.warehouse.exists():
        return render(request, "empty.html", user, title="No data yet")
    sites = workspace.groups("site")
    stocktake = workspace.stocktake(db, site=site if site in sites else None)
    areas = sorted({e.result.metric.area for e in stocktake.entries})
    filters = Filters(
        area=area if area in areas else "",
        site=site if site in sites else "",
        verdict=verdict if verdict in CATEGORIES else "",
        variation=variation if variation in VARIATION_ROWS else "",
        assurance=assurance if assurance in _ASSURANCE_KEYS else "",
        q=q.strip()[:100],
        sort=sort if sort in SORTS else "verdict",
    )
    results = (
        _results(stocktake, filters)
        if filters.q
        else workspace.cached(
            ("overview", *filters.__dict__.values()), db, lambda: _results(stocktake, filters)
        )
    )
    if request.headers.get("HX-Request"):
        return HTMLResponse(results)
    chosen_site = filters.site or None
    areas_of = {e.result.metric.id: e.result.metric.area for e in stocktake.entries}
    alerts = workspace.cached(
        ("since last month", chosen_site),
        db,
        lambda: since_last_month(stocktake, lambda p: workspace.stocktake(db, site=chosen_site, period=p)),
    )
    return render(
        request,
        "overview.html",
        user,
        title="Overview",
        stocktake=stocktake,
        results=results,
        window=window_statement(stocktake.entries),
        incomplete=_incomplete(stocktake, workspace.reaches()),
        alerts=[c for c in alerts if not filters.area or areas_of[c.metric_id] == filters.area],
        kinds=KINDS,
        areas=areas,
        sites=sites,
        filters=filters,
        categories=CATEGORIES,
        sorts=SORTS,
    )


def _results(stocktake: StockTake, filters: Filters) -> Markup:
    """The summary (counts per verdict, the matrix) and the table: the same for every user, so
    rendered once per change of the data and filters."""
    in_area = [e for e in stocktake.entries if not filters.area or e.result.metric.area == filters.area]
    counts = {key: sum(e.category == key for e in in_area) for key in CATEGORIES}
    matrix = [
        (
            key,
            label,
            [
                (
                    str(a).lower(),
                    [e for e in in_area if variation_row(e) == key and e.result.assurance_type == a],
                )
                for a in ASSURANCE_COLUMNS
            ],
        )
        for key, label in VARIATION_ROWS.items()
    ]
    html = environment.get_template("_overview_results.html").render(
        entries=chosen(stocktake.entries, filters),
        total=len(in_area),
        counts=counts,
        matrix=matrix,
        assurance_columns=list(ASSURANCE_COLUMNS.values()),
        filters=filters,
        categories=CATEGORIES,
    )
    return Markup(html)


def _incomplete(stocktake: StockTake, reaches: dict) -> list[tuple[str, list[str]]]:
    """Each incomplete month left out (ADR 29), with the areas (or measures) it is left out of:
    [("April 2025 incomplete: data to 14 April", ["Hip fracture"])]."""
    shown = {e.result.metric.id: e.result.metric for e in stocktake.entries}
    notes: dict[str, list] = {}
    for metric_id, reach in reaches.items():
        if reach.note and metric_id in shown:
            notes.setdefault(reach.note, []).append(shown[metric_id])
    found = []
    for note, metrics in notes.items():
        areas = dict.fromkeys(m.area for m in metrics)
        whole = [a for a in areas if all(m.id in {x.id for x in metrics} for m in _in_area(stocktake, a))]
        names = whole + [m.title for m in metrics if m.area not in whole]
        found.append((note, names))
    return found


def _in_area(stocktake: StockTake, area: str) -> list:
    return [e.result.metric for e in stocktake.entries if e.result.metric.area == area]
