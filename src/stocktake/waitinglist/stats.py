"""Waiting-list statistics from queueing theory, at parity with NHSRwaitinglist (commit 0d85b69).

A waiting list is a queue: referrals arrive, removals (treatments, validations) leave. From the
dates alone we get weekly demand and capacity with the coefficients of variation of the times
between them, the queue size day by day, the mean wait of those still waiting, and from those the
target queue size (Little's law), the relief capacity that clears an oversized queue, the target
capacity that holds a target wait (Kingman / Pollaczek–Khinchine), the load and the pressure.

The package has quirks (ADR 0019). Stocktake follows it where it is a method and departs where it is
a slip, and every departure can be switched back through :class:`Convention` so parity is tested:

- ``NHSRWAITINGLIST`` reproduces every expected value of the package: the mean wait in *days*
  (documented as weeks, so pressure mixes days with a target in weeks); arrivals padded with the
  window's start and end dates (a referral count one more than the referrals, zero-length intervals
  in the variation); removals counted whether or not they fall in the window, against a queue taken
  over every referral, a removal that empties the queue measured from that same day (an interval of
  0). One slip is not reproduced: its mean wait counts pathways referred after the window's end
  (:func:`mean_wait`).
- ``STOCKTAKE`` (the default): the mean wait in weeks, demand = referrals in the window ÷ its
  length with the variation of the gaps between referrals, and only removals in the window, each
  measured from the previous removal, the window's start or the last day the queue stood empty.

Dates are NumPy ``datetime64[D]`` arrays; a removal not yet made is ``NaT``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Little's law with the wait distribution NHSRwaitinglist assumes: a target met by 9 in 10 patients
#: when the mean wait is a quarter of it (the package's ``factor``).
TARGET_FACTOR = 4.0
#: Weeks in which relief capacity should bring an oversized queue down to its target (package default).
WEEKS_TO_TARGET = 26.0


@dataclass(frozen=True)
class Convention:
    """How the statistics treat the package's quirks (see the module docstring)."""

    name: str
    pad_arrivals: bool
    mean_wait_in_days: bool
    removals_from_whole_list: bool


STOCKTAKE = Convention(
    "stocktake", pad_arrivals=False, mean_wait_in_days=False, removals_from_whole_list=False
)
NHSRWAITINGLIST = Convention(
    "nhsrwaitinglist", pad_arrivals=True, mean_wait_in_days=True, removals_from_whole_list=True
)


@dataclass(frozen=True)
class PriorityTarget:
    """A clinical priority's target time to treatment, with where it comes from."""

    priority: str
    target_days: int
    meaning: str

    @property
    def target_weeks(self) -> float:
        return self.target_days / 7


#: NHSRwaitinglist's ``calc_priority_to_target`` (7, 28, 84, 365 days), which follows the Federation
#: of Surgical Specialty Associations' clinical prioritisation (2020): P2 within a month, P3 within
#: three months, P4 may wait longer than three months; P1 (urgent, within 72 hours to a month) at a week.
PRIORITY_SOURCE = "NHSRwaitinglist calc_priority_to_target; FSSA clinical prioritisation programme (2020)"
PRIORITY_TARGETS: dict[str, PriorityTarget] = {
    p.priority: p
    for p in (
        PriorityTarget("P1", 7, "emergency or urgent: within 72 hours to a month"),
        PriorityTarget("P2", 28, "within one month"),
        PriorityTarget("P3", 84, "within three months"),
        PriorityTarget("P4", 365, "can wait longer than three months"),
        # a decision to admit, treatment deferred at the patient's choice: no clinical target, so the
        # package's 365 days for any priority but P1-P3 (ADR 63)
        PriorityTarget("P5", 365, "deferred at the patient's choice (COVID-19 concerns); no clinical target"),
        PriorityTarget("P6", 365, "deferred at the patient's choice (other reasons); no clinical target"),
    )
}
#: Priorities with a decision to admit whose treatment the patient has chosen to defer (FSSA P5, P6):
#: held to the package's 365 days in the statistics, not booked by the theatre plan (ADR 63).
DEFERRED = ("P5", "P6")


@dataclass(frozen=True)
class FlowStats:
    """Arrivals to or removals from the list: mean per week and per day, variation of the gaps, count."""

    weekly: float
    daily: float
    cv: float
    count: int


@dataclass(frozen=True)
class WaitingListStats:
    """The package's ``wl_stats`` row: weekly rates, queue sizes, waits and the capacities they imply."""

    mean_demand: float
    mean_capacity: float
    load: float
    load_too_big: bool | None
    count_demand: int
    #: Removals in the window: a count of patients too, hidden when small as the others are.
    count_capacity: int
    queue_size: int
    target_queue_size: float
    queue_too_big: bool
    mean_wait: float
    cv_arrival: float
    cv_removal: float
    target_capacity: float
    relief_capacity: float
    pressure: float
    target_weeks: float
    convention: str
    #: The window the statistics are over (ISO dates), so a table of them says what it covers.
    window_start: str = ""
    window_end: str = ""


# --- the formulas (each the package's calc_* function) ---------------------------------------------


#: The window of statistics read from the warehouse (the web page, the board report and
#: ``waitinglist stats`` without --start): the year to the list's date, demand and capacity as they
#: are now rather than averaged over every year the extract holds.
RECENT_DAYS = 364


def target_mean_wait(target_wait: float, factor: float = TARGET_FACTOR) -> float:
    """The mean wait that meets ``target_wait`` for most patients: target ÷ factor."""
    return target_wait / factor


def target_queue_size(demand: float, target_wait: float, factor: float = TARGET_FACTOR) -> float:
    """Little's law: the queue that gives the target mean wait at this demand (same time units)."""
    return demand * target_wait / factor


def queue_load(demand: float, capacity: float) -> float:
    """Demand ÷ capacity: at 1 or more the queue grows without end."""
    return demand / capacity if capacity else float("nan")


def relief_capacity(
    demand: float, queue_size: float, target_queue_size: float, time_to_target: float = WEEKS_TO_TARGET
) -> float:
    """Capacity that brings the queue down to its target in ``time_to_target`` steps while meeting demand."""
    return demand + (queue_size - target_queue_size) / time_to_target


def target_capacity(
    demand: float,
    target_wait: float,
    factor: float = TARGET_FACTOR,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
) -> float:
    """Kingman / Pollaczek–Khinchine: capacity holding the target wait given both flows' variation."""
    return demand + ((cv_demand**2 + cv_capacity**2) / 2) * (factor / target_wait)


def waiting_list_pressure(mean_wait: float, target_wait: float) -> float:
    """2 × mean wait ÷ target: above 1 the list is under pressure (the target is missed)."""
    return 2 * mean_wait / target_wait


# --- from dates ------------------------------------------------------------------------------------


def _days(dates) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]")


def _window(referrals: np.ndarray, start, end) -> tuple[np.datetime64, np.datetime64]:
    """The package's default window: the first to the last referral."""
    start = np.datetime64(start, "D") if start is not None else referrals.min()
    end = np.datetime64(end, "D") if end is not None else referrals.max()
    return start, end


#: The shortest window the statistics are given for: they are rates and waits per week.
SHORTEST_WINDOW_DAYS = 7


class WindowError(ValueError):
    """A window the statistics cannot be given for; the message is one line saying why."""


def _check_length(start: np.datetime64, end: np.datetime64, pathways: str = "") -> None:
    """Refuse a window that ends before it starts or is shorter than a week."""
    if end < start:
        raise WindowError(
            f"the window {start} to {end} ends before it starts, so no pathway is in it{pathways}"
        )
    days = int((end - start).astype(int))
    if days < SHORTEST_WINDOW_DAYS:
        raise WindowError(
            f"the window {start} to {end} is {days} day{'' if days == 1 else 's'} long; the statistics are "
            f"per week (demand and capacity a week, waits in weeks), so give a window of at least "
            f"{SHORTEST_WINDOW_DAYS} days"
        )


def check_window(referrals, removals, start=None, end=None) -> tuple[np.datetime64, np.datetime64]:
    """The window (the package's default where not given), refused if no pathway is in it.

    A pathway is in the window when it was referred by its end and not removed before its start.
    Without one, or in a window that ends before it starts (IndexError before) or is shorter than a
    week (a capacity of ∞, a negative wait before), every statistic would be empty or absurd.
    """
    referrals, removals = _days(referrals), _days(removals)
    if referrals.size == 0:
        raise WindowError("the waiting list has no pathways")
    start, end = _window(referrals, start, end)
    dates = np.concatenate([referrals, removals[~np.isnat(removals)]])
    pathways = f"; the pathways run from {dates.min()} to {dates.max()}"
    _check_length(start, end, pathways)
    inside = (referrals <= end) & (np.isnat(removals) | (removals >= start))
    if not inside.any():
        raise WindowError(f"no pathway in the window {start} to {end}{pathways}")
    return start, end


def queue_size(referrals, removals, start=None, end=None) -> pd.DataFrame:
    """The number waiting at the end of each day of the window (``wl_queue_size``).

    Referrals before the window count from its first day, unless they were removed before it (they
    were not waiting then: the package counts them for ever, which only shows when a window starts
    after the first referral); removals after the window are ignored, as in the package (whose table
    assignment misaligns when referrals fall after the window; here they are simply not counted).
    """
    referrals, removals = _days(referrals), _days(removals)
    if referrals.size == 0:
        raise ValueError("the waiting list has no pathways")
    start, end = _window(referrals, start, end)
    dates, counts = _queue_counts(referrals, removals, start, end)
    return pd.DataFrame({"date": dates, "queue_size": counts})


def _queue_counts(referrals, removals, start, end) -> tuple[np.ndarray, np.ndarray]:
    """:func:`queue_size` as two arrays (days, counts): no frame, for the many groups of a national list."""
    dates = np.arange(start, end + 1)
    gone = ~np.isnat(removals) & (removals < start)
    arrivals = np.maximum(referrals[~gone], start)
    arrived = np.searchsorted(np.sort(arrivals), dates, side="right")
    inside = removals[~np.isnat(removals) & (removals >= start) & (removals <= end)]
    left = np.searchsorted(np.sort(inside), dates, side="right")
    return dates, arrived - left


def referral_stats(referrals, start=None, end=None, convention: Convention = STOCKTAKE) -> FlowStats:
    """Demand: referrals per week and per day and the variation of the times between them."""
    referrals = _days(referrals)
    start, end = _window(referrals, start, end)
    inside = np.sort(referrals[(referrals >= start) & (referrals <= end)])
    if convention.pad_arrivals:
        gaps = np.diff(np.concatenate([[start], inside, [end]])).astype(float)
        mean = gaps.mean() if gaps.size else float("nan")
        return FlowStats(7 / mean, 1 / mean, _cv(gaps), int(gaps.size))
    length = float((end - start).astype(int))
    gaps = np.diff(inside).astype(float)
    daily = inside.size / length if length > 0 else float("nan")
    return FlowStats(7 * daily, daily, _cv(gaps), int(inside.size))


def removal_stats(referrals, removals, start=None, end=None, convention: Convention = STOCKTAKE) -> FlowStats:
    """Capacity: removals per week and per day, from the times between removals while anyone waited."""
    referrals, removals = _days(referrals), _days(removals)
    start, end = _window(referrals, start, end)
    made = np.sort(removals[~np.isnat(removals)])
    if convention.removals_from_whole_list:
        # over every referral, not the window (as the package)
        days, counts = _queue_counts(referrals, removals, *_window(referrals, None, None))
    else:
        made = made[(made >= start) & (made <= end)]
        days, counts = _queue_counts(referrals, removals, start, end)
    empty = days[counts == 0]
    # Events in date order; on one day the package puts an empty queue before a removal, Stocktake after.
    # Each removal's interval runs from the event before it (a removal, an empty day or the start).
    empty_first = 0 if convention.removals_from_whole_list else 1
    when = np.concatenate([empty, made])
    is_removal = np.r_[np.zeros(empty.size, dtype=bool), np.ones(made.size, dtype=bool)]
    rank = np.where(is_removal, 1 - empty_first, empty_first)
    order = np.lexsort((is_removal, rank, when))
    when, is_removal = when[order], is_removal[order]
    previous = np.concatenate([[start], when[:-1]]).astype(when.dtype)
    gaps = (when - previous)[is_removal].astype(int).astype(float)
    if gaps.size == 0:
        return FlowStats(float("nan"), float("nan"), float("nan"), 0)
    mean = np.float64(gaps.mean())  # 0 when every removal empties the queue: the package's Inf
    # One interval has no spread: the package calls that 0, Stocktake says it is not known.
    cv = (0.0 if convention.removals_from_whole_list else float("nan")) if gaps.size == 1 else _cv(gaps)
    with np.errstate(divide="ignore"):
        return FlowStats(float(7 / mean), float(1 / mean), cv, int(gaps.size))


def _cv(values: np.ndarray) -> float:
    """Sample standard deviation ÷ mean (R's ``sd``), NaN with fewer than two values."""
    if values.size < 2 or values.mean() == 0:
        return float("nan")
    return float(values.std(ddof=1) / values.mean())


def mean_wait(referrals, removals, end, in_days: bool = False) -> float:
    """Mean time waited so far, at ``end``, by those referred by then and not yet removed.

    The package's ``wl_stats`` selects ``removal > end | is.na(removal) & referral <= end``, which R groups as
    ``removal > end | (is.na(removal) & referral <= end)``: a pathway referred *after* the window and
    removed later still counts, with a negative wait. No expected value of the package shows it (its
    default window ends at the last referral); both conventions here count only those waiting at ``end``.
    """
    referrals, removals = _days(referrals), _days(removals)
    end = np.datetime64(end, "D")
    waiting = (referrals <= end) & (np.isnat(removals) | (removals > end))
    days = (end - referrals[waiting]).astype(float)
    value = days.mean() if days.size else float("nan")
    return value if in_days else value / 7


def waiting_list_stats(
    referrals,
    removals,
    target_weeks: float = 4.0,
    start=None,
    end=None,
    convention: Convention = STOCKTAKE,
) -> WaitingListStats:
    """Every statistic of ``wl_stats`` for one list, demand and capacity per week, targets in weeks."""
    referrals, removals = _days(referrals), _days(removals)
    if referrals.size == 0:
        raise ValueError("the waiting list has no pathways")
    start, end = _window(referrals, start, end)
    _check_length(start, end)
    demand = referral_stats(referrals, start, end, convention)
    capacity = removal_stats(referrals, removals, start, end, convention)
    load = queue_load(demand.weekly, capacity.weekly)
    size = int(_queue_counts(referrals, removals, start, end)[1][-1])
    target_size = target_queue_size(demand.weekly, target_weeks)
    too_big = bool(size > 2 * target_size)
    waited = mean_wait(referrals, removals, end, in_days=convention.mean_wait_in_days)
    return WaitingListStats(
        mean_demand=demand.weekly,
        mean_capacity=capacity.weekly,
        load=load,
        load_too_big=None if np.isnan(load) else bool(load >= 1),
        count_demand=demand.count,
        count_capacity=capacity.count,
        queue_size=size,
        target_queue_size=target_size,
        queue_too_big=too_big,
        mean_wait=waited,
        cv_arrival=demand.cv,
        cv_removal=capacity.cv,
        # The package gives target capacity for a queue of a healthy size and relief capacity for an
        # oversized one (more than twice its target), never both: a method, followed.
        target_capacity=float("nan")
        if too_big
        else target_capacity(demand.weekly, target_weeks, TARGET_FACTOR, demand.cv, capacity.cv),
        relief_capacity=relief_capacity(demand.weekly, size, target_size) if too_big else float("nan"),
        pressure=waiting_list_pressure(waited, target_weeks),
        target_weeks=target_weeks,
        convention=convention.name,
        window_start=str(start),
        window_end=str(end),
    )


#: Said under grouped statistics: the command's table and CSV are the analyst's own (as `stocktake spc`
#: and `metrics --no-suppress` are); what leaves the department goes through the page or the report.
NOT_SUPPRESSED = (
    "groups of 1-7 pathways are not suppressed here (--no-suppress): the table is for use inside the trust"
)
SUPPRESSED = (
    "groups with 1-7 referrals or waiting (and one that would give such a group away) are blanked "
    "and flagged in the suppressed column; --no-suppress shows them, for use inside the trust"
)


def window_note(
    window_start: str, window_end: str, from_warehouse: bool, start_given: bool, end_given: bool
) -> str:
    """The footnote naming the window the statistics are over, and why it is that window."""
    if from_warehouse and not start_given:
        to = "--end" if end_given else "the end of the list's last complete month, as the page counts it"
        return (
            f"statistics over the year to {to}, {window_start} to {window_end} (--start for another window)"
        )
    if start_given:
        why = "" if end_given or from_warehouse else " (to the last clock start; --end for another)"
    elif end_given:
        why = " (from the first clock start; --start for another)"
    else:
        why = " (the first to the last clock start, NHSRwaitinglist's default; --start and --end for another)"
    return f"statistics over {window_start} to {window_end}{why}"


def stats_by_group(
    pathways: pd.DataFrame,
    by: str | None,
    target_weeks: float,
    start=None,
    end=None,
    convention: Convention = STOCKTAKE,
) -> list[tuple[str, WaitingListStats]]:
    """``waiting_list_stats`` for the whole list (``by`` None) or each value of a column.

    ``pathways`` has ``clock_start`` and ``clock_stop`` (blank while waiting). Grouped by priority,
    each priority is held to its own target (:data:`PRIORITY_TARGETS`), not ``target_weeks``. The
    window is shared by every group, so their demands add up to the whole list's.
    """
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    start, end = _window(starts, start, end)
    if by is None:
        return [("all", waiting_list_stats(starts, stops, target_weeks, start, end, convention))]
    rows = []
    for value, positions in sorted(pathways.groupby(by, sort=True, observed=True).indices.items()):
        weeks = PRIORITY_TARGETS[value].target_weeks if by == "priority" else target_weeks
        rows.append(
            (
                str(value),
                waiting_list_stats(starts[positions], stops[positions], weeks, start, end, convention),
            )
        )
    return rows


def ungrouped_stats(
    pathways: pd.DataFrame, target_weeks: float, start, end, convention: Convention = STOCKTAKE
) -> WaitingListStats | None:
    """The statistics of pathways with no group recorded, over the groups' window (``start`` to ``end``),
    or None when none of them is in it: their own row beside the groups, so that the rows add up to
    the list, and every output hides the same rows of the table (ADR 60, 65)."""
    starts, stops = pd.to_datetime(pathways["clock_start"]), pd.to_datetime(pathways["clock_stop"])
    in_window = (starts <= pd.Timestamp(end)) & (stops.isna() | (stops >= pd.Timestamp(start)))
    if not in_window.any():
        return None
    ((_, alone),) = stats_by_group(pathways, None, target_weeks, start, end, convention)
    return alone


# --- NHSRtt: the list by months waited, in a steady state -----------------------------------------


@dataclass(frozen=True)
class SteadyState:
    """Waiting-list size and the service actually given in each months-waited bin."""

    waiting: tuple[float, ...]
    served: tuple[float, ...]


def steady_state(referrals: float, renege_rates, service) -> SteadyState:
    """NHSRtt's ``calc_wl_sizes``: each bin keeps what the last one held less reneges, less service.

    ``wl_m = wl_{m−1}(1 − r_m) − s_m`` starting from the month's referrals, floored at zero, and the
    service given is capped at what was there to serve.
    """
    waiting, served, held = [], [], float(referrals)
    for rate, capacity in zip(renege_rates, service, strict=True):
        remaining = held * (1 - rate)
        given = min(float(capacity), remaining)
        held = remaining - given
        waiting.append(held)
        served.append(given)
    return SteadyState(tuple(waiting), tuple(served))
