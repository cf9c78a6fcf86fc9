"""Issue 28 on the Procurement page: another trust's orders file that resolves to the department's
own trust (named like its folder, or a trust column saying so) is refused in one line, and the line
names the file from the home (peers/x.csv), never by the server's absolute path."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from stocktake.demo.export import write_peer_orders


@pytest.fixture(scope="module")
def demo_warehouse(orders_department):  # conftest's app (and so its clients) is built on this one here
    return orders_department[0]


def _problem(page: str) -> str:
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    return text.split("The procurement orders cannot be priced: ", 1)[1][:300]


@pytest.fixture
def peers(app):
    folder = app.state.settings.home / "peers"
    folder.mkdir(exist_ok=True)
    yield folder
    for path in folder.iterdir():  # each test its own peers
        path.unlink()


def _peer(orders_department, path, trust: str | None):
    """The demo's second trust's orders at ``path``, its trust column set to ``trust`` (dropped when
    None: the file's name is then the trust)."""
    write_peer_orders(orders_department[1], path)
    orders = pd.read_csv(path, dtype=str)
    orders = orders.drop(columns="trust") if trust is None else orders.assign(trust=trust)
    orders.to_csv(path, index=False)


def test_a_peer_file_named_like_the_home_is_refused_naming_it_from_the_home(
    clients, app, orders_department, peers
):
    home = app.state.settings.home
    _peer(orders_department, peers / f"{home.name}.csv", None)
    answer = clients["viewer"].get("/procurement?by=trust&months=all")
    assert _problem(answer.text).startswith(
        f"peers/{home.name}.csv: its orders are those of '{home.name}', and so are warehouse.duckdb's"
    )
    assert str(home) not in answer.text and str(home.resolve()) not in answer.text


def test_a_peer_with_the_homes_trust_in_its_trust_column_is_refused(clients, app, orders_department, peers):
    home = app.state.settings.home
    _peer(orders_department, peers / "southvale.csv", home.name)
    answer = clients["viewer"].get("/procurement?by=trust&months=all")
    assert _problem(answer.text).startswith(f"peers/southvale.csv: its orders are those of '{home.name}'")
    assert str(home) not in answer.text


def test_two_peers_of_one_trust_are_refused(clients, app, orders_department, peers):
    _peer(orders_department, peers / "a.csv", "Southvale")
    _peer(orders_department, peers / "b.csv", "Southvale")
    answer = clients["viewer"].get("/procurement?by=trust&months=all")
    assert _problem(answer.text).startswith(
        "peers/b.csv: its orders are those of 'Southvale', and so are peers/a.csv's"
    )


@pytest.mark.parametrize("spelt", [str.upper, str.title, lambda name: f" {name} "])
def test_a_peer_with_the_homes_trust_in_another_case_is_refused(
    clients, app, orders_department, peers, spelt
):
    """Names are compared without case or extra spaces (issue 28): "RBD" is the home's "rbd"."""
    home = app.state.settings.home
    _peer(orders_department, peers / "southvale.csv", spelt(home.name))
    answer = clients["viewer"].get("/procurement?by=trust&months=all")
    assert _problem(answer.text).startswith(
        f"peers/southvale.csv: its orders are those of {spelt(home.name).strip()!r}, "
        "and so are warehouse.duckdb's"
    )
    assert str(home) not in answer.text


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["0 bytes", "blank lines"])
def test_an_empty_peer_file_is_named_from_the_home_and_the_page_carries_on(clients, app, peers, content):
    """Issue 28, third review: an empty orders file was a 500 (pandas' EmptyDataError)."""
    home = app.state.settings.home
    (peers / "empty.csv").write_bytes(content)
    answer = clients["viewer"].get("/procurement?by=trust&months=all")
    assert answer.status_code == 200
    assert _problem(answer.text).startswith("peers/empty.csv: empty (no header row and no order lines)")
    assert str(home) not in answer.text


def test_possessives_are_not_quoted_twice(clients, app, peers, orders_department):
    _peer(orders_department, peers / "a.csv", "Southvale")
    _peer(orders_department, peers / "b.csv", "Southvale")
    answer = clients["viewer"].get("/procurement?by=trust&months=all")
    assert "''s" not in html.unescape(answer.text) and "those of 'Southvale'" in _problem(answer.text)
