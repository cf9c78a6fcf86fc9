"""`stocktake expected set|show`: an outcome measure's expected counts kept in the home (ADR 34), for
the workspace's funnel page and the board report to compare observed ÷ expected."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _settings, console, csv_cell

expected_app = typer.Typer(
    help="Expected counts of an outcome measure (a case-mix model's), kept for observed ÷ expected.",
    no_args_is_help=True,
)
Metric = Annotated[str, typer.Argument(help="The outcome measure's id, e.g. hipfx_mortality_30d.")]
By = Annotated[str, typer.Option(help="What the file's units are: site (the report's), consultant, …")]


def _outcome(home: Path | None, metric_id: str, by: str):
    from stocktake.metrics.catalogue import load_catalogue
    from stocktake.verdicts.expected import compares_observed_expected

    catalogue = load_catalogue(_settings(home, private=False).catalogue)
    metric = next((m for m in catalogue.metrics if m.id == metric_id), None)
    if metric is None:
        _fail(f"{metric_id}: no such measure in the catalogue")
    if not compares_observed_expected(metric):
        _fail(f"{metric_id}: not an outcome measure compared observed ÷ expected (outcome: true)")
    if by not in catalogue.dimensions:
        _fail(f"--by {by}: expected one of {', '.join(catalogue.dimensions)}")
    return metric


@expected_app.command("set")
def set_expected(
    metric_id: Metric,
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="unit,expected: one row per unit.")],
    by: By = "site",
    first: Annotated[
        str,
        typer.Option(
            "--from", help="The first month the counts are for (YYYY-MM); default: the data's latest 12."
        ),
    ] = "",
    last: Annotated[str, typer.Option("--to", help="The last month the counts are for (YYYY-MM).")] = "",
    home: HomeOption = None,
) -> None:
    """Keep FILE as the measure's expected counts for the months they are for (observed events are
    counted over the same months); the counts it replaces are withdrawn, not deleted. Checked whole
    first, against the warehouse's groups when it has the measure's data: one wrong row, or no unit
    the data has, and nothing is kept. Logged in the audit log."""
    from stocktake.appdb import actions
    from stocktake.cli.serve import _app_database
    from stocktake.files.expected import unmatched_units
    from stocktake.files.kept import from_home
    from stocktake.files.peer_figures import PeerFiguresError, a_period
    from stocktake.verdicts.expected import kept_for

    metric = _outcome(home, metric_id, by)
    try:
        given = a_period(first, last, "--from/--to")
    except PeerFiguresError as error:
        _fail(str(error))
    if not file.is_file():
        _fail(f"{file}: no such file")
    settings = _settings(home)
    frame = _series(settings, metric, by)
    months = kept_for(frame, given)
    cases = _cases(frame, by, months)
    who = f"{getpass.getuser()} (command line)"
    with _app_database(home) as session:
        kept = actions.keep_expected_counts(
            session,
            by=None,
            home=settings.home,
            metric_id=metric_id,
            content=file.read_bytes(),
            name=file.name,
            dimension=by,
            who=who,
            cases=cases,
            months=months,
        )
    console.print(
        f"[green]✓[/green] {len(kept.counts)} {by}s' expected counts kept for {metric_id} "
        f"({kept.months_words}) → {from_home(settings.home, kept.path)}"
    )
    if cases is None:
        held = "has no " + metric_id + " yet" if frame is None else "does not hold every one of those months"
        console.print(f"[yellow]![/yellow] not checked against the data: the warehouse {held}")
        return
    if months != kept_for(frame):  # held, but not the months the tables by site show
        console.print(
            f"[yellow]![/yellow] not the latest 12 months the warehouse holds: compared in a board report "
            f"cut to end with them (stocktake report --period {months[1]}), not on the workspace's page"
        )
    if unmatched := unmatched_units(kept.counts, cases):
        console.print(
            f"[yellow]![/yellow] in the file but with no cases in the data (compared with nothing): "
            f"{', '.join(unmatched)}"
        )
    if missing := [g for g in cases if g not in kept.counts]:
        console.print(f"[yellow]![/yellow] with cases but no expected count (left out): {', '.join(missing)}")


def _cases(frame, by: str, months) -> dict[str, float] | None:
    """Each group's cases over the counts' months in the home's warehouse, what the file is checked
    against; None when the warehouse has no data for the measure, or not every one of those months
    (counts kept ahead of a load are not checked against part of their months' cases)."""
    from stocktake.verdicts.expected import cases_by_group, holds_every_month

    if frame is None or not holds_every_month(frame, months):
        return None
    return cases_by_group(frame, by, period=months)


def _series(settings, metric, by: str):
    """The measure's monthly series by ``by`` in the home's warehouse, as the page and the report read
    it (the whole catalogue's: series start where most measures' data start, so the months held are
    theirs, not this measure's alone); None when it has none."""
    from stocktake.metrics.catalogue import load_catalogue
    from stocktake.metrics.run import Grain, run_catalogue
    from stocktake.warehouse import WarehouseError, connect_ibis, problems

    if not settings.warehouse.is_file():
        return None
    catalogue = load_catalogue(settings.catalogue)
    try:
        with problems(settings.warehouse):
            con = connect_ibis(settings.warehouse)
            try:
                frame = run_catalogue(con, catalogue, Grain(by=by)).get(metric.id)
            finally:
                con.disconnect()
    except WarehouseError as error:
        _fail(str(error))
    return None if frame is None or frame.empty else frame


@expected_app.command("show")
def show_expected(metric_id: Metric, by: By = "site", home: HomeOption = None) -> None:
    """The expected counts kept for the measure (who, when, each unit), and those withdrawn."""
    from stocktake.files.expected import ExpectedFileError, kept_expected, withdrawn_expected

    _outcome(home, metric_id, by)
    settings = _settings(home, private=False)
    try:
        kept = kept_expected(settings.home, metric_id, by)
        withdrawn = withdrawn_expected(settings.home, metric_id, by)
    except ExpectedFileError as error:
        _fail(str(error))
    # line by line, as `peers show`: the caption unwrapped, then a CSV with its header (an outside
    # check's `> expected.csv` held a caption wrapped over two lines and rows without a header)
    if kept is None:
        typer.echo(f"No expected counts kept for {metric_id} by {by}.")
    else:
        at = f"{kept.at:%Y-%m-%d %H:%M} UTC"
        typer.echo(f"{kept.name}: kept by {kept.kept_by} at {at} ({kept.months_words})")
        typer.echo("unit,expected")
        for unit, count in kept.counts.items():
            typer.echo(f"{csv_cell(str(unit))},{count:g}")
    for w in withdrawn:
        typer.echo(
            f"withdrawn: {w.name} ({w.months_words}), kept by {w.kept_by} at {w.at:%Y-%m-%d %H:%M}, "
            f"by {w.withdrawn_by}"
        )
