"""Clinical audit compliance: cases meeting each criterion over the eligible cases, cycle by cycle.

HQIP's audit cycle: criteria with a standard (% compliance) → measure → compare → change →
re-audit. The change between the first and the latest cycle closes the loop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measured:
    eligible: int
    met: int

    def __post_init__(self):
        if self.eligible < 0 or not 0 <= self.met <= self.eligible:
            raise ValueError(f"met ({self.met}) must be between 0 and eligible ({self.eligible})")

    @property
    def percent(self) -> float | None:
        return 100 * self.met / self.eligible if self.eligible else None


@dataclass(frozen=True)
class CriterionCompliance:
    criterion: str
    target_percent: float
    by_cycle: tuple[Measured | None, ...]  # None: not measured in that cycle

    @property
    def latest(self) -> Measured | None:
        measured = [m for m in self.by_cycle if m is not None and m.eligible]
        return measured[-1] if measured else None

    @property
    def meets_standard(self) -> bool | None:
        latest = self.latest
        return None if latest is None else latest.percent >= self.target_percent

    @property
    def change(self) -> float | None:
        """Percentage points from the first measured cycle to the latest (the re-audit)."""
        measured = [m for m in self.by_cycle if m is not None and m.eligible]
        return measured[-1].percent - measured[0].percent if len(measured) > 1 else None


def overall(criteria: list[CriterionCompliance], cycle: int) -> float | None:
    """All criteria of one cycle pooled: every met check over every eligible check."""
    measured = [c.by_cycle[cycle] for c in criteria if c.by_cycle[cycle] is not None]
    eligible = sum(m.eligible for m in measured)
    return 100 * sum(m.met for m in measured) / eligible if eligible else None
