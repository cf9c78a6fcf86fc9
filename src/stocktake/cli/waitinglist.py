"""`stocktake waitinglist …`: queueing statistics of the waiting list, and where it is going."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stocktake.cli.common import _fail, console

waitinglist_app = typer.Typer(help="The waiting list: statistics and projection.", no_args_is_help=True)
Warehouse = Annotated[
    Path | None, typer.Option(metavar="WAREHOUSE", help="Use the warehouse's rtt_pathways instead of a CSV.")
]


@waitinglist_app.command("project")
def project(
    history: Annotated[
        Path | None,
        typer.Argument(
            metavar="HISTORY.csv",
            help="month,waiting,clock_starts,clock_stops_admitted,clock_stops_non_admitted (blanks where "
            "unknown); the last row is the forecast origin.",
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
    warehouse: Warehouse = None,
) -> None:
    """Project the list with its 95% interval from a stock-and-flow model of its history."""
    from stocktake.waitinglist_files import WaitingListInputError, check_output, run_projection, write_csv

    try:
        if out is not None:
            check_output(out, history, warehouse)
        projection = run_projection(history, warehouse, months, since)
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
    console.print(
        f"growth shared by the flows: {projection.model.growth * 1200:+.1f}% a year; interval from "
        f"{int(projection.width.errors_used[0])} backtest forecasts of the model on this history"
    )
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
    warehouse: Warehouse = None,
) -> None:
    """Demand, capacity, load, target and relief capacity, mean wait and pressure (NHSRwaitinglist)."""
    from stocktake.waitinglist_files import WaitingListInputError, check_output, run_stats, write_csv

    try:
        if out is not None:
            check_output(out, pathways, warehouse)
        table = run_stats(pathways, warehouse, by, target_weeks, start, end, convention)
        if out is not None:
            write_csv(table, out)
    except WaitingListInputError as error:
        _fail(str(error))
    unit = "days" if convention == "nhsrwaitinglist" else "weeks"
    shown = Table(title=f"Waiting list ({convention}; per week; mean wait in {unit})")
    columns = {
        "group": "{}",
        "target_weeks": "{:.1f}",
        "mean_demand": "{:.1f}",
        "mean_capacity": "{:.1f}",
        "load": "{:.2f}",
        "queue_size": "{:,}",
        "target_queue_size": "{:.0f}",
        "mean_wait": "{:.1f}",
        "target_capacity": "{:.1f}",
        "relief_capacity": "{:.1f}",
        "pressure": "{:.2f}",
    }
    for column in columns:
        shown.add_column(column.replace("_", " "), justify="left" if column == "group" else "right")
    for row in table.to_dict("records"):
        shown.add_row(*(fmt.format(row[c]) for c, fmt in columns.items()))
    console.print(shown)
    if out is not None:
        console.print(f"[green]✓[/green] wrote {out}")
