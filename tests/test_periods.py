"""Issue 28, outsiders' finding: a period of one month read "June 2024 to June 2024". One wording,
``periods.months_between``, now makes the phrase everywhere: the stock-take's period, the funnel
pages, the trusts' comparison, the kept figures' period, the Procurement page and the board report."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from stocktake.files.peer_figures import period_words
from stocktake.periods import months_between
from stocktake.procurement import find_opportunities
from stocktake.report.board import procurement_section
from stocktake.web.templating import environment


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2024-06", "2024-06"),
        (pd.Timestamp("2024-06-01"), pd.Timestamp("2024-06-30 23:59")),
        (pd.Period("2024-06", "M"), pd.Period("2024-06", "M")),
        (date(2024, 6, 3), datetime(2024, 6, 28, 12)),
    ],
)
def test_one_month_is_named_once(first, last):
    assert months_between(first, last) == "June 2024"
    assert months_between(first, last, "%b %Y") == "Jun 2024"


def test_a_span_of_months_names_both_ends():
    assert months_between("2023-04", pd.Timestamp("2024-03-31")) == "April 2023 to March 2024"
    assert months_between(pd.Period("2024-01", "M"), "2024-02", "%b %Y") == "Jan 2024 to Feb 2024"


def test_the_kept_figures_period_and_the_pages_use_it():
    assert period_words(("2024-06", "2024-06")) == "June 2024"
    assert period_words(("2024-01", "2024-12")) == "January 2024 to December 2024"
    page = environment.from_string("{{ months_between(a, b) }}|{{ months_between(a, c, '%b %Y') }}")
    assert page.render(a=pd.Timestamp("2024-06-01"), b=pd.Timestamp("2024-06-30"), c="2024-08") == (
        "June 2024|Jun 2024 to Aug 2024"
    )


def test_a_month_of_orders_is_one_month_on_the_procurement_page_and_in_the_report():
    orders = pd.DataFrame(
        {
            "item_code": ["K1", "K1"],
            "description": ["knee", "knee"],
            "site": ["A", "B"],
            "ordered_on": pd.to_datetime(["2024-06-03", "2024-06-20"]),
            "unit_price": [100.0, 120.0],
            "quantity": [2, 2],
        }
    )
    found = find_opportunities(orders, unit="site", months=None)
    assert procurement_section(found).period == "June 2024"


def test_the_stocktake_period_label_for_one_month():
    from stocktake.verdicts.stocktake import StockTake

    label = StockTake.period_label.func  # the cached property's function, on a stand-in's entries

    class Result:
        x = pd.Series(pd.to_datetime(["2024-06-01"]))

    class Entry:
        result = Result()

    class StandIn:
        entries = (Entry(),)

    assert label(StandIn()) == "June 2024"
