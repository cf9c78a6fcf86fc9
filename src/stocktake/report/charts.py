"""SPC charts in the Making Data Count style: interactive (Plotly) and static (SVG/PNG).

Both renderers draw the same thing from a ``ChartSeries``: points coloured by type, the mean and
process limits of each rebase period, the target, and dated change markers. A ``ChartSeries`` is
made here and only here: from a stock-take entry (``entry_chart``: the report, the workbook and the
web's metric page) or from an ``spc`` command's table (``facet_charts``).
"""

from __future__ import annotations

import html
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from stocktake.metrics.suppression import coarse_limits
from stocktake.report.icons import ASSURANCE_MARKS, COLOURS, assurance_icon, variation_icon, variation_label
from stocktake.spc.rebase import provisional_points
from stocktake.verdicts.narrative import drawn_limits  # one rule for the chart and its sentence
from stocktake.verdicts.stocktake import Entry

#: matplotlib's settings (``rcParams``) are the process's, shared by every thread: the web's chart
#: images, report builds and slides draw one at a time.
DRAWING = threading.RLock()

POINT_COLOURS = {
    "common_cause": COLOURS["common_cause"],
    "special_cause_improvement": COLOURS["improvement"],
    "special_cause_concern": COLOURS["concern"],
    "special_cause_neutral_high": COLOURS["neutral"],
    "special_cause_neutral_low": COLOURS["neutral"],
}
MEAN_COLOUR = "#231F20"


@dataclass(frozen=True)
class ChartSeries:
    title: str
    x: pd.DatetimeIndex
    y: np.ndarray
    mean: np.ndarray
    lpl: np.ndarray
    upl: np.ndarray
    point_type: np.ndarray
    rebase_group: np.ndarray
    target: float | None = None
    unit: str = ""
    decimals: int = 1
    annotations: tuple[tuple[str, str], ...] = ()  # (ISO date, label)
    improvement: str = "increase"
    variation_type: str | None = None  # of the latest period, for the icons
    assurance_type: str | None = None
    trajectory: np.ndarray | None = None
    show_icons: bool = True
    #: True where a point's limits rest on too few values to be settled (drawn and named apart).
    provisional: np.ndarray | None = None
    #: The centre line's name: a t chart's is the mean of the transformed gaps, transformed back.
    centre: str = "Mean"


def _broken_at_rebase(x, values: np.ndarray, groups: np.ndarray) -> tuple[list, list]:
    """The line with a gap where one rebase period ends, so limits are not joined across it."""
    xs, ys = list(x), [None if np.isnan(v) else float(v) for v in values]
    for i in np.flatnonzero(np.diff(groups))[::-1]:
        xs.insert(int(i) + 1, xs[int(i)])
        ys.insert(int(i) + 1, None)
    return xs, ys


def _lines(series: ChartSeries):
    """Mean and limits; where some are provisional, those are separate lines named so."""
    grey = COLOURS["common_cause"]
    lines = (
        (series.centre, series.mean, MEAN_COLOUR, "solid"),
        ("Upper process limit", series.upl, grey, "dash"),
        ("Lower process limit", series.lpl, grey, "dash"),
    )
    provisional = series.provisional
    if provisional is None or not provisional.any():
        yield from lines
        return
    for name, values, colour, dash in lines if not provisional.all() else ():
        yield name, np.where(provisional, np.nan, values), colour, dash
    for name, values, colour, _ in lines:
        yield f"{name} (provisional)", np.where(provisional, values, np.nan), colour, "dot"


#: Every interactive chart's options: no logo, and none of the buttons that would send a chart,
#: with every value behind it, to Plotly's cloud.
#: One button only, the picture for slides (title, change dates and legend included): ten buttons
#: sat in the keyboard's path before anything else on the page.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    "plotlyServerURL": "",
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "scale": 2, "width": 1200, "height": 500},
}
#: Names of the point colours, for the legend.
POINT_NAMES = {
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: neither better nor worse",
    "common_cause": "Common cause",
}


def plotly_html(series: ChartSeries) -> str:
    """The chart as an HTML fragment; Plotly's JSON escapes ``<``, ``>`` and ``/`` for a script."""
    return plotly_figure(series).to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG)


def plotly_json(series: ChartSeries) -> str:
    """The chart and its options as JSON, for a page that draws it with its own script."""
    figure = plotly_figure(series).to_plotly_json()
    return to_json_plotly({"data": figure["data"], "layout": figure["layout"], "config": PLOTLY_CONFIG})


def plain(text: str) -> str:
    """Text Plotly shows as typed: it reads a few HTML tags in labels (links among them), so a
    change date's label could otherwise carry a live link onto a colleague's chart."""
    return html.escape(text, quote=False)


def plotly_figure(series: ChartSeries) -> go.Figure:
    """An interactive chart for HTML."""
    figure = go.Figure()
    figure.add_scatter(
        x=series.x,
        y=series.y,
        mode="lines",
        line={"color": "#C8C8C8", "width": 1.5},
        hoverinfo="skip",
        showlegend=False,
    )
    for name, values, colour, dash in _lines(series):
        xs, ys = _broken_at_rebase(series.x, values, series.rebase_group)
        figure.add_scatter(
            x=xs, y=ys, mode="lines", name=name, line={"color": colour, "dash": dash, "width": 1.5}
        )
    if series.target is not None:
        figure.add_scatter(
            x=[series.x[0], series.x[-1]],
            y=[series.target] * 2,
            mode="lines",
            name="Target",
            line={"color": COLOURS["target"], "dash": "dot", "width": 2},
        )
    if series.trajectory is not None:
        figure.add_scatter(
            x=series.x,
            y=series.trajectory,
            mode="lines",
            name="Trajectory",
            line={"color": COLOURS["target"], "dash": "dash", "width": 1.5},
        )
    for kind, name in POINT_NAMES.items():  # the legend of the point colours, for the kinds shown
        if kind in set(series.point_type) or (
            kind.endswith("high") and "special_cause_neutral_low" in series.point_type
        ):
            figure.add_scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=name,
                marker={"color": POINT_COLOURS[kind], "size": 7},
            )
    labels = [t.replace("special_cause_", "special cause ").replace("_", " ") for t in series.point_type]
    figure.add_scatter(
        x=series.x,
        y=series.y,
        mode="markers",
        name="Values",
        showlegend=False,
        marker={"color": [POINT_COLOURS[t] for t in series.point_type], "size": 7},
        customdata=labels,
        hovertemplate=f"%{{x|%d %b %Y}}: %{{y:.{series.decimals}f}} {series.unit}"
        "<br>%{customdata}<extra></extra>",
    )
    for (when, label), height in zip(series.annotations, _label_heights(series), strict=True):
        figure.add_vline(x=when, line={"color": "#005EB8", "width": 1, "dash": "dot"})
        figure.add_annotation(
            x=when,
            y=height,
            yref="paper",
            text=plain(label),
            showarrow=False,
            xanchor="left",
            font={"size": 10, "color": "#005EB8"},
        )
    figure.update_layout(
        height=320,
        margin={"l": 50, "r": 20, "t": 30 if series.title else 20, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.2},
        yaxis_title=series.unit,
        font={"family": "Arial, sans-serif"},
        title={"text": plain(series.title), "font": {"size": 14}},
    )
    figure.update_xaxes(showgrid=False, linecolor="#AEB7BD")
    figure.update_yaxes(gridcolor="#EEF0F2", linecolor="#AEB7BD")
    return figure


def _label_heights(series: ChartSeries) -> list[float]:
    """Where each change date's label sits (fraction of the plot's height): a label within a tenth of
    the chart's span of the one before steps down a line, so close dates do not overprint."""
    if not series.annotations or not len(series.x):
        return [1.0] * len(series.annotations)
    span = max((series.x[-1] - series.x[0]).days, 1)
    heights, previous, step = [], None, 0
    for when, _ in sorted(series.annotations):
        day = pd.Timestamp(when)
        step = step + 1 if previous is not None and (day - previous).days < span / 10 else 0
        heights.append(1.0 - 0.07 * (step % 4))
        previous = day
    order = sorted(range(len(series.annotations)), key=lambda i: series.annotations[i])
    placed = [0.0] * len(order)
    for rank, i in enumerate(order):
        placed[i] = heights[rank]
    return placed


def static_chart(panels: list[ChartSeries], fmt: str = "svg", width: float = 7.5) -> bytes:
    """One static chart per panel, stacked, as SVG or PNG bytes (for PDFs, slides and the page's
    first drawing)."""
    import matplotlib

    buffer = io.BytesIO()
    # SVG text as text, not a path per glyph: a chart of a few hundred elements rather than
    # thousands, which WeasyPrint draws three times faster (the board PDF in a third of the time),
    # and whose words a PDF reader can find and read aloud.
    with DRAWING, matplotlib.rc_context({"svg.fonttype": "none"}):
        figure = static_figure(panels, width)
        figure.savefig(buffer, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def warm_up_drawing() -> None:
    """Draw an empty figure once, so matplotlib's import and font cache are not paid for by the
    first chart someone asks for."""
    from matplotlib.figure import Figure

    with DRAWING:
        Figure(figsize=(1, 1)).savefig(io.BytesIO(), format="svg")


def static_figure(panels: list[ChartSeries], width: float = 7.5):
    """The matplotlib figure ``static_chart`` saves: a ``Figure`` of its own, not pyplot's, whose
    registry of open figures is shared by every thread."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, 2.6 * len(panels)))
    axes = figure.subplots(len(panels), 1, squeeze=False)
    for axis, series in zip(axes[:, 0], panels, strict=True):
        _draw_static(axis, series)
    _fit_margins(figure, axes[:, 0], width)
    return figure


def _fit_margins(figure, axes, width: float) -> None:
    """Margins that fit the tick labels, title and unit, worked out from the labels' lengths.

    ``tight_layout`` measures them by drawing the whole figure once before it is saved: a quarter to
    a half of each chart's time, and the board PDF draws forty. Labels here are 7-point digits and
    the title 10-point, so their room can be reckoned from the characters (checked against a real
    drawing in ``tests/report/test_charts.py``).
    """
    height = 2.6 * len(axes)
    longest = max(
        (
            len(text)
            for axis in axes
            for text in axis.yaxis.get_major_formatter().format_ticks(axis.get_yticks())
        ),
        default=1,
    )
    left = 0.42 + 0.062 * longest  # the unit's label, the tick labels at 7 points and their padding
    figure.subplots_adjust(
        left=left / width,
        right=1 - 0.12 / width,
        top=1 - 0.36 / height,  # the 10-point title and the icons above the plot
        bottom=0.32 / height,  # the 7-point date labels
        hspace=0.75 / 2.6,
    )


def static_lines(axis, series: ChartSeries, width: float) -> None:
    """The values' line, each rebase period's mean and limits, the target and the trajectory, on a
    matplotlib axis: the board PDF's charts and the slides draw them alike, at their own width."""
    axis.plot(series.x, series.y, color="#C8C8C8", linewidth=width, zorder=1)
    for name, values, colour, dash in _lines(series):
        xs, ys = _broken_at_rebase(series.x, values, series.rebase_group)
        axis.plot(
            xs,
            [np.nan if v is None else v for v in ys],
            color=colour,
            linestyle={"dash": "--", "dot": ":"}.get(dash, "-"),
            linewidth=width,
            label=name,
        )
    if series.target is not None:
        axis.axhline(
            series.target, color=COLOURS["target"], linestyle=":", linewidth=width * 1.25, label="Target"
        )
    if series.trajectory is not None:
        axis.plot(
            series.x,
            series.trajectory,
            color=COLOURS["target"],
            linestyle="--",
            linewidth=width,
            label="Trajectory",
        )


def _draw_static(axis, series: ChartSeries) -> None:
    static_lines(axis, series, width=1.2)
    axis.scatter(series.x, series.y, c=[POINT_COLOURS[t] for t in series.point_type], s=16, zorder=3)
    _static_change_dates(axis, series)
    # Words people typed are text, never matplotlib's mathematics: "$5k" is five thousand pounds.
    axis.set_title(series.title, fontsize=10, loc="left", parse_math=False)
    if series.show_icons:
        _static_icons(axis, series)
    axis.set_ylabel(series.unit, fontsize=8, parse_math=False)
    from matplotlib import dates as mdates

    axis.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    axis.tick_params(labelsize=7)
    axis.spines[["top", "right"]].set_visible(False)


def _static_change_dates(axis, series: ChartSeries) -> None:
    """Each change date a dotted line and its label, stepped down where dates are close (as the
    interactive chart does) and reading leftwards late in the chart, so labels stay inside it."""
    if not len(series.x):
        return
    first, last = pd.Timestamp(series.x[0]), pd.Timestamp(series.x[-1])
    for (when, label), height in zip(series.annotations, _label_heights(series), strict=True):
        day = pd.Timestamp(when)
        right = day > first + (last - first) * 0.7
        axis.axvline(day, color="#005EB8", linestyle=":", linewidth=1)
        axis.annotate(
            label,
            (day, height),
            xycoords=("data", "axes fraction"),
            xytext=(-3 if right else 3, -1),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=7,
            color="#005EB8",
            va="top",
            parse_math=False,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )


def _static_icons(axis, series: ChartSeries) -> None:
    """The variation and assurance icons as lettered circles above the plot's right corner."""
    label = variation_label(series.variation_type, series.improvement)
    if series.variation_type in (None, "common_cause"):
        variation = ("~", COLOURS["common_cause"])
    else:
        kind = "neutral" if "neutral" in series.variation_type else series.variation_type.rsplit("_", 1)[1]
        variation = ("H" if label.endswith("(high values)") else "L", COLOURS[kind])
    icons = [variation]
    if series.assurance_type is not None:
        colour, letter = ASSURANCE_MARKS[series.assurance_type]
        icons.append((letter, colour))
    for i, (letter, colour) in enumerate(icons):
        axis.text(
            0.93 + 0.05 * i,
            1.08,
            letter,
            transform=axis.transAxes,
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            color=colour,
            bbox={"boxstyle": "circle,pad=0.3", "facecolor": "white", "edgecolor": colour, "linewidth": 2},
        )


def write_chart(panels: list[ChartSeries], path: Path) -> None:
    """An HTML file (interactive, self-contained) or an SVG/PNG file, by the path's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".svg", ".png"):
        path.write_bytes(static_chart(panels, suffix[1:]))
    elif suffix in (".html", ".htm"):
        from plotly.offline import get_plotlyjs

        body = "".join(
            f"<section><div>{variation_icon(p.variation_type, p.improvement)} "
            f"{assurance_icon(p.assurance_type)}</div>"
            f"{plotly_html(p)}</section>"
            for p in panels
        )
        path.write_text(
            f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>SPC charts</title>'
            f"<script>{get_plotlyjs()}</script></head><body>{body}</body></html>"
        )
    else:
        raise ValueError(f"{path}: a chart must be .html, .png or .svg")


def entry_chart(entry: Entry, annotations=(), *, hide_small: bool = True, title: str = "") -> ChartSeries:
    """A stock-take entry's chart. ``hide_small``: points with 1–7 cases behind them have no value, as
    in every export; the workspace's staff see every value (``hide_small=False``)."""
    result, chart, metric = entry.result, entry.result.chart, entry.result.metric
    mean, lpl, upl = coarse_limits(chart, entry.hidden) if hide_small else (chart.mean, chart.lpl, chart.upl)
    lpl, upl = drawn_limits(lpl, upl, chart.y, metric.unit)
    return ChartSeries(
        title=title,
        x=result.x,
        y=np.where(entry.hidden, np.nan, chart.y) if hide_small else chart.y,
        mean=mean,
        lpl=lpl,
        upl=upl,
        point_type=chart.point_type,
        rebase_group=chart.rebase_group,
        target=chart.target,
        unit=metric.unit,
        decimals=metric.decimals,
        annotations=tuple(annotations),
        trajectory=chart.trajectory,
        improvement=metric.improvement,
        show_icons=False,  # the report and the page show them beside the sentence
        provisional=provisional_points(chart.y, chart.rebase_group),
        centre="Mean" if metric.monthly else "Centre line",
    )


def facet_charts(
    table, value: str, target: float | None = None, improvement: str = "increase"
) -> list[ChartSeries]:
    """One panel per facet of an ``files.spc`` table, in the order the facets first appear; the
    latest period's variation and assurance give each panel its icons."""
    panels = []
    r = table.result
    for facet in dict.fromkeys(table.facet):
        rows = table.facet == facet
        latest = np.flatnonzero(r.period_series == facet)[-1]
        panels.append(
            ChartSeries(
                title=str(facet) if facet != "" else value,
                x=table.x[rows],
                y=table.y[rows],
                mean=r.mean[rows],
                lpl=r.lpl[rows],
                upl=r.upl[rows],
                point_type=r.point_type[rows],
                rebase_group=r.rebase_group[rows],
                target=target,
                improvement=improvement,
                variation_type=r.variation_type[latest],
                assurance_type=r.assurance_type[latest],
            )
        )
    return panels
