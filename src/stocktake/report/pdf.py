"""The stock-take as an A4 PDF: summary first, static charts, page numbers (WeasyPrint)."""

from __future__ import annotations

from pathlib import Path

from stocktake.report.html import render_report
from stocktake.verdicts.stocktake import StockTake


def write_pdf(stocktake: StockTake, path: Path) -> Path:
    from weasyprint import HTML

    HTML(string=render_report(stocktake, static=True)).write_pdf(Path(path))
    return Path(path)
