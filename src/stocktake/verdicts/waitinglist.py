"""The waiting list at a glance, for the workspace's "Waiting list" page and the board report.

One pure function over patient-level pathways (``rtt_pathways``: clock_start, clock_stop, status,
priority, procedure_group) and the department's cases per theatre list: the list now by weeks
waited and by group (NHSRwaitinglist's statistics over the last year), where the list is going
(``waitinglist.projection``, with its 95% interval), the 18-week performance month by month
(``waitinglist.weeks_waited``, NHSRtt's calibration on the pathways) and the extra treatments and
theatre lists a week that would meet a target (``waitinglist.capacity``). Small numbers are marked
for hiding here, so every screen and file shows the same cells as "*". It lives with the verdicts
because it applies the small-number rule of ``metrics``, which the pure ``waitinglist`` rules must
not import.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from stocktake.metrics.suppression import (
    MASK,
    SMALL,
    hidden_rows,
    is_small,
    nested_hiding,
    percentile_is_thin,
    secondary_suppression,
)
from stocktake.waitinglist.capacity import (
    AdmittedShare,
    CapacityAnswer,
    WaitTarget,
    admitted_of_pathways,
    capacity_for_target,
    share_words,
)
from stocktake.waitinglist.flow_change import (
    capacity_at_latest_flows,
    changes_in_pathways,
    plainly,
    projection_at_latest_flows,
    said,
)
from stocktake.waitinglist.history import HistoryError, history_from_pathways, history_from_table
from stocktake.waitinglist.projection import IntervalWidth, Projection, interval_width, latest_errors, project
from stocktake.waitinglist.stats import (
    PRIORITY_TARGETS,
    RECENT_DAYS,
    WaitingListStats,
    stats_by_group,
    ungrouped_stats,
)
from stocktake.waitinglist.weeks_waited import (
    WaitingList,
    WeeksProjection,
    as_at,
    backtest_weeks,
    list_month,
    most_possible,
    weeks_inputs,
)
from stocktake.waitinglist.weeks_waited import project as project_weeks

#: Months projected on the page and in the report.
HORIZON = 12
#: The default target: the NHS constitutional standard, 92% of the list within 18 weeks.
TARGET_PCT = 92.0
#: The catalogue measure of the same share (both catalogues name it so, and a new department's copy
#: keeps the id): its target, the department's own, is offered beside the page's.
SHARE_MEASURE = "rtt_within_18_weeks"
#: The most decimal places a target share may have: every share then reads back in plain decimals
#: (92.25, 0.01), never in scientific notation (1e-07).
SHARE_DECIMALS = 2
#: The week bands the page and the report show the list in: (from, to or None, words).
#: Each band is "more than from, up to to weeks", as the RTT publication counts (ADR 19 addendum).
BANDS = (
    (0, 18, "Up to 18 weeks"),
    (18, 35, "More than 18, up to 35 weeks"),
    (35, 52, "More than 35, up to 52 weeks"),
    (52, 65, "More than 52, up to 65 weeks"),
    (65, 78, "More than 65, up to 78 weeks"),
    (78, None, "More than 78 weeks"),
)
#: The bands the "more than 52 weeks" headline adds up.
OVER_52 = 3
#: The groups shown: (column in rtt_pathways, words).
DIMENSIONS = (("priority", "Priority"), ("procedure_group", "Procedure group"))
#: The priorities whose clinical target falls inside the year: those waiting past it are counted
#: (a director's check found none of 528 overdue P3 patients on the page). P4's year is the 52-week
#: count's, and P5 and P6 have no clinical target.
DUE_PRIORITIES = ("P1", "P2", "P3")


class OverviewError(ValueError):
    """The pathways cannot give the list's picture; the message says why, in a line."""


class TargetError(OverviewError):
    """The target asked for cannot be used (not a share, not a month, not after the list's month)."""


@dataclass(frozen=True)
class Band:
    label: str
    waiting: int
    #: 1–7 patients (or the band that would give such a band away): shown as "*".
    hidden: bool


@dataclass(frozen=True)
class GroupRow:
    """One priority or procedure group: waiting now and its statistics over the last year."""

    dimension: str
    group: str
    waiting: int
    stats: WaitingListStats
    hidden: bool
    #: Of those waiting, how many have waited past their priority's target: P1–P3 rows only
    #: (:data:`DUE_PRIORITIES`), else None.
    past_due: int | None = None
    #: 1–7 past due or not, or the row hidden: shown as "*".
    past_due_hidden: bool = False


@dataclass(frozen=True)
class Overview:
    """The list in its month, where it is going, and what a target would take."""

    month: pd.Period
    waiting: int
    bands: tuple[Band, ...]
    #: The "more than 52 weeks" count is hidden: 1–7, or it would give a hidden band away.
    over_52_hidden: bool
    groups: tuple[GroupRow, ...]
    stats_window: tuple[pd.Timestamp, pd.Timestamp]
    #: The list's size at each month's end, from the first month with a clock stop (the chart's past).
    history: pd.DataFrame
    #: The list's size 12 months on with its 95% interval; None when the history is too short.
    projection: Projection | None
    projection_problem: str | None
    #: The list by weeks waited, month by month at the present flows.
    weeks: WeeksProjection
    #: The 95% half-width of each projected month's figures (``weeks_waited.TESTED``: the count
    #: waiting more than 52 weeks, % within 18 weeks, the 92nd percentile), from the weeks-waited
    #: projection's own errors on this history; a figure too few months test is not in it.
    widths: dict[str, IntervalWidth]
    referrals: float
    capacity: float
    calibration: str
    target: WaitTarget
    answer: CapacityAnswer | None
    capacity_problem: str | None
    cases_per_list_source: str | None
    #: The department's cases per theatre list (its theatre history), which turn treatments into lists.
    cases_per_list: float | None = None
    #: The month a report was asked for as at (``--period``), else None: its age is read from then.
    asked_for: pd.Period | None = None
    #: The group columns some of those waiting have no value of (a priority not recorded): said, as
    #: the rows then add up to less than the list.
    unrecorded: tuple[str, ...] = ()
    #: Small numbers hidden (every export; the page unless the workspace shows them, inside the trust).
    suppress: bool = True
    #: Those waiting by weeks waited, and those with a decision to admit (only they need theatre lists).
    admitted: AdmittedShare | None = None
    #: Referrals or treatments that changed within the year the projection averages, and what its last
    #: month comes to at the latest six months' flows (ADR 73), in words; "" when neither did.
    flows_changed: str = ""
    #: Referrals and treatments a month over the latest six months, where a flow changed (else None):
    #: what the target needs at them is said beside the answer (``capacity_at_latest``).
    lately: tuple[float, float] | None = None
    #: What the target needs from the same start at the latest six months' flows, in words, or "".
    capacity_at_latest: str = ""

    @property
    def now(self):
        return self.weeks.origin.summary()

    @property
    def in_a_year(self):
        return self.weeks.steps[-1].waiting_list.summary()

    def hidden(self, figure: str, k: int) -> bool:
        """Whether the ``k``-th projected month's ``figure`` is shown as "*" (``figures_hidden``)."""
        return self.suppress and figure in figures_hidden(self.weeks.steps[k].waiting_list.summary())

    @property
    def p92_hidden(self) -> bool:
        """Whether the list now's 92nd percentile wait is shown as "*" (``percentile_hidden``)."""
        return self.suppress and percentile_hidden(self.waiting)

    @property
    def share_hidden(self) -> bool:
        """Whether the list now's share within 18 weeks is shown as "*" (with its first band)."""
        return self.suppress and self.bands[0].hidden

    def interval(self, figure: str, k: int, central: float | None = None) -> tuple[float, float] | None:
        """The 95% interval of the ``k``-th projected month's ``figure`` (one of ``TESTED``), about the
        projection's own figure or another ``central`` one for that month (the list with an uplift: the
        same model, so the same errors)."""
        width = self.widths.get(figure)
        if width is None:
            return None
        if central is None:
            central = getattr(self.weeks.steps[k].waiting_list.summary(), figure)
        most = most_possible(self.weeks, published_only=self.suppress).get(figure)
        low, high = bounded_interval(
            figure, central, float(width.half_width[k]), None if most is None else most[k], self.suppress
        )
        return float(low), float(high)

    @property
    def interval_basis(self) -> str:
        """What the weeks-waited figures' intervals rest on (one backtest gives them all); "" untested."""
        width = next(iter(self.widths.values()), None)
        return width.basis(untested=False) if width is not None else ""

    def groups_of(self, dimension: str) -> tuple[GroupRow, ...]:
        return tuple(g for g in self.groups if g.dimension == dimension)


def _bands(origin: WaitingList, suppress: bool) -> tuple[tuple[Band, ...], bool]:
    """The list in :data:`BANDS`, and whether the more-than-52-weeks count must be hidden."""
    weeks = origin.week_bands()
    counts = np.array([round(float(weeks[lo:hi].sum())) for lo, hi, _ in BANDS])
    hidden, over_52_hidden = band_hiding(counts) if suppress else (np.zeros(len(counts), bool), False)
    bands = tuple(
        Band(label, int(n), bool(h)) for (_, _, label), n, h in zip(BANDS, counts, hidden, strict=True)
    )
    return bands, over_52_hidden


def band_hiding(counts: np.ndarray) -> tuple[np.ndarray, bool]:
    """Which bands to show as "*", and whether the more-than-52-weeks count must be too.

    Beside the bands the list's total, its share within 18 weeks (so the first band) and its count
    over 52 weeks (the last three bands' sum) are shown, so a reader can subtract along two sums: the
    bands after the first, with the over-52 count standing for its three, add up to the list less the
    first band; and the three bands over 52 weeks add up to that count. Secondary suppression is
    applied to each sum in turn (with the over-52 count hidden, the first sum runs over all five
    bands) until neither leaves a hidden figure alone or hidden figures adding to 1–7.
    """
    counts = np.asarray(counts, dtype=float)
    hidden = is_small(counts)
    # the share within 18 weeks is the first band over the list: with 1–7 over 18 weeks (or within),
    # the share gives that count back, so the first band and the share are hidden (an outside check:
    # 2,425 waiting, 2,418 within 18 weeks and the bands above "*")
    hidden[0] |= bool(is_small(counts.sum() - counts[0]))
    over_52 = counts[OVER_52:].sum()
    over_52_hidden = bool(is_small(over_52))
    while True:
        was = (hidden.copy(), over_52_hidden)
        # a hidden first band (with the share) is a hidden cell of the list's total like the others (an
        # outside check: 13 waiting, 10 over 52 weeks shown, every band "*" gave the 3 below 52 weeks
        # back); never a complement, though: the measures publish the share within 18 weeks anyway
        cells = slice(0 if hidden[0] else 1, None)
        if over_52_hidden:
            hidden[cells] = secondary_suppression(hidden[cells], counts[cells])
            upper, upper_counts = hidden[OVER_52:], counts[OVER_52:]
            if not (upper & (upper_counts > 0)).any():  # all shown: their sum is the hidden count
                shown = np.flatnonzero(upper_counts > 0)
                if shown.size:
                    hidden[OVER_52 + shown[np.argmin(upper_counts[shown])]] = True
        else:
            below = slice(cells.start, OVER_52)
            lower = secondary_suppression(np.r_[hidden[below], False], np.r_[counts[below], over_52])
            hidden[below], over_52_hidden = lower[:-1], bool(lower[-1])
            if not over_52_hidden:
                hidden[OVER_52:] = secondary_suppression(hidden[OVER_52:], counts[OVER_52:])
        if (hidden == was[0]).all() and over_52_hidden == was[1]:
            break

    # The measures' own counts over 65 and 78 weeks are exported wherever the catalogue is (hidden
    # only when 1–7): with them known too, hide the smallest shown tail band until no hidden band, or
    # small sum of hidden bands, can be worked out (ADR 45: page and metrics export gave 78+ = 3 back).
    # (Only what the bands add: what the measures' own counts give away alone, no band can hide.)
    def added_by_bands(hidden: np.ndarray) -> set:
        alone = determined_small(counts, _published(counts, hidden, over_52_hidden, bands=False), hidden)
        return set(determined_small(counts, _published(counts, hidden, over_52_hidden), hidden)) - set(alone)

    while leaks := added_by_bands(hidden):
        # the tail's bands first, then those below 52 weeks, smallest first, a 0 last (hidden, it adds
        # nothing to a sum, but shown it pins its neighbours): the first whose hiding leaves fewer
        # hidden bands to be worked out, else the first
        candidates = _in_order(counts, hidden, range(OVER_52, len(counts)))
        candidates += _in_order(counts, hidden, range(1, OVER_52))
        if not candidates:
            break
        for band in candidates:
            trial = hidden.copy()
            trial[band] = True
            if len(added_by_bands(trial)) < len(leaks):
                break
        else:
            band = candidates[0]
        hidden[band] = True
    return hidden, over_52_hidden


def _in_order(counts: np.ndarray, hidden: np.ndarray, bands: range) -> list[int]:
    return sorted((i for i in bands if not hidden[i]), key=lambda i: (counts[i] == 0, counts[i]))


def _published(
    counts: np.ndarray, hidden: np.ndarray, over_52_hidden: bool, bands: bool = True, measures: bool = True
) -> np.ndarray:
    """The sums of bands a reader has: the list, its first band (the 18-week share) unless hidden,
    every band shown (unless ``bands`` is False), the over-52 count unless hidden, and (unless
    ``measures`` is False) the metrics export's counts over 18, 52, 65 and 78 weeks as it shows them:
    the catalogue's chain of nested counts, each shown unless ``nested_hiding`` hides it (an outside
    check: modelled as "shown unless 1–7", the export's hiding of 65+ beside 78+ went unseen, and the
    page's 78+ gave 65–78 = 6 back)."""
    n = len(counts)
    rows = [np.ones(n)] + ([np.eye(n)[0]] if not hidden[0] else [])
    rows += [np.eye(n)[i] for i in range(1, n) if bands and not hidden[i]]
    tails = [OVER_52] if not over_52_hidden else []
    if measures:
        tails += [first for first in exported_tails(counts) if first not in tails]
    rows += [np.r_[np.zeros(first), np.ones(n - first)] for first in tails]
    return np.array(rows)


#: The first band of each count in the catalogue's chain (``nested_counts``): the list, over 18, over
#: 52, over 65 and over 78 weeks.
CHAIN_FIRST_BANDS = (0, 1, OVER_52, OVER_52 + 1, OVER_52 + 2)


def exported_tails(counts: np.ndarray) -> list[int]:
    """The first band of each count over 18, 52, 65 or 78 weeks the metrics export shows for the month
    (the chain's, with ``nested_hiding``)."""
    chain = np.array([counts[first:].sum() for first in CHAIN_FIRST_BANDS])
    hidden = nested_hiding(chain, np.zeros(len(chain), dtype=bool))
    return [first for first, h in zip(CHAIN_FIRST_BANDS, hidden, strict=True) if first and not h]


def determined_small(counts: np.ndarray, published: np.ndarray, hidden: np.ndarray) -> list[tuple[int, ...]]:
    """The hidden bands a reader could work out from the ``published`` sums: one alone, or several
    adding to 1–7."""
    unknown = np.flatnonzero(hidden)
    rank = np.linalg.matrix_rank(published)
    found = []
    for size in range(1, unknown.size + 1):
        for subset in itertools.combinations(unknown, size):
            vector = np.zeros(len(counts))
            vector[list(subset)] = 1
            total = counts[list(subset)].sum()
            if ((size == 1 and total > 0) or is_small(total)) and np.linalg.matrix_rank(
                np.vstack([published, vector])
            ) == rank:
                found.append(subset)
    return found


def tail_counts_fixed(bands: tuple[Band, ...], over_52_hidden: bool) -> tuple[bool, ...]:
    """Whether the section's own figures fix each count "more than 52, 65, 78 weeks" (the bands from
    :data:`OVER_52`, the next, the last, added up): the list, its first band (the 18-week share), every
    band shown and the over-52 count unless hidden. A fixed count says nothing new and is shown beside
    them wherever the measures are; any other would be a sum over hidden bands, and is hidden (ADR 9).
    """
    n = len(bands)
    counts = np.array([b.waiting for b in bands], dtype=float)
    hidden = np.array([b.hidden for b in bands])
    known = _published(counts, hidden, over_52_hidden, measures=False)
    rank = np.linalg.matrix_rank(known)
    fixed = []
    for first in range(OVER_52, n):
        tail = np.r_[np.zeros(first), np.ones(n - first)]
        fixed.append(bool(np.linalg.matrix_rank(np.vstack([known, tail])) == rank))
    return tuple(fixed)


#: The weeks table's counts, each inside the one before (within 18 weeks is the list less those over).
NESTED_COUNTS = ("waiting", "over_18_weeks", "over_52_weeks", "over_65_weeks", "over_78_weeks")


def weeks_rows_shown(rows: pd.DataFrame) -> pd.DataFrame:
    """The weeks table as exported from patient-level data: a count of 1–7 patients (as rounded), or
    one whose difference from the count it sits inside is 1–7 (``nested_hiding``), blank, as every
    export hides them; with those over 18 weeks hidden, those within and their percentage too."""
    shown = rows.copy().astype(object)
    for i, row in rows.iterrows():
        for figure in figures_hidden(row):
            # a figure's interval goes with it: its ends' midpoint would give it back
            for blank in (figure + end for end in ("", "_low", "_high")):
                if blank in shown:
                    shown.at[i, blank] = None
    return shown


def figures_hidden(row) -> set[str]:
    """The figures of one month of the weeks table (a row, or a ``WeeksWaited``'s fields) that every
    output from patient-level data hides: ``weeks_rows_shown``'s rule, one home for the page, the
    report, the workbook, the scenario and the command. The chain is the counts the row has, of
    ``NESTED_COUNTS``."""
    row = vars(row) if hasattr(row, "__dataclass_fields__") else row
    columns = [c for c in NESTED_COUNTS if c == "over_18_weeks" or c in row]  # the chain a row has
    over_18 = row["waiting"] - row["within_18_weeks"]
    counts = [round(over_18 if c == "over_18_weeks" else row[c]) for c in columns]
    hidden = nested_hiding(counts, np.zeros(len(counts), dtype=bool))
    figures: set[str] = set()
    for column, hide in zip(columns, hidden, strict=True):
        if hide:
            figures |= {"within_18_weeks", "pct_within_18_weeks"} if column == "over_18_weeks" else {column}
    if percentile_hidden(row["waiting"]):
        figures.add("p92_weeks")
    return figures


def percentile_hidden(waiting: float) -> bool:
    """Whether the 92nd percentile wait of a list of ``waiting`` is hidden: it is read among the longest
    8% of waits, fewer than 8 patients below 100 waiting (``percentile_is_thin``)."""
    return bool(percentile_is_thin(waiting, P92_PERCENT))


#: The percentile the RTT publication's long-wait measure reads (``p92_weeks``).
P92_PERCENT = 92


def reached_hidden(answer: CapacityAnswer) -> tuple[bool, bool]:
    """Whether what the target month's list reaches without and with the uplift is hidden, by
    ``figures_hidden`` on that list (the target's figure: the share within 18 weeks, or the count over
    52 weeks). An outside check: "met without extra capacity (99.5% within 18 weeks then)" gave back
    a share the projection's own table hid (538 waiting, 3 over 18 weeks)."""
    figure = "over_52_weeks" if answer.target.no_52_week_waiters else "pct_within_18_weeks"
    return tuple(  # type: ignore[return-value]
        reached is not None and figure in figures_hidden(reached)
        for reached in (answer.baseline_list, answer.achieved_list)
    )


def lists_hidden(answer: CapacityAnswer) -> bool:
    """Whether the lists a week would give away 1–7 of the longest waiters the uplift reaches, with a
    decision to admit or without one (lists × cases a list ÷ uplift is their share, and the reach says
    how many they are, ADR 61): where no grid point near the uplift's reach may be shown
    (``AdmittedShare.grid``, ADR 62). A published return's counts are public already."""
    admitted = answer.admitted
    if admitted is None or not answer.extra_per_week:
        return False
    return admitted.share_hidden(answer.treatments_in_all or 0.0)


def interval_columns(
    projection: WeeksProjection, widths: dict[str, IntervalWidth], suppress: bool
) -> pd.DataFrame:
    """The projection's table with ``<figure>_low`` and ``_high`` beside each tested figure (none
    without its width); ``suppress``: small numbers hidden (``bounded_interval``)."""
    table, most = projection.table(), most_possible(projection, published_only=suppress)
    for figure, width in widths.items():
        n = len(table)
        low, high = bounded_interval(
            figure,
            table[figure],
            width.half_width[:n],
            most[figure][:n] if figure in most else None,
            suppress,
        )
        table = table.assign(**{f"{figure}_low": low, f"{figure}_high": high})
    return table


#: Each tested figure's bounds: no count or wait below 0, no share above 100% (one rule for the page,
#: the report and the command).
BOUNDS = {"over_52_weeks": (0.0, np.inf), "pct_within_18_weeks": (0.0, 100.0), "p92_weeks": (0.0, np.inf)}


def bounded_interval(figure: str, central, half, most=None, suppress: bool = False):
    """A tested figure's 95% interval: ± its half-width, within the figure's bounds and below the
    ``most`` it could possibly be (``weeks_waited.most_possible``; never below the central figure).
    With ``suppress`` that most is read from published figures only, and one of 1–7 is raised to 8
    besides (still a true bound)."""
    low, high = BOUNDS[figure]
    if most is not None:
        if suppress and figure == "over_52_weeks":
            most = np.where(is_small(np.round(most)), SMALL[1] + 1, most)
        high = np.minimum(high, np.maximum(most, central))
    return np.clip(central - half, low, high), np.clip(central + half, low, high)


def _widths(pathways: pd.DataFrame, month: pd.Period) -> dict[str, IntervalWidth]:
    """Each tested figure's 95% half-widths from the weeks-waited projection's own backtest."""
    widths = {}
    for figure, errors in backtest_weeks(pathways, month, HORIZON).items():
        try:
            widths[figure] = interval_width(latest_errors(errors), HORIZON)
        except HistoryError:
            continue
    return widths


def share_shown(origin: WaitingList) -> bool:
    """Whether the list now's share within 18 weeks may be shown (its first band is, ``band_hiding``)."""
    bands, _ = _bands(origin, suppress=True)
    return not bands[0].hidden


def tail_counts_shown(origin: WaitingList) -> tuple[bool, bool, bool]:
    """Whether the counts over 52, 65 and 78 weeks of the list now may be shown beside the page's
    and report's bands: only those their shown figures fix (one rule for every output, so that no
    two outputs together give a hidden band back)."""
    return tail_counts_fixed(*_bands(origin, suppress=True))


def _groups(
    pathways: pd.DataFrame, end: pd.Timestamp, target_weeks: float, suppress: bool
) -> tuple[GroupRow, ...]:
    start = end - pd.Timedelta(days=RECENT_DAYS)
    stops = pd.to_datetime(pathways["clock_stop"])
    waiting_now = (pd.to_datetime(pathways["clock_start"]) <= end) & (stops.isna() | (stops > end))
    rows: list[GroupRow] = []
    for column, _ in DIMENSIONS:
        if column not in pathways.columns:
            continue
        recorded = pathways[column].notna() & (pathways[column].astype(str).str.strip() != "")
        if column == "priority":
            recorded &= pathways["priority"].isin(PRIORITY_TARGETS)
        known = pathways[recorded]
        if known.empty:
            continue
        known = known.reset_index(drop=True)
        window = start.to_datetime64(), end.to_datetime64()
        found = stats_by_group(known, column, target_weeks, *window)
        sizes = waiting_now.groupby(pathways[column].astype(str)).sum()
        demand = np.array([s.count_demand for _, s in found], dtype=float)
        removed = np.array([s.count_capacity for _, s in found], dtype=float)
        waiting = np.array([int(sizes.get(g, 0)) for g, _ in found], dtype=float)
        # Those with no (or no known) group are the list less the groups shown: a row too, never shown
        # here but in `stats --by`'s "(not recorded)" and left over by a measure's drill-down, hidden
        # by the same rule as they hide theirs (an outside check: two outputs together gave a lone P1)
        alone = ungrouped_stats(pathways[~recorded], target_weeks, *window)
        unrecorded = float(waiting_now.sum() - waiting.sum())
        counts = [
            np.r_[waiting, unrecorded],
            np.r_[demand, alone.count_demand if alone else 0],
            np.r_[removed, alone.count_capacity if alone else 0],
        ]
        hidden = hidden_rows(counts)[:-1] if suppress else np.zeros(len(found), bool)
        rows += [
            GroupRow(
                column, g, int(n), s, bool(h), *_past_due(pathways, waiting_now, end, g, int(n), h, suppress)
            )
            if column == "priority" and g in DUE_PRIORITIES
            else GroupRow(column, g, int(n), s, bool(h))
            for (g, s), n, h in zip(found, waiting, hidden, strict=True)
        ]
    return tuple(rows)


def _past_due(
    pathways: pd.DataFrame,
    waiting_now: pd.Series,
    end: pd.Timestamp,
    priority: str,
    waiting: int,
    row_hidden: bool,
    suppress: bool,
) -> tuple[int, bool]:
    """How many of a priority's ``waiting`` have waited past its target at ``end`` (due before the day),
    and whether that is shown as "*": the row hidden, or 1–7 past due or not (the row's count gives one
    from the other)."""
    waited = (end - pd.to_datetime(pathways["clock_start"])).dt.days
    late = (
        waiting_now & (pathways["priority"] == priority) & (waited > PRIORITY_TARGETS[priority].target_days)
    )
    n = int(late.sum())
    return n, bool(suppress and (row_hidden or is_small(n) or is_small(waiting - n)))


def _unrecorded(pathways: pd.DataFrame, end: pd.Timestamp) -> tuple[str, ...]:
    """The group columns with a pathway of the groups' year (waiting at ``end``, or referred or
    removed in the year to it) that has no (known) value of it: the rows then add up to less."""
    stops = pd.to_datetime(pathways["clock_stop"])
    start = end - pd.Timedelta(days=RECENT_DAYS)
    of_the_year = (pd.to_datetime(pathways["clock_start"]) <= end) & (stops.isna() | (stops >= start))
    found = []
    for column, _ in DIMENSIONS:
        if column in pathways.columns:
            values = pathways.loc[of_the_year, column]
            known = values.notna() & (values.astype(str).str.strip() != "")
            if column == "priority":
                known &= values.isin(PRIORITY_TARGETS)
            if not known.all():
                found.append(column)
    return tuple(found)


@dataclass(frozen=True)
class OwnTarget:
    """The department's own target for the share within 18 weeks, from its stock-take (a target set in
    the workspace, or the catalogue's, resolved), offered beside the 92% the page and the report start
    at: an outside check found the page answering for 92% while the stock-take held the service to
    75.3% for the same share."""

    #: To a hundredth, rounded up, so that reaching it reaches the target (a recheck: 75.6 planned for
    #: a target of 75.63 fell short of it); ``table`` is the stock-take's own writing of it.
    pct: float
    basis: str
    title: str
    #: The month the catalogue's target is to be met by, where it names one (not a target set since).
    by: pd.Period | None = None
    #: Whether the target has a trajectory (``--targets``): its milestones are not read here.
    trajectory: bool = False
    table: str = ""

    def month_for(self, list_month: pd.Period, default: pd.Period) -> pd.Period:
        """The month its answer plans to: its own, when that comes after the list's (within the five
        years a target may look ahead), else ``default``."""
        if self.by is not None and list_month < self.by and (self.by - list_month).n <= 60:
            return self.by
        return default

    def words(self, list_month: pd.Period, default: pd.Period) -> str:
        """It in a sentence, saying when the answer's month is not its own (an outside check read an
        answer for December 2026 beside "65% by March 2026" as the March target's)."""
        shown = share_words(self.pct)
        table = f", {self.table} in its table" if self.table and self.table != shown else ""
        basis = f" ({self.basis})" if self.basis else ""
        said = (
            f"The department's own target for this share is {shown}{table}, the stock-take's for "
            f"“{self.title}”{basis}"
        )
        month = self.month_for(list_month, default)
        if self.by is not None and month != self.by:
            if self.by < list_month:
                why = f"has passed (the list is of {list_month:%B %Y})"
            elif self.by == list_month:
                why = "is the list's own"
            else:
                why = f"is more than five years after the list's ({list_month:%B %Y})"
            said += f"; its month, {self.by:%B %Y}, {why}, so its answer is for {month:%B %Y}"
        if self.trajectory:
            said += (
                "; its trajectory's milestones are not read here (the workspace's Waiting list page "
                "answers for any share and month)"
            )
        return said


def own_target(entries) -> OwnTarget | None:
    """The target of the stock-take's :data:`SHARE_MEASURE` (``entries``: a stock-take's), or None
    where it has none or the measure is not a share to raise (a department's copy may redefine it)."""
    found = [e for e in entries if e.result.metric.id == SHARE_MEASURE]
    if not found:
        return None
    entry, metric = found[0], found[0].result.metric
    target = entry.result.chart.target
    if target is None or metric.unit != "%" or metric.improvement != "increase" or not 0 < target <= 100:
        return None
    places = 10**SHARE_DECIMALS
    pct = min(math.ceil(round(target * places, 6)) / places, 100.0)
    # the catalogue's month, unless a target set since replaced the catalogue's
    by = metric.target.by if metric.target is not None and metric.target.value == target else None
    return OwnTarget(
        pct,
        entry.target_basis or "",
        metric.title,
        pd.Period(by, freq="M") if by else None,
        entry.result.chart.trajectory is not None,
        f"{target:.{metric.decimals}f}%",
    )


def for_own_target(found: Overview | None, own: OwnTarget | None) -> Overview | None:
    """``found`` retargeted to the department's own share by its own month (the report's second
    answer), or None where there is none, it has a trajectory, or it is the answer already given."""
    if found is None or own is None or own.trajectory:
        return None
    by = own.month_for(found.month, found.target.by)
    if not found.target.no_52_week_waiters and (own.pct, by) == (
        found.target.pct_within_18_weeks,
        found.target.by,
    ):
        return None
    try:
        return retargeted(found, own.pct, by)
    except OverviewError:
        return None


def _target(month: pd.Period, pct: float | None, by: str | pd.Period | None) -> WaitTarget:
    pct = TARGET_PCT if pct is None else float(pct)
    if not 0 < pct <= 100:
        raise TargetError(f"the target share {pct:g}% must be more than 0 and at most 100")
    if by is None or by == "":
        when = month + HORIZON
    else:
        try:
            if isinstance(by, str) and len(by) != 7:
                raise ValueError
            when = pd.Period(by, freq="M")
        except ValueError:
            raise TargetError(f"the target date {by!r} is not a month (YYYY-MM)") from None
    if when <= month:
        raise TargetError(f"the target month {when} must come after the list's month, {month}")
    if (when - month).n > 60:
        raise TargetError(f"the target month {when} is more than five years after {month}")
    return WaitTarget(when, pct_within_18_weeks=pct)


def overview(
    pathways: pd.DataFrame,
    *,
    target_pct: float | None = None,
    target_by: str | pd.Period | None = None,
    cases_per_list: float | None = None,
    cases_per_list_source: str | None = None,
    as_of: pd.Period | None = None,
    suppress: bool = True,
    target_weeks: float = 18.0,
) -> Overview:
    """The list's picture from its pathways; :class:`OverviewError` if a target is not usable or
    the pathways cannot be read as a list."""
    if pathways.empty:
        raise OverviewError("rtt_pathways is empty")
    pathways = pathways.copy()
    pathways["clock_start"] = pd.to_datetime(pathways["clock_start"])
    pathways["clock_stop"] = pd.to_datetime(pathways["clock_stop"])
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    if backwards := int((stops < starts).sum()):  # the upload refuses them; a warehouse edited by hand
        # had shown NumPy's "'list' argument must have no negative elements" (an outside check)
        raise OverviewError(
            f"rtt_pathways has {backwards:,} pathway{'s' if backwards > 1 else ''} whose clock stop is "
            "before its clock start: correct them and load the pathways again"
        )
    month = list_month(starts, stops, as_of)
    pathways = as_at(pathways, month)
    if pathways.empty:
        raise OverviewError(f"no pathway had started by the end of {month}")
    _target(month, target_pct, target_by)  # refused before the work
    try:
        origin, params, referrals, capacity, calibration = weeks_inputs(pathways, month)
    except ValueError as error:
        raise OverviewError(str(error)) from None
    weeks = project_weeks(origin, [referrals] * HORIZON, [capacity] * HORIZON, params, "evenly")
    flows_changed, lately = _flows_changed(pathways, month, weeks, params, suppress)
    widths = _widths(pathways, month)
    end = month.end_time.normalize()
    projection, problem, table = None, None, pd.DataFrame({"month": [], "waiting": []})
    try:
        table = history_from_pathways(pathways)
        projection = project(history_from_table(table, source="rtt_pathways by month"), HORIZON)
    except HistoryError as error:
        problem = str(error).removeprefix("rtt_pathways by month: ")
    bands, over_52_hidden = _bands(origin, suppress)
    untargeted = Overview(
        month=month,
        waiting=round(origin.total),
        bands=bands,
        over_52_hidden=over_52_hidden,
        groups=_groups(pathways, end, target_weeks, suppress),
        unrecorded=_unrecorded(pathways, end),
        stats_window=(end - pd.Timedelta(days=RECENT_DAYS), end),
        history=table[["month", "waiting"]].reset_index(drop=True),
        projection=projection,
        projection_problem=problem,
        weeks=weeks,
        widths=widths,
        referrals=referrals,
        capacity=capacity,
        calibration=calibration,
        target=_target(month, None, None),
        answer=None,
        capacity_problem=None,
        cases_per_list_source=cases_per_list_source if cases_per_list is not None else None,
        cases_per_list=cases_per_list,
        asked_for=None if as_of is None else pd.Period(as_of, freq="M"),
        suppress=suppress,
        admitted=admitted_of_pathways(pathways, month),
        flows_changed=flows_changed,
        lately=lately,
    )
    return retargeted(untargeted, target_pct, target_by)


def _flows_changed(
    pathways, month, held: WeeksProjection, params, suppress: bool
) -> tuple[str, tuple[float, float] | None]:
    """What `weeks --warehouse` says of flows that changed within the year, for the page and the
    report (the page had held the year's averages without a word), and the latest six months' flows
    where one did."""
    lately, changes = changes_in_pathways(pathways, month)
    if not changes:
        return "", None
    latest = project_weeks(held.origin, [lately[0]] * HORIZON, [lately[1]] * HORIZON, params, "evenly")
    ends = [p.steps[-1].waiting_list.summary() for p in (held, latest)]
    then = projection_at_latest_flows(*ends, lately, hidden_as_the_table_hides if suppress else plainly)
    held_words = "the figures by weeks waited hold the past year's average referrals and treatments"
    return said(changes, held_words, then), lately


def hidden_as_the_table_hides(summary, figure: str) -> str:
    """A projected month's figure as the weeks table writes it: "*" where :func:`figures_hidden` hides it."""
    return MASK if figure in figures_hidden(summary) else plainly(summary, figure)


def retargeted(found: Overview, target_pct: float | None, target_by: str | pd.Period | None) -> Overview:
    """``found`` with what another target would take: only the capacity answer is worked out again
    (a fifth of the picture's time: the page answers a new target without reading the warehouse)."""
    target = _target(found.month, target_pct, target_by)
    if target == found.target and (found.answer is not None or found.capacity_problem is not None):
        return found  # already worked out (the page's own target: the review found it done twice)
    horizon = max(HORIZON, (target.by - found.month).n)
    start = found.weeks

    def needed(referrals: float, capacity: float) -> CapacityAnswer:
        return capacity_for_target(
            start.origin,
            [referrals] * horizon,
            [capacity] * horizon,
            start.params,
            target,
            found.month + 1,
            found.cases_per_list,
            admitted=found.admitted,
        )

    answer, capacity_problem, at_latest = None, None, ""
    try:
        answer = needed(found.referrals, found.capacity)
    except ValueError as error:
        capacity_problem = str(error)
    if answer is not None and found.lately is not None:  # as `capacity --warehouse` says it (a check)
        try:
            at_latest = capacity_at_latest_flows(
                answer, needed(*found.lately), found.lately, found.capacity, lambda m: f"{m:%B %Y}"
            )
        except ValueError:
            at_latest = ""  # the answer at the year's averages stands alone
    return replace(
        found, target=target, answer=answer, capacity_problem=capacity_problem, capacity_at_latest=at_latest
    )
