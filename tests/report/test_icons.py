"""Icons say in words what they show in colour."""

import pytest

from stocktake.report.icons import assurance_icon, variation_icon, variation_label


@pytest.mark.parametrize(
    ("variation_type", "improvement", "label"),
    [
        ("special_cause_improvement", "increase", "Special cause improvement (high values)"),
        ("special_cause_improvement", "decrease", "Special cause improvement (low values)"),
        ("special_cause_concern", "increase", "Special cause concern (low values)"),
        ("special_cause_concern", "decrease", "Special cause concern (high values)"),
        ("special_cause_neutral_high", "neutral", "Special cause, neither better nor worse (high values)"),
        ("common_cause", "increase", "Common cause variation"),
    ],
)
def test_variation_label(variation_type, improvement, label):
    assert variation_label(variation_type, improvement) == label
    icon = variation_icon(variation_type, improvement)
    assert icon.startswith("<svg") and f'aria-label="{label}"' in icon


def test_assurance_icons_use_letters_and_words():
    assert ">P<" in assurance_icon("consistent_pass") and "consistently meet" in assurance_icon(
        "consistent_pass"
    )
    assert ">F<" in assurance_icon("consistent_fail")
    assert ">?<" in assurance_icon("inconsistent")
    assert "No target" in assurance_icon(None)


def test_trajectory_is_drawn_in_both_renderers():
    import numpy as np
    import pandas as pd

    from stocktake.report.charts import ChartSeries, plotly_figure, static_chart

    x = pd.date_range("2024-01-01", periods=4, freq="MS")
    series = ChartSeries(
        "t",
        x,
        np.arange(4.0),
        np.full(4, 1.5),
        np.zeros(4),
        np.full(4, 3.0),
        np.array(["common_cause"] * 4, dtype=object),
        np.zeros(4, dtype=int),
        trajectory=np.array([1.0, 1.5, 2.0, 2.5]),
    )
    assert "Trajectory" in [trace.name for trace in plotly_figure(series).data]
    assert b"<svg" in static_chart([series], "svg")


def test_a_static_charts_words_are_text_a_pdf_reader_can_find():
    """SVG text as <text>, not one path per glyph: the board PDF draws it three times faster, and
    the chart's title can be searched and read aloud."""
    import numpy as np
    import pandas as pd

    from stocktake.report.charts import ChartSeries, static_chart

    x = pd.date_range("2024-01-01", periods=4, freq="MS")
    series = ChartSeries(
        "Hip fracture surgery within 36 hours",
        x,
        np.arange(4.0),
        np.full(4, 1.5),
        np.zeros(4),
        np.full(4, 3.0),
        np.array(["common_cause"] * 4, dtype=object),
        np.zeros(4, dtype=int),
    )
    svg = static_chart([series], "svg").decode()
    assert "Hip fracture surgery within 36 hours</text>" in svg
    assert '<use xlink:href="#DejaVuSans' not in svg  # no glyph paths
