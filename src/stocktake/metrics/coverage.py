"""Which measures a column mapping can compute, and for the others exactly which fields are missing.

A measure's needs are read from its catalogue definition, never listed by hand: the columns its
numerator, denominator or events read (values, filters, periods, censuses), followed through the
catalogue's views (joins, roll-ups, next-row columns) back to the canonical dataset each comes from.
The same walk finds the codes a measure compares a field with (``admission_method`` = ``day_case``),
which the mapping suggester places a trust's codes onto, and which a mapping's code list must reach.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from stocktake.ingest.mapping import Mapping
from stocktake.ingest.schemas import DATASETS
from stocktake.metrics import expressions as ex
from stocktake.metrics.catalogue import Aggregate, Catalogue, Metric, available_columns

Fields = dict[str, frozenset[str]]  # dataset → fields


@dataclass(frozen=True)
class MeasureCoverage:
    """One measure: the fields it reads, and those this mapping lacks (by dataset)."""

    metric_id: str
    title: str
    needs: tuple[tuple[str, tuple[str, ...]], ...]
    #: Fields the mapping does not map, by dataset (a dataset not mapped lacks all it needs).
    missing: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Datasets the mapping does not map at all.
    unmapped: tuple[str, ...] = ()
    #: Values the measure compares a field with that no code of the mapping gives ("field = value").
    unreached: tuple[str, ...] = ()

    @property
    def computable(self) -> bool:
        return not self.missing and not self.unreached


@dataclass(frozen=True)
class Coverage:
    measures: tuple[MeasureCoverage, ...]

    @property
    def computable(self) -> tuple[MeasureCoverage, ...]:
        return tuple(m for m in self.measures if m.computable)

    @property
    def not_computable(self) -> tuple[MeasureCoverage, ...]:
        return tuple(m for m in self.measures if not m.computable)


def _parts(metric: Metric) -> list[tuple[str, set[str]]]:
    """Each part of a metric as (dataset or view, the columns it reads there)."""
    parts = []
    for aggregate in (metric.numerator, metric.denominator):
        if aggregate is not None:
            parts.append((aggregate.dataset, _aggregate_columns(aggregate)))
    if metric.events is not None:
        where = ex.columns(metric.events.where) if metric.events.where is not None else set()
        parts.append((metric.events.dataset, {metric.events.at} | where))
    return parts


def _aggregate_columns(aggregate: Aggregate) -> set[str]:
    columns = set()
    for expression in (aggregate.value, aggregate.where):
        if expression is not None:
            columns |= ex.columns(expression)
    if aggregate.census:
        columns |= set(aggregate.census)
    elif aggregate.period_from:
        columns.add(aggregate.period_from)
    return columns - {"period_end"}


def resolve(catalogue: Catalogue, name: str, columns: set[str]) -> dict[str, set[str]]:
    """The canonical fields behind ``columns`` of a dataset or view, by dataset.

    A join needs its key on both sides and the joined dataset even if none of its columns is read
    (an inner join decides which rows count, and the engine builds every view it reads, left joins
    too: ``metrics.run.missing_data``); a roll-up needs its grouping and the columns it aggregates;
    next-row columns need the partition and the ordering.
    """
    if name in DATASETS:
        return {name: set(columns)}
    view = catalogue.views[name]
    found: dict[str, set[str]] = defaultdict(set)

    def add(more: dict[str, set[str]]) -> None:
        for dataset, fields in more.items():
            found[dataset] |= fields

    from_source = set(columns)
    if view.join:
        joined = available_columns(catalogue, view.join.dataset)
        own = available_columns(catalogue, view.source)
        if view.following:
            own |= {column for column, _ in view.following.columns}
        from_join = {c for c in columns if c in joined and c not in own}
        from_source -= from_join
        add(resolve(catalogue, view.join.dataset, from_join | {view.join.key}))
        from_source.add(view.join.key)
    if view.following:
        new = dict(view.following.columns)
        wanted = {new[c] for c in from_source if c in new}
        if wanted:
            from_source = (from_source - set(new)) | wanted | {view.following.partition_by}
            from_source |= set(view.following.order_by)
    if view.group_by:
        aggregated = {column: source for column, _, source in view.aggregates}
        from_source = {aggregated.get(c, c) for c in from_source} | set(view.group_by)
    add(resolve(catalogue, view.source, from_source))
    return dict(found)


def needed_fields(catalogue: Catalogue, metric: Metric) -> Fields:
    """Every canonical field a measure reads, by dataset."""
    found: dict[str, set[str]] = defaultdict(set)
    for name, columns in _parts(metric):
        for dataset, fields in resolve(catalogue, name, columns).items():
            found[dataset] |= fields
    return {dataset: frozenset(fields) for dataset, fields in sorted(found.items())}


def _comparisons(expression) -> list[tuple[str, tuple]]:
    """(column, values) for each comparison of a column with text values in an expression."""
    if not isinstance(expression, ex.Call):
        return []
    found = []
    if expression.op in ex.COMPARISONS | {"in"} and len(expression.args) == 2:
        column, value = expression.args
        if isinstance(column, ex.Column) and isinstance(value, ex.Literal):
            values = value.value if isinstance(value.value, tuple) else (value.value,)
            text = tuple(v for v in values if isinstance(v, str))
            if text:
                found.append((column.name, text))
    for argument in expression.args:
        found += _comparisons(argument)
    return found


def _metric_codes(catalogue: Catalogue, metric: Metric) -> dict[str, dict[str, set[str]]]:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    aggregates = [(a.dataset, a.where) for a in (metric.numerator, metric.denominator) if a is not None]
    if metric.events is not None:
        aggregates.append((metric.events.dataset, metric.events.where))
    for name, where in aggregates:
        for column, values in _comparisons(where) if where is not None else []:
            for dataset, fields in resolve(catalogue, name, {column}).items():
                if column in fields:
                    found[dataset][column] |= set(values)
    return found


def codes_used(catalogue: Catalogue) -> dict[str, dict[str, tuple[str, ...]]]:
    """The values the catalogue's measures compare each field with, by dataset and field: the
    codes a trust's own codes must be placed onto for those measures to count anything."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for metric in catalogue.metrics:
        for dataset, fields in _metric_codes(catalogue, metric).items():
            for name, values in fields.items():
                found[dataset][name] |= values
    return {d: {f: tuple(sorted(v)) for f, v in fields.items()} for d, fields in sorted(found.items())}


#: What a mapping gives, by dataset and field: the canonical values its codes reach, or None where
#: the values load as written (no code list).
MappedFields = dict[str, dict[str, frozenset[str] | None]]


def mapped_fields(mapping: Mapping) -> MappedFields:
    """A mapping file's datasets and fields, with the values each code list reaches."""
    return {
        name: {
            field: frozenset(str(v) for v in column.codes.values()) if column.codes is not None else None
            for field, column in spec.columns.items()
        }
        for name, spec in mapping.datasets.items()
    }


def coverage(mapping: Mapping | MappedFields, catalogue: Catalogue) -> Coverage:
    """Which of the catalogue's measures ``mapping`` can compute; for each it cannot, the fields it
    lacks (a dataset's required fields too: without them the dataset does not load), the datasets
    it does not map, and the compared values no code of it reaches.

    ``mapping`` is a mapping file's model, or the fields of one still being written (a suggestion)."""
    mapped = mapped_fields(mapping) if isinstance(mapping, Mapping) else mapping
    measures = []
    for metric in catalogue.metrics:
        needs = needed_fields(catalogue, metric)
        missing, unmapped = [], []
        for dataset, fields in needs.items():
            given = mapped.get(dataset)
            if given is None:
                unmapped.append(dataset)
                absent = set(fields)
            else:
                required = {c.name for c in DATASETS[dataset].columns if c.required}
                absent = (set(fields) | required) - set(given)
            if absent:
                missing.append((dataset, tuple(sorted(absent))))
        unreached = []
        for dataset, fields in sorted(_metric_codes(catalogue, metric).items()):
            for name, values in sorted(fields.items()):
                reached = mapped.get(dataset, {}).get(name)
                if reached is not None:  # else missing already, or loaded as written
                    unreached += [f"{dataset}.{name} = {v}" for v in sorted(values - reached)]
        measures.append(
            MeasureCoverage(
                metric.id,
                metric.title,
                tuple((d, tuple(sorted(f))) for d, f in needs.items()),
                tuple(missing),
                tuple(unmapped),
                tuple(unreached),
            )
        )
    return Coverage(tuple(measures))


def fields_table(catalogue: Catalogue) -> str:
    """A Markdown table of the fields each measure needs, by dataset, from the catalogue itself."""
    lines = ["| measure | id | needs |", "| --- | --- | --- |"]
    for metric in catalogue.metrics:
        needs = "; ".join(
            f"{dataset}: {', '.join(sorted(fields))}"
            for dataset, fields in needed_fields(catalogue, metric).items()
        )
        lines.append(f"| {metric.title} | `{metric.id}` | {needs} |")
    return "\n".join(lines) + "\n"
