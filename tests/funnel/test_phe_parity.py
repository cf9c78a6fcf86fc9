"""PHEindicatormethods 2.1.0's own funnel test data (../shared/fixtures/funnel): every value.

Each expected value is met to the precision the fixture prints it (half a unit in its last digit).
The calls mirror the package's tests/testthat/testFunnels.R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stocktake.funnel import (
    FunnelMethod,
    compare_units,
    phe_derived_denominators,
    phe_funnel_points,
    phe_limits_table,
)
from stocktake.funnel.phe_tables import r_character_width, signif_ceiling, signif_floor


@pytest.fixture(scope="module")
def funnel_dir(fixtures_dir):
    return fixtures_dir / "funnel"


def _read(path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame


def _half_unit(text: str) -> float:
    """Half a unit in the last digit the text shows: '5.571644585' → 5e-10; '1.2e+05' → 5e3."""
    mantissa, _, exponent = text.strip().lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** ((int(exponent) if exponent else 0) - decimals)


def _assert_column(got, texts, name: str) -> None:
    got = np.asarray(got, dtype=float)
    assert got.shape == (len(texts),), name
    for i, text in enumerate(texts):
        if text == "NA":
            assert np.isnan(got[i]), f"{name}[{i}]: expected NA, got {got[i]}"
            continue
        want = float(text)
        allowed = _half_unit(text) + 1e-12 * abs(want)
        assert abs(got[i] - want) <= allowed, f"{name}[{i}]: {got[i]!r} vs {text} (±{allowed:g})"


def _assert_table(table, expected: pd.DataFrame, rename=None) -> int:
    """Every column of the fixture against ours; returns how many values were compared."""
    rename = rename or {}
    compared = 0
    for column in expected.columns:
        ours = rename.get(column, column)
        if column in ("statistic", "method"):
            want = {"statistic": table.statistic, "method": table.method}[column]
            assert set(expected[column]) == {want}
        else:
            _assert_column(table.values[ours], expected[column].tolist(), column)
        compared += len(expected)
    assert [rename.get(c, c) for c in expected.columns if c not in ("statistic", "method")] == [
        c for c in table.columns
    ]
    return compared


@pytest.fixture(scope="module")
def rate_input(funnel_dir) -> pd.DataFrame:
    return pd.read_csv(funnel_dir / "funnel_rate_input_funnels.csv")


def test_rate_limits_dsr(funnel_dir, rate_input):
    ev, rate = rate_input["ev"].to_numpy(), rate_input["rate"].to_numpy()
    derived = phe_derived_denominators(ev, rate, 1e5, "dsr")
    table = phe_limits_table(ev, derived, "rate", 1e5, rate_type="dsr", years_of_data=3)
    assert _assert_table(table, _read(funnel_dir / "funnel_rate_outputs.csv")) == 100 * 12


def test_rate_limits_crude_with_fewer_than_ten_events(funnel_dir, rate_input):
    ev, rate = rate_input["ev"].to_numpy(), rate_input["rate"].to_numpy()
    ev = np.where(ev == ev.max(), 5, ev)
    derived = phe_derived_denominators(ev, rate, 1e5, "crude")
    table = phe_limits_table(ev, derived, "rate", 1e5, rate_type="crude", years_of_data=3)
    _assert_table(table, _read(funnel_dir / "funnel_rate_outputs_2.csv"))


def test_rate_limits_crude_with_zero_events_and_denominators(funnel_dir, rate_input):
    ev, rate = rate_input["ev"].to_numpy(), rate_input["rate"].to_numpy().astype(float)
    pop = 1e5 * ev / rate
    top = ev == ev.max()
    rate, ev = np.where(top, 0, rate), np.where(top, 0, ev)
    keep = pop > pop.max() / 2
    derived = phe_derived_denominators(ev[keep], rate[keep], 1e5, "crude", pop[keep])
    table = phe_limits_table(ev[keep], derived, "rate", 1e5, rate_type="crude", years_of_data=3)
    _assert_table(table, _read(funnel_dir / "funnel_rate_outputs_3.csv"))


@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_ratio_limits(funnel_dir, ratio_type):
    inputs = pd.read_csv(funnel_dir / "funnel_ratio_inputs.csv", encoding="utf-8-sig")
    expected = _read(funnel_dir / "funnel_ratio_outputs.csv")
    other = "isr" if ratio_type == "count" else "count"
    expected = expected[[c for c in expected.columns if not c.endswith(other)]]
    rename = {c: c.replace(f"_{ratio_type}", "_limit") for c in expected.columns if c.endswith(ratio_type)}
    table = phe_limits_table(inputs["obs"], inputs["expected"], "ratio", 100, ratio_type=ratio_type)
    assert table.statistic == f"ratio ({ratio_type})"
    _assert_table(table, expected, rename)


def test_ratio_significance_every_unit(funnel_dir):
    inputs = pd.read_csv(funnel_dir / "funnel_ratio_inputs.csv", encoding="utf-8-sig")
    funnel = compare_units(inputs["obs"], inputs["expected"], FunnelMethod("ratio"))
    assert list(funnel.significance) == inputs["significance"].tolist()
    assert len(set(funnel.significance)) == 5  # every label occurs


def test_rate_points(funnel_dir, rate_input):
    """``calculate_funnel_points``: the input file's own derived columns."""
    expected = _read(funnel_dir / "funnel_rate_input_funnels.csv")
    ev, rate, pop = (rate_input[c].to_numpy() for c in ("ev", "rate", "pop"))
    top = ev == ev.max()
    chart, derived = phe_funnel_points(np.where(top, 5, ev), rate, 1e5, "dsr", 3)
    _assert_column(chart, expected["rate_chart"].tolist(), "rate_chart")
    _assert_column(derived, expected["denominator_derived"].tolist(), "denominator_derived")
    chart, derived = phe_funnel_points(ev, rate, 1e5, "crude", 3)
    _assert_column(chart, expected["rate_chart_crude"].tolist(), "rate_chart_crude")
    _assert_column(derived, expected["denominator_derived_crude"].tolist(), "denominator_derived_crude")
    chart, derived = phe_funnel_points(np.where(top, 0, ev), rate, 1e5, "crude", 5, pop)
    _assert_column(chart, expected["rate_chart_crude_with_denom"].tolist(), "rate_chart_crude_with_denom")
    _assert_column(
        derived,
        expected["denominator_derived_crude_with_denom"].tolist(),
        "denominator_derived_crude_with_denom",
    )


@pytest.mark.parametrize(
    ("whole", "width"),
    [(0, 1), (7, 1), (1000, 4), (10000, 5), (100000, 5), (150000, 6), (2000000, 5), (123456789, 9)],
)
def test_r_writes_round_numbers_in_scientific_notation_when_shorter(whole, width):
    # R: nchar(100000) is 5 ("1e+05"); nchar(10000) is 5 ("10000", a tie stays fixed); nchar(2e6) is 5
    assert r_character_width(whole) == width


def test_axis_rounding_by_hand():
    # 95% of 5043 = 4790.85 → floor 4790, 4 characters → 10^3 → 4000
    assert signif_floor(5043) == 4000
    # 105% of 258807.6 = 271747.97 → ceiling 271748, 6 characters → 10^4 → 280000
    assert signif_ceiling(258807.5881) == 280000
    # 105% of 9 = 9.45 → ceiling 10, 2 characters → 10^0 → 10
    assert signif_ceiling(9) == 10
