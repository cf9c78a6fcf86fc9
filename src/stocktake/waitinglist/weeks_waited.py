"""The waiting list by weeks waited, moved forward month by month with removals by how long people waited.

NHSRtt (nhs-bnssg-analytics/NHSRtt) models the list as stocks by *months waited* (the calendar months
between the clock start and the month's end): each month every stock moves up one bin, the month's
referrals fill bin 0, and each bin loses a share to reneging (validation, going elsewhere) and a
share of the month's treatments. Its calibration (``calibrate_capacity_renege_params``) reads both
shares per bin from consecutive months of data; its projection (``apply_params_to_projections``)
splits a month's capacity across bins in proportion to ``capacity_param × inflow``.

The published targets are in *weeks* (18-week standard, 52/65/78-week waiters, the 92nd percentile),
so this module carries the list *by days waited* and moves it forward by each month's days: a day's
months-waited bin is exact (its clock-start month is known), and its week band is exact too. Only the
starting list is spread evenly over each week band's seven days (as NHSRtt's own month attribution
assumes). Summed by months waited, the projection is NHSRtt's (tested against :func:`project_bins`,
a direct port); read by weeks, it gives what the targets ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from stocktake.waitinglist.history import History, HistoryError, history_from_pathways
from stocktake.waitinglist.one_offs import NOT_LOOKED_FOR, one_offs, one_offs_unread, spans_said

#: Days carried one by one; anyone waiting longer sits in one open stock (over 114 weeks).
MAX_DAYS = 800
N_BANDS = 105  # the return's week bands: 0–1 … 103–104, then 104 and over
#: The open band's lower edge: a percentile read in it is "104 weeks or more", no more exactly.
OPEN_BAND_WEEKS = N_BANDS - 1
#: NHSRtt's advice: the return's bands reach 104 weeks, so 24 months is the most worth modelling.
MAX_MONTHS_WAITED = 24
Redistribution = Literal["none", "evenly", "prioritise_long_waiters"]


@dataclass(frozen=True)
class RenegeCapacityParams:
    """Per months-waited bin (0 … max, the last open): the share reneging, and the treatment weight;
    and the fewest days waited any treatment reaches, extra or present (a pathway's first weeks are its
    outpatient and diagnostic steps, which no theatre list shortens: without it enough extra lists would
    empty the list down to the patients referred that week). 0: none, NHSRtt's model exactly."""

    renege: tuple[float, ...]
    capacity: tuple[float, ...]
    soonest_extra_days: int = 0

    @property
    def max_months_waited(self) -> int:
        return len(self.renege) - 1

    def reneges_either_way(self, months_waited: np.ndarray, referrals: float) -> float:
        """Patients a month the renege rates move off the list, or onto it where a rate is below 0, each
        counted (a month of ``referrals`` into a list of ``months_waited``): returns that join up month to
        month move few either way; returns that disagree (a resubmission, a basis changed, the same
        return twice) move many both ways, however little the list's total changes."""
        inflow = _shift_up(np.asarray(months_waited, dtype=float))
        inflow[0] = referrals
        return float((np.abs(self.renege) * inflow).sum())

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "months_waited": range(len(self.renege)),
                "renege_param": self.renege,
                "capacity_param": self.capacity,
            }
        )


# --- NHSRtt, by months waited ---------------------------------------------------------------------


def calibrate(
    referrals,
    incompletes,
    completes,
    redistribute_m0_reneges: bool = True,
    allow_negative_params: bool = False,
    left_out=None,
    reneges_left_out=None,
) -> RenegeCapacityParams:
    """NHSRtt's ``calibrate_capacity_renege_params``: periods 0 … T in rows, months-waited bins in columns.

    For each period t ≥ 1 and bin m, the inflow is period t's referrals (m = 0) or what waited in bin
    m − 1 at t − 1 (the open top bin keeps its own too); reneges = inflow − treatments − still
    waiting. Negative reneges in bin 0 are taken as uncounted referrals (added to the inflow) when
    ``redistribute_m0_reneges``. Each parameter is the mean over periods of reneges ÷ inflow and
    treatments ÷ inflow. Departures from the package: a bin with no inflow in a period is left out of
    that bin's mean (the package averages its ±Inf); negative means are set to 0 unless
    ``allow_negative_params`` (the package's 0.3.0 option, here defaulting to 0). ``left_out``: one
    flag per period 1 … T whose rates are left out of the means (a one-off month, a validation sweep,
    whose reneges would otherwise be carried on as every month's; not the package's).
    ``reneges_left_out``: the same, for the renege rates alone (months the list came back in after a
    sweep, its reneges short by those who would have left then had they not been swept).
    """
    referrals = np.asarray(referrals, dtype=float)
    incompletes = np.asarray(incompletes, dtype=float)
    completes = np.asarray(completes, dtype=float)
    if incompletes.ndim != 2 or incompletes.shape != completes.shape:
        raise ValueError("incompletes and completes need the same periods × bins shape")
    if referrals.shape != (incompletes.shape[0],):
        raise ValueError("one referral count per period is needed")
    if incompletes.shape[0] < 2:
        raise ValueError("calibration needs at least two consecutive months")
    inflow = _shift_up(incompletes[:-1])
    inflow[:, 0] = referrals[1:]
    treatments = completes[1:]
    reneges = inflow - treatments - incompletes[1:]
    if redistribute_m0_reneges:
        negative = reneges[:, 0] < 0
        inflow[negative, 0] += -reneges[negative, 0]
        reneges[negative, 0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        renege = np.where(inflow > 0, reneges / inflow, np.nan)
        capacity = np.where(inflow > 0, treatments / inflow, np.nan)
    if left_out is not None:
        renege[np.asarray(left_out, dtype=bool)] = np.nan
        capacity[np.asarray(left_out, dtype=bool)] = np.nan
    if reneges_left_out is not None:
        renege[np.asarray(reneges_left_out, dtype=bool)] = np.nan
    renege_mean = _mean_ignoring_nan(renege)
    capacity_mean = _mean_ignoring_nan(capacity)
    if not allow_negative_params:
        renege_mean = np.maximum(renege_mean, 0.0)
        capacity_mean = np.maximum(capacity_mean, 0.0)
    return RenegeCapacityParams(tuple(map(float, renege_mean)), tuple(map(float, capacity_mean)))


def _mean_ignoring_nan(values: np.ndarray) -> np.ndarray:
    counted = (~np.isnan(values)).sum(axis=0)
    total = np.nansum(values, axis=0)
    return np.where(counted > 0, total / np.maximum(counted, 1), 0.0)


def _shift_up(stocks: np.ndarray) -> np.ndarray:
    """Each bin moves up one; the open top bin keeps what it had and gains the bin below."""
    shifted = np.zeros_like(stocks)
    shifted[..., 1:] = stocks[..., :-1]
    shifted[..., -1] += stocks[..., -1]
    return shifted


def redistribute(incompletes: np.ndarray, method: Redistribution) -> np.ndarray:
    """NHSRtt's ``calculate_incompletes`` tail: what to do with bins given more removals than people.

    ``evenly``: the deficit is shared equally by the bins still holding people (repeated until none
    is negative; all zero if the whole list is negative). ``prioritise_long_waiters``: the surplus
    treatments go to the longest-waiting bins first. ``none``: left negative.
    """
    counts = np.array(incompletes, dtype=float)
    if method == "none":
        return counts
    if method == "evenly":
        if counts.sum() < 0:
            return np.zeros_like(counts)
        while (counts < 0).any():
            deficit = counts[counts < 0].sum()
            counts[counts < 0] = 0.0
            positive = counts > 0
            counts[positive] += deficit / positive.sum()
        return counts
    if method == "prioritise_long_waiters":
        surplus_at = counts < 0
        surplus = total = -counts[surplus_at].sum()
        if total > 0:
            counts[surplus_at] = 0.0
            for i in range(len(counts) - 1, -1, -1):
                if counts[i] > 0 and surplus > 0:
                    treated = min(counts[i], surplus)
                    counts[i] -= treated
                    surplus -= treated
            # the package puts any surplus left back where it arose, in proportion
            counts[surplus_at] = -surplus * (np.asarray(incompletes)[surplus_at] / -total)
        return counts
    raise ValueError(f"unknown redistribution {method!r}")


def _bin_removals(inflow: np.ndarray, capacity: float, params: RenegeCapacityParams):
    """The month's reneges and treatments by bin from its inflow (``apply_params_to_projections``)."""
    renege = np.asarray(params.renege)
    weights = np.asarray(params.capacity) * inflow
    reneges = renege * inflow
    share = weights / weights.sum() if weights.sum() > 0 else np.zeros_like(weights)
    return reneges, capacity * share


def project_bins(
    incompletes,
    referrals,
    capacity,
    params: RenegeCapacityParams,
    redistribution: Redistribution = "evenly",
) -> np.ndarray:
    """NHSRtt's ``apply_params_to_projections`` by months waited: the list in each projected month."""
    stocks = np.asarray(incompletes, dtype=float)
    out = []
    for month_referrals, month_capacity in zip(referrals, capacity, strict=True):
        inflow = _shift_up(stocks)
        inflow[0] = month_referrals
        reneges, treatments = _bin_removals(inflow, float(month_capacity), params)
        stocks = redistribute(inflow - treatments - reneges, redistribution)
        out.append(stocks)
    return np.array(out)


def steady_state_by_months(referrals: float, renege_rates, service) -> tuple[np.ndarray, np.ndarray]:
    """NHSRtt's steady state (``calc_wl_sizes``) reached by running the monthly step from an empty list.

    With the same referrals every month, bin m settles after m + 1 months at what the bin below held,
    less its reneges, less its service (capped at what is there): the waiting list and the service
    actually given per bin. The top bin is closed here (those left over leave), as in the package.
    """
    renege = np.asarray(renege_rates, dtype=float)
    wanted = np.asarray(service, dtype=float)
    stocks = np.zeros_like(renege)
    given = np.zeros_like(renege)
    for _ in range(len(renege)):
        inflow = np.concatenate([[referrals], stocks[:-1]])
        remaining = inflow * (1 - renege)
        given = np.minimum(wanted, remaining)
        stocks = np.maximum(remaining - given, 0.0)
    return stocks, given


# --- the list by days waited ----------------------------------------------------------------------


def _month_end(month: pd.Period) -> np.datetime64:
    return np.datetime64(month.end_time.date(), "D")


def months_waited_of_days(month: pd.Period, max_months: int = MAX_MONTHS_WAITED) -> np.ndarray:
    """The months-waited bin at ``month``'s end of each day index 0 … MAX_DAYS (the last open).

    Days waited k means a clock start k days before the month's last day; its bin is the number of
    calendar months between that start and this month, capped at ``max_months``.
    """
    end = _month_end(month)
    starts = end - np.arange(MAX_DAYS + 1).astype("timedelta64[D]")
    start_months = starts.astype("datetime64[M]").astype(int)
    bins = end.astype("datetime64[M]").astype(int) - start_months
    bins[-1] = max_months
    return np.minimum(bins, max_months)


@dataclass(frozen=True)
class WeeksWaited:
    """What the targets ask of one month's list."""

    month: str
    waiting: float
    within_18_weeks: float
    pct_within_18_weeks: float
    p92_weeks: float
    over_52_weeks: float
    over_65_weeks: float
    over_78_weeks: float


@dataclass(frozen=True)
class WaitingList:
    """The list at a month's end by days waited (index MAX_DAYS: everyone waiting longer).

    Index k holds the waits of more than k and up to k + 1 days (a same-day start with the one-day
    waits), so week band i, indices 7i … 7i + 6, is the RTT publication's "more than i, up to i + 1
    weeks": 126 days is within 18 weeks and 364 days is not over 52, as the catalogue's measures count.
    """

    month: pd.Period
    by_day: np.ndarray = field(repr=False)

    @classmethod
    def from_week_bands(cls, month: pd.Period, bands) -> WaitingList:
        """A return's 105 week bands, each spread evenly over its seven days (104+ in the open stock)."""
        bands = np.asarray(bands, dtype=float)
        if bands.shape != (N_BANDS,):
            raise ValueError(f"expected {N_BANDS} week bands, got {bands.shape}")
        if (bands < 0).any() or not np.isfinite(bands).all():
            raise ValueError("week-band counts must be finite and 0 or more")
        by_day = np.zeros(MAX_DAYS + 1)
        by_day[: 7 * 104] = np.repeat(bands[:104] / 7, 7)
        by_day[MAX_DAYS] = bands[104]
        return cls(pd.Period(month, freq="M"), by_day)

    @classmethod
    def from_clock_starts(cls, month: pd.Period, clock_starts) -> WaitingList:
        """Patient-level: those still waiting at ``month``'s end, by their clock-start dates."""
        month = pd.Period(month, freq="M")
        days = (_month_end(month) - np.asarray(clock_starts, dtype="datetime64[D]")).astype(int)
        index = np.maximum(days[days >= 0] - 1, 0)  # up to k + 1 days at index k, as the bands count
        return cls(month, np.bincount(np.minimum(index, MAX_DAYS), minlength=MAX_DAYS + 1).astype(float))

    def week_bands(self) -> np.ndarray:
        """The list in the return's 105 week bands."""
        bands = self.by_day[: 7 * 104].reshape(104, 7).sum(axis=1)
        return np.append(bands, self.by_day[7 * 104 :].sum())

    def months_waited(self, max_months: int = MAX_MONTHS_WAITED) -> np.ndarray:
        """The list by months-waited bin (NHSRtt's stocks)."""
        bins = months_waited_of_days(self.month, max_months)
        return np.bincount(bins, weights=self.by_day, minlength=max_months + 1)

    @property
    def total(self) -> float:
        return float(self.by_day.sum())

    def summary(self) -> WeeksWaited:
        bands = self.week_bands()
        total = float(bands.sum())
        within = float(bands[:18].sum())
        return WeeksWaited(
            month=str(self.month),
            waiting=total,
            within_18_weeks=within,
            pct_within_18_weeks=100 * within / total if total > 0 else float("nan"),
            p92_weeks=percentile_weeks(bands, 0.92),
            over_52_weeks=float(bands[52:].sum()),
            over_65_weeks=float(bands[65:].sum()),
            over_78_weeks=float(bands[78:].sum()),
        )


def percentile_weeks(bands, fraction: float) -> float:
    """The wait by which ``fraction`` of the list has been waiting, read inside weekly bands.

    As the RTT publication computes its 95th percentile: rank = fraction × n, band i spans [i, i + 1)
    weeks with its patients spread evenly, value = i + (rank − those in earlier bands) ÷ those in band
    i. In the open 104+ band the answer is its lower edge, 104.
    """
    bands = np.asarray(bands, dtype=float)
    total = bands.sum()
    if total <= 0:
        return float("nan")
    rank = fraction * total
    before = np.concatenate([[0.0], np.cumsum(bands)[:-1]])
    i = int(np.searchsorted(np.cumsum(bands), rank, side="left"))
    i = min(i, len(bands) - 1)
    if i >= OPEN_BAND_WEEKS or bands[i] <= 0:
        return float(i)
    return float(i + (rank - before[i]) / bands[i])


@dataclass(frozen=True)
class MonthStep:
    """One projected month: the list at its end and what left it."""

    waiting_list: WaitingList
    referrals: float
    treatments: float
    extra_treatments: float
    reneges: float


def advance(
    waiting_list: WaitingList,
    referrals: float,
    capacity: float,
    params: RenegeCapacityParams,
    redistribution: Redistribution = "evenly",
    extra: float = 0.0,
) -> MonthStep:
    """Move the list one month: everyone waits the month's days longer, referrals arrive spread evenly
    over the month, each months-waited bin loses its reneges and its share of ``capacity`` (NHSRtt's
    rule, the bin's days losing alike), then ``extra`` treatments go to the longest waiters first.

    With ``params.soonest_extra_days`` set, a bin's treatments fall only on its days at or above that
    floor (see :func:`_treated_at_or_above_floor`); at 0 the step is NHSRtt's exactly.
    """
    month, inflow = _aged(waiting_list, referrals)
    bins = months_waited_of_days(month, params.max_months_waited)
    by_bin = np.bincount(bins, weights=inflow, minlength=params.max_months_waited + 1)
    reneges, treatments = _bin_removals(by_bin, capacity, params)
    left = redistribute(by_bin - treatments - reneges, redistribution)
    first = _first_reached(params.soonest_extra_days)
    if first == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = np.where(by_bin != 0, left / by_bin, 0.0)
        by_day = inflow * kept[bins]
        removed = by_bin.sum() - left.sum()
        renege_total = float(min(reneges.sum(), removed)) if removed > 0 else 0.0
        treated = float(removed - renege_total)
    else:
        by_day, treated, renege_total = _treated_at_or_above_floor(
            inflow, bins, by_bin - left, reneges, first
        )
    given_extra = 0.0
    if extra > 0:
        by_day, given_extra = _treat_longest_first(by_day, extra, params.soonest_extra_days)
    return MonthStep(
        WaitingList(month, by_day),
        referrals=float(referrals),
        treatments=treated,
        extra_treatments=given_extra,
        reneges=renege_total,
    )


def _aged(waiting_list: WaitingList, referrals: float) -> tuple[pd.Period, np.ndarray]:
    """The next month, and the list at its end had no one left it: everyone a month's days older and
    the month's referrals spread evenly over its days, each day's where ``from_clock_starts`` counts
    it (a start on the month's last day or the one before at index 0, on its first at days − 2: an
    outside check found every referral placed a day older, the share within 18 weeks 0.3 points low)."""
    month = waiting_list.month + 1
    days = month.days_in_month
    old = waiting_list.by_day
    inflow = np.zeros_like(old)
    inflow[days:MAX_DAYS] = old[: MAX_DAYS - days]
    inflow[MAX_DAYS] = old[MAX_DAYS - days :].sum()
    inflow[: days - 1] += referrals / days
    inflow[0] += referrals / days
    return month, inflow


def _first_reached(soonest_days: int) -> int:
    """The first day index a treatment reaches (index k holds waits of more than k, up to k + 1 days)."""
    return max(soonest_days - 1, 0)


def _treated_at_or_above_floor(
    inflow: np.ndarray, bins: np.ndarray, removed: np.ndarray, reneges: np.ndarray, first: int
) -> tuple[np.ndarray, float, float]:
    """NHSRtt's removals by bin, placed so that treatments reach no one below the floor (day ``first``).

    Without it, once the long waiters are gone the capacity NHSRtt shares by bin lands on the patients
    referred days ago (the list emptied below what a pathway's first weeks hold). Each bin's reneges
    fall on all its days alike; its treatments on its days at or above the floor only. A bin given more
    than it holds there passes the rest to the other bins' days at or above the floor (in proportion to
    what they still hold), and what no one at or above the floor is left to take goes unused. While
    every bin has people enough at or above the floor (a list in its usual state), the list by bin is
    NHSRtt's: only who inside the youngest bins is treated moves (bin 0 alone for a floor within a month).
    """
    n = len(removed)
    by_bin = np.bincount(bins, weights=inflow, minlength=n)
    renege_part = np.clip(np.minimum(reneges, removed), 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        renege_rate = np.where(by_bin > 0, renege_part / by_bin, 0.0)
    after = inflow * (1 - renege_rate[bins])
    reachable = after.copy()
    reachable[:first] = 0.0
    room = np.bincount(bins, weights=reachable, minlength=n)
    wanted = np.maximum(removed - renege_part, 0.0)
    given = np.minimum(wanted, room)
    spare, still = float((wanted - given).sum()), room - given
    if spare > 0 and still.sum() > 0:
        given += still * min(spare / still.sum(), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(room > 0, np.minimum(given / room, 1.0), 0.0)
    by_day = np.maximum(after - reachable * share[bins], 0.0)
    return by_day, float(given.sum()), float((inflow - after).sum())


def _treat_longest_first(by_day: np.ndarray, extra: float, soonest_days: int = 0) -> tuple[np.ndarray, float]:
    """Remove ``extra`` from the longest waits down (whole days, then part of the last one), reaching
    no one waiting fewer than ``soonest_days``."""
    first = _first_reached(soonest_days)
    from_longest = np.cumsum(by_day[::-1])
    reach = int(np.searchsorted(from_longest, extra, side="left"))
    out = by_day.copy()
    if reach >= len(by_day) - first:
        out[first:] = 0.0
        return out, float(by_day[first:].sum())
    cut = len(by_day) - 1 - reach  # the day where the extra runs out
    out[cut + 1 :] = 0.0
    already = from_longest[reach - 1] if reach > 0 else 0.0
    out[cut] = max(by_day[cut] - (extra - already), 0.0)
    return out, float(extra)


@dataclass(frozen=True)
class WeeksProjection:
    """The list at the origin and at the end of each projected month."""

    origin: WaitingList
    steps: tuple[MonthStep, ...]
    params: RenegeCapacityParams

    def table(self) -> pd.DataFrame:
        rows = []
        for step in self.steps:
            summary = step.waiting_list.summary()
            rows.append(
                {
                    **vars(summary),
                    "referrals": step.referrals,
                    "treatments": step.treatments + step.extra_treatments,
                    "extra_treatments": step.extra_treatments,
                    "reneges": step.reneges,
                }
            )
        return pd.DataFrame(rows)

    def at(self, month: pd.Period) -> WaitingList:
        month = pd.Period(month, freq="M")
        if month == self.origin.month:
            return self.origin
        for step in self.steps:
            if step.waiting_list.month == month:
                return step.waiting_list
        raise KeyError(f"{month} is not in the projection")


def project(
    origin: WaitingList,
    referrals,
    capacity,
    params: RenegeCapacityParams,
    redistribution: Redistribution = "evenly",
    extra=None,
) -> WeeksProjection:
    """Project month by month from ``origin`` with the given referrals, capacity and extra treatments."""
    referrals = np.asarray(referrals, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    extra = np.zeros_like(referrals) if extra is None else np.asarray(extra, dtype=float)
    if not (referrals.shape == capacity.shape == extra.shape):
        raise ValueError("referrals, capacity and extra need one value per projected month")
    if (referrals < 0).any() or (capacity < 0).any() or (extra < 0).any():
        raise ValueError("referrals, capacity and extra treatments cannot be negative")
    steps, current = [], origin
    for month_referrals, month_capacity, month_extra in zip(referrals, capacity, extra, strict=True):
        step = advance(current, month_referrals, month_capacity, params, redistribution, month_extra)
        steps.append(step)
        current = step.waiting_list
    return WeeksProjection(origin, tuple(steps), params)


def without_a_share_of_the_start(projection: WeeksProjection, share: float) -> WeeksProjection:
    """``projection`` with ``share`` of its starting list gone before the first month (a validation
    sweep), alike at every wait, everyone else waiting and treated as they were in it.

    Those a validation removes were not going to be treated (treated elsewhere, moved, no longer
    wanting it): left on the list, they would have left it later, most when reached for treatment
    (which the model, calibrated on the list as it is, counts as treated, taking no one's place), the
    rest by reneging. So the sweep takes them off now and nothing else changes: the share is followed
    through ``projection`` (each day's stock keeps what the day kept there, as the model removes alike
    within a day) and what of it would still be waiting is taken off each month; its later removals
    come off the month's treatments, extra treatments and reneges in proportion, so the list adds up.
    Three outside checks settled it: re-projecting from the smaller list gave the same treatments to
    fewer people (a 20% sweep cut the 52-week waiters from 117 to 37, as three extra lists a week
    would); letting the removed leave only by reneging took more off the long waits than the list held
    there (5% emptied them). Here the 52-week waiters fall by the share, and the gap closes as the
    months pass in which those removed would have left anyway.
    """
    if not 0 <= share <= 1:
        raise ValueError("the share of the list removed must be 0 to 1")
    gone, before, steps = share * projection.origin.by_day, projection.origin, []
    for step in projection.steps:
        _, everyone = _aged(before, step.referrals)
        _, theirs = _aged(WaitingList(before.month, gone), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = np.where(everyone > 0, step.waiting_list.by_day / everyone, 0.0)
        gone_after = theirs * np.clip(kept, 0.0, 1.0)
        removed = float(theirs.sum() - gone_after.sum())
        flows = np.array([step.treatments, step.extra_treatments, step.reneges])
        theirs_of_flows = removed * flows / flows.sum() if flows.sum() > 0 else np.zeros(3)
        steps.append(
            replace(
                step,
                waiting_list=WaitingList(
                    step.waiting_list.month, np.maximum(step.waiting_list.by_day - gone_after, 0)
                ),
                treatments=float(step.treatments - theirs_of_flows[0]),
                extra_treatments=float(step.extra_treatments - theirs_of_flows[1]),
                reneges=float(step.reneges - theirs_of_flows[2]),
            )
        )
        before, gone = step.waiting_list, gone_after
    return WeeksProjection(projection.origin, tuple(steps), projection.params)


def most_possible(projection: WeeksProjection, published_only: bool = False) -> dict[str, np.ndarray]:
    """The most each projected month's count over 52 weeks and 92nd percentile could be, given the
    projected referrals: a wait grows by the days that pass, no faster. So they are read from the list
    as it would stand had no one left it (the origin aged, the projected referrals added): over 52
    weeks only those already waiting long enough (and, past a year, the earliest referrals), and no
    percentile beyond the oldest wait's week band. An interval wider than these is no interval (an
    outside check: a list of 8 read "0 (95% interval 0 to 10)" waiting more than 52 weeks).

    Those already waiting long enough are a count of patients published nowhere else, and beside the
    counts shown (the list, its bands, the 52-week count now) it or its differences from them can be
    1–7 (an outside check: a cap of 13 beside 10 shown over 52 weeks gave 3 away). ``published_only``
    (wherever small numbers are hidden): the origin is read as its total alone, everyone in it as
    possibly waiting the longest, so the cap adds nothing to what is shown. A list from a return's
    week bands is spread evenly inside each band, so its cap is as good as that spreading."""
    kept = projection.origin
    if published_only:
        everyone_longest = np.zeros_like(kept.by_day)
        everyone_longest[MAX_DAYS] = kept.total
        kept = WaitingList(kept.month, everyone_longest)
    most: dict[str, list[float]] = {"over_52_weeks": [], "p92_weeks": []}
    for step in projection.steps:
        kept = WaitingList(*_aged(kept, step.referrals))
        bands = kept.week_bands()
        most["over_52_weeks"].append(float(bands[52:].sum()))
        filled = np.flatnonzero(bands > 0)
        most["p92_weeks"].append(float(min(filled[-1] + 1, N_BANDS - 1)) if filled.size else 0.0)
    return {figure: np.array(values) for figure, values in most.items()}


# --- calibration from the data a trust holds ------------------------------------------------------


def single_month_params(
    incomplete_bands, completed_bands, month: pd.Period, max_months: int = MAX_MONTHS_WAITED
) -> RenegeCapacityParams:
    """Parameters from one return only, when no earlier month is at hand (a stated approximation).

    Without last month's list the inflow to each bin is not known; taking it as this month's list plus
    this month's completions (no reneging) gives treatment shares completions ÷ (list + completions)
    and renege rates of 0. :func:`calibrate` on consecutive returns replaces it.
    """
    incompletes = WaitingList.from_week_bands(month, incomplete_bands).months_waited(max_months)
    completes = WaitingList.from_week_bands(month, completed_bands).months_waited(max_months)
    inflow = incompletes + completes
    with np.errstate(divide="ignore", invalid="ignore"):
        capacity = np.where(inflow > 0, completes / inflow, 0.0)
    return RenegeCapacityParams(tuple(0.0 for _ in capacity), tuple(map(float, capacity)))


#: A renege rate below 0 is kept only in a bin averaging at least this many patients flowing in a month
#: (ADR 69): in a sparse bin it is noise, and a month on it moves a few patients by a large share.
NEGATIVE_RATES_FROM = 30


@dataclass(frozen=True)
class MonthlyBins:
    """Consecutive months of referrals and, by months-waited bin, the list and the completions."""

    months: tuple[pd.Period, ...]
    referrals: np.ndarray
    incompletes: np.ndarray
    completes: np.ndarray

    def first(self, months: int) -> MonthlyBins:
        """The first ``months`` months alone."""
        return MonthlyBins(
            self.months[:months], self.referrals[:months], self.incompletes[:months], self.completes[:months]
        )

    def calibrate(self, one_offs: OneOffMonths | None = None) -> RenegeCapacityParams:
        """NHSRtt's calibration on these months, the ``one_offs`` among them left out of its means and
        the months the list came back in after a sweep out of its renege means (while some are left).

        A bin's negative renege rate (more in it than flowed in and stayed: a pathway's clock adjusted,
        a return's counts not quite joining up) is kept, not set to 0 (ADR 69): floored, those patients
        were lost from the list every month, and Dorset County's real return, the same every month,
        was projected to lose two thirds of its T&O list in a year. Not in a bin averaging fewer than
        :data:`NEGATIVE_RATES_FROM` patients flowing in a month, where a rate is noise (a recheck's list
        of 216 grew to 1,095 in a year on them), nor in the open top bin, which keeps its own and would
        compound it month on month: those bins share one rate, their reneges over the months read
        divided by their inflow, at least 0. Each flooring its own, noise only ever raised reneges (a
        return's week bands read as calendar months move patients between neighbouring bins), and lists
        fed 10 referrals a month were projected 12% low (ADR 69 addendum, 2026-12-07)."""
        one_offs = one_offs or OneOffMonths()
        months = self.months[1:]
        left_out = [m in one_offs.left_out for m in months]
        reneges = [m in one_offs.left_out or m in one_offs.came_back for m in months]
        params = calibrate(
            self.referrals,
            self.incompletes,
            self.completes,
            left_out=left_out if any(left_out) else None,
            reneges_left_out=reneges if any(reneges) and not all(reneges) else None,
            allow_negative_params=True,
        )
        read = ~np.array(reneges) if not all(reneges) else np.ones(len(reneges), dtype=bool)  # as above
        return replace(params, renege=_sparse_bins_shared(self, np.asarray(params.renege), read))


def _sparse_bins_shared(bins: MonthlyBins, renege: np.ndarray, read: np.ndarray) -> tuple[float, ...]:
    """``renege`` with the sparse bins and the open top bin given one shared rate: their reneges over
    the months ``read`` divided by their inflow, at least 0 (:meth:`MonthlyBins.calibrate`)."""
    flows = _shift_up(bins.incompletes[:-1])
    flows[:, 0] = bins.referrals[1:]
    sparse = flows.mean(axis=0) < NEGATIVE_RATES_FROM
    sparse[0], sparse[-1] = False, True  # referrals keep their own; the open top bin never does
    gone = flows - bins.completes[1:] - bins.incompletes[1:]
    into = flows[read][:, sparse].sum()
    shared = max(gone[read][:, sparse].sum() / into, 0.0) if into > 0 else 0.0
    return tuple(map(float, np.where(sparse, shared, renege)))


def bins_from_pathways(
    clock_starts, clock_stops, treated, first: pd.Period, last: pd.Period, max_months: int = MAX_MONTHS_WAITED
) -> MonthlyBins:
    """Monthly stocks and flows from patient-level pathways (the warehouse's ``rtt_pathways``).

    Referrals are clock starts in the month; the list is those started by its end and not stopped;
    completions are the treated whose clock stopped in the month, by their months waited at the
    stop. Pathways removed without treatment are left for the calibration to find as reneges.
    """
    starts = np.asarray(clock_starts, dtype="datetime64[D]")
    stops = np.asarray(clock_stops, dtype="datetime64[D]")
    treated = np.asarray(treated, dtype=bool)
    months = tuple(pd.period_range(first, last, freq="M"))
    start_month = starts.astype("datetime64[M]").astype(int)
    stop_month = np.where(np.isnat(stops), np.iinfo(np.int64).max, stops.astype("datetime64[M]").astype(int))
    referrals, incompletes, completes = [], [], []
    for month in months:
        index = np.datetime64(month.start_time.date(), "M").astype(int)
        referrals.append(float((start_month == index).sum()))
        waiting = (start_month <= index) & (stop_month > index)
        incompletes.append(
            np.bincount(np.minimum(index - start_month[waiting], max_months), minlength=max_months + 1)
        )
        done = treated & (stop_month == index)
        completes.append(
            np.bincount(np.minimum(index - start_month[done], max_months), minlength=max_months + 1)
        )
    return MonthlyBins(months, np.array(referrals), np.array(incompletes, float), np.array(completes, float))


# --- from patient-level pathways --------------------------------------------------------------------

#: Months of flows averaged for the weeks-waited projection.
FLOW_MONTHS = 12


def list_month(starts: np.ndarray, stops: np.ndarray, as_of: pd.Period | None = None) -> pd.Period:
    """The last month the pathways cover to its last day (or ``as_of``, if earlier)."""
    latest = (
        starts.max() if not (~np.isnat(stops)).any() else max(starts.max(), stops[~np.isnat(stops)].max())
    )
    last_day = pd.Timestamp(latest)
    last = pd.Period(last_day, freq="M")
    if last_day != last.end_time.normalize():
        last -= 1
    return min(last, as_of) if as_of is not None else last


def soonest_treatment_days(starts, stops, treated, first: pd.Period, last: pd.Period) -> int:
    """Days from clock start to treatment of the quickest tenth of those treated from ``first`` to
    ``last`` (0 when none was): the soonest extra treatments are taken to reach."""
    stopped_in = (stops >= np.datetime64(first.start_time.date(), "D")) & (
        stops <= np.datetime64(last.end_time.date(), "D")
    )
    waits = (stops - starts)[treated & stopped_in & ~np.isnat(stops)].astype(int)
    return int(np.percentile(waits, 10)) if waits.size else 0


def weeks_inputs(
    pathways: pd.DataFrame, last: pd.Period
) -> tuple[WaitingList, RenegeCapacityParams, float, float, str]:
    """The list at ``last``'s end, NHSRtt's calibration on the months before it, the referrals and
    treatments a month averaged over them (this page and ``stocktake waitinglist weeks --warehouse``)."""
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    first = _first_month(starts, last)
    treated = (pathways["status"] == "treated").to_numpy()
    bins = bins_from_pathways(starts, stops, treated, first, last)
    one_offs = _one_off_months(pathways, bins.months[1:])
    try:
        params = bins.calibrate(one_offs)
    except ValueError as error:
        raise ValueError(f"rtt_pathways cannot be calibrated: {error}") from None
    soonest = soonest_treatment_days(starts, stops, treated, first, last)
    params = replace(params, soonest_extra_days=soonest)
    waiting = np.isnat(stops) | (stops > np.datetime64(last.end_time.date(), "D"))
    origin = WaitingList.from_clock_starts(last, starts[waiting])
    how = (
        f"NHSRtt calibration on the warehouse's rtt_pathways, {bins.months[0]} to {bins.months[-1]}"
        f"{one_offs.words()}; treatments, present or extra, reach no one waiting under "
        f"{soonest / 7:.0f} weeks (the quickest tenth treated then)"
    )
    return (
        origin,
        params,
        float(bins.referrals[1:].mean()),
        float(bins.completes[1:].sum(axis=1).mean()),
        how,
    )


def monthly_flows(pathways: pd.DataFrame, last: pd.Period) -> tuple[np.ndarray, np.ndarray]:
    """Referrals and treatments in each month :func:`weeks_inputs` averages over, as it counts them:
    the flows compared for a change within the year (``flow_change``)."""
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    treated = (pathways["status"] == "treated").to_numpy()
    bins = bins_from_pathways(starts, stops, treated, _first_month(starts, last), last)
    return bins.referrals[1:].astype(float), bins.completes[1:].sum(axis=1)


def _first_month(starts: np.ndarray, last: pd.Period) -> pd.Period:
    """The month before the first whose flows are read: a year before ``last``, or later where the
    pathways are too recent for every months-waited bin to be filled."""
    first = max(pd.Period(pd.Timestamp(starts.min()), freq="M") + MAX_MONTHS_WAITED, last - FLOW_MONTHS)
    return last - 2 if (last - first).n < 2 else first


@dataclass(frozen=True)
class OneOffMonths:
    """What a calibration leaves out for the list projection's one-offs (``one_offs.one_offs``), so
    that its renege rates carry on neither a sweep nor the list's return after it as every month's."""

    #: Months read as one-offs (a validation sweep, a transfer): their rates left out of the means.
    left_out: tuple[pd.Period, ...] = ()
    #: Months the list came back in after a sweep (``OneOff.returned``): left out of the renege means.
    came_back: tuple[pd.Period, ...] = ()
    #: Why months were not read for one-offs (``one_offs.one_offs_unread``), or None.
    unread: str | None = None
    #: Those of ``left_out`` that look misreported (``OneOff.misreported``): a month and the next back.
    misreported: tuple[pd.Period, ...] = ()

    def words(self) -> str:
        """ ", September 2024 left out (…)" for each month left out, and the rest, or ""."""
        one_off = "(a one-off: a validation sweep or a transfer, not a usual month)"
        misreported = (
            "(the list moved and the next month moved back about as far: a return that looks misreported)"
        )
        said = "".join(
            f", {m.strftime('%B %Y')} left out {misreported if m in self.misreported else one_off}"
            for m in self.left_out
        )
        if self.came_back:
            months = spans_said(list(self.came_back))
            said += f", the reneges of {months} left out (the list coming back after a sweep)"
        return said + (f"; {self.unread}" if self.unread else "")


def one_off_months(months, waiting, clock_starts, clock_stops, within: tuple[pd.Period, ...]) -> OneOffMonths:
    """What a calibration on the months ``within`` leaves out for the list projection's one-offs (a
    month's other removals far beyond their usual count) and the return after them, and which months
    could not be read. From the list's monthly counts (NaN where a month's are not known), a year of
    them at least (fewer than the projection needs)."""
    history = History(
        pd.PeriodIndex(months, freq="M"),
        np.asarray(waiting, dtype=float),
        np.asarray(clock_starts, dtype=float),
        {"clock_stops": np.asarray(clock_stops, dtype=float)},
    )
    found = one_offs(history)
    came_back = sorted({month for o in found for month in o.came_back})
    return OneOffMonths(
        tuple(o.month for o in found if o.month in within),
        tuple(m for m in came_back if m in within),
        one_offs_unread(history),
        tuple(o.month for o in found if o.misreported and o.month in within),
    )


def _one_off_months(pathways: pd.DataFrame, within: tuple[pd.Period, ...]) -> OneOffMonths:
    """:func:`one_off_months` of the pathways' own monthly history."""
    try:
        table = history_from_pathways(pathways)
    except HistoryError as error:
        return OneOffMonths(unread=f"{NOT_LOOKED_FOR}: {error}")
    return one_off_months(
        table["month"], table["waiting"], table["clock_starts"], table["clock_stops"], within
    )


def as_at(pathways: pd.DataFrame, month: pd.Period) -> pd.DataFrame:
    """The pathways as they stood at ``month``'s end: later clock starts gone, later stops undone."""
    end = month.end_time.normalize()
    kept = pathways[pd.to_datetime(pathways["clock_start"]) <= end].copy()
    later = pd.to_datetime(kept["clock_stop"]) > end
    kept.loc[later, "clock_stop"] = pd.NaT
    kept.loc[later, "status"] = "waiting"
    kept["clock_stop"] = pd.to_datetime(kept["clock_stop"])
    return kept.reset_index(drop=True)


# --- the projection's own errors -------------------------------------------------------------------


#: The weeks-waited projection's figures its own backtest tests (``backtest_weeks``), each given a 95%
#: interval: the count waiting more than 52 weeks, the share within 18 weeks and the 92nd percentile.
TESTED = ("over_52_weeks", "pct_within_18_weeks", "p92_weeks")


def backtest_weeks(
    pathways: pd.DataFrame,
    last: pd.Period,
    horizon: int,
    origins: int = 24,
    redistribution: Redistribution = "evenly",
) -> dict[str, np.ndarray]:
    """The weeks-waited projection's errors in each :data:`TESTED` figure (actual − projected),
    origins × months ahead, NaN where not yet known: from each of the ``origins`` months before
    ``last`` the pathways as they stood then are calibrated and projected at their flows, as the page
    projects from ``last``, and set beside the list those pathways show later. An origin that cannot
    be calibrated (too little before it) is left out, and so is one whose pathways span fewer than the
    model's ``MAX_MONTHS_WAITED`` months: its list could not yet hold the long waits the figures are
    about, so its errors in them were 0 by construction, not a test (an outside check: a history of
    ten months gave "774 (95% interval 774 to 774)" waiting more than 52 weeks)."""
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    spanned = pd.Period(pd.Timestamp(starts.min()), freq="M") + MAX_MONTHS_WAITED

    def actual(month: pd.Period) -> WeeksWaited:
        end = np.datetime64(month.end_time.date(), "D")
        waiting = (starts <= end) & (np.isnat(stops) | (stops > end))
        return WaitingList.from_clock_starts(month, starts[waiting]).summary()

    # each month's list counted once, though up to ``horizon`` origins are set beside it
    actuals = {month: actual(month) for month in pd.period_range(last - origins + 1, last, freq="M")}
    errors = {name: np.full((origins, horizon), np.nan) for name in TESTED}
    for row, origin in enumerate(last - k for k in range(origins, 0, -1)):
        if origin < spanned:
            continue
        try:
            start, params, referrals, capacity, _ = weeks_inputs(as_at(pathways, origin), origin)
        except ValueError:
            continue
        ahead = min(horizon, (last - origin).n)
        steps = project(start, [referrals] * ahead, [capacity] * ahead, params, redistribution).steps
        for h, step in enumerate(steps):
            came, projected = actuals[step.waiting_list.month], step.waiting_list.summary()
            for name in TESTED:
                errors[name][row, h] = getattr(came, name) - getattr(projected, name)
    return errors
