"""`stocktake alerts`: what changed since last month, as the overview's panel says it (a cron job can
mail the output; there is no mail code here)."""

from __future__ import annotations

from stocktake.cli.common import HomeOption, _fail, _settings, console
from stocktake.cli.recorded import record_read


def alerts(home: HomeOption = None) -> None:
    """Print the measures that started going backwards, reached or lost their target, or stopped
    improving since last month, each read to its own latest complete month."""
    from stocktake.appdb.database import make_engine, session_factory, upgrade
    from stocktake.verdicts.changes import since_last_month, window_statement
    from stocktake.warehouse import WarehouseError
    from stocktake.workspace import Workspace

    settings = _settings(home)
    if not settings.warehouse.exists():
        _fail(f"{settings.warehouse}: no warehouse yet (load extracts first)")
    record_read(settings.warehouse, "alerts", None)
    upgrade(settings.database_url)
    workspace = Workspace(
        settings.warehouse, settings.catalogue, settings.source, department=settings.department
    )
    try:
        with session_factory(make_engine(settings.database_url))() as db:
            now = workspace.stocktake(db)
            found = since_last_month(now, lambda period: workspace.stocktake(db, period=period))
    except WarehouseError as error:  # an outside check: 120 lines of traceback mailed by cron
        _fail(str(error))
    console.print(window_statement(now.entries), highlight=False)
    if said := _old(now.entries):
        console.print(f"[yellow]{said}[/yellow]", highlight=False)
    for reach in workspace.reaches().values():
        if reach.note:
            console.print(f"{reach.metric_id}: {reach.note}", highlight=False)
    if not found:
        console.print(
            "Since last month: no measure started going backwards, reached or lost its target, "
            "or stopped showing improvement.",
            highlight=False,
        )
    for change in found:
        console.print(f"- {change.line}", highlight=False)


def _old(entries) -> str | None:
    """The report's "Old figures" notice for the stock-take's latest month: an outside check read
    "Since last month: no measure started going backwards" on data 20 months old, and nothing said so."""
    import pandas as pd

    from stocktake.report.waitinglist import old_figures, today

    ends = [pd.Timestamp(e.result.x[-1]) for e in entries if e.result.metric.monthly and len(e.result.x)]
    if not ends:
        return None
    latest = pd.Period(max(ends), freq="M")
    notice = old_figures(latest, today())
    # each measure is read against the month before its own latest (an outside recheck: "since
    # February" had been said of measures whose own latest month is February)
    return (
        f'{notice}: "since last month" below is since the month before each measure\'s own latest'
        if notice
        else None
    )
