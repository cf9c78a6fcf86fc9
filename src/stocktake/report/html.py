"""The stock-take as one self-contained HTML file: every script, style and icon inline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from stocktake.analysis import MetricResult
from stocktake.report.charts import ChartSeries, plotly_figure
from stocktake.report.icons import assurance_icon, variation_icon, variation_label

_ENVIRONMENT = Environment(loader=PackageLoader("stocktake.report"), autoescape=select_autoescape())


def render_report(
    department: str,
    results: list[MetricResult],
    *,
    source: str,
    annotations: dict[str, list[tuple[str, str]]] | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The report's HTML. ``annotations`` maps a metric id to its (date, label) change markers."""
    annotations = annotations or {}
    rows = [_row(r, annotations.get(r.metric.id, [])) for r in results]
    first, last = min(r.x.min() for r in results), max(r.x.max() for r in results)
    kinds = [r.variation_type for r in results]
    return _ENVIRONMENT.get_template("report.html.j2").render(
        department=department,
        period_label=f"{first:%B %Y} to {last:%B %Y}",
        source=source,
        generated_at=f"{generated_at or datetime.now():%d %B %Y %H:%M}",
        rules_note="NHSRplotthedots 0.2.2 rules, moving ranges screened",
        counts={
            "improvement": kinds.count("special_cause_improvement"),
            "concern": kinds.count("special_cause_concern"),
            "common": sum(k not in ("special_cause_improvement", "special_cause_concern") for k in kinds),
        },
        improving=[r.metric.title for r in results if r.variation_type == "special_cause_improvement"],
        concerning=[r.metric.title for r in results if r.variation_type == "special_cause_concern"],
        rows=rows,
        css=(Path(__file__).parent / "report.css").read_text(),
        plotly_js=get_plotlyjs(),
    )


def _row(result: MetricResult, annotations: list[tuple[str, str]]) -> dict:
    metric, segment = result.metric, result.chart.latest
    figure = plotly_figure(chart_series(result, annotations))
    return {
        "id": metric.id,
        "area": metric.area,
        "title": metric.title,
        "unit": metric.unit,
        "improvement": metric.improvement,
        "description": metric.description,
        "source": metric.source,
        "latest": _fmt(result.latest_value, metric.decimals),
        "latest_when": f"{result.latest_x:%b %Y}" if metric.chart == "xmr" else f"{result.latest_x:%d %b %Y}",
        "mean": _fmt(segment.mean, metric.decimals),
        "lpl": _fmt(segment.lpl, metric.decimals),
        "upl": _fmt(segment.upl, metric.decimals),
        "target": _fmt(metric.target.value, metric.decimals) if metric.target else "–",
        "target_source": metric.target.source if metric.target else "",
        "variation_icon": variation_icon(result.variation_type, metric.improvement),
        "variation_label": variation_label(result.variation_type, metric.improvement),
        "assurance_icon": assurance_icon(result.assurance_type),
        "warnings": result.chart.warnings,
        "chart": figure.to_html(
            full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True}
        ),
    }


def chart_series(result: MetricResult, annotations=()) -> ChartSeries:
    chart, metric = result.chart, result.metric
    return ChartSeries(
        title="",
        x=result.x,
        y=chart.y,
        mean=chart.mean,
        lpl=chart.lpl,
        upl=chart.upl,
        point_type=chart.point_type,
        rebase_group=chart.rebase_group,
        target=chart.target,
        unit=metric.unit,
        decimals=metric.decimals,
        annotations=tuple(annotations),
        trajectory=chart.trajectory,
    )


def _fmt(value: float, decimals: int) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:,.{decimals}f}"
