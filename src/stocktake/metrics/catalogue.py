"""Metric definitions: typed, sourced, and loaded from a reviewed catalogue file.

A department's catalogue is data: its views (joins and roll-ups of canonical datasets), its
dimensions (what a metric can be broken down by) and its metrics, each a numerator (and usually a
denominator) aggregated by period.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from stocktake.ingest.schemas import DATASETS
from stocktake.metrics import expressions as ex
from stocktake.spc import Improvement

Statistic = Literal["count", "sum", "mean", "count_distinct", "percentile"]
STATISTICS = ("count", "sum", "mean", "count_distinct", "percentile")
#: How a percentile is found: "linear" interpolates between the ordered values; "bands" floors
#: the values to whole units (weeks, for RTT) and interpolates inside a band, as NHS England's
#: RTT publication does (see ``metrics/percentiles.py``).
PercentileMethod = Literal["linear", "bands"]
#: XmR by default (as Making Data Count advises); "t" for rare events; a proportion or rate whose
#: denominator varies a lot may ask for limits that follow it (p, u, or Laney's p′ and u′).
ChartKind = Literal["xmr", "t", "p", "p_prime", "u", "u_prime"]
CHART_KINDS = ("xmr", "t", "p", "p_prime", "u", "u_prime")
ATTRIBUTE_CHARTS = ("p", "p_prime", "u", "u_prime")

CATALOGUE_DIR = Path(__file__).parent / "catalogues"
DEFAULT_CATALOGUE = CATALOGUE_DIR / "trauma_orthopaedics.yaml"


class CatalogueError(ValueError):
    """A catalogue that cannot be used, naming the file and the definition at fault."""


@dataclass(frozen=True)
class Join:
    dataset: str
    key: str
    how: Literal["inner", "left"] = "inner"


@dataclass(frozen=True)
class Following:
    """Columns of the same subject's next row (a patient's next referral), for re-attendance."""

    partition_by: str
    order_by: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (new column, column of the next row)


@dataclass(frozen=True)
class View:
    """A table built from others: joined, rolled up to one row per key, or given next-row columns."""

    name: str
    source: str
    join: Join | None = None
    group_by: tuple[str, ...] = ()
    aggregates: tuple[tuple[str, str, str], ...] = ()  # (new column, min|max|count|sum, column)
    following: Following | None = None


@dataclass(frozen=True)
class Dimension:
    """Something every metric can be broken down by (site, consultant, age band).

    ``value`` applies to any dataset that has its columns; ``per_dataset`` says what the
    dimension is called in datasets that name it differently (a theatre list's surgeon is the
    consultant).
    """

    name: str
    value: ex.Expression
    per_dataset: tuple[tuple[str, ex.Expression], ...] = ()
    #: Its groups are held to different standards (a priority's own target time): they are not
    #: compared on a funnel, nor read against the department's target.
    own_standards: bool = False

    def expression(self, dataset: str) -> ex.Expression:
        return dict(self.per_dataset).get(dataset, self.value)


@dataclass(frozen=True)
class Aggregate:
    """One number per period from one dataset: a count, sum, mean, distinct count or percentile
    of the rows that qualify."""

    dataset: str
    period_from: str
    statistic: Statistic = "count"
    value: ex.Expression | None = None
    where: ex.Expression | None = None
    #: For a waiting list: count the rows open at each period end (start ≤ end < stop).
    census: tuple[str, str] | None = None
    #: For a percentile: which one (0–100) and how it is interpolated.
    percentile: float | None = None
    method: PercentileMethod = "linear"
    #: A sum that counts events (attendances): its small values are hidden as a count's are, and it
    #: is compared as a count (an outside check read one face-to-face attendance a week from a sum
    #: beside the conversion count it gave away, hidden).
    counts: bool = False


@dataclass(frozen=True)
class Events:
    """Rare events: the time between them is the measure (a t chart)."""

    dataset: str
    at: str
    where: ex.Expression | None = None


@dataclass(frozen=True)
class Target:
    """A level to reach, with where it comes from (a national standard, GIRFT, the NHFD)."""

    value: float
    source: str
    year: int | None = None
    #: A gain every service must make as well, whatever its start: the 2025/26 planning guidance's
    #: 65% within 18 weeks "with each trust to improve by at least 5 percentage points". The target is
    #: then the value or the measure in month ``than`` (YYYY-MM) moved this far the better way,
    #: whichever is further (``targets.setting.at_least_better``).
    at_least_better_by: float | None = None
    than: str | None = None
    #: The month the target is to be met by (YYYY-MM), where its source names one: what the waiting
    #: list's capacity answer for the department's own target plans to (ADR 82).
    by: str | None = None
    #: The catalogue's target this one was resolved from (``verdicts.least_gain``): its national
    #: level, for what compares with that rather than the service's own.
    resolved_from: Target | None = None


@dataclass(frozen=True)
class Metric:
    id: str
    title: str
    area: str
    unit: str
    improvement: Improvement
    source: str
    description: str = ""
    numerator: Aggregate | None = None
    denominator: Aggregate | None = None
    scale: float = 1.0
    chart: ChartKind = "xmr"
    events: Events | None = None
    decimals: int = 1
    target: Target | None = None
    #: An outcome (deaths, returns to theatre): its groups may be compared observed ÷ expected, given
    #: the expected counts of a case-mix model (``verdicts.expected``).
    outcome: bool = False
    #: Days after a row's period date its outcome needs to be known (30-day mortality: 30): a period is
    #: complete only when the data reach that far past its end. An outside check found March's 30-day
    #: deaths and 120-day returns home charted from data that ended on 31 March (ADR 74).
    follow_up_days: int = 0

    @property
    def monthly(self) -> bool:
        """A value per period (every chart but the t chart's time between events)."""
        return self.chart != "t"

    @property
    def stock(self) -> bool:
        """A snapshot at each period's end (a census: those waiting), not a flow: the same people are
        counted period after period, so its values drift together rather than vary independently."""
        return self.numerator is not None and self.numerator.census is not None

    @property
    def percentile(self) -> float | None:
        """The percentile each point reads (``statistic: percentile``), or None: the small-number rule
        hides such a point read among 1–7 rows as well (``suppression.percentile_is_thin``)."""
        return self.numerator.percentile if self.numerator is not None else None

    @property
    def numerator_is_count(self) -> bool:
        """The numerator counts people or events (``statistic: count``, or a sum marked ``counts``): the
        one test, used by the small-number rule (a count of 1–7 is hidden), the funnel and the p and u
        charts."""
        return self.numerator is not None and (self.numerator.statistic == "count" or self.numerator.counts)


@dataclass(frozen=True)
class Catalogue:
    department: str
    metrics: tuple[Metric, ...]
    views: dict[str, View] = field(default_factory=dict)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    #: Counts of one census, each inside the one before (the waiting list's tails by weeks waited):
    #: a metric id for its numerator, or ``ID.outside`` for its denominator less its numerator.
    #: The difference of two shown is a count too, which exports must not leave at 1–7 (ADR 9).
    nested_counts: tuple[tuple[str, ...], ...] = ()

    def metric(self, metric_id: str) -> Metric:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        raise KeyError(metric_id)

    def chains_of(self, metric_id: str) -> tuple[tuple[str, ...], ...]:
        """The nested counts' chains ``metric_id`` is in, as a numerator or its ``.outside``."""
        return tuple(c for c in self.nested_counts if any(p.partition(".")[0] == metric_id for p in c))

    def has(self, metric_id: str) -> bool:
        """Whether this is one of the department's metrics: the one check for an id typed into a
        form or a URL, so every page refuses a stranger the same way."""
        return any(metric.id == metric_id for metric in self.metrics)


def load_catalogue(path: Path = DEFAULT_CATALOGUE, department: str = "") -> Catalogue:
    """Read a catalogue file and check every definition against the canonical datasets. ``department``:
    the home's name for its department (stocktake.toml), which reports are headed with; the catalogue's
    own where the home gives none (an outside check: a General Surgery home's report was headed
    "Trauma & Orthopaedics", the one catalogue's name)."""
    try:
        text = Path(path).read_text()
    except OSError as error:  # said as the catalogue's, not the report folder's (an outside check)
        raise CatalogueError(f"{path}: cannot read the catalogue: {error.strerror or error}") from error
    try:
        raw = yaml.safe_load(text)
        views = {name: _view(name, spec) for name, spec in (raw.get("views") or {}).items()}
        dimensions = {name: _dimension(name, spec) for name, spec in (raw.get("dimensions") or {}).items()}
        metrics = tuple(_metric(spec) for spec in raw["metrics"])
        nested = tuple(tuple(str(part) for part in chain) for chain in raw.get("nested_counts") or ())
        catalogue = Catalogue(department.strip() or raw["department"], metrics, views, dimensions, nested)
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: {error}") from error
    problems = check(catalogue)
    if problems:
        raise CatalogueError(f"{path}: " + "; ".join(problems))
    return catalogue


def _view(name: str, spec: dict[str, Any]) -> View:
    join = Join(**spec["join"]) if "join" in spec else None
    aggregates = tuple(
        (column, *next(iter(how.items()))) for column, how in (spec.get("aggregate") or {}).items()
    )
    following = None
    if "next" in spec:
        nxt = spec["next"]
        following = Following(nxt["partition_by"], tuple(nxt["order_by"]), tuple(nxt["columns"].items()))
    return View(name, spec["from"], join, tuple(spec.get("group_by") or ()), aggregates, following)


def _dimension(name: str, spec: dict[str, Any] | None) -> Dimension:
    spec = spec or {}
    where = f"dimensions.{name}"
    value = ex.parse(spec.get("value", name), f"{where}.value")
    per_dataset = tuple(
        (dataset, ex.parse(raw, f"{where}.per_dataset.{dataset}"))
        for dataset, raw in (spec.get("per_dataset") or {}).items()
    )
    return Dimension(name, value, per_dataset, bool(spec.get("own_standards", False)))


def _aggregate(spec: dict[str, Any], where: str) -> Aggregate:
    return Aggregate(
        dataset=spec["dataset"],
        period_from=spec.get("period_from", ""),
        statistic=spec.get("statistic", "count"),
        value=ex.parse(spec["value"], f"{where}.value") if "value" in spec else None,
        where=ex.parse(spec["where"], f"{where}.where") if "where" in spec else None,
        census=(spec["census"]["start"], spec["census"]["stop"]) if "census" in spec else None,
        percentile=float(spec["percentile"]) if "percentile" in spec else None,
        method=spec.get("method", "linear"),
        counts=bool(spec.get("counts", False)),
    )


def _metric(spec: dict[str, Any]) -> Metric:
    metric_id = spec["id"]
    events = spec.get("events")
    return Metric(
        id=metric_id,
        title=spec["title"],
        area=spec["area"],
        unit=spec["unit"],
        improvement=spec["improvement"],
        source=spec["source"],
        description=spec.get("description", "").strip(),
        numerator=_aggregate(spec["numerator"], f"{metric_id}.numerator") if "numerator" in spec else None,
        denominator=_aggregate(spec["denominator"], f"{metric_id}.denominator")
        if "denominator" in spec
        else None,
        scale=float(spec.get("scale", 1.0)),
        chart=spec.get("chart", "xmr"),
        events=Events(
            events["dataset"],
            events["at"],
            ex.parse(events["where"], f"{metric_id}.events.where") if "where" in events else None,
        )
        if events
        else None,
        decimals=int(spec.get("decimals", 1)),
        target=_target(
            spec["target"],
            f"{metric_id}.target",
            spec.get("improvement", ""),
            str(spec.get("unit", "")),
            bool(events),
        )
        if "target" in spec
        else None,
        outcome=bool(spec.get("outcome", False)),
        follow_up_days=int(spec.get("follow_up_days", 0)),
    )


def _target(
    spec: dict[str, Any], where: str, improvement: str, unit: str = "", events: bool = False
) -> Target:
    year, gain, than = spec.get("year"), spec.get("at_least_better_by"), spec.get("than")
    by = spec.get("by")
    if by is not None and not (isinstance(by, str) and re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", by)):
        # YAML reads an unquoted 2026-03-31 as a date: said as written, not as Python's repr (a recheck)
        raise ValueError(f'{where}.by: {by} is not a month written YYYY-MM, in quotes ("2026-03")')
    if by is not None and than is not None and str(by) <= str(than):
        raise ValueError(f"{where}.by: {by} is not after the month its gain is read from (than: {than})")
    if (gain is None) != (than is None):
        raise ValueError(f"{where}: at_least_better_by and than go together (the gain and its month)")
    if than is not None and not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", str(than)):
        raise ValueError(f"{where}.than: {than!r} is not a month written YYYY-MM")
    # a finite number above 0 (true is not 1, nor "5%" five): an outside check's gain of .inf became
    # a target of -inf days, and "five" a message naming neither the measure nor the field
    finite = isinstance(gain, int | float) and not isinstance(gain, bool) and math.isfinite(gain)
    if gain is not None and not (finite and gain > 0):
        raise ValueError(f"{where}.at_least_better_by: {gain!r} is not a number above 0")
    if gain is not None and improvement == "neutral":
        raise ValueError(f"{where}.at_least_better_by: a gain needs a better way (improvement is neutral)")
    if gain is not None and events:  # one event's gap is no month's value (a recheck: the first of two)
        raise ValueError(
            f"{where}.at_least_better_by: a gain is read from a month's value; a rare-event chart has none"
        )
    if gain is not None and unit == "%" and gain > 100:
        raise ValueError(
            f"{where}.at_least_better_by: {gain!r} percentage points is more than a share can move"
        )
    return Target(
        float(spec["value"]),
        spec["source"],
        int(year) if year is not None else None,
        float(gain) if gain is not None else None,
        str(than) if than is not None else None,
        by=str(by) if by is not None else None,
    )


def available_columns(catalogue: Catalogue, name: str) -> set[str]:
    """The columns a dataset or view offers."""
    if name in DATASETS:
        return set(DATASETS[name].names)
    view = catalogue.views.get(name)
    if view is None:
        raise KeyError(name)
    if view.group_by:
        return set(view.group_by) | {column for column, _, _ in view.aggregates}
    joined = available_columns(catalogue, view.join.dataset) if view.join else set()
    following = {column for column, _ in view.following.columns} if view.following else set()
    return available_columns(catalogue, view.source) | joined | following


def check(catalogue: Catalogue) -> list[str]:
    """Every problem with the catalogue's definitions, as text that names the definition."""
    problems = []
    for dimension in catalogue.dimensions.values():
        for dataset, expression in dimension.per_dataset:
            problems += _columns_problems(
                catalogue, f"dimensions.{dimension.name}.per_dataset", dataset, _read(expression)
            )
    for chain in catalogue.nested_counts:
        for part in chain:
            metric_id, _, side = part.partition(".")
            if not catalogue.has(metric_id) or side not in ("", "outside"):
                problems.append(f"nested_counts: {part!r} is no metric id (or ID.outside)")
    seen = set()
    for metric in catalogue.metrics:
        if metric.id in seen:
            problems.append(f"{metric.id}: the id is used twice")
        seen.add(metric.id)
        if metric.improvement not in ("increase", "decrease", "neutral"):
            problems.append(f"{metric.id}: improvement must be increase, decrease or neutral")
        if (metric.numerator is None) == (metric.events is None):
            problems.append(f"{metric.id}: give either a numerator or events")
        problems += _chart_problems(metric)
        if metric.unit == "%" and metric.denominator is not None and metric.scale != 100:
            # a share of 0–1 labelled %: "0.9%" for nine in ten, and no month ever at 100% (ADR 51)
            problems.append(f"{metric.id}: a % over a denominator needs scale: 100, not {metric.scale:g}")
        for part, aggregate in (("numerator", metric.numerator), ("denominator", metric.denominator)):
            if aggregate is not None:
                problems += _aggregate_problems(catalogue, f"{metric.id}.{part}", aggregate)
        if metric.events is not None:
            problems += _columns_problems(
                catalogue,
                f"{metric.id}.events",
                metric.events.dataset,
                {metric.events.at} | _read(metric.events.where),
            )
    return problems


def _chart_problems(metric: Metric) -> list[str]:
    """A chart kind the metric's definition can feed: t from events, p and u from counts over a
    denominator."""
    if metric.chart not in CHART_KINDS:
        return [f"{metric.id}: chart must be one of {', '.join(CHART_KINDS)}, not {metric.chart!r}"]
    if (metric.chart == "t") != (metric.events is not None):
        return [f"{metric.id}: a t chart is for events, and events need a t chart"]
    if metric.chart in ATTRIBUTE_CHARTS and (metric.denominator is None or not metric.numerator_is_count):
        return [f"{metric.id}: a {metric.chart} chart needs a counted numerator and a denominator"]
    return []


def _read(expression) -> set[str]:
    return ex.columns(expression) if expression is not None else set()


def _aggregate_problems(catalogue: Catalogue, where: str, aggregate: Aggregate) -> list[str]:
    needed = _read(aggregate.value) | _read(aggregate.where)
    if aggregate.census:
        needed = (needed | set(aggregate.census)) - {"period_end"}
    else:
        needed.add(aggregate.period_from)
    problems = _columns_problems(catalogue, where, aggregate.dataset, needed)
    if aggregate.statistic not in STATISTICS:
        problems.append(f"{where}: statistic must be one of {', '.join(STATISTICS)}")
    if aggregate.statistic != "count" and aggregate.value is None:
        problems.append(f"{where}: a {aggregate.statistic} needs a value")
    if (aggregate.statistic == "percentile") != (aggregate.percentile is not None):
        problems.append(f"{where}: give percentile (0-100) with, and only with, statistic: percentile")
    elif aggregate.percentile is not None and not 0 <= aggregate.percentile <= 100:
        problems.append(f"{where}: percentile must be between 0 and 100")
    if aggregate.method not in ("linear", "bands"):
        problems.append(f"{where}: method must be linear or bands")
    return problems


def dimension_expressions(
    catalogue: Catalogue, metric: Metric, dimension: str
) -> dict[str, ex.Expression] | None:
    """The dimension's expression for each part of the metric, or None if a part lacks it."""
    found = catalogue.dimensions[dimension]
    parts = {}
    for part, aggregate in (("numerator", metric.numerator), ("denominator", metric.denominator)):
        if aggregate is None:
            continue
        expression = found.expression(aggregate.dataset)
        if ex.columns(expression) - available_columns(catalogue, aggregate.dataset):
            return None
        parts[part] = expression
    return parts


def _columns_problems(catalogue: Catalogue, where: str, dataset: str, needed: set[str]) -> list[str]:
    try:
        offered = available_columns(catalogue, dataset)
    except KeyError:
        return [f"{where}: {dataset!r} is neither a canonical dataset nor a view"]
    return [f"{where}: {dataset} has no column {c!r}" for c in sorted(needed - offered)]
