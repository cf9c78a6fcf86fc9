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
   difference and its CI) in either survey (``domain_means_hidden``).

Pure: counts in, flags out; the exports (``report.programme``, ``report.programme_board``) ask it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Counts of 1 to 7 people are hidden (the stock-take's rule, ``metrics.suppression.SMALL``, which
#: this room may not import); 8 or more, and 0 where nothing else is hidden, are shown.
SMALLEST_SHOWN = 8
LARGEST_HIDDEN = SMALLEST_SHOWN - 1

RULE = (
    "Likert items: when any level was chosen by 1-7 people, every level chosen by fewer than 8 is *, "
    "zeros included; when that leaves one * or seven at each *, the smallest shown level is * too; when "
    "every level is * and the answered count is 7 or one less than 7 at each level, the answered and "
    "skipped counts are * too; an item with any * shows no share, top-two share, median or bar, and its "
    "domain shows no means, mean difference or 95% CI in either survey (ADR 43)"
)


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

    @property
    def all_hidden(self) -> bool:
        return bool(self.hidden) and all(self.hidden)


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
