"""Every command finds its paths in the home (ADR 0013, issue 23): the waiting-list and procurement
commands read the home's warehouse when given no files, `init` makes the home later commands look
in, and `serve` asks for a first admin only when there is none."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.generate import Department, generate

runner = CliRunner()


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    """A fresh working folder and no workspace settings in the environment."""
    for name in ("STOCKTAKE_HOME", "STOCKTAKE_DATABASE_URL", "STOCKTAKE_MAPPING", "STOCKTAKE_CATALOGUE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A home holding a warehouse of 18 months of the demo department's canonical tables."""
    path = tmp_path_factory.mktemp("home")
    with duckdb.connect(str(path / "warehouse.duckdb")) as con:
        for name, table in generate(Department(seed=11, months=18)).items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return path


def _flat(text: str) -> str:
    return "".join(text.split())


def _read_from(home: Path) -> str:
    return _flat(f"Reading the home's warehouse {home / 'warehouse.duckdb'}")


@pytest.mark.parametrize(
    ("command", "exit_code"),
    [
        (["waitinglist", "stats", "--by", "procedure"], 0),
        (["waitinglist", "project", "--months", "6"], 2),  # 18 months: too short, said in one line
        (["waitinglist", "weeks", "--months", "3"], 0),
        (["waitinglist", "capacity"], 2),  # no target named: said after the warehouse is chosen
        (["procurement", "savings", "--out", "savings.csv"], 0),
    ],
)
def test_with_no_files_a_command_reads_the_homes_warehouse_and_says_which(
    home, cwd, monkeypatch, command, exit_code
):
    monkeypatch.setenv("STOCKTAKE_HOME", str(home))
    result = runner.invoke(app, command)
    assert result.exit_code == exit_code, result.output
    assert _read_from(home) in _flat(result.output)
    monkeypatch.delenv("STOCKTAKE_HOME")
    given = runner.invoke(app, [*command, "--home", str(home)])
    assert given.exit_code == exit_code and _read_from(home) in _flat(given.output)


def test_files_and_warehouse_given_win_over_the_home(home, cwd, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_HOME", str(cwd / "no-such-home"))
    result = runner.invoke(app, ["waitinglist", "stats", "--warehouse", str(home / "warehouse.duckdb")])
    assert result.exit_code == 0 and "Reading the home's" not in result.output
    orders = cwd / "orders.csv"
    orders.write_text(
        "line_id,ordered_on,site,item_code,description,category,supplier,unit_price,quantity\n"
        "L1,03/02/2025,A,X,Glove,gloves,S1,5.00,10\nL2,04/02/2025,B,X,Glove,gloves,S1,6.00,4\n"
    )
    result = runner.invoke(app, ["procurement", "savings", "--orders", str(orders), "--out", "s.csv"])
    assert result.exit_code == 0 and "Reading the home's" not in result.output, result.output


def test_a_home_without_a_warehouse_is_named_or_the_files_asked_for(cwd):
    result = runner.invoke(app, ["waitinglist", "stats", "--home", str(cwd)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert _flat(f"error: {cwd / 'warehouse.duckdb'}: no warehouse in this home") in _flat(result.output)
    result = runner.invoke(app, ["procurement", "track", "--agreed", "a.csv", "--out", "t.csv"])
    assert result.exit_code == 2  # the demo's home has no warehouse here: the orders are asked for
    assert "give the orders: --warehouse W or --orders ORDERS.csv" in result.output
    result = runner.invoke(app, ["waitinglist", "plan", "--month", "2024-01", "--out", "plan.xlsx"])
    assert result.exit_code == 2 and "give --warehouse W" in result.output
    assert sorted(p.name for p in cwd.iterdir()) == []  # nothing made


def test_a_department_home_before_its_first_load_says_to_load(cwd, monkeypatch):
    """A recheck: in a home `init` had just made, `stats --by consultant` said "give PATHWAYS.csv or
    --warehouse, one of the two", as if there were no home. Inside a home it says to load first."""
    assert runner.invoke(app, ["init", "dept", *NAMES]).exit_code == 0
    monkeypatch.chdir(cwd / "dept")
    result = runner.invoke(app, ["waitinglist", "stats", "--by", "consultant"])
    assert result.exit_code == 2
    said = _flat(result.output)
    assert _flat("no warehouse in this home yet; load the extracts with `stocktake ingest`") in said


def test_the_plan_reads_the_homes_warehouse(home, cwd, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_HOME", str(home))
    month = ["--month", "2023-10", "--seconds", "1"]
    result = runner.invoke(app, ["waitinglist", "plan", *month, "--out", str(cwd / "plan.xlsx")])
    assert _read_from(home) in _flat(result.output)
    assert result.exit_code == 0, result.output
    assert (cwd / "plan.xlsx").is_file()


NAMES = ["--department", "T&O", "--trust", "Example NHS Foundation Trust", "--yes"]


def test_init_makes_the_home_that_stocktake_home_names(cwd, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_HOME", str(cwd / "department"))
    assert runner.invoke(app, ["init", *NAMES]).exit_code == 0
    assert (cwd / "department" / "stocktake.toml").is_file() and not (cwd / "stocktake").exists()
    assert runner.invoke(app, ["init", "--home", str(cwd / "other"), *NAMES]).exit_code == 0
    assert (cwd / "other" / "stocktake.toml").is_file()
    both = runner.invoke(app, ["init", str(cwd / "a"), "--home", str(cwd / "b"), *NAMES])
    assert both.exit_code == 2 and "give the home's folder once" in both.output
    assert not (cwd / "a").exists() and not (cwd / "b").exists()


def test_serve_asks_for_a_first_admin_only_when_there_is_no_account(cwd, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)
    monkeypatch.setenv("STOCKTAKE_PASSWORD", "a long enough password, kettle")
    served = cwd / "served"
    first = runner.invoke(app, ["serve", "--home", str(served)])
    assert first.exit_code == 0, first.output
    assert "No account yet?" in first.output
    assert (
        runner.invoke(app, ["users", "add", "lead", "--role", "admin", "--home", str(served)]).exit_code == 0
    )
    again = runner.invoke(app, ["serve", "--home", str(served)])
    assert again.exit_code == 0 and "Stocktake on http://" in again.output
    assert "No account yet?" not in again.output


def test_savings_by_trust_with_no_files_reads_the_homes_peers_as_the_page_does(tmp_path, cwd):
    """`procurement savings --by trust` on a home prices its warehouse against the other trusts'
    orders kept in it, named as the home names its trust: the Procurement page's own figures."""
    import pandas as pd

    from stocktake.demo.export import write_peer_orders
    from stocktake.files.peer_orders import home_opportunities, peer_order_files
    from stocktake.procurement import PriceTarget

    home = tmp_path / "trust-home"
    home.mkdir()
    tables = generate(Department(seed=5, months=8))
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    write_peer_orders(tables["procurement"], home / "peers" / "Southvale.csv")
    (home / "stocktake.toml").write_text('trust = "Northshire Hospitals"\n')
    result = runner.invoke(
        app,
        [
            "procurement",
            "savings",
            "--by",
            "trust",
            "--percentile",
            "best",
            "--out",
            "s.csv",
            "--home",
            str(home),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(cwd / "s.csv")
    rows = table[table["item_code"] != "Total"]
    assert set(rows["trust"]) == {"Northshire Hospitals", "Southvale Hospitals NHS Trust"}
    # The page prices the same orders: over every month at the same target, the same total saving.
    page = home_opportunities(
        home / "warehouse.duckdb",
        peer_order_files(home),
        by="trust",
        own_trust="Northshire Hospitals",
        target=PriceTarget.parse("best"),
        months=None,
        top=None,
    )
    assert page.item_saving > 0
    assert round(float(table.iloc[-1]["potential_saving"]), 2) == round(page.item_saving, 2)


def test_inside_the_demos_folder_its_warehouse_is_the_home_but_never_for_loading(home, cwd, monkeypatch):
    """`stocktake demo`, `cd stocktake-demo`, `stocktake waitinglist stats`: the demo's warehouse, not
    "give --warehouse" (nor `serve` building a second demo inside the first); loading still goes to
    ./stocktake, so real data never join the demo's."""
    from stocktake.settings import DEMO_MARKER, WAREHOUSE, default_home

    demo = cwd / "stocktake-demo"
    demo.mkdir()
    (demo / WAREHOUSE).write_bytes((home / WAREHOUSE).read_bytes())
    monkeypatch.chdir(demo)
    assert default_home() == Path("stocktake-demo")  # no marker: a demo folder inside this one
    (demo / DEMO_MARKER).write_text("{}")
    assert default_home() == demo and default_home(loading=True) == Path("stocktake")
    result = runner.invoke(app, ["waitinglist", "stats", "--by", "procedure"])
    assert result.exit_code == 0, result.output
    assert _read_from(demo) in _flat(result.output)


def test_python_dash_m_stocktake_is_the_command():
    """`python -m stocktake` as people try it first (an outside check found only `-m stocktake.cli`)."""
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "stocktake", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Usage: stocktake" in shown.stdout and "waitinglist" in shown.stdout
