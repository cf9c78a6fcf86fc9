"""`stocktake waitinglist …`: queueing statistics of the waiting list, and where it is going."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from stocktake.cli.common import HomeOption, _fail, _home_warehouse, console
from stocktake.cli.recorded import record_read
from stocktake.metrics.suppression import SHOWN_HERE

if TYPE_CHECKING:
    import pandas as pd

    from stocktake.files.rtt import WeeksInputs

waitinglist_app = typer.Typer(help="The waiting list: statistics and projection.", no_args_is_help=True)
Warehouse = Annotated[
    Path | None,
    typer.Option(
        metavar="WAREHOUSE",
        help="Use the warehouse's rtt_pathways instead of a CSV (default, given no CSV: the home's).",
    ),
]


@waitinglist_app.command("project")
def project(
    history: Annotated[
        Path | None,
        typer.Argument(
            metavar="HISTORY.csv",
            help="month,waiting,clock_starts,clock_stops_admitted,clock_stops_non_admitted (blanks where "
            "unknown; months like 2024-04, Apr-24 or 01/04/2024); the last row is the forecast origin.",
        ),
    ] = None,
    months: Annotated[int, typer.Option(metavar="N", help="Months to project.")] = 12,
    out: Annotated[
        Path | None, typer.Option(metavar="PROJECTION.csv", help="month,waiting,waiting_low,waiting_high,…")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM", help="Use the history from this month on (after a break)."),
    ] = None,
    simulations: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Take the 95% interval from N simulated runs (each keeping one rank of the model's "
            "backtest errors at every horizon) instead of t × RMSE of those errors; 0 for none.",
        ),
    ] = 0,
    not_a_typo: Annotated[
        list[str] | None,
        typer.Option(
            metavar="YYYY-MM",
            help="A month whose counts are as they were, however unlike the months beside it (a strike, "
            "a cyber attack): not refused as a typo. Give it once for each such month.",
        ),
    ] = None,
    warehouse: Warehouse = None,
    home: HomeOption = None,
) -> None:
    """Project the list with its 95% interval from a stock-and-flow model of its history."""
    from stocktake.files.waitinglist import WaitingListInputError, check_output, run_projection, write_csv
    from stocktake.waitinglist.one_offs import one_offs_said
    from stocktake.waitinglist.windows import MIN_HISTORY

    if history is None and warehouse is None:
        warehouse = _home_warehouse(home)
    try:
        if out is not None:
            check_output(out, history, warehouse)
        record_read(warehouse, "waitinglist project", out)
        projection = run_projection(history, warehouse, months, since, simulations, tuple(not_a_typo or ()))
        table = projection.table()
        if out is not None:
            write_csv(table, out)
    except WaitingListInputError as error:
        _fail(str(error))
    shown = Table(title=f"Waiting list from {projection.model.origin} ({projection.model.waiting:,.0f})")
    for column in ("month", "waiting", "95% interval"):
        shown.add_column(column, justify="right")
    for row in table.itertuples():
        shown.add_row(row.month, f"{row.waiting:,}", f"{row.waiting_low:,} – {row.waiting_high:,}")
    console.print(shown)
    _say_if_old(projection.model.origin, "the projection runs from then")
    console.print(
        "the average of two models: the flows growing "
        f"{_a_year(projection.model.growth)} a year and the list itself "
        f"{_a_year(projection.list_model.growth)} a year; interval from the model's own "
        f"backtest on this history: {projection.width.basis()}"
        + (f", as the 2.5th–97.5th percentiles of {simulations:,} simulated runs" if simulations else "")
    )
    if projection.model.starts_left_out:
        console.print(projection.model.starts_left_out)
    model = projection.model
    if said := one_offs_said(model):
        changes = [run for run in model.carried if run.kind == "change"]
        after = changes[-1].months[-1].month + 1 if changes else None
        since = (
            f" If it was a sweep, project from after it with --since {after}."
            if after is not None and (model.origin - after).n + 1 >= MIN_HISTORY
            else ""
        )
        console.print(f"[yellow]{said}{since}[/yellow]")
    if projection.model.unexplained:
        console.print(f"[yellow]{projection.model.unexplained}[/yellow]")
    if out is not None:
        console.print(f"[green]✓[/green] wrote {out}")


@waitinglist_app.command("stats")
def stats(
    pathways: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATHWAYS.csv", help="clock_start,clock_stop (blank while waiting)[,priority,…]"
        ),
    ] = None,
    target_weeks: Annotated[float, typer.Option(metavar="WEEKS", help="The target wait.")] = 18.0,
    by: Annotated[
        str | None, typer.Option(metavar="priority|procedure|consultant", help="One row per group.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="Window start (first referral).")
    ] = None,
    end: Annotated[str | None, typer.Option(metavar="YYYY-MM-DD", help="Window end (last referral).")] = None,
    convention: Annotated[
        str, typer.Option(help="stocktake, or nhsrwaitinglist to reproduce the R package's quirks.")
    ] = "stocktake",
    out: Annotated[Path | None, typer.Option(metavar="STATS.csv", help="Also write the table here.")] = None,
    no_suppress: Annotated[
        bool, typer.Option("--no-suppress", help="Show groups of 1–7 pathways (for use inside the trust).")
    ] = False,
    warehouse: Warehouse = None,
    home: HomeOption = None,
) -> None:
    """Demand, capacity, load, target and relief capacity, mean wait and pressure (NHSRwaitinglist)."""

    from stocktake.files.waitinglist import (
        GROUPS,
        WaitingListInputError,
        check_output,
        run_stats,
        write_csv,
    )
    from stocktake.metrics.suppression import suppressed_rows
    from stocktake.small_numbers import NOT_RECORDED
    from stocktake.waitinglist.stats import DEFERRED, NOT_SUPPRESSED, SUPPRESSED, WEEKS_TO_TARGET, window_note

    if pathways is None and warehouse is None:
        warehouse = _home_warehouse(home)
    try:
        if out is not None:
            check_output(out, pathways, warehouse)
        record_read(
            warehouse, "waitinglist stats", out, shows="groups of 1–7 pathways" if by and no_suppress else ""
        )
        table = run_stats(pathways, warehouse, by, target_weeks, start, end, convention)
        dates_read = table.attrs.get("dates read", "")  # before the rows are suppressed
        if by is not None and not no_suppress:  # groups of 1-7 pathways, as every export hides them
            # those with no group recorded are a row too: beside the whole list's figures the rows must
            # not give a hidden one away (a reviewer worked 3 out as 3,434 less the rows)
            table = suppressed_rows(
                table,
                ["queue_size", "count_demand", "count_capacity"],
                keep=["group", "target_weeks", "convention", "window_start", "window_end"],
            )
        elif by is not None:
            table = table.assign(small_numbers=SHOWN_HERE)
        if out is not None:
            write_csv(table, out)
    except WaitingListInputError as error:
        _fail(str(error))
    unit = "days" if convention == "nhsrwaitinglist" else "weeks"
    for shown in _stats_tables(table, f"Waiting list ({convention}; per week; mean wait in {unit})"):
        console.print(shown)
    if table["queue_too_big"].any():
        console.print(
            "— target capacity is for a list of a healthy size; a list more than twice its target size "
            "has relief capacity instead (NHSRwaitinglist): a week's removals that meet demand and bring the "
            f"list to its target size in {WEEKS_TO_TARGET:g} weeks. `waitinglist capacity` answers another "
            "question, the least extra a week that reaches a stated % within 18 weeks by a stated month, "
            "so the two figures differ"
        )
    first = table.iloc[0]
    console.print(
        window_note(first.window_start, first.window_end, warehouse is not None, bool(start), bool(end))
    )
    if dates_read:  # each column's order read from its own dates: said
        console.print(f"dates not written YYYY-MM-DD read: {dates_read}")
    if by is not None and NOT_RECORDED in set(table["group"]):
        console.print(
            f"{NOT_RECORDED}: the window's pathways with no {GROUPS[by]} recorded (a non-admitted or a "
            f"treated pathway may be loaded without one), held to the --target-weeks"
        )
    if by == "priority" and set(DEFERRED) & set(table["group"]):
        console.print(
            "P5, P6: a decision to admit whose treatment the patient has chosen to defer, with no clinical "
            "target: held to 52 weeks as NHSRwaitinglist holds them, so their capacities and pressure are "
            "no guide to booking (ADR 63)"
        )
    if by is not None:
        console.print(NOT_SUPPRESSED if no_suppress else SUPPRESSED)
    if out is not None:
        console.print(f"[green]✓[/green] wrote {out}")


#: The statistics the console shows, each with its label and format (the CSV holds every column).
STATS_SHOWN = {
    "target_weeks": ("target weeks", "weeks"),
    "mean_demand": ("mean demand", "{:.1f}"),
    "mean_capacity": ("mean capacity", "{:.1f}"),
    "load": ("load", "{:.2f}"),
    "queue_size": ("queue size", "{:,}"),
    "target_queue_size": ("target queue size", "{:,.0f}"),
    "mean_wait": ("mean wait", "{:.1f}"),
    "target_capacity": ("target capacity", "{:.1f}"),
    "relief_capacity": ("relief capacity", "{:.1f}"),
    "pressure": ("pressure", "{:.2f}"),
}


#: The capacity answer's uplift, hidden with what it reaches (the list without it is shown).
UPLIFT_COLUMNS = [
    "extra_per_week",
    "whole_cases_per_week",
    "operations_share",
    "lists_per_week",
    "lists_to_book",
]

#: The weeks-waited figures with an interval, as the weeks command's table heads them.
TESTED_WORDS = (
    ("pct_within_18_weeks", "% ≤18 wk", ".1f"),
    ("p92_weeks", "92nd pct wk", "weeks"),
    ("over_52_weeks", "52+ wk", ",.0f"),
)


def _stats_tables(table: pd.DataFrame, title: str) -> list[Table]:
    """The statistics down the side, a column a group, as many groups to a table as the console's
    width holds: a row a group squeezed eleven headers to "tar…" on an 80-column terminal."""
    cells = [
        [
            "*" if row.get("suppressed") and column != "target_weeks" else _cell(row[column], fmt)
            for column, (_, fmt) in STATS_SHOWN.items()
        ]
        for row in table.to_dict("records")
    ]
    groups = [str(g) for g in table["group"]]
    label_width = max(len(label) for label, _ in STATS_SHOWN.values())
    width = max(6, *(len(cell) for row in cells for cell in row))  # a group's name folds to fit it
    per_table = max(1, (console.width - label_width - 4) // (width + 3))
    tables = []
    for first in range(0, len(groups), per_table):
        shown = Table(title=title if first == 0 else None)
        shown.add_column("", no_wrap=True, min_width=label_width)
        for group in groups[first : first + per_table]:
            shown.add_column(group, justify="right", overflow="fold", min_width=width, max_width=width)
        for i, (label, _) in enumerate(STATS_SHOWN.values()):
            shown.add_row(label, *(row[i] for row in cells[first : first + per_table]))
        tables.append(shown)
    return tables


#: Reneges, either way, above this share of referrals are said to be large: NHSRtt calibrates them from
#: the bins' differences, so returns that disagree month to month (a resubmission, a changed basis)
#: inflate them, as patients leaving some waits and joining others (ADR 69: a rate below 0 is kept).
LARGE_RENEGES = 0.3
RENEGE_WARNING = (
    "Reneges run at {share:.0%} of referrals a month in the calibration, counting both ways (patients "
    "leaving a wait without treatment, and more at a wait than reached it a month before): large. Returns "
    "that disagree month to month (a resubmission, a changed basis) are calibrated as reneges; check them, "
    "or give one return for the stated approximation"
)


def negative_reneges_note(reneges) -> str | None:
    """Beside a table with a negative renege: what it is (an outside check: "-244 reneges" with nothing
    to read it by)."""
    if not (reneges.fillna(0) < 0).any():
        return None
    return (
        "A negative renege is a net one: in the calibration more patients reached a wait than had waited a "
        "month less the month before, so the model adds them (returns that disagree month to month read "
        "so); the list grows by them"
    )


def renege_warning(share: float, flow_gaps: bool) -> str:
    """:data:`RENEGE_WARNING`, naming the months without referrals or treatments when the returns
    have any (``WeeksInputs.flow_gaps``: the calibration reads them as 0, a likelier cause)."""
    said = RENEGE_WARNING.format(share=share)
    if flow_gaps:
        said += "; or the months named above without referrals or treatments, which it reads as 0"
    return said


def renege_share(inputs: WeeksInputs) -> float | None:
    """The calibration's reneges either way in the list's first month ahead, as a share of referrals,
    when above :data:`LARGE_RENEGES`."""
    if inputs.referrals <= 0:
        return None
    moved = inputs.params.reneges_either_way(inputs.origin.months_waited(), inputs.referrals)
    share = moved / inputs.referrals
    return share if share > LARGE_RENEGES else None


def _say_replay(inputs: WeeksInputs) -> None:
    """The model replayed over the returns' months, and over the latest held out of a calibration, each
    with a caution where it leaves their course."""
    from stocktake.waitinglist.replay import caution as replay_caution

    for replayed in (inputs.replay, inputs.held_out):
        if replayed is not None:
            console.print(f"{replayed.words()}.")
    if (said := replay_caution(inputs.replay, inputs.held_out)) is not None:
        console.print(f"[yellow]{said}.[/yellow]")


def _say_flow_changes(inputs: WeeksInputs, then: str) -> None:
    """The flows that changed within the year the projection averages, and what it comes to at the
    latest six months' (ADR 73)."""
    from stocktake.waitinglist.flow_change import said

    words = said(inputs.changes, "every figure above holds the year's averages", then)
    console.print(f"[yellow]{words}[/yellow]")


def _cell(value, fmt: str) -> str:
    """A statistic as the table shows it: "—" where the method gives none (NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if fmt == "weeks":  # P4's 365 days are 52.14 weeks: "52", as the page says (an outside check)
        return f"{value:.0f}" if abs(value - round(value)) < 0.15 else f"{value:.1f}"
    return fmt.format(value)


Returns = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="RTT_RETURN.csv...",
        help="Monthly RTT provider returns as NHS England publishes them, CSV or the ZIP of the full "
        "file (consecutive months calibrate the model as NHSRtt does; one return gives a stated "
        "approximation).",
    ),
]
TreatmentFunction = Annotated[
    str, typer.Option(metavar="CODE", help="Treatment function code in the return (C_999: all).")
]
Redistribution = Annotated[
    str,
    typer.Option(help="Removals beyond a bin's people (NHSRtt): evenly, prioritise_long_waiters or none."),
]
Provider = Annotated[
    str | None,
    typer.Option(
        metavar="CODE", help="Keep this provider's lines of a return holding several (Provider Org Code)."
    ),
]


@waitinglist_app.command("weeks")
def weeks(
    returns: Returns = None,
    treatment_function: TreatmentFunction = "C_999",
    months: Annotated[int, typer.Option(metavar="N", help="Months to project.")] = 12,
    out: Annotated[Path | None, typer.Option(metavar="PROJ.csv", help="Write the projection here.")] = None,
    redistribution: Redistribution = "evenly",
    provider: Provider = None,
    warehouse: Warehouse = None,
    home: HomeOption = None,
    no_suppress: Annotated[
        bool,
        typer.Option(
            "--no-suppress", help="From the warehouse, show counts of 1–7 (for use inside the trust)."
        ),
    ] = False,
) -> None:
    """The list by weeks waited moved forward month by month: % within 18 weeks, 92nd percentile,
    52/65/78-week waiters."""
    import pandas as pd

    from stocktake.files.rtt import run_weeks
    from stocktake.files.waitinglist import WaitingListInputError, check_output, write_csv
    from stocktake.metrics.suppression import MASK
    from stocktake.report.waitinglist import weeks_written
    from stocktake.verdicts.waitinglist import (
        NESTED_COUNTS,
        hidden_as_the_table_hides,
        interval_columns,
        percentile_hidden,
        share_shown,
        tail_counts_shown,
        weeks_rows_shown,
    )
    from stocktake.waitinglist.flow_change import plainly, projection_at_latest_flows

    if not returns and warehouse is None:
        warehouse = _home_warehouse(home)
    # patient-level data hide small counts, as every export does; published returns are public already
    suppress = not returns and not no_suppress
    try:
        if out is not None:
            check_output(out, *(returns or []), warehouse)
        record_read(warehouse, "waitinglist weeks", out, shows="counts of 1–7" if no_suppress else "")
        inputs, projection, widths, as_lately = run_weeks(
            returns or [], warehouse, treatment_function, months, redistribution, provider
        )
        table = interval_columns(projection, widths, suppress)
        origin = inputs.origin.summary()
        now, ahead = vars(origin), table
        if suppress:  # the list now: what the page and report show of it, no more (ADR 9, 45)
            ahead = weeks_rows_shown(table)
            shown_tail = tail_counts_shown(inputs.origin)
            now |= {c: None for c, show in zip(NESTED_COUNTS[2:], shown_tail, strict=True) if not show}
            if not share_shown(inputs.origin):
                now |= {"within_18_weeks": None, "pct_within_18_weeks": None}
            if percentile_hidden(origin.waiting):
                now |= {"p92_weeks": None}
        rows = pd.DataFrame([now, *ahead.to_dict("records")])
        if out is not None:  # the month it starts from first, as the table shows it (ADR 65)
            written = rows[table.columns].round(3)
            if suppress:  # a percentile's decimals had given counts of 1-7 away: a tenth, as shown
                percentiles = [c for c in written.columns if c.startswith("p92_weeks")]
                written[percentiles] = written[percentiles].astype(float).round(1)
            written.insert(1, "basis", ["recorded"] + ["projected"] * len(table))
            write_csv(
                written.assign(small_numbers=SHOWN_HERE) if no_suppress and not returns else written, out
            )
    except WaitingListInputError as error:
        _fail(str(error))
    title = MASK if pd.isna(rows["waiting"].iloc[0]) else f"{origin.waiting:,.0f}"
    shown = Table(title=f"{inputs.title}: {title} waiting at the end of {origin.month}")
    for column in ("month", "waiting", "% ≤18 wk", "92nd pct wk", "52+ wk", "65+ wk", "78+ wk", "reneges"):
        shown.add_column(column, justify="right")

    def cell(value, form: str) -> str:
        return MASK if pd.isna(value) else format(value, form)

    for row in rows.to_dict("records"):
        shown.add_row(
            row["month"],
            cell(row["waiting"], ",.0f"),
            cell(row["pct_within_18_weeks"], ".1f"),
            MASK if pd.isna(row["p92_weeks"]) else weeks_written(row["p92_weeks"]),
            cell(row["over_52_weeks"], ",.0f"),
            cell(row["over_65_weeks"], ",.0f"),
            cell(row["over_78_weeks"], ",.0f"),
            "" if pd.isna(row.get("reneges")) else f"{row['reneges']:,.0f}",  # the origin has none
        )
    console.print(shown)
    if rows[["waiting", "within_18_weeks", *NESTED_COUNTS[2:]]].isna().any().any():
        console.print(
            f"{MASK} 1–7 patients, or a count that would give such a number away; --no-suppress shows them"
        )
    elif no_suppress and not returns:
        console.print("counts of 1–7 patients are not hidden here (--no-suppress): for use inside the trust")
    if widths:
        final = rows.iloc[-1]

        def written(value, form: str) -> str:
            return weeks_written(value) if form == "weeks" else format(value, form)

        said = [
            f"{words} {written(final[figure], form)} "
            f"({written(final[f'{figure}_low'], form)} to {written(final[f'{figure}_high'], form)})"
            for figure, words, form in TESTED_WORDS
            if figure in widths and not pd.isna(final[figure])
        ]
        basis = next(iter(widths.values())).basis()
        console.print(
            f"{final['month']} with 95% intervals: {'; '.join(said)}. Each month's intervals (<figure>_low "
            f"and _high{' in ' + str(out) if out is not None else ' with --out'}) from this projection's "
            f"own errors on the warehouse's history: {basis}"
        )
    else:  # said, not left to the missing columns (an outside check, on 14 months of pathways)
        console.print(
            "No 95% intervals: "
            + (
                "published returns hold no pathways to test the projection on"
                if returns
                else "the pathways' history is too short to test the projection on its own past"
            )
            + "; every figure is the central path at the present flows"
        )
    console.print(
        f"{inputs.calibration}; referrals {inputs.referrals:,.0f} and treatments "
        f"{inputs.capacity:,.0f} a month held at their recent average"
        + (
            f" over 12 months (over the latest 6: {inputs.lately[0]:,.0f} and {inputs.lately[1]:,.0f})"
            if inputs.lately is not None
            else ""
        )
        + ("; reneges (removals other than treatment) as calibrated" if table["reneges"].any() else "")
    )
    if (note := negative_reneges_note(table["reneges"])) is not None:
        console.print(note)
    _say_if_old(inputs.origin.month, "the projection runs from then")
    _say_replay(inputs)
    if as_lately is not None:
        held, latest = (p.steps[-1].waiting_list.summary() for p in (projection, as_lately))
        written = hidden_as_the_table_hides if suppress else plainly
        _say_flow_changes(inputs, projection_at_latest_flows(held, latest, inputs.lately, written))
    if (share := renege_share(inputs)) is not None:
        console.print(f"[yellow]{renege_warning(share, inputs.flow_gaps)}[/yellow]")
    if out is not None:
        console.print(f"[green]✓[/green] wrote {out}")


#: Beside an uplift: it reaches the target in the projection's best estimate only (the page gives the
#: share's interval with it).
CENTRAL_ANSWER = (
    "{extra} a week is the least that reaches the target in the projection's best estimate, so the target "
    "is about as likely missed as met. Plan for more than {extra} a week to make the target likely{page}."
)
#: Only where the page can give it: it reads the warehouse, and its target is a share (an outside
#: check was sent there from RTT returns, and for a no-52-week-waiters target).
ON_THE_PAGE = " (the Waiting list page gives the share's 95% interval with it)"


@waitinglist_app.command("capacity")
def capacity(
    returns: Returns = None,
    target_pct: Annotated[
        float | None, typer.Option(metavar="PCT", help="Reach this % within 18 weeks (with --by).")
    ] = None,
    by: Annotated[str | None, typer.Option(metavar="YYYY-MM", help="The month of --target-pct.")] = None,
    no_52_week_waiters_by: Annotated[
        str | None, typer.Option(metavar="YYYY-MM", help="No one waiting over 52 weeks by this month.")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", metavar="YYYY-MM", help="Extra capacity from (default: next month)."),
    ] = None,
    cases_per_list: Annotated[
        float | None,
        typer.Option(
            metavar="N", help="Cases per theatre list (default: the warehouse's own theatre measures)."
        ),
    ] = None,
    treatment_function: TreatmentFunction = "C_999",
    out: Annotated[Path | None, typer.Option(metavar="CAPACITY.csv", help="Write the answers here.")] = None,
    redistribution: Redistribution = "evenly",
    provider: Provider = None,
    warehouse: Warehouse = None,
    home: HomeOption = None,
    no_suppress: Annotated[
        bool,
        typer.Option(
            "--no-suppress",
            help="From the warehouse, show what gives counts of 1–7 away (for use inside the trust): a small "
            "list's answer is otherwise all *.",
        ),
    ] = False,
) -> None:
    """Extra treatments (and theatre lists) a week needed to reach a target, solved on the projection."""
    from stocktake.files.rtt import run_capacity
    from stocktake.files.waitinglist import WaitingListInputError, check_output, write_csv
    from stocktake.metrics.suppression import MASK
    from stocktake.verdicts.waitinglist import lists_hidden, reached_hidden
    from stocktake.waitinglist.capacity import (
        NO_WAITERS_BELOW,
        answers_table,
        beyond_present,
        lists_assume,
        lists_words,
        share_words,
    )
    from stocktake.waitinglist.flow_change import capacity_at_latest_flows

    if not returns and warehouse is None:
        warehouse = _home_warehouse(home)
    try:
        if out is not None:
            check_output(out, *(returns or []), warehouse)
        record_read(warehouse, "waitinglist capacity", out, shows="counts of 1–7" if no_suppress else "")
        inputs, answer, by_start, per_list_source, as_lately = run_capacity(
            returns or [],
            warehouse,
            treatment_function,
            target_pct,
            by,
            no_52_week_waiters_by,
            start,
            cases_per_list,
            redistribution,
            provider,
        )
        # patient-level data hide what gives a small count away, as every export does (ADR 9, 25)
        suppress = not returns and not no_suppress  # an outside check: a sub-specialty's list all "*"
        hidden = [reached_hidden(a) if suppress else (False, False) for a in by_start]
        table = answers_table(by_start).astype(object)
        for row, (without, with_it) in enumerate(hidden):
            if without:
                table.at[row, "without_uplift"] = None
            if with_it:  # the uplift too: with the list without it, it gives what it reaches back
                table.loc[row, [*UPLIFT_COLUMNS, "with_uplift"]] = None
        # lists that give 1–7 with (or without) a decision to admit away, alone or beside any other
        # run's: the share's grid points hidden are the list's own (ADR 62)
        rows_hidden = [lists_hidden(a) and suppress for a in by_start]
        hide_lists = rows_hidden[(answer.start - by_start[0].start).n]
        for row, hide in enumerate(rows_hidden):
            if hide:
                table.loc[row, ["operations_share", "lists_per_week", "lists_to_book"]] = None
        if out is not None:
            write_csv(table.assign(small_numbers=SHOWN_HERE) if no_suppress and not returns else table, out)
    except WaitingListInputError as error:
        _fail(str(error))
    target = answer.target.describe()
    baseline_hidden, achieved_hidden = reached_hidden(answer) if suppress else (False, False)
    if answer.extra_per_week is None:
        console.print(
            f"[red]{target}: not reachable from {answer.start}[/red] with any uplift the model allows"
        )
    elif answer.extra_per_week == 0:
        then = f"{MASK if baseline_hidden else answer.target.written(answer.baseline)} " + (
            "waiting more than 52 weeks" if answer.target.no_52_week_waiters else "within 18 weeks"
        )
        console.print(
            f"[bold]{target}[/bold] ({inputs.title}): met without extra capacity ({then} in "
            f"{answer.target.by} at the present referrals and treatments)"
        )
    else:
        said = [lists_words(answer, MASK if achieved_hidden or hide_lists else None)]
        if answer.lists_per_week is None and per_list_source:
            said.append(f"not turned into theatre lists: {per_list_source}, or give --cases-per-list")
        lists = f" ({'; '.join(filter(None, said))})" if any(said) else ""
        extra = (
            f"{MASK} extra treatments a week"
            if achieved_hidden
            else f"{answer.extra_per_week:.1f} extra treatments a week "
            f"(round up: {answer.whole_cases_per_week})"
        )
        with_them = (
            # reached, by construction
            f"at least the target's {share_words(answer.target.pct_within_18_weeks)}"
            if achieved_hidden and not answer.target.no_52_week_waiters
            else MASK
            if achieved_hidden
            else answer.target.written(answer.achieved)
        )
        console.print(
            f"[bold]{target}[/bold] ({inputs.title}): {extra} from {answer.start}{lists}; without them "
            f"{MASK if baseline_hidden else answer.target.written(answer.baseline)}, with them {with_them}"
            + (
                f" (the model's fraction of a patient: under {NO_WAITERS_BELOW:g} counts as no one)"
                if answer.target.no_52_week_waiters
                else ""
            )
        )
        if far := beyond_present(answer.extra_per_week, inputs.capacity, hidden=achieved_hidden):
            console.print(f"[yellow]{far}[/yellow]")
        if not achieved_hidden:  # with what it reaches hidden, the uplift is "*" too
            page = "" if returns or answer.target.no_52_week_waiters else ON_THE_PAGE
            console.print(CENTRAL_ANSWER.format(extra=f"{answer.extra_per_week:.1f}", page=page))
        if answer.lists_per_week is not None and per_list_source:
            console.print(f"Cases a list: {per_list_source}.")
    shown = Table(title="From when: the uplift needed for each start month")
    for column in ("start", "extra a week", "lists a week", "reached"):
        shown.add_column(column, justify="right")
    for a, (_, achieved_masked), lists_masked in zip(by_start, hidden, rows_hidden, strict=True):
        reached = "" if a.achieved is None else a.target.written(a.achieved)
        masked = achieved_masked and a.achieved is not None
        shown.add_row(
            str(a.start),
            "not reachable" if a.extra_per_week is None else MASK if masked else f"{a.extra_per_week:.1f}",
            "" if a.lists_to_book is None else MASK if masked or lists_masked else f"{a.lists_to_book:.1f}",
            MASK if masked else reached,
        )
    console.print(shown)
    if any(any(pair) for pair in hidden) or hide_lists or any(rows_hidden):
        console.print(
            f"{MASK} a share or count that would give 1–7 patients away (blank in the CSV); --no-suppress "
            "shows them, for use inside the trust"
        )
    elif no_suppress and not returns:
        console.print("counts of 1–7 patients are not hidden here (--no-suppress): for use inside the trust")
    # where priorities are known, some may be past their target: a plan books them first (a director)
    urgent = (
        "urgent patients treated in time from the present capacity"
        if returns
        else "urgent patients treated in time from the present capacity; where some are past their "
        "priority's target now (the Waiting list page counts them), a plan booking by priority treats "
        "them first, and the target may be reached later"
    )
    console.print(
        f"Assumes: {urgent}; referrals {inputs.referrals:,.0f} and treatments "
        f"{inputs.capacity:,.0f} a month as recently; {inputs.calibration}"
        + (
            f"; {lists_assume(answer.admitted, answer, hide_lists or achieved_hidden)}."
            if answer.cases_per_list or answer.admitted is not None
            else "; the extra treatments go to the longest waiters first."
        )  # what the lists, or the operations said without them, rest on (as the report says)
    )
    _say_if_old(inputs.origin.month, "the start months are counted from then, not from today")
    _say_replay(inputs)
    if as_lately is not None:
        _say_flow_changes(inputs, capacity_at_latest_flows(answer, as_lately, inputs.lately, inputs.capacity))
    if (share := renege_share(inputs)) is not None:  # as `weeks` says
        console.print(f"[yellow]{renege_warning(share, inputs.flow_gaps)}[/yellow]")
    if out is not None:
        console.print(f"[green]✓[/green] wrote {out}")


@waitinglist_app.command("plan")
def plan(
    month: Annotated[str, typer.Option(metavar="YYYY-MM", help="The month to plan.")],
    out: Annotated[Path, typer.Option(metavar="PLAN.xlsx", help="The plan workbook.")],
    warehouse: Annotated[
        Path | None,
        typer.Option(
            metavar="WAREHOUSE",
            help="rtt_pathways, theatre_sessions and theatre_cases (default: the home's warehouse).",
        ),
    ] = None,
    risk: Annotated[
        float,
        typer.Option(
            metavar="P",
            help="Largest chance of a list over-running (normal approximation), above 0, below 0.5.",
        ),
    ] = 0.2,
    seconds: Annotated[
        float,
        typer.Option(
            metavar="S",
            help="CP-SAT's work for the month, shared by its weeks (at least 0.1 each): deterministic "
            "time, about seconds of one core on an idle machine; up to 600.",
        ),
    ] = 3.0,
    home: HomeOption = None,
) -> None:
    """Pack the month's theatre lists from the waiting list (CP-SAT): due dates first, then longest waits."""
    from stocktake.files.theatre import (
        FCFS_IS,
        PATIENT_LEVEL,
        plan_beside_history,
        plan_cannot_book,
        plan_cautions,
        plan_not_planned,
        plan_sheets,
        run_plan,
        surgeons_words,
        write_workbook,
    )
    from stocktake.files.waitinglist import WaitingListInputError, check_output

    warehouse = warehouse or _home_warehouse(home)
    if warehouse is None:
        _fail("give --warehouse W: the plan reads its rtt_pathways and theatre history (the home has none)")
    try:
        check_output(out, warehouse, example="plan.xlsx")
        if out.suffix.lower() != ".xlsx":
            raise WaitingListInputError(f"--out {out}: expected an .xlsx workbook")
        record_read(warehouse, "waitinglist plan", out, shows="patient-level rows (pathway IDs)")
        inputs, optimised, fcfs = run_plan(warehouse, month, risk, seconds)
        write_workbook(plan_sheets(inputs, optimised, fcfs, risk, seconds), out)
    except WaitingListInputError as error:
        _fail(str(error))
    # the plan's waiting are those with a priority, less those who chose to defer
    left_out, deferred = sum(inputs.no_priority.values()), len(inputs.deferred_starts)
    others = [f"{left_out:,} with no priority recorded"] * bool(left_out)
    others += [f"{deferred:,} deferred at their own choice (P5, P6)"] * bool(deferred)
    also = f" (and {' and '.join(others)})" if others else ""
    console.print(
        f"Lists: {inputs.lists_source}; {len(inputs.patients):,} waiting {inputs.waiting_when}{also}"
    )
    for caution, words in plan_cautions(inputs, optimised.score.booked).items():
        console.print(f"[yellow]{caution}[/yellow]: {words}")
    for words, groups in plan_not_planned(inputs).items():
        console.print(f"[yellow]not planned ({words})[/yellow]: {groups}")
    if (late := optimised.score.p1_breaches) > 0:
        who = f"{late:,} P1 patient{'s' if late > 1 else ''}"
        console.print(f"[red]{who} due in the month not booked by the due date[/red]")

    def unbooked(score) -> dict[str, int]:
        return {
            "[red]{} P1 patient{} due by the month's end not booked[/red]": score.p1_not_booked,
            "[red]{} P2 patient{} due by the month's end not booked[/red]": score.p2_not_booked,
            "[yellow]{} patient{} waiting more than 52 weeks not booked[/yellow]": score.long_waiters_at_start
            - score.long_waiters_booked,
            "[yellow]{} patient{} reaching 52 weeks in the month not booked by then[/yellow]": (
                score.reaching_long_wait - score.reaching_long_wait_in_time
            ),
        }

    # "no room" only of a plan proven best week by week: a solve stopped by its time had left 52-week
    # breaches a swap on the same lists avoided (an outside check: 87 breaches at 3 s, 46 at 30 s)
    proven = "not proven" not in optimised.status and "first fit" not in optimised.status
    advice = (
        "the plan found no room for them on the month's lists; plan extra lists"
        if proven
        else "the solve stopped before proving its plan best; a longer one (--seconds 30) may book some, "
        "else plan extra lists"
    )
    stuck_advice = (
        "not planned, for a reason said above (no procedure group recorded, the theatre history cannot time "
        "their case, or no list of the month takes it): a longer solve books none of them"
    )
    stuck, lines = unbooked(plan_cannot_book(inputs)), 0
    for words, n in unbooked(optimised.score).items():
        for count, why in ((n - stuck[words], advice), (stuck[words], stuck_advice)):
            if count > 0:
                said = words.format(f"{count:,}", "s" if count > 1 else "")
                console.print(f"{said} (named on the workbook's not booked sheet): {why}")
                lines += 1
    if lines > 1:  # an overdue P2 over 52 weeks is in two lines (an outside check read 24 patients for 12)
        console.print("A patient is counted in every line above that applies; the sheet names each once.")
    shown = Table(title=f"{month}: CP-SAT ({optimised.status}) against first come, first served")
    shown.add_column("measure")
    shown.add_column("CP-SAT", justify="right")
    shown.add_column("FCFS", justify="right")
    from stocktake.waitinglist.theatre_plan import scores_table

    for row in scores_table([optimised, fcfs]).itertuples(index=False):
        shown.add_row(str(row[0]), *(f"{v:,.0f}" if float(v).is_integer() else f"{v:,}" for v in row[1:]))
    console.print(shown)
    console.print(f"FCFS, first come, first served: {FCFS_IS}.")
    console.print(f"[yellow]Surgeons and sites[/yellow]: {surgeons_words(inputs, optimised)}.")
    if beside := plan_beside_history(inputs, optimised.score, risk):
        console.print(f"Cases a list: {beside}.")
    console.print(f"[green]✓[/green] wrote {out}")
    console.print(f"[yellow]Patient-level[/yellow]: {PATIENT_LEVEL}")


def _a_year(monthly_log_growth: float) -> str:
    """A monthly log growth as a signed yearly percentage; one that rounds to nothing is "+0.0%", not
    "-0.0%"."""
    yearly = round(math.expm1(monthly_log_growth * 12), 3)
    return f"{yearly + 0.0:+.1%}"


def _say_if_old(month, then: str) -> None:
    """The page's and the report's "Old figures" notice, said on the command line too: a list 20 months
    old had been projected and planned for "from 2025-04" without a word of its age."""
    import pandas as pd

    from stocktake.report.waitinglist import old_figures, today

    if notice := old_figures(pd.Period(month, freq="M"), today()):
        console.print(f"[yellow]{notice}[/yellow]: {then}")
