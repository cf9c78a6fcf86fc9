"""A metric's page: its SPC chart with change dates, drill-down by site, consultant or procedure,
annotations and the department's own target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

import numpy as np
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import Annotation, TargetSetting, User
from stocktake.metrics.catalogue import dimension_expressions
from stocktake.report.charts import POINT_NAMES, entry_chart, plotly_json
from stocktake.report.funnel_chart import funnel_json
from stocktake.targets.setting import Benchmark, between
from stocktake.verdicts.narrative import CATEGORIES, Formatter
from stocktake.verdicts.peers import funnel_method
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date, a_number
from stocktake.web.security import database, editor, viewer

router = APIRouter(prefix="/metrics")
BASELINE_POINTS = 12


def _entry(request: Request, db: Session, metric_id: str, site: str | None):
    workspace = request.app.state.workspace
    site = site if site in workspace.groups("site") else None
    for entry in workspace.stocktake(db, site=site).entries:
        if entry.result.metric.id == metric_id:
            return entry, site
    raise HTTPException(404, f"no metric {metric_id!r}" + (f" at {site}" if site else ""))


def _page(
    request: Request,
    user: User,
    db: Session,
    metric_id: str,
    site: str | None,
    midway: MidwayAsk | None = None,
    **context,
):
    entry, site = _entry(request, db, metric_id, site)
    workspace = request.app.state.workspace
    metric = entry.result.metric
    catalogue = workspace.catalogue
    return render(
        request,
        "metric.html",
        user,
        title=metric.title,
        entry=entry,
        metric=metric,
        site=site or "",
        verdict=CATEGORIES[entry.category],
        figure=workspace.cached(("figure", metric_id, site), db, lambda: _figure(workspace, db, entry, site)),
        annotations=db.scalars(
            select(Annotation).where(Annotation.metric_id == metric_id).order_by(Annotation.dated)
        ).all(),
        target_setting=db.get(TargetSetting, metric_id),
        suggestion=_midway(entry, midway or MidwayAsk()),
        dimensions=[
            d for d in catalogue.dimensions if dimension_expressions(catalogue, metric, d) is not None
        ],
        funnel_dimensions=[
            d
            for d in catalogue.dimensions
            if funnel_method(metric) is not None and dimension_expressions(catalogue, metric, d) is not None
        ],
        today=date.today().isoformat(),
        point_names=POINT_NAMES,
        **context,
    )


def _figure(workspace, db: Session, entry, site: str | None) -> str:
    """The chart as Plotly JSON; staff see every value (exports hide small numbers)."""
    marks = workspace.stocktake(db, site=site).annotations.get(entry.result.metric.id, [])
    return plotly_json(entry_chart(entry, marks, hide_small=False, title=entry.result.metric.title))


@dataclass(frozen=True)
class MidwayAsk:
    """The midway suggestion's inputs from the page's form: a baseline period (default the latest 12
    months, where the service is now) and a benchmark (default the catalogue's)."""

    baseline_from: str = ""
    baseline_to: str = ""
    benchmark: str = ""
    benchmark_source: str = ""


def _midway(entry, ask: MidwayAsk) -> dict | None:
    """Midway between the baseline period's mean and the benchmark, at the measure's own decimals."""
    metric, x, values = entry.result.metric, entry.result.x, entry.result.chart.y
    if not metric.monthly:
        return None
    months = [f"{when:%Y-%m}" for when in x]
    start = (
        ask.baseline_from if ask.baseline_from in months else months[max(0, len(months) - BASELINE_POINTS)]
    )
    end = ask.baseline_to if ask.baseline_to in months and ask.baseline_to >= start else months[-1]
    chosen = np.array([start <= m <= end for m in months])
    typed = _number_or_none(ask.benchmark)
    if typed is not None:
        benchmark = Benchmark(typed, ask.benchmark_source.strip()[:200] or "a benchmark typed in")
    elif metric.target is not None:
        benchmark = Benchmark(metric.target.value, metric.target.source, metric.target.year)
    else:
        benchmark = None
    base = {"months": months, "baseline_from": start, "baseline_to": end, "benchmark": benchmark}
    if benchmark is None or np.isnan(values[chosen]).all():
        return base | {"value": None}
    target = between(float(np.nanmean(values[chosen])), benchmark)
    fmt = Formatter(metric.unit, metric.decimals)
    value = round(target.value, metric.decimals)
    basis = (
        f"midway from the mean of {start} to {end} ({fmt(target.baseline)}) "
        f"to {benchmark} ({fmt(benchmark.value)})"
    )
    return base | {"value": value, "shown": fmt(value), "basis": basis}


def _number_or_none(text: str) -> float | None:
    try:
        number = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return number if np.isfinite(number) else None


@router.get("/{metric_id}")
def metric_page(
    request: Request,
    metric_id: str,
    site: str = "",
    baseline_from: str = "",
    baseline_to: str = "",
    benchmark: str = "",
    benchmark_source: str = "",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    ask = MidwayAsk(baseline_from, baseline_to, benchmark, benchmark_source)
    return _page(request, user, db, metric_id, site, ask)


@router.get("/{metric_id}/drilldown")
def drilldown(
    request: Request,
    metric_id: str,
    by: str = "site",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """The metric for each site, consultant or procedure: patient-level data, so every view is logged."""
    workspace = request.app.state.workspace
    if by not in workspace.catalogue.dimensions:
        raise HTTPException(404, f"no dimension {by!r}")
    if not workspace.catalogue.has(metric_id):
        raise HTTPException(404, f"no metric {metric_id!r}")
    metric = workspace.catalogue.metric(metric_id)
    suppress = request.app.state.settings.drilldown_small_numbers == "suppress"
    rows = workspace.drilldown(db, metric_id, by, suppress=suppress)
    actions.record_now(
        db, user=user, action="drilldown_viewed", subject=f"metric:{metric_id}", detail=f"by {by}"
    )
    template = "_drilldown.html" if request.headers.get("HX-Request") else "drilldown.html"
    return render(
        request,
        template,
        user,
        title=f"{metric.title} by {by}",
        metric=metric,
        by=by,
        rows=rows,
        suppress=suppress,
        fmt=Formatter(metric.unit, metric.decimals),
    )


@router.get("/{metric_id}/funnel")
def funnel(
    request: Request,
    metric_id: str,
    by: str = "site",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """The metric's groups over the last year on a funnel plot: patient-level, so every view is logged."""
    workspace = request.app.state.workspace
    if by not in workspace.catalogue.dimensions:
        raise HTTPException(404, f"no dimension {by!r}")
    if not workspace.catalogue.has(metric_id):
        raise HTTPException(404, f"no metric {metric_id!r}")
    metric = workspace.catalogue.metric(metric_id)
    suppress = request.app.state.settings.drilldown_small_numbers == "suppress"
    peers = workspace.peers(db, metric_id, by, suppress=suppress)
    actions.record_now(
        db, user=user, action="funnel_viewed", subject=f"metric:{metric_id}", detail=f"by {by}"
    )
    fmt = Formatter(metric.unit, metric.decimals)
    rows, figure = [], ""
    if peers is not None:
        f = peers.funnel
        names = [workspace.name_of(by, g) for g in peers.groups]
        rows = [
            {"name": n, "value": v, "numerator": a, "denominator": d, "label": lab, "hidden": h}
            for n, v, a, d, lab, h in zip(
                names, f.value, f.numerator, f.denominator, f.significance, peers.hidden, strict=True
            )
        ]
        figure = funnel_json(peers, names, metric.title, by.replace("_", " "))
    return render(
        request,
        "funnel.html",
        user,
        title=f"{metric.title} compared across {by.replace('_', ' ')}s",
        metric=metric,
        by_label=by.replace("_", " "),
        peers=peers,
        method_missing=funnel_method(metric) is None,
        rows=rows,
        figure=figure,
        fmt=fmt,
    )


@router.post("/{metric_id}/target")
def set_target(
    request: Request,
    metric_id: str,
    value: str = Form(""),
    basis: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    entry, _ = _entry(request, db, metric_id, None)
    percent = entry.result.metric.unit == "%"
    return change_then_redirect(
        lambda: actions.set_target(
            db, by=user, metric_id=metric_id, value=a_number("Target", value), basis=basis, percent=percent
        ),
        to=f"/metrics/{metric_id}",
        page=partial(_page, request, user, db, metric_id, None),
    )


@router.post("/{metric_id}/annotations")
def add_annotation(
    request: Request,
    metric_id: str,
    dated: str = Form(""),
    label: str = Form(""),
    rebase: bool = Form(False),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _entry(request, db, metric_id, None)
    workspace = request.app.state.workspace

    def add():
        when = a_date("Date", dated)
        detail = workspace.rebase_readings(db, metric_id, when) if rebase and label.strip() else ""
        actions.add_annotation(
            db, by=user, metric_id=metric_id, dated=when, label=label, rebase=rebase, detail=detail
        )

    return change_then_redirect(
        add,
        to=f"/metrics/{metric_id}",
        page=partial(_page, request, user, db, metric_id, None),
    )


@router.post("/{metric_id}/annotations/{annotation_id}/delete")
def remove_annotation(
    request: Request,
    metric_id: str,
    annotation_id: int,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    try:
        actions.remove_annotation(db, by=user, annotation_id=annotation_id)
    except actions.ActionError as error:
        raise HTTPException(404, str(error)) from None
    return RedirectResponse(f"/metrics/{metric_id}", status_code=303)
