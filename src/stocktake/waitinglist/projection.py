"""Where the waiting list is going: two models of its monthly history, averaged.

``list_t = list_{t−1} + clock starts − admitted stops − non-admitted stops − other removals``.
Other removals (validation, patients treated elsewhere, deaths) are never published; the history
implies them as the residual. Before 2016 England's clock starts are blank too, so the flow the
model carries in is *net additions* = clock starts − other removals = Δlist + clock stops, which the
history always gives; when clock starts are known for long enough they are projected as well and
other removals are what is left, so the projected flows still add up to the projected list.

The stock-and-flow model projects each flow as ``level × growth^h × season(month)`` (ADR 0019):

- season: month-of-year factors, each the *median* over the latest three years of the flow's ratio
  to its centred 12-month moving average, so one odd year (a pandemic spring, a validation sprint)
  moves them little and an old regime's seasons (the 2007–09 collapse) not at all (ADR 0035);
- level: the mean seasonally adjusted flow over the last 12 months, carried to the origin;
- growth: one rate shared by every flow, the Theil–Sen slope (median of pairwise slopes, robust to
  a few wild months) of the log of seasonally adjusted clock stops over the last 36 months.
  Separate trends per flow were tried and rejected: the list is the small difference of large flows,
  and two independently extrapolated trends make its error grow with the horizon squared.

Because the list is a small difference of large flows, a 1% error in a flow's level is a 5% error
in the list a year on. So the list is also modelled for itself (:class:`ListFit`, a seasonal random
walk with drift on its logarithm, with the same median seasons, Theil–Sen growth and 36 months),
and the projection is the equal-weight average of the two lists, the net additions reconciled so the
flows still add up (ADR 0019, revised: the average's rolling-origin error on England's series is
2.8% of the list against 3.2% for the flows alone).

A month or two of other removals far beyond their usual count (a validation sweep, a transfer) are read
as one-offs (:mod:`stocktake.waitinglist.one_offs`, ADR 0067): both models are fitted on the list as it
would have been without them, and the projection starts from the list as it is, keeping their step,
instead of carrying a sweep on as the list's trend. Where the months after a sweep show the list coming
back (fewer removed than usual: those swept would have left then all the same), that return is taken
out of what the models read too, and the rest of it carried on at the pace of its latest months; the
interval reaches down to its stopping now and up to its going on past the turnover.

The 95% interval comes from the combined model's own rolling-origin backtest on the history (its
latest 24 origins with a full horizon, two years of them): at each horizon the root mean square of
its relative errors, times Student's t for that many errors; beyond the longest horizon the history
can test, that error grows with the horizon. With ``simulations`` the interval is instead the 2.5th
and 97.5th percentiles of that many runs, each the central path times one of the same backtest
error paths, resampled (:func:`simulate`, ADR 0035).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.targets.projection import t_quantile
from stocktake.waitinglist.history import History, HistoryError
from stocktake.waitinglist.one_offs import (
    ONE_OFF_MONTHS,
    OneOff,
    Run,
    coming_back,
    may_come_back,
    one_offs,
    one_offs_unread,
    unusual_runs,
    without_one_offs,
)
from stocktake.waitinglist.windows import (
    GROWTH_MONTHS,
    LEVEL_MONTHS,
    MIN_ERRORS,
    MIN_MONTHS,
    SEASON_MONTHS,
)

#: The interval at each horizon is sized by the errors of the latest origins whose month that far ahead
#: is known, this many (two years of them, each month of the year twice), so it speaks of the list's
#: recent behaviour, not of a long-gone regime, and a month's interval does not hang on how far the
#: run looks.
BACKTEST_ORIGINS = 24
#: The farthest a projection reaches: five years, as far as the weeks-waited projection goes.
MAX_MONTHS_AHEAD = 60
#: Fewer runs cannot place an interval's 2.5th and 97.5th percentiles.
MIN_SIMULATIONS = 100

#: Other removals (validation, reneges: starts less stops less the list's change) as a share of the
#: clock starts beyond which the flows are said not to explain the list. England's run 11–17% of
#: starts (5th–95th percentile, 2007–2023); a trust's validation sweep can double that for a year.
OTHER_REMOVALS_MOST = 0.5


def flows_unexplained(history: History, months: int = 12) -> str | None:
    """Said when the latest ``months`` of flows do not explain the list (an outside check's list grew
    50,000 a month with starts equal to stops, projected with starts raised to 167,000 unsaid): other
    removals below none, or over :data:`OTHER_REMOVALS_MOST` of the starts. None when they do, or
    when the starts are not known."""
    known = np.isfinite(history.clock_starts) & np.isfinite(history.net_additions)
    latest = np.flatnonzero(known)[-months:]
    if latest.size < min(months, 6):
        return None
    starts = history.clock_starts[latest].sum()
    other = starts - history.net_additions[latest].sum()
    span = f"{history.months[latest[0]]} to {history.months[latest[-1]]}"
    if other < 0:
        said = (
            f"from {span} the list grew by {-other:,.0f} more than its clock starts less its clock stops: "
            "other removals below none"
        )
    elif starts > 0 and other > OTHER_REMOVALS_MOST * starts:
        said = (
            f"from {span} the list fell by {other:,.0f} more than its clock stops and starts explain "
            f"({other / starts:.0%} of the starts, where England's other removals run 11–17%)"
        )
    else:
        return None
    return (
        f"The flows do not explain the list: {said}. Are the counts of the same pathways (one list, one "
        "trust, the same treatment functions)? A validation sweep or a transfer of patients over more "
        f"than {ONE_OFF_MONTHS} months does this too (a month or two are read as a one-off), and both "
        "models carry it on as the list's trend: project from after it with --since. The starts printed "
        "are what the list's own changes need."
    )


# --- the model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowFit:
    """One flow's fitted level (per month, seasonally adjusted, at the origin) and month-of-year factors."""

    name: str
    level: float
    season: tuple[float, ...]  # January … December
    multiplicative: bool

    def path(self, month_numbers: np.ndarray, growth: float) -> np.ndarray:
        steps = np.arange(1, len(month_numbers) + 1)
        season = np.asarray(self.season)[month_numbers - 1]
        trend = self.level * np.exp(growth * steps)
        return trend * season if self.multiplicative else np.maximum(trend + season, 0)  # no flow below 0


@dataclass(frozen=True)
class FlowModel:
    """The fitted flows, the growth they share (log per month), and the month they start from."""

    origin: pd.Period
    waiting: float
    growth: float
    net_additions: FlowFit
    stops: tuple[FlowFit, ...]
    clock_starts: FlowFit | None
    #: Why clock starts (and so other removals) are not projected though the history has some.
    starts_left_out: str | None = None
    #: Said when the latest year's flows do not explain the list (:func:`flows_unexplained`).
    unexplained: str | None = None
    #: Months read as one-offs (:func:`one_offs.one_offs`): fitted as if they had been like the others.
    one_offs: tuple[OneOff, ...] = ()
    #: Unusual months kept as they were (:func:`one_offs.unusual_runs`): a change, or recurring.
    carried: tuple[Run, ...] = ()
    #: Why months were not read for one-offs (:func:`one_offs.one_offs_unread`), or None.
    unread: str | None = None
    #: Months projected (the words of one-offs say what the figures do within them).
    ahead: int = 12


def _centred_average(values: np.ndarray) -> np.ndarray:
    """The centred 2×12 moving average (NaN for six months at each end)."""
    weights = np.r_[0.5, np.ones(11), 0.5] / 12
    out = np.full(len(values), np.nan)
    if len(values) >= 13:
        out[6:-6] = np.convolve(values, weights, mode="valid")
    return out


def _median_by_month(values: np.ndarray, month_numbers: np.ndarray) -> np.ndarray:
    """Each calendar month's median of ``values`` (NaN ignored; NaN for a month with none), in one
    pass: a table of months × positions, NaN where a position is another month's, sorted (NaN last),
    and each row's middle read off (NumPy's ``nanmedian`` takes a slow path on rows this short)."""
    if len(values) == 0:
        return np.full(12, np.nan)
    table = np.full((12, len(values)), np.nan)
    table[month_numbers - 1, np.arange(len(values))] = values
    table.sort(axis=1)
    n = np.isfinite(table).sum(axis=1)
    rows = np.arange(12)
    middle = (table[rows, np.maximum(n - 1, 0) // 2] + table[rows, np.minimum(n // 2, len(values) - 1)]) / 2
    return np.where(n > 0, middle, np.nan)


def fit_flow(
    name: str, values: np.ndarray, month_numbers: np.ndarray, growth: float, additive: bool = False
) -> FlowFit:
    """Month-of-year factors (median over the latest 36 months) and the level of the last 12 at the
    origin; the factors are differences instead of ratios when the flow's average or a month's factor
    is 0 (or ``additive``)."""
    known = np.isfinite(values)
    values, month_numbers = values[known], month_numbers[known]
    average = _centred_average(values)
    multiplicative = not additive and (bool(np.nanmin(average) > 0) if np.isfinite(average).any() else False)
    ratio = values / average if multiplicative else values - average
    # only the latest 36 months' seasons
    season = _median_by_month(ratio[-SEASON_MONTHS:], month_numbers[-SEASON_MONTHS:])
    season = np.where(np.isfinite(season), season, 1.0 if multiplicative else 0.0)
    if multiplicative and (season <= 0).any():  # a month with no flow in every year: seasons added
        return fit_flow(name, values, month_numbers, growth, additive=True)
    season = season / season.mean() if multiplicative else season - season.mean()
    adjusted = values / season[month_numbers - 1] if multiplicative else values - season[month_numbers - 1]
    recent = adjusted[-LEVEL_MONTHS:]
    # The mean of the last 12 months sits (12 − 1)/2 months before the origin: carry it forward.
    level = float(recent.mean() * np.exp(growth * (len(recent) - 1) / 2))
    return FlowFit(name, level, tuple(float(s) for s in season), multiplicative)


def theil_sen_slope(values: np.ndarray) -> float:
    """The median of the slopes between every pair of points (robust to a minority of wild ones)."""
    i, j = np.triu_indices(len(values), k=1)
    return float(np.median((values[j] - values[i]) / (j - i))) if len(values) > 1 else 0.0


def shared_growth(history: History) -> float:
    """Log growth per month of seasonally adjusted clock stops over the last 36 months."""
    total = sum(history.stops.values())
    months = history.months.month.to_numpy()
    flat = fit_flow("stops", total, months, 0.0)
    if not flat.multiplicative:
        return 0.0
    adjusted = total / np.asarray(flat.season)[months - 1]
    recent = adjusted[-GROWTH_MONTHS:]
    recent = recent[recent > 0]
    return theil_sen_slope(np.log(recent)) if len(recent) >= 2 else 0.0


def fit(history: History) -> FlowModel:
    """Fit every flow on the history (and nothing after its last month)."""
    months = history.months.month.to_numpy()
    growth = shared_growth(history)
    net = fit_flow("net_additions", history.net_additions[1:], months[1:], growth)
    stops = tuple(fit_flow(name, values, months, growth) for name, values in history.stops.items())
    starts_known = np.isfinite(history.clock_starts)
    # Clock starts are projected only when known, unbroken, for the seasons' two years at the end.
    run = len(starts_known) - (np.flatnonzero(~starts_known)[-1] + 1 if (~starts_known).any() else 0)
    starts, left_out = None, None
    if run >= MIN_MONTHS - 1:
        starts = fit_flow("clock_starts", history.clock_starts, months, growth)
    elif starts_known.any():  # an analyst saw the columns go blank, unsaid, for one blank cell
        blank = history.months[np.flatnonzero(~starts_known)[-1]]
        left_out = (
            f"clock starts (and so other removals) are not projected: their seasons need the latest "
            f"{MIN_MONTHS - 1} months unbroken, and {blank} has none"
        )
    return FlowModel(
        history.months[-1],
        float(history.waiting[-1]),
        growth,
        net,
        stops,
        starts,
        left_out,
        flows_unexplained(history),
    )


@dataclass(frozen=True)
class Path:
    """Projected months: the list and every flow into and out of it."""

    months: pd.PeriodIndex
    waiting: np.ndarray
    net_additions: np.ndarray
    stops: dict[str, np.ndarray]
    clock_starts: np.ndarray | None
    other_removals: np.ndarray | None


def forecast(model: FlowModel, months_ahead: int) -> Path:
    """The stock-and-flow model's own path ``months_ahead`` months on from its origin."""
    months = pd.period_range(model.origin + 1, periods=months_ahead, freq="M")
    numbers = months.month.to_numpy()
    net = model.net_additions.path(numbers, model.growth)
    stops = {flow.name: flow.path(numbers, model.growth) for flow in model.stops}
    waiting = model.waiting + np.cumsum(net - sum(stops.values()))
    starts = model.clock_starts.path(numbers, model.growth) if model.clock_starts else None
    other = starts - net if starts is not None else None
    return Path(months, waiting, net, stops, starts, other)


# --- the list's own model and the combination -----------------------------------------------------


@dataclass(frozen=True)
class ListFit:
    """The list's own model: a seasonal random walk with drift on the log of the list.

    ``log list_t = log list_{t−1} + growth + season(month) + noise``: each month the list moves by its
    month-of-year change (the median of that month's log change over the latest 36 months, centred
    so a year's seasons sum to nothing) and a steady growth (the Theil–Sen slope of the seasonally
    adjusted log list over the last 36 months, the window and estimator the flows' growth uses).
    """

    origin: pd.Period
    waiting: float
    growth: float
    season: tuple[float, ...]  # January … December, log change, summing to 0

    def path(self, month_numbers: np.ndarray) -> np.ndarray:
        steps = self.growth + np.asarray(self.season)[month_numbers - 1]
        return self.waiting * np.exp(np.cumsum(steps))


def fit_list(history: History) -> ListFit:
    """Fit the list's seasonal random walk with drift on the history (and nothing after its last month)."""
    log_list = np.log(np.maximum(history.waiting, 1.0))
    months = history.months.month.to_numpy()
    change, change_months = np.diff(log_list), months[1:]
    season = _median_by_month(change[-SEASON_MONTHS:], change_months[-SEASON_MONTHS:])
    season = np.where(np.isfinite(season), season, 0.0)
    season = season - season.mean()
    adjusted = log_list - np.concatenate([[0.0], np.cumsum(season[change_months - 1])])
    growth = theil_sen_slope(adjusted[-GROWTH_MONTHS:])
    return ListFit(history.months[-1], float(history.waiting[-1]), growth, tuple(float(v) for v in season))


def combine(origin_waiting: float, flows: Path, list_path: np.ndarray) -> Path:
    """The equal-weight average of the two models' lists, with the flows reconciled to it.

    The projected clock stops are kept; the net additions become whatever makes the flows add up to
    the averaged list (they hold the unpublished other removals, the least known flow), and other
    removals follow from them where clock starts are projected.
    """
    # The flows' list can cross 0 (a shrinking list's stops carried on past its end); no list can.
    waiting = (np.maximum(flows.waiting, 0) + list_path) / 2
    net = np.diff(np.r_[origin_waiting, waiting]) + sum(flows.stops.values())
    other = flows.clock_starts - net if flows.clock_starts is not None else None
    return Path(flows.months, waiting, net, flows.stops, flows.clock_starts, other)


def central_path(history: History, months_ahead: int) -> tuple[FlowModel, ListFit, Path]:
    """Both models fitted on the history as it would have been without its one-off months
    (:func:`one_offs.one_offs`), and their combined path ``months_ahead`` months on from the list as it
    is, the one-offs' step kept."""
    runs = unusual_runs(history)
    found = tuple(o for run in runs if run.kind == "one-off" for o in run.months)
    carried = tuple(run for run in runs if run.kind != "one-off")
    fitted_on, origin = without_one_offs(history, found), float(history.waiting[-1])
    flow_model, list_model = fit(fitted_on), fit_list(fitted_on)
    flows = forecast(flow_model, months_ahead)
    list_path = list_model.path(flows.months.month.to_numpy())
    step = origin - float(fitted_on.waiting[-1])
    step += coming_back(found, months_ahead)
    flows = dataclasses.replace(flows, waiting=flows.waiting + step)
    flow_model = dataclasses.replace(
        flow_model,
        waiting=origin,
        one_offs=found,
        carried=carried,
        unread=one_offs_unread(history),
        ahead=months_ahead,
    )
    return flow_model, list_model, combine(origin, flows, np.maximum(list_path + step, 0))


# --- the backtest and the interval -----------------------------------------------------------------


def backtest_errors(history: History, horizon: int, first_origin: int | None = None) -> np.ndarray:
    """Relative errors (actual ÷ forecast − 1) of the list, origins × horizons, NaN where not yet known.

    Every origin refits the model on the history up to it: the rolling-origin backtest.
    """
    first = MIN_MONTHS - 1 if first_origin is None else first_origin
    origins = range(first, len(history) - 1)
    errors = np.full((len(origins), horizon), np.nan)
    for row, origin in enumerate(origins):
        ahead = min(horizon, len(history) - 1 - origin)
        central = central_path(history.upto(origin), ahead)[2].waiting
        errors[row, :ahead] = history.waiting[origin + 1 : origin + 1 + ahead] / central - 1
    return errors


def latest_errors(errors: np.ndarray, per_horizon: int = BACKTEST_ORIGINS) -> np.ndarray:
    """At each horizon, the latest ``per_horizon`` known errors, NaN elsewhere (a 1-month and a
    12-month run had tested next month on different origins, and so given it different intervals)."""
    kept = np.full_like(errors, np.nan)
    for h in range(errors.shape[1]):
        rows = np.flatnonzero(np.isfinite(errors[:, h]))[-per_horizon:]
        kept[rows, h] = errors[rows, h]
    return kept


@dataclass(frozen=True)
class IntervalWidth:
    """The relative half-width of the 95% interval at each horizon, and how many errors gave it."""

    half_width: np.ndarray
    rmse: np.ndarray
    errors_used: np.ndarray

    @property
    def tested_months(self) -> int:
        """How far ahead the interval rests on its own errors; beyond, it is grown, untested."""
        return int(np.flatnonzero(self.errors_used >= MIN_ERRORS)[-1]) + 1

    def basis(self, *, untested: bool = True) -> str:
        """What the interval rests on, in words, so a reader knows where it stops being tested; without
        ``untested`` for a reader told so already, beside the projection ("a rough guide")."""
        horizon = len(self.half_width)
        words = f"{int(self.errors_used[0])} backtest forecasts a month ahead"
        if self.tested_months >= horizon:
            if horizon > 1:
                words += f" and {int(self.errors_used[-1])} at {horizon} months"
            return words
        months = f"{self.tested_months} month{'s' if self.tested_months > 1 else ''}"
        if self.tested_months > 1:
            words += f" and {int(self.errors_used[self.tested_months - 1])} at {months}"
        if not untested:
            return f"{words}; widened beyond {months} in proportion to the horizon"
        return (
            f"{words}; tested to {months} ahead only, widened beyond that in proportion to the horizon "
            "(untested: read it as a rough guide)"
        )


def interval_width(errors: np.ndarray, horizon: int) -> IntervalWidth:
    """t × RMSE of the backtest errors at each horizon; past the last testable one, grown with the horizon."""
    counts = np.isfinite(errors).sum(axis=0) if errors.size else np.zeros(horizon, dtype=int)
    rmse = np.full(horizon, np.nan)
    t = np.full(horizon, np.nan)
    for h in range(horizon):
        if counts[h] >= MIN_ERRORS:
            column = errors[:, h][np.isfinite(errors[:, h])]
            rmse[h] = np.sqrt(np.mean(column**2))
            t[h] = t_quantile(counts[h] - 1)
    tested = np.flatnonzero(np.isfinite(rmse))
    if tested.size == 0:
        raise HistoryError(
            f"too few months to test the model on its own history: {MIN_ERRORS} forecasts at least are "
            f"needed, which takes {MIN_MONTHS + MIN_ERRORS} months"
        )
    last = tested[-1]
    for h in range(last + 1, horizon):
        rmse[h] = rmse[last] * (h + 1) / (last + 1)
        t[h] = t[last]
    return IntervalWidth(t * rmse, rmse, counts)


@dataclass(frozen=True)
class Projection:
    """The central path with its 95% interval, the two models averaged for it, and the backtest behind it.

    ``runs`` holds the simulated lists (runs × months) when the interval came from a simulation.
    """

    path: Path
    low: np.ndarray
    high: np.ndarray
    model: FlowModel
    width: IntervalWidth
    list_model: ListFit
    runs: np.ndarray | None = None

    def table(self) -> pd.DataFrame:
        """``month, waiting, waiting_low, waiting_high`` then every projected flow (rounded to pathways)."""
        path = self.path
        frame = pd.DataFrame(
            {
                "month": path.months.astype(str),
                "waiting": np.round(path.waiting).astype(int),
                "waiting_low": np.round(self.low).astype(int),
                "waiting_high": np.round(self.high).astype(int),
            }
        )
        frame["clock_starts"] = _rounded(path.clock_starts, len(frame))
        for name, values in path.stops.items():
            frame[name] = _rounded(values, len(frame))
        # Rounded so the printed flows add up exactly: the list's change plus its stops; starts less that.
        change = np.diff(np.r_[round(self.model.waiting), frame["waiting"].to_numpy()])
        net = change + sum(frame[name].to_numpy(dtype=float) for name in path.stops)
        if path.other_removals is not None:
            # Starts are projected apart from the list, so a small service's can round below what the
            # list and its stops need: a month's starts are at least that, and no removal negative
            # (an analyst saw "-3 other removals").
            frame["clock_starts"] = np.maximum(frame["clock_starts"], pd.Series(net, dtype="Int64"))
            frame["other_removals"] = frame["clock_starts"] - pd.Series(net, dtype="Int64")
        else:
            frame["other_removals"] = _rounded(None, len(frame))
        frame["net_additions"] = pd.Series(net, dtype="Int64")
        return frame


def _rounded(values: np.ndarray | None, n: int) -> pd.Series:
    return (
        pd.Series(np.round(values), dtype="Int64")
        if values is not None
        else pd.Series([pd.NA] * n, dtype="Int64")
    )


def error_columns(errors: np.ndarray, horizon: int) -> list[np.ndarray]:
    """At each horizon, the latest :data:`BACKTEST_ORIGINS` known errors and their negatives, sorted:
    the interval's own errors (:func:`latest_errors`), made symmetric as its t × RMSE is. Past the last
    horizon with :data:`windows.MIN_ERRORS` errors, that horizon's grown in proportion, as the RMSE is."""
    latest = latest_errors(errors)
    counts = np.isfinite(latest).sum(axis=0)
    tested = np.flatnonzero(counts >= MIN_ERRORS)
    if tested.size == 0:
        raise HistoryError(
            f"too few months to test the model on its own history: {MIN_ERRORS} forecasts at least are "
            f"needed, which takes {MIN_MONTHS + MIN_ERRORS} months"
        )
    last = tested[-1]
    columns = []
    for h in range(horizon):
        column = latest[:, min(h, last)]
        column = column[np.isfinite(column)] * (max(h, last) + 1) / (last + 1)
        columns.append(np.sort(np.r_[column, -column]))
    return columns


def simulate(central: np.ndarray, errors: np.ndarray, runs: int, seed: int = 0) -> np.ndarray:
    """``runs`` simulated futures of the list (runs × months) around the central path.

    Each run draws one rank (a uniform quantile) and keeps it at every horizon: its error at a
    horizon is that quantile of the horizon's own errors (:func:`error_columns`, the interval's), so
    an error keeps its persistence over the horizon as the model's errors do (a year's wrong growth
    stays wrong; independent monthly draws would widen with √h and under-cover), and a month's runs
    depend on how far ahead it is, not on how far the run looks. A normal kernel smooths the few
    errors (Silverman's bandwidth at each horizon, one draw per run, kept across horizons); the
    errors' negatives make the runs symmetric about the central path.
    """
    if runs < 1:
        raise HistoryError(f"simulations must be 1 or more, not {runs}")
    columns = error_columns(errors, len(central))
    rng = np.random.default_rng(seed)
    rank, jitter = rng.random(runs), rng.standard_normal(runs)
    simulated = np.empty((runs, len(central)))
    for h, column in enumerate(columns):
        bandwidth = 1.06 * np.sqrt(np.mean(column**2)) * (len(column) / 2) ** (-1 / 5)
        simulated[:, h] = central[h] * (1 + np.quantile(column, rank) + jitter * bandwidth)
    return np.maximum(simulated, 0)


def project(history: History, months_ahead: int, simulations: int = 0, seed: int = 0) -> Projection:
    """Fit both models on the whole history, average their paths ``months_ahead`` months on, and size
    the interval by the combined model's backtest: t × RMSE at each horizon, or, with ``simulations``,
    the 2.5th and 97.5th percentiles of that many simulated runs (:func:`simulate`)."""
    if not 1 <= months_ahead <= MAX_MONTHS_AHEAD:
        raise HistoryError(f"months ahead must be 1 to {MAX_MONTHS_AHEAD}, not {months_ahead}")
    if simulations < 0 or 0 < simulations < MIN_SIMULATIONS:
        raise HistoryError(
            f"simulations must be 0 (none) or {MIN_SIMULATIONS} or more (fewer runs cannot place a 95% "
            f"interval's ends), not {simulations}"
        )
    model, list_model, path = central_path(history, months_ahead)
    recent = max(MIN_MONTHS - 1, len(history) - 1 - months_ahead - BACKTEST_ORIGINS)
    # tested against the list as if its one-offs had been like other months (the model is not asked
    # to foresee a sweep: the page's validation setting plans one), the whole history's, since a sweep
    # before the months the origin reads still falls in the horizons of the backtest's earliest origins
    tested_on = without_one_offs(history, one_offs(history, len(history)))
    errors = backtest_errors(tested_on, months_ahead, first_origin=recent)
    width = interval_width(latest_errors(errors), months_ahead)
    # a return seen goes on at its pace (the central path) or stops now: the interval reaches down to
    # its stopping, and up to its going on past the turnover or a return not seen yet (ADR 67)
    down = coming_back(model.one_offs, months_ahead)
    up = may_come_back(model.one_offs, months_ahead, model.origin)
    if simulations:
        runs = simulate(path.waiting, errors, simulations, seed)
        low, high = np.percentile(runs, [2.5, 97.5], axis=0)
        return Projection(path, np.maximum(low - down, 0), high + up, model, width, list_model, runs)
    low = np.maximum((path.waiting - down) * (1 - width.half_width), 0)
    high = (path.waiting + up) * (1 + width.half_width)
    return Projection(path, low, high, model, width, list_model)
