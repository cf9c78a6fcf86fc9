"""The programme exports' one disclosure rule, searched exhaustively (issue 29's fourth review).

A reader who knows the rule (it is public: ADR 43's addendum) can run it on every possible item and
keep those that would look the same. Here every item of 2-5 levels answered by up to 24 people (and,
for 5 levels, by 34 or 35, where the answered count itself is hidden) is grouped by what an export
shows of it; in no group may a hidden cell have one value. The same search finds the cells the earlier
rule gave away (zeros shown, the median shown), so it is not blind.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from stocktake.metrics.suppression import SMALL
from stocktake.programmes.disclosure import (
    LARGEST_HIDDEN,
    domain_means_hidden,
    item_disclosure,
    median_words,
)

AGREEMENT = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")


def compositions(n: int, k: int):
    """Every way ``n`` people answer an item of ``k`` levels (counts lowest first)."""
    for bars in itertools.combinations(range(n + k - 1), k - 1):
        edges = (-1, *bars, n + k - 1)
        yield tuple(edges[i + 1] - edges[i] - 1 for i in range(k))


def shown(counts) -> tuple:
    """What every export shows of an item under the rule: the cells not hidden, the answered count unless
    hidden, and, with nothing hidden, the median (every share, the top two and the bars follow from the
    cells then)."""
    d = item_disclosure(counts)
    cells = tuple(None if h else c for c, h in zip(counts, d.hidden, strict=True))
    median = None if d.any_hidden else median_words(AGREEMENT[: len(counts)], counts)
    return cells, None if d.answered_hidden else sum(counts), median


def pinned(view, universe) -> list[tuple]:
    """Every group of items in ``universe`` that look the same (``view``) with a hidden cell of one value."""
    groups = defaultdict(list)
    for counts in universe:
        groups[view(counts)].append(counts)
    found = []
    for seen, members in groups.items():
        hidden = [i for i, c in enumerate(seen[0]) if c is None]
        if any(len({m[i] for m in members}) == 1 for i in hidden):
            found.append((seen, members[:3]))
    return found


def universe(k: int, largest: int):
    # 34 and 35 answering (7 a level, and one under) for 5 levels: the answered count is hidden there.
    extra = (7 * k - 1, 7 * k) if 7 * k - 1 > largest else ()
    return [c for n in (*range(largest + 1), *extra) for c in compositions(n, k)]


def test_the_rule_uses_the_stock_takes_small_numbers():
    assert (1, LARGEST_HIDDEN) == SMALL


@pytest.mark.parametrize("levels, largest", [(2, 40), (3, 40), (4, 30), (5, 24)])
def test_no_hidden_cell_is_pinned_by_what_an_export_shows(levels, largest):
    assert pinned(shown, universe(levels, largest)) == []


def earlier(counts) -> tuple:
    """The rule before this review: zeros shown, one hidden cell given a companion, the median shown
    unless 1-7 answered (``report.programme.item_hidden`` and ``items_table`` as they were)."""
    hidden = [1 <= c <= 7 for c in counts]
    if sum(hidden) == 1:
        rest = [i for i, h in enumerate(hidden) if not h]
        hidden[min(rest, key=lambda i: counts[i])] = True
    n = sum(counts)
    median = None if 1 <= n <= 7 else median_words(AGREEMENT[: len(counts)], counts)
    return tuple(None if h else c for c, h in zip(counts, hidden, strict=True)), n, median


def test_the_search_finds_what_the_earlier_rule_gave_away():
    found = dict(pinned(earlier, universe(5, 12)))
    # The outsider's first case: 0, 0, 0, 4, 4 of 8, its median "Agree to Strongly agree".
    view = earlier((0, 0, 0, 4, 4))
    assert view in found and found[view] == [(0, 0, 0, 4, 4)]
    assert len(found) > 100


@pytest.mark.parametrize(
    "counts, hidden",
    [
        # A level of 1-7: every level under 8 hidden, zeros included.
        ((0, 8, 1, 0, 1), (True, False, True, True, True)),
        ((3, 4, 9, 0, 0), (True, True, False, True, True)),
        # Nothing of 1-7: everything shown (a 0 then says nothing hidden).
        ((0, 8, 0, 12, 20), (False,) * 5),
        # One level hidden: its value would be the answered count less the rest, so the smallest shown
        # level is hidden too.
        ((3, 9, 10, 12, 20), (True, True, False, False, False)),
        # Seven at each hidden level: the smallest shown, and every level tied with it, hidden too.
        ((7, 7, 9, 9, 20), (True, True, True, True, False)),
        ((7, 9, 9, 9, 9), (True,) * 5),
    ],
)
def test_hand_worked_items(counts, hidden):
    assert item_disclosure(counts).hidden == hidden


def test_every_level_chosen_by_seven_hides_the_answered_count_and_so_does_one_under():
    # 7 at every level: nothing left to hide but the answered count (35). Hidden only there, a hidden
    # count would say "7 each": it is hidden at 34 too, where one level has 6.
    assert item_disclosure((7, 7, 7, 7, 7)).answered_hidden
    assert item_disclosure((7, 7, 6, 7, 7)).answered_hidden
    assert not item_disclosure((7, 7, 5, 7, 7)).answered_hidden
    assert not item_disclosure((7, 7, 7, 7, 9)).answered_hidden  # all hidden, but 9 can sit anywhere


def test_the_median_names_the_two_middle_answers():
    # Four disagree and four strongly agree: nobody was neutral or agreed.
    assert median_words(AGREEMENT, (0, 4, 0, 0, 4)) == "Disagree to Strongly agree"
    assert median_words(AGREEMENT, (0, 4, 1, 0, 4)) == "Neutral"
    assert median_words(AGREEMENT, (0, 2, 2, 2, 0)) == "Neutral"
    assert median_words(AGREEMENT, (0, 0, 0, 0, 0)) == ""


def test_a_domains_means_are_hidden_with_any_hidden_cell_of_any_item():
    shown_item, hidden_item = (0, 0, 10, 0, 0), (2, 0, 8, 0, 0)
    assert not domain_means_hidden([shown_item, shown_item])
    assert domain_means_hidden([shown_item, hidden_item])
    assert domain_means_hidden([hidden_item])
