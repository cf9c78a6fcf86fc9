"""What-if scenarios on the weeks-waited projection: demand growth, extra theatre lists, validation.

A :class:`Scenario` changes the inputs of :func:`weeks_waited.project` and nothing else, so the
scenario with every setting at zero *is* the baseline projection, and a scenario is read beside it:

- **demand growth** (% a year): each projected month's referrals × (1 + g) ** (k / 12) in the k-th
  month after the list's month (compounding monthly; month 12 is exactly 1 + g times the baseline);
- **extra theatre lists a week**: × the department's cases per list = extra treatments a week, given
  in every projected month from the first (scaled by the month's days, as :mod:`capacity` does) to
  the longest waiters first, so that the extra lists :mod:`capacity` solves for a target reach it;
- **validation removals** (% of the list): a one-off validation exercise before the first projected
  month removes that share of everyone waiting, alike at every wait (the calibrated renege rates
  already carry the routine removals; this is the extra one-off sweep). Those removed would have left
  later anyway, most when reached for treatment: everyone else waits as in the baseline, and the list
  is lower by those removed who would still be waiting (:func:`weeks_waited.without_a_share_of_the_start`).
  A share of the list removed every month would be a higher renege rate, not modelled here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stocktake.waitinglist.capacity import extra_by_month
from stocktake.waitinglist.weeks_waited import (
    Redistribution,
    RenegeCapacityParams,
    WaitingList,
    WeeksProjection,
    project,
    without_a_share_of_the_start,
)

#: The page's slider ranges (the pure function takes any finite value inside the hard limits).
GROWTH_RANGE = (-10.0, 20.0)
LISTS_RANGE = (0.0, 30.0)
VALIDATION_RANGE = (0.0, 20.0)


class ScenarioError(ValueError):
    """A scenario that cannot be applied; the message says which setting, in a line."""


@dataclass(frozen=True)
class Scenario:
    """Demand growth (% a year), extra theatre lists a week, and a one-off validation (% of the list)."""

    demand_growth_pct: float = 0.0
    extra_lists_per_week: float = 0.0
    validation_pct: float = 0.0

    def __post_init__(self):
        for name in ("demand_growth_pct", "extra_lists_per_week", "validation_pct"):
            if not math.isfinite(getattr(self, name)):
                raise ScenarioError(f"{name.replace('_', ' ')} must be a number")
        if self.demand_growth_pct <= -100:
            raise ScenarioError(f"demand growth of {self.demand_growth_pct:g}% a year would leave no demand")
        if self.extra_lists_per_week < 0:
            raise ScenarioError("extra theatre lists a week cannot be negative")
        if not 0 <= self.validation_pct <= 100:
            raise ScenarioError(
                f"validation removals of {self.validation_pct:g}% must be 0 to 100% of the list"
            )

    @property
    def is_baseline(self) -> bool:
        return self.demand_growth_pct == 0 and self.extra_lists_per_week == 0 and self.validation_pct == 0

    def describe(self, cases_per_list: float | None = None) -> str:
        """In words: "demand +3% a year, 2 extra theatre lists a week (7.0 treatments), 5% of the list
        removed by validation, once, next month", or "no change" for the baseline."""
        if self.is_baseline:
            return "no change"
        parts = []
        if self.demand_growth_pct:
            parts.append(f"demand {self.demand_growth_pct:+g}% a year")
        if self.extra_lists_per_week:
            cases = (
                f" ({self.extra_lists_per_week * cases_per_list:.1f} treatments)" if cases_per_list else ""
            )
            lists = "list" if self.extra_lists_per_week == 1 else "lists"
            parts.append(f"{self.extra_lists_per_week:g} extra theatre {lists} a week{cases}")
        if self.validation_pct:
            parts.append(f"{self.validation_pct:g}% of the list removed by validation, once, next month")
        return ", ".join(parts)


@dataclass(frozen=True)
class ScenarioInputs:
    """The projection's inputs under a scenario (validation is applied to its projection)."""

    referrals: np.ndarray
    capacity: np.ndarray
    extra: np.ndarray
    extra_per_week: float


def scenario_inputs(
    origin: WaitingList,
    referrals,
    capacity,
    scenario: Scenario,
    cases_per_list: float | None = None,
) -> ScenarioInputs:
    """The referrals, capacity and extra treatments a scenario gives (see the module)."""
    referrals = np.asarray(referrals, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    if referrals.shape != capacity.shape or referrals.ndim != 1:
        raise ScenarioError("referrals and capacity need one value per projected month")
    if scenario.extra_lists_per_week and not (cases_per_list and cases_per_list > 0):
        raise ScenarioError(
            "extra theatre lists need the department's cases per list (no theatre history is loaded)"
        )
    months = [origin.month + k for k in range(1, len(referrals) + 1)]
    growth = (1 + scenario.demand_growth_pct / 100) ** (np.arange(1, len(referrals) + 1) / 12)
    per_week = scenario.extra_lists_per_week * (cases_per_list or 0.0)
    extra = extra_by_month(months, origin.month + 1, per_week)
    return ScenarioInputs(
        referrals if not scenario.demand_growth_pct else referrals * growth,
        capacity,
        np.asarray(extra, dtype=float),
        per_week,
    )


def apply(
    origin: WaitingList,
    referrals,
    capacity,
    params: RenegeCapacityParams,
    scenario: Scenario,
    cases_per_list: float | None = None,
    redistribution: Redistribution = "evenly",
) -> WeeksProjection:
    """The weeks-waited projection under ``scenario`` (the baseline's when every setting is zero).

    The projection's origin is the list as it stands (before any validation), so the scenario's
    table and the baseline's start from the same month-end list."""
    inputs = scenario_inputs(origin, referrals, capacity, scenario, cases_per_list)
    projected = project(origin, inputs.referrals, inputs.capacity, params, redistribution, inputs.extra)
    return without_a_share_of_the_start(projected, scenario.validation_pct / 100)


@dataclass(frozen=True)
class MonthPair:
    """One projected month under the baseline and under the scenario."""

    month: str
    waiting: tuple[float, float]
    pct_within_18_weeks: tuple[float, float]
    over_52_weeks: tuple[float, float]


def compare(baseline: WeeksProjection, scenario: WeeksProjection) -> tuple[MonthPair, ...]:
    """Month by month: (baseline, scenario) list size, % within 18 weeks and 52-week waiters."""
    if len(baseline.steps) != len(scenario.steps):
        raise ScenarioError("the baseline and the scenario must cover the same months")
    pairs = []
    for base, other in zip(baseline.steps, scenario.steps, strict=True):
        b, s = base.waiting_list.summary(), other.waiting_list.summary()
        if b.month != s.month:
            raise ScenarioError(f"month {b.month} of the baseline is {s.month} in the scenario")
        pairs.append(
            MonthPair(
                b.month,
                (b.waiting, s.waiting),
                (_pct(b), _pct(s)),
                (b.over_52_weeks, s.over_52_weeks),
            )
        )
    return tuple(pairs)


def _pct(summary) -> float:
    """An emptied list has everyone (no one) within 18 weeks, as the capacity target reads it."""
    return 100.0 if summary.waiting <= 0 else summary.pct_within_18_weeks
