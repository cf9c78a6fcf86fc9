"""Verdicts: SPC applied to each measure's series, placed in the stock-take and put into words.

Sits above the series (``metrics``) and below everything that shows them (``report``, the web, the
demo): ``take_stock`` is the one way from series to a ``StockTake``.
"""

from stocktake.verdicts.analysis import MetricResult, analyse, summary_record
from stocktake.verdicts.stocktake import Entry, StockTake
from stocktake.verdicts.take import Mark, take_stock, titled

__all__ = ["Entry", "Mark", "MetricResult", "StockTake", "analyse", "summary_record", "take_stock", "titled"]
