"""Rationalisation scenarios worked by hand, and ratings (ODEP or plain numbers) compared."""

import pandas as pd
import pytest

from stocktake.procurement import Rating, rationalise


def _orders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["ordered_on", "site", "item_code", "category", "unit_price", "quantity"]
    )
    frame["ordered_on"] = pd.to_datetime(frame["ordered_on"])
    frame.index = range(2, len(frame) + 2)
    return frame


#: Hip systems: H1 rated 10A* at £1,400; H2 10A at £1,500; H3 7A at £1,000 (cheapest, but only
#: 7 years' evidence); H4 13A* at £1,800. Orders from January to December 2025, and one in
#: November 2024 that falls outside the last 12 months.
HIPS = _orders(
    [
        ("2024-11-10", "A", "H4", "hip", 1800.0, 50),  # outside the window
        ("2025-01-15", "A", "H1", "hip", 1400.0, 10),
        ("2025-06-01", "A", "H4", "hip", 1800.0, 5),
        ("2025-02-01", "B", "H2", "hip", 1500.0, 10),
        ("2025-03-01", "B", "H3", "hip", 1000.0, 4),
        ("2025-12-20", "C", "H4", "hip", 1800.0, 10),
    ]
)
RATINGS = {
    code: Rating.parse(text) for code, text in {"H1": "10A*", "H2": "10A", "H3": "7A", "H4": "13A*"}.items()
}


def test_two_cheapest_rated_at_least_10a_by_hand():
    scenario = rationalise(HIPS, RATINGS, at_least=Rating.parse("10A"))
    # Rated at least 10A: H1, H2, H4 (H3 has 7 years). The two cheapest: H1 (£1,400) and H2
    # (£1,500); bought together today: 10 + 10 units for £14,000 + £15,000 → £1,450 a unit.
    # A: 10 H1 + 5 H4 = 15 units, £23,000 → 15 × 1,450 = £21,750, saving £1,250.
    # B: 10 H2 + 4 H3 = 14 units, £19,000 → £20,300, saving −£1,300 (B gives up the cheap H3).
    # C: 10 H4, £18,000 → £14,500, saving £3,500. Twelve months of data: annual = the same.
    assert (scenario.first_month, scenario.last_month, scenario.months) == (
        pd.Period("2025-01"),
        pd.Period("2025-12"),
        12,
    )
    table = scenario.table.set_index("site")
    assert table.loc["A", "quantity"] == 15 and table.loc["A", "spend"] == 23000
    assert table.loc["A", "scenario_price_per_unit"] == pytest.approx(1450.0)
    assert table.loc["A", "scenario_products"] == "H1; H2"
    assert table.loc["A", "annual_saving"] == pytest.approx(1250.0)
    assert table.loc["B", "annual_saving"] == pytest.approx(-1300.0)
    assert table.loc["C", "annual_saving"] == pytest.approx(3500.0)
    assert scenario.annual_saving == pytest.approx(3450.0)
    assert list(scenario.chosen["item_code"]) == ["H1", "H2"]
    assert list(scenario.chosen["rating"]) == ["10A*", "10A"]


def test_a_stricter_rating_and_one_product():
    # At least 10A*: H1 and H4; keep 1 → H1 alone at £1,400.
    # A: 23,000 − 15 × 1,400 = 2,000; B: 19,000 − 14 × 1,400 = −600; C: 18,000 − 14,000 = 4,000.
    scenario = rationalise(HIPS, RATINGS, at_least=Rating.parse("10A*"), keep=1)
    assert scenario.table.set_index("site")["annual_saving"].to_dict() == pytest.approx(
        {"A": 2000.0, "B": -600.0, "C": 4000.0}
    )


def test_fewer_months_are_annualised():
    # The same hips in the six months July–December 2025 only (C's order): £18,000 − 10 × £1,450
    # = £3,500 in six months → £7,000 a year. The window's first month is the data's first.
    late = HIPS[HIPS["ordered_on"] >= "2025-07-01"]
    with_h1_h2 = pd.concat(
        [late, HIPS[HIPS["item_code"].isin(["H1", "H2"])].assign(ordered_on=pd.Timestamp("2025-07-01"))]
    )
    scenario = rationalise(with_h1_h2, RATINGS, at_least=Rating.parse("10A"))
    assert scenario.months == 6
    # A: 10 H1 £14,000 → 14,500: −500 × 2; B: 10 H2 £15,000 → 14,500: 500 × 2; C: 3,500 × 2.
    assert scenario.table.set_index("site")["annual_saving"].to_dict() == pytest.approx(
        {"A": -1000.0, "B": 1000.0, "C": 7000.0}
    )


def test_a_category_without_a_product_rated_high_enough_is_skipped():
    orders = pd.concat([HIPS, _orders([("2025-05-01", "A", "K1", "knee", 2000.0, 3)])])
    scenario = rationalise(orders, RATINGS, at_least=Rating.parse("10A"))
    assert set(scenario.table["category"]) == {"hip"}
    assert scenario.skipped == ("knee: no product rated at least 10A",)


@pytest.mark.parametrize(
    ("rating", "minimum", "meets"),
    [
        ("10A*", "10A", True),
        ("10A", "10A*", False),
        ("13A", "10A", True),
        ("7A*", "10A", False),
        ("10B", "10A", False),
        ("15A", "10B", True),
        ("4.5", "4", True),
        ("3", "4", False),
        ("10A", "4", False),  # an ODEP rating and a number are not comparable
    ],
)
def test_ratings_compare_by_years_and_strength(rating, minimum, meets):
    assert Rating.parse(rating).meets(Rating.parse(minimum)) is meets


@pytest.mark.parametrize("text", ["", "A", "10D", "ten"])
def test_a_rating_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError, match="is not a rating"):
        Rating.parse(text)
