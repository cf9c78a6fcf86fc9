"""A department's workspace: the warehouse's series with the department's own targets and change dates.

The stock-take the web shows and the reports it downloads are built here, from three things: the
series the catalogue gives on the warehouse (expensive: computed once per load of the warehouse),
the targets and annotations kept in the app database, and the start dates of the PDSA cycles of
every QI project that measures a metric (cheap: re-read when any of them changes).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stocktake.appdb.actions import CHART_CHANGES
from stocktake.appdb.models import Annotation, AuditEvent, PdsaCycle, Project, ProjectMeasure, TargetSetting
from stocktake.metrics.catalogue import Catalogue, load_catalogue
from stocktake.metrics.run import Grain, Reach, missing_data, reaches, run_catalogue
from stocktake.metrics.suppression import (
    coarse_limits,
    coarse_step,
    hidden_across_groups,
    hidden_points,
    hidden_rows,
    is_small,
)
from stocktake.report.charts import warm_up_drawing
from stocktake.small_numbers import NOT_RECORDED
from stocktake.verdicts import Entry, Mark, MetricResult, StockTake, analyse, take_stock, titled
from stocktake.verdicts.analysis import chain_hidden
from stocktake.verdicts.narrative import drawn_limits
from stocktake.verdicts.peers import compare_peers
from stocktake.verdicts.stocktake import describe_rebase
from stocktake.warehouse import connect_ibis

#: Why a site's stock-take leaves a measure out, said after "needs".
NOT_BY_SITE = "figures by site: it is in the all-sites report"
NO_RECORDS_HERE = "records at this site"


@dataclass(frozen=True)
class Breakdown:
    """One group of a drill-down and what of it may be shown."""

    group: str
    result: MetricResult
    #: 1–7 cases in all: only the group's name is shown.
    small: bool = False
    #: The latest point has 1–7 cases behind it: its value and count are shown as "*".
    latest_hidden: bool = False
    #: What people call the group (a consultant's name for their code).
    name: str = ""
    #: The latest point is hidden by its chain's rule alone (``Catalogue.nested_counts``: it and another
    #: count of one census differ by 1–7), not by its own counts: it still needs partners.
    held: bool = False

    @property
    def mean(self) -> float | None:
        """The mean of the latest period's points as the drill-down shows it, None for "*". Exact where
        none of them is hidden (nor the latest, a partner's: its exact mean had given the latest back).
        Where some are: a measure whose points are counts of people, "*" (the mean of a steady 3 every
        month, each "*", was 3); any other (a stay, a share), coarsened (``coarse_limits`` with how far
        one person moves each point: the points times the mean, less those shown, leaves the hidden
        ones uncertain by the limits' width and by 8 people), not "*" (an outside check: every
        consultant's mean stay was "*"), unless that rounding is coarse beside the limits or the mean
        and would misread. "*" for a small group too."""
        chart, hidden, metric = self.result.chart, self.result.hidden, self.result.metric
        if self.small:
            return None
        if hidden is None:
            return float(chart.latest.mean)
        in_period = np.asarray(chart.rebase_group) == chart.rebase_group[-1]
        hidden = np.asarray(hidden, dtype=bool).copy()
        hidden[-1] |= self.latest_hidden
        if not hidden[in_period].any():
            return float(chart.latest.mean)
        if metric.numerator_is_count and metric.denominator is None:
            return None
        # rounded by more than an eighth of the limits' width as drawn either way, it would misread (a
        # consultant's 66.9% within 36 hours had read 100%, then 50%: limits 0-260% drawn 0-100%)
        step = coarse_step(chart, hidden, in_period, self.result.one_person)
        lower, upper = drawn_limits(chart.lpl[-1:], chart.upl[-1:], chart.y, metric.unit)
        if not (step <= (upper[0] - lower[0]) / 4 and step <= abs(chart.latest.mean) / 2):
            return None  # nor by more than a quarter of itself (a mortality of 7.7% read "about 10%")
        mean = coarse_limits(chart, hidden, self.result.one_person)[0][-1]
        return float(mean) if np.isfinite(mean) else None

    @property
    def latest_empty(self) -> bool:
        """The latest month had no cases ("–"): no variation or assurance is read for it (a final check
        read "Common cause variation" beside a month with no value)."""
        return not np.isfinite(self.result.chart.y[-1])

    @property
    def mean_rounded(self) -> bool:
        """The mean is shown rounded (``mean``), and said to be: "about 70%"."""
        mean = self.mean
        return mean is not None and mean != float(self.result.chart.latest.mean)

    @classmethod
    def of(cls, group: str, result: MetricResult, suppress: bool, name: str = "") -> Breakdown:
        if not suppress or result.hidden is None:
            return cls(group, result, name=name or group)
        small = bool(is_small(np.nansum(result.denominator)))
        metric, latest = result.metric, slice(-1, None)
        own = hidden_points(
            result.numerator[latest], result.denominator[latest], metric.numerator_is_count, metric.percentile
        )[0]
        hidden = small or bool(result.hidden[-1])
        return cls(group, result, small, hidden, name or group, held=hidden and not small and not own)


def complemented(
    rows: list[Breakdown], whole_latest: tuple[float, float] = (np.nan, np.nan), held: str | None = None
) -> list[Breakdown]:
    """Secondary suppression: a hidden latest value could be worked out from the measure's total (on
    its chart and in exports) less the groups shown, so partners are hidden too. One hidden set per
    count behind the latest values (``metrics.suppression.hidden_rows``): the cases (denominator) and,
    where the numerator counts people, those counted and those not (a share's two sides), a row hidden
    by any. Decided as the Waiting list page and `stats --by` decide theirs, the groups in order of
    their names and what they leave of the measure's latest total (``whole_latest``: denominator and
    numerator; those with no group recorded) one more row, so that two drill-downs, or a drill-down and
    the page, never hide different groups for one count (outside checks recovered a lone P1 so).
    ``held``: the count ("numerator" or "outside") the measure's chain of nested counts hides rows of
    (``Breakdown.held``), partnered in that count's set: only this drill-down shows it by these groups."""
    if not rows:
        return rows
    # by name, those with none recorded last, as the page and `stats --by` order them (ties break alike)
    order = sorted(range(len(rows)), key=lambda i: (rows[i].group == NOT_RECORDED, rows[i].group))
    counted = rows[0].result.metric.numerator_is_count

    def latest(part: str) -> np.ndarray:
        values = [getattr(rows[i].result, part) for i in order]
        found = np.array([np.nan if v is None else v[-1] for v in values], dtype=float)
        whole = whole_latest[0 if part == "denominator" else 1]
        left = float(whole) - float(np.nansum(found)) if np.isfinite(whole) else 0.0
        return np.r_[found, left]

    cases = latest("denominator")
    counts = [cases]
    if counted and rows[0].result.numerator is not None:
        counted_in = latest("numerator")
        counts += [counted_in, cases - counted_in]
    held_rows = np.r_[[rows[i].held for i in order], False]
    at = {"numerator": min(1, len(counts) - 1), "outside": 2}.get(held or "")
    hidden = hidden_rows(counts, [held_rows if k == at else None for k in range(len(counts))])
    hidden[:-1] |= [rows[i].latest_hidden for i in order]  # whatever else hid a latest value
    decided = dict(zip(order, hidden[:-1], strict=True))
    return [
        dataclasses.replace(r, latest_hidden=True) if decided[i] and not r.latest_hidden else r
        for i, r in enumerate(rows)
    ]


_REVISION = "stocktake.workspace.revision"


class Workspace:
    """Thread-safe: one per process; the DuckDB file is opened read-only only while reading it."""

    def __init__(
        self,
        warehouse: Path,
        catalogue_path: Path,
        department_source: str = "",
        names: dict[str, dict[str, str]] | None = None,
        department: str = "",
    ):
        self.warehouse = Path(warehouse)
        #: headed with the home's name for the department (the catalogue's where it gives none)
        self.catalogue: Catalogue = load_catalogue(catalogue_path, department)
        #: Per dimension, code → name (the home's names.yaml): drill-downs show names, not codes.
        self.names = names or {}
        self.source = department_source or f"Warehouse {self.warehouse.name}"
        #: Held while the warehouse is read or written (uploads hold it while they write): DuckDB
        #: refuses a reader and a writer with different settings on one file in one process.
        self.lock = threading.RLock()
        self._cache_lock = threading.Lock()  # over the caches' dictionaries only, never while making
        self._series: dict[tuple, dict[str, pd.DataFrame]] = {}
        self._built: dict[tuple, object] = {}
        self._gates: dict[tuple, threading.Lock] = {}  # one per thing being made (``_once``)

    # The warehouse's series

    def series(self, by: str | None = None) -> dict[str, pd.DataFrame]:
        if not self.warehouse.exists():
            raise FileNotFoundError(f"{self.warehouse}: no warehouse yet (upload extracts first)")
        key = (self._warehouse_version(), by)
        compute = partial(self._read, partial(run_catalogue, grain=Grain(by=by)))
        if by is not None:
            compute = partial(self._from_the_whole_start, compute)
        found = self._once(self._series, key, compute)
        with self._cache_lock:  # series of an earlier warehouse are never asked for again
            for old in [k for k in self._series if k[0] != key[0]]:
                del self._series[old]
        return found

    def _from_the_whole_start(self, compute: Callable) -> dict[str, pd.DataFrame]:
        """Series by a group, each from the month the department's own chart starts: by priority, which
        only the waiting list has, they had started at its first clock start, years of a list filling up
        (an outside check: P4 at 100% within 18 weeks in 2020, its mean hidden for those months)."""
        whole = self.series()
        return {
            i: frame[frame["period"] >= whole[i]["period"].min()].reset_index(drop=True)
            if i in whole and len(whole[i]) and "period" in frame
            else frame
            for i, frame in compute().items()
        }

    def reaches(self) -> dict[str, Reach]:
        """How far each measure's data go: its latest complete month, and an incomplete one left out
        of its chart (ADR 29)."""
        return self._once(self._built, ("reaches", self._warehouse_version()), partial(self._read, reaches))

    def absent(self) -> dict[str, tuple[str, ...]]:
        """The measures the warehouse cannot give, with what each lacks (a dataset, or a field the
        mapping left out): the overview names them, as the board report does."""
        if not self.warehouse.exists():
            return {}
        return self._once(
            self._built, ("absent", self._warehouse_version()), partial(self._read, missing_data)
        )

    def _read(self, read: Callable):
        """``read(connection, catalogue)`` on the warehouse."""
        with self.lock:
            con = connect_ibis(self.warehouse)
            try:
                return read(con, self.catalogue)
            finally:
                con.disconnect()

    def warm(self, sessions: Callable[[], Session] | None = None) -> None:
        """Compute what the first visitors would otherwise wait for: the overview's series and (given
        the app database's ``sessions``) its stock-take, then each drill-down dimension's series."""
        if not self.warehouse.exists():
            return
        self.series()
        self.series("site")
        self.reaches()
        self.absent()
        if sessions is not None:
            with sessions() as session:
                self.stocktake(session)
        for by in self.catalogue.dimensions:  # after all the overview needs, which a lead opens first
            self.series(by)
        warm_up_drawing()  # matplotlib's first drawing loads its fonts: not in a lead's first chart

    def ready(self) -> bool:
        """Whether the warehouse's series are all made (``warm`` has run since the last load): what a
        readiness probe asks before sending people to this server."""
        if not self.warehouse.exists():
            return True  # nothing to make: the pages say there is no data yet
        version = self._warehouse_version()
        with self._cache_lock:
            return all((version, by) in self._series for by in (None, *self.catalogue.dimensions))

    def _warehouse_version(self) -> int:
        return self.warehouse.stat().st_mtime_ns if self.warehouse.exists() else 0

    def groups(self, by: str) -> list[str]:
        """The values of a dimension in the warehouse (e.g. every site), sorted."""
        key = ("groups", by, self._warehouse_version())
        return self._once(
            self._built,
            key,
            lambda: sorted({str(g) for f in self.series(by).values() for g in f[by].unique()}),
        )

    # The stock-take, with the department's own targets and marks

    def revision(self, session: Session) -> tuple:
        """Changes whenever the warehouse or anything shown on a chart changes.

        The app database is asked once per transaction of ``session`` (a page asks several times).
        """
        read = session.info.get(_REVISION)
        if read is None or read[0] is not session.get_transaction():
            latest = session.scalar(
                select(func.max(AuditEvent.id)).where(AuditEvent.action.in_(CHART_CHANGES))
            )
            read = session.info[_REVISION] = (session.get_transaction(), latest)
        return (self._warehouse_version(), read[1])

    def stocktake(self, session: Session, *, site: str | None = None, period: str | None = None) -> StockTake:
        """Every measure placed, at one site or all; with ``period`` (YYYY-MM), as it stood at the
        end of that month (later months left out, as ``stocktake report --period`` does)."""
        return self.cached(
            ("stocktake", site, period), session, lambda: self._stocktake(session, site, period)
        )

    def drilldown(
        self, session: Session, metric_id: str, by: str, *, suppress: bool = True
    ) -> list[Breakdown]:
        """The metric for each value of ``by`` (site, consultant, procedure group…), largest first.

        With ``suppress`` (the default setting) what has 1–7 cases behind it is hidden, as exports
        hide it: a consultant's one case is one patient's outcome, and viewers read this page.
        """
        setting = session.get(TargetSetting, metric_id)
        target = setting.value if setting else self._resolved_target(session, metric_id)

        def made() -> list[Breakdown]:
            rows = [
                Breakdown.of(g, r, suppress, self.name_of(by, g))
                for g, r in self._drilldown(metric_id, by, target)
            ]
            if all(r.group == NOT_RECORDED for r in rows):  # a column loaded blank: nothing to break down
                return []
            if not suppress:
                return rows
            return complemented(rows, self._whole_latest(metric_id, by), self._held_count(metric_id))

        return self.cached(("drilldown", metric_id, by, suppress), session, made)

    def peers(self, session: Session, metric_id: str, by: str, *, suppress: bool = True):
        """The measure's groups over the last year on a funnel plot (``verdicts.peers``), or None."""
        frame = self.series(by).get(metric_id)
        if frame is None:
            return None
        metric = self.catalogue.metric(metric_id)
        if self.catalogue.dimensions[by].own_standards:
            return None

        def made():
            compared = compare_peers(metric, frame, by, suppress=suppress)
            if compared is None or not (suppress and metric.stock):
                return compared
            # a census is compared at the drill-down's latest month: hide at least what it hides (its
            # chain's held rows and their partners), or the two pages together give a row back
            drilled = {r.group for r in self.drilldown(session, metric_id, by) if r.latest_hidden}
            also = np.array([g in drilled for g in compared.groups], dtype=bool)
            return dataclasses.replace(compared, hidden=compared.hidden | also)

        return self.cached(("peers", metric_id, by, suppress), session, made)

    def name_of(self, dimension: str, code: str) -> str:
        """What people call a group: the home's names.yaml says (consultants' names for their codes);
        else a code in lower case reads as words ("hip_fracture_fixation": "Hip fracture fixation",
        "hand": "Hand", beside it in one table); else the code as it is."""
        named = self.names.get(dimension, {}).get(str(code))
        if named:
            return named
        return code.replace("_", " ").capitalize() if code.islower() else code

    def marks(self, session: Session) -> dict[str, list[Mark]]:
        return self.cached(("marks",), session, lambda: self._marks(session))

    def cached(self, what: tuple, session: Session, make):
        """``make()``'s result, kept until the warehouse or anything on a chart changes.

        At most 256 results are kept, the least recently used going first: a viewer asking for many
        targets (each a key) pushes out only what nobody has read since, never every page's results.
        """
        limit = 256
        key = (*what, self.revision(session))
        with self._cache_lock:
            if key in self._built:  # read again: now the most recently used (a dict keeps its order)
                self._built[key] = self._built.pop(key)
        value = self._once(self._built, key, make)
        with self._cache_lock:
            while len(self._built) > limit:
                del self._built[next(iter(self._built))]
        return value

    def _once(self, store: dict, key: tuple, make):
        """``store[key]``, made once: a second asker of the same key waits for the first, but no lock
        over the caches is held while it is made, so a page needing something else (already
        made) is not kept waiting behind the start-up warming or a slow drill-down."""
        with self._cache_lock:
            if key in store:
                return store[key]
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._cache_lock:
                if key in store:
                    return store[key]
            value = make()
            with self._cache_lock:
                store[key] = value
                self._gates.pop(key, None)
            return value

    def _stocktake(self, session: Session, site: str | None, period: str | None = None) -> StockTake:
        series = self.series()
        no_data = titled(self.catalogue, self.absent())
        also_hidden: dict[str, set] = {}
        if site is not None:
            site_series = self.series("site")
            by_site = {i: _only(frame, "site", site) for i, frame in site_series.items()}
            # Measures not measured by site (the waiting list's pathways hold none) and those with no
            # record at this site (a service it does not run) are named, never dropped unsaid.
            no_data += titled(
                self.catalogue,
                {i: (NOT_BY_SITE,) for i in series if i not in site_series}
                | {i: (NO_RECORDS_HERE,) for i, frame in by_site.items() if not len(frame)},
            )
            series = {i: frame for i, frame in by_site.items() if len(frame)}
            # hidden with the complements that keep every site's small points from being worked out
            # from the other sites' reports and the whole department's (ADR 9, 46)
            also_hidden = {
                i: hidden_across_groups(frame, "site", self.catalogue.metric(i).numerator_is_count).get(
                    str(site), set()
                )
                for i, frame in site_series.items()
            }
        if period is not None:
            last = pd.Timestamp(f"{period}-01") + pd.offsets.MonthEnd(0)
            cut = {i: frame[frame["period"] <= last].reset_index(drop=True) for i, frame in series.items()}
            series = {i: frame for i, frame in cut.items() if len(frame)}
        # Measures whose datasets are not loaded (or that a site does not provide) are left out.
        catalogue = dataclasses.replace(
            self.catalogue, metrics=tuple(m for m in self.catalogue.metrics if m.id in series)
        )
        settings = {t.metric_id: t for t in session.scalars(select(TargetSetting))}
        return take_stock(
            catalogue,
            series,
            self.source + (f", {site}" if site else ""),
            marks=self.marks(session),
            targets={i: t.value for i, t in settings.items() if i in series},
            target_bases={i: t.basis for i, t in settings.items()},
            no_data=no_data,
            also_hidden=also_hidden,
        )

    def rebase_readings(self, session: Session, metric_id: str, dated: date) -> str:
        """Both readings of a metric around a new rebase on ``dated``, in words, for the audit log.

        The department-wide chart with the metric's change dates and target, read once with the
        new rebase and once without it, so the log keeps what the rebase changed.
        """
        metric = self.catalogue.metric(metric_id)
        single = dataclasses.replace(self.catalogue, metrics=(metric,))
        setting = session.get(TargetSetting, metric_id)
        targets = {metric_id: setting.value} if setting else {}
        earlier = [m.dated for m in self.marks(session).get(metric_id, []) if m.rebase]

        def reading(dates: list[date]) -> Entry:
            marks = {metric_id: [Mark(d, "", rebase=True) for d in dates]}
            return take_stock(single, self.series(), self.source, marks=marks, targets=targets).entries[0]

        return describe_rebase(dated, reading([*earlier, dated]), reading(earlier))

    def _whole_latest(self, metric_id: str, by: str) -> tuple[float, float]:
        """The measure's latest denominator and numerator for the whole department, in the groups'
        latest month: what the groups leave of them are those with no group recorded (NaN without)."""
        whole, groups = self.series().get(metric_id), self.series(by).get(metric_id)
        if whole is None or groups is None or "denominator" not in whole or not len(groups):
            return float("nan"), float("nan")
        at = whole[whole["period"] == groups["period"].max()]
        if not len(at):
            return float("nan"), float("nan")
        return float(at["denominator"].iloc[0]), float(at["numerator"].iloc[0])

    def _held_count(self, metric_id: str) -> str | None:
        """Which of the measure's counts its chains of nested counts hide rows of (``complemented``)."""
        parts = {p for chain in self.catalogue.chains_of(metric_id) for p in chain}
        return "outside" if f"{metric_id}.outside" in parts else "numerator" if metric_id in parts else None

    def _resolved_target(self, session: Session, metric_id: str) -> float | None:
        """The department's target where the catalogue's asks for a least gain (ADR 78): its groups are
        read against it, not each against its own month (which a drill-down may hide); else None."""
        target = self.catalogue.metric(metric_id).target
        if target is None or target.at_least_better_by is None:
            return None
        found = [e for e in self.stocktake(session).entries if e.result.metric.id == metric_id]
        return found[0].result.chart.target if found else None

    def _drilldown(self, metric_id: str, by: str, target: float | None) -> list[tuple[str, MetricResult]]:
        """Each group's chart, read against the department's target when one is set. A measure in a
        chain of nested counts is read with the chain's other measures for the group, so that its points
        are hidden where two drill-downs' counts would differ by 1–7 (an outside check: waiting 12 beside
        over 52 weeks 9 for one consultant gave the 3 waiting less than a year)."""
        all_groups = self.series(by)
        frame = all_groups.get(metric_id)
        if frame is None:
            return []
        chains = self.catalogue.chains_of(metric_id)
        read_with = {p.partition(".")[0] for chain in chains for p in chain} & set(all_groups)
        chained = dataclasses.replace(
            self.catalogue,
            metrics=tuple(m for m in self.catalogue.metrics if m.id in read_with),
            nested_counts=chains,
        )
        metric = self.catalogue.metric(metric_id)
        if metric.target is not None and metric.target.at_least_better_by is not None:  # the department's
            metric = dataclasses.replace(
                metric, target=dataclasses.replace(metric.target, at_least_better_by=None, than=None)
            )
        if self.catalogue.dimensions[by].own_standards:  # a P2's month is not the 18 weeks
            metric, target = dataclasses.replace(metric, target=None), None
        single = dataclasses.replace(self.catalogue, metrics=(metric,))
        sizes = frame.groupby(by)["denominator"].sum().sort_values(ascending=False)
        targets = {metric_id: target} if target is not None else None

        def result(group) -> MetricResult:
            own = analyse(single, {metric_id: _only(frame, by, group)}, targets=targets)[0]
            if not chains or own.hidden is None:
                return own
            held = chain_hidden(chained, {i: _only(all_groups[i], by, group) for i in read_with})
            return dataclasses.replace(own, hidden=own.hidden | held[metric_id])

        # a group with no cases in any month (no consultant recorded on any stay) has no reading
        kept = [group for group in sizes.index if sizes[group] > 0 and len(_only(frame, by, group))]
        return [(str(group), result(group)) for group in kept]

    def _marks(self, session: Session) -> dict[str, list[Mark]]:
        marks: dict[str, list[Mark]] = {}
        for a in session.scalars(select(Annotation).order_by(Annotation.dated)):
            marks.setdefault(a.metric_id, []).append(Mark(a.dated, a.label, a.rebase))
        cycles = session.execute(
            select(ProjectMeasure.metric_id, Project.title, PdsaCycle.title, PdsaCycle.started_on)
            .join(Project, Project.id == ProjectMeasure.project_id)
            .join(PdsaCycle, PdsaCycle.project_id == Project.id)
            .where(Project.withdrawn_at.is_(None), PdsaCycle.withdrawn_at.is_(None))  # taken back: no mark
            .order_by(PdsaCycle.started_on)
        )
        for metric_id, project, cycle, started in cycles:
            marks.setdefault(metric_id, []).append(Mark(started, f"PDSA: {cycle} ({project})"))
        return marks


def _only(frame: pd.DataFrame, column: str, value) -> pd.DataFrame:
    return frame[frame[column].astype(str) == str(value)].drop(columns=column).reset_index(drop=True)
