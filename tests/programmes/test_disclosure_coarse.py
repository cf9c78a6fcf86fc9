"""The coarse result of a domain with a hidden level, searched as the outsider searched it (ADR 43's
last addendum).

One-item domains of n = 5..10 pairs, everyone before at one level (each of the five), after in every
way n people answer five levels: what the export shows (its Likert cells, items, and the domain's row
of ``domains.csv``, suppressed) is grouped, and the candidates that look the same must leave every
hidden "after" cell and the mean difference open. With t, d_z, V and the zero counts shown, the
outsider recovered 13,599 of 15,338 such distributions; this search fails on that code.

Every domain is put in one evaluation for speed; each is given the Holm-adjusted p it would have as the
only domain tested (its raw p; the signed-rank one floored as ``evaluation.floored_p``), as one
evaluation per domain would.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

from stocktake.metrics.suppression import MASK
from stocktake.programmes import Domain, Level, Scale, Survey, evaluate
from stocktake.programmes.disclosure import coarse_result, direction_words, effect_word, p_band
from stocktake.programmes.evaluation import floored_p
from stocktake.report.programme import domains_table, items_table, likert_table

LEVELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")
AGREEMENT = Scale("agreement", tuple(Level(t, i, ()) for i, t in enumerate(LEVELS, start=1)))
PEOPLE = 10


def compositions(n: int, k: int):
    for bars in itertools.combinations(range(n + k - 1), k - 1):
        edges = (-1, *bars, n + k - 1)
        yield tuple(edges[i + 1] - edges[i] - 1 for i in range(k))


def _column(levels) -> np.ndarray:
    return np.array(list(levels) + [np.nan] * (PEOPLE - len(levels)), float)


def _alone(result):
    """The result with the Holm-adjusted p it has when it is the evaluation's only tested domain."""
    c = result.comparison
    return replace(
        result,
        p_t_holm=c.t_test.p if c.t_test else None,
        p_wilcoxon_holm=floored_p(c.signed_rank) if c.signed_rank else None,
    )


def _search(before_level: int):
    """Groups of after distributions an export cannot tell apart, each with its hidden cells and mean
    difference; only distributions with a hidden after cell are kept (the others are public)."""
    truth = {f"Q{i}": c for i, c in enumerate(c for n in range(5, 11) for c in compositions(n, 5))}
    before, after, domains = {}, {}, []
    for name, counts in truth.items():
        n = sum(counts)
        before[name] = _column([before_level] * n)
        after[name] = _column([level for level, c in enumerate(counts, start=1) for _ in range(c)])
        domains.append(Domain(name, AGREEMENT, (name,)))
    ids = tuple(f"P{i:02d}" for i in range(PEOPLE))
    evaluation = evaluate(Survey("before", ids, before), Survey("after", ids, after), domains)
    evaluation = replace(evaluation, domains=tuple(_alone(r) for r in evaluation.domains))
    rows = domains_table(evaluation).drop(columns=["domain", "items"]).astype(str)
    likert = likert_table(evaluation).astype(str)
    items = items_table(evaluation).astype(str)
    groups = defaultdict(list)
    likert_of, items_of = defaultdict(list), defaultdict(list)  # each item's rows, as tuples
    for item, *cells in likert[["item", "survey", "count", "share"]].itertuples(index=False, name=None):
        likert_of[item].append(tuple(cells))
    others = [c for c in items.columns if c not in ("item", "domain")]
    for item, *cells in items[["item", *others]].itertuples(index=False, name=None):
        items_of[item].append(tuple(cells))
    domain_rows = list(rows.itertuples(index=False, name=None))
    for i, (name, counts) in enumerate(truth.items()):
        after_cells = [count for survey, count, _ in likert_of[name] if survey == "after"]
        if MASK not in after_cells:
            continue
        view = (tuple(likert_of[name]), tuple(items_of[name]), domain_rows[i])
        hidden = tuple(c if shown == MASK else None for c, shown in zip(counts, after_cells, strict=True))
        difference = sum(level * c for level, c in enumerate(counts, start=1)) - before_level * sum(counts)
        groups[view].append((hidden, difference))
    return groups


def _pinned(groups, small_only: bool = False) -> list:
    """Candidates whose hidden cell, or whose mean difference, has one value among those alike;
    ``small_only``: only a hidden cell pinned at 1-7 people counts (a hidden 0 pinned names nobody)."""
    found = []
    for view, candidates in groups.items():
        differences = {d for _, d in candidates}
        cells = list(zip(*(h for h, _ in candidates), strict=True))
        one = [v for v in cells if v[0] is not None and len(set(v)) == 1]
        if small_only:
            one = [v for v in one if 1 <= v[0] <= 7]
        if len(differences) == 1 or one:
            found.append((view[2], candidates))
    return found


@pytest.fixture(scope="module")
def searched():
    """Each before level's groups and the candidates pinned among them (searched once: about 20 s)."""
    return {level: _search(level) for level in (1, 2, 3, 4, 5)}


def _count(searched, small_only: bool) -> int:
    return sum(len(c) for groups in searched.values() for _, c in _pinned(groups, small_only))


#: What the coarse result still pins (counted by this search, 2026-12-03), of 14,310 views: a hidden count
#: of 1-7 or the hidden mean difference in 26 (392 with fine bands and Cohen's word from 10 pairs, the
#: rule before FINE_FROM was 20; the exact statistics pinned 11,031), any hidden cell including a 0 in 104.
#: The outsider's own search of the exact statistics pinned 13,599 of 15,338 (n = 5..15).
SMALL_OR_DIFFERENCE_PINNED_AT_MOST = 26
ANY_PINNED_AT_MOST = 104


def test_the_coarse_result_leaves_almost_every_hidden_count_and_mean_difference_open(searched):
    total = sum(len(c) for groups in searched.values() for c in groups.values())
    assert total == 14_310  # every after distribution of 5-10, over five before levels, with a hidden cell
    assert _count(searched, small_only=True) <= SMALL_OR_DIFFERENCE_PINNED_AT_MOST
    assert _count(searched, small_only=False) <= ANY_PINNED_AT_MOST


@pytest.mark.xfail(strict=True, reason="open (ADR 43, last addendum): 26 views of 5-10 pairs still pin")
def test_no_hidden_count_or_mean_difference_is_pinned_by_the_coarse_result(searched):
    assert _count(searched, small_only=True) == 0


def test_the_bands_and_words_by_hand():
    assert [p_band(p) for p in (0.0005, 0.001, 0.009, 0.049, 0.05, 0.7)] == [
        "< 0.001",
        "< 0.01",
        "< 0.01",
        "< 0.05",
        "≥ 0.05",
        "≥ 0.05",
    ]
    assert p_band(None) is None
    assert [effect_word(d) for d in (0.1, -0.2, 0.49, -0.5, 0.79, 0.8, -3.0)] == [
        "negligible",
        "small",
        "small",
        "medium",
        "medium",
        "large",
        "large",
    ]
    assert [direction_words(d) for d in (0.5, -0.3, 0.2, -0.24, 0.0)] == [
        "higher after",
        "lower after",
        "no clear change",
        "no clear change",
        "no clear change",
    ]
    assert direction_words(2.0, clear=False) == "no clear change"  # neither test's p below 0.05
    assert [p_band(p, fine=False) for p in (0.0001, 0.049, 0.05)] == ["< 0.05", "< 0.05", "≥ 0.05"]
    assert direction_words(1.0, "follow-up") == "higher at follow-up"


def test_no_spread_reads_as_its_limits_never_as_no_spread():
    every_one_higher = coarse_result(1.0, None, None, 0.002, 0.002, None)
    assert (every_one_higher.p_t, every_one_higher.effect, every_one_higher.direction) == (
        "< 0.001",
        "large",
        "higher after",
    )
    unchanged = coarse_result(0.0, None, None, None, None, None)
    assert (unchanged.p_t, unchanged.p_wilcoxon, unchanged.effect) == ("≥ 0.05", "≥ 0.05", "negligible")
