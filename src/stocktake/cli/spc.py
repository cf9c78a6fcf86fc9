"""`stocktake spc`: XmR charts for every facet of a CSV (or tab-delimited text), workbook or Parquet file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import _fail, console
from stocktake.spc.rules import DEFAULT_PROFILE


def spc(
    input_csv: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT.csv",
            help="A CSV (or .tsv, .txt), .xlsx or Parquet file with one row per date (per facet).",
        ),
    ],
    date: Annotated[str, typer.Option(help="The date column.")],
    value: Annotated[str, typer.Option(help="The value column.")],
    points_out: Annotated[Path, typer.Option(metavar="POINTS.csv", help="Where to write every point.")],
    summary_out: Annotated[
        Path,
        typer.Option(
            metavar="SUMMARY.csv",
            help="Where to write each period's limits and icons (variation, assurance).",
        ),
    ],
    facet: Annotated[str | None, typer.Option(help="A column whose values each get their own chart.")] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option("--filter", metavar="COL=VALUE", help="Keep only rows where COL is VALUE."),
    ] = None,
    improvement: Annotated[str, typer.Option(help="increase, decrease or neutral.")] = "increase",
    target: Annotated[float | None, typer.Option(metavar="NUMBER", help="The target, for assurance.")] = None,
    rebase: Annotated[
        list[str] | None,
        typer.Option(metavar="DATE | FACET:DATE", help="Start new limits from this date (repeatable)."),
    ] = None,
    fix_after: Annotated[
        int | None, typer.Option(metavar="N", help="Fix the limits after N points (12+).")
    ] = None,
    screen_outliers: Annotated[
        bool | None,
        typer.Option("--screen-outliers/--no-screen-outliers", help="Screen large moving ranges."),
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(metavar="CHART.html|.png|.svg", help="Also draw the charts.")
    ] = None,
    profile: Annotated[
        str, typer.Option(help="Rule profile: nhsrplotthedots-0.2.2 or mdc-2023.")
    ] = DEFAULT_PROFILE,
    date_format: Annotated[
        str | None,
        typer.Option(
            metavar="FORMAT", help="The dates' format, e.g. %d/%m/%Y, where day and month could swap."
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            help="Guess nothing: a UTF-8 CSV, header on row 1, plain numbers and ISO or d/m/Y dates."
        ),
    ] = False,
) -> None:
    """Making Data Count XmR charts for every facet of a CSV, as CSV files an analyst can script."""
    from stocktake.files.spc import (
        SpcInputError,
        SpcRequest,
        check_outputs,
        parse_rebase,
        run_spc,
        write_points,
        write_summary,
    )

    if improvement not in ("increase", "decrease", "neutral"):
        _fail(f"--improvement must be increase, decrease or neutral, not {improvement!r}")
    filters = []
    for text in filter_ or []:
        column, equals, wanted = text.partition("=")
        if not equals:
            _fail(f"--filter {text!r}: write it as COLUMN=VALUE")
        filters.append((column, wanted))
    request = SpcRequest(
        input=input_csv,
        date=date,
        value=value,
        facet=facet,
        filters=tuple(filters),
        improvement=improvement,
        target=target,
        rebase=tuple(parse_rebase(r) for r in rebase or []),
        fix_after=fix_after,
        screen_outliers=screen_outliers,
        profile=profile,
        strict=strict,
        date_format=date_format,
    )
    try:
        check_outputs({"--points-out": points_out, "--summary-out": summary_out, "--chart": chart}, input_csv)
        table = run_spc(request)
        write_points(table, points_out)
        write_summary(table, summary_out)
        if chart is not None:
            from stocktake.report.charts import facet_charts, write_chart

            write_chart(facet_charts(table, value, target, improvement), chart)
    except (SpcInputError, ValueError) as error:
        _fail(str(error))
    if table.read_as:
        console.print(f"{input_csv.name}: {table.read_as}", markup=False, highlight=False, soft_wrap=True)
    for warning in table.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
