"""The waiting list in the workspace and the board report: read from the warehouse, worded, drawn.

``warehouse_overview`` reads ``rtt_pathways`` (no identifier) and the theatre history's cases per
list, and hands them to :func:`stocktake.verdicts.waitinglist.overview`; ``waiting_list_section``
words it for the report's HTML and PDF, ``waiting_list_sheets`` tabulates it for the workbook, and
``projection_json`` draws the list's past and projection for the workspace page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dateutil.relativedelta import relativedelta

from stocktake.metrics.suppression import MASK, is_small
from stocktake.report.charts import PLOTLY_CONFIG
from stocktake.verdicts.waitinglist import (
    DIMENSIONS,
    HORIZON,
    TARGET_PCT,
    Overview,
    OverviewError,
    OwnTarget,
    lists_hidden,
    overview,
    reached_hidden,
)
from stocktake.waitinglist.capacity import beyond_present, lists_assume, lists_words, share_words
from stocktake.waitinglist.one_offs import coming_back, one_offs_said
from stocktake.waitinglist.stats import DEFERRED
from stocktake.waitinglist.weeks_waited import OPEN_BAND_WEEKS, TESTED
from stocktake.warehouse import WarehouseError, connect, problems

TABLE = "rtt_pathways"
COLUMNS = ("clock_start", "clock_stop", "status", "priority", "procedure_group")
BLUE, INTERVAL = "#005EB8", "rgba(0, 94, 184, 0.15)"
LONDON = ZoneInfo("Europe/London")
#: Figures whose month is more than this many months before today's are said to be old.
STALE_MONTHS = 2


def holds_pathways(warehouse: Path) -> bool:
    """Whether the warehouse has any referral-to-treatment pathways loaded."""
    if not Path(warehouse).is_file():
        return False
    try:
        with problems(warehouse), connect(warehouse, read_only=True) as con:
            tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            return TABLE in tables and con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] > 0
    except WarehouseError:
        return False


def read_pathways(warehouse: Path) -> pd.DataFrame:
    """The pathways' dates, status and groups (never the pathway's or the patient's identifier)."""
    with problems(warehouse), connect(warehouse, read_only=True) as con:
        present = {row[0] for row in con.execute(f"DESCRIBE {TABLE}").fetchall()}
        wanted = [c for c in COLUMNS if c in present]
        frame = con.execute(f"SELECT {', '.join(wanted)} FROM {TABLE}").fetch_df()
    return frame


def warehouse_overview(
    warehouse: Path,
    *,
    target_pct: float | None = None,
    target_by: str | None = None,
    last: pd.Period | None = None,
    suppress: bool = True,
) -> Overview:
    """The list's picture from the warehouse, as at ``last`` (default: its latest complete month).
    Raises :class:`OverviewError` for a target it cannot use or pathways it cannot read as a list."""
    from stocktake.files.theatre import cases_per_list
    from stocktake.files.waitinglist import WaitingListInputError

    try:
        pathways = read_pathways(warehouse)
    except WarehouseError as error:
        raise OverviewError(str(error)) from None
    try:
        until = last.end_time.date() if last is not None else None  # as at that month: nothing after
        per_list, source = cases_per_list(warehouse, until=until)
    except WaitingListInputError:
        per_list, source = None, None  # no theatre history: the answer is in treatments only
    return overview(
        pathways,
        target_pct=target_pct,
        target_by=target_by,
        cases_per_list=per_list,
        cases_per_list_source=source,
        as_of=last,
        suppress=suppress,
    )


# --- words ---------------------------------------------------------------------------------------


def today() -> date:
    """Today in London: the page's and the report's sense of "now" (tests move it)."""
    return datetime.now(LONDON).date()


def data_age(month: pd.Period, on: date) -> str | None:
    """How long ago the list's month ended ("20 months ago"), when it is more than STALE_MONTHS before
    the month of ``on``; None for figures recent enough to read as the list now."""
    if (pd.Period(on, freq="M") - month).n <= STALE_MONTHS:
        return None
    gap = relativedelta(on, month.end_time.date())
    return f"{gap.years * 12 + gap.months} months ago"


def old_figures(month: pd.Period, on: date) -> str | None:
    """ "These figures run to March 2025, 20 months ago" when the list's month is old on ``on`` (the page
    and the board report open their notice with it), else None."""
    age = data_age(month, on)
    return f"These figures run to {_month(month)}, {age}" if age else None


def ahead_words(month: pd.Period, on: date) -> str:
    """The projection's span: "the next 12 months", or "the 12 months after March 2025" when the
    list's month is old (the projection runs from it, not from today)."""
    return (
        f"the {HORIZON} months after {_month(month)}" if data_age(month, on) else f"the next {HORIZON} months"
    )


def count(value: float, hidden: bool = False, suppress: bool = True) -> str:
    """A count as shown: "*" for 1–7 (or when marked hidden), else with thousands separators; every
    count as it is where small numbers are shown (``suppress`` False)."""
    n = round(float(value))
    return MASK if suppress and (hidden or bool(is_small(n))) else f"{n:,}"


def _figure(value: float, form: str) -> str:
    """A statistic as shown: "–" where it is undefined (no removals in the year: no capacity, no
    load), not "nan", and not "*", which means a small number hidden."""
    return "–" if value is None or np.isnan(value) else format(value, form)


def load_figure(value: float) -> str:
    """A load to two decimals, or three where two would read 1.00 for a list growing or shrinking (a
    director's check: 80.6 added against 80.8 removed read 1.00, "at 1 or more, the list grows")."""
    if value is not None and np.isfinite(value) and value != 1:
        for places in range(2, 7):  # as few places as tell it from 1 (0.9996 is not "1.000")
            if round(value, places) != 1:
                return format(value, f".{places}f")
    return _figure(value, ".2f")


def pct(value: float) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:.1f}%"


@dataclass(frozen=True)
class ProjectionRow:
    month: str
    waiting: str
    low: str
    high: str
    pct_within_18_weeks: str
    p92_weeks: str
    over_52_weeks: str


@dataclass(frozen=True)
class GroupLine:
    group: str
    waiting: str
    demand: str
    capacity: str
    load: str
    mean_wait: str
    target_weeks: str
    pressure: str
    hidden: bool
    #: Those waiting past their priority's target (P1–P3), "*" when hidden; "" for other rows.
    past_due: str = ""


@dataclass(frozen=True)
class WaitingListSection:
    month: str
    waiting: str
    bands: tuple[tuple[str, str], ...]
    pct_now: str
    pct_in_a_year: str
    p92_now: str
    over_52_now: str
    over_52_in_a_year: str
    #: The weeks-waited model's own list size in the last projected month, beside its shares (the
    #: projection's "Waiting" is another model's: a director multiplied one by the other).
    weeks_waiting_in_a_year: str
    #: "16,400 (95% interval 15,100 to 17,700) in March 2026", or why there is no projection.
    projection: str
    projected: bool
    rows: tuple[ProjectionRow, ...]
    target: str
    #: "14.5 extra treatments a week (4.1 extra theatre lists) from April 2025", or why not.
    capacity: str
    assumptions: str
    #: "P2 30 of 96 and P3 528 of 1,492", those waiting past their priority's target now; "" if none.
    past_due: str
    groups: tuple[tuple[str, tuple[GroupLine, ...]], ...]
    #: "priority" (or "procedure group") when some of those waiting have none recorded, else "".
    unrecorded: str
    any_hidden: bool
    stats_window: str
    #: "These figures run to March 2025, 20 months ago", or None while the list's month is recent.
    old: str | None = None
    #: "the next 12 months", or "the 12 months after March 2025" for old figures.
    ahead: str = f"the next {HORIZON} months"
    #: How the report's sentence opens: "In 12 months", or "In the 12 months after March 2025".
    in_a_year: str = f"In {HORIZON} months"
    #: What the projection's interval rests on (its backtest), or "" when there is no projection.
    interval_basis: str = ""
    #: What the weeks-waited figures' intervals rest on (that model's backtest), or "" without one.
    weeks_basis: str = ""
    #: The months the projection read as one-offs (a validation sweep), or carried on, in words, or "".
    one_offs: str = ""
    #: Whether the projection carries on the list coming back after a sweep (``one_offs.coming_back``),
    #: which the weeks-waited model (the scenarios' baseline) does not.
    coming_back: bool = False
    #: Flows that changed within the year, and what the list comes to at the latest ones, or "".
    flows_changed: str = ""
    #: What the target needs at the latest six months' flows, where a flow changed, or "".
    capacity_at_latest: str = ""
    #: The department's own target for the share (its stock-take's), said beside the answer, and in
    #: the report what it would take.
    own_target: str = ""
    own_capacity: str = ""
    own_capacity_at_latest: str = ""

    @property
    def notice(self) -> str | None:
        """The board report's notice for old figures (the page words its own tail, with its upload link)."""
        if self.old is None:
            return None
        return (
            f"{self.old}: load a newer extract of the referral-to-treatment pathways (rtt_pathways) to see "
            f"the list as it is now. The projection and what a target would take run from {self.month}, "
            "not from the date of this report."
        )

    def unrecorded_note(self, where: str, flows: str) -> str:
        """The groups' rows add up to less than the list: said beside them (page and workbook)."""
        return GROUPS_UNRECORDED_NOTE.format(columns=self.unrecorded, where=where, flows=flows)

    @property
    def groups_hidden(self) -> bool:
        """Whether a priority or procedure group shows "*" (said under those tables only then)."""
        return any(
            MASK in (line.waiting, line.demand, line.past_due) for _, lines in self.groups for line in lines
        )


def _month(period: pd.Period | str) -> str:
    return pd.Period(period, freq="M").strftime("%B %Y")


def projection_rows(found: Overview) -> tuple[ProjectionRow, ...]:
    """Each projected month: the list's size with its interval (when projected) and its weeks waited."""
    table = found.projection.table() if found.projection is not None else None
    rows = []
    for k, step in enumerate(found.weeks.steps):
        summary = step.waiting_list.summary()
        if table is not None:
            waiting, low, high = (f"{table[c].iloc[k]:,}" for c in ("waiting", "waiting_low", "waiting_high"))
        else:
            waiting, low, high = f"{summary.waiting:,.0f}", "–", "–"
        rows.append(
            ProjectionRow(
                _month(summary.month),
                waiting,
                low,
                high,
                with_interval(found, "pct_within_18_weeks", k, short=True),
                with_interval(found, "p92_weeks", k, short=True),
                with_interval(found, "over_52_weeks", k, short=True),
            )
        )
    return tuple(rows)


def with_interval(found: Overview, figure: str, k: int, *, short: bool = False) -> str:
    """The ``k``-th projected month's ``figure`` (``over_52_weeks``, ``pct_within_18_weeks`` or
    ``p92_weeks``) with its 95% interval when the history tests it ("118 (95% interval 61 to 175)";
    ``short``, for a table headed so: "118 (61 to 175)"); a hidden count hides its interval too (the
    two ends' midpoint would give it back), and so does a share whose count over 18 weeks is hidden."""
    central = getattr(found.weeks.steps[k].waiting_list.summary(), figure)
    shown = MASK if found.hidden(figure, k) else FIGURE_FORMATS[figure](central, found.suppress)
    interval = found.interval(figure, k)
    if interval is None or shown == MASK:
        return shown
    low, high = (FIGURE_FORMATS[figure](end, False) for end in interval)
    if short:  # a table's footnote says how far its intervals are tested
        return f"{shown} ({low} to {high})"
    rough = _rough_guide(found.widths[figure].tested_months, k + 1)
    return f"{shown} (95% interval {low} to {high}{rough})"


def _target_interval(found: Overview, central: float | None = None) -> tuple[float, float] | None:
    """The target month's share within 18 weeks' 95% interval (about the projection's own share, or
    ``central``: the share with the uplift); None when the target is no share, its month is not
    projected, untested, or hidden."""
    target = found.target
    k = next((k for k, s in enumerate(found.weeks.steps) if s.waiting_list.month == target.by), None)
    if k is None or target.pct_within_18_weeks is None or found.hidden("pct_within_18_weeks", k):
        return None
    return found.interval("pct_within_18_weeks", k, central)


def _written(interval: tuple[float, float]) -> tuple[str, str]:
    written = FIGURE_FORMATS["pct_within_18_weeks"]
    return written(interval[0], False), written(interval[1], False)


def _maybe_not(found: Overview) -> str:
    """Beside a target met at the present flows: that it is a central figure, where its month's 95%
    interval reaches below the target (a director read "met without extra capacity" of 68.9% against
    68%, whose interval ran from 65.8%)."""
    interval = _target_interval(found)
    if interval is None or interval[0] >= found.target.pct_within_18_weeks:
        return ""
    low, high = _written(interval)
    return (
        f"; a central figure at the present flows: its 95% interval, {low} to {high}, reaches below the "
        "target, so it may not be met without more"
    )


def _may_fall_short(found: Overview, extra: str) -> str:
    """Beside an uplift of ``extra`` a week: the least that reaches the target in the projection's best
    estimate, so the target is about as likely missed as met with it, and the share's interval says
    how far below it may fall (a director would otherwise plan to the figure as if it were sure)."""
    said = (
        f" {extra} a week is the least that reaches the target in the projection's best estimate, so the "
        "target is about as likely missed as met"
    )
    plan = f"Plan for more than {extra} a week to make the target likely."
    interval = _target_interval(found, found.answer.achieved)
    if interval is None:
        return f"{said}. {plan}"
    if interval[0] >= found.target.pct_within_18_weeks:  # the uplift overshoots: none of this applies
        return ""
    low, high = _written(interval)
    return f"{said}: the share in {_month(found.target.by)} could be {low} to {high} (95% interval). {plan}"


def _rough_guide(tested_months: int, ahead: int) -> str:
    """Said inside an interval's brackets when its model's own errors test it fewer months ahead than
    it is read at (the rest widened in proportion to the horizon): the sentence, not only a footnote."""
    if tested_months >= ahead:
        return ""
    return f", tested to {tested_months} month{'s' if tested_months > 1 else ''} ahead only: a rough guide"


def weeks_written(value: float) -> str:
    """A percentile wait in weeks, to a tenth; in the open band "104+" (an outside check read a
    flat 104.0 as the wait levelling off, where the list's oldest had waited 187 weeks)."""
    return f"{OPEN_BAND_WEEKS}+" if value >= OPEN_BAND_WEEKS else f"{value:.1f}"


def _open_band(weeks: float) -> float | str:
    """A workbook's percentile: the number, or "104+" in the open band (as the page writes it)."""
    return weeks if weeks < OPEN_BAND_WEEKS else weeks_written(weeks)


#: How each tested figure is written, given whether small counts are hidden.
FIGURE_FORMATS = {
    "over_52_weeks": lambda value, suppress: count(value, suppress=suppress),
    "pct_within_18_weeks": lambda value, suppress: pct(value),
    "p92_weeks": lambda value, suppress: weeks_written(value),
}


def capacity_words(found: Overview) -> str:
    answer = found.answer
    if answer is None:
        return f"Not worked out: {found.capacity_problem}."
    # months in words throughout the sentence (it had read "by 2026-03" beside "from April 2025")
    target = found.target.describe(_month)
    if not found.target.no_52_week_waiters and found.target.pct_within_18_weeks == TARGET_PCT:
        # the department's own 18-week target (its measure's) may be lower: this is the national one
        target = target.replace(" by ", " (the NHS constitutional standard) by ", 1)
    hidden = reached_hidden(answer) if found.suppress else (False, False)
    reached = (answer.baseline, answer.achieved or 0.0)
    without, with_them = (
        MASK if hide else found.target.written(value) for value, hide in zip(reached, hidden, strict=True)
    )
    if hidden[1] and found.target.pct_within_18_weeks is not None:  # reached, by construction
        with_them = f"at least the target's {share_words(found.target.pct_within_18_weeks)}"
    if answer.extra_per_week is None:
        return f"{target}: not reachable from {_month(answer.start)} with any uplift the model allows."
    if answer.extra_per_week == 0:
        maybe_not = "" if hidden[0] else _maybe_not(found)  # a hidden share's interval would give it back
        return f"{target}: met without extra capacity ({without} within 18 weeks then{maybe_not})."
    # with what it reaches hidden, the uplift is too: beside the list without it, it gives that back
    extra = MASK if hidden[1] else f"{answer.extra_per_week:.1f}"
    # the lists would give away the 1–7 of the longest waiters with (or without) a decision to admit
    masked = hidden[1] or (found.suppress and lists_hidden(answer))
    said = [lists_words(answer, mask=MASK if masked else None)]
    if answer.lists_per_week is None:
        said.append("no theatre history in the warehouse to turn them into lists")
    lists = f" ({'; '.join(filter(None, said))})"
    far = beyond_present(answer.extra_per_week, found.capacity, hidden=hidden[1])
    # with what it reaches hidden, its interval would give it back
    short = "" if hidden[1] else _may_fall_short(found, extra)
    # a month or two to the target is a sprint, not a steady uplift: said, or a board read the own
    # target's 42.5 a week for one month beside 92%'s 27.3 for a year as the lower one needing more
    months = (found.target.by - answer.start).n + 1
    sprint = (
        f" ({months} month{'s' if months > 1 else ''} of it to the target's month)" if months <= 3 else ""
    )
    return (
        f"{target}: {extra} extra treatments a week{lists} from "
        f"{_month(answer.start)}{sprint}; without them {without} within 18 weeks, with them {with_them}."
        + (f" {far}." if far else "")
        + short
    )


def _lists_assume(found: Overview) -> str:
    answer = found.answer  # how many the uplift reaches gives a hidden uplift back
    hidden = found.suppress and answer is not None and (lists_hidden(answer) or reached_hidden(answer)[1])
    return lists_assume(found.admitted, answer, hidden=hidden)


def past_due_words(found: Overview) -> str:
    """Those waiting past their priority's target now, P1 to P3 ("P2 30 of 96 and P3 528 of 1,492"), or ""
    when no one is. Said whenever a row is hidden, so that whether it is said gives nothing away."""
    rows = [g for g in found.groups_of("priority") if g.past_due is not None]
    if not any(g.past_due or g.past_due_hidden for g in rows):
        return ""
    said = [
        f"{g.group} {MASK if g.past_due_hidden else f'{g.past_due:,}'} of "
        f"{count(g.waiting, g.hidden, found.suppress)}"
        for g in rows
    ]
    return " and ".join([", ".join(said[:-1]), said[-1]]) if len(said) > 1 else said[0]


def _urgent_assumed(found: Overview) -> str:
    """The answer treats urgent patients in time from the present capacity: where some are past their
    target now, a theatre plan books them before the longest waiters (a director's check: 528 overdue P3
    patients would take the extra lists first), and that is said."""
    said = "urgent patients are treated in time from the present capacity"
    if past_due_words(found):
        rows = [g for g in found.groups_of("priority") if g.past_due is not None]
        # "may be" where a row is hidden: its count may be 0 (an outside check read "some are" of none)
        are = "may be" if any(g.past_due_hidden for g in rows) else "are"
        said += (
            f" (but some {are} past their priority's target now, as above: a theatre plan, which books by "
            "priority, treats them first, so fewer of the extra treatments reach the longest waiters and "
            "the target may be reached later)"
        )
    return said


def assumptions(found: Overview) -> str:
    per_list = f" Cases per list: {found.cases_per_list_source}." if found.cases_per_list_source else ""
    uncertain = ""
    if found.projection is not None:
        last = found.projection.table().iloc[-1]
        uncertain = (
            " These are central answers at steady flows, not forecasts of what will happen: the list's own "
            f"size in {_month(last['month'])} has a 95% interval of {last['waiting_low']:,} to "
            f"{last['waiting_high']:,}, and a plan needs a margin for that."
        )
    return (
        f"Referrals ({found.referrals:,.0f}) and treatments ({found.capacity:,.0f}) a month held at their "
        f"average over the last year; {found.calibration}; {_urgent_assumed(found)}; "
        f"{_lists_assume(found)}."
        f"{per_list}{uncertain}"
    )


def _no_clinical_target(dimension: str, group: str) -> str:
    """Said after a group's target weeks: P5 and P6 are held to the package's 52, which is no
    clinical target (ADR 63)."""
    return " (no clinical target)" if dimension == "priority" and group in DEFERRED else ""


def _group_lines(found: Overview, dimension: str) -> tuple[GroupLine, ...]:
    lines = []
    for g in found.groups_of(dimension):
        s, hide = g.stats, g.hidden
        lines.append(
            GroupLine(
                g.group,
                count(g.waiting, hide, found.suppress),
                MASK if hide else _figure(s.mean_demand, ".1f"),
                MASK if hide else _figure(s.mean_capacity, ".1f"),
                MASK if hide else load_figure(s.load),
                MASK if hide else _figure(s.mean_wait, ".1f"),
                f"{s.target_weeks:.0f}{_no_clinical_target(dimension, g.group)}",
                MASK if hide else _figure(s.pressure, ".2f"),
                hide,
                "" if g.past_due is None else MASK if g.past_due_hidden else f"{g.past_due:,}",
            )
        )
    return tuple(lines)


def _one_offs(found: Overview) -> str:
    """The projection's one-off months (and unusual months carried on) in words, or ""."""
    return "" if found.projection is None else one_offs_said(found.projection.model) or ""


def waiting_list_section(
    found: Overview | None,
    on: date | None = None,
    own: OwnTarget | None = None,
    for_own: Overview | None = None,
) -> WaitingListSection | None:
    """The list worded for the page and the report, as read on ``on`` (default: today in London);
    ``own``: the department's own target for the share, said beside the answer; ``for_own``: the list
    retargeted to it (the report's second answer; the page links to it)."""
    if found is None:
        return None
    on = on if on is not None else today()
    if found.asked_for is not None:  # a report as at a chosen month is read as at that month's end
        on = found.asked_for.end_time.date()
    old = old_figures(found.month, on)
    now, rows = found.now, projection_rows(found)
    if found.projection is not None:
        table = found.projection.table().iloc[-1]
        rough = _rough_guide(found.projection.width.tested_months, HORIZON)
        projection = (
            f"{table['waiting']:,} (95% interval {table['waiting_low']:,} to {table['waiting_high']:,}"
            f"{rough}) in {_month(table['month'])}"
        )
    else:
        projection = f"not projected: {found.projection_problem}"
    first, last = found.stats_window
    return WaitingListSection(
        month=_month(found.month),
        waiting=f"{found.waiting:,}",
        bands=tuple((b.label, count(b.waiting, b.hidden, found.suppress)) for b in found.bands),
        pct_now=MASK if found.share_hidden else pct(now.pct_within_18_weeks),
        pct_in_a_year=with_interval(found, "pct_within_18_weeks", len(found.weeks.steps) - 1),
        p92_now=MASK if found.p92_hidden else weeks_written(now.p92_weeks),
        over_52_now=count(now.over_52_weeks, found.over_52_hidden, found.suppress),
        over_52_in_a_year=with_interval(found, "over_52_weeks", len(found.weeks.steps) - 1),
        weeks_waiting_in_a_year=count(found.in_a_year.waiting, suppress=found.suppress),
        projection=projection,
        projected=found.projection is not None,
        rows=rows,
        target=found.target.describe(_month),
        capacity=capacity_words(found),
        assumptions=assumptions(found),
        past_due=past_due_words(found),
        interval_basis=found.projection.width.basis(untested=False) if found.projection is not None else "",
        weeks_basis=found.interval_basis,
        one_offs=_one_offs(found),
        flows_changed=found.flows_changed,
        capacity_at_latest=found.capacity_at_latest,
        own_target=own.words(found.month, found.target.by) if own is not None else "",
        own_capacity=capacity_words(for_own) if for_own is not None else "",
        own_capacity_at_latest=for_own.capacity_at_latest if for_own is not None else "",
        coming_back=found.projection is not None
        and bool(coming_back(found.projection.model.one_offs, found.projection.model.ahead)[-1] >= 1),
        groups=tuple(
            (words, _group_lines(found, column)) for column, words in DIMENSIONS if found.groups_of(column)
        ),
        unrecorded=" or ".join(words.lower() for column, words in DIMENSIONS if column in found.unrecorded),
        any_hidden=any(b.hidden or (found.suppress and is_small(b.waiting)) for b in found.bands)
        or found.over_52_hidden
        or any(g.hidden or g.past_due_hidden for g in found.groups)
        or any(MASK in (row.pct_within_18_weeks, row.over_52_weeks) for row in rows),
        stats_window=f"{first:%d %B %Y} to {last:%d %B %Y}",
        old=old,
        ahead=ahead_words(found.month, on),
        in_a_year=f"In the {HORIZON} months after {_month(found.month)}" if old else f"In {HORIZON} months",
    )


# --- the workbook --------------------------------------------------------------------------------


def waiting_list_sheets(
    found: Overview, on: date | None = None, own: OwnTarget | None = None, for_own: Overview | None = None
) -> dict[str, pd.DataFrame]:
    """The section's tables, numbers as numbers and small counts as "*" (old figures said so first)."""
    section = waiting_list_section(found, on, own, for_own)
    now, later, last = found.now, found.in_a_year, len(found.weeks.steps) - 1
    notice = section.notice
    in_a_year = section.in_a_year[0].lower() + section.in_a_year[1:]
    summary = pd.DataFrame(
        [
            *([("Old figures", notice)] if notice else []),
            ("List's month", str(found.month)),
            ("Waiting at the month's end", found.waiting),
            (
                "% within 18 weeks at the month's end",
                MASK if found.share_hidden else round(now.pct_within_18_weeks, 1),
            ),
            (
                f"% within 18 weeks at the end of {_month(later.month)}",
                MASK if found.hidden("pct_within_18_weeks", last) else round(later.pct_within_18_weeks, 1),
            ),
            (
                "92nd percentile wait at the month's end (weeks)",
                MASK if found.p92_hidden else _open_band(round(now.p92_weeks, 1)),
            ),
            (
                "Waiting more than 52 weeks at the month's end",
                section.over_52_now
                if section.over_52_now == MASK
                else int(section.over_52_now.replace(",", "")),
            ),
            *([("Waiting past their priority's target now", section.past_due)] if section.past_due else []),
            (f"Projection {in_a_year}", section.projection),
            ("Target", section.target),
            ("Capacity for the target", section.capacity),
            *([("The department's own target", section.own_target)] if section.own_target else []),
            *(
                [("Capacity for the department's own target", section.own_capacity)]
                if section.own_capacity
                else []
            ),
            *(
                [("The department's own target at the latest flows", section.own_capacity_at_latest)]
                if section.own_capacity_at_latest
                else []
            ),
            ("Assumptions", section.assumptions),
            ("The projection's 95% interval", section.interval_basis or "none: too little history"),
            *([("One-off months", section.one_offs)] if section.one_offs else []),
            (
                "The 95% intervals of within 18 weeks, the 92nd percentile and more than 52 weeks",
                section.weeks_basis or "none: too little history to test the weeks-waited projection",
            ),
            ("The WL projection sheet", PROJECTION_SHEET_NOTE if section.projected else UNPROJECTED_NOTE),
            *(
                [("The WL groups sheet", section.unrecorded_note("this sheet", "demand and capacity"))]
                if section.unrecorded
                else []
            ),
        ],
        columns=["Measure", "Value"],
    )
    summary["Value"] = summary["Value"].astype(object)
    bands = pd.DataFrame(
        {
            "Weeks waited": [b.label for b in found.bands],
            "Waiting": [MASK if b.hidden or is_small(b.waiting) else b.waiting for b in found.bands],
        }
    )
    table = found.projection.table() if found.projection is not None else None
    rows = []
    for k, step in enumerate(found.weeks.steps):
        s = step.waiting_list.summary()
        over_52 = round(s.over_52_weeks)
        masked = {figure: found.hidden(figure, k) for figure in TESTED}
        masked["over_52_weeks"] |= bool(is_small(over_52))
        interval = {figure: None if masked.get(figure) else found.interval(figure, k) for figure in TESTED}
        rows.append(
            {
                "Month": s.month,
                "Waiting": table["waiting"].iloc[k] if table is not None else round(s.waiting),
                "Waiting, 95% low": table["waiting_low"].iloc[k] if table is not None else None,
                "Waiting, 95% high": table["waiting_high"].iloc[k] if table is not None else None,
                "Waiting, by weeks waited": round(s.waiting),
                "% within 18 weeks": MASK
                if masked["pct_within_18_weeks"]
                else round(s.pct_within_18_weeks, 1),
                **_ends("% within 18 weeks", interval["pct_within_18_weeks"], 1),
                "92nd percentile (weeks)": MASK if masked["p92_weeks"] else _open_band(round(s.p92_weeks, 1)),
                **_ends("92nd percentile (weeks)", interval["p92_weeks"], 1),
                "More than 52 weeks": MASK if masked["over_52_weeks"] else over_52,
                **_ends("More than 52 weeks", interval["over_52_weeks"], 0),
            }
        )
    groups = []
    for g in found.groups:
        s, hide = g.stats, g.hidden
        groups.append(
            {
                "Group by": g.dimension,
                "Group": g.group,
                "Waiting": MASK if hide or is_small(g.waiting) else g.waiting,
                "Demand a week": MASK if hide else round(s.mean_demand, 2),
                "Capacity a week": MASK if hide else round(s.mean_capacity, 2),  # none removed: blank
                "Load": MASK if hide else round(s.load, 3),
                "Mean wait (weeks)": MASK if hide else round(s.mean_wait, 2),
                # as the page shows it (P4: 52, not 52.1; P5, P6: no clinical target)
                "Target (weeks)": f"{round(s.target_weeks)}{no_target}"
                if (no_target := _no_clinical_target(g.dimension, g.group))
                else round(s.target_weeks),
                "Pressure": MASK if hide else round(s.pressure, 3),
                "Past target": None if g.past_due is None else MASK if g.past_due_hidden else g.past_due,
            }
        )
    return {
        "Waiting list": summary,
        "WL weeks waited": bands,
        "WL projection": pd.DataFrame(rows),
        "WL groups": pd.DataFrame(groups),
    }


def _ends(column: str, interval: tuple[float, float] | None, decimals: int) -> dict[str, float | None]:
    """A workbook column's 95% interval as two columns beside it, blank without one."""
    low, high = interval if interval is not None else (None, None)
    rounded = (lambda v: round(v, decimals)) if decimals else round  # a count as a whole number
    return {
        f"{column}, 95% low": None if low is None else rounded(low),
        f"{column}, 95% high": None if high is None else rounded(high),
    }


#: Two models feed the projection sheet, as the page and report say beside their table.
PROJECTION_SHEET_NOTE = (
    "Waiting and its 95% interval: the average of a model of the list's flows and a model of the list "
    "itself. Waiting by weeks waited, % within 18 weeks, the 92nd percentile and more than 52 weeks: "
    "the list moved forward by weeks waited (NHSRtt) at the present flows, whose own list size can "
    "differ from the first by a few per cent."
)


#: Beside the groups when some pathways have none (ADR 60): the rows add up to less than the list.
GROUPS_UNRECORDED_NOTE = (
    "Some pathways of the year have no {columns} recorded (a non-admitted pathway, waiting for no list, "
    "or a treated one may be loaded without one): they are in the list's figures and in no row of "
    "{where}, whose waiting, {flows} add up to less than the list's."
)


#: The same sheet when the history is too short to project: one model gives every column.
UNPROJECTED_NOTE = (
    "Too little history to project the list with an interval: every column is the list moved forward "
    "by weeks waited (NHSRtt) at the present flows."
)


# --- the chart -----------------------------------------------------------------------------------


#: A chart's legend in its own row above the plot: below it, it hid the slanted month labels.
LEGEND_ABOVE = {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"}


def chart_title(text: str, y: float) -> dict:
    """A title of one or two lines (``<br>`` between them, the rest escaped) from the left, placed
    ``y`` of the way up the figure: a phone's width holds it above the legend."""
    return {
        "text": html.escape(text, quote=False).replace("&lt;br&gt;", "<br>"),
        "x": 0,
        "xanchor": "left",
        "y": y,
        "yanchor": "top",
        "yref": "container",
        "font": {"size": 16},
    }


def projection_figure(found: Overview):
    """The list's size month by month (the last 24 months) and the projection with its 95% interval
    (or, with too short a history, the weeks-waited model's path, without an interval); the title
    names the months, which may be long past (old figures)."""
    figure = go.Figure()
    past = found.history.tail(24)
    # two lines, so a phone's width holds the title; the legend has its own row below it
    title = f"Patients waiting to {_month(found.month)},<br>and projected {HORIZON} months on"
    months = list(past["month"].astype(str))
    figure.add_scatter(
        x=months, y=list(past["waiting"].astype(float)), mode="lines+markers", name="Waiting",
        line={"color": "#231F20", "width": 1.5}, marker={"size": 5},
    )  # fmt: skip
    origin = [str(found.month)], [float(found.waiting)]
    if found.projection is not None:
        table = found.projection.table()
        ahead = origin[0] + list(table["month"])
        high = origin[1] + list(table["waiting_high"].astype(float))
        low = origin[1] + list(table["waiting_low"].astype(float))
        figure.add_scatter(
            x=ahead, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
        )
        figure.add_scatter(
            x=ahead, y=low, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=INTERVAL,
            name="95% interval", hoverinfo="skip",
        )  # fmt: skip
        central = origin[1] + list(table["waiting"].astype(float))
        name = "Projection"
    else:
        ahead = origin[0] + [s.waiting_list.summary().month for s in found.weeks.steps]
        central = origin[1] + [s.waiting_list.total for s in found.weeks.steps]
        name = "At the present flows (no interval: too short a history)"
    figure.add_scatter(x=ahead, y=central, mode="lines", name=name, line={"color": BLUE, "dash": "dash"})
    figure.update_layout(
        title=chart_title(title, 0.9),
        margin={"t": 125, "l": 60, "r": 20},
        xaxis_title="Month",
        yaxis_title="Patients waiting",
        template="simple_white",
        legend=LEGEND_ABOVE,
        xaxis={"type": "category", "tickangle": -45, "nticks": 13},
    )
    return figure


def projection_json(found: Overview) -> str:
    """The chart and its options as JSON, for the page's ``data-figure`` (``static/chart.js``)."""
    from plotly.io.json import to_json_plotly

    data = projection_figure(found).to_plotly_json()
    return to_json_plotly({"data": data["data"], "layout": data["layout"], "config": PLOTLY_CONFIG})
