"""A measure's SPC chart for a slide: 16:9 (1600 × 900 px as PNG), titled, with its period, its source
and the change dates drawn as labelled lines, from the same ``ChartSeries`` as every other chart.

The chart is made with ``hide_small=True`` (``entry_chart``'s default), so a point with 1–7 cases
behind it is neither drawn nor listed in the SVG's description, as in every export. Text in the SVG
stays text (a slide can be edited and searched); a label is never read as mathematics.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from stocktake.report.charts import (
    DRAWING,
    POINT_COLOURS,
    POINT_NAMES,
    ChartSeries,
    _label_heights,
    static_lines,
)
from stocktake.verdicts.narrative import Formatter

WIDTH, HEIGHT, DPI = 16, 9, 100  # inches at 100 dpi: 1600 × 900 px
CHANGE_COLOUR = "#005EB8"
FONTS = ["Arial", "Liberation Sans", "DejaVu Sans"]  # the first this machine has
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def slide_chart(
    series: ChartSeries, *, fmt: str, period: str, source: str, hidden: int = 0, point_label=None
) -> bytes:
    """The chart as PNG or SVG bytes. ``period``: "April 2024 to September 2025"; ``source``: the
    department, trust and where the measure's definition comes from; ``point_label(x)``: a point's
    date as the description names it; ``hidden``: how many points small numbers hid."""
    if fmt not in FORMATS:
        raise ValueError(f"a slide is png or svg, not {fmt!r}")
    import matplotlib
    from matplotlib.figure import Figure

    with (
        DRAWING,
        matplotlib.rc_context(
            {"svg.fonttype": "none", "font.family": "sans-serif", "font.sans-serif": FONTS}
        ),
    ):
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        figure.text(0.04, 0.945, series.title, fontsize=26, fontweight="bold", parse_math=False, va="top")
        figure.text(0.04, 0.875, period, fontsize=16, color="#4C6272", parse_math=False, va="top")
        figure.text(0.04, 0.045, source, fontsize=12, color="#4C6272", parse_math=False, wrap=True)
        axis = figure.add_axes((0.07, 0.26, 0.9, 0.56))
        _draw(axis, series)
        handles, labels = axis.get_legend_handles_labels()
        figure.legend(
            handles,
            labels,
            loc="lower center",
            bbox_to_anchor=(0.52, 0.105),
            ncol=4,
            frameon=False,
            fontsize=12,
        )
        if hidden:
            footnote = f"{hidden} point(s) with 1–7 cases not shown"
            figure.text(0.04, 0.012, footnote, fontsize=12, color="#4C6272", parse_math=False)
        buffer = io.BytesIO()
        metadata = {"Title": series.title, "Date": None} if fmt == "svg" else {"Title": series.title}
        if fmt == "svg":
            metadata["Description"] = describe(series, period, source, hidden, point_label)
        else:
            metadata["Source"] = source
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def describe(series: ChartSeries, period: str, source: str, hidden: int = 0, point_label=None) -> str:
    """The chart in words, for a screen reader or a slide's alt text: each point drawn (hidden ones
    are counted, never given), the latest mean and limits, the target and each change date."""
    fmt = Formatter(series.unit, series.decimals, coarse=hidden > 0)  # its mean and limits rounded (ADR 9)
    label = point_label or (lambda when: f"{when:%b %Y}")
    shown = [f"{label(x)} {fmt(y)}" for x, y in zip(series.x, series.y, strict=True) if not np.isnan(y)]
    words = [f"{series.title}, {period}. SPC chart. Values: " + "; ".join(shown) + "."]
    if hidden:
        words.append(f"{hidden} point(s) not shown: fewer than 8 cases behind them.")
    if len(series.mean) and not np.isnan(series.mean[-1]):
        words.append(
            f"Latest mean {fmt.statistic(series.mean[-1])}, "
            f"process limits {fmt.statistic(series.lpl[-1])} to {fmt.statistic(series.upl[-1])}."
        )
    if series.target is not None:
        words.append(f"Target {fmt(series.target)}.")
    words += [f"Change on {pd.Timestamp(when):%d %b %Y}: {text}." for when, text in series.annotations]
    words.append(f"{source}.")
    return " ".join(words)


def _draw(axis, series: ChartSeries) -> None:
    from matplotlib.dates import DateFormatter

    static_lines(axis, series, width=2)
    drawn = ~np.isnan(series.y)  # hidden points are not drawn
    kinds = np.array(
        ["special_cause_neutral_high" if t.endswith("neutral_low") else t for t in series.point_type]
    )
    for kind, name in POINT_NAMES.items():
        chosen = drawn & (kinds == kind)
        if chosen.any():
            axis.scatter(
                series.x[chosen], series.y[chosen], color=POINT_COLOURS[kind], s=60, zorder=3, label=name
            )
    first, last = series.x[0], series.x[-1]
    pad = max((last - first) / 40, pd.Timedelta(days=1))
    axis.set_xlim(first - pad, last + pad)  # a change date outside the data is in the description only
    axis.xaxis.set_major_formatter(DateFormatter("%b %Y"))
    for (when, text), height in zip(series.annotations, _label_heights(series), strict=True):
        day = pd.Timestamp(when)
        if not first - pad <= day <= last + pad:
            continue
        right = day > first + (last - first) * 0.7  # a late label reads leftwards, inside the slide
        axis.axvline(day, color=CHANGE_COLOUR, linestyle=":", linewidth=1.5)
        axis.annotate(
            text,
            (day, height),
            xycoords=("data", "axes fraction"),
            xytext=(-4 if right else 4, -2),
            ha="right" if right else "left",
            textcoords="offset points",
            fontsize=13,
            color=CHANGE_COLOUR,
            va="top",
            parse_math=False,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
    axis.set_ylabel(series.unit, fontsize=14, parse_math=False)
    axis.tick_params(labelsize=13)
    axis.grid(axis="y", color="#EEF0F2")
    axis.spines[["top", "right"]].set_visible(False)
