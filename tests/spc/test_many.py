"""The many-series API gives exactly what one chart at a time gives."""

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from stocktake.spc import xmr
from stocktake.spc.xmr import xmr_many

AE = pd.read_csv(Path(__file__).resolve().parents[3] / "shared/fixtures/spc/ae_type1.csv").sort_values(
    ["org_code", "period"]
)


def test_every_trust_at_once_equals_one_at_a_time():
    rebase = (AE["period"] == "2018-01-01").to_numpy()
    many = xmr_many(
        AE["org_code"].to_numpy(), AE["breaches"].to_numpy(), rebase, improvement="decrease", target=2000
    )
    offset = 0
    for org, rows in AE.groupby("org_code", sort=True):
        one = xmr(rows["breaches"].to_numpy(), improvement="decrease", target=2000, rebase_at=[21])
        part = slice(offset, offset + len(rows))
        np.testing.assert_array_equal(many.upl[part], one.upl)
        assert list(many.point_type[part]) == list(one.point_type)
        periods = many.period_series == org
        assert list(many.variation_type[periods]) == [s.variation_type for s in one.segments]
        assert list(many.assurance_type[periods]) == [s.assurance_type for s in one.segments]
        offset += len(rows)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=30), min_size=1, max_size=6
    ),
    st.randoms(),
)
def test_the_order_of_series_changes_nothing(series, random):
    order = list(range(len(series)))
    random.shuffle(order)

    def run(ordering):
        labels = np.concatenate([[i] * len(series[i]) for i in ordering])
        values = np.concatenate([series[i] for i in ordering])
        result = xmr_many(labels, values)
        return {i: list(result.point_type[labels == i]) for i in ordering}

    assert run(order) == run(range(len(series)))
