"""`stocktake ingest` and `stocktake undo-load`: loading extracts into the warehouse, and taking a
load back out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _say_error, _settings, _step, console


def ingest(
    raw_dir: Annotated[
        Path | None,
        typer.Argument(metavar="DIR", help="The folder holding the extracts (default: HOME/extracts)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            metavar="MAPPING.yaml",
            help="How the extracts map onto Stocktake (default: $STOCKTAKE_MAPPING, else the home's "
            "stocktake.toml, else HOME/mapping.yaml, else the demo's). Into a home without a mapping of "
            "its own, it is kept as HOME/mapping.yaml once loaded; else it is for this load only.",
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
    strict: Annotated[
        bool,
        typer.Option(
            help="Guess nothing: UTF-8 comma-separated files, the header on row 1, values exactly as mapped."
        ),
    ] = False,
) -> None:
    """Validate a folder of extracts (CSV, Excel, Parquet) and load them all, or nothing."""
    from stocktake.ingest.load import NoExtractsError, RemovalsNotConfirmed, preview_lines
    from stocktake.ingest.mapping import MappingError
    from stocktake.ingest.pseudonymise import MissingKeyError
    from stocktake.ingest.run import (
        IngestRequest,
        IngestRequestError,
        RefusedWithReport,
        choose_mapping,
        run_ingest,
    )
    from stocktake.settings import key_beside
    from stocktake.warehouse import WarehouseError

    settings = _settings(home or (warehouse.parent if warehouse else None), loading=True, private=False)
    warehouse = warehouse or settings.warehouse
    chosen = choose_mapping(mapping, settings)
    request = IngestRequest(
        folder=raw_dir or settings.extracts,
        mapping=chosen.path,
        warehouse=warehouse,
        key_file=key_file or key_beside(warehouse),
        errors=errors or settings.error_reports,
        loaded_by=user,
        partial=partial,
        correction=correction,
        confirm_removals=yes,
        dry_run=dry_run,
        strict=strict,
        keep_mapping_at=chosen.keep_at,
    )
    try:
        with _step(f"Checking {request.folder}" if dry_run else f"Checking and loading {request.folder}"):
            result = run_ingest(request)
    except (IngestRequestError, MappingError, MissingKeyError, NoExtractsError, WarehouseError) as error:
        _fail(str(error))
    except RefusedWithReport as refused:
        for line in refused.refused.read_as:  # what was guessed, which may explain an error
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        _say_error(str(refused))
        console.print(f"Error report: [bold]{refused.html_path}[/bold] (and {refused.csv_path.name})")
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
    if chosen.note and not (dry_run and chosen.keep_at):
        console.print(chosen.note, soft_wrap=True, markup=False, highlight=False)
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
        from stocktake.metrics.catalogue import load_catalogue
        from stocktake.metrics.site_names import unnamed_sites_in
        from stocktake.metrics.unmatched import unmatched_in

        catalogue = load_catalogue(settings.catalogue, settings.department)
        said = [u.words() for u in unmatched_in(warehouse, catalogue)]
        said += [u.words(settings.sites) for u in unnamed_sites_in(warehouse, catalogue, settings.sites)]
        for words in said:
            console.print(f"[yellow]{words}[/yellow]", soft_wrap=True, highlight=False)


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
