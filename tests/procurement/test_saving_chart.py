"""An agreed saving on an XmR chart: the limits start again at the agreed month (the stock-take's
rebase rule), the two periods sit at the known prices, and a drift back up is special cause."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.procurement import AgreedSaving, saving_chart
from stocktake.spc.xmr import xmr

runner = CliRunner()
BEFORE, AFTER = 1850.0, 1390.0
#: A small wobble that averages to nothing over each run of four months, so each period's mean is
#: the price exactly.
WOBBLE = (10.0, -10.0, 5.0, -5.0)


def _orders(prices: list[float], first: str = "2024-01") -> pd.DataFrame:
    """One order of 10 a month at each month's price, with a second line of a credit note for 2."""
    months = pd.period_range(first, periods=len(prices), freq="M")
    rows = []
    for month, price in zip(months, prices, strict=True):
        rows.append((month.to_timestamp() + pd.Timedelta(days=9), "A", "HIP", price, 12))
        rows.append((month.to_timestamp() + pd.Timedelta(days=19), "A", "HIP", price, -2))
    rows.append(("2024-03-05", "A", "KNEE", 2100.0, 5))  # another item: not charted
    frame = pd.DataFrame(rows, columns=["ordered_on", "site", "item_code", "unit_price", "quantity"])
    frame["ordered_on"] = pd.to_datetime(frame["ordered_on"])
    return frame


def _prices(before: int, after: int) -> list[float]:
    return [BEFORE + WOBBLE[i % 4] for i in range(before)] + [AFTER + WOBBLE[i % 4] for i in range(after)]


#: The old price creeping back, month by month.
DRIFT = (1500.0, 1620.0, 1750.0, 1850.0)
AGREED = AgreedSaving("HIP", pd.Period("2025-01"), BEFORE, AFTER)


def test_the_two_periods_sit_at_the_old_and_the_agreed_price():
    orders = _orders(_prices(12, 16))  # January 2024 to April 2026; the price drops January 2025
    drawn = saving_chart(orders, AGREED)
    assert drawn.rebased_at == 12 and drawn.deferred is None
    assert drawn.x[0] == pd.Timestamp("2024-01-01") and len(drawn.y) == 28
    chart = drawn.chart
    assert [s.start for s in chart.segments] == [0, 12]
    assert chart.segments[0].mean == pytest.approx(BEFORE)
    assert chart.segments[1].mean == pytest.approx(AFTER)
    # The new period's limits are around the agreed price and far below the old price.
    assert chart.segments[1].upl < BEFORE
    assert set(chart.point_type) == {"common_cause"}
    # The same as the stock-take's own chart of these values rebased at point 12.
    same = xmr(drawn.y, improvement="decrease", rebase_at=[12], target=AFTER)
    np.testing.assert_allclose(chart.mean, same.mean)
    np.testing.assert_allclose(chart.upl, same.upl)
    assert drawn.target == AFTER and "agreed £1,850.00 → £1,390.00 from 2025-01" in drawn.label


def test_a_drift_back_up_is_special_cause_concern():
    prices = [*_prices(12, 12), *DRIFT]
    chart = saving_chart(_orders(prices), AGREED).chart
    assert chart.segments[1].start == 12
    drifted = chart.point_type[24:]
    assert "special_cause_concern" in set(drifted)
    assert chart.latest.variation_type == "special_cause_concern"
    assert set(chart.point_type[:12]) == {"common_cause"}  # before the change: one steady price


def test_too_few_months_after_the_change_wait_before_the_limits_restart():
    drawn = saving_chart(_orders(_prices(12, 6)), AGREED)
    assert drawn.rebased_at is None and drawn.deferred == (12, 6)
    assert len(drawn.chart.segments) == 1
    # One set of limits across: the six months at the agreed price sit far below the old mean.
    assert "special_cause_improvement" in set(drawn.chart.point_type[12:])


def test_a_month_without_orders_is_missing_not_zero():
    orders = _orders(_prices(12, 14))
    orders = orders[orders["ordered_on"].dt.to_period("M") != pd.Period("2025-06")]
    drawn = saving_chart(orders, AGREED)
    assert np.isnan(drawn.y[17]) and drawn.chart.segments[1].mean == pytest.approx(np.nanmean(drawn.y[12:]))


def test_spend_per_case_given_the_cases():
    orders = _orders(_prices(12, 12))
    months = pd.period_range("2024-01", periods=24, freq="M")
    cases = pd.Series(5.0, index=months)
    drawn = saving_chart(orders, AGREED, cases=cases)
    assert drawn.measure == "spend per case" and drawn.target is None
    assert drawn.chart.segments[0].mean == pytest.approx(BEFORE * 10 / 5)
    assert drawn.chart.segments[1].mean == pytest.approx(AFTER * 10 / 5)


@pytest.mark.parametrize("suffix", [".html", ".svg", ".png"])
def test_the_command_draws_the_chart(tmp_path, suffix):
    orders = _orders([*_prices(12, 12), 1500.0, 1620.0, 1750.0, 1850.0])
    orders_csv = tmp_path / "orders.csv"
    orders.assign(
        line_id=[f"L{i}" for i in range(len(orders))],
        ordered_on=orders["ordered_on"].dt.strftime("%Y-%m-%d"),
    ).to_csv(orders_csv, index=False)
    agreed = tmp_path / "agreed.csv"
    agreed.write_text("item_code,from,baseline_price,new_price\nHIP,2025-01,1850,1390\n")
    out, chart = tmp_path / "tracking.csv", tmp_path / f"chart{suffix}"
    result = runner.invoke(
        app,
        [
            "procurement",
            "track",
            "--agreed",
            str(agreed),
            "--orders",
            str(orders_csv),
            "--out",
            str(out),
            "--chart",
            str(chart),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and chart.stat().st_size > 1000
    assert "HIP: special cause concern" in " ".join(result.output.split())
    if suffix == ".html":
        assert "HIP: price per unit" in chart.read_text()


def test_the_command_refuses_a_chart_it_cannot_draw(tmp_path):
    agreed = tmp_path / "agreed.csv"
    agreed.write_text("item_code,from,baseline_price,new_price\nHIP,2025-01,1850,1390\n")
    out = tmp_path / "tracking.csv"
    result = runner.invoke(
        app,
        [
            "procurement",
            "track",
            "--agreed",
            str(agreed),
            "--orders",
            str(agreed),
            "--out",
            str(out),
            "--chart",
            str(tmp_path / "chart.pdf"),
        ],
    )
    assert result.exit_code == 2
    assert "--chart" in result.output and not out.exists()
