"""Agreed savings tracked month by month, worked by hand: realised against planned, cash-releasing
against cost avoidance."""

import numpy as np
import pandas as pd
import pytest

from stocktake.procurement.tracking import AgreedSaving, track


def _orders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ordered_on", "site", "item_code", "unit_price", "quantity"])
    frame["ordered_on"] = pd.to_datetime(frame["ordered_on"])
    return frame


#: The hip system cost £1,850; from April 2025 the department agreed £1,390 (a saving of £460 a
#: unit). January–March: 10 a month at £1,850 (£18,500 a month: the baseline). April: 10 at
#: £1,390. May: 14 at £1,390 (more operations). June: 10 at £1,500 (the price slipped). July: none.
#: Another site's hips, and another item, are not this agreement's.
ORDERS = _orders(
    [
        ("2025-01-10", "A", "HIP", 1850.0, 10),
        ("2025-02-10", "A", "HIP", 1850.0, 10),
        ("2025-03-10", "A", "HIP", 1850.0, 10),
        ("2025-04-10", "A", "HIP", 1390.0, 12),
        ("2025-04-20", "A", "HIP", 1390.0, -2),  # a credit note
        ("2025-05-10", "A", "HIP", 1390.0, 14),
        ("2025-06-10", "A", "HIP", 1500.0, 10),
        ("2025-07-10", "A", "KNEE", 2100.0, 10),
        ("2025-05-10", "B", "HIP", 1850.0, 10),
    ]
)
AGREED = AgreedSaving("HIP", pd.Period("2025-04"), baseline_price=1850.0, new_price=1390.0, site="A")


def test_month_by_month_by_hand():
    table = track(ORDERS, [AGREED]).set_index("month")
    assert list(table.index) == ["2025-04", "2025-05", "2025-06", "2025-07"]
    # April: 10 net at £1,390 = £13,900. Planned 10 × 460 = 4,600; realised 18,500 − 13,900 = 4,600,
    # all of it below the baseline's £18,500 a month: cash-releasing.
    # May: 14 at £1,390 = £19,460. Planned and realised 14 × 460 = 6,440; spend is above the
    # baseline, so none is cash: all cost avoidance (the extra volume came cheaper).
    # June: 10 at £1,500 = £15,000. Planned 4,600; realised 18,500 − 15,000 = 3,500, all cash.
    # July: nothing bought: nothing planned or realised.
    expected = {
        "quantity": [10, 14, 10, 0],
        "spend": [13900.0, 19460.0, 15000.0, 0.0],
        "planned_saving": [4600.0, 6440.0, 4600.0, 0.0],
        "realised_saving": [4600.0, 6440.0, 3500.0, 0.0],
        "cash_releasing": [4600.0, 0.0, 3500.0, 0.0],
        "cost_avoidance": [0.0, 6440.0, 0.0, 0.0],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(table[column].to_numpy(float), values, rtol=0, atol=1e-9, err_msg=column)
    assert table.loc["2025-06", "price_per_unit"] == pytest.approx(1500.0)
    assert np.isnan(table.loc["2025-07", "price_per_unit"])
    assert set(table["site"]) == {"A"}


def test_every_site_together():
    # Site B's 10 at £1,850 in May join A's: May realised = 24 × 1,850 − (19,460 + 18,500) = 6,440;
    # planned 24 × 460 = 11,040. The baseline is still £18,500 a month (only A bought before April).
    table = track(ORDERS, [AgreedSaving("HIP", pd.Period("2025-04"), 1850.0, 1390.0)]).set_index("month")
    assert table.loc["2025-05", "planned_saving"] == pytest.approx(11040.0)
    assert table.loc["2025-05", "realised_saving"] == pytest.approx(6440.0)
    assert table.loc["2025-05", "cash_releasing"] == 0
    assert set(table["site"]) == {"all"}


def test_no_baseline_months_means_no_cash_claimed():
    # Starting in January, the first month of data: no months before it to release cash from.
    table = track(ORDERS, [AgreedSaving("HIP", pd.Period("2025-01"), 1850.0, 1390.0, site="A")])
    assert table["cash_releasing"].isna().all() and table["cost_avoidance"].isna().all()
    assert table["realised_saving"].notna().all()


def test_an_agreement_with_a_negative_price_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        AgreedSaving("HIP", pd.Period("2025-04"), 1850.0, -1.0)
