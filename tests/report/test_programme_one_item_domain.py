"""Hidden Likert cells of a one-item domain stay hidden beside the domain's other figures (issue 29's
outside review).

A solver written here reads the exports back (``domains.csv``, ``items.csv``, ``likert.csv``, the
workbook) as a reader would and takes every equation they give about one survey's cells of the item:
the answered count (or the survey's responses less the skipped, or the pairs plus that survey's
unpaired), the pairs as a lower bound, and the sum of levels (the paired mean times the pairs; the
other survey's sum less the mean difference, or the 95% CI's midpoint, times the pairs). It enumerates
every value of the hidden cells (each 0-7, and each 1-7 in the other reading) and no hidden cell may
have one value left.

Two hand-made cases: (1) ten people, one item, before 0, 8, 1, 0, 1 by level (three cells hidden):
the paired mean (2.4 x 10 = 24) or the mean difference leaves only 0, 1, 1; (2) an item where every
level was chosen by exactly 7 people (35 of 40 answering): the answered count 35 (and the pairs, 35,
as a lower bound) leave only 7 at every level.
"""

from __future__ import annotations

import csv
import io
import itertools
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from stocktake.metrics.suppression import MASK
from stocktake.report.programme import EvaluateRequest, evaluate_files

LEVELS = ["Never", "Rarely", "Sometimes", "Often", "Always"]
SCALE = "missing: ['-', '']\nscales:\n  frequency: [Never, Rarely, Sometimes, Often, Always]\n"
DOMAINS = "domains:\n  - name: Coaching\n    scale: frequency\n    items: [I coach]\n"
ITEM = "I coach"


def _write(folder, before: list[int], after: list[int], skipped_before: int = 0, skipped_after: int = 0):
    """Surveys with ``before`` and ``after`` people at each level (lowest first); the same people in
    order (person i answers both while both lists last), then the skipped."""

    def levels(counts):
        return [LEVELS[i] for i, n in enumerate(counts) for _ in range(n)]

    pre, post = levels(before) + ["-"] * skipped_before, levels(after) + ["-"] * skipped_after
    people = max(len(pre), len(post))
    for name, answers in (("pre.csv", pre), ("post.csv", post)):
        ids = [f"P{i:02d}" for i in range(1, len(answers) + 1)]
        pd.DataFrame({"ID": ids, ITEM: answers}).to_csv(folder / name, index=False)
    (folder / "SCALE.yaml").write_text(SCALE)
    (folder / "DOMAINS.yaml").write_text(DOMAINS)
    (folder / "cohort.csv").write_text("ID\n" + "\n".join(f"P{i:02d}" for i in range(1, people + 1)) + "\n")
    evaluate_files(
        EvaluateRequest(
            folder / "pre.csv",
            folder / "post.csv",
            "ID",
            folder / "SCALE.yaml",
            folder / "DOMAINS.yaml",
            folder / "out",
            cohort=folder / "cohort.csv",
        )
    )
    return folder / "out"


def _value(text):
    return None if text in (None, "", MASK) else float(text)


def _exported(out) -> dict:
    """Each export as (domain row, items rows, likert rows), from the CSVs and from the workbook."""

    def rows(name):
        return list(csv.DictReader(io.StringIO((out / name).read_text())))

    book = load_workbook(out / "evaluation.xlsx")

    def sheet(name):
        values = list(book[name].iter_rows(values_only=True))
        return [
            dict(zip(values[0], (None if v is None else str(v) for v in r), strict=True)) for r in values[1:]
        ]

    people = {
        "Domain": "domain",
        "Paired responses": "paired",
        "Answered": "answered",
        "Skipped": "skipped",
        "People": "count",
        "Survey": "survey",
        "Item": "item",
        "Score": "score",
        "Mean difference": "mean_difference",
        "95% CI from": "ci95_low",
        "95% CI to": "ci95_high",
    }

    def snake(table):
        out_rows = []
        for r in table:
            row = {}
            for k, v in r.items():
                key = people.get(k, k)
                for prefix, name in (
                    ("Responded to the survey, ", "responded_"),
                    ("Answered the domain, ", "answered_"),
                    ("Mean ", "mean_"),
                ):
                    if k.startswith(prefix):
                        key = name + k[len(prefix) :].replace(", paired", "_paired").replace(
                            ", before only", "_only"
                        ).replace(", after only", "_only")
                if k in ("Before only", "After only"):
                    key = k.lower().replace(" ", "_")
                row[key] = v
            out_rows.append(row)
        return out_rows

    return {
        "csv": (rows("domains.csv")[0], rows("items.csv"), rows("likert.csv")),
        "workbook": (snake(sheet("Domains"))[0], snake(sheet("Items")), snake(sheet("Likert"))),
    }


def solved(domain: dict, items: list[dict], likert: list[dict], label: str) -> list[int]:
    """The levels (1 = lowest) of ``label``'s hidden cells that the export's equations settle."""
    other = "after" if label == "before" else "before"
    cells = {
        s: [
            _value(r["count"])
            for r in sorted((r for r in likert if r["survey"] == s), key=lambda r: int(float(r["score"])))
        ]
        for s in ("before", "after")
    }
    item = {r["survey"]: r for r in items}
    paired, mine_only = _value(domain["paired"]), _value(domain[f"{label}_only"])
    totals = {_value(item[label]["answered"]), _value(domain.get(f"answered_{label}"))}
    if paired is not None and mine_only is not None:
        totals.add(paired + mine_only)
    responded, skipped = _value(domain[f"responded_{label}"]), _value(item[label]["skipped"])
    if responded is not None and skipped is not None:
        totals.add(responded - skipped)
    totals.discard(None)
    sums = set()
    mean = _value(domain[f"mean_{label}_paired"])
    every_paired = mine_only == 0
    if mean is not None and paired and every_paired:
        sums.add(round(mean * paired))
    difference = _value(domain["mean_difference"])
    low, high = _value(domain["ci95_low"]), _value(domain["ci95_high"])
    if difference is None and low is not None and high is not None:
        difference = (low + high) / 2
    theirs = cells[other]
    other_only = _value(domain[f"{other}_only"])
    if difference is not None and paired and every_paired and other_only == 0 and None not in theirs:
        other_sum = sum(score * n for score, n in enumerate(theirs, start=1))
        sums.add(round(other_sum + (1 if label == "after" else -1) * difference * paired))  # after - before
    mine = cells[label]
    hidden = [i for i, c in enumerate(mine) if c is None]
    settled = set()
    for lowest in (0, 1):
        fits = []
        for values in itertools.product(range(lowest, 8), repeat=len(hidden)):
            trial = list(mine)
            for i, v in zip(hidden, values, strict=True):
                trial[i] = v
            total = sum(trial)
            weighted = sum(score * n for score, n in enumerate(trial, start=1))
            bounded = paired is None or total >= paired  # everyone paired answered
            if bounded and all(total == t for t in totals) and all(weighted == s for s in sums):
                fits.append(values)
        if fits:
            settled |= {hidden[j] + 1 for j in range(len(hidden)) if len({f[j] for f in fits}) == 1}
    return sorted(settled)


@pytest.fixture(scope="module")
def single_level_case(tmp_path_factory):
    """Before 0, 8, 1, 0, 1; after everyone Often (10): ten pairs, differences 2 x8, 1, -1."""
    return _write(tmp_path_factory.mktemp("means"), [0, 8, 1, 0, 1], [0, 0, 0, 10, 0])


@pytest.fixture(scope="module")
def every_level_seven(tmp_path_factory):
    """Before 7 at every level (35 answering of 40, 5 skipping); after 0, 0, 10, 12, 18 (all 40)."""
    return _write(tmp_path_factory.mktemp("sevens"), [7, 7, 7, 7, 7], [0, 0, 10, 12, 18], skipped_before=5)


@pytest.mark.parametrize("export", ["csv", "workbook"])
def test_a_one_item_domains_means_do_not_give_its_hidden_cells_away(single_level_case, export):
    domain, items, likert = _exported(single_level_case)[export]
    before = [r["count"] for r in likert if r["survey"] == "before"]
    # 1-5 but 2 hidden (the zeros too, ADR 43's addendum): the answered count alone leaves many splits.
    assert before.count(MASK) == 4
    assert solved(domain, items, likert, "before") == []
    assert "an item of the domain has a level shown as *" in domain.get("result", domain.get("Result", ""))


def test_the_means_are_shown_when_nothing_is_hidden(tmp_path):
    # Twenty at Rarely before; ten Often and ten Always after: means 2 and 4.5 (no cell of 1-7).
    out = _write(tmp_path, [0, 20, 0, 0, 0], [0, 0, 0, 10, 10])
    domain = _exported(out)["csv"][0]
    assert (domain["mean_before_paired"], domain["mean_after_paired"], domain["mean_difference"]) == (
        "2.0",
        "4.5",
        "2.5",
    )


@pytest.mark.parametrize("export", ["csv", "workbook"])
def test_an_item_with_every_level_at_seven_keeps_its_cells_hidden(every_level_seven, export):
    domain, items, likert = _exported(every_level_seven)[export]
    assert [r["count"] for r in likert if r["survey"] == "before"] == [MASK] * 5
    assert solved(domain, items, likert, "before") == []
    # Who answered the survey is still shown; the after survey's item, with nothing hidden, too.
    assert domain["responded_before"] == "40"
    assert {r["survey"]: r["answered"] for r in items}["after"] == "40"


def test_the_html_table_hides_the_answered_count_too(every_level_seven):
    page = (every_level_seven / "evaluation.html").read_text()
    row = re.search(r"<tr><td>I coach</td><td>before</td>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>(.*?)</td>", row) == [MASK] * 7  # five levels, answered and skipped
