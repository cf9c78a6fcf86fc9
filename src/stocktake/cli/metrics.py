"""`stocktake metrics`: every metric as a tidy series."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _grouped, _settings, _step, console


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
    from stocktake.metrics.catalogue import CatalogueError, load_catalogue
    from stocktake.metrics.engines import ENGINES, SourceError, open_engine
    from stocktake.metrics.export import FORMATS, suppressed, write_series
    from stocktake.metrics.run import PERIODS, Grain, as_table, missing_data, run_catalogue
    from stocktake.metrics.user import with_user_metrics
    from stocktake.warehouse import WarehouseError

    settings = _settings(home, private=False)
    source, catalogue_file = source or settings.warehouse, catalogue_file or settings.catalogue
    if engine not in ENGINES:
        _fail(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if period not in PERIODS:
        _fail(f"--period {period!r}: expected one of {', '.join(PERIODS)}")
    if out.suffix not in FORMATS:
        _fail(f"--out {out}: expected a file ending {' or '.join(FORMATS)}")
    try:
        catalogue = load_catalogue(catalogue_file)
        if user_metrics is not None:
            catalogue = with_user_metrics(catalogue, user_metrics)
    except CatalogueError as error:
        _fail(str(error))
    if by is not None and by not in catalogue.dimensions:
        _fail(f"--by {by!r}: expected one of {', '.join(catalogue.dimensions)}")
    try:
        with (
            _step(f"Computing {len(catalogue.metrics)} metrics on {engine}"),
            open_engine(engine, source) as con,
        ):
            absent = missing_data(con, catalogue)
            series = run_catalogue(con, catalogue, Grain(period, by))
    except (SourceError, ValueError, WarehouseError) as error:
        _fail(str(error))
    table = as_table(series)
    if suppress:
        table = suppressed(table, catalogue)
    write_series(table, out)
    for lacking, ids in _grouped(absent).items():
        where = f"no {' or '.join(lacking)} in {source}"
        console.print(f"[yellow]No data[/yellow] ({where}): {ids}", soft_wrap=True)
    left_out = [
        m.id
        for m in catalogue.metrics
        if m.id not in absent and (m.id not in series or "numerator" not in series[m.id])
    ]
    if left_out:
        reason = f"no {by} in their data, or rare-event charts" if by else "rare-event charts"
        console.print(f"[dim]Left out ({reason}): {', '.join(left_out)}[/dim]", soft_wrap=True)
    console.print(
        f"Wrote {len(table):,} rows for {table['metric_id'].nunique()} metrics to [bold]{out}[/bold]"
    )
