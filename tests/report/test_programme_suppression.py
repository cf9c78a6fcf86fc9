"""No hidden Likert cell can be worked out from what the same export shows (issue 29's second attack).

Each export of the demo's surveys (the analyst's CSV, workbook and HTML; the board's workbook and
HTML) is read back as a reader would, and a solver written here tries every equation the export
gives: an item's answered count is the sum of its cells, a shown share times the answered count is
a cell, the "top two levels" share times the answered count is the two top cells. Any equation with
one unknown is solved and substituted, until nothing changes. No hidden cell may be solved.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from types import SimpleNamespace

import numpy as np
import pytest
from openpyxl import load_workbook

from stocktake.demo.programme import COHORTS, DOMAINS, SCALE, _surveys
from stocktake.metrics.suppression import MASK
from stocktake.programmes.attendance import SessionMarks, cohort_attendance
from stocktake.report.programme import EvaluateRequest, evaluate_files
from stocktake.report.programme_board import programme_report


def solved_hidden(n: int, cells: list, shares: list, top_two: float | None) -> list[int]:
    """The positions of hidden cells (None) that the equations solve; ``shares`` and ``top_two`` are
    None where hidden."""
    cells = list(cells)
    hidden = [i for i, c in enumerate(cells) if c is None]
    equations = [(list(range(len(cells))), n)]
    equations += [([i], share * n) for i, share in enumerate(shares) if share is not None]
    if top_two is not None:
        equations.append(([len(cells) - 2, len(cells) - 1], top_two * n))
    progress = True
    while progress:
        progress = False
        for positions, total in equations:
            unknown = [i for i in positions if cells[i] is None]
            if len(unknown) == 1:
                cells[unknown[0]] = round(total - sum(cells[i] for i in positions if i != unknown[0]))
                progress = True
    return [i for i in hidden if cells[i] is not None]


def _number(value):
    if value in (None, "", MASK):
        return None
    return float(value)


def check_rows(likert: list[dict], items: list[dict], keys: tuple[str, ...], names: dict[str, str]) -> int:
    """Every item's cells (``likert`` rows) against its answered count and top-two share (``items``);
    ``names`` maps the roles (count, share, answered, top, score) to the export's column names."""
    tops = {tuple(r[k] for k in keys): r for r in items}
    groups = defaultdict(list)
    for row in likert:
        groups[tuple(row[k] for k in keys)].append(row)
    checked = 0
    for key, rows in groups.items():
        rows.sort(key=lambda r: int(r[names["score"]]))
        cells = [
            None if _number(r[names["count"]]) is None else int(_number(r[names["count"]])) for r in rows
        ]
        shares = [_number(r[names["share"]]) for r in rows]
        item = tops[key]
        answered = int(_number(item[names["answered"]]))
        top_two = _number(item[names["top"]]) if names["top"] in item else None
        if None in cells:
            checked += 1
        assert not solved_hidden(answered, cells, shares, top_two), (key, cells, shares, top_two, answered)
    return checked


def _csv_rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def _sheet_rows(book, name: str) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def html_rows(page: str) -> list[tuple[int, list]]:
    """Each distribution table's rows as (answered, cells): cells "n", "n (s%)" or "*"."""
    found = []
    for table in re.findall(r"<table>(.*?)</table>", page, re.S):
        headers = re.findall(r"<th scope='col'>(.*?)</th>", table)
        if headers[:2] != ["Item", "Survey"]:
            continue
        levels = headers[2:-2]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>", 1)[1], re.S):
            values = re.findall(r"<td>(.*?)</td>", row)
            cells = [None if v == MASK else int(v.split(" ")[0]) for v in values[2 : 2 + len(levels)]]
            found.append((int(values[2 + len(levels)]), cells))
    return found


SEEDS = (42, 1, 2, 3)


@pytest.fixture(scope="module", params=SEEDS)
def exported(request, tmp_path_factory):
    """The demo's surveys (its first cohort's size, several seeds) through the analyst's command and
    the board's report."""
    folder = tmp_path_factory.mktemp(f"seed{request.param}")
    codes = [f"C1P{i:02d}" for i in range(1, COHORTS[0][2] + 1)]
    pre, post, _ = _surveys(codes, np.random.default_rng([request.param, 29]))
    for name, data in (
        ("pre.csv", pre),
        ("post.csv", post),
        ("SCALE.yaml", SCALE),
        ("DOMAINS.yaml", DOMAINS),
    ):
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    result = evaluate_files(
        EvaluateRequest(
            folder / "pre.csv",
            folder / "post.csv",
            "Respondent ID",
            folder / "SCALE.yaml",
            folder / "DOMAINS.yaml",
            folder / "out",
        )
    )
    record = SimpleNamespace(label="Before and after", level="learning", invited=(), created_at=None)
    view = SimpleNamespace(
        cohort=SimpleNamespace(name="Cohort", participants=(), current=()),
        attendance=cohort_attendance([1], [SessionMarks(1, "Leading change", {1: True})], 0.8),
        evaluations=(SimpleNamespace(record=record, evaluation=result.evaluation, notes=()),),
        results=(),
    )
    programme = SimpleNamespace(name="Leaders", description="", completion_share=0.8)
    return SimpleNamespace(
        out=folder / "out",
        board_html=programme_report(programme, [view], "html").decode(),
        board_xlsx=load_workbook(io.BytesIO(programme_report(programme, [view], "xlsx"))),
    )


SNAKE = {"count": "count", "share": "share", "answered": "answered", "top": "top_two_share", "score": "score"}
PEOPLE = {
    "count": "People",
    "share": "Share",
    "answered": "Answered",
    "top": "Top two levels",
    "score": "Score",
}


def test_no_hidden_cell_can_be_solved_from_the_csv_files(exported):
    likert, items = _csv_rows(exported.out / "likert.csv"), _csv_rows(exported.out / "items.csv")
    assert check_rows(likert, items, ("survey", "item"), SNAKE) > 0  # some rows do hide a cell


def test_no_hidden_cell_can_be_solved_from_the_analysts_workbook(exported):
    book = load_workbook(exported.out / "evaluation.xlsx")
    likert, items = _sheet_rows(book, "Likert"), _sheet_rows(book, "Items")
    assert check_rows(likert, items, ("Survey", "Item"), PEOPLE) > 0


def test_no_hidden_cell_can_be_solved_from_the_boards_workbook(exported):
    likert = _sheet_rows(exported.board_xlsx, "Likert")
    items = _sheet_rows(exported.board_xlsx, "L1 items")
    reaction = {(r["Survey"], r["Item"]) for r in items}
    likert = [r for r in likert if (r["Survey"], r["Item"]) in reaction]  # the board's L1 items
    check_rows(likert, items, ("Survey", "Item"), PEOPLE)
    # Its Likert sheet holds every item, without their answered counts (the analyst's exports and the
    # cohort's response give them): no item may hide a single cell beside shown ones.
    every = _sheet_rows(exported.board_xlsx, "Likert")
    for key in {(r["Survey"], r["Item"]) for r in every}:
        rows = sorted((r for r in every if (r["Survey"], r["Item"]) == key), key=lambda r: r["Score"])
        cells = [None if r["People"] == MASK else int(r["People"]) for r in rows]
        if cells.count(None) == 1:
            pytest.fail(f"{key}: one hidden cell beside shown ones")


@pytest.mark.parametrize("which", ["analyst", "board"])
def test_no_hidden_cell_can_be_solved_from_the_html(exported, which):
    page = (exported.out / "evaluation.html").read_text() if which == "analyst" else exported.board_html
    rows = html_rows(page)
    assert rows
    for answered, cells in rows:
        assert not solved_hidden(answered, cells, [None] * len(cells), None), (answered, cells)


def test_shares_and_top_two_are_shown_when_nothing_in_the_row_is_hidden(exported):
    # The rule hides no more than it must: an item whose cells are all 0 or 8+ keeps its shares.
    likert, items = _csv_rows(exported.out / "likert.csv"), _csv_rows(exported.out / "items.csv")
    by_item = defaultdict(list)
    for r in likert:
        by_item[(r["survey"], r["item"])].append(r)
    whole = [k for k, rows in by_item.items() if all(r["count"] != MASK for r in rows)]
    for key in whole:
        assert all(r["share"] != MASK for r in by_item[key])
        item = next(r for r in items if (r["survey"], r["item"]) == key)
        n, top = int(item["answered"]), sum(int(r["count"]) for r in by_item[key][-2:])
        if not 1 <= top <= 7 and not 1 <= n <= 7:
            assert float(item["top_two_share"]) == pytest.approx(top / n, abs=1e-4)


def test_the_solver_finds_what_a_single_hidden_cell_gives_away():
    # The solver itself, on the first attack's row: 0, 0, *, 10, 12 of 23 answered.
    assert solved_hidden(23, [0, 0, None, 10, 12], [None] * 5, None) == [2]
    # Two hidden, but 70% of 10 in the top two gives the fourth (2), and then the total the second (0).
    assert solved_hidden(10, [0, None, 3, None, 5], [None] * 5, 0.7) == [1, 3]
    assert solved_hidden(10, [0, None, 3, None, 5], [None] * 5, None) == []
