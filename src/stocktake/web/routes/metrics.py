"""A metric's page: its SPC chart with change dates, drill-down by site, consultant or procedure,
annotations and the department's own target."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from functools import partial

import numpy as np
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import ROLES, Annotation, TargetSetting, User
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.metrics.catalogue import Metric, dimension_expressions
from stocktake.metrics.suppression import coarse_step
from stocktake.metrics.suppression import one_person as moved_by_one_person
from stocktake.report.charts import POINT_NAMES, entry_chart, plotly_json, static_chart
from stocktake.report.funnel_chart import funnel_json
from stocktake.report.slides import FORMATS as SLIDE_FORMATS
from stocktake.report.slides import slide_chart
from stocktake.small_numbers import NOT_RECORDED
from stocktake.targets.setting import Benchmark, already_beyond, between
from stocktake.verdicts.expected import (
    cases_by_group,
    compare_observed_expected,
    compares_observed_expected,
    holds_every_month,
    kept_for,
)
from stocktake.verdicts.narrative import CATEGORIES, Formatter, drawn_limits
from stocktake.verdicts.peers import funnel_method
from stocktake.web.comments import comments_page, their_comment
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date, a_metric, a_number
from stocktake.web.security import database, editor, viewer

#: The server-drawn chart's width (its height is 2.6 inches): the Plotly chart's shape, 2.25:1.
PAGE_CHART_INCHES = 5.85

router = APIRouter(prefix="/metrics")
BASELINE_POINTS = 12


def known_metric(request: Request, metric_id: str) -> Metric:
    """The metric named in the URL; any other id is a 404 (``forms.a_metric`` is the one check)."""
    try:
        return a_metric("metric", metric_id, request.app.state.workspace.catalogue)
    except actions.ActionError:
        raise HTTPException(404, f"no metric {metric_id!r}") from None


def _entry(request: Request, db: Session, metric_id: str, site: str | None):
    """The metric's entry in the stock-take (at ``site``); 404 for a stranger, or a measure with no
    values there."""
    known_metric(request, metric_id)
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
        # a target is the department's: a site's figures set it with no word of the site (an outside check)
        suggestion=_midway(entry, midway or MidwayAsk()) if site is None else None,
        dimensions=[
            d for d in catalogue.dimensions if dimension_expressions(catalogue, metric, d) is not None
        ],
        funnel_dimensions=[
            d
            for d, dimension in catalogue.dimensions.items()
            if funnel_method(metric) is not None
            and not dimension.own_standards
            and dimension_expressions(catalogue, metric, d) is not None
        ],
        today=date.today().isoformat(),
        point_names=POINT_NAMES,
        # the table's limits as the chart draws them and the sentence quotes them (a percentage's
        # lower limit had read -2.5% in the table and 0.0% in the sentence)
        limits=drawn_limits(
            entry.result.chart.lpl, entry.result.chart.upl, entry.result.chart.y, metric.unit
        ),
        **context,
    )


def _figure(workspace, db: Session, entry, site: str | None) -> str:
    """The chart as Plotly JSON; staff see every value (exports hide small numbers)."""
    return plotly_json(_page_chart(workspace, db, entry, site))


def _page_chart(workspace, db: Session, entry, site: str | None):
    marks = workspace.stocktake(db, site=site).annotations.get(entry.result.metric.id, [])
    return entry_chart(entry, marks, hide_small=False, title=entry.result.metric.title)


@router.get("/{metric_id}/chart.svg")
def chart_image(
    request: Request,
    metric_id: str,
    site: str = "",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """The page's chart drawn on the server, shown while Plotly loads (ADR 37): the chart is there
    when the page is, on any machine, and Plotly replaces it for hover and zoom. An image, so nothing
    in it can run; the same values as the page's chart, for the same signed-in staff."""
    entry, site = _entry(request, db, metric_id, site)
    workspace = request.app.state.workspace
    content = workspace.cached(
        ("chart-svg", metric_id, site),
        db,
        lambda: static_chart([_page_chart(workspace, db, entry, site)], "svg", width=PAGE_CHART_INCHES),
    )
    return Response(content, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


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
    problem = _impossible(typed, metric, values) if typed is not None else None
    if typed is not None and problem is None:
        benchmark = Benchmark(typed, ask.benchmark_source.strip()[:200] or "a benchmark typed in")
    elif metric.target is not None and problem is None:
        # the catalogue's national level, not the service's own resolved from it (ADR 78): a midway
        # between a trust's start and its own least gain would ask for less than the guidance's minimum
        national = metric.target.resolved_from or metric.target
        benchmark = Benchmark(national.value, national.source, national.year)
    else:
        benchmark = None
    base = {"months": months, "baseline_from": start, "baseline_to": end, "benchmark": benchmark}
    if problem:
        return base | {"value": None, "problem": problem}
    if benchmark is None or np.isnan(values[chosen]).all():
        return base | {"value": None}
    fmt = Formatter(metric.unit, metric.decimals)
    start_value, about = _baseline_as_exported(entry, chosen)
    if about:  # rounded beside hidden months: written to its step, and said to be rounded
        fmt = Formatter(metric.unit, metric.decimals, coarse=True)
        exact = float(np.nanmean(values[chosen]))
        # a step as wide as the gap to the benchmark could put the rounded mean on its other side (a
        # recheck: a mortality of 8.1% against 7.3% read "about 0%", "already better than national")
        if abs(start_value - exact) * 2 >= abs(exact - benchmark.value) or start_value == benchmark.value:
            beyond = (
                f"the months from {start} to {end} include some hidden beside small numbers, and their mean "
                f"as exports round it ({about}{fmt.statistic(start_value)}) is too coarse beside {benchmark} "
                f"({fmt(benchmark.value)}) to set a target from; choose a longer baseline"
            )
            return base | {"value": None, "beyond": beyond}
    target = between(start_value, benchmark)
    # the catalogue's target resolved for this service (ADR 78), where it asks more than the benchmark
    own = metric.target if metric.target is not None and metric.target.resolved_from is not None else None
    value = round(target.value, metric.decimals)
    # judged as shown: a mean of 1.684 days and a benchmark of 1.65 gave "1.7 days" midway, the
    # service's own level, which it already beats
    midway_shown = Benchmark(value, "")
    if already_beyond(start_value, benchmark, metric.improvement):
        relation = "at" if fmt(start_value) == fmt(benchmark.value) else "better than"
        keep = (
            f"Its target is {fmt(own.value)} ({own.source})"
            if own is not None and own.value != benchmark.value
            else "Keep to the present level"
        )
        beyond = (
            f"the mean of {start} to {end} ({about}{fmt.statistic(start_value)}) is already {relation} "
            f"{benchmark} ({fmt(benchmark.value)}): a target between them would ask the service to get "
            f"worse. {keep}, or give a more ambitious benchmark below"
        )
        return base | {"value": None, "beyond": beyond}
    if already_beyond(round(start_value, metric.decimals), midway_shown, metric.improvement):
        beyond = (
            f"midway from the mean of {start} to {end} ({about}{fmt.statistic(start_value)}) to {benchmark} "
            f"({fmt(benchmark.value)}) is {fmt(value)} at this measure's decimals, no better than the "
            "service is already. Give a more ambitious benchmark below"
        )
        return base | {"value": None, "beyond": beyond}
    basis = (
        f"midway from the mean of {start} to {end} ({about}{fmt.statistic(target.baseline)}) "
        f"to {benchmark} ({fmt(benchmark.value)})"
    )
    short = (
        own is not None and already_beyond(own.value, midway_shown, metric.improvement) and own.value != value
    )
    note = f"This is short of the measure's own target, {fmt(own.value)} ({own.source})" if short else ""
    return base | {"value": value, "shown": fmt(value), "basis": basis, "note": note}


def _baseline_as_exported(entry, chosen: np.ndarray) -> tuple[float, str]:
    """The baseline period's mean, and "about " where it is rounded: beside a month every export
    hides, to the step a period's mean is exported at (``suppression.coarse_step``), else exact. The
    basis is kept with the target and exported; an outside check worked a hidden May out of "the mean of
    2024-04 to 2024-06 (12.5%)" beside April and June shown."""
    values = entry.result.chart.y
    mean = float(np.nanmean(values[chosen]))
    hidden = entry.hidden
    if not (hidden & chosen).any():
        return mean, ""
    result = entry.result
    person = (
        moved_by_one_person(result.metric, result.denominator) if result.denominator is not None else None
    )
    step = coarse_step(result.chart, hidden, chosen, person)
    return (float(np.round(mean / step) * step), "about ") if step else (mean, "")


#: The largest benchmark typed in that is read (a 300-digit number was printed in full).
MAX_BENCHMARK = 1e9


def _impossible(typed: float, metric, values) -> str | None:
    """Why a typed benchmark cannot be one for this measure, or None: a percentage outside 0–100, a
    negative level for a measure never below 0, or a number past any count."""
    fmt = Formatter(metric.unit, metric.decimals)
    if abs(typed) > MAX_BENCHMARK:
        return f"Benchmark: {typed:.3g} is not a level this measure can have"
    if metric.unit == "%" and not 0 <= typed <= 100:
        return f"Benchmark: a percentage from 0 to 100, not {fmt(typed)}"
    if typed < 0 <= np.nanmin(values, initial=0):
        return f"Benchmark: this measure is never below 0, not {fmt(typed)}"
    return None


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
    metric: Metric = Depends(known_metric),
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """The metric for each site, consultant or procedure: patient-level data, so every view is logged."""
    workspace = request.app.state.workspace
    if by not in workspace.catalogue.dimensions:
        raise HTTPException(404, f"no dimension {by!r}")
    suppress = request.app.state.settings.drilldown_small_numbers == "suppress"
    rows = workspace.drilldown(db, metric_id, by, suppress=suppress)
    actions.record_capped(
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
    metric: Metric = Depends(known_metric),
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """The metric's groups over the last year on a funnel plot: patient-level, so every view is logged.
    ``by=trust``: the department's trust among the other trusts' published figures kept (ADR 39)."""
    if by == TRUST:
        return _trusts_page(request, metric, user, db)
    return _funnel_page(request, metric, by, user, db)


#: An expected-counts file is a list of units: a megabyte is far more than one needs.
EXPECTED_LIMIT = 1024 * 1024


def _uploaded(expected: UploadFile | None) -> tuple[str, bytes]:
    """The upload's name (an NHS number in it masked: it reaches the page and the audit log) and its
    bytes, read no further than the limit."""
    from stocktake.files.expected import ExpectedFileError

    if expected is None or not expected.filename:
        raise ExpectedFileError("Expected counts: choose the file (unit,expected) to compare with")
    content = expected.file.read(EXPECTED_LIMIT + 1)
    name = mask_nhs_numbers(expected.filename)
    if len(content) > EXPECTED_LIMIT:
        raise ExpectedFileError(f"{name}: over {EXPECTED_LIMIT // 1024} KB")
    return name, content


@router.post("/{metric_id}/funnel")
def funnel_observed_expected(
    request: Request,
    metric_id: str,
    by: str = Form("site"),
    expected: UploadFile | None = File(None),
    metric: Metric = Depends(known_metric),
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """An outcome measure's groups observed ÷ expected, the expected counts from the uploaded
    ``unit,expected`` file (read, used for this view and not kept)."""
    from stocktake.files.expected import ExpectedFileError, parse_expected

    if not compares_observed_expected(metric):
        raise HTTPException(404, f"{metric.title} is not an outcome measure compared observed ÷ expected")
    try:
        name, content = _uploaded(expected)
        counts = parse_expected(content, name, _cases(request, metric, by))
    except ExpectedFileError as error:
        return _funnel_page(request, metric, by, user, db, error=str(error), sent=True)
    return _funnel_page(request, metric, by, user, db, expected=(name, counts))


@router.post("/{metric_id}/expected")
def keep_expected(
    request: Request,
    metric_id: str,
    by: str = Form("site"),
    expected: UploadFile | None = File(None),
    period_from: str = Form(""),
    period_to: str = Form(""),
    metric: Metric = Depends(known_metric),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """An editor keeps the outcome measure's expected counts (ADR 34) for the months they are for
    (given, else the data's latest 12): every viewer's funnel page and the board report then compare
    observed ÷ expected with them while those are the months the tables beside them show (ADR 54);
    the counts replaced are withdrawn."""
    from stocktake.files.expected import ExpectedFileError
    from stocktake.files.peer_figures import PeerFiguresError, a_period

    if not compares_observed_expected(metric):
        raise HTTPException(404, f"{metric.title} is not an outcome measure compared observed ÷ expected")
    if by not in request.app.state.workspace.catalogue.dimensions:
        raise HTTPException(404, f"no dimension {by!r}")

    def keep():
        try:
            name, content = _uploaded(expected)
            given = a_period(period_from, period_to, "The months the counts are for")
        except (ExpectedFileError, PeerFiguresError) as error:
            raise actions.ActionError(str(error)) from None
        frame = request.app.state.workspace.series(by).get(metric.id)
        months = kept_for(frame, given)
        return actions.keep_expected_counts(
            db,
            by=user,
            home=request.app.state.settings.home,
            metric_id=metric.id,
            content=content,
            name=name,
            dimension=by,
            cases=_cases(request, metric, by, months),
            months=months,
        )

    def page(errors, status_code):
        typed = {"period_from": period_from.strip()[:7], "period_to": period_to.strip()[:7]}
        return _funnel_page(request, metric, by, user, db, error=errors[0], sent=True, typed=typed)

    return change_then_redirect(keep, to=f"/metrics/{metric.id}/funnel?by={by}#observed-expected", page=page)


def _cases(request, metric: Metric, by: str, months=None) -> dict[str, float] | None:
    """Each group's cases over ``months`` (else the funnel's period), what an expected-counts file is
    checked against (issue 28); None when the measure has no data by ``by`` yet, or not every one of
    those months (counts kept ahead of a load are not checked against part of their cases)."""
    frame = request.app.state.workspace.series(by).get(metric.id)
    if frame is None or frame.empty or not holds_every_month(frame, months):
        return None
    return cases_by_group(frame, by, period=months)


def plural(noun: str) -> str:
    """ "priorities", "sites", "age bands": a dimension's name for more than one."""
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def _funnel_page(
    request,
    metric: Metric,
    by: str,
    user: User,
    db: Session,
    *,
    expected=None,
    error="",
    sent=False,
    typed: dict | None = None,
):
    """The funnel page; the O/E part from ``expected`` (an upload's name and counts, this view only),
    else from the counts kept for the measure (ADR 34). ``sent``: a file was sent, so a problem with
    it is the answer's status (422)."""
    from stocktake.files.expected import ExpectedFileError, kept_expected, withdrawn_expected

    workspace = request.app.state.workspace
    if by not in workspace.catalogue.dimensions:
        raise HTTPException(404, f"no dimension {by!r}")
    suppress = request.app.state.settings.drilldown_small_numbers == "suppress"
    peers = workspace.peers(db, metric.id, by, suppress=suppress)
    outcome = compares_observed_expected(metric)
    kept, withdrawn, kept_error = None, [], ""
    if outcome:
        home = request.app.state.settings.home
        try:
            kept = kept_expected(home, metric.id, by)
            withdrawn = withdrawn_expected(home, metric.id, by)
        except ExpectedFileError as problem:
            kept_error = f"The kept expected counts cannot be read: {problem}"
    uploaded = expected is not None
    if expected is None and kept is not None:
        expected = (kept.name, kept.counts, kept.months)
    if uploaded:
        detail = f"by {by}, observed ÷ expected from {expected[0]}"
    elif expected is not None:
        detail = f"by {by}, observed ÷ expected from the counts kept ({kept.name})"
    else:
        detail = f"by {by}"
    actions.record_capped(db, user=user, action="funnel_viewed", subject=f"metric:{metric.id}", detail=detail)
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
    oe, oe_note = _observed_expected(workspace, metric, by, expected, suppress) if expected else (None, "")
    kept_note = oe_note if oe_note and not uploaded else ""  # counts for other months: said, not an error
    if expected and oe is None and not error and not kept_note:
        error = oe_note or (
            f"{expected[0]}: fewer than two {plural(by.replace('_', ' '))} have both cases in the period "
            "and an expected count; the file's units must be the names in the table below"
        )
    return render(
        request,
        "funnel.html",
        user,
        status_code=422 if (error and (uploaded or sent)) else 200,
        title=f"{metric.title} compared across {plural(by.replace('_', ' '))}",
        metric=metric,
        by=by,
        by_label=by.replace("_", " "),
        by_plural=plural(by.replace("_", " ")),
        peers=peers,
        method_missing=funnel_method(metric) is None,
        own_standards=workspace.catalogue.dimensions[by].own_standards,
        recorded=_recorded_groups(workspace, db, metric.id, by) if peers is None else None,
        rows=rows,
        figure=figure,
        fmt=fmt,
        outcome=outcome,
        oe=oe,
        kept=kept if not uploaded else None,
        kept_any=kept,
        withdrawn=withdrawn,
        kept_error=kept_error,
        kept_note=kept_note,
        typed=typed or {},
        expected_error=error,
        can_keep=ROLES.index(user.role) >= ROLES.index("editor"),
    )


# The department's trust among other trusts, from published figures an editor keeps (ADR 39)

#: The funnel page's ``by`` for other trusts: not a catalogue dimension (a warehouse is one trust).
TRUST = "trust"


@router.post("/{metric_id}/peers")
def keep_peer_figures(
    request: Request,
    metric_id: str,
    source: str = Form(""),
    period_from: str = Form(""),
    period_to: str = Form(""),
    figures: UploadFile | None = File(None),
    metric: Metric = Depends(known_metric),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    """An editor keeps other trusts' published figures for the measure (``unit,numerator,denominator``):
    every viewer's funnel page by trust and the board report then compare the department's trust with
    them; the figures replaced are withdrawn, not deleted."""
    from stocktake.files.peer_figures import PeerFiguresError, a_period

    if funnel_method(metric) is None:
        raise HTTPException(404, f"{metric.title} has no funnel: it is not a count of cases over a count")
    settings = request.app.state.settings

    def keep():
        try:
            period = a_period(period_from, period_to, "Period")
        except PeerFiguresError as error:
            raise actions.ActionError(str(error)) from None
        if figures is None or not figures.filename:
            raise actions.ActionError("Figures: choose the file (unit,numerator,denominator) to keep")
        content = figures.file.read(EXPECTED_LIMIT + 1)
        name = mask_nhs_numbers(figures.filename)
        if len(content) > EXPECTED_LIMIT:
            raise actions.ActionError(f"{name}: over {EXPECTED_LIMIT // 1024} KB")
        return actions.keep_peer_figures_for(
            db,
            by=user,
            home=settings.home,
            metric_id=metric.id,
            content=content,
            name=name,
            source=source,
            proportion=metric.unit == "%",
            own_trust=settings.trust,
            period=period,
        )

    def page(errors, status_code):
        typed = {"source": source[:300], "period_from": period_from[:7], "period_to": period_to[:7]}
        return _trusts_page(request, metric, user, db, errors=errors[0].split("\n"), typed=typed)

    return change_then_redirect(keep, to=f"/metrics/{metric.id}/funnel?by={TRUST}", page=page)


def _trusts_page(request, metric: Metric, user: User, db: Session, *, errors=(), typed=None):
    """The funnel of trusts: the peers' figures kept and the department's own from the warehouse."""
    from stocktake.files.peer_figures import (
        PeerFiguresError,
        damaged_words,
        kept_peer_figures,
        withdrawn_peer_figures,
    )
    from stocktake.verdicts.trusts import compare_with_trusts

    workspace, settings = request.app.state.workspace, request.app.state.settings
    method = funnel_method(metric)
    proportion = metric.unit == "%"
    kept, withdrawn, kept_error, compared = None, [], "", None
    if method is not None:
        try:
            kept = kept_peer_figures(settings.home, metric.id, proportion=proportion)
            withdrawn = withdrawn_peer_figures(settings.home, metric.id, proportion=proportion)
        except PeerFiguresError as problem:  # named from the home, and what to do (issue 28)
            kept_error = f"The figures kept cannot be read: {damaged_words(settings.home, problem)}"
    if kept is not None:
        frame = workspace.series().get(metric.id)
        if frame is not None:
            suppress = settings.drilldown_small_numbers == "suppress"
            compared = compare_with_trusts(
                metric,
                frame,
                kept.figures,
                own=settings.trust,
                source=kept.source,
                suppress=suppress,
                shown=_totals_shown(workspace, settings.home, metric, suppress),
            )
    detail = f"by {TRUST}" + (f", figures kept ({kept.name})" if kept else ", no figures kept")
    actions.record_capped(db, user=user, action="funnel_viewed", subject=f"metric:{metric.id}", detail=detail)
    rows, figure = [], ""
    if compared is not None and compared.funnel is None:  # no lines to draw: the figures as given
        f = compared.figures
        rows = [
            {"name": n, "value": v, "numerator": a, "denominator": d, "label": "–", "own": False}
            for n, v, a, d in zip(f.units, compared.peers_values, f.numerator, f.denominator, strict=True)
        ]
    elif compared is not None:
        f = compared.funnel
        rows = [
            {
                "name": n,
                "value": v,
                "numerator": a,
                "denominator": d,
                "label": lab,
                "own": i == compared.own_index,
            }
            for i, (n, v, a, d, lab) in enumerate(
                zip(compared.units, f.value, f.numerator, f.denominator, f.significance, strict=True)
            )
        ]
        figure = _trusts_figure(compared)
    return render(
        request,
        "funnel_trusts.html",
        user,
        status_code=422 if errors else 200,
        title=f"{metric.title} compared with other trusts",
        metric=metric,
        method_missing=method is None,
        compared=compared,
        rows=rows,
        figure=figure,
        fmt=Formatter(metric.unit, metric.decimals),
        kept=kept,
        withdrawn=withdrawn,
        kept_error=kept_error,
        errors=list(errors),
        typed=typed or {},
        can_keep=method is not None and ROLES.index(user.role) >= ROLES.index("editor"),
    )


def _totals_shown(workspace, home, metric: Metric, suppress: bool) -> list:
    """The measure's totals the workspace shows by site (its funnel across sites, observed ÷ expected
    from the counts kept), which our trust's counts must not be differenced against (issue 28)."""
    from stocktake.files.expected import ExpectedFileError, kept_expected
    from stocktake.verdicts.peers import compare_peers
    from stocktake.verdicts.trusts import shown_totals

    frame = workspace.series("site").get(metric.id) if "site" in workspace.catalogue.dimensions else None
    if frame is None or frame.empty or "site" not in frame.columns:
        return []
    peers = [p for p in [compare_peers(metric, frame, "site", suppress=suppress)] if p is not None]
    observed = []
    if compares_observed_expected(metric):
        try:
            kept = kept_expected(home, metric.id, "site")
        except ExpectedFileError:
            kept = None
        found = kept and compare_observed_expected(
            metric, frame, "site", kept.counts, period=kept.months, suppress=suppress
        )
        observed = [found] if found else []
    return shown_totals(peers, observed).get(metric.id, [])


def _trusts_figure(compared) -> str:
    """The trusts' funnel as Plotly JSON, the department's own point drawn over it and named."""
    from plotly.io.json import to_json_plotly

    from stocktake.report.charts import PLOTLY_CONFIG
    from stocktake.report.funnel_chart import funnel_figure

    f, i = compared.funnel, compared.own_index
    shown = np.ones(len(compared.units), dtype=bool)
    shown[i] = False  # drawn on its own below, or not at all when its numbers are small
    figure = funnel_figure(
        f,
        compared.units,
        compared.drawn_limits(),  # not spanning our denominator when hidden (ADR 39)
        f"{compared.metric.title}: trusts compared",
        "Cases per trust",
        compared.metric.unit,
        shown=shown,
    )
    if not compared.hidden:
        figure.add_scatter(
            x=[f.effective_denominator[i]],
            y=[f.value[i]],
            mode="markers",
            name=html.escape(f"{compared.own} (ours)", quote=False),
            marker={
                "color": "#005EB8",
                "size": 15,
                "symbol": "diamond",
                "line": {"color": "#231F20", "width": 2},
            },
            hovertemplate="%{y:.4g} at %{x:.4g}<extra>" + str(f.significance[i]) + "</extra>",
        )
    data = figure.to_plotly_json()
    return to_json_plotly({"data": data["data"], "layout": data["layout"], "config": PLOTLY_CONFIG})


def _recorded_groups(workspace, db: Session, metric_id: str, by: str) -> int:
    """How many groups the measure's records name (those with none recorded not one), for why no funnel
    is drawn: an outside check read "recorded for fewer than two consultants" of none at all."""
    return sum(row.group != NOT_RECORDED for row in workspace.drilldown(db, metric_id, by))


def _observed_expected(
    workspace, metric: Metric, by: str, expected, suppress: bool
) -> tuple[dict | None, str]:
    """The O/E funnel's figure and rows for the page; or None when it cannot be drawn, with why when
    the comparison says (the counts' months not in the data). ``expected``: the counts' file name,
    the counts, and the months they are for (kept counts; an upload tried for one view has none, and
    is compared over the latest 12 months)."""
    from plotly.io.json import to_json_plotly

    from stocktake.report.charts import PLOTLY_CONFIG
    from stocktake.report.funnel_chart import funnel_figure

    frame = workspace.series(by).get(metric.id)
    months = expected[2] if len(expected) > 2 else None
    found = (
        None
        if frame is None
        else compare_observed_expected(metric, frame, by, expected[1], period=months, suppress=suppress)
    )
    if found is None or not found.peers.groups:
        return None, found.note if found is not None else ""
    peers, f = found.peers, found.peers.funnel
    names = [workspace.name_of(by, g) for g in peers.groups]
    by_label = by.replace("_", " ")
    figure = funnel_figure(
        f,
        names,
        f.spanning_limits(),
        f"{metric.title}: observed ÷ expected",
        f"Expected events per {by_label}",
        "Observed ÷ expected",
        shown=~peers.hidden,
    ).to_plotly_json()
    rows = [
        {"name": n, "ratio": v, "observed": o, "expected": e, "cases": c, "label": lab, "hidden": h}
        for n, v, o, e, c, lab, h in zip(
            names, f.value, f.numerator, f.denominator, found.cases, f.significance, peers.hidden, strict=True
        )
    ]
    drawn = {
        "file": expected[0],
        "peers": peers,
        "rows": rows,
        "figure": to_json_plotly(
            {"data": figure["data"], "layout": figure["layout"], "config": PLOTLY_CONFIG}
        ),
        "without_expected": [workspace.name_of(by, g) for g in found.without_expected],
        "not_in_data": list(found.not_in_data),
    }
    return drawn, ""


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
    _entry(request, db, metric_id, None)
    return change_then_redirect(
        lambda: actions.remove_annotation(db, by=user, metric_id=metric_id, annotation_id=annotation_id),
        to=f"/metrics/{metric_id}",
        page=partial(_page, request, user, db, metric_id, None),
    )


# Comments on the measure (ADR 0028): editors write, everyone signed in reads; withdrawn, not deleted


@router.get("/{metric_id}/comments")
def metric_comments(
    request: Request,
    metric_id: str,
    metric: Metric = Depends(known_metric),
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    return comments_page(
        request,
        user,
        db,
        kind="metric",
        subject_id=metric_id,
        name=metric.title,
        path=f"/metrics/{metric_id}",
    )


@router.post("/{metric_id}/comments")
def add_metric_comment(
    request: Request,
    metric_id: str,
    body: str = Form(""),
    metric: Metric = Depends(known_metric),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.add_comment(db, by=user, subject_kind="metric", subject_id=metric_id, body=body),
        to=f"/metrics/{metric_id}#comments-heading",
        page=partial(
            comments_page,
            request,
            user,
            db,
            kind="metric",
            subject_id=metric_id,
            name=metric.title,
            path=f"/metrics/{metric_id}",
            typed=body,
        ),
    )


@router.post("/{metric_id}/comments/{comment_id}/withdraw")
def withdraw_metric_comment(
    request: Request,
    metric_id: str,
    comment_id: int,
    metric: Metric = Depends(known_metric),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    their_comment(db, comment_id, "metric", metric_id)
    return change_then_redirect(
        lambda: actions.withdraw_comment(db, by=user, comment_id=comment_id),
        to=f"/metrics/{metric_id}#comments-heading",
        page=partial(
            comments_page,
            request,
            user,
            db,
            kind="metric",
            subject_id=metric_id,
            name=metric.title,
            path=f"/metrics/{metric_id}",
        ),
    )


# The chart for slides (issue 25): PNG or SVG at 16:9, small numbers hidden as in every export


@router.get("/{metric_id}/slide.{fmt}")
def slide(
    request: Request,
    metric_id: str,
    fmt: str,
    site: str = "",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    """The chart with its title, period, source and change dates, drawn on the server; a download,
    so it is in the audit log as a report's is."""
    if fmt not in SLIDE_FORMATS:
        raise HTTPException(404, f"no slide format {fmt!r} (png or svg)")
    entry, site = _entry(request, db, metric_id, site)
    workspace = request.app.state.workspace
    taken = workspace.stocktake(db, site=site)
    metric, x = entry.result.metric, entry.result.x
    shape = "%B %Y" if metric.monthly else "%d %B %Y"

    def draw() -> bytes:
        series = entry_chart(entry, taken.annotations.get(metric_id, []), title=metric.title)
        return slide_chart(
            series,
            fmt=fmt,
            period=f"{x[0]:{shape}} to {x[-1]:{shape}}" + (f" · {metric.area}" if metric.area else ""),
            source=f"Source: {taken.source}. Measure: {metric.source}",
            point_label=lambda when: f"{when:{'%b %Y' if metric.monthly else '%d %b %Y'}}",
            hidden=int(entry.hidden.sum()),
        )

    content = workspace.cached(("slide", metric_id, site, fmt), db, draw)
    actions.record_capped(
        db,
        user=user,
        action="chart_downloaded",
        subject=f"metric:{metric_id}",
        detail=f"slide {fmt}" + (f" at {site}" if site else ""),
    )
    name = f"{metric_id}" + (f"-{_slug(site)}" if site else "") + f"-{x[-1]:%Y-%m}.{fmt}"
    return Response(
        content,
        media_type=SLIDE_FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "site"
