"""The row-level error report of a failed load: a CSV to sort and filter, an HTML page to read.

Identifier values are already masked by validation, so the report can be shared with whoever
fixes the extract.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader

from stocktake.ingest.validate import RowError

_ENVIRONMENT = Environment(loader=PackageLoader("stocktake.ingest"), autoescape=True)
CSV_COLUMNS = ["file", "row", "column", "value", "expected"]


def write_error_report(errors: list[RowError], folder: Path, source: str) -> tuple[Path, Path]:
    """Write ``errors.csv`` and ``errors.html`` into ``folder``; returns both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(
        [(e.file, e.row, e.column, e.value, e.expected) for e in errors], columns=CSV_COLUMNS
    )
    csv_path = folder / "errors.csv"
    table.to_csv(csv_path, index=False)
    by_file = {}
    for error in errors:
        by_file.setdefault(error.file, []).append(error)
    html = _ENVIRONMENT.get_template("errors.html.j2").render(
        source=source,
        written=datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        total=len(errors),
        by_file=by_file,
        commonest=Counter((e.file, e.column, e.expected) for e in errors).most_common(5),
    )
    html_path = folder / "errors.html"
    html_path.write_text(html)
    return csv_path, html_path
