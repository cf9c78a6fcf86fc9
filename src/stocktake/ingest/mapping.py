"""Column mappings: how a trust's export names and codes map onto the canonical datasets (YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from stocktake.ingest.schemas import DATASETS
from stocktake.validation_messages import describe


class MappingError(ValueError):
    """A mapping file that cannot be used, with the file and the key at fault."""


class ColumnMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    #: strptime format for dates and timestamps, e.g. "%d/%m/%Y %H:%M".
    format: str | None = None
    #: The export's codes → canonical values (strings, or true/false for booleans).
    codes: dict[str, str | bool] | None = None
    check: Literal["nhs_number"] | None = None

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_as_text(cls, codes):
        # a YAML null (~) as a code is a blank, not the text "None": refused with it below
        return None if codes is None else {("" if k is None else str(k)): v for k, v in codes.items()}


class DatasetMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    columns: dict[str, ColumnMapping]

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, columns):
        """`spell_id: SPELL_NO` is short for `spell_id: {column: SPELL_NO}`."""
        return {k: {"column": v} if isinstance(v, str) else v for k, v in (columns or {}).items()}


class Mapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    datasets: dict[str, DatasetMapping]

    @model_validator(mode="after")
    def _fits_the_canonical_schemas(self):
        problems = [p for name, d in self.datasets.items() for p in _problems(name, d)]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _problems(name: str, mapping: DatasetMapping) -> list[str]:
    if name not in DATASETS:
        return [f"datasets.{name}: not a canonical dataset (expected one of {', '.join(DATASETS)})"]
    schema = DATASETS[name]
    problems = [
        f"datasets.{name}.columns.{c}: not a column of {name} (expected one of {', '.join(schema.names)})"
        for c in mapping.columns
        if c not in schema.names
    ]
    problems += [
        f"datasets.{name}.columns: the required column {c.name} is not mapped"
        for c in schema.columns
        if c.required and c.name not in mapping.columns
    ]
    for column_name, column in mapping.columns.items():
        if column.codes and any(not str(code).strip() for code in column.codes):
            # a blank cell is a missing value, never a code: the map from it was silently never used
            problems.append(
                f"datasets.{name}.columns.{column_name}.codes: a blank is not a code (a blank cell is a "
                "missing value: refused where the column is required, kept blank where it may be)"
            )
        spec = schema.column(column_name) if column_name in schema.names else None
        if spec and spec.codes and column.codes:
            wrong = sorted({str(v) for v in column.codes.values()} - set(spec.codes))
            if wrong:
                problems.append(
                    f"datasets.{name}.columns.{column_name}.codes: {', '.join(wrong)} "
                    f"not among {', '.join(spec.codes)}"
                )
    return problems


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; a bad one raises MappingError naming the file and key."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"{path}: cannot read the mapping: {error}") from error
    try:
        return Mapping.model_validate(raw)
    except ValidationError as error:
        raise MappingError(f"{path}: {describe(error)}") from error
