"""`stocktake peers set|show`: a measure's figures for other trusts, as published, kept in the home
(ADR 39), for the workspace's funnel page by trust and the board report's "Compared with other
trusts"."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _settings, console, csv_cell

peers_app = typer.Typer(
    help="Other trusts' published figures for a measure (numerator and denominator per trust), kept.",
    no_args_is_help=True,
)
Metric = Annotated[str, typer.Argument(help="The measure's id, e.g. hipfx_surgery_36h.")]


def _compared(settings, metric_id: str):
    """The measure, when it has a funnel (a count of cases over a count)."""
    from stocktake.metrics.catalogue import load_catalogue
    from stocktake.verdicts.peers import funnel_method

    catalogue = load_catalogue(settings.catalogue)
    metric = next((m for m in catalogue.metrics if m.id == metric_id), None)
    if metric is None:
        _fail(f"{metric_id}: no such measure in the catalogue")
    if funnel_method(metric) is None:
        _fail(f"{metric_id}: not a count of cases over a count, so it has no funnel to compare trusts on")
    return metric


@peers_app.command("set")
def set_peers(
    metric_id: Metric,
    file: Annotated[
        Path, typer.Argument(metavar="FILE.csv", help="unit,numerator,denominator: one row per other trust.")
    ],
    source: Annotated[
        str, typer.Option(help="Where the figures were published, e.g. 'NHFD 2024 report, table 3'.")
    ],
    first: Annotated[str, typer.Option("--from", help="The first month the figures cover (YYYY-MM).")] = "",
    last: Annotated[str, typer.Option("--to", help="The last month the figures cover (YYYY-MM).")] = "",
    home: HomeOption = None,
) -> None:
    """Keep FILE as the measure's figures for other trusts; those it replaces are withdrawn, not
    deleted. Checked whole first: any wrong row and nothing is kept. Logged in the audit log."""
    from stocktake.appdb import actions
    from stocktake.cli.serve import _app_database
    from stocktake.files.kept import from_home
    from stocktake.files.peer_figures import PeerFiguresError, a_period

    settings = _settings(home)
    metric = _compared(settings, metric_id)
    try:
        period = a_period(first, last, "--from/--to")
    except PeerFiguresError as error:
        _fail(str(error))
    if not file.is_file():
        _fail(f"{file}: no such file")
    with _app_database(home) as session:
        kept = actions.keep_peer_figures_for(
            session,
            by=None,
            home=settings.home,
            metric_id=metric_id,
            content=file.read_bytes(),
            name=file.name,
            source=source,
            proportion=metric.unit == "%",
            own_trust=settings.trust,
            period=period,
            who=f"{getpass.getuser()} (command line)",
        )
    console.print(
        f"[green]✓[/green] {len(kept.figures.units)} trusts' figures kept for {metric_id} "
        f"({kept.period_words}) → {from_home(settings.home, kept.path)}"
    )


@peers_app.command("show")
def show_peers(metric_id: Metric, home: HomeOption = None) -> None:
    """The figures kept for the measure (source, period, who, when, each trust), and those withdrawn."""
    from stocktake.files.peer_figures import (
        PeerFiguresError,
        damaged_words,
        kept_peer_figures,
        withdrawn_peer_figures,
    )

    settings = _settings(home, private=False)
    metric = _compared(settings, metric_id)
    proportion = metric.unit == "%"
    try:
        kept = kept_peer_figures(settings.home, metric_id, proportion=proportion)
        withdrawn = withdrawn_peer_figures(settings.home, metric_id, proportion=proportion)
    except PeerFiguresError as error:
        _fail(damaged_words(settings.home, error) if error.file else str(error))
    # one stream, line by line (typer.echo, never rich's wrapping console on stderr): the CSV's last
    # row ends its line, and the summary never runs into it however the two are captured (issue 28)
    if kept is None:
        typer.echo(f"No figures for other trusts kept for {metric_id}.")
    else:
        typer.echo(
            f"{kept.name} ({kept.source}; {kept.period_words}): kept by {kept.kept_by} "
            f"at {kept.at:%Y-%m-%d %H:%M} UTC"
        )
        typer.echo("unit,numerator,denominator")
        f = kept.figures
        for unit, n, d in zip(f.units, f.numerator, f.denominator, strict=True):
            typer.echo(f"{csv_cell(unit)},{n:.0f},{d:.0f}")
    for w in withdrawn:
        typer.echo(
            f"withdrawn: {w.name} ({w.source}), kept by {w.kept_by} at {w.at:%Y-%m-%d %H:%M}, "
            f"by {w.withdrawn_by}"
        )
