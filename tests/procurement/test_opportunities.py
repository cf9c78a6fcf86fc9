"""The Procurement page's and board report's opportunities worked by hand: the last year only, the
largest saving first, every site's price as evidence, nothing listed that saves nothing."""

import pandas as pd
import pytest

from stocktake.procurement import PriceTarget, UnitPrice, find_opportunities


def _orders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["ordered_on", "site", "item_code", "description", "unit_price", "quantity"]
    )
    frame["ordered_on"] = pd.to_datetime(frame["ordered_on"])
    frame.index = range(2, len(frame) + 2)
    return frame


#: Item X (gloves): A 10 at £5.00 less a 2-unit credit note → 8 at £5.00; B 4 at £6.00 + 6 at £5.50 →
#: 10 for £57.00, £5.70 each; C 5 at £4.00. Item Y (drapes): bought by B only. Item Z (gowns, the
#: same description as W, so like for like): A 10 at £3.00, B 10 at £2.00; W: C 10 at £1.00.
#: A line from March 2024, 13 months before the last order (April 2025), is outside the year.
HAND = _orders(
    [
        ("2024-03-31", "A", "X", "gloves", 100.00, 50),  # outside the 12 months: would dwarf everything
        ("2024-05-02", "A", "X", "gloves", 5.00, 10),
        ("2024-06-01", "A", "X", "gloves", 5.00, -2),
        ("2024-07-01", "B", "X", "gloves", 6.00, 4),
        ("2024-08-01", "B", "X", "gloves", 5.50, 6),
        ("2024-09-01", "C", "X", "gloves", 4.00, 5),
        ("2024-10-01", "B", "Y", "drapes", 12.00, 3),
        ("2025-01-01", "A", "Z", "gowns", 3.00, 10),
        ("2025-02-01", "B", "Z", "gowns", 2.00, 10),
        ("2025-04-30", "C", "W", "gowns", 1.00, 10),
    ]
)


def test_the_last_year_by_item_largest_first_with_every_site_price():
    found = find_opportunities(HAND)
    assert (str(found.first), str(found.last)) == ("2024-05", "2025-04")
    assert found.lines == len(HAND) - 1
    # X's prices per unit: C 4.00, A 5.00, B 5.70; 10th percentile = 4.00 + 0.2 × 1.00 = £4.20.
    # B saves 57 − 10 × 4.20 = £15.00, A 40 − 8 × 4.20 = £6.40, C nothing.
    # Z's: B 2.00, A 3.00; 10th percentile = 2.00 + 0.1 × 1.00 = £2.10: A saves 30 − 21 = £9.00,
    # B nothing. Y and W, each bought by one site, set their own target: nothing.
    got = [(o.key, o.unit, round(o.potential_saving, 9)) for o in found.items]
    assert got == [("X", "B", 15.00), ("Z", "A", 9.00), ("X", "A", 6.40)]
    top = found.items[0]
    assert (top.description, top.quantity, top.spend) == ("gloves", 10, 57.00)
    assert top.price_per_unit == pytest.approx(5.70) and top.target_price == pytest.approx(4.20)
    assert top.prices == (
        UnitPrice("C", 5, 20.0, 4.0),
        UnitPrice("A", 8, 40.0, 5.0),
        UnitPrice("B", 10, 57.0, 5.7),
    )
    assert found.item_saving == pytest.approx(30.40) and found.item_count == 3
    # 40 + 57 + 20 + 36 + 30 + 20 + 10 in the year
    assert found.spend == pytest.approx(213.00)


def test_like_for_like_products_by_description():
    # gowns: A 10 at £3.00 (Z); B 10 at £2.00 (Z); C 10 at £1.00 (W). Target = 1.00 + 0.2 × 1.00 = £1.20:
    # A saves 30 − 12 = £18.00, B 20 − 12 = £8.00. gloves as X above (£15.00, £6.40); drapes nothing.
    found = find_opportunities(HAND)
    got = [(o.key, o.unit, round(o.potential_saving, 9)) for o in found.categories]
    assert got == [("gowns", "A", 18.00), ("gloves", "B", 15.00), ("gowns", "B", 8.00), ("gloves", "A", 6.40)]
    assert found.categories[0].description == "Z (10 at 3.00)"
    assert [p.unit for p in found.categories[0].prices] == ["C", "B", "A"]
    assert found.category_saving == pytest.approx(47.40)


def test_the_top_few_listed_and_the_totals_over_all():
    found = find_opportunities(HAND, top=1)
    assert len(found.items) == 1 and found.item_count == 3 and found.item_saving == pytest.approx(30.40)


def test_another_target_and_a_contract_price_refused():
    # best: X's target £4.00 → B 57 − 40 = 17, A 40 − 32 = 8; Z's £2.00 → A 30 − 20 = 10.
    found = find_opportunities(HAND, target=PriceTarget.parse("best"))
    assert [round(o.potential_saving, 9) for o in found.items] == [17.00, 10.00, 8.00]
    with pytest.raises(ValueError, match="percentile"):
        find_opportunities(HAND, target=PriceTarget(percentile=None, column="contract"))


def test_lines_without_a_category_are_counted_and_left_out_of_that_level():
    orders = HAND.assign(description=HAND["description"].where(HAND["item_code"] != "Z"))
    found = find_opportunities(orders)
    assert found.uncategorised == 2
    assert {o.key for o in found.categories} == {"gloves"}
    assert [o.key for o in found.items] == ["X", "Z", "X"]  # the item level keeps every line


def test_every_site_paying_alike_has_no_opportunity():
    same = HAND.assign(unit_price=1.0)
    found = find_opportunities(same)
    assert found.items == () and found.categories == () and found.item_saving == 0


def test_every_month_when_no_window_is_asked():
    """``months=None`` (the page's "every month ordered", what the command prices without --from):
    the March 2024 line counts. A's gloves: 50 at £100 + 10 at £5 − 2 at £5 = 58 for £5,040
    (£86.90 each); with C at £4.00 and B at £5.70, the 10th percentile is 4.00 + 0.2 × 1.70 = £4.34.
    A saves 5,040 − 58 × 4.34 = £4,788.28 and B 57 − 43.40 = £13.60."""
    found = find_opportunities(HAND, months=None)
    assert (str(found.first), str(found.last)) == ("2024-03", "2025-04") and found.lines == len(HAND)
    got = [(o.key, o.unit, round(o.potential_saving, 9)) for o in found.items]
    assert got == [("X", "A", 4788.28), ("X", "B", 13.60), ("Z", "A", 9.00)]
    assert found.items[0].target_price == pytest.approx(4.34)


def test_a_board_report_before_the_first_order_has_no_procurement_section(demo_warehouse):
    """A report for a month before any order failed with "no order lines between --from and --to",
    options the report does not have; it has no procurement section instead."""
    import duckdb
    import pandas as pd

    from stocktake.files.procurement import warehouse_opportunities

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        first = pd.Timestamp(con.execute("SELECT min(ordered_on) FROM procurement").fetchone()[0])
    assert warehouse_opportunities(demo_warehouse, last=first.to_period("M") - 1) is None
    assert warehouse_opportunities(demo_warehouse, last=first.to_period("M")) is not None
