"""`stocktake metrics`: every metric as a tidy series."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _grouped, _settings, _step, console
from stocktake.cli.recorded import record_read


def metrics(
    out: Annotated[Path, typer.Option(metavar="FILE.parquet|.csv", help="Where to write the series.")],
    home: HomeOption = None,
    source: Annotated[
        Path | None,
        typer.Option(
            help="A DuckDB warehouse, or a folder of Parquet files named after the datasets "
            "(default: HOME/warehouse.duckdb)."
        ),
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb, or spark for a regional or national run.")] = "duckdb",
    by: Annotated[
        str | None, typer.Option(metavar="DIMENSION", help="Break down by site, consultant, age_band, …")
    ] = None,
    period: Annotated[str, typer.Option(help="month, week or quarter.")] = "month",
    user_metrics: Annotated[
        Path | None, typer.Option("--metrics", metavar="METRICS.yaml", help="Your own metrics to add.")
    ] = None,
    catalogue_file: Annotated[
        Path | None,
        typer.Option(
            "--catalogue",
            metavar="CATALOGUE.yaml",
            help="Another department's catalogue (default: $STOCKTAKE_CATALOGUE, else T&O's).",
        ),
    ] = None,
    suppress: Annotated[
        bool, typer.Option("--suppress/--no-suppress", help="Blank rows with 1-7 people behind them.")
    ] = True,
) -> None:
    """Every metric as a tidy series (metric, the dimension if any, period, numerator, denominator, value)."""
    from stocktake.metrics.export import SeriesRequest, SeriesRequestError, export_series

    settings = _settings(home, private=False)
    source = source or settings.warehouse
    request = SeriesRequest(
        source, catalogue_file or settings.catalogue, out, engine, by, period, user_metrics, suppress
    )
    record_read(source, "metrics", out, shows="" if suppress else "counts of 1–7")
    try:
        with _step(f"Computing the metrics on {engine}"):
            written = export_series(request)
    except SeriesRequestError as error:
        _fail(str(error))
    for lacking, ids in _grouped(written.absent).items():
        where = f"no {' or '.join(lacking)} in {source}"
        console.print(f"[yellow]No data[/yellow] ({where}): {ids}", soft_wrap=True)
    if written.left_out:
        reason = f"no {by} in their data, or rare-event charts" if by else "rare-event charts"
        console.print(f"[dim]Left out ({reason}): {', '.join(written.left_out)}[/dim]", soft_wrap=True)
    table = written.table
    console.print(
        f"Wrote {len(table):,} rows for {table['metric_id'].nunique()} metrics to [bold]{out}[/bold]"
    )
