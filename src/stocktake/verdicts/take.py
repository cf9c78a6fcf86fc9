"""The one path from series to a stock-take, shared by the CLI report, the demo and the web.

Pure: series, targets and dated marks in, a ``StockTake`` out. Opening the warehouse and running the
catalogue stay with the callers, so each keeps its own caching and error wording, while the verdicts
they show can never drift apart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from stocktake.metrics.catalogue import Catalogue
from stocktake.verdicts.analysis import analyse
from stocktake.verdicts.stocktake import StockTake, build


@dataclass(frozen=True)
class Mark:
    """A dated change on a chart: an annotation (which may restart the limits) or a PDSA cycle."""

    dated: date
    label: str
    rebase: bool = False


def take_stock(
    catalogue: Catalogue,
    series: dict[str, pd.DataFrame],
    source: str,
    *,
    marks: dict[str, list[Mark]] | None = None,
    targets: dict[str, float] | None = None,
    target_bases: dict[str, str] | None = None,
    trajectories: dict[str, np.ndarray] | None = None,
    no_data: tuple[tuple[str, tuple[str, ...]], ...] = (),
    also_hidden: dict[str, set] | None = None,
) -> StockTake:
    """Analyse every measure with values and place it: marks that rebase restart its limits, and
    every mark is drawn on its chart (a deferred rebase says why its limits did not restart).
    ``also_hidden``: periods of a measure to hide besides its own small ones (a site's report hides
    the complements that keep the other sites' small points from being worked out)."""
    marks = marks or {}
    results = analyse(
        catalogue,
        series,
        targets=targets,
        trajectories=trajectories,
        rebase={i: [m.dated for m in ms if m.rebase] for i, ms in marks.items()},
        also_hidden=also_hidden,
    )
    kept = {m.id for m in catalogue.metrics if not m.monthly}
    labels = {i: [(m.dated.isoformat(), _label(m, i in kept)) for m in ms] for i, ms in marks.items()}
    taken = build(catalogue.department, source, results, annotations=labels, target_bases=target_bases)
    return dataclasses.replace(taken, no_data=no_data)


def _label(mark: Mark, one_set: bool) -> str:
    """A mark's label on its chart; a restart asked of a chart that keeps one set of limits (a t chart
    of the time between rare events) says it was not made (an outside check: it was drawn as a plain
    mark, and the reader never told the request had no effect)."""
    if mark.rebase and one_set:
        return f"{mark.label} (limits not restarted: a chart of the time between events keeps one set)"
    return mark.label


def titled(
    catalogue: Catalogue, absent: dict[str, tuple[str, ...]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The measures without data by their titles, as a reader knows them, with what each lacks."""
    titles = {m.id: m.title for m in catalogue.metrics}
    return tuple((titles.get(metric_id, metric_id), lacking) for metric_id, lacking in absent.items())
