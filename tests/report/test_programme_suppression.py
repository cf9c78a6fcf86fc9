"""No hidden Likert cell can be worked out from what the same export shows (issue 29's second attack).

Each export of the demo's surveys (the analyst's CSV, workbook and HTML; the board's workbook and
HTML) is read back as a reader would, and a solver written here tries every equation the export
gives: an item's answered count is the sum of its cells, a shown share times the answered count is
a cell, the "top two levels" share times the answered count is the two top cells. Any equation with
one unknown is solved and substituted, until nothing changes; then every split of what is left is
enumerated with each hidden cell 1-7 (or 0-7), as a hidden cell is (issue 29's third attack: hidden
cells of at most 7 summing to 7 each must all be 7). No hidden cell may be solved.

Since ADR 43's addendum the exports follow one public rule (``programmes.disclosure``: zeros hidden
with the small levels, a hidden cell may be 8 or more when hidden second), so the exports are read
with it: every split of what is left whose rule hides exactly the cells hidden (``rule=``).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import defaultdict
from types import SimpleNamespace

import numpy as np
import pytest
from openpyxl import load_workbook

from stocktake.demo.programme import COHORTS, DOMAINS, SCALE, _surveys
from stocktake.metrics.suppression import MASK
from stocktake.programmes.attendance import SessionMarks, cohort_attendance
from stocktake.programmes.disclosure import item_disclosure
from stocktake.report.programme import EvaluateRequest, evaluate_files, item_hidden
from stocktake.report.programme_board import programme_report


def public_rule(counts) -> tuple[bool, ...]:
    """The levels the exports hide for these counts: the rule is public, so a reader may run it."""
    return item_disclosure(counts).hidden


def _splits(total: int, parts: int):
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _splits(total - first, parts - 1):
            yield (first, *rest)


def solved_hidden(n: int, cells: list, shares: list, top_two: float | None, rule=None) -> list[int]:
    """The positions of hidden cells (None) that the equations solve; ``shares`` and ``top_two`` are
    None where hidden. First any equation with one unknown is solved and substituted until nothing
    changes; then every split of what is left is enumerated with each hidden cell 1-7 (chosen by 1-7
    people) or 0-7 (hidden second, or every cell when 1-7 answered), and a cell with one possible
    value in either reading is solved. With ``rule`` (counts to hidden flags, the exports' public rule)
    the splits are every split of the answered count left, kept when the rule hides exactly the cells
    hidden."""
    if rule is not None:
        return _solved_by_rule(n, cells, shares, top_two, rule)
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
    solved = {i for i in hidden if cells[i] is not None}
    unknown = [i for i in hidden if cells[i] is None]
    for low in (0, 1) if n > 7 else (0,):
        splits = []
        for values in itertools.product(range(low, 8), repeat=len(unknown)):
            trial = list(cells)
            for i, v in zip(unknown, values, strict=True):
                trial[i] = v
            if all(abs(sum(trial[i] for i in positions) - total) < 0.5 for positions, total in equations):
                splits.append(values)
        if splits:
            solved |= {i for j, i in enumerate(unknown) if len({split[j] for split in splits}) == 1}
    return sorted(solved)


def _solved_by_rule(n: int, cells: list, shares: list, top_two, rule) -> list[int]:
    hidden = [i for i, c in enumerate(cells) if c is None]
    if not hidden:
        return []
    pattern = tuple(c is None for c in cells)
    left = n - sum(c for c in cells if c is not None)
    fits = []
    for values in _splits(left, len(hidden)):
        trial = list(cells)
        for i, v in zip(hidden, values, strict=True):
            trial[i] = v
        shares_fit = all(s is None or abs(s * n - trial[i]) < 0.5 for i, s in enumerate(shares))
        top_fit = top_two is None or abs(top_two * n - sum(trial[-2:])) < 0.5
        if shares_fit and top_fit and tuple(rule(trial)) == pattern:
            fits.append(values)
    assert fits, (n, cells)  # the export's own counts fit
    return [i for j, i in enumerate(hidden) if len({f[j] for f in fits}) == 1]


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
        found = solved_hidden(answered, cells, shares, top_two, rule=public_rule)
        assert not found, (key, cells, shares, top_two, answered)
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
    # Its Likert sheet holds every item, without their answered counts; the analyst's items.csv (the
    # same evaluation) gives them.
    every = [
        {**r, "Survey": str(r["Survey"]), "Score": str(r["Score"])}
        for r in _sheet_rows(exported.board_xlsx, "Likert")
    ]
    answered = [
        {"Survey": r["survey"], "Item": r["item"], "Answered": r["answered"]}
        for r in _csv_rows(exported.out / "items.csv")
    ]
    assert check_rows(every, answered, ("Survey", "Item"), PEOPLE) > 0


@pytest.mark.parametrize("which", ["analyst", "board"])
def test_no_hidden_cell_can_be_solved_from_the_html(exported, which):
    page = (exported.out / "evaluation.html").read_text() if which == "analyst" else exported.board_html
    rows = html_rows(page)
    assert rows
    for answered, cells in rows:
        assert not solved_hidden(answered, cells, [None] * len(cells), None, rule=public_rule), (
            answered,
            cells,
        )


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
    # Two hidden, but 7 of 11 in the top two gives the fourth (2), and then the total the second (1).
    assert solved_hidden(11, [0, None, 3, None, 5], [None] * 5, 7 / 11) == [1, 3]
    assert solved_hidden(11, [0, None, 3, None, 5], [None] * 5, None) == []
    # The third attack's row: *, *, 9, 0, 0 of 23 answered; two hidden cells of at most 7 hold 14.
    assert solved_hidden(23, [None, None, 9, 0, 0], [None] * 5, None) == [0, 1]
    # Two hidden cells holding 2: both 1 (each 1-7), or 0 and 2 (one hidden second) - not solved in
    # the 0-7 reading alone, solved in the 1-7 one.
    assert solved_hidden(23, [None, None, 21, 0, 0], [None] * 5, None) == [0, 1]
    assert solved_hidden(23, [None, None, None, 0, 21], [None] * 5, None) == []
    # With 1-7 answered every cell is hidden and may be 0: 5 people over 5 levels is not solved.
    assert solved_hidden(5, [None] * 5, [None] * 5, None) == []


def test_a_hidden_total_with_one_split_hides_another_level():
    # Zeros are hidden with the small levels (ADR 43's addendum), so all 1 is no longer the only split
    # of a total; all 7, or a single hidden cell, is: the smallest shown level (every level tied at it)
    # is hidden with them.
    def summary(counts):
        return SimpleNamespace(counts=counts, answered=sum(counts))

    assert item_hidden(summary([7, 7, 9, 0, 0])).tolist() == [True, True, False, True, True]
    assert item_hidden(summary([1, 1, 21, 0, 0])).tolist() == [True, True, False, True, True]
    assert item_hidden(summary([3, 4, 9, 0, 0])).tolist() == [True, True, False, True, True]
    assert item_hidden(summary([7, 7, 9, 9, 20])).tolist() == [True, True, True, True, False]
    assert item_hidden(summary([3, 9, 10, 12, 20])).tolist() == [True, True, False, False, False]
