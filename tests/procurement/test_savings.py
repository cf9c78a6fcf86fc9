"""Price-per-unit savings worked by hand: item level (a credit note, an item bought by one site only),
each kind of target, and category level (the saving from product choice)."""

import numpy as np
import pandas as pd
import pytest

from stocktake.procurement import PriceTarget, ProcurementInputError, category_savings, item_savings


def _orders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["site", "item_code", "category", "unit_price", "quantity"])
    frame.index = range(2, len(frame) + 2)  # spreadsheet rows, as the reader numbers them
    return frame


#: Three sites, two items, a credit note.
#: Item X — site A: 10 at £5.00, then a credit note returning 2 at £5.00 → net 8 units, £40.00, £5.00 each;
#:          site B: 4 at £6.00 + 6 at £5.50 → 10 units, £57.00, £5.70 each;
#:          site C: 5 at £4.00 → 5 units, £20.00, £4.00 each.
#: Item Y — bought by site B only: 3 at £12.00 → £36.00, £12.00 each.
HAND = _orders(
    [
        ("A", "X", "gloves", 5.00, 10),
        ("A", "X", "gloves", 5.00, -2),
        ("B", "X", "gloves", 6.00, 4),
        ("B", "X", "gloves", 5.50, 6),
        ("C", "X", "gloves", 4.00, 5),
        ("B", "Y", "drapes", 12.00, 3),
    ]
)


def _row(savings, item, site) -> pd.Series:
    table = savings.table
    found = table[(table.iloc[:, 0] == item) & (table[savings.unit] == site)]
    assert len(found) == 1
    return found.iloc[0]


def test_item_level_by_hand():
    savings = item_savings(HAND)
    # X's prices per unit sorted: 4.00 (C), 5.00 (A), 5.70 (B). The 10th percentile by linear
    # interpolation sits at position 0.10 × (3 − 1) = 0.2: 4.00 + 0.2 × (5.00 − 4.00) = £4.20.
    # Savings = max(0, spend − quantity × 4.20): A 40 − 33.60 = £6.40; B 57 − 42 = £15.00;
    # C 20 − 21 < 0 → £0. Y: one site, its own price is the target → £0. Total £21.40.
    expected = {
        ("X", "A"): (8, 40.00, 5.00, 4.20, 6.40),
        ("X", "B"): (10, 57.00, 5.70, 4.20, 15.00),
        ("X", "C"): (5, 20.00, 4.00, 4.20, 0.00),
        ("Y", "B"): (3, 36.00, 12.00, 12.00, 0.00),
    }
    assert len(savings.table) == len(expected)
    for (item, site), values in expected.items():
        row = _row(savings, item, site)
        got = (row.quantity, row.spend, row.price_per_unit, row.target_price, row.potential_saving)
        np.testing.assert_allclose(got, values, rtol=0, atol=1e-9)
    assert savings.total_saving == pytest.approx(21.40, abs=1e-9)
    assert savings.total_spend == pytest.approx(153.00, abs=1e-9)
    assert list(savings.table.columns) == [
        "item_code",
        "site",
        "quantity",
        "spend",
        "price_per_unit",
        "target_price",
        "potential_saving",
    ]
    assert list(savings.table["potential_saving"]) == sorted(savings.table["potential_saving"], reverse=True)


@pytest.mark.parametrize(
    ("text", "target_x", "saving_a", "saving_b"),
    [
        # best: £4.00. A 40 − 32 = 8; B 57 − 40 = 17.
        ("best", 4.00, 8.00, 17.00),
        # median of 4.00, 5.00, 5.70 is 5.00. A 40 − 40 = 0; B 57 − 50 = 7.
        ("median", 5.00, 0.00, 7.00),
        # 25th: position 0.25 × 2 = 0.5 → 4.50. A 40 − 36 = 4; B 57 − 45 = 12.
        ("25", 4.50, 4.00, 12.00),
        # 100th: the dearest, 5.70: nobody saves.
        ("100", 5.70, 0.00, 0.00),
    ],
)
def test_other_percentiles_by_hand(text, target_x, saving_a, saving_b):
    savings = item_savings(HAND, target=PriceTarget.parse(text))
    assert _row(savings, "X", "A").target_price == pytest.approx(target_x)
    assert _row(savings, "X", "A").potential_saving == pytest.approx(saving_a)
    assert _row(savings, "X", "B").potential_saving == pytest.approx(saving_b)
    assert _row(savings, "X", "C").potential_saving == 0


@pytest.mark.parametrize("text", ["-1", "101", "tenth", "nan", ""])
def test_a_percentile_outside_0_to_100_is_refused(text):
    with pytest.raises(ValueError, match="--percentile"):
        PriceTarget.parse(text)


def test_contract_price_target_by_hand():
    # X has a contract price of £4.50; Y has none, so it has no target and no saving.
    # A: 40 − 8 × 4.50 = 4.00; B: 57 − 45 = 12.00; C: 20 − 22.50 < 0 → 0.
    orders = HAND.assign(contract=[4.5, 4.5, 4.5, 4.5, 4.5, np.nan])
    savings = item_savings(orders, target=PriceTarget(percentile=None, column="contract"))
    assert _row(savings, "X", "A").potential_saving == pytest.approx(4.00)
    assert _row(savings, "X", "B").potential_saving == pytest.approx(12.00)
    assert _row(savings, "X", "C").potential_saving == 0
    assert np.isnan(_row(savings, "Y", "B").target_price)
    assert savings.total_saving == pytest.approx(16.00)


def test_a_fully_returned_purchase_drops_out():
    # C bought 5 and returned all 5 at the price paid: nothing bought, so C is not a unit for X.
    orders = _orders([("A", "X", "g", 5.0, 10), ("C", "X", "g", 4.0, 5), ("C", "X", "g", 4.0, -5)])
    savings = item_savings(orders)
    assert list(savings.table["site"]) == ["A"]
    assert savings.total_saving == 0


def test_quantity_netting_to_zero_with_spend_left_names_the_rows():
    # 5 bought at £4.00, 5 returned at £3.00: no units, £5.00 spent; no price per unit exists.
    orders = _orders([("A", "X", "g", 5.0, 10), ("C", "X", "g", 4.0, 5), ("C", "X", "g", 3.0, -5)])
    with pytest.raises(ProcurementInputError, match=r"net quantity 0 against net spend 5\.00") as caught:
        item_savings(orders)
    assert caught.value.rows == (3, 4)
    assert caught.value.column == "quantity"


def test_more_returned_than_bought_is_refused():
    orders = _orders([("A", "X", "g", 5.0, 2), ("A", "X", "g", 5.0, -3)])
    with pytest.raises(ProcurementInputError, match="net quantity -1"):
        item_savings(orders)


#: Category "cement": like-for-like products P (£40) and Q (£50), each bought at one price.
#: A: 10 P → 10 units, £400, £40.00 each.
#: B: 10 Q + 10 P → 20 units, £900, £45.00 each.
#: C: 5 Q → 5 units, £250, £50.00 each.
CEMENT = _orders(
    [
        ("A", "P", "cement", 40.0, 10),
        ("B", "Q", "cement", 50.0, 10),
        ("B", "P", "cement", 40.0, 10),
        ("C", "Q", "cement", 50.0, 5),
    ]
)


def test_category_level_by_hand():
    # Item level: every site pays the same for P, and for Q: no price saving at all.
    assert item_savings(CEMENT).total_saving == 0
    # Category level: prices per unit 40, 45, 50; the 10th percentile is 40 + 0.2 × 5 = £41.
    # A: 400 − 10 × 41 < 0 → 0; B: 900 − 20 × 41 = £80; C: 250 − 5 × 41 = £45. Total £125: the saving
    # from buying the cheaper product, which the item level cannot see.
    savings = category_savings(CEMENT)
    assert savings.total_saving == pytest.approx(125.0)
    assert _row(savings, "cement", "B").potential_saving == pytest.approx(80.0)
    assert _row(savings, "cement", "C").potential_saving == pytest.approx(45.0)
    assert _row(savings, "cement", "A").potential_saving == 0
    assert _row(savings, "cement", "A").target_price == pytest.approx(41.0)
    assert _row(savings, "cement", "B").products == "P (10 at 40.00); Q (10 at 50.00)"
    products = savings.products
    assert list(products["item_code"]) == ["P", "Q"]  # cheapest first
    assert list(products["units"]) == [2, 2]
    assert list(products["quantity"]) == [20, 15]
    assert list(products["price_per_unit"]) == [40.0, 50.0]


def test_category_level_groups_by_any_column():
    orders = CEMENT.assign(family="bone cement 40g")
    savings = category_savings(orders, category="family")
    assert savings.table.columns[0] == "family"
    assert savings.total_saving == pytest.approx(125.0)


def test_category_level_refuses_a_contract_price():
    with pytest.raises(ValueError, match="category level"):
        category_savings(CEMENT, target=PriceTarget(percentile=None, column="contract"))
