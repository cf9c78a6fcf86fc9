"""Turn one raw export into a canonical table, collecting every row-level error on the way.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.ingest.mapping import ColumnMapping, DatasetMapping
from stocktake.ingest.pseudonymise import is_valid_nhs_number, pseudonymise
from stocktake.ingest.schemas import Column, Dataset

FIRST_RECORD_ROW = 2
TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
ISO_DATE = r"\d{4}-\d{2}-\d{2}( 00:00:00)?"


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    column: str
    value: str
    expected: str

    @property
    def row_label(self) -> str:
        return "header" if self.row == 1 else str(self.row) if self.row else "file"

    def __str__(self) -> str:
        shown = f"{self.value!r}" if self.value else "a blank"
        return f"{self.file}, row {self.row}, column {self.column}: found {shown}, expected {self.expected}"


def to_canonical(
    raw: pd.DataFrame, schema: Dataset, mapping: DatasetMapping, file: str, key: bytes
) -> tuple[pd.DataFrame, list[RowError]]:
    """The canonical table for ``raw`` (all text, blanks as ""), and every error found."""
    missing = [m.column for m in mapping.columns.values() if m.column not in raw.columns]
    if missing:
        return pd.DataFrame(), [
            RowError(file, 1, name, "", "this column in the header row") for name in missing
        ]
    table, errors = {}, []
    for column in schema.columns:
        column_mapping = mapping.columns.get(column.name)
        if column_mapping is None:
            table[column.name] = pd.Series(pd.NA, index=raw.index, dtype=_dtype(column))
            continue
        table[column.name], found = _convert(raw[column_mapping.column], column, column_mapping, file, key)
        errors += found
    canonical = pd.DataFrame(table, index=raw.index)
    errors += _duplicate_keys(canonical, schema, mapping, file)
    errors += _order_errors(canonical, raw, schema, mapping, file)
    return canonical.reset_index(drop=True), sorted(errors, key=lambda e: (e.row, e.column))


def _dtype(column: Column) -> str:
    return {
        "string": "string",
        "integer": "Int64",
        "number": "Float64",
        "boolean": "boolean",
        "date": "datetime64[s]",
        "timestamp": "datetime64[s]",
    }[column.type]


def _errors(text: pd.Series, bad: pd.Series, file: str, column: str, expected: str) -> list[RowError]:
    return [
        RowError(file, int(i) + FIRST_RECORD_ROW, column, str(text[i]), expected)
        for i in text.index[bad.to_numpy(dtype=bool)]
    ]


def _convert(
    text: pd.Series, column: Column, mapping: ColumnMapping, file: str, key: bytes
) -> tuple[pd.Series, list[RowError]]:
    text = text.fillna("").astype(str).str.strip()
    blank = text == ""
    errors = []
    if column.required:
        errors += _errors(text, blank, file, mapping.column, f"a value ({column.name} is required)")
    if mapping.codes is not None:
        coded = text.map(mapping.codes)
        unknown = ~blank & coded.isna()
        allowed = ", ".join(sorted(mapping.codes))
        errors += _errors(text, unknown, file, mapping.column, f"one of the codes {allowed}")
        known = coded.where(~unknown & ~blank, None).astype(object)
        return known.astype("boolean" if column.type == "boolean" else "string"), errors
    if mapping.check == "nhs_number":
        invalid = ~blank & ~text.map(is_valid_nhs_number)
        shown = text.map(masked) if column.identifier else text
        errors += _errors(shown, invalid, file, mapping.column, "a valid NHS number (modulus 11 check digit)")
    if column.identifier:
        return pseudonymise(text, key).astype("string"), errors
    values, unparsed = _parse(text, column, mapping)
    expected = _expected(column, mapping)
    errors += _errors(text, unparsed & ~blank, file, mapping.column, expected)
    return values, errors


def masked(identifier: str) -> str:
    """Enough of an identifier to find the row, not enough to know the patient."""
    return identifier[:3] + "*" * max(len(identifier) - 3, 0)


def _parse(text: pd.Series, column: Column, mapping: ColumnMapping) -> tuple[pd.Series, pd.Series]:
    """Parsed values and a mask of the non-blank values that would not parse."""
    kind = column.type
    if kind == "string":
        return text.where(text != "", None).astype("string"), pd.Series(False, index=text.index)
    if kind in ("date", "timestamp"):
        given = text.where(text != "", None)
        parsed = pd.to_datetime(given, format=mapping.format, errors="coerce")
        # A spreadsheet's or Parquet file's own dates arrive as ISO text (year first: unambiguous).
        iso_like = text.str.fullmatch(ISO_TIMESTAMP if kind == "timestamp" else ISO_DATE)
        iso = pd.to_datetime(given.where(parsed.isna() & iso_like), format="ISO8601", errors="coerce")
        parsed = parsed.fillna(iso)
        return parsed.astype("datetime64[s]"), parsed.isna()
    if kind == "boolean":
        words = text.map(lambda v: v if isinstance(v, bool) else str(v).lower())
        parsed = words.map(lambda v: v if isinstance(v, bool) else _boolean(v))
        return parsed.astype("boolean"), parsed.isna()
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
    if kind == "integer":
        fractional = numbers.notna() & (numbers != np.floor(numbers))
        numbers = numbers.where(~fractional)
        return numbers.astype("Int64"), numbers.isna()
    return numbers.astype("Float64"), numbers.isna()


def _boolean(word: str) -> bool | None:
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _expected(column: Column, mapping: ColumnMapping) -> str:
    if column.type in ("date", "timestamp"):
        example = pd.Timestamp("2024-12-31 23:59").strftime(mapping.format or "%Y-%m-%d %H:%M")
        return f"a {'date' if column.type == 'date' else 'date and time'} like {example}"
    return {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "yes or no (true/false, Y/N, 1/0)",
    }[column.type]


def _duplicate_keys(table: pd.DataFrame, schema: Dataset, mapping: DatasetMapping, file: str):
    keys = table[schema.key]
    repeated = keys.notna() & keys.duplicated(keep="first")
    first_row = {k: int(i) + FIRST_RECORD_ROW for i, k in keys[~keys.duplicated()].items()}
    raw_name = mapping.columns[schema.key].column
    return [
        RowError(
            file,
            int(i) + FIRST_RECORD_ROW,
            raw_name,
            str(k),
            f"a unique {schema.key} (row {first_row[k]} has it)",
        )
        for i, k in keys[repeated].items()
    ]


def _order_errors(table, raw, schema: Dataset, mapping: DatasetMapping, file: str):
    errors = []
    for column in schema.columns:
        if column.not_before is None or column.name not in mapping.columns:
            continue
        if column.not_before not in mapping.columns:
            continue
        earlier = table[column.name] < table[column.not_before]
        raw_name = mapping.columns[column.name].column
        other = mapping.columns[column.not_before].column
        text = raw[raw_name].fillna("").astype(str)
        errors += _errors(text, earlier.fillna(False), file, raw_name, f"no earlier than {other}")
    return errors
