"""SPC charts in the Making Data Count style, as Plotly figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from stocktake.analysis import MetricResult
from stocktake.report.icons import COLOURS

POINT_COLOURS = {
    "common_cause": COLOURS["common_cause"],
    "special_cause_improvement": COLOURS["improvement"],
    "special_cause_concern": COLOURS["concern"],
    "special_cause_neutral_high": COLOURS["neutral"],
    "special_cause_neutral_low": COLOURS["neutral"],
}


def spc_figure(result: MetricResult, annotations: list[tuple[str, str]] = ()) -> go.Figure:
    """Points coloured by type, mean and process limits per period, target, and change dates."""
    chart, x, unit = result.chart, result.x, result.metric.unit
    figure = go.Figure()
    grey = COLOURS["common_cause"]
    figure.add_scatter(
        x=x,
        y=chart.y,
        mode="lines",
        line={"color": "#C8C8C8", "width": 1.5},
        hoverinfo="skip",
        showlegend=False,
    )
    for name, values, dash in (
        ("Mean", chart.mean, "solid"),
        ("Upper process limit", chart.upl, "dash"),
        ("Lower process limit", chart.lpl, "dash"),
    ):
        xs, ys = _broken_at_rebase(x, values, chart.rebase_group)
        figure.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=name,
            line={"color": "#231F20" if name == "Mean" else grey, "dash": dash, "width": 1.5},
        )
    if chart.target is not None:
        figure.add_scatter(
            x=[x[0], x[-1]],
            y=[chart.target] * 2,
            mode="lines",
            name="Target",
            line={"color": COLOURS["target"], "dash": "dot", "width": 2},
        )
    labels = [t.replace("special_cause_", "special cause ").replace("_", " ") for t in chart.point_type]
    figure.add_scatter(
        x=x,
        y=chart.y,
        mode="markers",
        name="Values",
        showlegend=False,
        marker={"color": [POINT_COLOURS[t] for t in chart.point_type], "size": 7},
        customdata=labels,
        hovertemplate=f"%{{x|%b %Y}}: %{{y:.{result.metric.decimals}f}} {unit}"
        "<br>%{customdata}<extra></extra>",
    )
    for when, label in annotations:
        figure.add_vline(x=when, line={"color": "#005EB8", "width": 1, "dash": "dot"})
        figure.add_annotation(
            x=when,
            y=1,
            yref="paper",
            text=label,
            showarrow=False,
            xanchor="left",
            font={"size": 10, "color": "#005EB8"},
        )
    figure.update_layout(
        height=320,
        margin={"l": 50, "r": 20, "t": 20, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.2},
        yaxis_title=unit,
        font={"family": "Arial, sans-serif"},
    )
    figure.update_xaxes(showgrid=False, linecolor="#AEB7BD")
    figure.update_yaxes(gridcolor="#EEF0F2", linecolor="#AEB7BD")
    return figure


def _broken_at_rebase(x, values: np.ndarray, groups: np.ndarray) -> tuple[list, list]:
    """The line with a gap where one rebase period ends, so limits are not joined across it."""
    xs, ys = list(x), list(values.astype(float))
    for i in np.flatnonzero(np.diff(groups))[::-1]:
        xs.insert(int(i) + 1, xs[int(i)])
        ys.insert(int(i) + 1, None)
    return xs, ys
