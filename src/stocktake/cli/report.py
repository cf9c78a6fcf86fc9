"""`stocktake report`: the board-ready stock-take."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _grouped, _settings, console


def report(
    out: Annotated[
        Path | None, typer.Option(help="Directory to write the report into (default: HOME/reports).")
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, xlsx.")
    ] = "html,pdf,xlsx",
    period: Annotated[str | None, typer.Option(metavar="YYYY-MM", help="The last month to include.")] = None,
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
    from stocktake.warehouse import WarehouseError

    settings = _settings(home, private=False)
    warehouse, out = warehouse or settings.warehouse, out or settings.reports
    if period is not None and not _is_month(period):
        _fail(f"--period {period!r}: expected a month like 2025-09")
    if not warehouse.exists():
        _fail(f"{warehouse}: no warehouse here (run `stocktake demo` first, or give --warehouse)")
    request = ReportRequest(
        warehouse,
        out,
        tuple(f.strip() for f in format_.split(",") if f.strip()),
        period,
        annotations,
        targets,
        catalogue=settings.catalogue,
        source=settings.source,
    )
    try:
        with console.status("Building the stock-take…"):
            taken, written = build_and_write(request)
    except (ReportInputError, ValueError, WarehouseError) as error:
        _fail(str(error))
    for lacking, ids in _grouped(dict(taken.no_data)).items():
        where = f"no {' or '.join(lacking)} in {warehouse}"
        console.print(f"[yellow]No data[/yellow] ({where}): {ids}", soft_wrap=True)
    for path in written:
        console.print(f"Wrote [bold]{path.resolve()}[/bold]")


def _is_month(text: str) -> bool:
    year, _, month = text.partition("-")
    return year.isdigit() and len(year) == 4 and month.isdigit() and 1 <= int(month) <= 12
