"""Is a re-audit's change more than chance? Two cycles' compliance (met over eligible) compared.

The difference in proportions (after − before) with its 95% confidence interval by Newcombe's hybrid
score method (method 10 of Newcombe 1998, Statistics in Medicine 17:873–890: the Wilson score
interval of each proportion, combined), which keeps within −1 to +1 and behaves at 0% and 100% where
the simple Wald interval does not. The two-sided p-value is the pooled two-proportion z-test (R's
``prop.test(correct = FALSE)``); when any count expected under "no change" is below 5 (Cochran's
rule) the z-test's normal approximation is poor, and Fisher's exact test (``scipy.stats``) is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

#: Below this p-value a change is called more than chance would explain.
ALPHA = 0.05
#: The least count expected in any cell under "no change" for the z-test (else Fisher's exact test).
SMALLEST_EXPECTED = 5


@dataclass(frozen=True)
class ReauditChange:
    """Compliance before and after, the change (proportions, after − before), its confidence
    interval, the two-sided p-value and which test gave it (``"z"`` or ``"fisher"``)."""

    met_before: int
    eligible_before: int
    met_after: int
    eligible_after: int
    difference: float
    low: float
    high: float
    p_value: float
    test: str
    confidence: float = 0.95

    @property
    def before(self) -> float:
        return self.met_before / self.eligible_before

    @property
    def after(self) -> float:
        return self.met_after / self.eligible_after

    @property
    def more_than_chance(self) -> bool:
        return self.p_value < ALPHA


def wilson(met: int, eligible: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of ``met``/``eligible`` (no continuity correction)."""
    p = met / eligible
    centre = (p + z * z / (2 * eligible)) / (1 + z * z / eligible)
    half = z * math.sqrt(p * (1 - p) / eligible + z * z / (4 * eligible * eligible)) / (1 + z * z / eligible)
    return max(0.0, centre - half), min(1.0, centre + half)


def _check(met: int, eligible: int, which: str) -> None:
    if eligible <= 0:
        raise ValueError(f"{which}: no eligible cases, so no compliance to compare")
    if not 0 <= met <= eligible:
        raise ValueError(f"{which}: met ({met}) must be between 0 and eligible ({eligible})")


def compare(
    met_before: int, eligible_before: int, met_after: int, eligible_after: int, *, confidence: float = 0.95
) -> ReauditChange:
    """The change from the first cycle to the second, its Newcombe (method 10) interval and p-value."""
    _check(met_before, eligible_before, "before")
    _check(met_after, eligible_after, "after")
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    p1, p2 = met_after / eligible_after, met_before / eligible_before
    l1, u1 = wilson(met_after, eligible_after, z)
    l2, u2 = wilson(met_before, eligible_before, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    p_value, test = _p_value(met_before, eligible_before, met_after, eligible_after)
    return ReauditChange(
        met_before,
        eligible_before,
        met_after,
        eligible_after,
        difference,
        low,
        high,
        p_value,
        test,
        confidence,
    )


def _p_value(met_before: int, eligible_before: int, met_after: int, eligible_after: int) -> tuple[float, str]:
    total = eligible_before + eligible_after
    pooled = (met_before + met_after) / total
    expected = [n * share for n in (eligible_before, eligible_after) for share in (pooled, 1 - pooled)]
    if min(expected) < SMALLEST_EXPECTED:
        table = [
            [met_before, eligible_before - met_before],
            [met_after, eligible_after - met_after],
        ]
        return float(stats.fisher_exact(table, alternative="two-sided").pvalue), "fisher"
    error = math.sqrt(pooled * (1 - pooled) * (1 / eligible_before + 1 / eligible_after))
    z = (met_after / eligible_after - met_before / eligible_before) / error
    return float(2 * stats.norm.sf(abs(z))), "z"


def p_text(p_value: float) -> str:
    """A p-value as people read it: two significant figures, "p < 0.001" below that."""
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.2g}"


def _points(proportion: float) -> str:
    value = round(100 * proportion)
    return "0" if value == 0 else f"{value:+d}".replace("-", "−")


def verdict(change: ReauditChange) -> str:
    """The change in plain words: "The rise from 60% to 80% is more than chance would explain (p =
    0.01; the true change is between +3 and +32 points)", or "… could be chance (…)"."""
    before, after = round(100 * change.before), round(100 * change.after)
    word = "rise" if change.difference > 0 else "fall" if change.difference < 0 else "change"
    judged = "is more than chance would explain" if change.more_than_chance else "could be chance"
    return (
        f"The {word} from {before}% to {after}% {judged} ({p_text(change.p_value)}; the true change is "
        f"between {_points(change.low)} and {_points(change.high)} points)"
    )
