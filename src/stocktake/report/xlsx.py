"""The stock-take as an Excel workbook: a summary sheet and one sheet of every series with its limits.

Values with 1–7 patients or events behind them are written as "*", never as numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from stocktake.files.peer_figures import period_words
from stocktake.files.procurement import opportunity_sheets
from stocktake.metrics.suppression import MASK, coarse_limits
from stocktake.report.icons import ASSURANCE_LABELS, variation_label
from stocktake.report.waitinglist import waiting_list_sheets
from stocktake.spreadsheets import keep_text
from stocktake.verdicts.changes import window_statement
from stocktake.verdicts.narrative import CATEGORIES, coarse_places, drawn_limits
from stocktake.verdicts.stocktake import StockTake
from stocktake.verdicts.waitinglist import own_target

HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="005EB8")


def _number(value: float):
    return None if value is None or np.isnan(value) else float(value)


def number_format(unit: str, decimals: int) -> str:
    """Excel's format for a measure's values: its own decimals, and "%" shown (not multiplied) for a
    percentage, which Stocktake keeps as 0–100."""
    digits = "0" + ("." + "0" * decimals if decimals > 0 else "")
    return f'{digits}"%"' if unit == "%" else digits


def _format_cells(cells, fmt: str) -> None:
    for cell in cells:
        if isinstance(cell.value, float):
            cell.number_format = fmt


def _format_coarse(cells, unit: str, decimals: int) -> None:
    """A mean or limit rounded beside hidden points, shown to its step's decimals as the words give
    it (``narrative.coarse_places``): a workbook had shown 8 as "8.0%"."""
    for cell in cells:
        if isinstance(cell.value, float):
            cell.number_format = number_format(unit, coarse_places(cell.value, decimals))


def write_xlsx(stocktake: StockTake, path: Path) -> Path:
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append([f"{stocktake.department}: stock-take, {stocktake.period_label}"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([stocktake.source])
    summary.append([])
    _header(
        summary,
        [
            "Area",
            "Measure",
            "Stock-take",
            "Latest period",
            "Latest",
            "Mean",
            "Lower limit",
            "Upper limit",
            "Target",
            "Target basis",
            "Variation",
            "Assurance",
            "What the chart shows",
            "Verdict without the latest rebase, where it changed",
        ],
    )
    for entry in stocktake.entries:
        result = entry.result
        latest = entry.latest_index
        value = MASK if entry.hidden[latest] else _number(result.chart.y[latest])
        mean, lpl, upl = _limits_as_said(entry)  # the latest period's, as exported
        row = _append(
            summary,
            [
                result.metric.area,
                result.metric.title,
                CATEGORIES[entry.category],
                result.x[latest].date(),
                value,
                _number(mean[latest]),
                _number(lpl[latest]),
                _number(upl[latest]),
                _number(result.chart.target) if result.chart.target is not None else None,
                entry.target_basis,
                variation_label(result.variation_type, result.metric.improvement),
                ASSURANCE_LABELS.get(result.assurance_type, "No target"),
                entry.sentence,
                entry.before_rebase.headline if entry.before_rebase else None,
            ],
        )
        _format_cells(
            [row[i] for i in (4, 5, 6, 7, 8)], number_format(result.metric.unit, result.metric.decimals)
        )
        if entry.hidden.any():
            _format_coarse([row[i] for i in (5, 6, 7)], result.metric.unit, result.metric.decimals)
    if stocktake.no_data:
        summary.append([])
        summary.append(["Not in this stock-take, for want of data:", "; ".join(stocktake.no_data_lines)])
    if stocktake.follow_up_note:
        summary.append(["Ending earlier:", stocktake.follow_up_note])
    if window := window_statement(stocktake.entries):  # each measure's own months, said (a recheck)
        summary.append(["Months:", window])
    _widths(summary, [22, 48, 20, 14, 10, 10, 12, 12, 10, 40, 36, 40, 90, 40])
    for row in summary.iter_rows(min_row=5, min_col=13, max_col=13):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    _series_sheet(book.create_sheet("Series"), stocktake)
    if stocktake.peers:
        _peers_sheet(book.create_sheet("Compared with peers"), stocktake)
    if stocktake.observed_expected:
        _observed_expected_sheet(book.create_sheet("Observed vs expected"), stocktake)
    if stocktake.trusts:
        _trusts_sheet(book.create_sheet("Other trusts"), stocktake)
    if stocktake.procurement is not None:
        for name, table in opportunity_sheets(stocktake.procurement).items():
            _table_sheet(book.create_sheet(f"Procurement {name.lower()}"), table)
    if stocktake.waiting_list is not None:
        sheets = waiting_list_sheets(
            stocktake.waiting_list,
            stocktake.generated_at.date(),
            own_target(stocktake.entries),
            stocktake.waiting_list_for_own_target,
        )
        for name, table in sheets.items():
            _table_sheet(book.create_sheet(name), table)
    keep_text(book)
    book.save(path)
    return Path(path)


def _limits_as_said(entry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean and limits as the chart draws them and the sentence quotes them: coarsened beside
    hidden points, and never below 0 (or above 100%) for a measure that cannot be (ADR 9)."""
    chart = entry.result.chart
    mean, lpl, upl = coarse_limits(chart, entry.hidden)
    lpl, upl = drawn_limits(lpl, upl, chart.y, entry.result.metric.unit)
    return mean, lpl, upl


def _series_sheet(sheet, stocktake: StockTake) -> None:
    _header(
        sheet,
        [
            "Measure id",
            "Measure",
            "Unit",
            "Period",
            "Value",
            "Numerator",
            "Denominator",
            "Mean",
            "Lower limit",
            "Upper limit",
            "Point type",
        ],
    )
    for entry in stocktake.entries:
        result, chart = entry.result, entry.result.chart
        value_format = number_format(result.metric.unit, result.metric.decimals)
        counts_whole = result.numerator is None or bool(
            np.all(np.isnan(result.numerator) | (result.numerator == np.round(result.numerator)))
        )
        mean, lpl, upl = _limits_as_said(entry)
        for i, when in enumerate(result.x):
            hidden = bool(entry.hidden[i])
            counts = [None, None]
            if result.numerator is not None:
                counts = (
                    [MASK, MASK] if hidden else [_number(result.numerator[i]), _number(result.denominator[i])]
                )
            row = _append(
                sheet,
                [
                    result.metric.id,
                    result.metric.title,
                    result.metric.unit,
                    when.to_pydatetime(),
                    MASK if hidden else _number(chart.y[i]),
                    *counts,
                    _number(mean[i]),
                    _number(lpl[i]),
                    _number(upl[i]),
                    str(chart.point_type[i]),
                ],
            )
            _format_cells([row[i] for i in (4, 7, 8, 9)], value_format)
            if entry.hidden.any():
                _format_coarse([row[i] for i in (7, 8, 9)], result.metric.unit, result.metric.decimals)
            _format_cells(row[5:7], "#,##0" if counts_whole else "#,##0.0")
    for cell in sheet["D"][1:]:
        cell.number_format = "yyyy-mm-dd"
    _widths(sheet, [30, 48, 16, 12, 12, 12, 12, 12, 12, 12, 28])
    sheet.freeze_panes = "A2"


def _peers_sheet(sheet, stocktake: StockTake) -> None:
    """Each site beyond a measure's 99.8% funnel limits over the last year (small groups left out)."""
    _header(
        sheet,
        [
            "Measure id",
            "Measure",
            "Site",
            "Value",
            "Events",
            "Cases",
            "Lower 99.8% limit",
            "Upper 99.8% limit",
            "Average",
            "Beyond the limits",
            "From",
            "To",
        ],
    )
    for comparison in stocktake.peers:
        metric = comparison.metric
        for o in comparison.outside_limits():
            row = _append(
                sheet,
                [
                    metric.id,
                    metric.title,
                    o.group,
                    o.value,
                    o.numerator,
                    o.denominator,
                    o.lower_998,
                    o.upper_998,
                    comparison.funnel.baseline,
                    "above" if o.high else "below",
                    comparison.first.date(),
                    comparison.last.date(),
                ],
            )
            _format_cells([row[i] for i in (3, 6, 7, 8)], number_format(metric.unit, metric.decimals))
            _format_cells(row[4:6], "#,##0")
            for cell in row[10:12]:
                cell.number_format = "yyyy-mm-dd"
    _widths(sheet, [30, 48, 22, 10, 10, 10, 14, 14, 10, 16, 12, 12])
    sheet.freeze_panes = "A2"


def _observed_expected_sheet(sheet, stocktake: StockTake) -> None:
    """Every site of each outcome measure observed ÷ expected (ADR 34); a hidden site's figures "*"."""
    _header(
        sheet,
        [
            "Measure id",
            "Measure",
            "Site",
            "Observed",
            "Expected",
            "Observed ÷ expected",
            "Lower 95% limit",
            "Upper 95% limit",
            "Lower 99.8% limit",
            "Upper 99.8% limit",
            "Compared with expected",
            "From",
            "To",
            "Expected counts",
        ],
    )
    for compared in stocktake.observed_expected:
        peers, f = compared.peers, compared.peers.funnel
        if compared.note:  # too few sites share the expected counts: said, not left out (issue 28)
            sheet.append([peers.metric.id, peers.metric.title, "", *[""] * 7, compared.note])
        for i, site in enumerate(peers.groups):
            figures = (
                [MASK] * 8
                if peers.hidden[i]
                else [
                    float(f.numerator[i]),
                    float(f.denominator[i]),
                    float(f.value[i]),
                    float(f.limits.lower_95[i]),
                    float(f.limits.upper_95[i]),
                    float(f.limits.lower_998[i]),
                    float(f.limits.upper_998[i]),
                    str(f.significance[i]),
                ]
            )
            row = _append(
                sheet,
                [
                    peers.metric.id,
                    peers.metric.title,
                    site,
                    *figures,
                    peers.first.date(),
                    peers.last.date(),
                    compared.source,
                ],
            )
            _format_cells([row[3]], "#,##0")
            _format_cells([row[4]], "#,##0.0")
            _format_cells(row[5:10], "0.00")
            for cell in row[11:13]:
                cell.number_format = "yyyy-mm-dd"
    _widths(sheet, [30, 48, 22, 10, 10, 12, 12, 12, 12, 12, 22, 12, 12, 48])
    sheet.freeze_panes = "A2"


def _table_sheet(sheet, table) -> None:
    _header(sheet, [str(c) for c in table.columns])
    for values in table.itertuples(index=False):
        sheet.append([None if isinstance(v, float) and np.isnan(v) else v for v in values])
    _widths(sheet, [24, 40, 22, 10, 14, 14, 14, 16, 80][: len(table.columns)])
    sheet.freeze_panes = "A2"


def _header(sheet, names: list[str]) -> None:
    for cell in _append(sheet, names):
        cell.font, cell.fill = HEADER, HEADER_FILL


def _append(sheet, values) -> list[Cell]:
    """Add a row and give back its cells (``sheet[sheet.max_row]`` reads every cell to find the
    last row: the sheet of every series took seconds)."""
    cells = [Cell(sheet, value=v) for v in values]
    sheet.append(cells)
    return cells


def _widths(sheet, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _trusts_sheet(sheet, stocktake: StockTake) -> None:
    """Each measure's "Compared with other trusts" (ADR 39): our value among the trusts' published
    figures; our figures "*" when 1–7 cases or events are behind them."""
    _header(
        sheet,
        [
            "Measure id",
            "Measure",
            "Our trust",
            "Our value",
            "Our events",
            "Our cases",
            "Other trusts' median",
            "Lower 95% limit",
            "Upper 95% limit",
            "Lower 99.8% limit",
            "Upper 99.8% limit",
            "Compared with the average",
            "Trusts",
            "Our months from",
            "Our months to",
            "Their figures' period",
            "Periods differ",
            "Source",
        ],
    )
    for c in stocktake.trusts:
        f, i, lim, metric = c.funnel, c.own_index, c.limits(), c.metric
        if f is None:  # no funnel (no events to draw a rate around) or a damaged file: the reason says
            ours, limits = ([MASK] * 3 if c.hidden else ["–"] * 3), ["–"] * 4 + [c.no_funnel]
        elif c.hidden:
            ours, limits = [MASK] * 3, [MASK] * 5
        else:
            ours = [float(f.value[i]), float(f.numerator[i]), float(f.denominator[i])]
            limits = [
                lim["lower_95"],
                lim["upper_95"],
                lim["lower_998"],
                lim["upper_998"],
                str(f.significance[i]),
            ]
        row = _append(
            sheet,
            [
                metric.id,
                metric.title,
                c.own,
                *ours,
                c.peers_median if len(c.units) > 1 else "–",
                *limits,
                len(c.units),
                c.first.date(),
                c.last.date(),
                period_words(c.peer_period),
                c.mismatch,
                c.source,
            ],
        )
        _format_cells([row[i] for i in (3, 6, 7, 8, 9, 10)], number_format(metric.unit, metric.decimals))
        _format_cells(row[4:6], "#,##0")
        for cell in row[13:15]:
            cell.number_format = "yyyy-mm-dd"
    _widths(sheet, [30, 48, 30, 10, 10, 10, 12, 12, 12, 12, 12, 22, 8, 12, 12, 26, 40, 48])
    sheet.freeze_panes = "A2"
