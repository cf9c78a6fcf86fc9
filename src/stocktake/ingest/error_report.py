"""The row-level error report of a failed load: a CSV to sort and filter, an HTML page to read.

Identifier values are already masked by validation, so the report can be shared with whoever
fixes the extract; its files are still private to their owner (0600), as the home's are. A load
that succeeds removes the report of the last refused one (``clear_error_report``): an errors.csv
left beside a good load would be read as the state of the extracts.

Errors are grouped by kind (file, column, what was expected): a wrong date format on a million rows
is one kind with its count and first rows, not a million-row page.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader

from stocktake.ingest.validate import RowError
from stocktake.spreadsheets import csv_ready

_ENVIRONMENT = Environment(loader=PackageLoader("stocktake.ingest"), autoescape=True)
CSV_COLUMNS = ["file", "row", "column", "value", "expected"]
ERRORS_CSV, ERRORS_HTML = "errors.csv", "errors.html"
#: Rows of each kind written to errors.csv, shown in errors.html and in the exception's message.
CSV_ROWS_PER_KIND = 1000
HTML_ROWS_PER_KIND = 20
MESSAGE_ROWS_PER_KIND = 3
#: A row named in an expectation ("row 2 has it") does not make a kind of its own.
_ROW_REFERENCE = re.compile(r"\brow \d+")


@dataclass(frozen=True)
class ErrorKind:
    """Every error of one file and column that expected the same thing."""

    file: str
    column: str
    expected: str
    count: int
    #: The first errors of the kind, in the order found.
    first: tuple[RowError, ...]


def error_kinds(errors: list[RowError], rows_per_kind: int) -> list[ErrorKind]:
    """The errors grouped by kind, commonest first, each with its first ``rows_per_kind`` errors."""
    counts: Counter = Counter()
    first: dict[tuple, list[RowError]] = {}
    for error in errors:
        kind = _kind(error)
        counts[kind] += 1
        if counts[kind] <= rows_per_kind:
            first.setdefault(kind, []).append(error)
    ordered = sorted(counts, key=lambda k: -counts[k])  # stable: ties stay in the order found
    return [ErrorKind(*_describe(first[k][0]), counts[k], tuple(first[k])) for k in ordered]


def _kind(error: RowError) -> tuple[str, str, str]:
    return error.file, error.column, _without_rows(error.expected, "row …")


def _describe(error: RowError) -> tuple[str, str, str]:
    return error.file, error.column, _without_rows(error.expected, "another row")


@lru_cache(maxsize=4096)
def _without_rows(expected: str, instead: str) -> str:
    """The expectation with any row it names replaced (cached: a million errors share a few)."""
    return _ROW_REFERENCE.sub(instead, expected)


def _first_of_each_kind(errors: list[RowError]):
    """The errors in the order found, up to ``CSV_ROWS_PER_KIND`` of each kind."""
    seen: Counter = Counter()
    for error in errors:
        kind = _kind(error)
        seen[kind] += 1
        if seen[kind] <= CSV_ROWS_PER_KIND:
            yield error


def summary(errors: list[RowError]) -> str:
    """A few lines for a terminal or a log: each kind's count and its first rows."""
    lines = [f"{len(errors):,} error(s); nothing was loaded:"]
    for kind in error_kinds(errors, MESSAGE_ROWS_PER_KIND):
        where = f", column {kind.column}" if kind.column else ""
        lines.append(f"  {kind.count:,} × {kind.file}{where}: expected {kind.expected}")
        lines += [f"    {e}" for e in kind.first]
        if kind.count > len(kind.first):
            lines.append(f"    … and {kind.count - len(kind.first):,} more like these")
    return "\n".join(lines)


def write_error_report(errors: list[RowError], folder: Path, source: str) -> tuple[Path, Path]:
    """Write ``errors.csv`` (the first thousand rows of each kind) and ``errors.html`` (each kind's
    count and first rows) into ``folder``; returns both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(
        [(e.file, e.row, e.column, e.value, e.expected) for e in _first_of_each_kind(errors)],
        columns=CSV_COLUMNS,
    )
    csv_path = folder / ERRORS_CSV
    _private(csv_path)
    csv_ready(table).to_csv(csv_path, index=False)  # an extract's =… stays text
    html = _ENVIRONMENT.get_template("errors.html.j2").render(
        source=source,
        written=datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        total=len(errors),
        files=len({e.file for e in errors}),
        kinds=error_kinds(errors, HTML_ROWS_PER_KIND),
        csv_rows=CSV_ROWS_PER_KIND,
        csv_complete=len(table) == len(errors),
    )
    html_path = folder / ERRORS_HTML
    _private(html_path)
    html_path.write_text(html)
    return csv_path, html_path


def clear_error_report(folder: Path) -> list[Path]:
    """Remove a refused load's report from ``folder`` once a load has succeeded; the files removed."""
    removed = []
    for name in (ERRORS_CSV, ERRORS_HTML):
        path = Path(folder) / name
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def _private(path: Path) -> None:
    """Make ``path`` an empty file readable by its owner only before the report is written into it
    (a report of an earlier load keeps its inode: it is made private too)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)
