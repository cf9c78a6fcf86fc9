"""`stocktake procurement savings|rationalise` end to end (CSV and Excel read back), trusts compared,
and each kind of bad input: one line naming the row and column, exit 2, nothing written."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()
HEADER = "line_id,ordered_on,site,item_code,description,category,supplier,unit_price,quantity\n"
#: The hand-worked orders of test_savings.py, written as a trust would (UK dates, a credit note).
ORDERS = HEADER + (
    "L1,03/02/2025,A,X,Glove,gloves,S1,5.00,10\n"
    "L2,10/02/2025,A,X,Glove,gloves,S1,5.00,-2\n"
    "L3,04/02/2025,B,X,Glove,gloves,S1,6.00,4\n"
    "L4,20/03/2025,B,X,Glove,gloves,S1,5.50,6\n"
    "L5,05/02/2025,C,X,Glove,gloves,S1,4.00,5\n"
    "L6,06/02/2025,B,Y,Drape,drapes,S2,12.00,3\n"
)


def _write(folder: Path, text: str, name: str = "orders.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _body_and_total(path: Path) -> tuple[list[list], dict]:
    """The rows above the total, and the total row (blank cells dropped)."""
    table = pd.read_csv(path)
    total = table.iloc[-1].dropna().to_dict()
    return table.iloc[:-1].values.tolist(), total


def _savings(*args) -> object:
    return runner.invoke(app, ["procurement", "savings", *map(str, args)])


def test_item_savings_as_csv(tmp_path):
    out = tmp_path / "savings.csv"
    result = _savings("--orders", _write(tmp_path, ORDERS), "--out", out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out).columns) == [
        "item_code",
        "site",
        "quantity",
        "spend",
        "price_per_unit",
        "target_price",
        "potential_saving",
    ]
    # Worked in test_savings.py: B £15.00, A £6.40, C and Y nothing; £21.40 of £153.00.
    body, total = _body_and_total(out)
    assert body == [
        ["X", "B", 10, 57.0, 5.7, 4.2, 15.0],
        ["X", "A", 8, 40.0, 5.0, 4.2, 6.4],
        ["X", "C", 5, 20.0, 4.0, 4.2, 0.0],
        ["Y", "B", 3, 36.0, 12.0, 12.0, 0.0],
    ]
    assert total == {"item_code": "Total", "spend": 153.0, "potential_saving": 21.4}
    assert "£21.40 of £153.00" in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv", "savings.csv"]  # no temporary left


def test_category_savings_as_a_workbook(tmp_path):
    out = tmp_path / "savings.xlsx"
    cement = HEADER + (
        "1,2025-04-01,A,P,Cement,cement,S,40,10\n"
        "2,2025-04-01,B,Q,Cement,cement,S,50,10\n"
        "3,2025-04-02,B,P,Cement,cement,S,40,10\n"
        "4,2025-04-03,C,Q,Cement,cement,S,50,5\n"
    )
    result = _savings("--orders", _write(tmp_path, cement), "--level", "category", "--out", out)
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["Savings", "Products"]
    table = sheets["Savings"]
    # Worked in test_savings.py: the 10th percentile £41; B £80, C £45, A nothing.
    assert table["category"].tolist() == ["cement", "cement", "cement", "Total"]
    assert table["site"].tolist()[:3] == ["B", "C", "A"]
    assert table["potential_saving"].tolist() == [80.0, 45.0, 0.0, 125.0]
    assert table["products"][0] == "P (10 at 40.00); Q (10 at 50.00)"
    assert sheets["Products"]["item_code"].tolist() == ["P", "Q"]


def test_months_are_chosen_with_from_and_to(tmp_path):
    # March alone: only B's 6 at £5.50 — one unit for X, so no saving.
    out = tmp_path / "march.csv"
    result = _savings(
        "--orders", _write(tmp_path, ORDERS), "--from", "2025-03", "--to", "2025-03", "--out", out
    )
    assert result.exit_code == 0, result.output
    assert _body_and_total(out)[0] == [["X", "B", 6, 33.0, 5.5, 5.5, 0.0]]


def test_trusts_compared_from_one_file_each(tmp_path):
    # Trust north buys X at £5.00 (net 8 after a credit note), trust south at £4.00 (5 units).
    # Two trusts: the 10th percentile is 4.00 + 0.1 × 1.00 = £4.10; north 40 − 8 × 4.10 = £7.20.
    north = _write(
        tmp_path, HEADER + "1,2025-01-02,A,X,G,g,S,5,10\n2,2025-01-09,B,X,G,g,S,5,-2\n", "north.csv"
    )
    south = _write(tmp_path, HEADER + "1,2025-01-03,Z,X,G,g,S,4,5\n", "south.csv")
    out = tmp_path / "trusts.csv"
    result = _savings("--orders", north, "--orders", south, "--by", "trust", "--out", out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out).columns)[:2] == ["item_code", "trust"]
    assert _body_and_total(out)[0] == [
        ["X", "north", 8, 40.0, 5.0, 4.1, 7.2],
        ["X", "south", 5, 20.0, 4.0, 4.1, 0.0],
    ]


def test_rationalise_end_to_end(tmp_path):
    # The hips of test_rationalise.py, with the ratings in a file of the user's.
    orders = _write(
        tmp_path,
        HEADER
        + (
            "1,2024-11-10,A,H4,Hip,hip,S,1800,50\n"
            "2,2025-01-15,A,H1,Hip,hip,S,1400,10\n"
            "3,2025-06-01,A,H4,Hip,hip,S,1800,5\n"
            "4,2025-02-01,B,H2,Hip,hip,S,1500,10\n"
            "5,2025-03-01,B,H3,Hip,hip,S,1000,4\n"
            "6,2025-12-20,C,H4,Hip,hip,S,1800,10\n"
        ),
    )
    ratings = _write(tmp_path, "item_code,rating\nH1,10A*\nH2,10A\nH3,7A\nH4,13A*\n", "ratings.csv")
    out = tmp_path / "scenario.xlsx"
    result = runner.invoke(
        app,
        [
            *("procurement", "rationalise", "--orders", str(orders), "--ratings", str(ratings)),
            *("--at-least", "10A", "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(out, sheet_name=None)
    scenario = sheets["Scenario"]
    assert scenario["site"].tolist()[:3] == ["C", "A", "B"]
    assert scenario["annual_saving"].tolist() == [3500.0, 1250.0, -1300.0, 3450.0]
    assert sheets["Chosen products"]["item_code"].tolist() == ["H1", "H2"]
    assert "£3,450.00 a year" in " ".join(result.output.split())


# --- bad input ------------------------------------------------------------------------------------

BAD_ORDERS = [
    (
        "L3,04/02/2025,B,X,Glove,gloves,S1,six pounds,4",
        "row 4, column unit_price: 'six pounds' is not a number",
    ),
    ("L3,04/02/2025,B,,Glove,gloves,S1,6.00,4", "row 4, column item_code: missing the item code"),
    ("L3,31/02/2025,B,X,Glove,gloves,S1,6.00,4", "row 4, column ordered_on: '31/02/2025' is not a date"),
    ("L3,04/02/2025,B,X,Glove,gloves,S1,-6.00,4", "row 4, column unit_price: '-6.00' is not a price"),
    ("L3,04/02/2025,B,X,Glove,gloves,S1,6.00,4.5", "row 4, column quantity: '4.5' is not a whole number"),
    ("L3,04/02/2025,B,X,Glove,gloves,S1,6.00,", "row 4, column quantity: '' is not a whole number"),
    ("L3,04/02/2025,,X,Glove,gloves,S1,6.00,4", "row 4, column site: missing the site"),
    # B's 4 at £6.00 become a credit note returning 6 at £6.00 of the 6 it bought at £5.50: no units
    # left and −£3.00 of spend, so no price per unit.
    (
        "L3,04/02/2025,B,X,Glove,gloves,S1,6.00,-6",
        "rows 4, 5, column quantity: item_code X, site B: net quantity 0 against net spend -3.00",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD_ORDERS)
def test_bad_order_lines_are_named_by_row_and_column(tmp_path, line, message):
    lines = ORDERS.splitlines()
    lines[3] = line  # the file's row 4
    path = _write(tmp_path, "\n".join(lines) + "\n")
    out = tmp_path / "savings.csv"
    result = _savings("--orders", path, "--out", out)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert f"{path}, {message}" in output
    assert output.count("error:") == 1
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "2025-3"], "--from '2025-3': expected a month as YYYY-MM"),
        (["--from", "2025-04", "--to", "2025-03"], "--from 2025-04 is after --to 2025-03"),
        (
            ["--from", "2026-01"],
            "no order lines between --from and --to (the orders run from 2025-02 to 2025-03)",
        ),
        (["--by", "ward"], "--by ward: expected site or trust"),
        (["--by", "trust"], "--by trust: the orders are one trust's (orders)"),
        (["--level", "supplier"], "--level supplier: expected item or category"),
        (["--percentile", "tenth"], "--percentile 'tenth': expected a number 0–100, best or median"),
        (["--contract-price", "contract"], "row 1: no column 'contract'"),
    ],
)
def test_bad_options_are_explained(tmp_path, extra, message):
    out = tmp_path / "savings.csv"
    result = _savings("--orders", _write(tmp_path, ORDERS), "--out", out, *extra)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_outputs_are_checked_before_the_work(tmp_path):
    orders = _write(tmp_path, ORDERS)
    for out, message in [
        (tmp_path / "s.parquet", "write a .csv or .xlsx file"),
        (tmp_path / "missing" / "s.csv", "does not exist; create it first"),
        (orders, "is an input file"),
    ]:
        result = _savings("--orders", orders, "--out", out)
        assert result.exit_code == 2 and message in " ".join(result.output.split())
    assert _write(tmp_path, ORDERS).read_text() == ORDERS


def test_no_orders_and_no_warehouse(tmp_path):
    result = _savings("--out", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "give the orders: --warehouse W or --orders ORDERS.csv" in result.output


def test_a_warehouse_without_orders_is_named(tmp_path):
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE admissions (spell_id VARCHAR)")
    result = _savings("--warehouse", warehouse, "--out", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "holds no procurement orders" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        (
            "item_code,rating\nH1,10A*\nH2,excellent\n",
            "ratings.csv, row 3, column rating: 'excellent' is not a rating",
        ),
        ("item_code,rating\nH1,10A*\nH1,10A\n", "ratings.csv, row 3, column item_code: 'H1' is rated twice"),
        ("item_code,stars\nH1,5\n", "ratings.csv, row 1: no column 'rating'"),
    ],
)
def test_bad_ratings_are_named_by_row_and_column(tmp_path, ratings, message):
    orders = _write(tmp_path, HEADER + "1,2025-01-15,A,H1,Hip,hip,S,1400,10\n")
    path = _write(tmp_path, ratings, "ratings.csv")
    out = tmp_path / "scenario.csv"
    result = runner.invoke(
        app,
        [
            *("procurement", "rationalise", "--orders", str(orders), "--ratings", str(path)),
            *("--at-least", "10A", "--out", str(out)),
        ],
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_a_rating_column_in_the_orders(tmp_path):
    # Ratings can ride on the order lines; two lines of one product must agree.
    header = HEADER.rstrip("\n") + ",odep\n"
    good = header + "1,2025-01-15,A,H1,Hip,hip,S,1400,10,10A\n2,2025-02-15,B,H2,Hip,hip,S,1500,10,10A\n"
    out = tmp_path / "scenario.csv"
    args = ["procurement", "rationalise", "--rating-column", "odep", "--at-least", "10A", "--keep", "1"]
    result = runner.invoke(app, [*args, "--orders", str(_write(tmp_path, good)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # H1 alone at £1,400: B's 10 at £1,500 save £1,000; A nothing. Two months of data → × 6.
    assert pd.read_csv(out)["annual_saving"].tolist() == [6000.0, 0.0, 6000.0]
    bad = good.replace("1500,10,10A", "1500,10,10A\n3,2025-03-01,B,H2,Hip,hip,S,1500,1,7A")
    result = runner.invoke(
        app, [*args, "--orders", str(_write(tmp_path, bad)), "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code == 2
    assert "row 4, column odep: item H2 is rated 7A here but 10A on an earlier line" in " ".join(
        result.output.split()
    )


def test_track_end_to_end(tmp_path):
    # The agreement of test_tracking.py, through the command with UK dates.
    orders = _write(
        tmp_path,
        HEADER
        + "".join(
            f"{n},{day},A,HIP,Hip,hip,S,{price},{quantity}\n"
            for n, (day, price, quantity) in enumerate(
                [
                    ("10/01/2025", 1850, 10),
                    ("10/02/2025", 1850, 10),
                    ("10/03/2025", 1850, 10),
                    ("10/04/2025", 1390, 10),
                    ("10/05/2025", 1390, 14),
                    ("10/06/2025", 1500, 10),
                ]
            )
        ),
    )
    agreed = _write(
        tmp_path, "item_code,from,baseline_price,new_price,site\nHIP,2025-04,1850,1390,A\n", "agreed.csv"
    )
    out = tmp_path / "tracking.csv"
    result = runner.invoke(
        app, ["procurement", "track", "--orders", str(orders), "--agreed", str(agreed), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    body, total = _body_and_total(out)
    assert [row[2] for row in body] == ["2025-04", "2025-05", "2025-06"]
    assert total["planned_saving"] == 15640.0 and total["realised_saving"] == 14540.0
    assert total["cash_releasing"] == 8100.0 and total["cost_avoidance"] == 6440.0


def test_a_bad_agreement_is_named_by_row_and_column(tmp_path):
    orders = _write(tmp_path, HEADER + "1,2025-01-15,A,H1,Hip,hip,S,1400,10\n")
    agreed = _write(
        tmp_path, "item_code,from,baseline_price,new_price\nH1,2025-04,about 1850,1390\n", "agreed.csv"
    )
    out = tmp_path / "tracking.csv"
    result = runner.invoke(
        app, ["procurement", "track", "--orders", str(orders), "--agreed", str(agreed), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "agreed.csv, row 2, column baseline_price: 'about 1850' is not a number" in " ".join(
        result.output.split()
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("agreement", "message"),
    [
        ("H9,2025-04,1850,1390,", "row 2, column item_code: 'H9' is in no order line"),
        ("H1,2025-04,1850,1390,B", "row 2, column site: 'B' ordered no H1"),
        ("H1,2026-04,1850,1390,", "row 2, column from: 2026-04 is after the last month tracked (2025-01)"),
        ("H1,April,1850,1390,", "row 2, column from: 'April' is not a date"),
    ],
)
def test_an_agreement_that_matches_no_orders_is_named(tmp_path, agreement, message):
    orders = _write(tmp_path, HEADER + "1,2025-01-15,A,H1,Hip,hip,S,1400,10\n")
    agreed = _write(tmp_path, f"item_code,from,baseline_price,new_price,site\n{agreement}\n", "agreed.csv")
    out = tmp_path / "tracking.csv"
    result = runner.invoke(
        app, ["procurement", "track", "--orders", str(orders), "--agreed", str(agreed), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert f"agreed.csv, {message}" in " ".join(result.output.split())
    assert not out.exists()


def test_a_missing_warehouse_is_named(tmp_path):
    result = _savings("--warehouse", tmp_path / "nowhere.duckdb", "--out", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert "nowhere.duckdb: no warehouse there" in " ".join(result.output.split())


def test_trusts_compared_across_warehouses_named_by_their_folder(tmp_path):
    import duckdb

    # Trust north pays £2,100 for 10 knees; trust south £1,890 for 20. Two trusts: the 10th
    # percentile is 1,890 + 0.1 × 210 = £1,911; north saves 10 × (2,100 − 1,911) = £1,890.
    for trust, price, quantity in (("north", 2100.0, 10), ("south", 1890.0, 20)):
        (tmp_path / trust).mkdir()
        with duckdb.connect(str(tmp_path / trust / "warehouse.duckdb")) as con:
            con.execute(
                "CREATE TABLE procurement AS SELECT 'PO1' AS line_id, DATE '2025-05-01' AS ordered_on, "
                f"'General' AS site, 'KNEE' AS item_code, 'knee' AS category, {price} AS unit_price, "
                f"{quantity} AS quantity"
            )
    out = tmp_path / "trusts.csv"
    warehouses = [a for t in ("north", "south") for a in ("--warehouse", tmp_path / t / "warehouse.duckdb")]
    result = _savings(*warehouses, "--by", "trust", "--out", out)
    assert result.exit_code == 0, result.output
    assert _body_and_total(out)[0] == [
        ["KNEE", "north", 10, 21000.0, 2100.0, 1911.0, 1890.0],
        ["KNEE", "south", 20, 37800.0, 1890.0, 1911.0, 0.0],
    ]
    result = _savings(*warehouses, "--out", out)  # by site: each trust's "General" kept apart
    assert [row[1] for row in _body_and_total(out)[0]] == ["north: General", "south: General"]
