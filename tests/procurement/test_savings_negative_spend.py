"""Issue 28, third outside review: a credit note at a higher price than the purchases (North: +5 at
£100, −4 at £150) nets to 1 unit and −£100: a negative price per unit, a negative target and
"potential saving £1,336 of £660 spent". Refused as more returned than bought is: one line naming
the item and the unit, the rows behind it."""

import pandas as pd
import pytest

from stocktake.procurement import ProcurementInputError, category_savings, item_savings


def _orders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["site", "item_code", "category", "unit_price", "quantity"])
    frame.index = range(2, len(frame) + 2)  # spreadsheet rows, as the reader numbers them
    return frame


CREDIT_DEARER = _orders(
    [
        ("North", "A1", "hips", 100.00, 5),
        ("North", "A1", "hips", 150.00, -4),  # 5 × 100 − 4 × 150 = −100 for the 1 unit kept
        ("South", "A1", "hips", 80.00, 5),
        ("West", "A1", "hips", 90.00, 4),
    ]
)


@pytest.mark.parametrize("savings", [item_savings, category_savings])
def test_a_unit_whose_net_spend_is_not_above_0_is_refused_naming_it(savings):
    with pytest.raises(ProcurementInputError) as caught:
        savings(CREDIT_DEARER)
    message = str(caught.value)
    assert "site North" in message and "net spend -100.00 against net quantity 1" in message
    assert "\n" not in message and caught.value.rows == (2, 3) and caught.value.column == "unit_price"


def test_nothing_spent_on_what_was_kept_is_refused_too():
    orders = _orders(
        [
            ("North", "A1", "hips", 100.0, 4),
            ("North", "A1", "hips", 200.0, -2),
            ("South", "A1", "hips", 80.0, 5),
        ]
    )
    with pytest.raises(ProcurementInputError, match=r"net spend 0\.00 against net quantity 2"):
        item_savings(orders)


def test_a_credit_at_the_price_paid_still_prices_the_rest():
    orders = _orders(
        [
            ("North", "A1", "hips", 100.0, 5),
            ("North", "A1", "hips", 100.0, -4),
            ("South", "A1", "hips", 80.0, 5),
        ]
    )
    table = item_savings(orders).table.set_index("site")
    assert table.loc["North", "price_per_unit"] == pytest.approx(100.0)


HEADER = "trust,line_id,ordered_on,site,item_code,description,category,supplier,unit_price,quantity\n"


def _command(*args):
    from typer.testing import CliRunner

    from stocktake.cli import app

    result = CliRunner().invoke(app, ["procurement", "savings", *map(str, args)])
    return result, " ".join(result.output.split())


def test_the_command_names_the_unit_and_writes_nothing(tmp_path):
    """The outsider's file: North +5 at £100, −4 at £150 (was "potential saving £1,336 of £660")."""
    orders = tmp_path / "negspend.csv"
    orders.write_text(
        HEADER
        + "North,L1,2024-01-10,Main,A1,Hip stem,Hips,S1,100.00,5\n"
        + "North,L2,2024-01-15,Main,A1,Hip stem,Hips,S1,150.00,-4\n"
        + "South,L3,2024-02-01,East,A1,Hip stem,Hips,S1,80.00,5\n"
        + "West,L4,2024-02-03,Westgate,A1,Hip stem,Hips,S2,90.00,4\n"
    )
    result, said = _command("--orders", orders, "--by", "trust", "--out", tmp_path / "s.csv")
    assert result.exit_code == 2 and "trust North: net spend -100.00 against net quantity 1" in said
    assert "item_code A1" in said and not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("content", ["", "\n\n   \n"], ids=["0 bytes", "blank lines"])
def test_an_empty_orders_file_is_named_with_what_is_wrong(tmp_path, content):
    orders = tmp_path / "empty.csv"
    orders.write_text(content)
    result, said = _command("--orders", orders, "--out", tmp_path / "s.csv")
    assert result.exit_code == 2 and f"{orders}: empty (no header row and no order lines)" in said
    assert "No columns to parse" not in said
