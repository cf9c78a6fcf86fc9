"""`stocktake mapping suggest` and `stocktake mapping coverage`: a draft column mapping from a
trust's own extracts, and which measures a mapping can compute."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from stocktake.cli.common import HomeOption, _fail, _settings, console

mapping_app = typer.Typer(
    help="Write and check the column mapping: how your extracts map onto Stocktake.", no_args_is_help=True
)

CatalogueOption = Annotated[
    Path | None,
    typer.Option(
        "--catalogue",
        metavar="CATALOGUE.yaml",
        help="The measures to cover (default: $STOCKTAKE_CATALOGUE, else T&O's).",
    ),
]


def _catalogue(home: Path | None, catalogue_file: Path | None):
    from stocktake.metrics.catalogue import CatalogueError, load_catalogue

    try:
        return load_catalogue(catalogue_file or _settings(home, private=False).catalogue)
    except CatalogueError as error:
        _fail(str(error))


@mapping_app.command("suggest")
def suggest(
    extracts: Annotated[Path, typer.Argument(metavar="EXTRACTS/", help="The folder holding your extracts.")],
    out: Annotated[
        Path | None,
        typer.Option(metavar="MAPPING.yaml", help="Where to write the draft (default: print it)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a file already at --out.")] = False,
    catalogue_file: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Suggest a column mapping from your extracts, every guess marked for review; then coverage."""
    from stocktake.ingest.draft import suggested_fields, suggestion_to_yaml
    from stocktake.ingest.samples import SAMPLE_ROWS, sample_folder, write_draft
    from stocktake.ingest.suggest import suggest_mapping
    from stocktake.metrics.coverage import codes_used, coverage

    if not extracts.is_dir():
        _fail(f"{extracts}: no such folder")
    if out is not None and out.exists() and not force:
        _fail(f"--out {out}: a file is already there (a reviewed mapping?); give another path, or --force")
    catalogue = _catalogue(home, catalogue_file)
    found = sample_folder(extracts)
    for problem in found.unreadable:
        console.print(f"[yellow]skipped:[/yellow] {escape(problem)}", soft_wrap=True)
    if not found.samples:
        _fail(f"{extracts}: no readable CSV, Excel (.xlsx) or Parquet extract there")
    source = f"{extracts.resolve().name} (suggested by stocktake mapping suggest: review every field)"
    suggestion = suggest_mapping(found.samples, codes_used(catalogue), source=source)
    text = suggestion_to_yaml(suggestion)
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            write_draft(out, text)
        except OSError as error:
            _fail(f"--out {out}: could not write the draft there ({error.strerror})")
    console.print(f"Sampled up to {SAMPLE_ROWS:,} rows of each of {len(found.samples)} file(s) or sheet(s).")
    for dataset in suggestion.datasets:
        sheet = f" (sheet {dataset.sheet!r})" if dataset.sheet else ""
        status = "" if dataset.complete else f"; left out, required: {', '.join(dataset.missing_required)}"
        console.print(
            f"  {escape(dataset.file)}{escape(sheet)} → {dataset.dataset}: {len(dataset.fields)} fields "
            f"found, fit {dataset.fit:.2f}{status}",
            soft_wrap=True,
        )
    for label in suggestion.unmatched:
        console.print(f"  {escape(label)} → no dataset", soft_wrap=True)
    if out is not None:
        console.print(
            f"Wrote the draft to [bold]{escape(str(out))}[/bold]: review every field marked 'review'."
        )
    _print_coverage(coverage(suggested_fields(suggestion), catalogue))


@mapping_app.command("coverage")
def coverage_command(
    mapping_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[MAPPING.yaml]",
            help="The column mapping to check (default: the home's, as stocktake ingest reads it).",
        ),
    ] = None,
    catalogue_file: CatalogueOption = None,
    home: HomeOption = None,
) -> None:
    """Which of the catalogue's measures a mapping can compute; for each it cannot, the fields missing."""
    from stocktake.ingest.mapping import MappingError, load_mapping
    from stocktake.metrics.coverage import coverage

    if mapping_file is None:
        mapping_file = _settings(home, private=False).mapping_in_use
        console.print(f"Checking the home's mapping, {escape(str(mapping_file))}", soft_wrap=True)
    try:
        mapping = load_mapping(mapping_file)
    except MappingError as error:
        _fail(str(error))
    _print_coverage(coverage(mapping, _catalogue(home, catalogue_file)))


def _print_coverage(found) -> None:
    total = len(found.measures)
    console.print(f"Coverage: {len(found.computable)} of {total} measures can be computed.")
    if found.computable:
        console.print(
            "  [green]can:[/green] " + ", ".join(m.metric_id for m in found.computable), soft_wrap=True
        )
    for measure in found.not_computable:
        needs = dict(measure.needs)
        lacks = [
            f"{dataset}{' (not mapped)' if dataset in measure.unmapped else ''}: "
            + ", ".join(
                f if f in needs.get(dataset, ()) else f"{f} (required to load {dataset})" for f in fields
            )
            for dataset, fields in measure.missing
        ]
        lacks += [f"a code for {value}" for value in measure.unreached]
        console.print(f"  [red]cannot[/red] {measure.metric_id}: needs {'; '.join(lacks)}", soft_wrap=True)
