"""The files a leader hands the report: dated change annotations (CSV) and targets (YAML)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from stocktake.targets.setting import (
    Benchmark,
    ChosenTarget,
    already_beyond,
    baseline,
    between,
    trajectory_values,
)
from stocktake.validation_messages import describe

ANNOTATION_COLUMNS = ("metric_id", "date", "label", "rebase")
ALL_METRICS = "*"


class ReportInputError(ValueError):
    """A targets or annotations file that cannot be used; the message names the file and place."""


@dataclass(frozen=True)
class Annotation:
    metric_id: str
    date: date
    label: str
    rebase: bool


def load_annotations(path: Path, metric_ids: set[str]) -> list[Annotation]:
    """metric_id (or * for all), date (YYYY-MM-DD), label, rebase (yes/no): one change per row."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as error:
        raise ReportInputError(f"{path}: cannot read: {error}") from error
    missing = [c for c in ANNOTATION_COLUMNS if c not in frame.columns]
    if missing:
        raise ReportInputError(f"{path}, row 1: missing column(s) {', '.join(missing)}")
    annotations = []
    for index, row in frame.iterrows():
        where = f"{path}, row {index + 2}"
        if row["metric_id"] not in metric_ids | {ALL_METRICS}:
            raise ReportInputError(
                f"{where}, column metric_id: {row['metric_id']!r} is not a metric in the catalogue"
            )
        try:
            when = date.fromisoformat(row["date"].strip())
        except ValueError as error:
            raise ReportInputError(
                f"{where}, column date: {row['date']!r} is not a date like 2024-04-01"
            ) from error
        rebase = row["rebase"].strip().lower()
        if rebase not in ("yes", "no", "true", "false", ""):
            raise ReportInputError(f"{where}, column rebase: {row['rebase']!r} is not yes or no")
        annotations.append(
            Annotation(row["metric_id"], when, row["label"].strip(), rebase in ("yes", "true"))
        )
    return annotations


def for_metric(annotations: list[Annotation], metric_id: str) -> list[Annotation]:
    return [a for a in annotations if a.metric_id in (metric_id, ALL_METRICS)]


class _Benchmark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float
    source: str
    year: int | None = None


class _Period(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: date
    end: date


class _Milestone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: date
    value: float


class _TargetSpec(BaseModel):
    """Either a fixed value, or a baseline period and a benchmark with the fraction of the way."""

    model_config = ConfigDict(extra="forbid")
    value: float | None = None
    source: str | None = None
    baseline: _Period | None = None
    benchmark: _Benchmark | None = None
    fraction: float = 0.5
    trajectory: list[_Milestone] = []

    @model_validator(mode="after")
    def _one_way(self):
        if (self.value is None) == (self.baseline is None or self.benchmark is None):
            raise ValueError("give either value (and source), or baseline and benchmark")
        return self


def load_targets(path: Path, metric_ids: set[str]) -> dict[str, _TargetSpec]:
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ReportInputError(f"{path}: cannot read: {error}") from error
    targets = raw.get("targets") if isinstance(raw, dict) else None
    if not isinstance(targets, dict | None):
        raise ReportInputError(f"{path}: targets: a mapping of metric ids to targets (see the README)")
    if not isinstance(raw, dict):
        raise ReportInputError(f"{path}: top level: a mapping with `targets:` (see the README)")
    specs = {}
    for metric_id, value in (targets or {}).items():
        try:
            specs[metric_id] = _TargetSpec.model_validate(value)
        except ValidationError as error:
            raise ReportInputError(f"{path}: {describe(error, within=('targets', metric_id))}") from error
    unknown = sorted(set(specs) - metric_ids)
    if unknown:
        raise ReportInputError(f"{path}: targets.{unknown[0]}: not a metric in the catalogue")
    return specs


def resolve_target(
    spec: _TargetSpec, x: pd.DatetimeIndex, values, improvement: str, where: str, unit: str = ""
) -> tuple[ChosenTarget, np.ndarray | None]:
    """The target (and its trajectory values at ``x``) that a spec sets for one series; refused, at
    ``where``, when its baseline is already at or better than its benchmark (``improvement``: the
    better way), as the workspace refuses it (ADR 48): an outside check's hip fracture stay of 18.0 days
    had been given a "midway" target of 19.7 towards a national mean of 21.4. A value that is not a
    number, or a percentage (``unit``) outside 0 to 100, is refused as the workspace refuses it."""
    given = [("value", spec.value), ("benchmark.value", spec.benchmark and spec.benchmark.value)]
    given += [(f"trajectory[{i}].value", m.value) for i, m in enumerate(spec.trajectory)]
    for field, value in given:
        if value is None:
            continue
        if not np.isfinite(value):
            raise ReportInputError(f"{where}.{field}: {value} is not a number")
        if unit == "%" and not 0 <= value <= 100:
            raise ReportInputError(f"{where}.{field}: {value:g}% is not a percentage (0 to 100)")
        if unit != "£" and value < 0:  # a stay or a count below 0 is never reached (an outside recheck)
            raise ReportInputError(f"{where}.{field}: {value:g} {unit} is below 0, which it never is")
    milestones = tuple((m.date, m.value) for m in spec.trajectory)
    planned = trajectory_values(x, milestones) if milestones else None
    if spec.value is not None:
        return ChosenTarget(spec.value, spec.source or "set locally", trajectory=milestones), planned
    try:
        start = baseline(x, values, spec.baseline.start, spec.baseline.end)
    except ValueError as error:  # an outside check: said without the file or the measure
        raise ReportInputError(f"{where}.baseline: {error}") from None
    benchmark = Benchmark(spec.benchmark.value, spec.benchmark.source, spec.benchmark.year)
    if already_beyond(start, benchmark, improvement):
        raise ReportInputError(
            f"{where}: the baseline's mean from {spec.baseline.start} to {spec.baseline.end} ({start:.4g}) "
            f"is already at or better than the benchmark, {benchmark} ({benchmark.value:g}): a target "
            "between them would ask the service to get worse; give a more ambitious benchmark, or a value"
        )
    target = between(start, benchmark, spec.fraction)
    return ChosenTarget(target.value, target.basis, target.baseline, benchmark, milestones), planned
