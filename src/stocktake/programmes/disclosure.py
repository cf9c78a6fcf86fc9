"""What a programme export may show of a Likert item and of its domain: one rule, public (ADR 43).

The stock-take hides counts of 1-7 people (``metrics.suppression``). An item's answers by level add
up to its answered count, which is shown (participation), so hiding only the cells of 1-7 is not
enough: a reader who knows the rule can solve for them. The rule here is written so that, knowing
it, nothing an export shows pins a hidden cell to one value:

1. when any level of an item was chosen by 1-7 people, every level chosen by fewer than 8 is hidden,
   **zeros included** (a shown 0 would say which hidden cell the total belongs to);
2. a hidden cell is then 0-7, so their total (answered less the shown cells) pins them when only one
   is hidden or the total is 7 for each: then the smallest shown level (lowest first on a tie) is
   hidden too (the total 0 cannot happen: step 1 hid a cell of 1-7);
3. when every level is hidden and the answered count is 7 for each level (every level chosen by
   exactly 7), nothing is left to hide but the answered count: it is hidden, with the skipped count,
   and so is it at one below (one level chosen by 6), so that a hidden answered count does not itself
   say "7 each";
4. with any level hidden, nothing computed from the cells is shown: shares, the top-two share, the
   median, bar widths, and the means of the item's domain (before, after, unpaired, the mean
   difference and its CI) in either survey (``domain_means_hidden``);
5. such a domain's tests are shown **coarse** (``coarse_result``): the direction, each p as a band and
   the effect size as a word, never t, d_z, g_z, V, the zero and non-zero counts or an exact p. Those
   figures are functions of the paired differences, which in a small domain are the hidden cells: an
   outsider recovered 13,599 of 15,338 hidden "after" distributions of one-item domains from them, and
   differenced two evaluations to one person's score (ADR 43, last addendum).

Pure: counts in, flags out; the exports (``report.programme``, ``report.programme_board``) ask it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from stocktake.small_numbers import SMALL

#: Counts of 1 to 7 people are hidden (the stock-take's rule, ``small_numbers.SMALL``); 8 or more, and
#: 0 where nothing else is hidden, are shown.
LARGEST_HIDDEN = SMALL[1]
SMALLEST_SHOWN = LARGEST_HIDDEN + 1

RULE = (
    "Likert items: when any level was chosen by 1-7 people, every level chosen by fewer than 8 is *, "
    "zeros included; when that leaves one * or seven at each *, the smallest shown level is * too; when "
    "every level is * and the answered count is 7 or one less than 7 at each level, the answered and "
    "skipped counts are * too; an item with any * shows no share, top-two share, median or bar, and its "
    "domain shows no means, mean difference or 95% CI in either survey, and its tests only coarse: the "
    "direction, p as a band and the effect size as a word; below 20 pairs, p only as < 0.05 or "
    "≥ 0.05 and no effect size (ADR 43)"
)

#: p-value bands of a coarse result, smallest first: (below this, the words).
P_BANDS = ((0.001, "< 0.001"), (0.01, "< 0.01"), (0.05, "< 0.05"))
P_BAND_REST = "≥ 0.05"
#: Cohen's conventions on |d_z|: (below this, the word); "large" at 0.8 and above.
EFFECT_WORDS = ((0.2, "negligible"), (0.5, "small"), (0.8, "medium"))
EFFECT_REST = "large"
#: A mean difference under a quarter of one answer level either way is "no change": a band, not a point,
#: so "no change" does not say the hidden mean difference is exactly 0.
NO_CHANGE_WITHIN = 0.25
NO_CLEAR_CHANGE = "no clear change"
#: Below this many pairs a coarse p is "< 0.05" or "≥ 0.05" only and no effect size is given: with 8 or
#: 9 pairs "< 0.01" says that no pair stayed where it was (the exact test's smallest p), and with few
#: pairs a band and Cohen's word together leave one distribution. Searched (tests/programmes/
#: test_disclosure_coarse.py, one-item domains of 5-10 pairs): a hidden count of 1-7 or the hidden mean
#: difference pinned in 392 of 14,310 views with the threshold at 10 and the word kept, 26 at 20 without it.
FINE_FROM = 20
EFFECT_NOT_GIVEN = f"not given below {FINE_FROM} pairs"


@dataclass(frozen=True)
class ItemDisclosure:
    """Which of an item's counts an export may show: a flag per level (lowest first), and whether its
    answered and skipped counts are hidden too."""

    hidden: tuple[bool, ...]
    answered_hidden: bool = False

    @property
    def any_hidden(self) -> bool:
        """Any level hidden: then no share, top-two share, median, bar or domain mean is shown."""
        return any(self.hidden)


def item_disclosure(counts: Sequence[int]) -> ItemDisclosure:
    """The rule above for one item's counts by level."""
    counts = [int(c) for c in counts]
    if not any(1 <= c <= LARGEST_HIDDEN for c in counts):
        return ItemDisclosure(tuple(False for _ in counts))
    hidden = [c < SMALLEST_SHOWN for c in counts]
    if _pinned(counts, hidden) and not all(hidden):
        smallest = min(c for c, h in zip(counts, hidden, strict=True) if not h)
        hidden = [h or c == smallest for c, h in zip(counts, hidden, strict=True)]
    k, answered = len(counts), sum(counts)
    settled = all(hidden) and answered in (LARGEST_HIDDEN * k, LARGEST_HIDDEN * k - 1)
    return ItemDisclosure(tuple(hidden), settled)


def _pinned(counts: Sequence[int], hidden: Sequence[bool]) -> bool:
    """Whether the hidden cells, each 0-7, are fixed by their total: one cell, or 7 in each."""
    n = sum(hidden)
    total = sum(c for c, h in zip(counts, hidden, strict=True) if h)
    return n == 1 or total == LARGEST_HIDDEN * n


def domain_means_hidden(item_counts: Iterable[Sequence[int]]) -> bool:
    """Whether a domain's means (and its mean difference and 95% CI) are hidden: when any of its items,
    in either survey, has a hidden level. A mean times the people behind it is a sum of levels, a
    second equation over the hidden cells beside the answered count."""
    return any(item_disclosure(counts).any_hidden for counts in item_counts)


def median_words(levels: Sequence[str], counts: Sequence[int]) -> str:
    """The median answer's level; with an even count whose two middle answers differ, both of them
    ("Disagree to Strongly agree"), never a level between them that nobody chose."""
    n = sum(counts)
    if not n:
        return ""
    ordered = [level for level, count in zip(levels, counts, strict=True) for _ in range(count)]
    low, high = ordered[(n - 1) // 2], ordered[n // 2]
    return low if low == high else f"{low} to {high}"


def p_band(p: float | None, fine: bool = True) -> str | None:
    """A p-value as its band: "< 0.001", "< 0.01", "< 0.05" or "≥ 0.05" (None stays None); not ``fine``
    (fewer than ``FINE_FROM`` pairs), "< 0.05" or "≥ 0.05" only."""
    if p is None or p != p:
        return None
    bands = P_BANDS if fine else P_BANDS[-1:]
    return next((words for edge, words in bands if p < edge), P_BAND_REST)


def effect_word(d_z: float) -> str:
    """Cohen's word for |d_z|: negligible (< 0.2), small (< 0.5), medium (< 0.8), large."""
    size = abs(d_z)
    return next((words for edge, words in EFFECT_WORDS if size < edge), EFFECT_REST)


def direction_words(mean_difference: float, after: str = "after", clear: bool = True) -> str:
    """The direction of a paired change: "higher after", "lower after", or "no clear change" when neither
    test's p is below 0.05 (not ``clear``) or the difference is under a quarter of a level either way.
    A label other than "after" reads "higher at follow-up"."""
    if not clear or abs(mean_difference) < NO_CHANGE_WITHIN:
        return NO_CLEAR_CHANGE
    side = "after" if after == "after" else f"at {after}"
    return f"{'higher' if mean_difference > 0 else 'lower'} {side}"


@dataclass(frozen=True)
class CoarseResult:
    """What an export shows of a domain's tests when any of its items has a hidden level."""

    direction: str
    p_t: str | None
    p_t_holm: str | None
    p_wilcoxon: str | None
    p_wilcoxon_holm: str | None
    effect: str


def coarse_result(
    mean_difference: float,
    p_t: float | None,
    p_t_holm: float | None,
    p_wilcoxon: float | None,
    p_wilcoxon_holm: float | None,
    d_z: float | None,
    after: str = "after",
    pairs: int = FINE_FROM,
) -> CoarseResult:
    """The coarse view of a domain's tests. With no spread (every difference the same) there is no t or
    d_z: they are read at their limits (p 0 and d_z infinite when the differences are not 0; p 1 and d_z
    0 when they are), so a coarse view never says "no spread", which with the pairs pins every cell."""
    if d_z is None:  # no spread
        still = mean_difference == 0
        p_t = p_t_holm = 1.0 if still else 0.0
        d_z = 0.0 if still else float("inf")
        if p_wilcoxon is None:
            p_wilcoxon = p_wilcoxon_holm = 1.0
    fine = pairs >= FINE_FROM
    clear = any(p is not None and p < 0.05 for p in (p_t, p_wilcoxon))
    return CoarseResult(
        direction_words(mean_difference, after, clear),
        p_band(p_t, fine),
        p_band(p_t_holm, fine),
        p_band(p_wilcoxon, fine),
        p_band(p_wilcoxon_holm, fine),
        effect_word(d_z) if fine else EFFECT_NOT_GIVEN,
    )
