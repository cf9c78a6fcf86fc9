"""A programme's evaluation by Kirkpatrick level, from surveys already mapped to levels.

L1 (reaction): each item's distribution of answers, its median level and the share at the top two
levels. L2 (learning) and L3 (behaviour, a follow-up at a chosen interval): each domain's score
before and after, compared only across the people who answered both (``compare_paired``), with
the people who answered one survey counted beside them and never mixed in. A domain with fewer than
``MIN_PAIRED`` pairs shows counts only and says why; response rates are always given (ADR 23).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from stocktake.programmes.disclosure import median_words
from stocktake.programmes.paired import (
    MIN_PAIRED,
    PairedComparison,
    SignedRank,
    compare_paired,
    holm,
    smallest_exact_p,
)
from stocktake.programmes.scale import Scale

DOMAIN_SCORE_RULE = (
    "domain score: the mean of a person's item levels, when at least half the items are answered"
)
#: The Kirkpatrick level a domain declares (DOMAINS.yaml's ``level``); a domain that declares none is
#: learning, the level a before/after survey measures.
LEVELS = ("reaction", "learning", "behaviour")
DEFAULT_LEVEL = "learning"
LEVEL_RULE = (
    "item levels: each item has its domain's level (DOMAINS.yaml, level: reaction, learning or "
    "behaviour; learning when not given); reaction items (L1) are summarised from the after survey "
    "only and never tested; learning and behaviour domains are compared before and after"
)
COUNTS_ONLY_RULE = "fewer than {min_paired} pairs: counts only, no means and no test"
HOLM_RULE = (
    "several domains tested at once: Holm-adjusted p-values (R's p.adjust, 'holm') across the domains "
    "tested in this evaluation, beside the raw p; a Wilcoxon p from the normal approximation is first "
    "raised to the exact test's smallest possible p (2/2^n on n non-zero differences) where it is below it"
)


@dataclass(frozen=True)
class Domain:
    """Items the programme groups together, answered on one scale."""

    name: str
    scale: Scale
    items: tuple[str, ...]
    level: str = DEFAULT_LEVEL

    def __post_init__(self):
        if not self.items:
            raise ValueError(f"domain {self.name!r} names no items")
        if self.level not in LEVELS:
            raise ValueError(f"domain {self.name!r}: level {self.level!r} is not one of {', '.join(LEVELS)}")

    @property
    def min_answered(self) -> int:
        return math.ceil(len(self.items) / 2)


@dataclass(frozen=True)
class Survey:
    """One survey's responses: who answered (ids) and each item's levels (NaN: no answer);
    ``left_out``: responses from participants withdrawn since, not in ``ids`` (their answers left out)."""

    label: str
    ids: tuple[str, ...]
    scores: Mapping[str, np.ndarray] = field(hash=False)
    left_out: int = 0

    def __post_init__(self):
        if len(set(self.ids)) != len(self.ids):
            raise ValueError(f"{self.label}: a respondent answers once (the reader refuses duplicates)")
        for item, values in self.scores.items():
            if len(values) != len(self.ids):
                raise ValueError(
                    f"{self.label}: item {item!r} has {len(values)} answers for {len(self.ids)} ids"
                )


@dataclass(frozen=True)
class ItemSummary:
    """An item's answers in one survey: a count per level (lowest first) and the skipped ones."""

    survey: str
    domain: str
    item: str
    levels: tuple[str, ...]
    counts: tuple[int, ...]
    missing: int
    level: str = DEFAULT_LEVEL  # the item's Kirkpatrick level: its domain's

    @property
    def answered(self) -> int:
        return sum(self.counts)

    @property
    def median_level(self) -> str:
        """The median answer's level; "A to B" naming the two middle answers when they differ."""
        return median_words(self.levels, self.counts)

    @property
    def top_two_share(self) -> float:
        """The share of answers at the two highest levels ("agree or strongly agree")."""
        return sum(self.counts[-2:]) / self.answered if self.answered else float("nan")


@dataclass(frozen=True)
class Response:
    """How many of the cohort answered one survey, and how many of them gave this domain a score;
    ``withdrawn``: how many more responded and were withdrawn since (their answers left out)."""

    responded: int
    scored: int
    cohort: int
    withdrawn: int = 0

    @property
    def rate(self) -> float:
        return self.responded / self.cohort if self.cohort else float("nan")


@dataclass(frozen=True)
class DomainResult:
    """One domain, before against after: the response, the pairs and their comparison."""

    domain: str
    scale: str
    items: tuple[str, ...]
    before: Response
    after: Response
    before_only: int  # a score before and none after (or no response after): reported, never tested
    after_only: int
    mean_before: float  # of the paired people only, so the difference is theirs; NaN when counts only
    mean_after: float
    mean_before_only: float
    mean_after_only: float
    comparison: PairedComparison
    level: str = DEFAULT_LEVEL
    p_t_holm: float | None = None  # Holm-adjusted across the evaluation's tested domains
    p_wilcoxon_holm: float | None = None

    @property
    def counts_only(self) -> bool:
        """Too few pairs for any statistic: the counts are shown, and no mean (ADR 23)."""
        return self.comparison.counts_only

    @property
    def paired(self) -> int:
        return self.comparison.n

    @property
    def tested(self) -> bool:
        return self.comparison.t_test is not None or self.comparison.signed_rank is not None


@dataclass(frozen=True)
class Evaluation:
    """Every domain's paired result and every item's distribution, for one before/after pair."""

    before: str
    after: str
    cohort_source: str
    domains: tuple[DomainResult, ...]
    items: tuple[ItemSummary, ...]
    rules: tuple[str, ...]


def domain_scores(survey: Survey, domain: Domain) -> np.ndarray:
    """Each respondent's domain score, NaN when fewer than half the domain's items were answered."""
    table = np.column_stack([survey.scores[item] for item in domain.items])
    answered = (~np.isnan(table)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row with no answers: its mean is NaN
        means = np.nanmean(table, axis=1)
    return np.where(answered >= domain.min_answered, means, np.nan)


def summarise_items(survey: Survey, domains: Sequence[Domain]) -> tuple[ItemSummary, ...]:
    """L1: every item's distribution of answers in one survey (session feedback, or pre and post)."""
    summaries = []
    for domain in domains:
        levels = domain.scale.labels
        for item in domain.items:
            scores = survey.scores[item]
            answered = scores[~np.isnan(scores)].astype(int)
            counts = np.bincount(answered, minlength=len(levels) + 1)[1:]
            summaries.append(
                ItemSummary(
                    survey.label,
                    domain.name,
                    item,
                    levels,
                    tuple(int(c) for c in counts),
                    int(np.isnan(scores).sum()),
                    domain.level,
                )
            )
    return tuple(summaries)


def evaluate(
    before: Survey,
    after: Survey,
    domains: Sequence[Domain],
    cohort: Sequence[str] | None = None,
    min_paired: int = MIN_PAIRED,
) -> Evaluation:
    """Each learning or behaviour domain's after-minus-before comparison over the people with a score
    in both surveys, with Holm-adjusted p-values across them; reaction domains (L1) summarised from
    the after survey only (the before survey need not carry them).

    ``cohort`` is everyone invited (for response rates); without it, everyone who answered either
    survey stands in for the cohort, and the evaluation says so."""
    if cohort is None:
        cohort_size = len(set(before.ids) | set(after.ids))
        cohort_source = "no cohort list given: the cohort is everyone who answered either survey"
    else:
        strangers = (set(before.ids) | set(after.ids)) - set(cohort)
        if strangers:
            raise ValueError(f"{len(strangers)} respondent(s) are not in the cohort (the reader names them)")
        cohort_size = len(set(cohort))
        cohort_source = "the cohort list"
    paired = [d for d in domains if d.level != "reaction"]
    results = _with_holm([_domain(before, after, d, cohort_size, min_paired) for d in paired])
    items = summarise_items(before, paired) + summarise_items(after, domains)
    rules = (
        DOMAIN_SCORE_RULE,
        LEVEL_RULE,
        "difference: after minus before, over people with a domain score in both surveys",
        COUNTS_ONLY_RULE.format(min_paired=min_paired),
        HOLM_RULE,
        f"response rates: against {cohort_source}",
    )
    return Evaluation(before.label, after.label, cohort_source, results, items, rules)


def _domain(before: Survey, after: Survey, domain: Domain, cohort: int, min_paired: int) -> DomainResult:
    score_before = dict(zip(before.ids, domain_scores(before, domain), strict=True))
    score_after = dict(zip(after.ids, domain_scores(after, domain), strict=True))
    scored_before = {i for i, s in score_before.items() if not np.isnan(s)}
    scored_after = {i for i, s in score_after.items() if not np.isnan(s)}
    pairs = sorted(scored_before & scored_after)
    x = np.array([score_after[i] for i in pairs])
    y = np.array([score_before[i] for i in pairs])
    only_before = [score_before[i] for i in sorted(scored_before - scored_after)]
    only_after = [score_after[i] for i in sorted(scored_after - scored_before)]
    comparison = compare_paired(x, y, min_paired)
    means = not comparison.counts_only  # counts only: no mean either, paired or not
    return DomainResult(
        domain=domain.name,
        scale=domain.scale.name,
        items=domain.items,
        before=Response(len(before.ids), len(scored_before), cohort, before.left_out),
        after=Response(len(after.ids), len(scored_after), cohort, after.left_out),
        before_only=len(only_before),
        after_only=len(only_after),
        mean_before=_mean(y) if means else float("nan"),
        mean_after=_mean(x) if means else float("nan"),
        mean_before_only=_mean(only_before) if means else float("nan"),
        mean_after_only=_mean(only_after) if means else float("nan"),
        comparison=comparison,
        level=domain.level,
    )


def _with_holm(results: list[DomainResult]) -> tuple[DomainResult, ...]:
    """Each result with its p-values adjusted (Holm) across the domains tested in the evaluation."""
    t = holm([r.comparison.t_test.p if r.comparison.t_test else None for r in results])
    w = holm([floored_p(r.comparison.signed_rank) if r.comparison.signed_rank else None for r in results])
    return tuple(replace(r, p_t_holm=pt, p_wilcoxon_holm=pw) for r, pt, pw in zip(results, t, w, strict=True))


def floored_p(rank: SignedRank) -> float:
    """The signed-rank p to adjust: an approximate p is never below what the exact test could give
    (``smallest_exact_p``), so neither is its Holm-adjusted value (ADR 23, addendum)."""
    return rank.p if rank.method == "exact" else max(rank.p, smallest_exact_p(rank.n_nonzero))


def _mean(values) -> float:
    values = np.asarray(values, float)
    return float(values.mean()) if values.size else float("nan")
