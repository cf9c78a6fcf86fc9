"""Samples of a folder of extracts for the mapping suggester: a spread of rows from each file, and
from every sheet of a workbook, as text.

Files are read as ingest reads them (``read_raw``), so a file the suggester reads is one ingest can
read; a workbook's other sheets are read too, as a trust may put the data on any of them. A file
that cannot be read is listed with ingest's own one-line reason (identifiers masked), not fatal:
the others still get a suggestion.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.ingest.read import READERS, ReadError, read_raw
from stocktake.ingest.suggest import ColumnSample, ExtractSample

#: Rows sampled from each file or sheet: enough to see every common code and date form.
SAMPLE_ROWS = 2_000


@dataclass(frozen=True)
class FolderSample:
    samples: tuple[ExtractSample, ...]
    #: Files that could not be read, each with the reason.
    unreadable: tuple[str, ...] = ()


def sample_folder(folder: Path, rows: int = SAMPLE_ROWS) -> FolderSample:
    """A sample of every CSV, Excel workbook (each sheet) and Parquet file directly in ``folder``."""
    samples, unreadable = [], []
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        if path.suffix.lower() not in READERS or path.name.startswith((".", "~$")):
            continue
        try:
            samples.append(_sample(path.name, read_raw(path), rows))
        except ReadError as error:
            unreadable.append(str(error.errors[0]))
            continue
        except (ValueError, OSError) as error:
            unreadable.append(f"{path.name}: {error}")
            continue
        if path.suffix.lower() == ".xlsx":
            samples += [_sample(path.name, frame, rows, sheet) for sheet, frame in _later_sheets(path)]
    return FolderSample(tuple(samples), tuple(unreadable))


def _sample(file: str, frame: pd.DataFrame, rows: int, sheet: str | None = None) -> ExtractSample:
    """Up to ``rows`` rows spread evenly through the file, so codes used only in later months show."""
    if len(frame) > rows:
        frame = frame.iloc[np.unique(np.linspace(0, len(frame) - 1, rows).astype(int))]
    columns = tuple(
        ColumnSample(str(name), tuple("" if pd.isna(v) else str(v) for v in frame.iloc[:, i]))
        for i, name in enumerate(frame.columns)
    )
    return ExtractSample(file, columns, sheet)


def _later_sheets(path: Path) -> list[tuple[str, pd.DataFrame]]:
    """Every sheet after the first that has a header and rows (``read_raw`` reads the first)."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, header=0)
    except Exception:  # the first sheet was read; a damaged later one is left out
        return []
    return [(name, frame) for name, frame in list(sheets.items())[1:] if len(frame.columns) and len(frame)]


def write_draft(path: Path, text: str) -> None:
    """Write the draft mapping whole or not at all: a temporary file beside it, then renamed."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
