"""Nothing in a board report gives a waiting-list band of 1–7 patients away: the section's bands and
its over-52 count, and the measures table's counts over 52, 65 and 78 weeks and its 18-week share,
taken together for the section's month, and the measures alone for every other month.

Checked on the demo warehouse with waiting pathways moved so the bands beyond 35 weeks hold the
outsider's patterns (issue 26), by linear algebra over every sum the report prints.
"""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pandas as pd
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.report.run import ReportRequest, stock_take

pytestmark = pytest.mark.e2e

#: The section's bands (weeks): up to 18, 18–35, 35–52, 52–65, 65–78, over 78.
EDGES = (18, 35, 52, 65, 78)
#: What each measure counts, as the bands it adds up.
MEASURES = {"rtt_over_52_weeks": (3, 4, 5), "rtt_over_65_weeks": (4, 5), "rtt_over_78_weeks": (5,)}


def _warehouse(path, pattern: tuple[int, int, int, int] | None):
    """The demo's pathways; with a pattern, the waiting beyond 18 weeks moved so that 35–52, 52–65,
    65–78 and over 78 weeks hold those counts and the rest sit in 18–35 weeks."""
    tables = generate(Department(seed=11, months=36))
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
        if pattern is None:
            return path
        end = con.execute(
            "SELECT max(greatest(clock_start, coalesce(clock_stop, clock_start))) FROM rtt_pathways"
        )
        end = pd.Timestamp(end.fetchone()[0]).to_period("M") - 1
        last_day = end.end_time.normalize()
        ids = [
            row[0]
            for row in con.execute(
                "SELECT pathway_id FROM rtt_pathways WHERE clock_start <= ? AND (clock_stop IS NULL OR "
                "clock_stop > ?) AND clock_start < ? ORDER BY pathway_id",
                [last_day, last_day, last_day - pd.Timedelta(days=130)],
            ).fetchall()
        ]
        ranges = [(250, 360), (370, 450), (460, 540), (560, 640)]
        days = [
            int(low + (high - low) * (i + 0.5) / n)
            for (low, high), n in zip(ranges, pattern, strict=True)
            for i in range(n)
        ]
        days += [130 + k % 110 for k in range(len(ids) - len(days))]
        moves = pd.DataFrame(
            {"pathway_id": ids, "clock_start": [last_day - pd.Timedelta(days=d) for d in days]}
        )
        con.register("moves", moves)  # one UPDATE, not one a pathway (a few seconds a warehouse)
        con.execute(
            "UPDATE rtt_pathways SET clock_start = moves.clock_start FROM moves "
            "WHERE rtt_pathways.pathway_id = moves.pathway_id"
        )
    return path


def _pinned(bands: np.ndarray, published: list[tuple[int, ...]], hidden: np.ndarray) -> list[str]:
    """Hidden bands, alone or added, that the published sums fix, where that is 1–7 patients (or one band)."""
    unknown = np.flatnonzero(hidden)
    rows = []
    for cells in published:
        row = np.zeros(len(bands))
        row[list(cells)] = 1
        rows.append(row[unknown])
    system = np.array(rows) if rows else np.zeros((0, unknown.size))
    rank = np.linalg.matrix_rank(system) if rows else 0
    found = []
    for size in range(1, unknown.size + 1):
        for subset in itertools.combinations(range(unknown.size), size):
            vector = np.zeros(unknown.size)
            vector[list(subset)] = 1
            if np.linalg.matrix_rank(np.vstack([system, vector])) == rank:
                total = bands[unknown[list(subset)]].sum()
                if (size == 1 and total > 0) or 1 <= total <= 7:
                    found.append(f"bands {unknown[list(subset)].tolist()} = {total:.0f}")
    return found


@pytest.mark.parametrize(
    "pattern", [None, (93, 3, 10, 10), (3, 20, 0, 0), (93, 8, 7, 7), (6, 9, 6, 0)], ids=str
)
def test_no_band_of_1_to_7_can_be_worked_out_from_the_report(tmp_path, pattern):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", pattern)
    taken = stock_take(ReportRequest(warehouse, tmp_path))
    section = taken.waiting_list
    entries = {e.result.metric.id: e for e in taken.entries}
    bands = np.array([b.waiting for b in section.bands], dtype=float)
    hidden = np.array([b.hidden for b in section.bands])
    month = section.month.to_timestamp()

    def shown_at(metric_id: str) -> bool:
        entry = entries[metric_id]
        k = entry.result.x.get_indexer([month])[0]
        return k >= 0 and not entry.hidden[k]

    published = [tuple(range(6)), (0,)]  # the total, and the first band (the share within 18 weeks)
    published += [(i,) for i in np.flatnonzero(~hidden)]
    if not section.over_52_hidden:
        published.append((3, 4, 5))
    section_published = list(published)
    published += [cells for metric_id, cells in MEASURES.items() if shown_at(metric_id)]
    assert not _pinned(bands, published, hidden), (bands, hidden, published)
    # A measure hidden in the table is one the section does not print either: the report never says
    # "*" (fewer than 8) beside a section that gives the count (the outsider's 35 and "*").
    for metric_id, cells in MEASURES.items():
        fixed = _fixes(section_published, cells, len(bands))
        value = bands[list(cells)].sum()  # the measure counts as the bands do (ADR 19 addendum)
        assert shown_at(metric_id) == (fixed and not 1 <= value <= 7), (metric_id, bands, hidden)


def _fixes(published: list[tuple[int, ...]], cells: tuple[int, ...], n: int) -> bool:
    """Whether the sums published fix the sum over ``cells`` (it lies in their span)."""
    rows = np.array([np.isin(np.arange(n), list(c)).astype(float) for c in published])
    target = np.isin(np.arange(n), list(cells)).astype(float)
    return np.linalg.matrix_rank(np.vstack([rows, target])) == np.linalg.matrix_rank(rows)


def test_no_month_of_the_measures_alone_gives_the_patients_between_two_counts_away(tmp_path):
    """Every month of the Series: over 52, 65 and 78 weeks shown never differ by 1–7."""
    taken = stock_take(ReportRequest(_warehouse(tmp_path / "warehouse.duckdb", None), tmp_path))
    entries = {e.result.metric.id: e for e in taken.entries}
    chain = [entries[i] for i in ("rtt_over_52_weeks", "rtt_over_65_weeks", "rtt_over_78_weeks")]
    months = sorted(set().union(*(set(e.result.x) for e in chain)))
    compared = 0
    for month in months:
        shown = []
        for entry in chain:
            k = entry.result.x.get_indexer([month])[0]
            if k >= 0 and not entry.hidden[k]:
                shown.append(entry.result.numerator[k])
        for outer, inner in itertools.combinations(shown, 2):
            compared += 1
            assert not 1 <= outer - inner <= 7, (month, shown)
    assert compared > 20
