"""Metrics an analyst adds without touching the catalogue: a short YAML file of simple measures.

Each is a count, sum, mean, ratio or percentile of one dataset's rows, with filters written in
the catalogue's expression language, compiled to the same definitions and checked the same way::

    metrics:
      - id: knee_los_p90
        title: 90th percentile stay, knee replacements
        dataset: admissions
        date: discharged_at
        kind: percentile
        percentile: 90
        value: {days_between: [admitted_at, discharged_at]}
        where: {eq: [procedure_group, knee_replacement]}
        unit: days
        improvement: decrease
      - id: hipfx_weekend_share
        title: Hip fractures arriving at the weekend
        dataset: hip_fractures
        date: arrived_at
        kind: ratio
        numerator_where: {in: [{day_of_week: arrived_at}, [5, 6]]}
        unit: "%"
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stocktake.metrics import expressions as ex
from stocktake.metrics.catalogue import Aggregate, Catalogue, CatalogueError, Metric, Target, check
from stocktake.validation_messages import Place, describe


class UserMetric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    dataset: str
    #: The column that places a row in a period.
    date: str
    kind: Literal["count", "sum", "mean", "ratio", "percentile"]
    value: Any = None
    percentile: float | None = Field(default=None, ge=0, le=100)
    #: Which rows count (for a ratio: the denominator's rows).
    where: Any = None
    #: For a ratio: which of those rows are in the numerator.
    numerator_where: Any = None
    unit: str = ""
    improvement: Literal["increase", "decrease", "neutral"] = "neutral"
    area: str = "Local measures"
    source: str = "Local definition"
    description: str = ""
    target: float | None = None
    decimals: int = 1

    @model_validator(mode="after")
    def _fields_fit_the_kind(self):
        needs_value = self.kind in ("sum", "mean", "percentile")
        if needs_value and self.value is None:
            raise ValueError(f"a {self.kind} needs a value")
        if not needs_value and self.value is not None:
            raise ValueError(f"a {self.kind} counts rows and takes no value")
        if (self.kind == "percentile") != (self.percentile is not None):
            raise ValueError("give percentile (0-100) with, and only with, kind: percentile")
        if (self.kind == "ratio") != (self.numerator_where is not None):
            raise ValueError("give numerator_where with, and only with, kind: ratio")
        return self

    def to_metric(self) -> Metric:
        where = f"{self.id}"
        rows = ex.parse(self.where, f"{where}.where") if self.where is not None else None
        value = ex.parse(self.value, f"{where}.value") if self.value is not None else None
        statistic = {"ratio": "count"}.get(self.kind, self.kind)
        numerator = Aggregate(
            self.dataset,
            self.date,
            statistic=statistic,
            value=value,
            where=rows,
            percentile=self.percentile,
        )
        denominator = None
        if self.kind == "ratio":
            denominator = numerator
            chosen = ex.parse(self.numerator_where, f"{where}.numerator_where")
            both = chosen if rows is None else ex.Call("and", (rows, chosen))
            numerator = dataclasses.replace(numerator, where=both)
        return Metric(
            id=self.id,
            title=self.title,
            area=self.area,
            unit=self.unit,
            improvement=self.improvement,
            source=self.source,
            description=self.description,
            numerator=numerator,
            denominator=denominator,
            scale=100.0 if self.kind == "ratio" and self.unit == "%" else 1.0,
            decimals=self.decimals,
            target=Target(self.target, "set locally") if self.target is not None else None,
        )


class _UserFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metrics: list[UserMetric]


def with_user_metrics(catalogue: Catalogue, path: Path) -> Catalogue:
    """The catalogue with a user's metrics added, every one checked; errors name file and metric."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: cannot read the metrics file: {error}") from error
    try:
        parsed = _UserFile.model_validate(raw)
    except ValidationError as error:
        raise CatalogueError(f"{path}: {describe(error, rename=_metric_ids(raw))}") from error
    try:
        added = tuple(m.to_metric() for m in parsed.metrics)
    except ex.ExpressionError as error:
        raise CatalogueError(f"{path}: {error}") from error
    extended = dataclasses.replace(catalogue, metrics=catalogue.metrics + added)
    problems = check(extended)
    if problems:
        raise CatalogueError(f"{path}: " + "; ".join(problems))
    return extended


def _metric_ids(raw: Any) -> Callable[[Place], Place]:
    """Name a metric by its id in place of its position in the list, which a reader cannot see."""

    def rename(place: Place) -> Place:
        if len(place) >= 2 and place[0] == "metrics" and isinstance(place[1], int):
            try:
                place[1] = raw["metrics"][place[1]].get("id", f"metric {place[1] + 1}")
            except (AttributeError, IndexError, KeyError, TypeError):
                place[1] = f"metric {place[1] + 1}"
        return place

    return rename
