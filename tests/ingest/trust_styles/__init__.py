"""Trusts' extract styles for testing the mapping suggester: each YAML file here is a TRUE mapping
written by hand (headers, codes, date formats and file kinds as one trust writes them). The demo
department's canonical tables exported through it are that trust's extracts, so the suggestion can
be scored against the mapping that made them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stocktake.demo.export import export
from stocktake.ingest.mapping import Mapping, load_mapping
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.suggest import Suggestion
from stocktake.ingest.validate import FALSE_WORDS, TRUE_WORDS

HERE = Path(__file__).parent
STYLES = tuple(sorted(p.stem for p in HERE.glob("*.yaml")))


def true_mapping(style: str) -> Mapping:
    return load_mapping(HERE / f"{style}.yaml")


def write_extracts(tables: dict[str, pd.DataFrame], mapping: Mapping, folder: Path) -> Path:
    """The trust's extracts: CSV as exported, then turned into a workbook or Parquet file where
    the true mapping's file is one (every cell text, as the trust's system wrote it)."""
    as_csv = mapping.model_copy(
        update={
            "datasets": {
                name: spec.model_copy(update={"file": str(Path(spec.file).with_suffix(".csv"))})
                for name, spec in mapping.datasets.items()
            }
        }
    )
    export(tables, as_csv, folder)
    for spec in mapping.datasets.values():
        target = folder / spec.file
        if target.suffix == ".csv":
            continue
        csv_path = target.with_suffix(".csv")
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        if target.suffix == ".parquet":
            frame.to_parquet(target, index=False)
        else:
            frame.to_excel(target, index=False)
        csv_path.unlink()
    return folder


@dataclass(frozen=True)
class Score:
    """How much of a true mapping a suggestion got right."""

    fields: int
    fields_right: int
    datasets: int
    datasets_right: int
    codes: int
    codes_right: int
    wrong: tuple[str, ...]

    @property
    def field_share(self) -> float:
        return self.fields_right / self.fields

    @property
    def code_share(self) -> float:
        return self.codes_right / self.codes if self.codes else 1.0


def _as_ingest_reads(suggested_codes: dict | None, code: str, kind: str):
    """What ingest makes of a code under the suggested mapping (codes, else yes/no words, else as
    written)."""
    if suggested_codes:
        return suggested_codes.get(code)
    if kind == "boolean":
        word = code.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
    return code


def score(
    suggestion: Suggestion, truth: Mapping, catalogue_codes: dict, tables: dict[str, pd.DataFrame]
) -> Score:
    """Fields right: the suggested column is the true one. Codes right: each true code that is in
    the extract, of a field whose values the catalogue or schema fixes (not local site names), is
    read as the true value."""
    fields = right = datasets = datasets_right = codes = codes_right = 0
    wrong = []
    for name, true_spec in truth.datasets.items():
        datasets += 1
        found = suggestion.dataset(name)
        datasets_right += found is not None and found.file == true_spec.file
        suggested = {f.field: f for f in found.fields} if found and found.file == true_spec.file else {}
        schema = DATASETS[name]
        for field_name, true_column in true_spec.columns.items():
            fields += 1
            guess = suggested.get(field_name)
            if guess is not None and guess.column == true_column.column:
                right += 1
            else:
                wrong.append(
                    f"{name}.{field_name}: {guess.column if guess else None!r} not {true_column.column!r}"
                )
            column = schema.column(field_name)
            fixed = set(column.codes or ()) | set(catalogue_codes.get(name, {}).get(field_name, ()))
            for code, value in (true_column.codes or {}).items():
                if column.type != "boolean" and value not in fixed:
                    continue
                if value not in set(tables[name][field_name].dropna()):
                    continue
                codes += 1
                if guess is not None and guess.column == true_column.column:
                    read = _as_ingest_reads(dict(guess.codes), code, column.type)
                    if read == value:
                        codes_right += 1
                        continue
                wrong.append(f"{name}.{field_name} code {code!r}: not read as {value!r}")
    return Score(fields, right, datasets, datasets_right, codes, codes_right, tuple(wrong))
