"""Samples of a folder of extracts for the mapping suggester: a spread of rows from each file, and
from every sheet of a workbook, as text.

Files are read as ingest reads them (``read_extract``), so a file the suggester reads is one ingest
can read; a workbook's other sheets are read too, as a trust may put the data on any of them (ingest
finds the sheet whose header names the mapped columns). A file that cannot be read is listed with
ingest's own one-line reason (identifiers masked), not fatal: the others still get a suggestion.

A column with few distinct values in the sample (a code list) has its values counted over the whole
file, so a code used in a handful of rows the sample missed is still listed for a person to place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake.ingest.read import READERS, ReadError, read_extract, read_later_sheets
from stocktake.ingest.suggest import CODE_LIMIT, ColumnSample, ExtractSample

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
            extract = read_extract(path)
            samples.append(_sample(path.name, extract.frame, rows, spreadsheet=extract.spreadsheet))
        except ReadError as error:
            unreadable.append(str(error.errors[0]))
            continue
        except (ValueError, OSError) as error:
            unreadable.append(f"{path.name}: {error}")
            continue
        if path.suffix.lower() == ".xlsx":
            samples += [
                _sample(path.name, sheet.frame, rows, name, spreadsheet=True)
                for name, sheet in _later_sheets(path)
            ]
    return FolderSample(tuple(samples), tuple(unreadable))


def _sample(
    file: str, frame: pd.DataFrame, rows: int, sheet: str | None = None, *, spreadsheet: bool = False
) -> ExtractSample:
    """Up to ``rows`` rows spread evenly through the file, so codes used only in later months show;
    a code list's values counted over every row."""
    whole = frame
    if len(frame) > rows:
        frame = frame.iloc[np.unique(np.linspace(0, len(frame) - 1, rows).astype(int))]
    columns = []
    for i, name in enumerate(frame.columns):
        values = tuple("" if pd.isna(v) else str(v) for v in frame.iloc[:, i])
        counts = _all_codes(whole.iloc[:, i]) if len(whole) > len(frame) and _few(values) else ()
        columns.append(ColumnSample(str(name), values, counts))
    return ExtractSample(file, tuple(columns), sheet, spreadsheet)


def _few(values: tuple[str, ...]) -> bool:
    """Few enough distinct values in the sample to be a code list."""
    return len({v.strip() for v in values} - {""}) <= CODE_LIMIT


def _all_codes(column: pd.Series) -> tuple[tuple[str, int], ...]:
    """Every distinct value of one column over the whole file with its rows, commonest first, if
    there are few enough to be a code list (else none: the sample stands)."""
    text = column.fillna("").astype(str).str.strip()
    counts = text[text != ""].value_counts(sort=False)
    if len(counts) > CODE_LIMIT:
        return ()
    ordered = sorted(counts.items(), key=lambda item: -item[1])  # stable: ties in the file's order
    return tuple((str(value), int(n)) for value, n in ordered)


def _later_sheets(path: Path):
    """Every sheet after the first that has a header and rows (``read_extract`` reads the first)."""
    try:
        return read_later_sheets(path)
    except Exception:  # the first sheet was read; a damaged later one is left out
        return []


def write_draft(path: Path, text: str) -> None:
    """Write the draft mapping whole or not at all: a temporary file beside it, then renamed; private
    to its owner (0600), as the home's files are: it lists the extract's columns and codes."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)  # an older temporary file of the same name kept its mode
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
