"""The board report's words agree with its charts (issue 23): the limits a sentence quotes are the limits
drawn, and each measure's better direction reads as English.

Hand-made: 24 months alternating 90% and 100% (mean 95, moving range 10, limits 68.4% to 121.6%,
drawn to 100%), a length of stay alternating 16 and 20 days, and a volume.
"""

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue, Metric
from stocktake.report import charts
from stocktake.report.charts import entry_chart
from stocktake.report.html import render_report
from stocktake.verdicts import narrative
from stocktake.verdicts.analysis import analyse
from stocktake.verdicts.stocktake import build

MONTHS = pd.date_range("2023-04-01", periods=24, freq="MS")
METRICS = (
    Metric("share", "Seen in time", "Area", "%", "increase", "hand-made"),
    Metric("stay", "Length of stay", "Area", "days", "decrease", "hand-made"),
    Metric("volume", "Patients", "Area", "patients", "neutral", "hand-made", decimals=0),
)
VALUES = {"share": [90.0, 100.0], "stay": [16.0, 20.0], "volume": [40.0, 50.0]}


def _stocktake():
    series = {i: pd.DataFrame({"period": MONTHS, "value": np.tile(v, 12)}) for i, v in VALUES.items()}
    return build("Test", "hand-made", analyse(Catalogue("Test", METRICS), series))


def test_the_sentence_and_the_chart_share_one_rule_for_the_limits():
    assert charts.drawn_limits is narrative.drawn_limits
    entry = _stocktake().entries[0]
    drawn = entry_chart(entry)
    assert drawn.upl[-1] == 100.0 and round(drawn.lpl[-1], 1) == 68.4
    quoted = f"({entry.format(drawn.lpl[-1])} to {entry.format(drawn.upl[-1])})"
    assert quoted == "(68.4% to 100.0%)" and quoted in entry.sentence


def test_each_measure_says_which_way_is_better_in_words():
    page = render_report(_stocktake())
    assert "Unit: %. Better when it rises." in page
    assert "Unit: days. Better when it falls." in page
    assert "Unit: patients. No better direction (a volume)." in page
    assert "neutrals" not in page and "increases." not in page and "decreases." not in page
