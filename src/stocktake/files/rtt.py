"""Reading RTT provider returns, and the warehouse's pathways, for the weeks-waited projection and the
capacity for a target (``stocktake waitinglist weeks | capacity``); the theatre history's cases a list
come from :mod:`stocktake.files.theatre`.

Every problem is one :class:`WaitingListInputError` line naming the file, the line, the column and
the value (masked if it looks like an NHS number), raised before anything is written.
"""

from __future__ import annotations

import io
import itertools
import lzma
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.files.theatre import cases_per_list
from stocktake.files.waitinglist import (
    ZIP_MAGIC,
    WaitingListInputError,
    is_a_workbook,
    month_option,
    read_bytes,
    refuse_a_workbook,
    saved_csv_table,
)
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.waitinglist.capacity import AdmittedShare, admitted_by_wait, admitted_of_pathways
from stocktake.waitinglist.flow_change import FlowChange, changed
from stocktake.waitinglist.replay import HELD_OUT_MONTHS, Replay, replay
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
from stocktake.waitinglist.weeks_waited import (
    FLOW_MONTHS,
    MAX_MONTHS_WAITED,
    MonthlyBins,
    OneOffMonths,
    Redistribution,
    RenegeCapacityParams,
    WaitingList,
    one_off_months,
    single_month_params,
)


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
    #: The model replayed over the returns' latest months (``waitinglist.replay``); None from one return
    #: or a warehouse (whose projection is backtested on its own pathways instead).
    replay: Replay | None = None
    #: The model calibrated on the earlier months alone, run over the latest six that can be run
    #: (ADR 72); None from fewer than 13 returns.
    held_out: Replay | None = None
    #: Referrals and treatments a month over the latest six returns, beside the year's averages held:
    #: neither replay can see flows change (each feeds the months' own), so they are said (an outside
    #: check: referrals up a fifth over six months left the projection 13% low, and nothing said so).
    #: None from fewer than 12 returns, or a warehouse with fewer than 12 months of flows.
    lately: tuple[float, float] | None = None
    #: Referrals and treatments whose latest six months differ from the six before beyond chance
    #: (ADR 73): the projection, at the year's averages, is then said again at the latest six's.
    changes: tuple[FlowChange, ...] = ()


def weeks_inputs_from_returns(
    returns: list[RttReturn], treatment_function: str, redistribution: Redistribution = "evenly"
) -> WeeksInputs:
    """The latest return's list, parameters calibrated on all of them (NHSRtt), average monthly flows,
    and the model replayed over the latest of them (with ``redistribution``, as it will be projected),
    and from 13 returns calibrated on the earlier months alone and run over the latest six that can be
    run (ADR 72)."""
    latest = returns[-1]
    treatment_function = _treatment_function(treatment_function, latest.treatment_functions)
    if treatment_function not in latest.treatment_functions:
        known = ", ".join(f"{c} ({n})" for c, n in sorted(latest.treatment_functions.items()))
        raise WaitingListInputError(
            f"--treatment-function {treatment_function!r}: not in the {latest.month} return (it has {known})"
        )
    for rtt in returns:
        if treatment_function not in rtt.treatment_functions:
            raise WaitingListInputError(
                f"{rtt.source}: the {rtt.month} return has no lines for --treatment-function "
                f"{treatment_function}, which the {latest.month} return has; give that month's whole "
                "return, or only the months after it"
            )
    name = latest.treatment_functions[treatment_function]
    missing = _missing_parts(returns, treatment_function)

    def months_waited(rtt: RttReturn, parts: tuple[str, ...]) -> np.ndarray:
        bands = sum(rtt.by_week(part, treatment_function) for part in parts)
        return WaitingList.from_week_bands(rtt.month, bands).months_waited(MAX_MONTHS_WAITED)

    completed = (ADMITTED, NON_ADMITTED)

    def recent_mean(part: str, count, months: int = FLOW_MONTHS) -> float:
        """The part's monthly mean over the latest ``months`` returns that hold it for any treatment
        function: a month without it at all is not known (left out); one with it for others only is a
        true zero (published returns leave out empty lines)."""
        held = [count(r) for r in returns[-months:] if part in r.parts]
        return float(np.mean(held)) if held else 0.0

    counted = recent_mean(NEW_PERIODS, lambda r: r.total(NEW_PERIODS, treatment_function))

    def referred(r: RttReturn) -> float:
        """A month's referrals, at least those waiting or treated within a month of referral: the inflow
        NHSRtt's calibration reads (``redistribute_m0_reneges``), so the projection is fed what its rates
        were found on, as NHS England's RTT planning tool raises them (ADR 69)."""
        first_month = months_waited(r, (INCOMPLETE,))[0] + months_waited(r, completed)[0]
        return max(r.total(NEW_PERIODS, treatment_function), first_month)

    def flows(months: int) -> tuple[float, float]:
        """Referrals (as raised) and treatments a month over the latest ``months`` returns."""
        treated = (recent_mean(p, lambda r, p=p: months_waited(r, (p,)).sum(), months) for p in completed)
        return recent_mean(NEW_PERIODS, referred, months), sum(treated)

    referrals, capacity = flows(FLOW_MONTHS)
    if len(returns) == 1:  # read with no reneging, which its referrals as counted already balance
        referrals = counted
    lately = flows(FLOW_MONTHS // 2) if len(returns) >= FLOW_MONTHS else None
    year = returns[-FLOW_MONTHS:]
    monthly = (
        # named as read: Part 3 raised to those seen within a month where more (an outside recheck
        # compared the line with Part 3 and found other figures)
        ("referrals (as the calibration reads them)", [referred(r) for r in year if NEW_PERIODS in r.parts]),
        ("treatments", [months_waited(r, completed).sum() for r in year if set(completed) <= set(r.parts)]),
    )
    changes = tuple(c for flow, counts in monthly if (c := changed(flow, counts)) is not None)

    def waiting(r: RttReturn) -> WaitingList:
        return WaitingList.from_week_bands(r.month, r.by_week(INCOMPLETE, treatment_function))

    origin = waiting(latest)
    if origin.summary().waiting <= 0:  # an outside check: "met without extra capacity (100.0%)" of no one
        raise WaitingListInputError(
            f"--treatment-function {treatment_function} ({name}): no one waiting in a week band of the "
            f"{latest.month} return, so there is no list to move forward; choose another treatment function"
        )

    def replayed_over(
        run: list[RttReturn],
        params: RenegeCapacityParams,
        one_offs: OneOffMonths,
        calibrated_on: tuple[pd.Period, ...] = (),
    ) -> Replay:
        """The model with ``params`` run over ``run[1:]``'s months from ``run[0]``'s list."""
        return replay(
            [waiting(r) for r in run],
            [referred(r) for r in run],
            [months_waited(r, completed).sum() for r in run],
            params,
            redistribution,
            _not_replayed(run, one_offs),
            tuple(m for m in one_offs.left_out if m not in one_offs.misreported),
            calibrated_on,
        )

    replayed = held_out = None
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
        replayed = replayed_over(returns[-(FLOW_MONTHS + 1) :], params, one_offs)  # the list before, the year
        if len(returns) > 2 * HELD_OUT_MONTHS:  # as many months again to calibrate on, and the list before
            split = _held_out_from(returns, one_offs)
            earlier = bins.first(split).calibrate(one_offs)
            held_out = replayed_over(returns[split - 1 :], earlier, one_offs, bins.months[:split])
        how = (
            f"NHSRtt calibration on {len(returns)} consecutive returns ({returns[0].month} … {latest.month})"
            + one_offs.words()
        )
    if referrals > counted * 1.005:  # "raised by 0%" is no news (a recheck)
        raised = f"by {referrals / counted - 1:.0%}" if counted else f"from none to {referrals:,.0f} a month"
        how += (
            f"; referrals raised {raised}: in some months Part 3 counts fewer new periods than were "
            "waiting or treated within a month of referral, and the calibration counts those as referred"
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
        origin,
        params,
        referrals,
        capacity,
        how + missing,
        title,
        flow_gaps=bool(missing),
        admitted=admitted,
        replay=replayed,
        held_out=held_out,
        lately=lately,
        changes=changes if lately is not None else (),
    )


def _held_out_from(returns: list[RttReturn], one_offs: OneOffMonths) -> int:
    """Where the months held out of a calibration start (ADR 72): the latest :data:`HELD_OUT_MONTHS`
    that can be run, reaching back past those that cannot (an outside check: one sweep among the
    latest six left five, too few, and turned the test off where it was wanted), while as many months
    and the list before them are left to calibrate on."""
    not_run = _not_replayed(returns, one_offs)
    split, run = len(returns), 0
    while run < HELD_OUT_MONTHS and split > HELD_OUT_MONTHS + 1:
        split -= 1
        run += returns[split].month not in not_run
    return split


def _not_replayed(returns: list[RttReturn], one_offs: OneOffMonths) -> dict[pd.Period, str]:
    """The months the model is not replayed over, with why: those the calibration leaves out, and
    those whose referrals or treatments were not returned (a part missing from the whole return)."""
    why = {m: "a one-off: a sweep or a transfer" for m in one_offs.left_out}
    why |= {m: "misreported, by the look of the returns" for m in one_offs.misreported}
    why |= {m: "the list coming back after a sweep" for m in one_offs.came_back}
    flows = (NEW_PERIODS, ADMITTED, NON_ADMITTED)
    why |= {r.month: "its referrals or treatments not returned" for r in returns if not set(flows) <= r.parts}
    return why


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
    # named by file (an outside check: "no Part_3 lines at all in the 2024-11 return", no path)
    files = {rtt.month: rtt.source for rtt in returns}
    held = (
        f"{files[recent[0]]}, the {recent[0]} return"
        if len(recent) == 1
        else f"any of the {recent[0]} … {recent[-1]} returns ({files[recent[0]]} … {files[recent[-1]]})"
    )
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
        # a month's referrals unknown: the calibration counts those within a month of referral as
        # referred all the same (ADR 69; a recheck read "taken as 0" as the whole story)
        referred = any(n.startswith(f"{NEW_PERIODS} ") for n in notes)
        within = ", its referrals as those waiting or treated within a month of referral" if referred else ""
        said += (
            f"; MISSING for {treatment_function}: {'; '.join(notes)}: left out of the monthly averages, "
            f"taken as 0 by the calibration{within}; give the whole return"
        )
    return said


def weeks_inputs_from_warehouse(warehouse: Path) -> WeeksInputs:
    """The warehouse's rtt_pathways: the list at the last complete month, NHSRtt's calibration on the
    months before it (from the pathways' own months-waited stocks and flows)."""
    from stocktake.files.waitinglist import warehouse_pathways
    from stocktake.waitinglist.flow_change import changes_in_pathways
    from stocktake.waitinglist.weeks_waited import list_month, weeks_inputs

    pathways = warehouse_pathways(warehouse, by="priority")  # the priority: who needs an operation
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    month = list_month(starts, stops)
    try:
        origin, params, referrals, treatments, how = weeks_inputs(pathways, month)
    except ValueError as error:
        raise WaitingListInputError(f"{warehouse}: {error}") from None
    # a change within the year, said as from returns (ADR 73; an outside check found a warehouse's
    # flows never compared)
    lately, changes = changes_in_pathways(pathways, month)
    return WeeksInputs(
        origin,
        params,
        referrals,
        treatments,
        how,
        f"{warehouse.name} rtt_pathways",
        admitted=admitted_of_pathways(pathways, month),
        lately=lately,
        changes=changes,
    )


# --- the commands' one call each ------------------------------------------------------------------


def _weeks_inputs(
    returns: list[Path],
    warehouse: Path | None,
    treatment_function: str,
    redistribution: Redistribution,
    provider: str | None = None,
) -> WeeksInputs:
    if returns:
        return weeks_inputs_from_returns(
            read_rtt_returns(returns, provider), treatment_function, redistribution
        )
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
    backtest, nor for a figure too few months test); and where a flow changed within the year, the
    projection at the latest six months' flows (ADR 73)."""
    from stocktake.files.waitinglist import warehouse_pathways
    from stocktake.waitinglist.history import HistoryError
    from stocktake.waitinglist.projection import interval_width, latest_errors
    from stocktake.waitinglist.weeks_waited import backtest_weeks, project

    if not 1 <= months <= 60:
        raise WaitingListInputError(f"--months {months}: expected 1 to 60")
    _check_redistribution(redistribution)
    inputs = _weeks_inputs(returns, warehouse, treatment_function, redistribution, provider)  # type: ignore[arg-type]
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
    as_lately = None
    if inputs.changes and inputs.lately is not None:
        referrals, capacity = inputs.lately
        as_lately = project(
            inputs.origin, [referrals] * months, [capacity] * months, inputs.params, redistribution
        )  # type: ignore[arg-type]
    return inputs, projection, widths, as_lately


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
    """The least uplift a week meeting the target, from ``start`` and from each possible start month;
    and where a flow changed within the year, from ``start`` at the latest six months' flows (ADR 73)."""
    from stocktake.waitinglist.capacity import WaitTarget, capacity_by_start, capacity_for_target

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
    inputs = _weeks_inputs(returns, warehouse, treatment_function, redistribution, provider)  # type: ignore[arg-type]
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
    as_lately = None
    if inputs.changes and inputs.lately is not None:
        referrals, capacity = ([flow] * horizon for flow in inputs.lately)
        as_lately = capacity_for_target(
            inputs.origin,
            referrals,
            capacity,
            inputs.params,
            target,
            first,
            per_list,
            redistribution,  # type: ignore[arg-type]
            admitted=inputs.admitted,
        )
    return inputs, answer, by_start, per_list_source, as_lately
