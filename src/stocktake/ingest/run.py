"""`stocktake ingest` as one call: check the request, read the mapping and the key, load (or preview)
the folder, and on refusal write the error report — so the command only parses and prints.

The mapping a load was given is remembered (ADR 0013, addendum of 2026-12-03): into a home whose
mapping is still the demo's (or named in its stocktake.toml but not yet written), a successful load
keeps a copy as the home's mapping, so later loads and the web's upload page read it; into a home
with a mapping of its own, another ``--mapping`` is used for that load only (``choose_mapping``).

The web's uploads stage files and confirm them in two steps (``web/routes/uploads.py``) and call
``ingest_directory`` themselves.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from stocktake.ingest.error_report import clear_error_report, write_error_report
from stocktake.ingest.load import IngestError, LoadResult, ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.pseudonymise import load_or_create_key
from stocktake.settings import Settings, private_home
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
    #: After a successful load (not a dry run), copy ``mapping`` here: the home's mapping.
    keep_mapping_at: Path | None = None


@dataclass(frozen=True)
class MappingChoice:
    """The mapping a load reads, where it is kept afterwards (None: not kept) and the line saying so."""

    path: Path
    keep_at: Path | None = None
    note: str = ""


def choose_mapping(given: Path | None, settings: Settings) -> MappingChoice:
    """The mapping to load with: the one given, else the home's (``mapping_in_use``). A mapping given
    into a home with none of its own (its mapping the demo's, or named but not yet written, inside the
    home) is to be kept as the home's; one differing from the home's own is for this load only."""
    saved = settings.mapping_in_use
    if given is None or _same_file(given, saved):
        return MappingChoice(given or saved)
    target = settings.department_mapping
    if not target.exists() and target.resolve().is_relative_to(settings.home.resolve()):
        return MappingChoice(
            given,
            keep_at=target,
            note=f"Kept {given} as this home's mapping, {target}: later loads and the web's upload page "
            "read it.",
        )
    whose = f"the home keeps its own, {saved}" if saved.is_file() else f"the home's, {saved}, is not there"
    return MappingChoice(given, note=f"Used {given} for this load only; {whose}.")


def _same_file(one: Path, other: Path) -> bool:
    """The same mapping: one file, or two with the same bytes."""
    try:
        return one.resolve() == other.resolve() or one.read_bytes() == other.read_bytes()
    except OSError:
        return False


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
    mapping = load_mapping(request.mapping)
    if request.dry_run and not request.key_file.exists() and not request.warehouse.exists():
        # a first preview keeps nothing, so it makes no key (an outside check's dry run outside a home
        # had written one, and a home's folders): pseudonyms from a key of the moment are never kept
        key = secrets.token_bytes(32)
    else:
        private_home(request.warehouse.parent)  # the warehouse and its journals: 0600, in a 0700 folder
        key = load_or_create_key(request.key_file, request.warehouse)
    try:
        with problems(request.warehouse):
            result = ingest_directory(
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
    if not request.dry_run:
        clear_error_report(request.errors)  # the last refusal's report would be taken for this load's
    if request.keep_mapping_at is not None and not request.dry_run:
        keep_mapping(request.mapping, request.keep_mapping_at)
    return result


def keep_mapping(mapping: Path, target: Path) -> None:
    """Copy the mapping a load read to the home's mapping (private, as the home is); never over one."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mapping, target)
    target.chmod(0o600)
