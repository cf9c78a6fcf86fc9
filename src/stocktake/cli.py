"""The `stocktake` command. Each command is a thin call into a module; no logic lives here."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.text import Text

from stocktake.spc.rules import DEFAULT_PROFILE

app = typer.Typer(help="Stocktake: an honest stock-take of a clinical service.", no_args_is_help=True)
console = Console(stderr=True)
HomeOption = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="The workspace folder (default: $STOCKTAKE_HOME, else ./stocktake once data are loaded "
        "there, else the demo's ./stocktake-demo).",
    ),
]


@contextmanager
def _step(description: str):
    started = time.perf_counter()
    with console.status(description + "…"):
        yield
    console.print(f"[green]✓[/green] {description} [dim]({time.perf_counter() - started:.1f}s)[/dim]")


@app.command()
def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "--home",
            help="The demo's workspace: raw files, warehouse and report (default: ./stocktake-demo).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same department.")] = 42,
    scale: Annotated[int, typer.Option(min=1, help="Multiply the department's volumes by this.")] = 1,
) -> None:
    """Build a synthetic T&O department and its stock-take report."""
    from stocktake.demo.run import run_demo
    from stocktake.settings import DEMO_HOME

    output = run_demo(out or DEMO_HOME, seed=seed, scale=scale, step=_step)
    console.print(f"\nReport: [bold]{output.report.resolve()}[/bold]")
    console.print(f"Summary: {output.summary.resolve()}   Injected effects: {output.effects.resolve()}")


@app.command()
def ingest(
    raw_dir: Annotated[Path, typer.Argument(metavar="DIR", help="The folder holding the extracts.")],
    mapping: Annotated[
        Path | None,
        typer.Option(
            metavar="MAPPING.yaml",
            help="How the extracts map onto Stocktake (default: $STOCKTAKE_MAPPING, else the demo's).",
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR", help="The workspace to load into (default: $STOCKTAKE_HOME, else ./stocktake)."
        ),
    ] = None,
    warehouse: Annotated[
        Path | None, typer.Option(help="The DuckDB warehouse to load into (default: HOME/warehouse.duckdb).")
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="The pseudonymisation key (default: secrets/pseudonym.key beside the warehouse)."),
    ] = None,
    errors: Annotated[
        Path | None,
        typer.Option(metavar="FOLDER", help="Where to write the error report (default: HOME/errors)."),
    ] = None,
    partial: Annotated[
        bool, typer.Option(help="Load the extracts present; skip mapped files that are absent.")
    ] = False,
    correction: Annotated[
        bool, typer.Option(help="Change only the rows in the files; keep the rest of their months.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Only show what would be added, changed and removed per month.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm a load that removes rows.")] = False,
    user: Annotated[
        str | None, typer.Option(help="Who is loading, for the ingest log (default: $USER).")
    ] = None,
) -> None:
    """Validate a folder of extracts (CSV, Excel, Parquet) and load them all, or nothing."""
    from stocktake.ingest.load import (
        IngestError,
        NoExtractsError,
        RemovalsNotConfirmed,
        ingest_directory,
        preview_lines,
    )
    from stocktake.ingest.mapping import MappingError, load_mapping
    from stocktake.ingest.pseudonymise import MissingKeyError, load_or_create_key
    from stocktake.ingest.report import write_error_report
    from stocktake.settings import key_beside, private_home
    from stocktake.warehouse import WarehouseError, problems

    settings = _settings(home or (warehouse.parent if warehouse else None), loading=True, private=False)
    warehouse, mapping = warehouse or settings.warehouse, mapping or settings.mapping
    key_file = key_file or key_beside(warehouse)
    if not raw_dir.is_dir():
        _fail(f"{raw_dir}: no such folder")
    if key_file.resolve().parent == warehouse.resolve().parent:
        _fail(f"--key-file {key_file}: keep the key in another folder than the warehouse")
    if errors is not None and errors.exists() and not errors.is_dir():
        _fail(f"--errors {errors}: a file is there; give a folder for the error report")
    private_home(warehouse.parent)  # the warehouse and its journals: 0600, in a 0700 folder
    try:
        parsed = load_mapping(mapping)
        key = load_or_create_key(key_file, warehouse)
        step = f"Checking {raw_dir}" if dry_run else f"Checking and loading {raw_dir}"
        with _step(step), problems(warehouse):
            result = ingest_directory(
                raw_dir,
                parsed,
                warehouse,
                key,
                loaded_by=user,
                partial=partial,
                replace="rows" if correction else "months",
                confirm_removals=yes,
                dry_run=dry_run,
            )
    except (MappingError, MissingKeyError, NoExtractsError, WarehouseError) as error:
        _fail(str(error))
    except IngestError as error:
        _say_error(str(error))
        folder = errors or settings.error_reports
        try:
            csv_path, html_path = write_error_report(error.errors, folder, parsed.source)
        except OSError as problem:
            _fail(f"{folder}: could not write the error report there ({problem.strerror})")
        console.print(f"Error report: [bold]{html_path}[/bold] (and {csv_path.name})")
        raise typer.Exit(code=2) from None
    except RemovalsNotConfirmed as refused:
        typer.echo("\n".join(preview_lines(refused.preview)))
        console.print(
            f"[red]refused:[/red] this load would remove {refused.preview.removed:,} row(s) (above); "
            "nothing was loaded. If they should go, run the same command with --yes; "
            "if the files only correct some rows, use --correction.",
            soft_wrap=True,
        )
        raise typer.Exit(code=1) from None
    if not result.files:
        console.print("Nothing new: every extract is already loaded (the same files, with the same mapping).")
        return
    typer.echo("\n".join(preview_lines(result)))
    if dry_run:
        console.print("Preview only (--dry-run): nothing was loaded.")
    else:
        console.print(
            f"Loaded as load {result.load_id}; to take it back out: "
            f"stocktake undo-load {result.load_id} --warehouse {warehouse}",
            soft_wrap=True,
        )


@app.command("undo-load")
def undo_load(
    load_id: Annotated[
        int | None, typer.Argument(metavar="LOAD_ID", help="The load to undo (default: the latest).")
    ] = None,
    home: HomeOption = None,
    warehouse: Annotated[
        Path | None, typer.Option(help="The DuckDB warehouse (default: HOME/warehouse.duckdb).")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="Who is undoing, for the ingest log (default: $USER).")
    ] = None,
) -> None:
    """Undo a load: remove its rows and restore the rows it replaced, exactly."""
    from stocktake.ingest.load import UndoError
    from stocktake.ingest.load import undo_load as undo
    from stocktake.warehouse import WarehouseError, problems

    warehouse = warehouse or _settings(home, private=False).warehouse
    try:
        with problems(warehouse):
            undone = undo(warehouse, load_id, undone_by=user)
    except (UndoError, WarehouseError) as error:
        _fail(str(error))
    for dataset, (removed, restored) in undone.datasets.items():
        console.print(
            f"{dataset}: removed the {removed:,} rows of load {undone.load_id}, restored {restored:,}"
        )
    console.print(f"Undone (logged as load {undone.undo_id}).")


@app.command()
def spc(
    input_csv: Annotated[
        Path, typer.Argument(metavar="INPUT.csv", help="A CSV with one row per date (per facet).")
    ],
    date: Annotated[str, typer.Option(help="The date column.")],
    value: Annotated[str, typer.Option(help="The value column.")],
    points_out: Annotated[Path, typer.Option(metavar="POINTS.csv", help="Where to write every point.")],
    summary_out: Annotated[
        Path, typer.Option(metavar="SUMMARY.csv", help="Where to write each period's verdict.")
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
) -> None:
    """Making Data Count XmR charts for every facet of a CSV, as CSV files an analyst can script."""
    from stocktake.spc_files import (
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
    )
    try:
        check_outputs({"--points-out": points_out, "--summary-out": summary_out, "--chart": chart}, input_csv)
        table = run_spc(request)
        write_points(table, points_out)
        write_summary(table, summary_out)
        if chart is not None:
            from stocktake.report.charts import write_chart

            write_chart(facet_charts(table, value, target, improvement), chart)
    except (SpcInputError, ValueError) as error:
        _fail(str(error))
    for warning in table.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


@app.command()
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


@app.command()
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
    """Every metric as a tidy series (metric, [dimension], period, numerator, denominator, value)."""
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


def _grouped(absent: dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Measures without data, listed under the datasets they lack."""
    listed: dict[tuple[str, ...], list[str]] = {}
    for metric_id, lacking in absent.items():
        listed.setdefault(lacking, []).append(metric_id)
    return {lacking: ", ".join(ids) for lacking, ids in listed.items()}


def _is_month(text: str) -> bool:
    year, _, month = text.partition("-")
    return year.isdigit() and len(year) == 4 and month.isdigit() and 1 <= int(month) <= 12


def facet_charts(table, value: str, target: float | None = None, improvement: str = "increase"):
    from stocktake.report.charts import ChartSeries

    panels = []
    r = table.result
    for facet in dict.fromkeys(table.facet):
        rows = table.facet == facet
        latest = np.flatnonzero(r.period_series == facet)[-1]
        panels.append(
            ChartSeries(
                title=str(facet) if facet != "" else value,
                x=table.x[rows],
                y=table.y[rows],
                mean=r.mean[rows],
                lpl=r.lpl[rows],
                upl=r.upl[rows],
                point_type=r.point_type[rows],
                rebase_group=r.rebase_group[rows],
                target=target,
                improvement=improvement,
                variation_type=r.variation_type[latest],
                assurance_type=r.assurance_type[latest],
            )
        )
    return panels


def _say_error(message: str) -> None:
    """``error:`` in red, then the message as it is (a file name with brackets is no markup)."""
    console.print(Text.assemble(("error: ", "red"), message), soft_wrap=True)


def _fail(message: str) -> None:
    _say_error(message)
    raise typer.Exit(code=2)


def _settings(home: Path | None, **how):
    """The workspace's settings (``load_settings``); a bad one (e.g. STOCKTAKE_IDLE_MINUTES) exits
    naming it."""
    from stocktake.settings import SettingsError, load_settings

    try:
        return load_settings(home, **how)
    except SettingsError as error:
        _fail(str(error))


TimeLimit = Annotated[float, typer.Option(metavar="SECONDS", help="Stop searching after this long.")]
rota_app = typer.Typer(help="Rotas: check, build and benchmark.", no_args_is_help=True)
app.add_typer(rota_app, name="rota")


@rota_app.command("check")
def rota_check(
    rota: Annotated[
        Path,
        typer.Argument(
            metavar="ROTA.xlsx|.csv",
            help="One row per duty (doctor,start,end,kind,expected_hours), or a grid of shift codes.",
        ),
    ],
    shifts: Annotated[
        Path | None,
        typer.Option(
            metavar="SHIFTS.csv|.xlsx",
            help="A grid's legend: code,start,end,kind,expected_hours,... (or a Shifts sheet in ROTA.xlsx).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="BREACHES.csv|.xlsx", help="Write the findings here.")
    ] = None,
    opted_out: Annotated[
        list[str] | None, typer.Option(help="A doctor who opted out of the WTR (56 h); any case.")
    ] = None,
    no_one_in_three: Annotated[
        bool, typer.Option("--no-one-in-three", help="Skip the unverified 1-in-3 weekend design limit.")
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(
            metavar="FIRST..LAST",
            help="The rota period, rounded up to whole weeks (default: the grid's dates, or the duties').",
        ),
    ] = None,
    wte: Annotated[
        list[str] | None,
        typer.Option(metavar="DOCTOR=0.8", help="A less-than-full-time doctor's WTE, 0.8 or 80% (R18)."),
    ] = None,
    published_on: Annotated[
        str | None, typer.Option(metavar="DATE", help="When the rota was given to the doctors (R19 notice).")
    ] = None,
) -> None:
    """Check a rota against the 2016 TCS (as amended 2019): every breach, with its rule and source."""
    from datetime import date

    from rich.markup import escape

    from stocktake.rota.check import check_rota, limits_for
    from stocktake.rota.duties import RotaInputError
    from stocktake.rota.grid import read_rota_file
    from stocktake.rota.report import breach_table, doctor_table, write_tables
    from stocktake.rota.rules import RULES

    try:
        found = read_rota_file(rota, shifts)
        limits, notes = limits_for(found.doctors, found.wte, wte or [], opted_out or [], not no_one_in_three)
    except RotaInputError as error:
        _fail(str(error))
    duties = list(found.duties)
    try:
        first, _, last = (period or "").partition("..")
        span = (date.fromisoformat(first), date.fromisoformat(last)) if period else found.period
    except ValueError:
        _fail(f"--period {period!r}: expected FIRST..LAST, like 2026-02-02..2026-03-29")
    try:
        published = date.fromisoformat(published_on) if published_on else None
    except ValueError:
        _fail(f"--published-on {published_on!r}: expected a date like 2025-12-01")
    result = check_rota(duties, limits, span, published)
    for note in (*notes, *result.warnings):
        console.print(f"[yellow]warning:[/yellow] {escape(note)}", soft_wrap=True)
    if out is not None:
        write_tables(result, out)
    table = breach_table(result)
    typer.echo(
        f"{len(duties)} duties, {len(result.doctors)} doctors, {result.period[0]} to {result.period[1]}: "
        f"{len(table)} breach(es)"
    )
    for row in table.itertuples():
        flag = "" if row.verified else " [unverified rule]"
        typer.echo(
            f"  {row.doctor} {row.date} {row.rule} {row.rule_name}: {row.found} (limit {row.limit}){flag}"
        )
    typer.echo(doctor_table(result).to_string(index=False))
    for rule, why in result.unchecked:
        typer.echo(f"  not checked: {rule} {RULES[rule].name}: {why}")
    if len(table):
        raise typer.Exit(code=1)


@rota_app.command("example")
def rota_example(
    out: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="Where to write the worked example.")],
) -> None:
    """Write a worked rota problem (two sites; a 1:8 on-call with a 1:2 and a 1:5) to edit."""
    from stocktake.rota.model import EXAMPLE

    if out.exists():
        _fail(f"{out} exists; choose another name")
    out.write_text(EXAMPLE.read_text())
    typer.echo(f"Wrote {out}. Edit it, then: stocktake rota solve {out} --out rota")


@rota_app.command("solve")
def rota_solve(
    spec: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="Doctors, shifts, cover, patterns.")],
    out: Annotated[Path, typer.Option(metavar="FOLDER", help="Where to write the grid, XLSX, calendars.")],
    time_limit: TimeLimit = 30.0,
    published: Annotated[
        Path | None,
        typer.Option(metavar="ASSIGNMENTS.csv", help="Re-plan this published rota with the fewest changes."),
    ] = None,
    keep_until: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="When re-planning, keep every duty before this date."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="CP-SAT search workers (default: one per core).")
    ] = None,
) -> None:
    """Build a compliant, fair rota (or say in plain words why none exists)."""
    from datetime import date

    from stocktake.rota.export import fairness_table, pattern_table, read_assignments, write_rota
    from stocktake.rota.model import RotaSpecError, read_problem
    from stocktake.rota.solver import NoCompliantRota, Replan, solve

    try:
        problem = read_problem(spec)
        replan = None
        if published is not None:
            keep = date.fromisoformat(keep_until) if keep_until else None
            replan = Replan(read_assignments(published), keep)
        elif keep_until:
            _fail("--keep-until needs --published")
    except (RotaSpecError, ValueError, OSError) as error:
        _fail(str(error))
    with console.status(f"Building {problem.name} for up to {time_limit:g} s…"):
        try:
            solution = solve(problem, seconds=time_limit, workers=workers, replan=replan)
        except NoCompliantRota as error:
            typer.echo("\n".join(error.reasons))
            raise typer.Exit(code=1) from None
        except RuntimeError as error:
            _fail(str(error))
    write_rota(solution, out)
    check = solution.check()
    typer.echo(
        f"{problem.name}: {len(solution.assignments)} duties for {len(problem.doctors)} doctors, "
        f"{problem.start} to {problem.end} ({solution.status.lower()}, {solution.seconds:.1f} s); "
        f"{len(check.breaches)} breach(es) on re-check"
    )
    if replan is not None:
        typer.echo(
            f"Changes to the published rota: {len(solution.added)} added, {len(solution.removed)} removed"
        )
        for change, sign in [(a, "-") for a in solution.removed] + [(a, "+") for a in solution.added]:
            typer.echo(f"  {sign} {change.date:%a %d %b} {change.shift} {problem.doctor(change.doctor).name}")
    for request in solution.unmet_requests:
        typer.echo(f"Request not met: {request}")
    patterns = pattern_table(solution)
    typer.echo(patterns.to_string(index=False))
    spread = fairness_table(solution).groupby("burden")["difference"].agg(["min", "max"])
    typer.echo("Distance from each doctor's fair share by WTE (count − share):")
    typer.echo(spread.round(2).to_string())
    typer.echo(f"Wrote {out}/rota.xlsx, grid.csv, assignments.csv, duties.csv, fairness.csv, calendars/")


@rota_app.command("curtois")
def rota_curtois(
    instance: Annotated[Path, typer.Argument(metavar="INSTANCE.txt", help="A Curtois benchmark instance.")],
    out: Annotated[Path, typer.Option(metavar="ROSTER.csv", help="Where to write employee,day,shift rows.")],
    time_limit: TimeLimit = 30.0,
    workers: Annotated[
        int | None, typer.Option(help="CP-SAT search workers (default: one per core).")
    ] = None,
) -> None:
    """Solve an Employee Shift Scheduling Benchmark instance (column generation, then CP-SAT); re-score it."""
    from stocktake.rota.curtois.instance import read_instance, score, write_roster
    from stocktake.rota.curtois.solver import solve

    if not instance.exists():
        _fail(f"{instance}: no such file")
    problem = read_instance(instance)
    with console.status(f"Solving {problem.name} for up to {time_limit:g} s…"):
        try:
            solution = solve(problem, seconds=time_limit, workers=workers)
        except RuntimeError as error:
            _fail(str(error))
    write_roster(solution.roster, out)
    checked = score(problem, solution.roster)
    typer.echo(
        f"objective {solution.objective}  best bound {solution.best_bound}  time {solution.seconds:.1f} s"
        f"  ({solution.status.lower()}; re-scored {checked.objective},"
        f" {len(checked.violations)} hard breaches)"
    )
    if checked.objective != solution.objective or checked.violations:
        _fail("the independent scorer disagrees with the solver: " + "; ".join(checked.violations[:3]))


@app.callback()
def _main() -> None:
    """Stocktake."""


@app.command()
def serve(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Start the department's web workspace (the demo's until a department's data are loaded)."""
    import threading

    import uvicorn

    from stocktake.settings import DEMO_HOME
    from stocktake.web.app import create_app, server_config

    settings = _settings(home)
    if not settings.warehouse.exists() and settings.home == DEMO_HOME.resolve():
        from stocktake.demo.run import run_demo

        run_demo(settings.home, step=_step)
    console.print(f"Stocktake on http://{host}:{port}  (workspace {settings.home})")
    console.print("No account yet? [bold]stocktake users add NAME --role admin[/bold] makes the first admin.")
    web = create_app(settings)
    threading.Thread(target=web.state.workspace.warm, daemon=True).start()
    uvicorn.Server(server_config(web, host, port)).run()


users_app = typer.Typer(help="Accounts of the web workspace.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Their sign-in name.")],
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer",
    full_name: Annotated[str, typer.Option(help="Their name as pages show it.")] = "",
    home: HomeOption = None,
) -> None:
    """Add an account (the first admin is made this way). The password is asked for, or read from
    $STOCKTAKE_PASSWORD for scripts."""
    from stocktake.appdb.actions import create_user

    with _app_database(home) as session:
        create_user(
            session, by=None, username=username, full_name=full_name, password=_new_password(), role=role
        )
    console.print(f"Added {username} ({role})")


def _new_password() -> str:
    return os.environ.get("STOCKTAKE_PASSWORD") or typer.prompt(
        "Password (12 characters or more)", hide_input=True, confirmation_prompt=True
    )


@contextmanager
def _app_database(home: Path | None):
    """The workspace's app database, brought up to date; a refused change exits with its reason."""
    from stocktake.appdb.actions import ActionError
    from stocktake.appdb.database import make_engine, session_factory, upgrade

    url = _settings(home).database_url
    upgrade(url)
    with session_factory(make_engine(url))() as session:
        try:
            yield session
        except ActionError as error:
            _fail(str(error))


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Argument(help="Whose password to replace.")],
    home: HomeOption = None,
) -> None:
    """Replace a forgotten password (asked for, or read from $STOCKTAKE_PASSWORD); logged."""
    from stocktake.appdb.actions import reset_password

    with _app_database(home) as session:
        reset_password(session, by=None, username=username, password=_new_password())
    console.print(f"Replaced the password of {username}")


@app.command("db")
def db_migrate(
    revision: Annotated[
        str, typer.Argument(help="'head' (the latest), 'base' (empty) or a revision id.")
    ] = "head",
    home: HomeOption = None,
    down: Annotated[bool, typer.Option(help="Go down to REVISION instead of up.")] = False,
) -> None:
    """Bring the app database's schema to a revision (serve does 'head' itself)."""
    from stocktake.appdb.database import downgrade, upgrade

    url = _settings(home).database_url
    (downgrade if down else upgrade)(url, revision)
    console.print(f"App database at {'down to' if down else 'up to'} {revision}")


if __name__ == "__main__":  # last, so that every command is defined first
    app()
