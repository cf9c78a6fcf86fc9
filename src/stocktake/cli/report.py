"""`stocktake report`: the board-ready stock-take."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _grouped, _settings, console
from stocktake.cli.recorded import record_read
from stocktake.periods import option_month


def report(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Directory to write the report into (default: HOME/reports; with --warehouse W, the "
            "reports/ folder of W's home)."
        ),
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, xlsx.")
    ] = "html,pdf,xlsx",
    period: Annotated[
        str | None, typer.Option(metavar="YYYY-MM", help="The last month to include (2025-09, Sep-25, …).")
    ] = None,
    home: HomeOption = None,
    warehouse: Annotated[
        Path | None, typer.Option(help="The DuckDB warehouse (default: HOME/warehouse.duckdb).")
    ] = None,
    annotations: Annotated[
        Path | None, typer.Option(metavar="CHANGES.csv", help="Dated changes: metric_id,date,label,rebase.")
    ] = None,
    targets: Annotated[
        Path | None, typer.Option(metavar="TARGETS.yaml", help="Targets: fixed, or midway.")
    ] = None,
) -> None:
    """The board-ready stock-take: HTML, PDF and Excel, small numbers suppressed."""
    from stocktake.report.inputs import ReportInputError
    from stocktake.report.run import ReportRequest, build_and_write
    from stocktake.settings import is_home, private_files, private_home
    from stocktake.warehouse import WarehouseError

    if period is not None:  # read as the waiting-list commands read their months
        import pandas as pd

        from stocktake.report.waitinglist import today

        try:
            month = option_month(period)
        except ValueError as error:
            _fail(f"--period {period!r}: {error}")
        # a month to come: its waiting list had read "50 months ago" (an outside check)
        if month > pd.Period(today(), freq="M"):
            _fail(f"--period {period!r}: {month:%B %Y} has not come yet; give a month up to this one")
        period = str(month)
    # A warehouse named without --home is read with its own home's settings, and its report goes
    # there: never into the demo's home, nor the folder the command happens to run in (ADR 0013).
    settings = _settings(home or (warehouse.parent if warehouse else None), private=False)
    warehouse = warehouse or settings.warehouse
    if not warehouse.exists():
        _fail(
            f"{warehouse}: no warehouse here (load extracts with `stocktake ingest`, build the demo's with "
            "`stocktake demo`, or give --warehouse)"
        )
    if home is None and out is None and not is_home(warehouse.parent):
        _fail(
            f"--warehouse {warehouse}: its folder is not a home (no stocktake.toml, warehouse.duckdb or "
            "secrets/pseudonym.key there), so its report has no home to go in: give --out FOLDER"
        )
    if out is not None and out.exists() and not out.is_dir():  # an outside check: a traceback
        _fail(f"--out {out}: a file, not a folder; give the folder the report's files go in")
    if out is None:
        out = settings.reports
        private_home(settings.home)  # the report holds the home's data: private as the home is
    else:
        private_files()  # what is written is the account's only; the folder given is left as it is
    request = ReportRequest(
        warehouse,
        out,
        tuple(f.strip() for f in format_.split(",") if f.strip()),
        period,
        annotations,
        targets,
        catalogue=settings.catalogue,
        source=settings.source,
        department=settings.department,
    )
    record_read(warehouse, "report", out)
    try:
        with console.status("Building the stock-take…"):
            taken, written = build_and_write(request)
    except (ReportInputError, ValueError, WarehouseError) as error:
        _fail(str(error))
    except OSError as error:  # a folder that cannot be made or written, said as the system says it
        _fail(f"--out {out}: cannot write there: {error.strerror or error}")
    if period is not None and taken.entries:  # June 2026 asked of data to March 2025: said (a recheck)
        data_end = max(e.result.x.max() for e in taken.entries).strftime("%Y-%m")
        if data_end < period:
            console.print(
                f"[yellow]--period {period}: the data run to {data_end}, so the report runs to then[/yellow]"
            )
    for lacking, ids in _grouped(dict(taken.no_data)).items():
        where = f"no {' or '.join(lacking)} in {warehouse}"
        console.print(f"[yellow]No data[/yellow] ({where}): {ids}", soft_wrap=True)
    for path in written:
        console.print(f"Wrote [bold]{path.resolve()}[/bold]")
