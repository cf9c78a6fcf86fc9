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

A month or two of other removals far beyond their usual count (a validation sweep, a transfer) are
read as one-offs (:func:`unusual_runs`, ADR 0067): both models are fitted on the list as it would have
been without them, and the projection starts from the list as it is, keeping their step, instead of
carrying a sweep on as the list's trend. Where the months after a sweep show the list coming back
(fewer removed than usual: those swept would have left then all the same), that return is taken out
of what the models read too, and the rest of it carried on at the pace of its latest months; the
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
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import siegelslopes

from stocktake.periods import MONTH_FORMS, history_month
from stocktake.small_numbers import SMALL
from stocktake.targets.projection import t_quantile

#: Seasonal factors need a ratio to a centred 12-month average for every month of the year.
MIN_MONTHS = 25
LEVEL_MONTHS = 12
GROWTH_MONTHS = 36
#: Month-of-year patterns drift (the 2007–09 collapse had seasons of its own), so they are read from the
#: same latest 36 months as the growth (ADR 0035): two or three values of each month, their median.
SEASON_MONTHS = GROWTH_MONTHS
#: A horizon's interval is estimated from its own errors only with at least this many of them.
MIN_ERRORS = 3
#: The interval at each horizon is sized by the errors of the latest origins whose month that far ahead
#: is known, this many (two years of them, each month of the year twice), so it speaks of the list's
#: recent behaviour, not of a long-gone regime, and a month's interval does not hang on how far the
#: run looks.
BACKTEST_ORIGINS = 24
#: Enough to fit, and to test the fit on the history at least MIN_ERRORS times.
MIN_HISTORY = MIN_MONTHS + MIN_ERRORS
#: The farthest a projection reaches: five years, as far as the weeks-waited projection goes.
MAX_MONTHS_AHEAD = 60
#: Fewer runs cannot place an interval's 2.5th and 97.5th percentiles.
MIN_SIMULATIONS = 100
#: A month whose count is this many times above (or below) both its neighbours' is taken for a typo.
SPIKE = 3.0
#: More pathways than any country's list: a count above it is a typo (and would overflow the output).
MAX_COUNT = 1_000_000_000
STOP_COLUMNS = ("clock_stops_admitted", "clock_stops_non_admitted")
OPTIONAL_COLUMNS = ("clock_starts", "within_18_weeks", "over_52_weeks")


class HistoryError(ValueError):
    """The history cannot be projected; the message names the row and what is wrong."""


class HistoryGap(HistoryError):
    """Months are missing; ``resumes`` is the first month after the gap (a history can start there),
    and ``months_after`` how many rows follow from it (enough, or not, to project from)."""

    def __init__(self, message: str, resumes: pd.Period, months_after: int) -> None:
        super().__init__(message)
        self.resumes = resumes
        self.months_after = months_after


@dataclass(frozen=True)
class History:
    """A monthly waiting-list history without gaps; the last month is the forecast origin."""

    months: pd.PeriodIndex
    waiting: np.ndarray
    clock_starts: np.ndarray  # NaN where not known
    stops: dict[str, np.ndarray]  # each outflow of treated pathways, known every month

    def __len__(self) -> int:
        return len(self.months)

    def upto(self, index: int) -> History:
        """The history as it stood at month ``index`` (inclusive): what a forecaster then knew."""
        end = index + 1
        return History(
            self.months[:end],
            self.waiting[:end],
            self.clock_starts[:end],
            {k: v[:end] for k, v in self.stops.items()},
        )

    @property
    def net_additions(self) -> np.ndarray:
        """Clock starts less other removals, as the list and the stops imply (NaN in the first month)."""
        total_stops = sum(self.stops.values())
        return np.concatenate([[np.nan], np.diff(self.waiting)]) + total_stops


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


def history_from_table(
    table: pd.DataFrame,
    source: str = "history",
    since: pd.Period | None = None,
    as_recorded: frozenset[pd.Period] = frozenset(),
) -> History:
    """Check a history table (one row a month) and return it; a :class:`HistoryError` names the row.

    Rows are numbered as lines of the CSV (the header is line 1); ``since`` keeps only the months from
    it on (a history with a break can be projected from the stretch after it); ``as_recorded`` are
    months whose counts are as they were, however unlike their neighbours (a strike, a cyber attack):
    not refused as typos.
    """
    table = _named_plainly(table, source)
    columns = set(table.columns)
    stop_columns = [c for c in STOP_COLUMNS if c in columns] or (
        ["clock_stops"] if "clock_stops" in columns else []
    )
    missing = [c for c in ("month", "waiting") if c not in columns]
    if len(stop_columns) == 1 and stop_columns[0] in STOP_COLUMNS:  # a typo must not drop a flow
        (absent,) = set(STOP_COLUMNS) - columns
        raise HistoryError(
            f"{source}: no column {absent} beside {stop_columns[0]}: give both, or their sum as "
            f"clock_stops (columns: {', '.join(table.columns)})"
        )
    if missing or not stop_columns:
        wanted = missing + ([] if stop_columns else ["clock_stops_admitted", "clock_stops_non_admitted"])
        either = "" if stop_columns else " (or the two stops' sum, clock_stops)"
        raise HistoryError(
            f"{source}: no column {', '.join(wanted)}{either} (columns: {', '.join(table.columns)})"
        )
    # A blank line (a file edited by hand) is skipped; every line keeps its number for messages.
    kept = np.flatnonzero(table.astype(str).apply(lambda column: column.str.strip() != "").any(axis=1))
    table = table.iloc[kept]
    months, written = [], []
    for i, text in zip(kept, table["month"].astype(str), strict=True):
        month = history_month(text)
        if month is None:
            us = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{2,4})\s*", text)
            hint = (
                f"; it looks month first, as in the US: write it {int(us[3]):04d}-{int(us[1]):02d}"
                if us and int(us[2]) > 12 and 1 <= int(us[1]) <= 12 and len(us[3]) == 4
                else ""
            )
            if re.fullmatch(r"\s*(grand\s+|sub\s*)?totals?\s*:?\s*", text, re.IGNORECASE):
                hint = "; a totals row: delete it (the history is one row a month)"
            raise HistoryError(f"{source}, line {i + 2}: month {text!r} is not a month ({MONTH_FORMS}){hint}")
        months.append(month)
        written.append(text.strip())
    if since is not None:
        if months and since > max(months):
            raise HistoryError(f"--since {since}: after the history's last month, {max(months)}")
        chosen = [j for j, month in enumerate(months) if month >= since]
        table, months, kept = table.iloc[chosen], [months[j] for j in chosen], kept[chosen]
        written = [written[j] for j in chosen]
    line = [int(i) + 2 for i in kept]

    def read(j: int) -> str:
        """A month as read, with how it was written when that differs: a director's US dates were read
        day first (09/01/2024 as January) and told to "sort by month"."""
        if written[j] == str(months[j]):
            return str(months[j])
        first = ", read day first" if "/" in written[j] else ""
        return f"{months[j]} (written {written[j]!r}{first})"

    for i in range(1, len(months)):
        before, now = months[i - 1], months[i]
        if now == before:
            also = f"line {line[i - 1]}" + ("" if written[i - 1] == str(before) else f": {read(i - 1)}")
            raise HistoryError(f"{source}, line {line[i]}: month {read(i)} is repeated (also {also})")
        if now < before:
            raise HistoryError(
                f"{source}, line {line[i]}: month {read(i)} comes after {read(i - 1)}; sort by month"
            )
        if now != before + 1:
            later = [j for j in range(i + 1, len(months)) if before < months[j] < now]
            if later:
                raise HistoryError(
                    f"{source}, line {line[i]}: month {now} follows {before}, and {months[later[0]]} is "
                    f"on line {line[later[0]]}; sort by month"
                )
            gap = f"{before + 1}" if now - 1 == before + 1 else f"{before + 1} to {now - 1}"
            raise HistoryGap(
                f"{source}, line {line[i]}: month {now} follows {before}; "
                f"the history has a gap ({gap} missing)",
                resumes=now,
                months_after=len(months) - i,
            )
    needed = {"waiting": True, "clock_starts": False} | {c: True for c in stop_columns}
    values = {c: _numbers(table, c, required, source, line) for c, required in needed.items() if c in columns}
    if len(months) < MIN_HISTORY:
        raise HistoryError(
            f"{source}: {len(months)} months of history; the projection needs at least {MIN_HISTORY} "
            f"(two years and a month to fit the seasons, and {MIN_ERRORS} more to test the fit)"
        )
    _refuse_an_empty_list(values["waiting"], line, source)
    _refuse_parts_beyond_the_whole(table, values, line, source)
    if strangers := sorted(set(as_recorded) - set(months)):  # a month mistyped would keep nothing
        raise HistoryError(
            f"--not-a-typo {strangers[0]}: not a month of the history ({months[0]} to {months[-1]})"
        )
    as_is = np.array([m in as_recorded for m in months], dtype=bool)
    _refuse_spikes(values, line, source, months, as_is)
    starts = values.get("clock_starts", np.full(len(months), np.nan))
    return History(pd.PeriodIndex(months), values["waiting"], starts, {c: values[c] for c in stop_columns})


def _refuse_spikes(
    values: dict[str, np.ndarray], line: list[int], source: str, months: list, as_is: np.ndarray
) -> None:
    """A month whose count is :data:`SPIKE` times above or below both its neighbours' (and unlike the
    same month a year before or after) is refused as a likely typo (an extra digit, a cell left 0):
    projected from, it would send the list anywhere. Months ``as_is`` are as recorded: not refused."""
    again = "if it is as it was, give --not-a-typo {month}"
    for column, counts in values.items():
        before, now, after = counts[:-2], counts[1:-1], counts[2:]
        with np.errstate(divide="ignore", invalid="ignore"):
            high = (now > SPIKE * np.maximum(before, after)) & (np.maximum(before, after) >= 10 * SPIKE)
            low = (now * SPIKE < np.minimum(before, after)) & (np.minimum(before, after) >= 10 * SPIKE)
        known = np.isfinite(before) & np.isfinite(after) & np.isfinite(now)
        odd = [
            i + 1
            for i in np.flatnonzero(known & (high | low) & ~as_is[1:-1])
            if not _like_a_year_apart(counts, i + 1)
        ]
        if odd:
            i = odd[0]
            raise HistoryError(
                f"{source}, line {line[i]}, {column}: {counts[i]:,.0f} against {counts[i - 1]:,.0f} the "
                f"month before and {counts[i + 1]:,.0f} the month after; a typo? Correct it (or project "
                f"from after it with --since; {again.format(month=months[i])})"
            )
    # The first and last months have one neighbour. The last is the origin, which every projected
    # month starts from; only the list is checked there (a month's flows can fall to a third, as
    # England's did in April 2020, but no list of patients triples or falls to a third in a month).
    waiting = values["waiting"]
    for i, j, words in ((len(waiting) - 1, len(waiting) - 2, "the month before"), (0, 1, "the month after")):
        now, next_to = waiting[i], waiting[j]
        odd = next_to >= 10 * SPIKE and (now > SPIKE * next_to or now * SPIKE < next_to)
        if odd and not as_is[i] and not _like_a_year_apart(waiting, i):
            raise HistoryError(
                f"{source}, line {line[i]}, waiting: {now:,.0f} against {next_to:,.0f} {words}; a typo? "
                f"Correct it ({again.format(month=months[i])})"
            )


def _like_a_year_apart(counts: np.ndarray, i: int) -> bool:
    """Whether the same month a year before or after is as odd (a service shut every August)."""
    for j in (i - 12, i + 12):
        if 0 <= j < len(counts) and np.isfinite(counts[j]):
            low, high = sorted((counts[i], counts[j]))
            if high <= SPIKE * low or high < 10 * SPIKE:
                return True
    return False


def _refuse_an_empty_list(waiting: np.ndarray, line: list[int], source: str) -> None:
    """The list's model works on its relative changes, which a list of none does not have."""
    empty = np.flatnonzero(waiting <= 0)
    if empty.size:
        raise HistoryError(
            f"{source}, line {line[empty[0]]}, waiting: 0; the projection follows the list's changes month "
            f"to month, which a list of none has not (start the history after it with --since)"
        )


def _named_plainly(table: pd.DataFrame, source: str) -> pd.DataFrame:
    """The table with its column names as the history's are written (``Month `` is ``month``,
    ``Clock stops admitted`` is ``clock_stops_admitted``)."""
    names = [re.sub(r"\s+", "_", str(c).strip().lower()) for c in table.columns]  # Clock Stops Admitted
    repeated = sorted({n for n in names if names.count(n) > 1 and n})
    if repeated:
        raise HistoryError(f"{source}: more than one column named {repeated[0]!r}")
    return table.set_axis(names, axis=1)


def _refuse_parts_beyond_the_whole(
    table: pd.DataFrame, values: dict[str, np.ndarray], line: list[int], source: str
) -> None:
    """A count within the list larger than the list, and a total of stops unlike its two parts, are
    refused: each says a column is shifted or mistyped (an analyst's file had both, read unsaid)."""
    waiting = values["waiting"]
    for column in ("within_18_weeks", "over_52_weeks"):
        if column in table.columns:
            part = _numbers(table, column, False, source, line)
            over = np.flatnonzero(part > waiting)
            if len(over):
                i = over[0]
                raise HistoryError(
                    f"{source}, line {line[i]}, {column}: {part[i]:,.0f} is more than the {waiting[i]:,.0f} "
                    "waiting; is a column shifted?"
                )
    if {"within_18_weeks", "over_52_weeks"} <= set(table.columns):  # the two never overlap
        both = _numbers(table, "within_18_weeks", False, source, line) + _numbers(
            table, "over_52_weeks", False, source, line
        )
        over = np.flatnonzero(both > waiting)
        if len(over):
            i = over[0]
            raise HistoryError(
                f"{source}, line {line[i]}: within_18_weeks and over_52_weeks add up to {both[i]:,.0f}, more "
                f"than the {waiting[i]:,.0f} waiting (no one is both); is a column shifted?"
            )
    if "clock_stops" in table.columns and all(c in values for c in STOP_COLUMNS):
        total = _numbers(table, "clock_stops", False, source, line)
        parts = values[STOP_COLUMNS[0]] + values[STOP_COLUMNS[1]]
        unlike = np.flatnonzero(np.isfinite(total) & (total != parts))
        if len(unlike):
            i = unlike[0]
            raise HistoryError(
                f"{source}, line {line[i]}, clock_stops: {total[i]:,.0f}, but the admitted and non-admitted "
                f"stops add up to {parts[i]:,.0f}; give the two, or their sum, not both unlike"
            )


def _numbers(table: pd.DataFrame, column: str, required: bool, source: str, line: list[int]) -> np.ndarray:
    out = np.full(len(table), np.nan)
    for i, cell in enumerate(table[column]):
        text = "" if pd.isna(cell) else str(cell).strip().replace(",", "")
        if text == "":
            if required:
                raise HistoryError(
                    f"{source}, line {line[i]}, {column}: blank; a count is needed every month"
                )
            continue
        try:
            number = float(text)
        except ValueError:
            raise HistoryError(f"{source}, line {line[i]}, {column}: {cell!r} is not a number") from None
        if not np.isfinite(number) or number < 0 or number != round(number) or number > MAX_COUNT:
            raise HistoryError(
                f"{source}, line {line[i]}, {column}: {cell!r}; a count of pathways is a whole number, "
                f"0 to {MAX_COUNT:,}"
            )
        out[i] = number
    return out


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
class OneOff:
    """A month the list moved by ``excess`` beyond what its flows usually bring: below 0 a validation
    sweep (or patients moved to another provider), above 0 a transfer in. The list stays moved by it
    (a step): whether those swept would have left later all the same (ADR 55) or never, the sweep's
    month cannot tell, and a step that stays errs least either way (ADR 67). The months after can:
    ``turnover`` (months: the list over its treatments a month) is how long the list would take to
    come back, had they been going to leave anyway, and ``returned`` what it has come back by in the
    months seen since; the rest is projected at that pace (:meth:`coming_back`). None seen: said, not
    projected."""

    month: pd.Period
    excess: float
    turnover: float = 1.0
    #: The list's return in each month after a sweep, within its turnover: removals short of their
    #: usual count there, up to the sweep in all (those swept who would have left then all the same);
    #: NaN where a month was not seen (its flows not known, or itself unusual).
    returned: tuple[float, ...] = ()
    #: Months after a sweep, within its turnover, whose removals were seen, whether a return showed.
    watched: int = 0

    @property
    def seen(self) -> int:
        """Months after the sweep whose return was read."""
        return int(np.isfinite(self.returned).sum())

    @property
    def came_back(self) -> dict[pd.Period, float]:
        """The return by month, for the months seen."""
        return {self.month + k: b for k, b in enumerate(self.returned, start=1) if np.isfinite(b)}

    @property
    def back(self) -> float:
        """What the list has come back by since the sweep."""
        return float(np.nansum(self.returned))

    def coming_back(self, months_ahead: int, months_left: int | None = None) -> np.ndarray:
        """The rest of the return after the months seen, by month ahead (cumulative), were it to go on
        at the pace of the latest months seen (:data:`RETURN_PACE_MONTHS`) for ``months_left`` more
        months (by default to the end of the turnover), to the sweep in all; none before a month is
        seen."""
        if self.excess >= 0 or self.seen == 0:
            return np.zeros(months_ahead)
        left = round(self.turnover) - len(self.returned) if months_left is None else months_left
        months = np.minimum(np.arange(1, months_ahead + 1), max(0, left))
        seen = np.asarray(self.returned)[np.isfinite(self.returned)][-RETURN_PACE_MONTHS:]
        return np.clip(months * seen.mean(), 0.0, max(-self.excess - self.back, 0.0))

    def coming_slower(self, months_ahead: int, since: int) -> np.ndarray:
        """A sweep ``since`` months before the origin: what a return seen would add beyond
        :meth:`coming_back` were it slower than the turnover, up to twice it (past that, the months seen
        since have shown it stopped), by month ahead (cumulative)."""
        slower = self.coming_back(months_ahead, SLOWER_TURNOVERS * round(self.turnover) - since)
        return np.maximum(slower - self.coming_back(months_ahead), 0.0)

    def may_come_back(self, months_ahead: int, since: int) -> np.ndarray:
        """A sweep ``since`` months before the origin with no return seen: the most its return could
        still be, by month ahead (cumulative), had those swept been going to leave evenly over the
        turnover (the interval's upper end reaches it; the central path does not)."""
        left = round(self.turnover) - since
        if self.excess >= 0 or self.seen or left <= 0:
            return np.zeros(months_ahead)
        return np.minimum(np.arange(1, months_ahead + 1), left) * -self.excess / round(self.turnover)


@dataclass(frozen=True)
class Run:
    """Unusual months read together (:func:`unusual_runs`): one or two a sweep's ``"one-off"``; three
    or more months of a ``"change"`` in removals; or one-offs alike that ``"recur"`` (a quarterly
    validation). Only one-offs are taken out of what the models read."""

    months: tuple[OneOff, ...]
    kind: Literal["one-off", "change", "recur"]

    @property
    def excess(self) -> float:
        return sum(o.excess for o in self.months)


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
    #: Months read as one-offs (:func:`one_offs`): fitted as if they had been like the others.
    one_offs: tuple[OneOff, ...] = ()
    #: Unusual months kept in the history as they were (:func:`unusual_runs`): a change, or recurring.
    carried: tuple[Run, ...] = ()
    #: Why months were not read for one-offs (:func:`one_offs_unread`), or None.
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


# --- one-off months: a validation sweep, a transfer ----------------------------------------------

#: A month's other removals (clock starts less stops less the list's change: validation, reneges) this
#: many robust standard deviations (1.4826 × the median absolute deviation) from their usual count are
#: unlike every other month (one in some 3.5 million of a normal spread).
ONE_OFF_SPREADS = 5.0
#: Nor is a month a one-off unless it moved the list by at least this share of it beyond its usual
#: (less, carried on for a year, changes the projection little), by more than a small number (the
#: one-off's size is said wherever the projection is, exports too), and by at least twice as many as
#: usually leave: a sweep multiplies the month's removals (a tenth of the list is eight times a trust's
#: usual month), and a month of removals merely noisy seldom reaches three times the usual (14 of 200
#: histories of 48 months whose removals vary by half their mean, each month alone; 0 by a third).
ONE_OFF_SHARE = 0.01
#: More such months in a row, one way, are a change in the flows, not a one-off: said, and kept in the
#: history as they were; and more such one-offs one way in the months read recur: the list's usual way.
ONE_OFF_MONTHS = 2
#: A year of months with clock starts at least to read a month's usual count and its spread from (a
#: year of monthly returns gives 11 months' flows; a trust's warehouse may hold no more).
ONE_OFF_FROM_MONTHS = 11
#: The months after a sweep are read as the list coming back (those swept who would have left then
#: all the same) only when their removals fall this many spreads (of their sum) short of usual.
RETURN_SPREADS = 2.0
#: The rest of a return seen goes on at its pace over this many latest months seen: a return that
#: stops early shows in them (carried at the pace of all months seen, a return that stopped after three
#: months was carried on for the whole turnover). The projection carries it on, as ADR 55's premise
#: has it; the interval reaches down to its stopping now (carried on, with the interval about it alone,
#: the truth fell outside it in half the months where the return had stopped: an outside check).
RETURN_PACE_MONTHS = 3
#: A return seen may be slower than the turnover, up to this many times as long: the interval's high end
#: reaches it (an outside check: a return over twice the turnover fell above the interval). Past that
#: the months seen have shown it over (a check: reaching on years later, for a return long stopped).
SLOWER_TURNOVERS = 2
#: How long the list would take to come back after a sweep is its turnover, within these bounds.
TURNOVER_MONTHS = (1.0, 24.0)


def unusual_runs(history: History, months: int = GROWTH_MONTHS) -> tuple[Run, ...]:
    """Runs of months, among the latest ``months`` (those the models read) whose flows are known,
    whose other removals were far beyond their usual count, one way: a validation sweep, patients
    moved to or from another provider, or (three months and more) a change in how the list is kept.
    Read on other removals, which a sweep multiplies, as counts: not as a share of the starts (a
    month of few referrals is no sweep) nor of the list (a list run down with removals steady is no
    change in them); not on the list's change, which moves as much in a usual month at a trust."""
    _, judged, other = _other_removals(history, months)
    if len(judged) < ONE_OFF_FROM_MONTHS:
        return ()
    usual = _usual_removals(other, history.waiting[judged], judged)
    beyond = other - usual  # removed beyond the usual, in patients
    # a count varies by the square root of its mean at least (Poisson): a small list's few removals
    # have a median absolute deviation of 1 or 2, and a month of 12 beside a usual 4 is not a sweep
    spread = np.maximum(1.4826 * np.median(np.abs(beyond)), np.sqrt(np.maximum(usual, 0.0)))
    strong = (
        (np.abs(beyond) > ONE_OFF_SPREADS * spread)
        & (np.abs(beyond) >= np.maximum(ONE_OFF_SHARE * history.waiting[judged], SMALL[1] + 1))
        & (np.abs(beyond) >= 2 * np.abs(usual))
    )
    stops = sum(history.stops.values())
    raised = np.abs(beyond) >= np.maximum(np.abs(usual), SMALL[1] + 1)
    runs: list[Run] = []

    def run(positions, kind: Literal["one-off", "change", "recur"]) -> Run:
        return Run(tuple(_one_off(history, judged[j], -float(beyond[j]), stops) for j in positions), kind)

    for block in _blocks(judged, np.where(raised | strong, np.sign(beyond), 0)):
        if not strong[block].any():
            continue
        # the block's peaks: its months of half its largest excess or more. One or two of them are a
        # sweep; the rest of the block, three strong months or more, a change it sits in, else its
        # tail of a few more, kept as usual months. Three peaks or more: the whole block a change.
        peaks = [j for j in block if abs(beyond[j]) >= np.abs(beyond[block]).max() / 2]
        unknown = int(judged[block[-1]] - judged[block[0]]) + 1 - len(block)  # counted as peaks: not known
        if len(peaks) + unknown > ONE_OFF_MONTHS:
            runs.append(run(block, "change"))
            continue
        if one := [j for j in peaks if strong[j]]:
            runs.append(run(one, "one-off"))
        rest = [j for j in block if j not in peaks]
        if sum(strong[j] for j in rest) > ONE_OFF_MONTHS:
            runs.append(run(rest, "change"))
    for sign in (-1, 1):  # three sweeps or more one way, alike in size, recur: the list's usual way
        sweeps = [r for r in runs if r.kind == "one-off" and np.sign(r.excess) == sign]
        sizes = [abs(r.excess) for r in sweeps]
        if len(sweeps) > ONE_OFF_MONTHS and max(sizes) <= 2 * min(sizes):
            runs = [Run(r.months, "recur") if r in sweeps else r for r in runs]
    short = {history.months[j]: -float(beyond[k]) for k, j in enumerate(judged)}
    return _with_returns(sorted(runs, key=lambda r: r.months[0].month), short, float(np.median(spread)))


def _other_removals(history: History, months: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The latest ``months`` months' positions (the first month has no change to read), those of them
    whose flows are known, and their other removals."""
    window = np.arange(max(1, len(history) - months), len(history))
    other = history.clock_starts[window] - history.net_additions[window]
    known = np.isfinite(other) & np.isfinite(history.waiting[window])
    return window, window[known], other[known]


NOT_LOOKED_FOR = "one-off months (a validation sweep, a transfer) are not looked for"


def one_offs_unread(history: History, months: int = GROWTH_MONTHS) -> str | None:
    """Which of the latest ``months`` months could not be read for a one-off (:func:`unusual_runs`),
    in words, or None when each was: a sweep among them is carried on as the list's trend, as before
    ADR 0067, and an analyst should know that nothing was looked for rather than that nothing was
    found."""
    window, judged, _ = _other_removals(history, months)
    if len(judged) < ONE_OFF_FROM_MONTHS:
        return (
            f"{NOT_LOOKED_FOR}: they are read on other "
            "removals (clock starts less stops less the list's change), whose flows are known for "
            f"{len(judged)} months{'' if len(judged) == len(window) else f' of the latest {len(window)}'}, "
            f"and {ONE_OFF_FROM_MONTHS} are needed"
        )
    unknown = np.setdiff1d(window, judged)
    if not unknown.size:
        return None
    unseen = spans_said(list(history.months[unknown]))
    return f"{unseen} not looked at for a one-off: a clock start or stop not known"


def _usual_removals(other: np.ndarray, waiting: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Each month's usual other removals: a robust line through them (Siegel's repeated medians), its
    slope no steeper than the list's own and no other way. A list that doubles doubles its removals,
    and a sweep early on was hidden beside a median of the later, larger months (an outside check
    missed a 3% sweep in 20 of 20 such lists). But removals that rise while the list falls are a
    change in them, not their usual way, and a list run down with removals steady is no change."""
    middle = np.median(other)
    slope = siegelslopes(other, months, method="separate").slope
    grows = siegelslopes(waiting, months, method="separate").slope / max(np.median(waiting), 1.0)
    slope = np.clip(slope, min(grows, 0.0) * abs(middle), max(grows, 0.0) * abs(middle))
    return np.median(other - slope * months) + slope * months


def _blocks(judged: np.ndarray, signs: np.ndarray) -> list[list[int]]:
    """Positions of consecutive calendar months whose ``signs`` are the same and not 0; a month whose
    flows are not known (not judged) between two of them does not split them (a blank start had turned
    a change into one-offs)."""
    blocks: list[list[int]] = []
    for j, sign in enumerate(signs):
        if sign == 0:
            continue
        last = blocks[-1][-1] if blocks else None
        if last is not None and signs[last] == sign and j == last + 1 and judged[j] - judged[last] <= 2:
            blocks[-1].append(j)
        else:
            blocks.append([j])
    return blocks


def _one_off(history: History, month: int, excess: float, stops: np.ndarray) -> OneOff:
    """A one-off at ``month`` (an index), with the list's turnover then: the list before it over its
    mean treatments a month in the year to it."""
    treated = float(np.nanmean(stops[max(0, month - LEVEL_MONTHS + 1) : month + 1]))
    turnover = history.waiting[month - 1] / treated if treated > 0 else TURNOVER_MONTHS[1]
    return OneOff(history.months[month], excess, float(np.clip(turnover, *TURNOVER_MONTHS)))


def _with_returns(runs: list[Run], short: dict[pd.Period, float], spread: float) -> tuple[Run, ...]:
    """The runs, each sweep with the list's return after it (``OneOff.returned``): the following
    months' removals ``short`` of usual over its turnover, their running total kept between none and
    the sweep; none unless those months fall short by more than noise would (RETURN_SPREADS of their
    spread) and by more than a small number. A month after two sweeps is shared between them by what
    each has still to come back; an unusual month, or one whose flows are not known, is not seen. A
    rise in the list over several months after a sweep, no larger than the sweeps it follows (noise
    apart), is their return, not patients joining (a return of more than twice the usual removals had
    been said as both); a larger one stays a change."""
    last = max([*short, *(o.month for run in runs for o in run.months)])
    sweeps = [o for run in runs if run.kind == "one-off" for o in run.months if o.excess < 0]

    def after(o: OneOff, month: pd.Period) -> bool:
        return 0 < (month - o.month).n <= round(o.turnover)

    def a_return(run: Run) -> bool:  # a return is never more than the sweeps it follows, noise apart
        swept = sum(-o.excess for o in sweeps if after(o, run.months[0].month))
        noise = RETURN_SPREADS * spread * np.sqrt(len(run.months))
        return run.kind == "change" and 0 < run.excess <= swept + noise

    runs = [run for run in runs if not a_return(run)]
    for run in runs:
        for o in run.months:
            short.pop(o.month, None)
    shares: dict[pd.Period, dict[pd.Period, tuple[float, float]]] = {o.month: {} for o in sweeps}
    for month in pd.period_range(min((o.month for o in sweeps), default=last), last, freq="M"):
        active = [o for o in sweeps if after(o, month)]
        if month not in short or not active:
            continue
        left = np.array([max(-o.excess - sum(v for v, _ in shares[o.month].values()), 0.0) for o in active])
        weights = left / left.sum() if left.sum() > 0 else np.full(len(active), 1 / len(active))
        for o, weight in zip(active, weights, strict=True):
            shares[o.month][month] = (short[month] * weight, weight)

    def with_return(o: OneOff) -> OneOff:
        seen = shares.get(o.month, {})
        raw = np.array([v for v, _ in seen.values()])
        noise = RETURN_SPREADS * spread * np.sqrt(sum(w * w for _, w in seen.values()))
        if not seen or raw.sum() <= noise or raw.sum() < SMALL[1] + 0.5:  # said: never 1–7 once rounded
            return dataclasses.replace(o, watched=len(seen))
        kept = dict(zip(seen, np.diff(np.r_[0.0, np.clip(np.cumsum(raw), 0.0, -o.excess)]), strict=True))
        months = [o.month + k for k in range(1, round(o.turnover) + 1) if o.month + k <= last]
        returned = tuple(float(kept.get(m, np.nan)) for m in months)
        return dataclasses.replace(o, returned=returned, watched=len(seen))

    return tuple(Run(tuple(map(with_return, r.months)), r.kind) if r.kind == "one-off" else r for r in runs)


def one_offs(history: History, months: int = GROWTH_MONTHS) -> tuple[OneOff, ...]:
    """The one-off months of :func:`unusual_runs` among the latest ``months``. Both models would
    otherwise carry a sweep on as the list's trend (the flows' level a twelfth of it lower every month)."""
    return tuple(o for run in unusual_runs(history, months) if run.kind == "one-off" for o in run.months)


def without_one_offs(history: History, found: tuple[OneOff, ...]) -> History:
    """The history as it would have been without the one-offs: the list less what each adds (a sweep's
    patients back on it), the stops as they were."""
    waiting = history.waiting.astype(float).copy()
    for one_off in found:
        waiting[history.months >= one_off.month] -= one_off.excess
        for month, back in one_off.came_back.items():
            waiting[history.months >= month] -= back
    return dataclasses.replace(history, waiting=np.maximum(waiting, 0.0))


def _month_words(month: pd.Period) -> str:
    return month.strftime("%B %Y")


def spans_said(months: list[pd.Period]) -> str:
    """ "July 2023 and June 2024 to July 2024": months in order, consecutive ones as a span."""
    spans: list[list[pd.Period]] = []
    for month in sorted(months):
        if spans and month == spans[-1][-1] + 1:
            spans[-1].append(month)
        else:
            spans.append([month])
    return _listed([" to ".join(dict.fromkeys(_month_words(m) for m in (s[0], s[-1]))) for s in spans])


def _listed(said: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def _each(months: list[OneOff]) -> str:
    """ "in July 2024 about 295, in September 2024 about 302 and in October 2024 about 311"."""
    return _listed([f"in {_month_words(o.month)} about {abs(o.excess):,.0f}" for o in months])


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _about(count: float) -> str:
    """ "about 195", or "a few" where it would round to 1–7 (said wherever the projection is)."""
    return f"about {count:,.0f}" if count >= SMALL[1] + 0.5 else "a few"


def _coming_back_said(seen: list[OneOff], origin: pd.Period, ahead: int) -> str:
    """The return seen after sweeps, the rest the projection carries on, and what the interval's
    ends reach: each said only where the figures have it, as they have it ``ahead`` months on."""
    back = sum(o.back for o in seen)
    more = sum(float(o.coming_back(ahead)[-1]) for o in seen)
    slower = sum(float(o.coming_slower(ahead, (origin - o.month).n)[-1]) for o in seen)
    months = seen[0].seen if len(seen) == 1 else 0
    after = {0: "In the months after", 1: "In the month after"}.get(months, f"In the {months} months after")
    by = _month_words(origin + ahead)
    said = (
        f"{after}, about {back:,.0f} fewer were removed without treatment than usual, as happens when "
        "those removed would have left later anyway: read as the list coming back, not as its trend "
        "(a rise in the list looks alike until it goes beyond the sweep)."
    )
    if more >= 1:
        pace = "At that pace" if months == 1 else "At the pace of the latest months"
        said += (
            f" {pace} {_about(more)} more would come back by {by}, within the {seen[-1].turnover:.0f} "
            "months or so the list takes to turn over: the projection carries that on, and its interval "
            "reaches down to none more."
        )
    if slower >= 1:
        said += (
            f" Should it come back more slowly, over up to {SLOWER_TURNOVERS} times as long, "
            f"{_about(slower)} more would follow by {by}: the interval reaches up to it."
        )
    return said


def _no_return_said(quiet: list[OneOff], origin: pd.Period, ahead: int) -> str | None:
    """Sweeps after which the months seen show no return: had those removed been going to leave later,
    the list will still come back by the rest of their turnover (the interval reaches it, as
    :meth:`OneOff.may_come_back`, as far as it runs); once past it, it seems they were not going to."""
    waiting = [o for o in quiet if (origin - o.month).n < round(o.turnover)]
    if waiting:

        def due(months: int) -> float:
            return sum(float(o.may_come_back(months, (origin - o.month).n)[-1]) for o in waiting)

        left = max(round(o.turnover) - (origin - o.month).n for o in waiting)
        turnover = round(waiting[-1].turnover)
        over = f"the {turnover} months" if left == turnover else f"the {_months(left)} left of the {turnover}"
        whole = f"over {over} or so it takes to turn over"
        up_to = (
            f"{_about(due(ahead))} {whole}"
            if left <= ahead
            else f"{_about(due(ahead))} by {_month_words(origin + ahead)} ({_about(due(left))} {whole})"
        )
        watched = min(o.watched for o in waiting)
        return (
            f"Had those removed been going to leave later anyway, the list will come back by up to {up_to} "
            "(not in the central figures; the interval reaches up to it); had they never been going to, it "
            "will not." + (f" None of it has shown in the {_months(watched)} seen since." if watched else "")
        )
    if quiet:
        return (
            "No return has shown in the months since (no fewer removed than usual beyond noise): those "
            "removed, it seems, would not have left soon anyway."
        )
    return None


def one_offs_said(model: FlowModel) -> str | None:
    """The model's one-off months, the unusual months kept as they were, and the months not read, in
    words for every place the projection is shown (the command line adds its own way round); None when
    there are none. A one-off long past the model's origin is not spoken of as still to settle."""
    found, carried, origin = model.one_offs, model.carried, model.origin
    text = []

    def first(removed: bool) -> pd.Period:
        return min(o.month for o in found if (o.excess < 0) == removed)

    for removed in sorted({o.excess < 0 for o in found}, key=first):  # in the order they happened
        these = [o for o in found if (o.excess < 0) == removed]
        one = "a one-off" if len(these) == 1 else "one-offs"
        sizes = _each(these)
        if removed:
            text.append(
                f"{sizes[0].upper()}{sizes[1:]} more left the list than in a usual month (a validation "
                f"sweep, or patients moved to another provider): read as {one}, not as the list's "
                "trend, so the projection starts from the list as it is and goes on at the flows of the "
                "other months."
            )
            if seen := [o for o in these if o.seen]:
                text.append(_coming_back_said(seen, origin, model.ahead))
            if quiet := _no_return_said([o for o in these if not o.seen], origin, model.ahead):
                text.append(quiet)
        else:
            text.append(
                f"{sizes[0].upper()}{sizes[1:]} more joined the list than its referrals explain (patients "
                f"moved in from another provider, or a change in what it counts): read as {one}, so the "
                "projection starts from the list as it is, with them waiting on it, and goes on at the "
                "flows of the other months."
            )
    if found and origin is not None and max(o.month for o in found) == origin:
        text.append(
            f"Should the months after be as unusual, {ONE_OFF_MONTHS + 1} months in a row are read as a "
            "change in removals, not a one-off."
        )
    for run in carried:
        more = "more left the list" if run.excess < 0 else "more joined the list"
        if run.kind == "recur":
            each = _each(list(run.months))
            text.append(
                f"{each[0].upper()}{each[1:]} {more} than in a usual month: months like these recur, so "
                "they are read as the list's usual way and kept as they were."
            )
            continue
        span = " to ".join(dict.fromkeys(_month_words(o.month) for o in (run.months[0], run.months[-1])))
        direction, or_ = (
            ("lower", "a validation sweep spread over those months")
            if run.excess < 0
            else ("raise", "patients moved in over those months")
        )
        text.append(
            f"From {span} about {abs(run.excess):,.0f} {more} than in usual months, over "
            f"{len(run.months)} months: a change in removals (or {or_}), not a one-off. The projection "
            "reads those months as they were; if the change lasts, it will "
            f"{direction} the list more than the projection shows."
        )
    if model.unread:
        text.append(f"{model.unread[0].upper()}{model.unread[1:]}.")
    return " ".join(text) or None


def coming_back(found: tuple[OneOff, ...], months_ahead: int) -> np.ndarray:
    """The rest of every return seen, were each to go on at its pace, by month ahead (cumulative)."""
    return sum((o.coming_back(months_ahead) for o in found), np.zeros(months_ahead))


def may_come_back(found: tuple[OneOff, ...], months_ahead: int, origin: pd.Period) -> np.ndarray:
    """What the list could still come back by beyond the central path, by month ahead (cumulative): a
    return seen going on past the turnover, and the sweeps with none seen yet coming back within it."""
    each = (
        o.coming_slower(months_ahead, (origin - o.month).n)
        + o.may_come_back(months_ahead, (origin - o.month).n)
        for o in found
    )
    return sum(each, np.zeros(months_ahead))


def central_path(history: History, months_ahead: int) -> tuple[FlowModel, ListFit, Path]:
    """Both models fitted on the history as it would have been without its one-off months
    (:func:`one_offs`), and their combined path ``months_ahead`` months on from the list as it is, the
    one-offs' step kept."""
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
    horizon with :data:`MIN_ERRORS` errors, that horizon's grown in proportion, as the RMSE is."""
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


# --- a history from patient-level pathways -------------------------------------------------------


def history_from_pathways(pathways: pd.DataFrame) -> pd.DataFrame:
    """Monthly ``month, waiting, clock_starts, clock_stops, other_removals`` from one row per pathway.

    ``pathways`` has ``clock_start``, ``clock_stop`` (blank while waiting) and ``status`` (waiting,
    treated, removed). Clock stops are pathways treated in the month (rtt_pathways does not say
    whether admitted or not), other removals those removed without treatment; the list is those
    started and not stopped at the month's end. The history runs from the first month in which any
    pathway stops (before it an extract cannot show removals) to the last month the extract covers
    to its last day.
    """
    starts = pd.to_datetime(pathways["clock_start"]).dt.normalize()
    stops = pd.to_datetime(pathways["clock_stop"]).dt.normalize()
    if stops.notna().sum() == 0:
        raise HistoryError("no pathway has a clock stop, so the list's removals cannot be counted")
    as_of = max(starts.max(), stops.max())
    last = (
        as_of.to_period("M")
        if as_of == as_of.to_period("M").end_time.normalize()
        else as_of.to_period("M") - 1
    )
    months = pd.period_range(stops.min().to_period("M"), last, freq="M")
    removed = (pathways["status"] == "removed").to_numpy()
    # Counted with sorted days and month codes, not a pass over every pathway for every month: a
    # national list has millions (benchmarks/bench_waitinglist.py --only national).
    start_days = starts.to_numpy(dtype="datetime64[D]")
    stop_days = stops.to_numpy(dtype="datetime64[D]")
    ends = np.array([month.end_time.normalize() for month in months], dtype="datetime64[D]")
    stopped = ~np.isnat(stop_days)
    # Waiting at a month's end: started by then, less those started *and* stopped by then.
    begun = np.searchsorted(np.sort(start_days), ends, side="right")
    done = np.searchsorted(np.sort(np.maximum(start_days[stopped], stop_days[stopped])), ends, side="right")
    first = months[0].ordinal
    start_code = starts.dt.to_period("M").array.asi8 - first
    stop_code = stops.dt.to_period("M").array.asi8[stopped] - first

    def per_month(codes: np.ndarray) -> np.ndarray:
        codes = codes[(codes >= 0) & (codes < len(months))]
        return np.bincount(codes, minlength=len(months))

    return pd.DataFrame(
        {
            "month": months.astype(str),
            "waiting": (begun - done).astype(int),
            "clock_starts": per_month(start_code[~np.isnat(start_days)]),
            "clock_stops": per_month(stop_code[~removed[stopped]]),
            "other_removals": per_month(stop_code[removed[stopped]]),
        }
    )
