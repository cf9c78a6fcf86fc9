"""Charts embedded in HTML: labels stay text, and no chart can be sent to Plotly's cloud."""

from __future__ import annotations

import dataclasses
import html
import json
import re

import numpy as np
import pandas as pd

from stocktake.report.charts import ChartSeries, plotly_html, plotly_json, write_chart

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
