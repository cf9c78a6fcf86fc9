"""The RTT publication's banded median and 95th percentile, against its own published figures."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.metrics.percentiles import banded_percentile

RTT = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "rtt"


def _bands(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("gt_")]


def _published(name: str) -> pd.DataFrame:
    frame = pd.read_csv(RTT / name)
    for column in ("median_wait_weeks", "p95_wait_weeks"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


@pytest.mark.parametrize(
    "name",
    ["rtt_incomplete_national_by_tf_2015_03.csv", "rtt_incomplete_ccg_trauma_orthopaedics_2015_03.csv"],
)
def test_reproduces_the_published_median_and_95th_percentile(name):
    frame = _published(name)
    bands = np.arange(len(_bands(frame)))  # "52 plus" is band 52
    counts = frame[_bands(frame)].to_numpy()
    medians = pd.Series([banded_percentile(bands, row, 50) for row in counts], index=frame.index)
    p95s = pd.Series([banded_percentile(bands, row, 95) for row in counts], index=frame.index)
    published_p95 = frame["p95_wait_weeks"].notna()  # "-" where the publication left it out
    assert np.allclose(p95s[published_p95], frame.loc[published_p95, "p95_wait_weeks"], atol=1e-9)
    wrong_median = frame.index[~np.isclose(medians, frame["median_wait_weeks"], atol=1e-9)]
    if name.startswith("rtt_incomplete_national"):
        assert len(frame) == 20 and wrong_median.empty
    else:  # the publication's own anomaly: 09L's median does not follow from its band counts
        assert len(frame) == 212 and published_p95.sum() >= 200
        assert list(frame.loc[wrong_median, "ccg_code"]) == ["09L"]
        assert medians[wrong_median[0]] == pytest.approx(5.96, abs=0.005)


def test_worked_by_hand():
    # 10 patients: 4 in band 0, 6 in band 3. Median rank 5.5 → band 3, 1.5 of its 6 in.
    assert banded_percentile([0, 3], [4, 6], 50) == pytest.approx(3.25)
    # 95th percentile rank 9.5 → band 3, 5.5 of 6 in.
    assert banded_percentile([3, 0], [6, 4], 95) == pytest.approx(3 + 5.5 / 6)
    assert np.isnan(banded_percentile([], [], 50))
