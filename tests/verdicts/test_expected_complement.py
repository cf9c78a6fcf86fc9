"""Issue 28: the observed ÷ expected table decides small numbers over every group of the measure, as
the peer table does, so a group hidden there stays hidden here and no hidden count can be had by
subtracting what the two tables show from the department's total."""

from __future__ import annotations

import pandas as pd

from stocktake.metrics.catalogue import load_catalogue
from stocktake.verdicts.expected import compare_observed_expected
from stocktake.verdicts.peers import compare_peers

DEATHS = load_catalogue().metric("hipfx_mortality_30d")


def _frame(rows) -> pd.DataFrame:
    """Twelve months a site: (site, deaths in the year, cases in the year), all in the last month."""
    month = pd.Timestamp("2025-12-01")
    earlier = pd.date_range("2025-01-01", periods=11, freq="MS")
    filler = [(m, site, 0, 0) for site, _, _ in rows for m in earlier]
    return pd.DataFrame(
        filler + [(month, site, d, n) for site, d, n in rows],
        columns=["period", "site", "numerator", "denominator"],
    )


# The outsider's case: a small third site (5 deaths) with no expected count in the file.
FRAME = _frame([("Northshire General", 24, 300), ("Riverside", 15, 200), ("Eastbrook", 5, 60)])
EXPECTED = {"Northshire General": 24.08, "Riverside": 15.33}


def _shown(groups, hidden) -> set[str]:
    return {g for g, h in zip(groups, hidden, strict=True) if not h}


def test_a_group_hidden_in_the_peer_table_stays_hidden_observed_over_expected():
    peers = compare_peers(DEATHS, FRAME, "site")
    hidden_in_peers = set(peers.groups) - _shown(peers.groups, peers.hidden)
    assert hidden_in_peers == {"Eastbrook", "Riverside"}  # 5 deaths, and the next smallest with it
    found = compare_observed_expected(DEATHS, FRAME, "site", EXPECTED)
    assert found.peers.groups == ("Northshire General", "Riverside")
    assert found.without_expected == ("Eastbrook",)
    assert _shown(found.peers.groups, found.peers.hidden) == {"Northshire General"}


def test_no_hidden_count_follows_from_the_totals_and_what_both_tables_show():
    """Total deaths less every count either table shows must leave two or more groups' deaths
    together (or none), never one group's alone."""
    peers = compare_peers(DEATHS, FRAME, "site")
    found = compare_observed_expected(DEATHS, FRAME, "site", EXPECTED)
    shown = _shown(peers.groups, peers.hidden) | _shown(found.peers.groups, found.peers.hidden)
    unknown = set(FRAME["site"]) - shown
    assert len(unknown) != 1 and unknown == {"Eastbrook", "Riverside"}


def test_unsuppressed_when_asked_as_the_peer_table_is():
    found = compare_observed_expected(DEATHS, FRAME, "site", EXPECTED, suppress=False)
    assert not found.peers.hidden.any()
