"""The `stocktake` command: the families of commands (one module each) assembled into one app.

Each command is a thin call into a module: parse → one call → print; no logic lives here.
"""

import typer

from stocktake.cli import alerts, demo, ingest, init, metrics, report, serve, spc
from stocktake.cli.common import _main
from stocktake.cli.expected import expected_app
from stocktake.cli.funnel import funnel
from stocktake.cli.jobplan import jobplan_app
from stocktake.cli.mapping import mapping_app
from stocktake.cli.peers import peers_app
from stocktake.cli.procurement import procurement_app
from stocktake.cli.programme import programme_app
from stocktake.cli.rota import rota_app
from stocktake.cli.waitinglist import waitinglist_app

app = typer.Typer(help="Stocktake: an honest stock-take of a clinical service.", no_args_is_help=True)
app.command()(init.init)
app.command()(demo.demo)
app.command()(ingest.ingest)
app.command("undo-load")(ingest.undo_load)
app.command()(spc.spc)
app.command()(funnel)
app.command()(report.report)
app.command()(metrics.metrics)
app.command()(alerts.alerts)
app.add_typer(rota_app, name="rota")
app.add_typer(jobplan_app, name="jobplan")
app.add_typer(mapping_app, name="mapping")
app.add_typer(procurement_app, name="procurement")
app.add_typer(expected_app, name="expected")
app.add_typer(peers_app, name="peers")
app.add_typer(programme_app, name="programme")
app.add_typer(waitinglist_app, name="waitinglist")
app.callback()(_main)
app.command()(serve.serve)
app.add_typer(serve.users_app, name="users")
app.command("db")(serve.db_migrate)

__all__ = ["app"]
