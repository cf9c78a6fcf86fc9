"""The theatre history a department's warehouse holds, read for its cases a list and for next month's
lists, and the theatre list plan's inputs, words and workbook (``stocktake waitinglist plan``).

Every problem is one :class:`WaitingListInputError` line naming the warehouse, the table, the column
and the value, raised before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from stocktake.bank_holidays import bank_holidays, working_days
from stocktake.files.waitinglist import (
    WaitingListInputError,
    month_option,
    refuse_future_dates,
)
from stocktake.waitinglist.list_pattern import (
    ShortDay,
    filled_words,
    repeated_weeks,
    short_days,
    unbooked_days,
    unbooked_kinds,
)
from stocktake.waitinglist.stats import DEFERRED, PRIORITY_TARGETS
from stocktake.waitinglist.theatre_plan import (
    LONG_WAIT_DAYS,
    Durations,
    TheatreList,
    WaitingPatient,
    durations_from_history,
)

PLANNED_TYPES = ("elective", "day_case")


# --- the theatre history --------------------------------------------------------------------------


def _read(warehouse: Path, queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Run each query on the warehouse (read-only); a missing table or column is one line."""
    from stocktake.warehouse import WarehouseError, connect, problems

    if not Path(warehouse).is_file():
        raise WaitingListInputError(f"{warehouse}: no such warehouse; give the file `stocktake ingest` wrote")
    needed = {name.split(":")[0] for name in queries}
    try:
        with connect(warehouse, read_only=True) as con, problems(warehouse):
            tables = {
                r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
            absent = sorted(needed - tables)
            if absent:
                raise WaitingListInputError(
                    f"{warehouse}: has no {', '.join(absent)}; load "
                    f"{'them' if len(absent) > 1 else 'it'} with `stocktake ingest`"
                )
            return {name: con.execute(sql).fetch_df() for name, sql in queries.items()}
    except WarehouseError as error:
        raise WaitingListInputError(str(error)) from None


SESSIONS_SQL = (
    "SELECT session_id, site, theatre, date, planned_start, planned_end, surgeon, session_type "
    "FROM theatre_sessions"
)


def _sessions(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["date"] = pd.to_datetime(frame["date"])
    # "Elective" is elective: a warehouse built outside the load step may not hold the codes' case
    frame["session_type"] = (
        frame["session_type"].str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
    )
    frame["minutes"] = (
        pd.to_datetime(frame["planned_end"]) - pd.to_datetime(frame["planned_start"])
    ).dt.total_seconds() // 60
    return frame


def _not_cancelled(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases done: not cancelled on the day (a blank flag is a case that went ahead)."""
    return cases[~cases["cancelled_on_day"].fillna(False).astype(bool)]


@dataclass(frozen=True)
class RecentLists:
    """The planned (elective and day-case) lists of the latest weeks of the theatre history: the cases
    done on them, which the capacity answer counts extra lists at, and how many ran past their planned
    end, which the plan's risk rule will not repeat (so its lists take fewer)."""

    lists: int
    cases: int
    #: Lists whose last patient left theatre after the list's planned end (of those with times).
    overran: int
    timed: int
    first: date
    last: date
    weeks: int

    @property
    def cases_a_list(self) -> float:
        return self.cases / self.lists


def recent_lists(
    sessions: pd.DataFrame, cases: pd.DataFrame, weeks: int = 13, until=None
) -> RecentLists | None:
    """:class:`RecentLists` over the latest ``weeks`` of ``sessions`` (to ``until``); None with no
    planned list. ``cases`` needs session_id, cancelled_on_day and out_of_theatre_at."""
    planned = sessions[sessions["session_type"].isin(PLANNED_TYPES)]
    if until is not None:
        planned = planned[planned["date"] <= pd.Timestamp(until)]
    if planned.empty:
        return None
    recent = planned[planned["date"] > planned["date"].max() - pd.Timedelta(weeks=weeks)]
    done = _not_cancelled(cases)
    done = done[done["session_id"].isin(recent["session_id"])]
    left = pd.to_datetime(done["out_of_theatre_at"]).groupby(done["session_id"]).max().dropna()
    ends = pd.to_datetime(recent.set_index("session_id")["planned_end"]).reindex(left.index)
    return RecentLists(
        lists=len(recent),
        cases=len(done),
        overran=int((left > ends).sum()),
        timed=len(left),
        first=recent["date"].min().date(),
        last=recent["date"].max().date(),
        # the weeks the lists span, when the history is shorter ("the 13 weeks" of 4 weeks' lists)
        weeks=min(weeks, max(round(((recent["date"].max() - planned["date"].min()).days + 1) / 7), 1)),
    )


def cases_per_list(warehouse: Path, weeks: int = 13, until: date | None = None) -> tuple[float, str]:
    """Cases done per planned (elective and day-case) list over the latest ``weeks`` of the history
    (to ``until``, for a report as at a month past: never with lists after it)."""
    read = _read(
        warehouse,
        {
            "theatre_sessions": SESSIONS_SQL,
            "theatre_cases": "SELECT session_id, cancelled_on_day, out_of_theatre_at FROM theatre_cases",
        },
    )
    found = recent_lists(_sessions(read["theatre_sessions"]), read["theatre_cases"], weeks, until)
    if found is None:
        by = f" by {until}" if until is not None else ""
        raise WaitingListInputError(f"{warehouse}: theatre_sessions has no elective or day-case lists{by}")
    # the lists run a week, so an answer of "48.5 extra lists a week" is read beside them (a review)
    lists = f"{found.lists:,} elective and day-case lists ({found.lists / found.weeks:.0f} a week)"
    said = f"{found.cases:,} cases on {lists}, {found.first} … {found.last}"
    if found.overran:  # lists filled only as far as they seldom over-run hold fewer (a director's check:
        # the answer's 8.0 lists at 3.54 a list were 9.4 at the plan's 3.00)
        said += (
            f"; {found.overran:,} of the {found.timed:,} lists with recorded times "
            f"({found.overran / found.timed:.0%}) ran past their planned end, so lists booked not to "
            "over-run may do fewer cases and need more lists (the theatre list plan says how many a list "
            "it books)"
        )
    return found.cases_a_list, said


@dataclass(frozen=True)
class PlanInputs:
    patients: tuple[WaitingPatient, ...]
    lists: tuple[TheatreList, ...]
    durations: Durations
    month_start: date
    month_end: date
    lists_source: str
    skipped_groups: dict[str, int]
    #: The pathways' latest recorded date: a month planned well after it plans an old list.
    list_as_of: date
    #: Patients no list of the month can take (kind, surgeon or minutes), by procedure group.
    no_list: dict[str, int] = field(default_factory=dict)
    #: Those waiting whose group cannot be timed: not planned, but counted in the scores (a P1 too).
    unplanned: tuple[WaitingPatient, ...] = ()
    #: Those waiting at the month's start with no priority recorded, by group: not planned or scored.
    no_priority: dict[str, int] = field(default_factory=dict)
    #: Of those still waiting, the ones in a procedure group the theatre history times, (pathway ID,
    #: clock start, group): perhaps waiting for a list with their priority unrecorded, so named on the
    #: not booked sheet (a non-admitted pathway has no such group).
    unprioritised: tuple[tuple[str, date, str], ...] = ()
    #: Those waiting at the month's start deferred at their own choice (P5, P6), by group: not booked.
    deferred: dict[str, int] = field(default_factory=dict)
    #: Their clock starts: how many are past or reaching 52 weeks, which the score does not count.
    deferred_starts: tuple[date, ...] = ()
    #: Lists whose surgeon has done no case in the history, by surgeon: they take no booking.
    surgeons_without_history: dict[str, int] = field(default_factory=dict)
    #: Each pathway's own consultant, where recorded: the bookings sheet sets it beside the list's.
    consultants: dict[str, str] = field(default_factory=dict)
    #: Other lists no one waiting can go on (the surgeon's procedures, kind or length), by surgeon.
    lists_no_one_fits: dict[str, int] = field(default_factory=dict)
    #: (site, day) of a month booked in part that usually have lists but have none booked.
    unbooked_days: tuple[tuple[str, date], ...] = ()
    #: By kind of list, (site, day) with other lists booked but none of a kind the day usually has.
    unbooked_kinds: dict[str, tuple[tuple[str, date], ...]] = field(default_factory=dict)
    #: Days booked with half or fewer of a kind's usual lists.
    short_days: tuple[ShortDay, ...] = ()
    #: Booked lists' days that are bank holidays, with the holiday (kept as booked; worth a check).
    booked_on_holidays: dict[date, str] = field(default_factory=dict)
    #: Pathways treated (clock stopped) a month over the three months before the month; None without.
    treated_a_month: float | None = None
    #: The planned lists of the 13 weeks before the month; None without.
    recent_lists: RecentLists | None = None

    @property
    def stale_by(self) -> int:
        """Days the waiting list's record ends before the month, when a working day lies between (0
        when it reaches the last working day before it): the list then misses those days' referrals
        and still holds their treatments. A record ending on a Friday is not old on the Monday."""
        missed = working_days(self.list_as_of + timedelta(days=1), self.month_start)
        return (self.month_start - self.list_as_of).days if missed else 0

    @property
    def waiting_when(self) -> str:
        """When the planned list is the waiting list of: the month's start, or its record's end."""
        return (
            f"on {self.list_as_of}, as recorded"
            if self.stale_by
            else f"at the start of {self.month_start:%Y-%m}"
        )


def plan_inputs(warehouse: Path, month: str, risk: float) -> PlanInputs:
    """The waiting list at the month's start, its planned lists, case times from the history, and who
    and which lists the plan cannot use (at ``risk``, the largest chance of a list over-running)."""
    from stocktake.waitinglist.theatre_plan import lists_no_one_takes, no_list_takes

    period = month_option("--month", month)
    start, end = period.start_time.normalize(), period.end_time.normalize()
    read = _read(
        warehouse,
        {
            "theatre_sessions": SESSIONS_SQL,
            "theatre_cases": "SELECT session_id, procedure_group, in_theatre_at, out_of_theatre_at, "
            "cancelled_on_day FROM theatre_cases",
            # the consultant where the warehouse holds one (an optional column, later than the rest)
            "rtt_pathways": "SELECT COLUMNS('^(pathway_id|clock_start|clock_stop|priority|procedure_group|"
            "status|consultant)$') FROM rtt_pathways",
        },
    )
    sessions, cases, pathways = (
        _sessions(read["theatre_sessions"]),
        read["theatre_cases"],
        read["rtt_pathways"],
    )
    try:
        _refuse_repeated(sessions, "theatre_sessions", "session_id", "each list once")
        _refuse_repeated(pathways, "rtt_pathways", "pathway_id", "each pathway once")
        lists, source = _month_lists(sessions, period)
    except WaitingListInputError as error:
        raise WaitingListInputError(f"{warehouse}: {error}") from None
    history = sessions[sessions["date"] < start]
    done = _not_cancelled(cases).merge(history[["session_id", "surgeon", "session_type"]], on="session_id")
    if done.empty:
        first = sessions["date"].min()
        raise WaitingListInputError(
            f"{warehouse}: theatre_cases has no done cases before {period} to time its cases from (the "
            f"theatre history starts on {first.date()}): plan a later month"
        )
    done["in"] = pd.to_datetime(done["in_theatre_at"])
    done["out"] = pd.to_datetime(done["out_of_theatre_at"])
    done["minutes"] = (done["out"] - done["in"]).dt.total_seconds() / 60
    done = done.sort_values(["session_id", "in"])
    done["gap"] = (done["in"] - done.groupby("session_id")["out"].shift()).dt.total_seconds() / 60
    durations = durations_from_history(done)
    pathways["clock_start"] = pd.to_datetime(pathways["clock_start"])
    pathways["clock_stop"] = pd.to_datetime(pathways["clock_stop"])
    refuse_future_dates(pathways, warehouse)  # one 2052 stop would hide the list's age, and book it
    _refuse_unclear_pathways(pathways, warehouse)
    waiting = pathways[
        (pathways["clock_start"] < start)
        & (pathways["clock_stop"].isna() | (pathways["clock_stop"] >= start))
    ]
    if waiting.empty:
        raise WaitingListInputError(f"{warehouse}: rtt_pathways has no one waiting at the start of {period}")
    # No priority recorded (ADR 60): not waiting for a list (a non-admitted pathway), not yet
    # prioritised, or stopped since the month's start: left out, and said by group.
    priorities = waiting["priority"].astype("string").str.strip().replace("", pd.NA)
    unprioritised = priorities.isna().to_numpy(dtype=bool)
    no_priority = waiting.loc[unprioritised, "procedure_group"].fillna(NO_GROUP).value_counts().to_dict()
    # named: those still waiting as recorded (one stopped since needs nothing) in a procedure group the
    # theatre history times, whom the plan would book with a priority (not a non-admitted pathway's)
    timed = waiting["procedure_group"].isin(list(durations.session_types)).fillna(False)
    named = waiting[unprioritised & (timed & waiting["clock_stop"].isna()).to_numpy(dtype=bool)]
    waiting, priorities = waiting[~unprioritised], priorities[~unprioritised]
    # deferred at the patient's choice (P5, P6): a decision to admit, not to be booked (ADR 63)
    chose_to_wait = priorities.isin(DEFERRED).to_numpy(dtype=bool)
    deferred = waiting.loc[chose_to_wait, "procedure_group"].fillna(NO_GROUP).value_counts().to_dict()
    deferred_starts = waiting.loc[chose_to_wait, "clock_start"]
    waiting, priorities = waiting[~chose_to_wait], priorities[~chose_to_wait]
    if waiting.empty:
        raise WaitingListInputError(
            f"{warehouse}: rtt_pathways has no one waiting at {period} with a priority the plan books "
            "(P1 to P4)"
            + (f"; {len(deferred_starts):,} deferred at their own choice (P5, P6)" if deferred else "")
            + ": there is no one to plan"
        )
    odd = ~priorities.isin(list(PRIORITY_TARGETS)).to_numpy(dtype=bool)
    if odd.any():
        i = int(odd.argmax())
        raise WaitingListInputError(
            f"{warehouse}: rtt_pathways, pathway {waiting['pathway_id'].iloc[i]}, priority: "
            f"{priorities.iloc[i]!r}; expected one of P1 to P6 ({int(odd.sum())} waiting "
            f"pathway{'s' if odd.sum() > 1 else ''} like it)"
        )
    waiting = waiting.assign(priority=priorities, procedure_group=waiting["procedure_group"].fillna(NO_GROUP))
    unknown = ~waiting["procedure_group"].isin(durations.session_types)
    skipped = waiting.loc[unknown, "procedure_group"].value_counts().to_dict()
    patients, unplanned = (
        tuple(
            WaitingPatient(str(r.pathway_id), r.clock_start.date(), str(r.priority), str(r.procedure_group))
            for r in waiting[rows].itertuples()
        )
        for rows in (~unknown, unknown)
    )
    recorded = pd.concat([pathways["clock_start"], pathways["clock_stop"]]).max()
    known = durations.surgeon_groups or {}
    no_history = pd.Series([t.surgeon for t in lists if t.surgeon not in known], dtype=object).value_counts()
    unfilled = lists_no_one_takes(patients, lists, durations, risk)
    holidays = bank_holidays(start.date(), end.date())
    planned = sessions[sessions["session_type"].isin(PLANNED_TYPES)]
    return PlanInputs(
        patients,
        tuple(lists),
        durations,
        start.date(),
        end.date(),
        source,
        skipped,
        recorded.date(),
        no_list=no_list_takes(patients, lists, durations, risk),
        unplanned=unplanned,
        no_priority={str(g): int(n) for g, n in no_priority.items()},
        deferred={str(g): int(n) for g, n in deferred.items()},
        deferred_starts=tuple(sorted(d.date() for d in deferred_starts)),
        unprioritised=tuple(
            (str(r.pathway_id), r.clock_start.date(), str(r.procedure_group))
            for r in named.sort_values(["clock_start", "pathway_id"]).itertuples()
        ),
        surgeons_without_history={str(k): int(v) for k, v in no_history.items()},
        consultants=(
            {
                str(p): str(c)
                for p, c in zip(pathways["pathway_id"], pathways["consultant"], strict=True)
                if pd.notna(c)
            }
            if "consultant" in pathways
            else {}
        ),
        lists_no_one_fits={str(s): n for s, n in unfilled.items() if s in known},  # else no history
        unbooked_days=unbooked_days(planned, period),
        unbooked_kinds=unbooked_kinds(planned, period),
        short_days=short_days(planned, period),
        booked_on_holidays={t.date: holidays[t.date] for t in lists if t.date in holidays},
        treated_a_month=_treated_a_month(pathways, period, durations.session_types),
        recent_lists=recent_lists(history, cases),
    )


#: Months of treatments the plan's bookings are set beside.
TREATED_MONTHS = 3


def _treated_a_month(pathways: pd.DataFrame, period: pd.Period, groups: Iterable[str]) -> float | None:
    """Pathways of the procedure ``groups`` the plan books treated a month over the
    :data:`TREATED_MONTHS` before ``period`` (a whole tracking list's non-admitted treatments, in no
    such group, had hidden a plan booking 4.7 times its own: an outside check), or None when the
    pathways do not reach the month before it (a month planned far ahead has no recent months)."""
    first, start = (period - TREATED_MONTHS).start_time.normalize(), period.start_time.normalize()
    recorded = pathways["clock_stop"].max()
    if pd.isna(recorded) or working_days(recorded.date() + timedelta(days=1), start.date()):
        return None
    stops = pathways["clock_stop"]
    treated = (pathways["status"] == "treated") & (stops >= first) & (stops < start)
    treated &= pathways["procedure_group"].isin(list(groups)).fillna(False)
    return float(treated.sum()) / TREATED_MONTHS


#: How far past the theatre history a month may be planned with its latest four weeks repeated: beyond
#: two years the department's lists (and the list waiting for them) are a guess, not a pattern.
REPEAT_MONTHS = 24


#: A waiting pathway's procedure group when none is recorded: named among those not planned.
NO_GROUP = "(none)"


def _refuse_unclear_pathways(pathways: pd.DataFrame, warehouse: Path) -> None:
    """A pathway with no clock start, treated or removed with no clock stop, or waiting with one, is
    neither on the list nor off it: named, not booked as a long waiter or dropped unsaid."""
    status = pathways["status"].astype("string").str.strip().str.lower()
    for bad, words in (
        (pathways["clock_start"].isna(), "clock_start: blank; every pathway starts"),
        (
            pathways["clock_stop"].isna() & status.isin(["treated", "removed"]).fillna(False),
            "clock_stop: blank, but its status says it stopped",
        ),
        (  # the other way round had been left out of the plan unsaid (an outside check)
            pathways["clock_stop"].notna() & (status == "waiting").fillna(False),
            "clock_stop: recorded, but its status says waiting",
        ),
    ):
        if bad.any():
            row = pathways[bad.to_numpy()].iloc[0]
            raise WaitingListInputError(
                f"{warehouse}: rtt_pathways, pathway {row['pathway_id']}, {words} ({int(bad.sum())} "
                "like it); correct the extract and load it again"
            )


def _refuse_repeated(table: pd.DataFrame, name: str, column: str, expected: str) -> None:
    repeated = table[column].duplicated(keep=False)
    if repeated.any():
        first = table.loc[repeated, column].iloc[0]
        raise WaitingListInputError(
            f"{name}: {column} {first!r} is on {int((table[column] == first).sum())} rows; expected "
            f"{expected} ({int(table.loc[repeated, column].nunique())} repeated)"
        )


def _refuse_unplannable(rows: pd.DataFrame, what: str = "of the lists to plan") -> None:
    """The lists to plan need a surgeon and a length: one without is named, not planned as "nan"."""
    for column, bad, expected in (
        ("surgeon", rows["surgeon"].isna() | (rows["surgeon"].astype(str).str.strip() == ""), "a surgeon"),
        ("planned_start, planned_end", ~(rows["minutes"] > 0), "an end after its start"),
    ):
        if bad.any():
            row = rows[bad].iloc[0]
            raise WaitingListInputError(
                f"theatre_sessions, session {row['session_id']} on {row['date'].date()}, {column}: expected "
                f"{expected} ({int(bad.sum())} {what} like it)"
            )


def _month_lists(sessions: pd.DataFrame, period: pd.Period) -> tuple[list[TheatreList], str]:
    """The month's own planned lists, or the latest four weeks' lists repeated through it.

    A month before the history's first planned list, or more than :data:`REPEAT_MONTHS` after its
    last, is refused (one line naming the history's months).
    """
    start, end = period.start_time.normalize(), period.end_time.normalize()
    near = sessions[(sessions["date"] >= start - pd.Timedelta(days=28)) & (sessions["date"] <= end)]
    untyped = near["session_type"].isna() | (near["session_type"].astype(str).str.strip() == "")
    if untyped.any():  # an elective list or not? Left out unsaid, its cases would go unplanned
        row = near[untyped].iloc[0]
        raise WaitingListInputError(
            f"theatre_sessions, session {row['session_id']} on {row['date'].date()}, session_type: blank; "
            f"expected one of {', '.join(PLANNED_TYPES)} or another type ({int(untyped.sum())} like it)"
        )
    planned = sessions[sessions["session_type"].isin(PLANNED_TYPES)]
    if planned.empty:
        raise WaitingListInputError(f"no elective or day-case lists to plan {period} from")
    first, last = planned["date"].min(), planned["date"].max()
    held = f"the elective and day-case lists run from {first.date()} to {last.date()}"
    if end < first:
        raise WaitingListInputError(f"{period} is before the theatre history: {held}")
    if period > last.to_period("M") + REPEAT_MONTHS:
        raise WaitingListInputError(
            f"{period} is more than {REPEAT_MONTHS} months after the theatre history ({held}); the plan "
            "repeats the latest four weeks' lists no further"
        )
    own = planned[(planned["date"] >= start) & (planned["date"] <= end)]
    if not own.empty:
        rows, source = own, f"the {len(own)} elective and day-case lists booked in {period}"
        dates = own["date"]
    else:
        before = planned[planned["date"] < start]
        latest = before["date"].max()
        pattern = repeated_weeks(before, latest)
        template, filled = pattern.lists, pattern.filled
        # named as the extract has them, before they are repeated under new IDs and dates (one had been
        # named "TS0011281+2025-04-01", found nowhere in the extract) or onto a bank holiday
        _refuse_unplannable(template, "of the four weeks' lists repeated")
        # every shift by whole four weeks that lands a list of the template in the month
        shifts = range((start - latest).days // 28, (end - template["date"].min()).days // 28 + 1)
        repeated = []
        for k in shifts:
            shifted = template.assign(date=template["date"] + pd.Timedelta(days=28 * k))
            repeated.append(shifted[(shifted["date"] >= start) & (shifted["date"] <= end)])
        rows = pd.concat(repeated)
        rows = rows.assign(
            session_id=[f"{s}+{d:%Y-%m-%d}" for s, d in zip(rows["session_id"], rows["date"], strict=True)]
        )
        # a repeated week is not a booked one: no list is repeated onto a bank holiday
        holidays = bank_holidays(start.date(), end.date())
        on_holiday = rows["date"].dt.date.isin(list(holidays)).to_numpy()
        skipped = sorted(set(rows.loc[on_holiday, "date"].dt.date))
        rows = rows[~on_holiday]
        source = (
            f"no lists booked in {period}: the four weeks to {latest.date()} repeated ({len(rows)} lists)"
        )
        if filled:
            days = f"{len(filled)} usual list day{'s' * (len(filled) > 1)}"
            source += (
                f"; {days} of them without lists (a bank holiday, a closure, not yet booked) took their "
                f"weekday's latest lists: {filled_words(filled, _sites(template))}"
            )
        if dropped := pattern.dropped:
            days = ", ".join(f"{d:%A} {d.day} {d:%B}" for d in dropped)
            source += (
                f"; lists on an odd day not repeated (a weekday with lists on under a quarter of its "
                f"days): {days}"
            )
        if skipped:
            named = ", ".join(f"{holidays[d]} {d.day} {d:%B}" for d in skipped)
            source += f"; {int(on_holiday.sum())} on bank holidays left out: {named}"
        dates = rows["date"]
    _refuse_unplannable(rows)
    lists = [
        TheatreList(
            str(r.session_id),
            d.date(),
            str(r.surgeon),
            int(r.minutes),
            str(r.session_type),
            str(r.site),
            str(r.theatre),
        )
        for r, d in zip(rows.itertuples(), dates, strict=True)
    ]
    return lists, source


# --- writing --------------------------------------------------------------------------------------


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """Every table a sheet, written whole or not at all (``spreadsheets.write_tables``)."""
    from stocktake.spreadsheets import write_tables

    try:
        write_tables(sheets, path)  # an .xlsx path: the command refuses any other
    except OSError as error:
        raise WaitingListInputError(f"{path}: cannot write the file: {error.strerror}") from None


def run_plan(warehouse: Path, month: str, risk: float, seconds: float):
    """Next month's lists packed by CP-SAT and by first come, first served, each scored."""
    from stocktake.waitinglist.theatre_plan import plan_lists

    if not 0 < risk < 0.5:
        raise WaitingListInputError(
            f"--risk {risk:g}: expected a chance of over-running above 0 and below 0.5"
        )
    if not 0.1 <= seconds <= 600:  # a week's solve is given 0.1 at least: a smaller figure was not what ran
        raise WaitingListInputError(f"--seconds {seconds:g}: expected at least 0.1 and at most 600")
    inputs = plan_inputs(warehouse, month, risk)
    optimised, fcfs = plan_lists(
        inputs.patients,
        inputs.lists,
        inputs.durations,
        inputs.month_start,
        inputs.month_end,
        risk,
        seconds,
        also_waiting=inputs.unplanned,
    )
    return inputs, optimised, fcfs


#: Why a procedure group's patients are not planned when the history cannot time their case (cases
#: with their out before their in, or none at all, count the same).
HISTORY_MISSING = "fewer than 3 done cases of the group with a time in the theatre history"


def _unprioritised_why(clock_start: date, month_start: date, month_end: date) -> str:
    """Why one waiting without a priority is named: their completed weeks at the month's start (RTT's
    count: 361 days is 51 weeks, not over 52), and the day they reach 52 weeks if it falls in the month."""
    said = f"no priority recorded, waiting {(month_start - clock_start).days // 7} weeks at the month's start"
    if month_start <= (reached := clock_start + timedelta(days=LONG_WAIT_DAYS)) <= month_end:
        said += f", reaching 52 weeks on {reached}"
    return said + ": if they wait for a list, record their priority"


def _long_waits_words(inputs: PlanInputs, starts, then: str = "") -> str:
    """How many of those left out with these clock starts wait more than 52 weeks at the month's start
    and how many reach 52 weeks in it (then ``then``), or nothing when none do."""
    over = sum((inputs.month_start - start).days > LONG_WAIT_DAYS for start in starts)
    reaching = sum(
        inputs.month_start <= start + timedelta(days=LONG_WAIT_DAYS) <= inputs.month_end for start in starts
    )
    if not over and not reaching:
        return ""
    return (
        f", {over:,} of them waiting more than 52 weeks and {reaching:,} reaching 52 weeks in the month{then}"
    )


def plan_not_planned(inputs: PlanInputs) -> dict[str, str]:
    """Who the plan leaves out and why, in words: by procedure group, with how many."""
    said = {}
    no_group = {g: n for g, n in inputs.skipped_groups.items() if g == NO_GROUP}
    untimed = {g: n for g, n in inputs.skipped_groups.items() if g != NO_GROUP}
    for why, groups in (
        ("no procedure group recorded", no_group),
        (HISTORY_MISSING, untimed),
        (
            "no list of the month takes the case: its kind, a surgeon who does it, or its length",
            inputs.no_list,
        ),
        (
            "no priority recorded (not waiting for a list, or not yet prioritised: a patient for a list "
            "needs one)",
            inputs.no_priority,
        ),
        (
            "deferred at the patient's choice, P5 or P6: not booked until they are ready and given a "
            "priority again"
            + _long_waits_words(inputs, inputs.deferred_starts, ", in no count of the score"),
            inputs.deferred,
        ),
    ):
        if groups:
            said[why] = ", ".join(f"{g} ({n})" for g, n in sorted(groups.items()))
    if inputs.surgeons_without_history:
        lists = ", ".join(f"{s} ({n})" for s, n in sorted(inputs.surgeons_without_history.items()))
        said["lists of surgeons with no case in the theatre history take no booking"] = lists
    if inputs.lists_no_one_fits:
        lists = ", ".join(f"{s} ({n})" for s, n in sorted(inputs.lists_no_one_fits.items()))
        said["lists no one waiting can go on (their surgeon's procedures, kind or length)"] = lists
    return said


def plan_cannot_book(inputs: PlanInputs):
    """The score's counts among those no plan of the month can book, however long its solve: those whose
    case the theatre history cannot time, and those no list of the month takes (an outside check: an
    overdue P2 of a group no surgeon does was given "a longer solve may book some", and 30 s did not)."""
    from stocktake.waitinglist.theatre_plan import score_plan

    stuck = [*inputs.unplanned, *(p for p in inputs.patients if p.procedure_group in inputs.no_list)]
    return score_plan([], stuck, [], inputs.durations, inputs.month_start, inputs.month_end)


def plan_beside_history(inputs: PlanInputs, score, risk: float) -> str | None:
    """The plan's cases a list beside the history's (the capacity answer's figure) and how often the
    history's lists over-ran: a theatre manager saw 3.0 booked against 3.54 done, unexplained."""
    found = inputs.recent_lists
    if found is None or not score.lists:
        return None
    said = (
        f"this plan books {score.cases_a_list:.2f} cases a list; the {found.lists:,} elective and day-case "
        f"lists of the {found.weeks} weeks to {found.last} did {found.cases_a_list:.2f} (the capacity "
        "answer counts extra lists at that)"
    )
    if found.timed:
        said += (
            f", {found.overran:,} of the {found.timed:,} with times ({found.overran / found.timed:.0%}) "
            "running past their planned end"
        )
    if score.cases_a_list < found.cases_a_list:
        said += (
            f"; the plan fills a list only as far as a {100 * risk:.3g}% chance of over-running allows "
            "(--risk), so extra lists may do fewer cases than the capacity answer counts"
        )
    return said


#: Bookings over this many times the month's recent treatments are said: the lists in the history
#: held other work too, or the list's treatments are under-recorded.
BOOKED_OVER_TREATED = 1.5


def plan_cautions(inputs: PlanInputs, booked: int | None = None) -> dict[str, str]:
    """What to check before booking from the plan, in words: days booked without lists (or without
    a kind of list, or with half or fewer of their usual lists), lists booked on bank holidays, and
    a plan that books far more than the list's recent treatments (``booked``, the plan's bookings),
    and a waiting list recorded to some days before the month."""
    said = {}
    if stale := inputs.stale_by:
        said[f"The waiting list is as recorded to {inputs.list_as_of}, {stale} days before the month"] = (
            "it leaves out everyone referred since and still holds everyone treated since; load the "
            "latest pathways before booking"
        )
    treated = inputs.treated_a_month
    if booked is not None and treated and booked > BOOKED_OVER_TREATED * treated:
        plan = f"the plan books {booked:,} from the waiting list, {booked / treated:.1f} times the"
        said[f"{plan} {treated:,.0f} treated a month recently in the procedure groups it plans"] = (
            "the lists in the theatre history also held work not on this list (trauma, planned "
            "procedures, other specialties), or the list's treatments are under-recorded: check these "
            "lists are free for the waiting list before booking, and read the capacity answer (which "
            "holds treatments at their recent rate) beside the plan"
        )
    rest = "patients are planned onto the lists booked so far only; book the rest and plan again"
    sites = frozenset(t.site for t in inputs.lists)  # a gap at one site is named as that site's
    unbooked = {"": inputs.unbooked_days} | {
        f"{_kind_words(k)} ": d for k, d in inputs.unbooked_kinds.items()
    }
    for kind, days in unbooked.items():
        if days:
            count = len({d for _, d in days})
            have = f"{'have' if count > 1 else 'has'} {'them' if kind else 'lists'}"
            said[f"no {kind}lists booked on {count} day{'s' * (count > 1)} that usually {have}"] = (
                f"{filled_words(days, sites | {s for s, _ in days})}: {rest}"
            )
    if unprioritised := inputs.unprioritised:
        said[
            f"{len(unprioritised):,} waiting in procedure groups the lists take with no priority recorded"
            + _long_waits_words(inputs, [start for _, start, _ in unprioritised])
        ] = (
            "not planned and in no count of the score (a patient for a list needs a priority); named on "
            "the workbook's not booked sheet: record the priority of those waiting for a list and plan again"
        )
    if short := inputs.short_days:
        count = len({s.day for s in short})
        each = ", ".join(
            f"{' '.join(filter(None, (s.site, _kind_words(s.kind))))} {s.day.day} {s.day:%B} "
            f"({s.booked} of the usual {s.usual})"
            for s in short
        )
        said[f"half or fewer of the usual lists booked on {count} day{'s' * (count > 1)}"] = f"{each}: {rest}"
    if booked := inputs.booked_on_holidays:
        count = sum(t.date in booked for t in inputs.lists)
        each = [
            (f"{name} {d.day} {d:%B}", sum(t.date == d for t in inputs.lists))
            for d, name in sorted(booked.items())
        ]
        said[f"{count} list{'s' * (count > 1)} booked on a bank holiday"] = (
            ", ".join(f"{day} ({n})" for day, n in each) + ": planned as booked; check they will run"
        )
    return said


def _sites(lists: pd.DataFrame) -> frozenset[str]:
    """The sites lists are held at, as the list pattern names them (none recorded: "")."""
    return frozenset(lists["site"].astype("string").fillna(""))


def _kind_words(kind: str) -> str:
    """A session type as said: "day_case" is "day-case"."""
    return kind.replace("_", "-")


#: Said first in the plan's workbook and under its table: the one output that names patients.
PATIENT_LEVEL = (
    "the bookings, not booked and first come, first served sheets list patients by pathway ID (no NHS "
    "number, no name), as the booking team needs them: keep the workbook inside the trust, with the "
    "waiting list"
)


#: Said with every plan (an outside check: 47 of 720 bookings were with the pathway's own consultant,
#: and nothing said patients move between surgeons and sites).
ANY_SURGEON = (
    "a patient may go on any surgeon's list, at any site, whose history has their procedure group: the "
    "pathway's own consultant and site are not kept to. Before offering dates, move back any patient who "
    "must stay with their consultant (the bookings sheet gives each list's surgeon and site, and where "
    "recorded the pathway's own consultant beside it)"
)


def surgeons_words(inputs: PlanInputs, plan) -> str:
    """:data:`ANY_SURGEON`, with how many of the plan's bookings are with another surgeon than the
    pathway's own consultant where that is recorded (an outside recheck: 667 of 720, unsaid)."""
    list_of = {t.list_id: t for t in inputs.lists}
    known = [b for b in plan.bookings if b.pathway_id in inputs.consultants]
    if not known:
        return ANY_SURGEON
    moved = sum(
        same_code(inputs.consultants[b.pathway_id]) != same_code(list_of[b.list_id].surgeon) for b in known
    )
    counted = f"{moved:,} of the {len(known):,} bookings whose consultant is recorded are with another"
    surgeons = {same_code(t.surgeon) for t in inputs.lists}
    if not any(same_code(c) in surgeons for c in inputs.consultants.values()):  # an outside recheck
        counted += (
            " (no pathway's consultant is any list's surgeon: the waiting list and the theatre system may "
            "code consultants differently)"
        )
    return f"{ANY_SURGEON}; {counted}"


def same_code(code: str) -> str:
    """A consultant's code as compared between systems: spaces and case aside."""
    return code.strip().casefold()


#: What the comparison's other side is, said beside its scores: a reader took its breaches for the
#: booking team's present practice, which weighs priority.
FCFS_IS = (
    "the earliest referral takes the next slot whatever its priority (NHSRwaitinglist's scheduler): a "
    "baseline that ignores clinical priority, not a booking team's practice"
)


def plan_sheets(inputs: PlanInputs, optimised, fcfs, risk: float, seconds: float) -> dict[str, pd.DataFrame]:
    """The workbook: what was planned and from what, lists with their cases, every booking (with its
    list's surgeon and place), the scores, first come first served's bookings, the case times used."""
    from stocktake.waitinglist.theatre_plan import left_waiting, overrun_chance, plan_weeks, scores_table

    group_of = {p.pathway_id: p.procedure_group for p in inputs.patients}
    list_of = {t.list_id: t for t in inputs.lists}

    def bookings(plan) -> pd.DataFrame:
        table = pd.DataFrame([vars(b) for b in plan.bookings])
        if not table.empty:
            table["expected_minutes"] = table["expected_minutes"].round(1)
            table.insert(3, "day", [f"{d:%A}" for d in table["date"]])
            for column in ("theatre", "site", "surgeon"):  # after the list: its surgeon, site, theatre
                table.insert(3, column, [getattr(list_of[i], column) for i in table["list_id"]])
            if inputs.consultants:  # beside the list's surgeon, to move back who must stay (a recheck)
                own = table["pathway_id"].map(inputs.consultants)
                table.insert(6, "pathway_consultant", own)
                another = own.notna() & (
                    own.map(same_code, na_action="ignore") != table["surgeon"].map(same_code)
                )
                table.insert(7, "with_another_surgeon", another)
        return table

    rows = []
    for t in sorted(inputs.lists, key=lambda t: (t.date, t.list_id)):
        mine = [b for b in optimised.bookings if b.list_id == t.list_id]
        times = [inputs.durations.time(group_of[b.pathway_id], t.surgeon) for b in mine]
        rows.append(
            {
                "date": t.date,
                "day": f"{t.date:%A}",
                "bank_holiday": inputs.booked_on_holidays.get(t.date, ""),
                "list": t.list_id,
                "site": t.site,
                "theatre": t.theatre,
                "surgeon": t.surgeon,
                "session_type": t.session_type,
                "minutes": t.minutes,
                "cases": len(mine),
                "expected_minutes": round(sum(x.mean for x in times), 1),
                "overrun_chance_pct": round(100 * overrun_chance(times, t.minutes), 1),
                "priorities": " ".join(sorted(b.priority for b in mine)),
            }
        )
    about = [
        ("patient-level", PATIENT_LEVEL),
        ("month", f"{inputs.month_start:%Y-%m} ({inputs.month_start} to {inputs.month_end})"),
        ("lists", inputs.lists_source),
        ("waiting list as recorded to", str(inputs.list_as_of)),
        ("waiting, planned", f"{len(inputs.patients):,} {inputs.waiting_when}"),
        ("largest chance of a list over-running", f"{100 * risk:.3g}%"),  # as the console says it
        (
            "CP-SAT work (deterministic seconds)",
            f"{seconds:g}, shared by the month's {len(plan_weeks(inputs.lists))} weeks (at least 0.1 a "
            f"solve); {optimised.status}",
        ),
        ("first come, first served", FCFS_IS),
        ("surgeons and sites", surgeons_words(inputs, optimised)),
        ("cases a list, beside the history", plan_beside_history(inputs, optimised.score, risk) or ""),
        *plan_cautions(inputs, optimised.score.booked).items(),
        *((f"not planned: {why}", groups) for why, groups in plan_not_planned(inputs).items()),
    ]
    unplanned = {p.pathway_id for p in inputs.unplanned}
    left = [
        {
            "pathway_id": p.pathway_id,
            "priority": p.priority,
            "procedure_group": p.procedure_group,
            "clock_start": p.clock_start,
            "due": p.due,
            "why": why,
            "planned": (
                "no: no procedure group recorded"
                if p.procedure_group == NO_GROUP
                else f"no: {HISTORY_MISSING}"
                if p.pathway_id in unplanned
                else "no: no list of the month takes the case (kind, surgeon or minutes)"
                if p.procedure_group in inputs.no_list
                else "yes"
            ),
        }
        for p, why in left_waiting(
            optimised.bookings, [*inputs.patients, *inputs.unplanned], inputs.month_start, inputs.month_end
        )
    ]
    left += [
        {
            "pathway_id": pathway,
            "priority": "",
            "procedure_group": group,
            "clock_start": start,
            "due": None,
            "why": _unprioritised_why(start, inputs.month_start, inputs.month_end),
            "planned": "no: no priority recorded",
        }
        for pathway, start, group in inputs.unprioritised
    ]
    return {
        "about": pd.DataFrame(about, columns=["item", "value"]),
        "lists": pd.DataFrame(rows),
        "bookings": bookings(optimised),
        # the score's unmet counts by name: the most urgent patient the plan did not book can be found
        "not booked": pd.DataFrame(
            left,
            columns=["pathway_id", "priority", "procedure_group", "clock_start", "due", "why", "planned"],
        ),
        "score": scores_table([optimised, fcfs]),
        # the comparison's other side, so its score can be checked booking by booking
        "first come, first served": bookings(fcfs),
        "case times": inputs.durations.table().round(1),
    }
