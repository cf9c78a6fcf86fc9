"""Every programme export, read back and searched exhaustively (issue 29's fourth review, ADR 43).

One survey holds every item a small cohort could give: each way 5-10 people answer five levels (2,877
items, one column each, the rest of the 10 skipping). Every export is rendered once and read back as a
reader would: for each item, everything it shows (cells, shares, answered, skipped, median, top two).
Items that look the same in an export are the reader's candidates (the rule is public, so a reader can
render every candidate too); no hidden cell may have one value among them. The earlier rule fails
this: a shown 0 or median pinned 247 patterns of the outsider's search.

Domains: before, each way 10 people answer one item of a two-item domain, the other item and the
after survey as in the outsider's case A (everyone neutral before, everyone agreeing after). Means
mix both items' cells; with them shown, the before item's hidden cells were solved. Domains that look
the same (items and means, differences, CIs) must leave every hidden cell open. The t, p, effect sizes
and signed-rank figures are not read: ADR 43 keeps them (they give the pairs' spread, not a sum).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import defaultdict
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from stocktake.metrics.suppression import MASK
from stocktake.programmes import Domain, Level, Scale, Survey, evaluate
from stocktake.programmes.attendance import SessionMarks, cohort_attendance
from stocktake.report.programme import _csv as csv_bytes
from stocktake.report.programme import domains_table, items_table, likert_table, render
from stocktake.report.programme_board import board_domains, programme_report

LEVELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")
AGREEMENT = Scale("agreement", tuple(Level(t, i, ()) for i, t in enumerate(LEVELS, start=1)))
PEOPLE = 10


def compositions(n: int, k: int):
    for bars in itertools.combinations(range(n + k - 1), k - 1):
        edges = (-1, *bars, n + k - 1)
        yield tuple(edges[i + 1] - edges[i] - 1 for i in range(k))


def answers(counts, people: int = PEOPLE) -> np.ndarray:
    levels = [level for level, n in enumerate(counts, start=1) for _ in range(n)]
    return np.array(levels + [np.nan] * (people - len(levels)), float)


def _view(label: str, evaluation):
    record = SimpleNamespace(label=label, level="learning", invited=(), created_at=None)
    return SimpleNamespace(
        cohort=SimpleNamespace(name="Cohort", participants=(), current=()),
        attendance=cohort_attendance([1], [SessionMarks(1, "M", {1: True})], 0.8),
        evaluations=(SimpleNamespace(record=record, evaluation=evaluation, notes=()),),
        results=(),
    )


PROGRAMME = SimpleNamespace(name="Leaders", description="", completion_share=0.8)


def reaction_evaluation(truth: dict):
    """``truth``'s items as reaction items of the after survey, beside a learning item everyone answered
    (neutral before, agreeing after)."""
    ids = tuple(f"P{i:02d}" for i in range(PEOPLE))
    answered = {name: answers(c) for name, c in truth.items()}
    after = Survey("after", ids, answered | {"Learnt": np.full(PEOPLE, 4.0)})
    domain = Domain("Reaction", AGREEMENT, tuple(truth), level="reaction")
    learning = Domain("Learning", AGREEMENT, ("Learnt",))
    return evaluate(Survey("before", ids, {"Learnt": np.full(PEOPLE, 3.0)}), after, [domain, learning])


@pytest.fixture(scope="module")
def items():
    """Every item of 5-10 answers over five levels, as reaction items of one after survey."""
    truth = {
        f"Q{i:04d}": counts
        for i, counts in enumerate(c for n in range(5, PEOPLE + 1) for c in compositions(n, len(LEVELS)))
    }
    evaluation = reaction_evaluation(truth)
    files = render(evaluation)
    view = _view("After the programme", evaluation)
    return SimpleNamespace(
        truth=truth,
        files=files,
        board_html=programme_report(PROGRAMME, [view], "html").decode(),
        board_xlsx=load_workbook(io.BytesIO(programme_report(PROGRAMME, [view], "xlsx")), read_only=True),
    )


def unpinned(truth: dict, seen: dict) -> list:
    """Items grouped by what the export shows (``seen``: item → observation with ``MASK`` where hidden,
    each hidden cell at its level's position); every hidden cell must take two values in its group."""
    assert set(truth) <= set(seen)
    groups = defaultdict(list)
    for name, counts in truth.items():
        groups[seen[name]].append(counts)
    found = []
    for observation, members in groups.items():
        cells = observation[0]
        for i, cell in enumerate(cells):
            if cell == MASK and len({m[i] for m in members}) == 1:
                found.append((observation, members[:3]))
    return found


def _csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def _sheet(book, name: str) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [{k: ("" if v is None else str(v)) for k, v in zip(rows[0], r, strict=True)} for r in rows[1:]]


def _observations(likert, item_rows, names, survey: str = "after") -> dict:
    """``survey``'s item → ((cell per level), (share per level), (answered, skipped, median, top two))."""
    likert = [r for r in likert if r[names["survey"]] == survey]
    item_rows = [r for r in item_rows if r[names["survey"]] == survey]
    cells, shares = defaultdict(dict), defaultdict(dict)
    for r in likert:
        score = int(float(r[names["score"]]))
        cells[r[names["item"]]][score] = r[names["count"]]
        shares[r[names["item"]]][score] = r[names["share"]]
    kinds = ("answered", "skipped", "median", "top")
    rest = defaultdict(tuple, {r[names["item"]]: tuple(r[names[k]] for k in kinds) for r in item_rows})
    return {
        item: (
            tuple(cells[item][s] for s in sorted(cells[item])),
            tuple(shares[item][s] for s in sorted(shares[item])),
            rest[item],
        )
        for item in cells
    }


SNAKE = {
    "survey": "survey",
    "item": "item",
    "score": "score",
    "count": "count",
    "share": "share",
    "answered": "answered",
    "skipped": "skipped",
    "median": "median_level",
    "top": "top_two_share",
}
FOR_PEOPLE = {
    "survey": "Survey",
    "item": "Item",
    "score": "Score",
    "count": "People",
    "share": "Share",
    "answered": "Answered",
    "skipped": "Skipped",
    "median": "Median answer",
    "top": "Top two levels",
}


def test_the_analysts_csv_files_pin_no_hidden_cell(items):
    seen = _observations(_csv(items.files["likert.csv"]), _csv(items.files["items.csv"]), SNAKE)
    assert sum(MASK in s[0] for s in seen.values()) > 2500  # most small items hide something
    assert unpinned(items.truth, seen) == []


def test_the_analysts_workbook_pins_no_hidden_cell(items):
    book = load_workbook(io.BytesIO(items.files["evaluation.xlsx"]), read_only=True)
    seen = _observations(_sheet(book, "Likert"), _sheet(book, "Items"), FOR_PEOPLE)
    assert unpinned(items.truth, seen) == []


def test_the_boards_workbook_pins_no_hidden_cell(items):
    seen = _observations(_sheet(items.board_xlsx, "Likert"), _sheet(items.board_xlsx, "L1 items"), FOR_PEOPLE)
    assert unpinned(items.truth, seen) == []


def html_observations(page: str) -> dict:
    """Each distribution table's row: item → ((cells as shown), (), (answered, skipped))."""
    found = {}
    for table in re.findall(r"<table>(.*?)</table>", page, re.S):
        headers = re.findall(r"<th scope='col'>(.*?)</th>", table)
        if headers[:2] != ["Item", "Survey"]:
            continue
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>", 1)[1], re.S):
            values = re.findall(r"<td>(.*?)</td>", row)
            found[values[0]] = (tuple(values[2:-2]), (), tuple(values[-2:]))
    return found


@pytest.mark.parametrize("which", ["analyst", "board"])
def test_the_html_pins_no_hidden_cell_and_draws_no_hidden_item(items, which):
    page = items.files["evaluation.html"].decode() if which == "analyst" else items.board_html
    seen = html_observations(page)
    assert unpinned(items.truth, seen) == []
    # A bar's width is a share: an item with a hidden cell is never drawn (Plotly's names, in the JSON).
    drawn = set(re.findall(r'"(Q\d{4}) \(after\)"', page))
    assert drawn and not [name for name in drawn if MASK in seen[name][0]]


def test_the_boards_pdf_says_what_its_html_says(items):
    # The PDF is the board's HTML without scripts: its text for every item with a hidden cell is the
    # HTML's (a sample: WeasyPrint on 2,877 rows would take minutes).
    import pypdfium2

    from stocktake.report.programme_board import render_pdf

    sample = dict(list(items.truth.items())[::97])
    view = _view("After the programme", reaction_evaluation(sample))
    pdf = pypdfium2.PdfDocument(render_pdf(PROGRAMME, [view]))
    text = " ".join(page.get_textpage().get_text_range() for page in pdf).split()
    html_rows = html_observations(programme_report(PROGRAMME, [view], "html").decode())
    for name, (cells, _, rest) in html_rows.items():
        if name not in sample:
            continue
        row = [name, "after", *" ".join(cells).split(), *rest]
        start = text.index(name)
        assert text[start : start + len(row)] == row, name


# --- domains -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def domains():
    """Before: each way 10 people answer Q1 (one domain each, its Q2 everyone neutral); after: everyone
    agrees on both (the outsider's case A, every before distribution of Q1)."""
    truth = {f"D{i:04d}": counts for i, counts in enumerate(compositions(10, len(LEVELS)))}
    ids = tuple(f"P{i:02d}" for i in range(10))
    before, after, declared = {}, {}, []
    for name, counts in truth.items():
        before[f"{name} Q1"], before[f"{name} Q2"] = answers(counts, 10), np.full(10, 3.0)
        after[f"{name} Q1"], after[f"{name} Q2"] = np.full(10, 4.0), np.full(10, 4.0)
        declared.append(Domain(name, AGREEMENT, (f"{name} Q1", f"{name} Q2")))
    evaluation = evaluate(Survey("before", ids, before), Survey("after", ids, after), declared)
    # The CSV files as ``render`` writes them (its HTML would draw a thousand charts, which take minutes).
    files = {
        "domains.csv": csv_bytes(domains_table(evaluation)),
        "items.csv": csv_bytes(items_table(evaluation)),
        "likert.csv": csv_bytes(likert_table(evaluation)),
    }
    return SimpleNamespace(truth=truth, evaluation=evaluation, files=files)


MEANS = ("mean_before_paired", "mean_after_paired", "mean_before_only", "mean_after_only")
MEANS += ("mean_difference", "ci95_low", "ci95_high")


def test_a_domains_means_pin_no_hidden_cell_in_the_csv_files(domains):
    likert = _observations(
        _csv(domains.files["likert.csv"]), _csv(domains.files["items.csv"]), SNAKE, survey="before"
    )
    rows = {r["domain"]: r for r in _csv(domains.files["domains.csv"])}
    seen = {
        name: (likert[f"{name} Q1"][0], likert[f"{name} Q1"][1:], tuple(rows[name][m] for m in MEANS))
        for name in domains.truth
    }
    assert sum(MASK in s[0] for s in seen.values()) > 900
    assert unpinned(domains.truth, seen) == []
    hidden = [name for name in domains.truth if MASK in seen[name][0]]
    assert all(rows[n]["mean_before_paired"] == MASK and "shown as *" in rows[n]["result"] for n in hidden)
    assert all(rows[n]["p_t"] not in ("", MASK) for n in hidden if rows[n]["p_t"])  # the tests stay


def test_a_domains_means_are_shown_with_nothing_hidden_to_two_decimals(domains):
    rows = {r["domain"]: r for r in _csv(domains.files["domains.csv"])}
    # 10 at Disagree before (Q1), everyone neutral on Q2: before (2 + 3) / 2 = 2.5, after 4.
    whole = next(n for n, c in domains.truth.items() if c == (0, 10, 0, 0, 0))
    assert (rows[whole]["mean_before_paired"], rows[whole]["mean_after_paired"]) == ("2.5", "4.0")
    for name, row in rows.items():
        for column in MEANS:
            if row[column] not in ("", MASK):
                assert len(row[column].split(".")[1]) <= 2, (name, column, row[column])


def test_the_boards_domains_pin_no_hidden_cell(domains):
    table = board_domains(domains.evaluation).set_index("Domain")
    likert = _observations(
        _csv(domains.files["likert.csv"]), _csv(domains.files["items.csv"]), SNAKE, survey="before"
    )
    columns = ["Mean before → after (paired)", "Difference (95% CI)"]
    seen = {name: (likert[f"{name} Q1"][0], tuple(table.loc[name, columns])) for name in domains.truth}
    assert unpinned(domains.truth, seen) == []
    view = _view("Before and after", domains.evaluation)
    book = load_workbook(io.BytesIO(programme_report(PROGRAMME, [view], "xlsx")), read_only=True)
    sheet = pd.DataFrame(_sheet(book, "L2 and L3 domains")).set_index("Domain")
    people = ["Mean before, paired", "Mean after, paired", "Mean difference", "95% CI from", "95% CI to"]
    seen = {name: (likert[f"{name} Q1"][0], tuple(sheet.loc[name, people])) for name in domains.truth}
    assert unpinned(domains.truth, seen) == []
