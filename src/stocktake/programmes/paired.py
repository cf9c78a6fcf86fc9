"""Paired pre/post statistics: paired t, Wilcoxon signed-rank and the paired effect sizes.

Each result carries the name of the convention that produced it, because tools differ (continuity
correction, what happens to zero differences, which effect size is "d") and a reader comparing our
figures with SPSS or R needs to know which one we used (ADR 23). ``x`` and ``y`` follow R's
``t.test(x, y, paired = TRUE)``: the differences are ``x - y``. Pure NumPy and SciPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Fewer paired responses than this: counts only, no test (ADR 23).
MIN_PAIRED = 5
#: R's wilcox.test: the exact distribution below this many non-zero differences (without ties).
EXACT_BELOW = 50
#: Below this many pairs a test is shown with a caution: the normal approximation is poor and the t
#: test leans on normality that so few differences cannot show (ADR 23, addendum of 3 December 2026).
CAUTION_BELOW = 10
#: Differences are rounded to this many decimals before ranking, so that answers that are equal on
#: paper (a domain mean of 10/3 against 7/3 + 1) tie as they should, whatever the float error.
RANK_DECIMALS = 9

T_CONVENTION = "paired t on x - y, two-sided; 95% CI for the mean difference from t with n - 1 df"
EXACT_CONVENTION = "exact signed-rank distribution (no ties, no zeros, fewer than 50 differences)"
APPROX_CONVENTION = (
    "normal approximation with continuity correction (0.5) and tie-corrected variance; "
    "zero differences dropped before ranking (Wilcoxon's convention, as R's wilcox.test)"
)
DZ_CONVENTION = "Cohen's d_z = mean(d) / sd(d), sd with n - 1"
GZ_CONVENTION = "Hedges' g_z = d_z x J, J = 1 - 3 / (4 df - 1), df = n - 1 (Hedges' approximation)"
HOLM_CONVENTION = (
    "Holm's step-down adjustment (R's p.adjust(p, 'holm')) across the domains tested in one "
    "evaluation, for each test separately; the raw p is shown beside it. A Wilcoxon p from the normal "
    "approximation is raised to the exact test's smallest possible p (2/2^n) before adjusting, so no "
    "adjusted p is below what an exact test could give"
)


@dataclass(frozen=True)
class PairedT:
    mean_difference: float
    ci95_low: float
    ci95_high: float
    t: float
    df: int
    p: float
    convention: str = T_CONVENTION


@dataclass(frozen=True)
class SignedRank:
    """Wilcoxon's signed-rank test; ``v`` is R's V, the sum of the ranks of the positive differences."""

    v: float
    n_nonzero: int
    zeros: int
    ties: bool
    p: float
    method: str  # "exact" or "normal approximation"
    convention: str


@dataclass(frozen=True)
class EffectSize:
    d_z: float
    g_z: float
    d_convention: str = DZ_CONVENTION
    g_convention: str = GZ_CONVENTION


@dataclass(frozen=True)
class PairedComparison:
    """Every paired statistic of one comparison; a part that cannot be computed is None, with why."""

    n: int
    t_test: PairedT | None
    signed_rank: SignedRank | None
    effect: EffectSize | None
    notes: tuple[str, ...] = ()
    counts_only: bool = False  # too few pairs for any statistic: counts shown, nothing computed


def paired_t(x, y) -> PairedT:
    """Student's paired t (SciPy's ``ttest_rel``), with the 95% confidence interval of the mean."""
    result = stats.ttest_rel(x, y)
    interval = result.confidence_interval(0.95)
    return PairedT(
        mean_difference=float(np.mean(np.asarray(x, float) - np.asarray(y, float))),
        ci95_low=float(interval.low),
        ci95_high=float(interval.high),
        t=float(result.statistic),
        df=int(result.df),
        p=float(result.pvalue),
    )


def signed_rank(x, y) -> SignedRank:
    """Wilcoxon's signed-rank test as R's ``wilcox.test(x, y, paired = TRUE)`` does it: zeros dropped,
    exact below 50 differences when nothing ties, else the corrected normal approximation."""
    differences = np.round(np.asarray(x, float) - np.asarray(y, float), RANK_DECIMALS)
    nonzero = differences[differences != 0]
    if nonzero.size == 0:
        raise ValueError("every difference is zero: the signed-rank test has nothing to rank")
    magnitudes = np.abs(nonzero)
    ties = np.unique(magnitudes).size < magnitudes.size
    zeros = int(differences.size - nonzero.size)
    exact = nonzero.size < EXACT_BELOW and not ties and zeros == 0
    result = stats.wilcoxon(
        nonzero, zero_method="wilcox", correction=not exact, method="exact" if exact else "approx"
    )
    ranks = stats.rankdata(magnitudes)
    return SignedRank(
        v=float(ranks[nonzero > 0].sum()),
        n_nonzero=int(nonzero.size),
        zeros=zeros,
        ties=bool(ties),
        p=float(result.pvalue),
        method="exact" if exact else "normal approximation",
        convention=EXACT_CONVENTION if exact else APPROX_CONVENTION,
    )


def effect_size(x, y) -> EffectSize:
    """The standardised mean difference of paired data (d_z) and its small-sample correction."""
    differences = np.asarray(x, float) - np.asarray(y, float)
    d_z = float(np.mean(differences) / np.std(differences, ddof=1))
    df = differences.size - 1
    return EffectSize(d_z=d_z, g_z=d_z * (1 - 3 / (4 * df - 1)))


def compare_paired(x, y, min_paired: int = MIN_PAIRED) -> PairedComparison:
    """All the paired statistics of ``x - y``, or counts only (and why) below ``min_paired`` pairs."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired data need two equal-length lists, not {x.shape} and {y.shape}")
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError("paired data must not hold missing values: drop unpaired responses first")
    n = int(x.size)
    if n < min_paired:
        return PairedComparison(n, None, None, None, (small_cohort_reason(n, min_paired),), counts_only=True)
    differences = x - y
    if np.std(differences, ddof=1) == 0:
        note = f"every one of the {n} differences is {differences[0]:g}: no spread, so no t or effect size"
        rank = None if differences[0] == 0 else signed_rank(x, y)
        return PairedComparison(n, None, rank, None, (note, *cautions(n, None, rank)))
    t, rank = paired_t(x, y), signed_rank(x, y)
    return PairedComparison(n, t, rank, effect_size(x, y), cautions(n, t, rank))


def smallest_exact_p(n_nonzero: int) -> float:
    """The smallest two-sided p the exact signed-rank test can give on ``n_nonzero`` differences: every
    sign the same is one pattern of 2^n, doubled for two sides (with ties too: it is still one pattern)."""
    return min(1.0, 2.0 / 2.0**n_nonzero)


def cautions(n: int, t: PairedT | None, rank: SignedRank | None) -> tuple[str, ...]:
    """What a reader of a test on fewer than ``CAUTION_BELOW`` pairs must be told beside its p."""
    said = []
    if rank is not None and rank.method != "exact" and rank.n_nonzero < CAUTION_BELOW:
        floor = smallest_exact_p(rank.n_nonzero)
        zeros = f"{rank.zeros} zero difference{'s' if rank.zeros != 1 else ''}"
        why = " and ".join(
            part for part, present in (("tied differences", rank.ties), (zeros, rank.zeros)) if present
        )
        text = (
            f"caution: {why} force the normal approximation on {rank.n_nonzero} non-zero differences, "
            f"where the exact signed-rank test could never give p below 2/2^{rank.n_nonzero} = {floor:.3g}"
        )
        if rank.p < floor:
            text += (
                f"; the approximate p ({rank.p:.3g}) is below that: read it as no smaller than {floor:.3g}"
            )
        said.append(text)
    if t is not None and n < CAUTION_BELOW:
        said.append(
            f"caution: {n} pairs are too few to check that the differences are roughly normal, "
            "which the t test's p and CI assume; read them beside the signed-rank test"
        )
    return tuple(said)


def holm(pvalues) -> tuple[float | None, ...]:
    """Holm's step-down adjusted p-values, as R's ``p.adjust(p, "holm")``: the k-th smallest of m
    multiplied by m - k + 1, made non-decreasing, capped at 1. None (no test) stays None and does not
    count in m."""
    pvalues = list(pvalues)
    given = [(i, float(p)) for i, p in enumerate(pvalues) if p is not None and not np.isnan(p)]
    adjusted: list[float | None] = [None] * len(pvalues)
    m, running = len(given), 0.0
    for k, (i, p) in enumerate(sorted(given, key=lambda pair: pair[1])):
        running = max(running, min(1.0, (m - k) * p))
        adjusted[i] = running
    return tuple(adjusted)


def small_cohort_reason(n: int, min_paired: int = MIN_PAIRED) -> str:
    return (
        f"counts only: {n} paired response{'s' if n != 1 else ''}, fewer than {min_paired}; "
        "a p-value from so few people would mislead (ADR 23)"
    )
