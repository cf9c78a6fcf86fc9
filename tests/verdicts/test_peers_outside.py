"""The board report's "Compared with peers": the sites beyond the 99.8% limits, injected outliers
found, small groups never listed, and every measure with a funnel compared."""

import pandas as pd
import pytest
from scipy.stats import norm

from stocktake.metrics.catalogue import Aggregate, Metric
from stocktake.verdicts.peers import compare_every_measure

COUNT = Aggregate("admissions", "admitted_at")
SHARE = Metric(
    "share", "Share", "Area", "%", "increase", "hand-made", numerator=COUNT, denominator=COUNT, scale=100.0
)
STAY = Metric(
    "los",
    "LOS",
    "A",
    "days",
    "decrease",
    "h",
    numerator=Aggregate("a", "b", statistic="mean"),
    denominator=COUNT,
)
MONTHS = pd.date_range("2023-01-01", periods=12, freq="MS")


def _frame(per_month: dict[str, tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"period": m, "site": site, "numerator": float(a), "denominator": float(n)}
            for m in MONTHS
            for site, (a, n) in per_month.items()
        ]
    )


def test_injected_outliers_on_either_side_are_listed_furthest_first():
    # Four sites at 80%, one at 60% and one at 95%, each 100 cases a month: 1,200 cases a year each.
    frame = _frame(
        {"A": (80, 100), "B": (80, 100), "C": (80, 100), "D": (80, 100), "Low": (60, 100), "Hi": (95, 100)}
    )
    [peers] = compare_every_measure([SHARE], {"share": frame}, "site")
    outside = peers.outside_limits()
    assert [(o.group, o.high) for o in outside] == [("Low", False), ("Hi", True)]  # 19.2 and 15.8 from 79.2
    low = outside[0]
    assert (low.value, low.numerator, low.denominator) == (pytest.approx(60.0), 720, 1200)
    # The 99.8% limits at 1,200 cases around p = 79.1667%: roughly p ± 3.09 √(p(1−p)/n); Wilson's
    # (the package's) differ from it in the second decimal.
    p, z = 0.791667, norm.ppf(0.999)
    half = z * (p * (1 - p) / 1200) ** 0.5
    assert low.lower_998 == pytest.approx(100 * (p - half), abs=0.2)
    assert low.upper_998 == pytest.approx(100 * (p + half), abs=0.2)


def test_a_small_group_is_never_listed_however_far_out():
    # "Tiny" has 5 cases and 0 events a year: far below, but 1–7 cases is a patient recognisable.
    frame = _frame({"A": (80, 100), "B": (80, 100), "C": (80, 100), "Tiny": (0, 0)})
    frame.loc[(frame["site"] == "Tiny") & (frame["period"] == MONTHS[-1]), "denominator"] = 5
    [peers] = compare_every_measure([SHARE], {"share": frame}, "site")
    labels = dict(zip(peers.groups, peers.funnel.significance, strict=True))
    assert labels["Tiny"] == "Low (0.001)"
    assert all(o.group != "Tiny" for o in peers.outside_limits())


def test_only_measures_with_a_funnel_and_series_are_compared():
    frame = _frame({"A": (80, 100), "B": (60, 100)})
    compared = compare_every_measure([STAY, SHARE], {"share": frame, "los": frame}, "site")
    assert [c.metric.id for c in compared] == ["share"]
    assert compare_every_measure([SHARE], {}, "site") == ()
