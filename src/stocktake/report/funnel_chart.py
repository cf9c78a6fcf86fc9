"""Funnel plots drawn: interactive (Plotly, self-contained HTML) and static (SVG/PNG, matplotlib).

Points are coloured by their label only (beyond 99.8%, beyond 95%, within), not as good or bad: a
funnel says a unit differs, not whether that is an improvement. Static charts use matplotlib, as the
SPC charts do, since Plotly's own image export (kaleido) is not installed.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from stocktake.funnel import (
    DSR_TOO_FEW,
    HIGH_001,
    HIGH_025,
    LOW_001,
    LOW_025,
    NOT_SIGNIFICANT,
    Funnel,
    FunnelLimits,
)
from stocktake.report.charts import DRAWING, PLOTLY_CONFIG
from stocktake.report.icons import COLOURS

LABEL_COLOURS = {
    HIGH_001: COLOURS["neutral"],
    LOW_001: COLOURS["neutral"],
    HIGH_025: "#8B7FB8",
    LOW_025: "#8B7FB8",
    NOT_SIGNIFICANT: COLOURS["common_cause"],
    DSR_TOO_FEW: "#C8C8C8",
}
LINES = (  # (field, name, dash, colour)
    ("upper_998", "99.8% limits", "solid", "#425563"),
    ("lower_998", None, "solid", "#425563"),
    ("upper_95", "95% limits", "dash", "#768692"),
    ("lower_95", None, "dash", "#768692"),
)


def funnel_figure(
    funnel: Funnel, units, limits: FunnelLimits, title: str, x_title: str, y_title: str, shown=None
) -> go.Figure:
    """An interactive funnel: lines first, then each label's points with the unit's name on hover.
    ``shown`` (default all) leaves out the points of units whose small numbers are suppressed."""
    figure = go.Figure()
    for field, name, dash, colour in LINES:
        figure.add_scatter(
            x=limits.denominator,
            y=getattr(limits, field),
            mode="lines",
            name=name or "",
            showlegend=name is not None,
            line={"color": colour, "dash": dash, "width": 1.5},
            hoverinfo="skip",
        )
    figure.add_scatter(
        x=[limits.denominator.min(), limits.denominator.max()],
        y=[limits.baseline] * 2,
        mode="lines",
        name="average",
        line={"color": "#231F20", "width": 1.5},
        hoverinfo="skip",
    )
    names = np.array([html.escape(str(u), quote=False) for u in units], dtype=object)
    labels = np.array(funnel.significance, dtype=object)
    keep = np.ones(len(labels), dtype=bool) if shown is None else np.asarray(shown, dtype=bool)
    for label, colour in LABEL_COLOURS.items():
        rows = (labels == label) & keep
        if rows.any():
            figure.add_scatter(
                x=funnel.effective_denominator[rows],
                y=funnel.value[rows],
                mode="markers",
                name=label,
                marker={"color": colour, "size": 9},
                text=names[rows],
                hovertemplate="%{text}<br>%{y:.4g} at %{x:.4g}<extra>" + label + "</extra>",
            )
    figure.update_layout(
        title=html.escape(title, quote=False),
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="simple_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def funnel_json(peers, names: list[str], title: str, by: str) -> str:
    """A catalogue measure's peer comparison (``verdicts.peers``) as Plotly JSON for the workspace:
    the lines over every group, the points of the groups whose numbers may be shown."""
    from plotly.io.json import to_json_plotly

    funnel = peers.funnel
    figure = funnel_figure(
        funnel,
        names,
        funnel.spanning_limits(),
        title,
        f"Cases per {by}",
        peers.metric.unit,
        shown=~peers.hidden,
    )
    data = figure.to_plotly_json()
    return to_json_plotly({"data": data["data"], "layout": data["layout"], "config": PLOTLY_CONFIG})


def funnel_html(figure: go.Figure) -> str:
    """A self-contained page (Plotly's script inline, no cloud button)."""
    from plotly.offline import get_plotlyjs

    body = figure.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG)
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Funnel plot</title>'
        f"<script>{get_plotlyjs()}</script></head><body>{body}</body></html>"
    )


def funnel_static(
    funnel: Funnel, limits: FunnelLimits, title: str, x_title: str, y_title: str, fmt: str
) -> bytes:
    """The same funnel as SVG or PNG bytes."""
    with DRAWING:
        return _funnel_static(funnel, limits, title, x_title, y_title, fmt)


def _funnel_static(
    funnel: Funnel, limits: FunnelLimits, title: str, x_title: str, y_title: str, fmt: str
) -> bytes:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 5))
    axis = figure.subplots()
    for field, name, dash, colour in LINES:
        axis.plot(
            limits.denominator,
            getattr(limits, field),
            color=colour,
            linestyle="--" if dash == "dash" else "-",
            linewidth=1.2,
            label=name,
        )
    axis.axhline(limits.baseline, color="#231F20", linewidth=1.2, label="average")
    labels = np.array(funnel.significance, dtype=object)
    for label, colour in LABEL_COLOURS.items():
        rows = labels == label
        if rows.any():
            axis.scatter(
                funnel.effective_denominator[rows],
                funnel.value[rows],
                color=colour,
                s=25,
                label=label,
                zorder=3,
            )
    axis.set_title(_literal(title))
    axis.set_xlabel(_literal(x_title))
    axis.set_ylabel(_literal(y_title))
    axis.legend(fontsize=7, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def _literal(text: str) -> str:
    """Text matplotlib shows as typed ("$" would otherwise start mathematics)."""
    return text.replace("$", r"\$")


def funnel_chart_bytes(
    path: Path, funnel: Funnel, units, limits: FunnelLimits, title: str, x_title: str, y_title: str
) -> bytes:
    """The chart's file content for this path's suffix (.html/.htm, .svg or .png)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".svg", ".png"):
        return funnel_static(funnel, limits, title, x_title, y_title, suffix[1:])
    if suffix in (".html", ".htm"):
        return funnel_html(funnel_figure(funnel, units, limits, title, x_title, y_title)).encode("utf-8")
    raise ValueError(f"{path}: a chart must be .html, .png or .svg")
