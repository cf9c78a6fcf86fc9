"""Reading RTT provider returns and the warehouse's pathways and theatre history for the weeks-waited
projection, the capacity for a target and the theatre list plan (``stocktake waitinglist weeks |
capacity | plan``); writing their outputs whole or not at all.

Every problem is one :class:`WaitingListInputError` line naming the file, the line, the column and
the value (masked if it looks like an NHS number), raised before anything is written.
"""

from __future__ import annotations

import io
import itertools
import lzma
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.bank_holidays import bank_holidays, working_days
from stocktake.files.waitinglist import (
    ZIP_MAGIC,
    WaitingListInputError,
    is_a_workbook,
    month_option,
    read_bytes,
    refuse_a_workbook,
    refuse_future_dates,
    saved_csv_table,
)
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.waitinglist.capacity import AdmittedShare, admitted_by_wait, admitted_of_pathways
from stocktake.waitinglist.list_pattern import (
    ShortDay,
    filled_words,
    repeated_weeks,
    short_days,
    unbooked_days,
    unbooked_kinds,
)
from stocktake.waitinglist.rtt_return import (
    ADMITTED,
    INCOMPLETE,
    NEW_PERIODS,
    NON_ADMITTED,
    WITH_DECISION_TO_ADMIT,
    RttReturn,
    RttReturnError,
    parse_rtt_return,
)
from stocktake.waitinglist.stats import DEFERRED, PRIORITY_TARGETS
from stocktake.waitinglist.theatre_plan import (
    LONG_WAIT_DAYS,
    Durations,
    TheatreList,
    WaitingPatient,
    durations_from_history,
)
from stocktake.waitinglist.weeks_waited import (
    FLOW_MONTHS,
    MAX_MONTHS_WAITED,
    MonthlyBins,
    OneOffMonths,
    RenegeCapacityParams,
    WaitingList,
    one_off_months,
    single_month_params,
)

PLANNED_TYPES = ("elective", "day_case")


def read_rtt_return(path: Path, provider: str | None = None) -> RttReturn:
    """One provider return CSV, as NHS England publishes it (only ``provider``'s lines, if given), or
    the ZIP it is published in, holding one CSV."""
    path = Path(path)
    refuse_a_workbook(path)
    data = read_bytes(path)
    if data.startswith(ZIP_MAGIC):
        data, source = _the_csv_zipped(data, path)
    else:
        source = str(path)
    # A return has no cell holding a line break: one means a quote opened and never closed, reading the
    # lines after it (perhaps all of ours) into one cell of another trust's line, and every line number.
    table = saved_csv_table(data, source, one_line_rows=True)
    try:
        return parse_rtt_return(table, source=source, provider=provider)
    except RttReturnError as error:
        raise WaitingListInputError(mask_nhs_numbers(str(error))) from None


def _the_csv_zipped(data: bytes, path: Path) -> tuple[bytes, str]:
    """The one CSV in a ZIP (NHS England's "Full CSV data file"), and its name for messages. A Mac's
    ``__MACOSX/`` entries are not files of the archive; a workbook (itself a ZIP) is named as one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and not m.filename.startswith("__MACOSX/")
                and not Path(m.filename).name.startswith("._")
            ]
            refuse_a_workbook(path, is_one=is_a_workbook(data))
            csvs = [m for m in members if m.filename.lower().endswith(".csv")]
            if len(csvs) != 1:
                held = ", ".join(m.filename for m in members) or "nothing"
                raise WaitingListInputError(
                    f"{path}: a ZIP holding {len(csvs) or 'no'} CSV files ({held}); expected one "
                    "RTT return CSV: unzip it and give the return's CSV"
                )
            if csvs[0].flag_bits & 0x1:
                raise WaitingListInputError(
                    f"{path}: {csvs[0].filename} is password-protected; unzip it and give the CSV"
                )
            return archive.read(csvs[0]), f"{path} ({csvs[0].filename})"
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        OSError,
        EOFError,
        zlib.error,
        lzma.LZMAError,
    ) as error:  # half downloaded, damaged, or a compression this Python lacks
        raise WaitingListInputError(
            f"{path}: a damaged or unreadable ZIP ({type(error).__name__}: {error}); download it again, "
            "or unzip it and give the CSV"
        ) from None


def _one_off_months(returns: list[RttReturn], treatment_function: str, within) -> OneOffMonths:
    """The returns' months read as one-offs (``weeks_waited.one_off_months``) from their published
    totals, and those not read: a month that lacks a part (its flows are not known), or every month of
    fewer than a year's returns."""

    def total(rtt: RttReturn, *parts: str) -> float:
        if any(part not in rtt.parts for part in parts):
            return np.nan
        return sum(rtt.total(part, treatment_function) for part in parts)

    return one_off_months(
        [r.month for r in returns],
        [total(r, INCOMPLETE) for r in returns],
        [total(r, NEW_PERIODS) for r in returns],
        [total(r, ADMITTED, NON_ADMITTED) for r in returns],
        within,
    )


def read_rtt_returns(paths: list[Path], provider: str | None = None) -> list[RttReturn]:
    """Returns of consecutive months for one provider, oldest first."""
    if not paths:
        raise WaitingListInputError("give at least one RTT provider return (CSV)")
    returns = sorted(((read_rtt_return(p, provider), Path(p)) for p in paths), key=lambda r: r[0].month)
    for (before, before_path), (after, after_path) in itertools.pairwise(returns):
        if after.providers != before.providers:  # said first: two trusts' returns of one month too
            raise WaitingListInputError(
                f"{after_path}: is for {', '.join(after.providers)}, {before_path} for "
                f"{', '.join(before.providers)}; give one provider's returns"
            )
        if after_path.resolve() == before_path.resolve():
            raise WaitingListInputError(f"{after_path}: given twice; give each month's return once")
        if after.month == before.month:
            raise WaitingListInputError(
                f"{after_path}: is for {after.month}, as {before_path} is; give one return a month"
            )
        if after.month != before.month + 1:
            missing = pd.period_range(before.month + 1, after.month - 1, freq="M")
            raise WaitingListInputError(
                f"{after_path}: the returns skip {', '.join(map(str, missing))}; give consecutive months"
            )
    return [r for r, _ in returns]


@dataclass(frozen=True)
class WeeksInputs:
    """What the weeks-waited projection starts from, and how its parameters were found."""

    origin: WaitingList
    params: RenegeCapacityParams
    referrals: float
    capacity: float
    calibration: str
    title: str
    #: Some month's returns lack its referrals or treatments (for this treatment function or at all):
    #: read as 0 by the calibration, they look like reneging.
    flow_gaps: bool = False
    #: Those waiting by weeks waited, and those with a decision to admit (who need a theatre list);
    #: None where the data do not say.
    admitted: AdmittedShare | None = None


def weeks_inputs_from_returns(returns: list[RttReturn], treatment_function: str) -> WeeksInputs:
    """The latest return's list, parameters calibrated on all of them (NHSRtt), average monthly flows."""
    latest = returns[-1]
    treatment_function = _treatment_function(treatment_function, latest.treatment_functions)
    for rtt in returns:
        if treatment_function not in rtt.treatment_functions:
            known = ", ".join(f"{c} ({n})" for c, n in sorted(rtt.treatment_functions.items()))
            raise WaitingListInputError(
                f"--treatment-function {treatment_function!r}: not in the {rtt.month} return (it has {known})"
            )
    name = latest.treatment_functions[treatment_function]
    missing = _missing_parts(returns, treatment_function)

    def months_waited(rtt: RttReturn, parts: tuple[str, ...]) -> np.ndarray:
        bands = sum(rtt.by_week(part, treatment_function) for part in parts)
        return WaitingList.from_week_bands(rtt.month, bands).months_waited(MAX_MONTHS_WAITED)

    completed = (ADMITTED, NON_ADMITTED)
    recent = returns[-FLOW_MONTHS:]

    def recent_mean(part: str, count) -> float:
        """The part's monthly mean over the recent returns that hold it for any treatment function: a
        month without it at all is not known (left out); one with it for others only is a true zero
        (published returns leave out empty lines)."""
        held = [count(r) for r in recent if part in r.parts]
        return float(np.mean(held)) if held else 0.0

    referrals = recent_mean(NEW_PERIODS, lambda r: r.total(NEW_PERIODS, treatment_function))
    capacity = sum(recent_mean(part, lambda r, p=part: months_waited(r, (p,)).sum()) for part in completed)
    origin = WaitingList.from_week_bands(latest.month, latest.by_week(INCOMPLETE, treatment_function))
    if origin.summary().waiting <= 0:  # an outside check: "met without extra capacity (100.0%)" of no one
        raise WaitingListInputError(
            f"--treatment-function {treatment_function} ({name}): no one waiting in a week band of the "
            f"{latest.month} return, so there is no list to move forward; choose another treatment function"
        )
    if len(returns) == 1:
        params = single_month_params(
            latest.by_week(INCOMPLETE, treatment_function),
            sum(latest.by_week(p, treatment_function) for p in completed),
            latest.month,
        )
        how = (
            "one return only: treatment shares = completions ÷ (list + completions), no reneging "
            "(give consecutive months of returns to calibrate as NHSRtt does)"
        )
    else:
        bins = MonthlyBins(
            tuple(r.month for r in returns),
            np.array([r.total(NEW_PERIODS, treatment_function) for r in returns]),
            np.array([months_waited(r, (INCOMPLETE,)) for r in returns]),
            np.array([months_waited(r, completed) for r in returns]),
        )
        one_offs = _one_off_months(returns, treatment_function, bins.months[1:])
        params = bins.calibrate(one_offs)
        how = (
            f"NHSRtt calibration on {len(returns)} consecutive returns ({returns[0].month} … {latest.month})"
            + one_offs.words()
        )
    unknown = latest.unknown_start(INCOMPLETE, treatment_function)
    if unknown:  # in the return's total, in no week band: nothing can move them on
        how += (
            f"; {unknown:,.0f} waiting with an unknown clock start (in the return's total of "
            f"{latest.total(INCOMPLETE, treatment_function):,.0f}) are not in the list projected"
        )
    title = f"{', '.join(latest.providers)} {treatment_function} {name}"
    admitted = None
    if WITH_DECISION_TO_ADMIT in latest.parts:  # a treatment function's missing lines: none (a true 0)
        admitted = admitted_by_wait(
            latest.by_week(INCOMPLETE, treatment_function),
            latest.by_week(WITH_DECISION_TO_ADMIT, treatment_function),
            f"the {latest.month} return's Part 2A, incomplete pathways with a decision to admit",
            published=True,
            none_is_known=True,
        )
    return WeeksInputs(
        origin, params, referrals, capacity, how + missing, title, flow_gaps=bool(missing), admitted=admitted
    )


def _treatment_function(given: str, known: dict[str, str]) -> str:
    """The code for what an analyst types: the code (any case), its number ("110") or its name
    ("Trauma and Orthopaedic Service", "Total"); unmatched, as given (refused with the codes known)."""
    wanted = given.strip().casefold()
    for code, name in known.items():
        if wanted in (code.casefold(), code.casefold().removeprefix("c_"), str(name).strip().casefold()):
            return code
    return given


#: What the projection lacks without each part (the incomplete pathways, Part_2, are the list itself).
PART_MEANINGS = {
    ADMITTED: "completed admitted pathways, so no admitted treatments",
    NON_ADMITTED: "completed non-admitted pathways, so no non-admitted treatments",
    NEW_PERIODS: "new RTT periods, so no referrals",
}


def _missing_parts(returns: list[RttReturn], treatment_function: str) -> str:
    """Refuse returns without the list (Part_2); say what the projection lacks without the others.

    A part absent from a month's return is not known: that month is left out of the averages, said,
    and a part absent from every return averaged is refused (the projection would run on no referrals
    or no treatments). A part the month's return holds for other treatment functions but not this
    one is a true zero, said: published returns leave out empty lines (C_430 with no admitted
    completions in a month has no Part_1A line).
    """
    present = {
        rtt.month: set(rtt.lines.loc[rtt.lines["treatment_function"] == treatment_function, "part"])
        for rtt in returns
    }
    no_list = [str(month) for month, parts in present.items() if INCOMPLETE not in parts]
    if no_list:
        raise WaitingListInputError(
            f"the {', '.join(no_list)} return{'s have' if len(no_list) > 1 else ' has'} no {INCOMPLETE} "
            f"(incomplete pathways) lines for {treatment_function}: that part is the waiting list itself, "
            "so there is no list to project; give the whole return"
        )
    in_file = {rtt.month: rtt.parts for rtt in returns}
    recent = list(present)[-FLOW_MONTHS:]  # the months the flows are averaged over
    held = f"the {recent[0]} return" if len(recent) == 1 else f"any of the {recent[0]} … {recent[-1]} returns"
    refused = [part for part in PART_MEANINGS if all(part not in in_file[m] for m in recent)]
    if refused:
        raise WaitingListInputError(
            f"no {' or '.join(refused)} lines at all in {held} "
            f"({'; '.join(PART_MEANINGS[p] for p in refused)}): the projection would take them as 0; "
            "give the whole return"
        )
    notes, zeros = [], []
    for part, meaning in PART_MEANINGS.items():
        unknown = [str(m) for m in present if part not in in_file[m]]
        none_here = [str(m) for m in present if part in in_file[m] and part not in present[m]]
        if none_here:
            zeros.append(
                f"no {part} lines for {treatment_function} in {', '.join(none_here)} ({meaning}): none "
                "published, taken as 0"
            )
        if unknown:
            notes.append(f"{part} ({meaning}) in {', '.join(unknown)}")
    said = "".join(f"; {zero}" for zero in zeros)
    if notes:
        said += (
            f"; MISSING for {treatment_function}: {'; '.join(notes)}: left out of the monthly averages, "
            "taken as 0 by the calibration; give the whole return"
        )
    return said


def weeks_inputs_from_warehouse(warehouse: Path) -> WeeksInputs:
    """The warehouse's rtt_pathways: the list at the last complete month, NHSRtt's calibration on the
    months before it (from the pathways' own months-waited stocks and flows)."""
    from stocktake.files.waitinglist import warehouse_pathways
    from stocktake.waitinglist.weeks_waited import list_month, weeks_inputs

    pathways = warehouse_pathways(warehouse, by="priority")  # the priority: who needs an operation
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    month = list_month(starts, stops)
    try:
        origin, params, referrals, treatments, how = weeks_inputs(pathways, month)
    except ValueError as error:
        raise WaitingListInputError(f"{warehouse}: {error}") from None
    return WeeksInputs(
        origin,
        params,
        referrals,
        treatments,
        how,
        f"{warehouse.name} rtt_pathways",
        admitted=admitted_of_pathways(pathways, month),
    )


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
            "rtt_pathways": "SELECT pathway_id, clock_start, clock_stop, priority, procedure_group, status "
            "FROM rtt_pathways",
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


# --- the commands' one call each ------------------------------------------------------------------


def _weeks_inputs(
    returns: list[Path], warehouse: Path | None, treatment_function: str, provider: str | None = None
) -> WeeksInputs:
    if returns:
        return weeks_inputs_from_returns(read_rtt_returns(returns, provider), treatment_function)
    if provider is not None:
        raise WaitingListInputError("--provider chooses among a return's providers; the warehouse has one")
    if warehouse is None:
        raise WaitingListInputError("give RTT provider returns (CSV) or --warehouse")
    return weeks_inputs_from_warehouse(warehouse)


def _check_redistribution(redistribution: str) -> None:
    if redistribution not in ("none", "evenly", "prioritise_long_waiters"):
        raise WaitingListInputError(
            f"--redistribution {redistribution!r}: expected evenly, prioritise_long_waiters or none"
        )


def run_weeks(
    returns: list[Path],
    warehouse: Path | None,
    treatment_function: str,
    months: int,
    redistribution: str,
    provider: str | None = None,
):
    """The list by weeks waited, projected ``months`` ahead at the present flows, and from a warehouse
    the 95% half-widths of each month's tested figures (the 52-week count, % within 18 weeks, the 92nd
    percentile) from the projection's own backtest (none from returns, which hold no pathways to
    backtest, nor for a figure too few months test)."""
    from stocktake.files.waitinglist import warehouse_pathways
    from stocktake.waitinglist.history import HistoryError
    from stocktake.waitinglist.projection import interval_width, latest_errors
    from stocktake.waitinglist.weeks_waited import backtest_weeks, project

    if not 1 <= months <= 60:
        raise WaitingListInputError(f"--months {months}: expected 1 to 60")
    _check_redistribution(redistribution)
    inputs = _weeks_inputs(returns, warehouse, treatment_function, provider)
    projection = project(
        inputs.origin,
        [inputs.referrals] * months,
        [inputs.capacity] * months,
        inputs.params,
        redistribution,  # type: ignore[arg-type]
    )
    widths = {}
    if not returns and warehouse is not None:
        pathways = warehouse_pathways(warehouse)
        errors = backtest_weeks(pathways, inputs.origin.month, months, redistribution=redistribution)  # type: ignore[arg-type]
        for figure, found in errors.items():
            try:
                widths[figure] = interval_width(latest_errors(found), months)
            except HistoryError:
                continue
    return inputs, projection, widths


#: The farthest target month from the list's month, as the page allows: five years.
MAX_TARGET_MONTHS = 60


def run_capacity(
    returns: list[Path],
    warehouse: Path | None,
    treatment_function: str,
    target_pct: float | None,
    by: str | None,
    no_52_by: str | None,
    start: str | None,
    given_cases_per_list: float | None,
    redistribution: str = "evenly",
    provider: str | None = None,
):
    """The least uplift a week meeting the target, from ``start`` and from each possible start month."""
    from stocktake.waitinglist.capacity import (
        WaitTarget,
        capacity_by_start,
        projection_with,
    )

    _check_redistribution(redistribution)
    if (target_pct is None) == (no_52_by is None):
        raise WaitingListInputError("give --target-pct with --by, or --no-52-week-waiters-by, one of the two")
    if target_pct is not None:
        if by is None:
            raise WaitingListInputError("--target-pct needs --by YYYY-MM")
        if not 0 < target_pct <= 100:
            raise WaitingListInputError(f"--target-pct {target_pct:g}: expected more than 0 and at most 100")
        target = WaitTarget(month_option("--by", by), pct_within_18_weeks=target_pct)
    else:
        target = WaitTarget(month_option("--no-52-week-waiters-by", no_52_by), no_52_week_waiters=True)
    if given_cases_per_list is not None and not given_cases_per_list > 0:
        raise WaitingListInputError(f"--cases-per-list {given_cases_per_list:g}: must be more than 0")
    inputs = _weeks_inputs(returns, warehouse, treatment_function, provider)
    origin = inputs.origin.month
    if target.by <= origin:
        raise WaitingListInputError(f"the target month {target.by} is not after the list's month {origin}")
    if (target.by - origin).n > MAX_TARGET_MONTHS:  # as the page's target and `weeks --months`
        raise WaitingListInputError(
            f"the target month {target.by} is more than {MAX_TARGET_MONTHS} months after the list's month "
            f"{origin}; a typo? (the search would run for hours)"
        )
    first = month_option("--from", start) if start is not None else origin + 1
    if not origin < first <= target.by:
        raise WaitingListInputError(f"--from {first}: expected a month after {origin}, by {target.by}")
    per_list, per_list_source = given_cases_per_list, "given (--cases-per-list)"
    if per_list is None and warehouse is None:
        per_list_source = "RTT returns carry no theatre history"
    elif per_list is None:
        try:
            per_list, per_list_source = cases_per_list(warehouse)
        except WaitingListInputError as why:  # no theatre history: the answer in treatments, as the page's
            per_list_source = str(why)
    horizon = (target.by - origin).n
    referrals, capacity = [inputs.referrals] * horizon, [inputs.capacity] * horizon
    by_start = capacity_by_start(
        inputs.origin, referrals, capacity, inputs.params, target, per_list, redistribution, inputs.admitted
    )
    answer = by_start[(first - origin).n - 1]  # the table's first row starts the month after the list's
    projection = projection_with(inputs.origin, referrals, capacity, inputs.params, answer, redistribution)
    return inputs, answer, by_start, projection, per_list_source


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
