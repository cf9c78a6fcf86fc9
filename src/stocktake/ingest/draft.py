"""The draft mapping file written from a suggestion: valid as it stands, every guess marked for
review with its confidence and evidence, codes it could not place listed under their field.

Kept apart from the matching (``suggest.py``) so a web form can show the same suggestion its own way.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from stocktake.ingest.mapping import Mapping
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.suggest import CanonicalValue, DatasetSuggestion, FieldSuggestion, Suggestion


def _column_mapping(suggested: FieldSuggestion) -> dict:
    entry: dict = {"column": suggested.column}
    if suggested.format:
        entry["format"] = suggested.format
    if suggested.check:
        entry["check"] = suggested.check
    if suggested.codes:
        entry["codes"] = dict(suggested.codes)
    return entry


def suggestion_as_dict(suggestion: Suggestion) -> dict:
    """The mapping the suggestion stands for, as the YAML file holds it: the datasets whose
    required fields were all found (the others need a person first)."""
    return {
        "source": suggestion.source,
        "datasets": {
            d.dataset: {"file": d.file, "columns": {f.field: _column_mapping(f) for f in d.fields}}
            for d in suggestion.datasets
            if d.complete
        },
    }


def suggested_fields(suggestion: Suggestion) -> dict[str, dict[str, frozenset[str] | None]]:
    """The fields the suggestion found, by dataset, with the canonical values each code list
    reaches (None where values load as written): what coverage reads, complete datasets or not."""
    return {
        d.dataset: {f.field: frozenset(str(v) for _, v in f.codes) if f.codes else None for f in d.fields}
        for d in suggestion.datasets
    }


def suggestion_to_mapping(suggestion: Suggestion) -> Mapping:
    """The suggestion as the mapping model ingest uses (``ingest.mapping.Mapping``)."""
    return Mapping.model_validate(suggestion_as_dict(suggestion))


def _quoted(value: CanonicalValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return yaml.safe_dump(str(value), default_style='"', width=10_000).strip()


def _value_list(values: Sequence[CanonicalValue]) -> str:
    return ", ".join(_quoted(v) if isinstance(v, bool) else str(v) for v in values)


def suggestion_to_yaml(suggestion: Suggestion) -> str:
    """The draft mapping file: valid as it stands (``stocktake ingest --mapping`` takes it), each
    guessed field marked for review with its confidence and evidence, fields not found listed, and
    codes that could not be placed listed under their field for a person to assign. A dataset
    missing a required field is written commented out, to be completed by hand."""
    lines = [
        "# Draft column mapping suggested by `stocktake mapping suggest`. Every field below is a guess:",
        "# check each against your extract (the confidence, 0-1, and the evidence are above it), assign",
        "# the codes listed as unplaced, then run `stocktake mapping coverage` on this file.",
        f"source: {_quoted(suggestion.source)}",
    ]
    usable = [d for d in suggestion.datasets if d.complete]
    lines.append("datasets:" if usable else "datasets: {}")
    for dataset in suggestion.datasets:
        block = _dataset_lines(dataset)
        if dataset.complete:
            lines += block
        else:
            missing = ", ".join(dataset.missing_required)
            lines += [
                f"  # {dataset.dataset} (from {dataset.file}) is left out until its required fields have a",
                f"  # column: {missing}. Fill them in and remove the '# ' before each line below to use it.",
            ]
            lines += ["  # " + line[2:] for line in block]
    for label in suggestion.unmatched:
        lines.append(f"# {label}: looks like none of the canonical datasets; not mapped")
    return mask_nhs_numbers("\n".join(lines) + "\n")


def _dataset_lines(dataset: DatasetSuggestion) -> list[str]:
    schema = DATASETS[dataset.dataset]
    lines = [
        f"  {dataset.dataset}:",
        f"    # fit {dataset.fit:.2f}: {len(dataset.fields)} of {len(schema.columns)} fields found",
    ]
    if dataset.sheet:
        lines.append(
            f"    # the data are on the sheet {dataset.sheet!r}: ingest reads the first sheet whose header "
            "names the columns below (with --strict, only the first sheet)"
        )
    lines += [f"    file: {_quoted(dataset.file)}", "    columns:"]
    for suggested in dataset.fields:
        lines += _field_lines(suggested)
    missing = [m for m in dataset.missing if m not in dataset.missing_required]
    if dataset.missing_required:
        lines.append(f"      # required, not found: {', '.join(dataset.missing_required)}")
    if missing:
        lines.append(f"      # not found (optional): {', '.join(missing)}")
    if dataset.unused:
        lines.append(f"    # columns not used: {', '.join(dataset.unused)}")
    return lines


def _field_lines(suggested: FieldSuggestion) -> list[str]:
    lines = [f"      # review {suggested.confidence:.2f}: {suggested.evidence}", f"      {suggested.field}:"]
    lines.append(f"        column: {_quoted(suggested.column)}")
    if suggested.format:
        lines.append(f"        format: {_quoted(suggested.format)}")
    if suggested.check:
        lines.append(f"        check: {suggested.check}")
    kept = {code for code, _ in suggested.unplaced} if suggested.unplaced_kept else set()
    if suggested.codes:
        lines.append("        codes:")
        for code, value in suggested.codes:
            note = "  # unplaced: kept as written" if code in kept else ""
            note = "  # not in the sample: assumed" if code in suggested.assumed else note
            lines.append(f"          {_quoted(code)}: {_quoted(value)}{note}")
    if suggested.unplaced:
        shown = ", ".join(
            f"{code!r} ({rows:,} row{'s' * (rows != 1)})" for code, rows in suggested.unplaced[:20]
        )
        more = f" and {len(suggested.unplaced) - 20} more" if len(suggested.unplaced) > 20 else ""
        if suggested.unplaced_kept:
            how = f"load as written; give one {_value_list(suggested.choices)} where it is one"
        else:
            how = f"assign each one of {_value_list(suggested.choices)}, or the rows will be refused"
        lines.append(f"        # unplaced values ({how}): {shown}{more}")
    return lines
