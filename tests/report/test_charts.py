"""Charts embedded in HTML: labels stay text, and no chart can be sent to Plotly's cloud."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from stocktake.report.charts import (
    ChartSeries,
    facet_charts,
    plotly_html,
    plotly_json,
    static_chart,
    write_chart,
)

ATTACK = "</script><script>document.title='pwned'</script>"


def _series() -> ChartSeries:
    x = pd.date_range("2024-01-01", periods=6, freq="MS")
    flat = np.full(6, 50.0)
    return ChartSeries(
        title=ATTACK,
        x=x,
        y=np.array([48.0, 52, 49, 51, 50, 47]),
        mean=flat,
        lpl=flat - 10,
        upl=flat + 10,
        point_type=np.array(["common_cause"] * 6),
        rebase_group=np.zeros(6, dtype=int),
        annotations=(("2024-03-01", ATTACK),),
    )


def test_a_label_cannot_close_the_charts_script_in_html():
    fragment = plotly_html(_series())
    assert "document.title='pwned'</script>" not in fragment
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", fragment, flags=re.DOTALL)
    assert len(scripts) == 1 and "pwned" in scripts[0]  # still there, as escaped text inside the one script


def test_the_chart_json_escapes_what_would_end_a_script_and_keeps_the_label():
    text = plotly_json(_series())
    assert "<" not in text and ">" not in text
    figure = json.loads(text)
    assert [a["text"] for a in figure["layout"]["annotations"]] == [html.escape(ATTACK, quote=False)]


def test_a_label_cannot_put_a_link_on_the_chart():
    series = dataclasses.replace(
        _series(), annotations=(("2024-03-01", '<a href="https://evil.example">x</a>'),)
    )
    (text,) = [a["text"] for a in json.loads(plotly_json(series))["layout"]["annotations"]]
    assert text == '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'


def test_no_chart_offers_plotlys_cloud(tmp_path):
    assert json.loads(plotly_json(_series()))["config"]["showSendToCloud"] is False
    assert '"showSendToCloud": false' in plotly_html(_series())
    write_chart([_series()], tmp_path / "chart.html")
    assert '"showSendToCloud": false' in (tmp_path / "chart.html").read_text()


def test_facet_charts_give_one_panel_per_facet_in_order_with_its_latest_verdict():
    # Two facets, interleaved: "west" first. Each panel holds only its own rows, and its icons come
    # from its own last point ("special" for west's third row, "common" for east's second).
    facet = np.array(["west", "east", "west", "east", "west"])
    result = SimpleNamespace(
        period_series=facet,
        mean=np.arange(5.0),
        lpl=np.zeros(5),
        upl=np.full(5, 9.0),
        point_type=np.array(["common"] * 5),
        rebase_group=np.zeros(5, dtype=int),
        variation_type=np.array(["v0", "v1", "v2", "common", "special"]),
        assurance_type=np.array(["a0", "a1", "a2", "a3", "a4"]),
    )
    table = SimpleNamespace(facet=facet, x=np.arange(5), y=np.arange(10.0, 15.0), result=result)
    west, east = facet_charts(table, "waits", target=12.0, improvement="decrease")
    assert (west.title, east.title) == ("west", "east")
    assert list(west.y) == [10.0, 12.0, 14.0] and list(east.y) == [11.0, 13.0]
    assert (west.variation_type, west.assurance_type) == ("special", "a4")
    assert (east.variation_type, east.assurance_type) == ("common", "a3")
    assert (west.target, west.improvement) == (12.0, "decrease")


def test_an_unfaceted_chart_is_titled_by_its_value_column():
    facet = np.array(["", ""])
    result = SimpleNamespace(
        period_series=facet,
        mean=np.ones(2),
        lpl=np.zeros(2),
        upl=np.full(2, 2.0),
        point_type=np.array(["common"] * 2),
        rebase_group=np.zeros(2, dtype=int),
        variation_type=np.array(["common", "common"]),
        assurance_type=np.array(["none", "none"]),
    )
    table = SimpleNamespace(facet=facet, x=np.arange(2), y=np.ones(2), result=result)
    [panel] = facet_charts(table, "waits")
    assert panel.title == "waits"


def test_percentage_limits_are_drawn_within_0_and_100_and_counts_not_below_0():
    from stocktake.report.charts import drawn_limits

    y = np.array([97.0, 99.0, 100.0])
    lower, upper = drawn_limits(np.array([92.0, 92, 92]), np.array([104.0, 104, 104]), y, "%")
    assert list(upper) == [100, 100, 100] and list(lower) == [92, 92, 92]
    lower, upper = drawn_limits(
        np.array([-1.5, np.nan]), np.array([6.0, np.nan]), np.array([2.0, 3.0]), "days"
    )
    assert lower[0] == 0 and np.isnan(lower[1]) and upper[0] == 6
    signed, _ = drawn_limits(np.array([-5.0]), np.array([5.0]), np.array([-1.0]), "£")  # can go negative
    assert signed[0] == -5


def test_close_change_dates_step_their_labels_down_and_far_ones_do_not():
    series = dataclasses.replace(
        _series(),
        annotations=(("2024-03-01", "a"), ("2024-03-05", "b"), ("2024-01-02", "c"), ("2024-06-01", "d")),
    )
    heights = [a["y"] for a in json.loads(plotly_json(series))["layout"]["annotations"]]
    # sorted by date: c (Jan), a (1 Mar), b (5 Mar: 4 days after a, within a tenth of 152 days), d (Jun)
    assert heights == [1.0, pytest.approx(0.93), 1.0, 1.0]


def test_the_legend_names_the_point_colours_shown_and_one_button_exports_a_picture():
    series = dataclasses.replace(
        _series(), point_type=np.array(["common_cause"] * 4 + ["special_cause_concern"] * 2)
    )
    figure = json.loads(plotly_json(series))
    names = [t.get("name") for t in figure["data"] if t.get("x") == [None]]
    assert names == ["Special cause: concern", "Common cause"]
    assert figure["config"]["modeBarButtons"] == [["toImage"]]


@pytest.mark.parametrize(
    ("unit", "scale"),
    [("%", 1.0), ("days", 10.0), ("£", 1_000_000.0), ("minutes per list", 0.001)],
)
@pytest.mark.parametrize("panels", [1, 3])
def test_the_static_charts_margins_fit_every_label_without_a_trial_drawing(unit, scale, panels):
    """The margins are reckoned from the labels' lengths (no ``tight_layout``): drawn for real, no
    tick label, title or unit falls outside the figure, and the plot keeps most of its width."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from stocktake.report.charts import static_figure

    series = dataclasses.replace(_series(), title="Hip fracture surgery within 36 hours", unit=unit)
    series = dataclasses.replace(
        series, y=series.y * scale, mean=series.mean * scale, lpl=series.lpl * scale, upl=series.upl * scale
    )
    figure = static_figure([series] * panels, width=7.0)
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    box = figure.bbox
    for axis in figure.axes:
        texts = [axis.title, axis.yaxis.label, *axis.get_xticklabels(), *axis.get_yticklabels()]
        for text in (t for t in texts if t.get_text()):
            extent = text.get_window_extent(renderer)
            assert extent.x0 >= box.x0 - 0.5 and extent.x1 <= box.x1 + 0.5, (unit, text.get_text())
            assert extent.y0 >= box.y0 - 0.5 and extent.y1 <= box.y1 + 0.5, (unit, text.get_text())
        assert axis.get_position().width > 0.7


@pytest.mark.parametrize(
    "label", ["Saved $5k (10%) & $3k", r"Budget $\undefinedthing$ cut", "Saved $5k on kit, $3k"]
)
def test_a_label_with_dollar_signs_is_drawn_as_typed_not_as_mathematics(label):
    """matplotlib reads $…$ as mathematics: a label it cannot parse stopped the board PDF, and one it
    could came out in italics with its $ signs gone."""
    series = dataclasses.replace(_series(), title=f"Spend {label}", annotations=(("2024-03-01", label),))
    svg = static_chart([series], "svg").decode()
    assert html.escape(label, quote=False) in svg
