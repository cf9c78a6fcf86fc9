"""The stock-take as one self-contained HTML file (interactive), or print-ready HTML for the PDF.

Everything is inline: styles, icons, chart scripts (Plotly) or static SVG charts (matplotlib).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from jinja2 import Environment, PackageLoader

from stocktake.metrics.suppression import coarse_chart
from stocktake.report.board import (
    observed_expected_sections,
    peer_section,
    procurement_section,
    trust_sections,
)
from stocktake.report.charts import ChartSeries, entry_chart, plotly_html, static_chart
from stocktake.report.icons import assurance_icon, variation_icon, variation_label
from stocktake.report.waitinglist import waiting_list_section
from stocktake.verdicts.changes import window_statement
from stocktake.verdicts.narrative import CATEGORIES
from stocktake.verdicts.stocktake import ASSURANCE_COLUMNS, Entry, StockTake
from stocktake.verdicts.waitinglist import own_target

_ENVIRONMENT = Environment(loader=PackageLoader("stocktake.report"), autoescape=True)


def render_report(stocktake: StockTake, *, static: bool = False) -> str:
    """The report's HTML; ``static`` draws SVG charts and print styles instead of Plotly."""
    from plotly.offline import get_plotlyjs

    rows = {
        id(e): _row(e, stocktake.annotations.get(e.result.metric.id, []), static) for e in stocktake.entries
    }
    return _ENVIRONMENT.get_template("report.html.j2").render(
        department=stocktake.department,
        period_label=stocktake.period_label,
        source=stocktake.source,
        generated_at=f"{stocktake.generated_at:%d %B %Y %H:%M}",
        categories=[
            (CATEGORIES[key], [rows[id(e)] for e in entries])
            for key, entries in stocktake.by_category().items()
        ],
        matrix=[
            (label, [[rows[id(e)] for e in cell] for cell in cells]) for label, cells in stocktake.matrix()
        ],
        assurance_columns=list(ASSURANCE_COLUMNS.values()),
        rows=[rows[id(e)] for e in stocktake.entries],
        any_hidden=any(e.hidden.any() for e in stocktake.entries),
        no_data=stocktake.no_data_lines,
        follow_up=stocktake.follow_up_note,
        window=window_statement(stocktake.entries),
        peers=peer_section(stocktake.peers),
        observed_expected=observed_expected_sections(stocktake.observed_expected),
        trusts=trust_sections(stocktake.trusts),
        procurement=procurement_section(stocktake.procurement),
        waiting_list=waiting_list_section(
            stocktake.waiting_list,
            stocktake.generated_at.date(),
            own_target(stocktake.entries),
            stocktake.waiting_list_for_own_target,
        ),
        static=static,
        css=(Path(__file__).parent / "report.css").read_text(),
        plotly_js="" if static else get_plotlyjs(),
    )


def _chart_html(series: ChartSeries, static: bool) -> str:
    if static:
        svg = base64.b64encode(static_chart([series], "svg", width=7.0)).decode()
        return f'<img class="chart" alt="SPC chart" src="data:image/svg+xml;base64,{svg}">'
    return plotly_html(series)


def _reader_warning(warning: str, x, monthly: bool) -> str:
    """The chart's warning as a reader reads it: "period 1 (from point 1): missing values are left
    out…" (the SPC engine's words, which know no dates) as "From April 2022: missing values are…"."""
    found = re.fullmatch(r"period \d+ \(from point (\d+)\): (.*)", warning)
    if found is None:
        return warning
    when = x[int(found[1]) - 1]
    return f"From {when:%B %Y}: {found[2]}" if monthly else f"From {when:%d %B %Y}: {found[2]}"


def _row(entry: Entry, annotations, static: bool) -> dict:
    result, metric = entry.result, entry.result.metric
    fmt, latest = entry.format, entry.latest_index
    segment = coarse_chart(result.chart, entry.hidden).latest  # the mean as the sentence quotes it (ADR 9)
    when = result.x[latest]
    return {
        "id": metric.id,
        "area": metric.area,
        "title": metric.title,
        "category": CATEGORIES[entry.category],
        "category_key": entry.category,
        "unit": metric.unit,
        "improvement": metric.improvement,
        "description": metric.description,
        "source": metric.source,
        "sentence": entry.sentence,
        "before_rebase": entry.before_rebase.headline if entry.before_rebase else "",
        "latest": entry.shown(latest),
        "latest_when": f"{when:%b %Y}" if metric.monthly else f"{when:%d %b %Y}",
        "mean": fmt.statistic(segment.mean),
        "target": fmt(result.chart.target) if result.chart.target is not None else "–",
        "target_source": entry.target_basis or "",
        "variation_icon": variation_icon(result.variation_type, metric.improvement),
        "variation_label": variation_label(result.variation_type, metric.improvement),
        "assurance_icon": assurance_icon(result.assurance_type),
        "warnings": tuple(_reader_warning(w, result.x, metric.monthly) for w in result.chart.warnings),
        "hidden": int(entry.hidden.sum()),
        "chart": _chart_html(entry_chart(entry, annotations), static),
    }
