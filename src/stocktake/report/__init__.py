"""Reports: renderers of a stock-take (HTML, PDF, Excel, charts, icons) and readers of their inputs.

The stock-take itself is built in ``stocktake.verdicts``; ``report.run`` is the ``stocktake report``
use-case that reads the report's own input files, calls ``verdicts.take_stock`` and renders.
"""
