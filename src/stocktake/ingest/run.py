"""`stocktake ingest` as one call: check the request, read the mapping and the key, load (or preview)
the folder, and on refusal write the error report — so the command only parses and prints.

The web's uploads stage files and confirm them in two steps (``web/routes/uploads.py``) and call
``ingest_directory`` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stocktake.ingest.error_report import write_error_report
from stocktake.ingest.load import IngestError, LoadResult, ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.pseudonymise import load_or_create_key
from stocktake.settings import private_home
from stocktake.warehouse import problems


class IngestRequestError(ValueError):
    """The request cannot be carried out as given (a folder, file or path in the wrong place)."""


class RefusedWithReport(Exception):
    """The extracts had errors, nothing was loaded, and the error report was written."""

    def __init__(self, refused: IngestError, csv_path: Path, html_path: Path):
        super().__init__(str(refused))
        self.refused, self.csv_path, self.html_path = refused, csv_path, html_path


@dataclass(frozen=True)
class IngestRequest:
    folder: Path
    mapping: Path
    warehouse: Path
    key_file: Path
    errors: Path  # where a refused load's error report goes
    loaded_by: str | None = None
    partial: bool = False
    correction: bool = False  # replace only the rows in the files, not their months
    confirm_removals: bool = False
    dry_run: bool = False
    strict: bool = False


def check(request: IngestRequest) -> None:
    """Refuse, in one line, what would fail later or put something in the wrong place."""
    if not request.folder.is_dir():
        raise IngestRequestError(f"{request.folder}: no such folder")
    if not request.mapping.is_file():
        raise IngestRequestError(
            f"{request.mapping}: no mapping there "
            f"(write one, or draft it: stocktake mapping suggest {request.folder})"
        )
    if request.key_file.resolve().parent == request.warehouse.resolve().parent:
        raise IngestRequestError(
            f"--key-file {request.key_file}: keep the key in another folder than the warehouse"
        )
    if request.errors.exists() and not request.errors.is_dir():
        raise IngestRequestError(
            f"--errors {request.errors}: a file is there; give a folder for the error report"
        )


def run_ingest(request: IngestRequest) -> LoadResult:
    """Load the folder (or preview it), all or nothing. Raises ``RefusedWithReport`` after writing
    the report when rows are refused; the mapping's, key's, warehouse's and removals' errors as
    ``ingest.load`` raises them."""
    check(request)
    private_home(request.warehouse.parent)  # the warehouse and its journals: 0600, in a 0700 folder
    mapping = load_mapping(request.mapping)
    key = load_or_create_key(request.key_file, request.warehouse)
    try:
        with problems(request.warehouse):
            return ingest_directory(
                request.folder,
                mapping,
                request.warehouse,
                key,
                loaded_by=request.loaded_by,
                partial=request.partial,
                replace="rows" if request.correction else "months",
                confirm_removals=request.confirm_removals,
                dry_run=request.dry_run,
                strict=request.strict,
            )
    except IngestError as refused:
        try:
            csv_path, html_path = write_error_report(refused.errors, request.errors, mapping.source)
        except OSError as problem:
            raise IngestRequestError(
                f"{request.errors}: could not write the error report there ({problem.strerror})"
            ) from None
        raise RefusedWithReport(refused, csv_path, html_path) from None
