"""`stocktake report`: the stock-take of a warehouse, as HTML, PDF and Excel, for a chosen month.

The use-case of the command: it reads the report's own input files (``report.inputs``), opens the
warehouse, hands the series to ``verdicts.take_stock`` and chooses the renderers; it stays beside
them because the web's downloads (``write_stocktake``) use the same renderers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stocktake.files.expected import ExpectedFileError, kept_expected
from stocktake.files.peer_figures import PeerFiguresError, damaged_words, kept_peer_figures
from stocktake.files.procurement import holds_orders, warehouse_opportunities
from stocktake.metrics.catalogue import DEFAULT_CATALOGUE, load_catalogue
from stocktake.metrics.run import Grain, missing_data, run_catalogue
from stocktake.report.inputs import for_metric, load_annotations, load_targets, resolve_target
from stocktake.report.waitinglist import holds_pathways, warehouse_overview
from stocktake.settings import SettingsError, read_home_file
from stocktake.verdicts import Mark, StockTake, take_stock
from stocktake.verdicts.expected import (
    ObservedExpected,
    compare_observed_expected,
    compares_observed_expected,
    not_compared,
)
from stocktake.verdicts.peers import compare_every_measure, funnel_method
from stocktake.verdicts.trusts import (
    ShownTotal,
    TrustComparison,
    compare_with_trusts,
    shown_totals,
    trust_not_compared,
)
from stocktake.verdicts.waitinglist import Overview as WaitingListOverview
from stocktake.verdicts.waitinglist import OverviewError, for_own_target, own_target, tail_counts_fixed
from stocktake.warehouse import connect_ibis, problems

FORMATS = ("html", "pdf", "xlsx")


@dataclass(frozen=True)
class ReportRequest:
    warehouse: Path
    out: Path
    formats: tuple[str, ...] = FORMATS
    period: str | None = None  # YYYY-MM: the last month to include
    annotations: Path | None = None
    targets: Path | None = None
    catalogue: Path = DEFAULT_CATALOGUE
    source: str = ""
    department: str = ""  # the home's name for it, which heads the report (the catalogue's if "")


def stock_take(request: ReportRequest) -> StockTake:
    """Run the catalogue on the warehouse and place every measure."""
    catalogue = load_catalogue(request.catalogue, request.department)
    ids = {m.id for m in catalogue.metrics}
    with problems(request.warehouse):
        con = connect_ibis(request.warehouse)
        try:
            absent = missing_data(con, catalogue)
            series = run_catalogue(con, catalogue)
            by_site = (
                run_catalogue(con, catalogue, Grain(by="site")) if "site" in catalogue.dimensions else {}
            )
        finally:
            con.disconnect()
    if not series:
        raise ValueError(f"{request.warehouse}: no data for any measure (no extract of theirs is loaded)")
    catalogue = dataclasses.replace(catalogue, metrics=tuple(m for m in catalogue.metrics if m.id in series))
    if request.period:
        last = pd.Timestamp(f"{request.period}-01") + pd.offsets.MonthEnd(0)
        first = min(v["period"].min() for v in series.values())
        series = {k: v[v["period"] <= last].reset_index(drop=True) for k, v in series.items()}
        if not any(len(v) for v in series.values()):  # a report of nothing had been written, exit 0
            raise ValueError(
                f"--period {request.period}: before any measure's data, which start in {first:%B %Y}"
            )
    changes = load_annotations(request.annotations, ids) if request.annotations else []
    specs = load_targets(request.targets, ids) if request.targets else {}
    targets, trajectories, bases = {}, {}, {}
    for metric_id, spec in specs.items():
        if metric_id not in series:
            continue
        frame = series[metric_id]
        metric = next(m for m in catalogue.metrics if m.id == metric_id)
        where = f"{request.targets}: targets.{metric_id}"
        target, planned = resolve_target(
            spec, pd.DatetimeIndex(frame["period"]), frame["value"], metric.improvement, where, metric.unit
        )
        targets[metric_id], bases[metric_id] = target.value, target.basis
        if planned is not None:
            trajectories[metric_id] = planned
    taken = take_stock(
        catalogue,
        series,
        request.source or f"Warehouse {request.warehouse.name}",
        marks={i: [Mark(a.date, a.label, a.rebase) for a in for_metric(changes, i)] for i in ids},
        targets=targets,
        target_bases=bases,
        trajectories=trajectories,
        no_data=tuple(absent.items()),  # by id: analysts script against them
    )
    period = pd.Period(request.period, freq="M") if request.period else None
    return with_board_sections(taken, catalogue, by_site, request.warehouse, period)


def with_board_sections(
    taken: StockTake,
    catalogue,
    by_site: dict[str, pd.DataFrame],
    warehouse: Path,
    last: pd.Period | None = None,
    home: Path | None = None,
) -> StockTake:
    """The stock-take with the board's "Compared with peers" (each measure with a funnel across
    sites, small groups hidden), "Procurement opportunities" (the year's top savings by site, when
    the warehouse holds orders) and "Waiting list" (when it holds pathways) sections, each over the
    year to ``last`` (default: the latest month). Opens the warehouse read-only: a caller that shares
    it with writers holds their lock. Outcome measures with expected counts kept in ``home`` (default:
    the warehouse's folder; ADR 34) are compared observed ÷ expected too."""
    shown = [m for m in catalogue.metrics if m.id in {e.result.metric.id for e in taken.entries}]
    if last is not None:
        end = last.to_timestamp(how="end")
        by_site = {k: v[v["period"] <= end].reset_index(drop=True) for k, v in by_site.items()}
    peers = compare_every_measure(shown, by_site, "site")
    observed = observed_expected(shown, by_site, home or Path(warehouse).parent)
    trusts = compared_with_trusts(taken, home or Path(warehouse).parent, shown=shown_totals(peers, observed))
    found = warehouse_opportunities(warehouse, last=last) if holds_orders(warehouse) else None
    waiting = waiting_list(warehouse, last)
    taken = counts_hidden_beside_bands(taken, catalogue, waiting)
    return dataclasses.replace(
        taken,
        peers=peers,
        observed_expected=observed,
        trusts=trusts,
        procurement=found,
        waiting_list=waiting,
        waiting_list_for_own_target=for_own_target(waiting, own_target(taken.entries)),
    )


def counts_hidden_beside_bands(taken: StockTake, catalogue, waiting: WaitingListOverview | None) -> StockTake:
    """In the waiting list's month, each measure counting inside the list past 52 weeks (the
    catalogue's nested counts after the 18-week one: over 52, 65, 78 weeks, in that order) is hidden
    unless the section's own figures fix it: printed beside the bands it would otherwise be a sum over
    hidden ones, and one the section fixes is shown as the section shows it (ADR 9)."""
    if waiting is None:
        return taken
    inner = [part for chain in catalogue.nested_counts for part in chain[1:] if "." not in part]
    fixed = dict(zip(inner, tail_counts_fixed(waiting.bands, waiting.over_52_hidden), strict=False))
    month = waiting.month.to_timestamp()
    entries = []
    for entry in taken.entries:
        k = entry.result.x.get_indexer([month])[0]
        if entry.result.metric.id in fixed and not fixed[entry.result.metric.id] and k >= 0:
            hidden = entry.hidden.copy()
            hidden[k] = True
            entry = dataclasses.replace(entry, result=dataclasses.replace(entry.result, hidden=hidden))
        entries.append(entry)
    return dataclasses.replace(taken, entries=tuple(entries))


def compared_with_trusts(
    taken: StockTake, home: Path, *, shown: dict[str, list[ShownTotal]] | None = None
) -> tuple[TrustComparison, ...]:
    """Each measure of the stock-take with other trusts' figures kept in ``home`` (ADR 39), the
    department's own counts from its series in the stock-take (to the report's month), its trust
    named by the home's stocktake.toml. A kept file that cannot be read does not stop the report: its
    row says the file is damaged, named from the home, and how to replace it (issue 28)."""
    try:
        own = read_home_file(Path(home)).trust
    except SettingsError:
        own = ""
    found = []
    for entry in taken.entries:
        result, metric = entry.result, entry.result.metric
        if funnel_method(metric) is None or result.numerator is None or result.denominator is None:
            continue
        frame = pd.DataFrame(
            {"period": result.x, "numerator": result.numerator, "denominator": result.denominator}
        )
        try:
            kept = kept_peer_figures(home, metric.id, proportion=metric.unit == "%")
        except PeerFiguresError as error:
            compared = trust_not_compared(metric, frame, damaged_words(home, error), own=own)
            if compared is not None:
                found.append(compared)
            continue
        if kept is None:
            continue
        compared = compare_with_trusts(
            metric, frame, kept.figures, own=own, source=kept.source, shown=(shown or {}).get(metric.id, ())
        )
        if compared is not None:
            found.append(compared)
    return tuple(found)


def observed_expected(metrics, by_site: dict[str, pd.DataFrame], home: Path) -> tuple[ObservedExpected, ...]:
    """Each outcome measure with expected counts by site kept in ``home``, compared observed ÷
    expected over the months the counts are for, when they are the peers table's (the latest 12;
    small groups hidden); a kept file that cannot be read does not stop the report: the section says
    so, naming it from the home. Counts kept that match fewer than two sites with cases, or for other
    months, are not left out silently: the section says there is no comparison and why (issue 28)."""
    found = []
    for metric in metrics:
        if not compares_observed_expected(metric) or metric.id not in by_site:
            continue
        try:
            kept = kept_expected(home, metric.id, "site")
        except ExpectedFileError as error:  # the report carries on, saying so (issue 28)
            if not by_site[metric.id].empty:
                compared = not_compared(metric, by_site[metric.id], "site", {})
                note = (
                    f"Not compared: expected counts file damaged ({error}); "
                    "replace it with stocktake expected set"
                )
                found.append(dataclasses.replace(compared, note=note))
            continue
        if kept is None:
            continue
        frame = by_site[metric.id]
        compared = compare_observed_expected(metric, frame, "site", kept.counts, period=kept.months)
        if compared is None and not frame.empty:
            compared = not_compared(metric, frame, "site", kept.counts, period=kept.months)
        if compared is not None:
            source = f"{kept.name}, kept by {kept.kept_by} on {kept.at:%d %B %Y}; {kept.months_words}"
            found.append(dataclasses.replace(compared, source=source))
    return tuple(found)


def waiting_list(warehouse: Path, last: pd.Period | None = None) -> WaitingListOverview | None:
    """The board's "Waiting list" (the list now, in 12 months, its 18-week share and the capacity for
    92% within 18 weeks in a year) as at ``last``, or None when the warehouse holds no pathways or
    they cannot be read as a list (the rest of the report is not held up by it)."""
    if not holds_pathways(warehouse):
        return None
    try:
        return warehouse_overview(warehouse, last=last)
    except OverviewError:
        return None


def write_report(request: ReportRequest) -> list[Path]:
    return build_and_write(request)[1]


def build_and_write(request: ReportRequest) -> tuple[StockTake, list[Path]]:
    """The stock-take, and the files written (the command also lists the measures without data)."""
    unknown = set(request.formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format {sorted(unknown)[0]!r} (expected {', '.join(FORMATS)})")
    taken = stock_take(request)
    return taken, write_stocktake(taken, Path(request.out), request.formats)


def write_stocktake(stocktake: StockTake, out: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write ``stocktake.html``, ``.pdf`` and/or ``.xlsx`` into ``out``; the paths written."""
    from stocktake.report.html import render_report
    from stocktake.report.pdf import write_pdf
    from stocktake.report.xlsx import write_xlsx

    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "html" in formats:
        (out / "stocktake.html").write_text(render_report(stocktake))
        written.append(out / "stocktake.html")
    if "pdf" in formats:
        written.append(write_pdf(stocktake, out / "stocktake.pdf"))
    if "xlsx" in formats:
        written.append(write_xlsx(stocktake, out / "stocktake.xlsx"))
    return written
