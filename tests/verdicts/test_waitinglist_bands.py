"""The waiting list's bands and its more-than-52-weeks count, hidden so nothing small can be subtracted.

The reader sees the list's total, its first band (through the share within 18 weeks) unless hidden, the shown
bands and, unless hidden, the count over 52 weeks. Each hidden band must stay unknown: checked here
by linear algebra over those published sums, and by every small sum of hidden bands.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from stocktake.verdicts.waitinglist import OVER_52, band_hiding


def _pinned(counts: np.ndarray, hidden: np.ndarray, over_52_hidden: bool) -> list[str]:
    """What a reader could work out: a hidden band alone, or hidden bands adding to 1–7."""
    rows = [np.ones(len(counts))]  # the total
    if not over_52_hidden:
        rows.append(np.r_[np.zeros(OVER_52), np.ones(len(counts) - OVER_52)])
    unknown = np.flatnonzero(hidden)
    if unknown.size == 0:
        return []
    system = np.array(rows)[:, unknown]
    rank = np.linalg.matrix_rank(system)
    found = []
    # A combination of hidden bands is known when adding it to the published sums keeps their rank.
    for size in range(1, unknown.size + 1):
        for subset in itertools.combinations(range(unknown.size), size):
            vector = np.zeros(unknown.size)
            vector[list(subset)] = 1
            if np.linalg.matrix_rank(np.vstack([system, vector])) == rank:
                total = counts[unknown[list(subset)]].sum()
                if size == 1 or 1 <= total <= 7:
                    found.append(f"bands {unknown[list(subset)].tolist()} = {total:.0f}")
    return found


def test_the_outsiders_list_gives_no_band_away():
    # 239 waiting; 3 and 5 in the 35–52 and 52–65 bands, and 17 over 52 weeks: with only the two small
    # bands hidden, 17 − 0 − 12 = 5 and 239 − 194 − 25 − 17 = 3.
    counts = np.array([194, 25, 3, 5, 0, 12])
    hidden, over_52_hidden = band_hiding(counts)
    assert hidden[2] and hidden[3]
    assert not _pinned(counts, hidden, over_52_hidden)


def test_a_small_count_over_52_weeks_is_hidden_with_enough_beside_it():
    counts = np.array([400, 60, 30, 4, 2, 0])
    hidden, over_52_hidden = band_hiding(counts)
    assert over_52_hidden and hidden[3] and hidden[4]
    assert not _pinned(counts, hidden, over_52_hidden)


def test_a_few_over_18_weeks_hide_the_share_within_18_weeks_and_its_band():
    hidden, _ = band_hiding(np.array([2418, 5, 2, 0, 0, 0]))
    assert hidden.tolist() == [True, True, True, False, False, False]
    assert not _pinned(np.array([2418, 5, 2, 0, 0, 0]), hidden, False)
    shown, _ = band_hiding(np.array([2418, 50, 2, 0, 0, 0]))
    assert not shown[0]


def test_nothing_is_hidden_when_nothing_is_small():
    hidden, over_52_hidden = band_hiding(np.array([400, 60, 30, 20, 12, 9]))
    assert not hidden.any() and not over_52_hidden


@pytest.mark.parametrize("seed", range(4))
def test_no_random_list_gives_a_band_away(seed):
    rng = np.random.default_rng(seed)
    for _ in range(500):
        counts = np.r_[rng.integers(50, 500), rng.choice([0, 1, 2, 3, 5, 7, 8, 9, 15, 40], size=5)]
        hidden, over_52_hidden = band_hiding(counts)
        assert (hidden | (counts == 0) | (counts > 7)).all()  # every 1–7 band hidden
        assert over_52_hidden or not 1 <= counts[OVER_52:].sum() <= 7
        if 1 <= counts[1:].sum() <= 7:
            # Those over 18 weeks are few: the share within 18 weeks would give their number away, so
            # it is hidden with the first band (an outside check: 2,425 waiting, 2,418 within 18 weeks)
            assert hidden[0] and (hidden[1:] | (counts[1:] == 0)).all()
        assert not _pinned(counts, hidden, over_52_hidden), (counts, hidden, over_52_hidden)


def test_groups_do_not_give_away_those_with_no_group_recorded():
    """Three waiting pathways without a priority: the priorities shown would add to the list less 3."""
    from stocktake.demo.generate import Department, generate
    from stocktake.verdicts.waitinglist import overview

    pathways = generate(Department(seed=11, months=30))["rtt_pathways"].copy()
    waiting = pathways.index[pathways["clock_stop"].isna()][:3]
    pathways.loc[waiting, "priority"] = None
    found = overview(pathways)
    groups = found.groups_of("priority")
    shown = sum(g.waiting for g in groups if not g.hidden)
    hidden = [g.waiting for g in groups if g.hidden]
    assert hidden, "a priority hidden beside the three"
    assert not 1 <= found.waiting - shown <= 7 and sum(hidden) + 3 == found.waiting - shown


@pytest.mark.parametrize("tail", [(8, 9, 3), (20, 5, 0), (3, 0, 9), (0, 4, 4), (12, 12, 12), (1, 1, 1)])
def test_the_weeks_command_shows_no_tail_count_the_page_does_not_fix(tail):
    """An analyst's check: `weeks` printed 52+ = 20 and 65+ = 12 beside a page showing 65–78 = 9,
    so 78+ = 3 and 52–65 = 8 came back. The command now shows a count over 52, 65 or 78 weeks of the
    list now only if the page's own figures fix it: adding them gives a reader nothing new."""
    from datetime import date, timedelta

    import pandas as pd

    from stocktake.verdicts.waitinglist import BANDS, _bands, tail_counts_shown
    from stocktake.waitinglist.weeks_waited import WaitingList

    end = date(2025, 3, 31)
    weeks = [5] * 300 + [25] * 150 + [40] * 60 + [55] * tail[0] + [70] * tail[1] + [90] * tail[2]
    origin = WaitingList.from_clock_starts(pd.Period("2025-03"), [end - timedelta(weeks=w) for w in weeks])
    bands, over_52_hidden = _bands(origin, suppress=True)
    n = len(BANDS)
    page = [np.ones(n), np.eye(n)[0]] + [np.eye(n)[i] for i, b in enumerate(bands) if not b.hidden]
    if not over_52_hidden:
        page.append(np.r_[np.zeros(OVER_52), np.ones(n - OVER_52)])
    command = [
        np.r_[np.zeros(first), np.ones(n - first)]
        for first, shown in zip(range(OVER_52, n), tail_counts_shown(origin), strict=True)
        if shown
    ]
    together = np.array(page + command)
    assert np.linalg.matrix_rank(together) == np.linalg.matrix_rank(np.array(page))
    for i, band in enumerate(bands):
        if band.hidden:  # still unknown with both outputs in hand
            assert np.linalg.matrix_rank(np.vstack([together, np.eye(n)[i]])) > np.linalg.matrix_rank(
                together
            )


def _pinned_with_measures(counts: np.ndarray, hidden: np.ndarray, over_52_hidden: bool) -> list[str]:
    """As :func:`_pinned`, with the first band and the metrics export's counts known too: the chain
    waiting ⊃ over 18 ⊃ over 52 ⊃ over 65 ⊃ over 78 weeks as the export shows it (each count unless
    ``nested_hiding``, the export's own rule, hides it; an outside check: "unless 1–7" missed the
    export hiding 65+ beside 78+, and 65–78 = 6 came back with the page's 78+)."""
    from stocktake.metrics.suppression import nested_hiding

    n = len(counts)
    rows = [np.ones(n), np.eye(n)[0]] + [np.eye(n)[i] for i in range(n) if not hidden[i]]
    if not over_52_hidden:
        rows.append(np.r_[np.zeros(OVER_52), np.ones(n - OVER_52)])
    firsts = (0, 1, 3, 4, 5)
    chain = np.array([counts[first:].sum() for first in firsts], dtype=float)
    for first, exported_hidden in zip(firsts, nested_hiding(chain, np.zeros(5, bool)), strict=True):
        if not exported_hidden:
            rows.append(np.r_[np.zeros(first), np.ones(n - first)])
    known, rank = np.array(rows), np.linalg.matrix_rank(np.array(rows))
    found = []
    unknown = np.flatnonzero(hidden)
    for size in range(1, unknown.size + 1):
        for subset in itertools.combinations(unknown, size):
            vector = np.zeros(n)
            vector[list(subset)] = 1
            total = counts[list(subset)].sum()
            if ((size == 1 and total > 0) or 1 <= total <= 7) and np.linalg.matrix_rank(
                np.vstack([known, vector])
            ) == rank:
                found.append(f"bands {[int(i) for i in subset]} = {total:.0f}")
    return found


def test_the_page_and_the_metrics_export_together_give_no_band_away():
    """A third look: the page showed 65–78 = 9 beside a metrics export giving 65+ = 12, so 78+ = 3.
    The measures' counts over 65 and 78 weeks are now taken as published when choosing the bands."""
    counts = np.array([1207, 355, 104, 8, 9, 3])
    hidden, over_52_hidden = band_hiding(counts)
    assert hidden[5] and hidden[4]
    alone = _pinned_with_measures(counts, np.r_[False, np.ones(5, bool)], over_52_hidden)
    assert alone == ["bands [3] = 8"]  # over 52 less over 65, both published: no band can hide that
    assert set(_pinned_with_measures(counts, hidden, over_52_hidden)) == set(alone)


@pytest.mark.parametrize("seed", range(3))
def test_no_random_list_gives_a_band_away_beside_the_measures(seed):
    rng = np.random.default_rng(seed)
    for _ in range(400):
        counts = np.r_[rng.integers(50, 500), rng.choice([0, 1, 2, 3, 5, 7, 8, 9, 15, 40], size=5)]
        if 1 <= counts[1:].sum() <= 7:
            continue  # few over 18 weeks: the share within 18 gives them away whatever is hidden
        hidden, over_52_hidden = band_hiding(counts)
        # what the measures give away alone (52–65 = over 52 − over 65, both 8 or more) no band can hide
        alone = _pinned_with_measures(counts, np.r_[False, np.ones(5, bool)], over_52_hidden)
        found = set(_pinned_with_measures(counts, hidden, over_52_hidden)) - set(alone)
        assert not found, (counts, hidden, over_52_hidden)


def test_a_hidden_share_within_18_weeks_hides_its_interval_too():
    """The interval's ends are the share ± one width, so their midpoint gives it back: 5 of 400 waiting
    over 18 weeks hides those within and their share, and the share's interval goes with them."""
    import pandas as pd

    from stocktake.verdicts.waitinglist import weeks_rows_shown

    row = {
        "month": "2025-04",
        "waiting": 400.0,
        "within_18_weeks": 395.0,
        "pct_within_18_weeks": 98.75,
        "pct_within_18_weeks_low": 97.0,
        "pct_within_18_weeks_high": 100.0,
        "p92_weeks": 10.0,
        "p92_weeks_low": 9.0,
        "p92_weeks_high": 11.0,
        "over_52_weeks": 0.0,
        "over_65_weeks": 0.0,
        "over_78_weeks": 0.0,
    }
    shown = weeks_rows_shown(pd.DataFrame([row, row | {"within_18_weeks": 300.0}])).iloc
    hidden = ["within_18_weeks", "pct_within_18_weeks", "pct_within_18_weeks_low", "pct_within_18_weeks_high"]
    assert shown[0][hidden].isna().all()
    assert shown[0][["waiting", "p92_weeks", "p92_weeks_low", "p92_weeks_high"]].notna().all()
    assert shown[1][hidden].notna().all()  # 100 over 18 weeks: nothing to hide


def test_the_list_less_a_shown_52_week_count_is_not_left_small():
    """An outside check: 13 waiting, every band "*" (the share within 18 weeks too) and 10 shown over
    52 weeks gave the 3 below 52 weeks back. The first band, hidden with the share, is a hidden cell of
    the list's total like the others."""
    hidden, over_52_hidden = band_hiding(np.array([3.0, 0, 0, 0, 0, 10]))
    assert over_52_hidden
    assert not _pinned(np.array([3.0, 0, 0, 0, 0, 10]), hidden, over_52_hidden)


@pytest.mark.parametrize("counts", [(40, 10, 2, 8, 6, 9), (20, 0, 7, 15, 1, 12)])
def test_the_page_keeps_the_bands_the_exports_chain_hides(counts):
    """An outside check: with the export modelled as showing 65+ and 78+ unless 1–7, the page showed its
    "more than 78 weeks" (9) where the export hides its 78+ (15 − 9 = 6 is small) but shows 65+ (15),
    and 65–78 = 6 came back. The page now models the export's chain as it is."""
    counts = np.array(counts, dtype=float)
    hidden, over_52_hidden = band_hiding(counts)
    alone = _pinned_with_measures(counts, np.r_[False, np.ones(5, bool)], over_52_hidden)
    assert not set(_pinned_with_measures(counts, hidden, over_52_hidden)) - set(alone), hidden
