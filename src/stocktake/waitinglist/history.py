"""A monthly waiting-list history, checked: read from a table a person wrote (every refusal names
the line and what is wrong) or counted from patient-level pathways. The last month is the forecast
origin of :mod:`stocktake.waitinglist.projection`."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.periods import MONTH_FORMS, history_month
from stocktake.waitinglist.count_text import cut, is_plain, why_not_a_count
from stocktake.waitinglist.windows import MIN_ERRORS, MIN_HISTORY

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
            if text.strip().casefold() == "month":  # `cat` of two files: the second's header
                raise HistoryError(
                    f"{source}, line {i + 2}: the header again, so this file joins two histories; give one "
                    "history, its header once, one row a month"
                )
            raise HistoryError(
                f"{source}, line {i + 2}: month {cut(text)!r} is not a month ({MONTH_FORMS}){hint}"
            )
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
    # month starts from; the list is checked there both ways (no list of patients triples or falls to a
    # third in a month), its flows only for a rise: a month's flows can fall to a third, as England's
    # did in April 2020, but an outside check's extra digit in the last month's admitted stops (ten
    # times any month before) was read as 2.5 million moved in, and the projection sent anywhere.
    last = len(values["waiting"]) - 1
    for column, counts in values.items():
        checks = [(last, last - 1, "the month before")]
        if column == "waiting":
            checks.append((0, 1, "the month after"))
        for i, j, words in checks:
            now, next_to = counts[i], counts[j]
            if not (np.isfinite(now) and np.isfinite(next_to)):
                continue
            odd = next_to >= 10 * SPIKE and (
                now > SPIKE * next_to or (column == "waiting" and now * SPIKE < next_to)
            )
            if odd and not as_is[i] and not _like_a_year_apart(counts, i):
                raise HistoryError(
                    f"{source}, line {line[i]}, {column}: {now:,.0f} against {next_to:,.0f} {words}; a "
                    f"typo? Correct it ({again.format(month=months[i])})"
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
        text = "" if pd.isna(cell) else str(cell).strip()
        if text == "":
            if required:
                raise HistoryError(
                    f"{source}, line {line[i]}, {column}: blank; a count is needed every month"
                )
            continue
        if not is_plain(text):
            raise HistoryError(f"{source}, line {line[i]}, {column}: {cut(text)!r} {why_not_a_count(text)}")
        number = float(text.replace(",", ""))
        if not np.isfinite(number) or number < 0 or number != round(number) or number > MAX_COUNT:
            raise HistoryError(
                f"{source}, line {line[i]}, {column}: {cut(text)!r}; a count of pathways is a whole number, "
                f"0 to {MAX_COUNT:,}"
            )
        out[i] = number
    return out


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
