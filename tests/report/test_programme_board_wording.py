"""The board report's words after issue 29's outside review: a heading never says its surveys twice
("Before and after (before and after)"); the Holm note names the family it adjusts over (every domain
tested in the evaluation), not the table under it; a domain asked of a few says how many answered it,
beside each survey's responses of those invited."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from stocktake.demo.programme import COACHING, COHORTS, DOMAINS, SCALE, _surveys
from stocktake.programmes.attendance import SessionMarks, cohort_attendance
from stocktake.report.programme import EvaluateRequest, evaluate_files
from stocktake.report.programme_board import programme_report

MISSING = {"-", ""}


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """The demo's second cohort (22 invited): after the programme ("Before and after") and at a
    follow-up ("Six months on")."""
    folder = tmp_path_factory.mktemp("board")
    codes = [f"C2P{i:02d}" for i in range(1, COHORTS[1][2] + 1)]
    pre, post, later = _surveys(codes, np.random.default_rng([7, 29]))
    for name, data in (("pre.csv", pre), ("post.csv", post), ("later.csv", later)):
        (folder / name).write_bytes(data)
    (folder / "SCALE.yaml").write_text(SCALE)
    (folder / "DOMAINS.yaml").write_text(DOMAINS)
    (folder / "cohort.csv").write_text("Respondent ID\n" + "\n".join(codes) + "\n")
    evaluations = []
    for label, after, level, names in (
        ("Before and after", "post.csv", "learning", ("before", "after")),
        ("Six months on", "later.csv", "behaviour", ("before", "follow-up")),
    ):
        result = evaluate_files(
            EvaluateRequest(
                folder / "pre.csv",
                folder / after,
                "Respondent ID",
                folder / "SCALE.yaml",
                folder / "DOMAINS.yaml",
                folder / f"out-{level}",
                cohort=folder / "cohort.csv",
                before_label=names[0],
                after_label=names[1],
                level=level,
            )
        )
        record = SimpleNamespace(label=label, level=level, invited=(), created_at=None)
        evaluations.append(SimpleNamespace(record=record, evaluation=result.evaluation, notes=()))
    view = SimpleNamespace(
        cohort=SimpleNamespace(name="Cohort 2023-24", participants=(), current=()),
        attendance=cohort_attendance([1], [SessionMarks(1, "Leading change", {1: True})], 0.8),
        evaluations=tuple(evaluations),
        results=(),
    )
    programme = SimpleNamespace(name="Leaders", description="", completion_share=0.8)
    page = programme_report(programme, [view], "html").decode()
    return SimpleNamespace(page=page, folder=folder, evaluations=evaluations)


def _answered(path, item: str) -> int:
    survey = pd.read_csv(path, dtype=str, keep_default_na=False)
    return int((~survey[item].str.strip().isin(MISSING)).sum())


def _responded(path) -> int:
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def test_no_heading_says_its_surveys_twice(board):
    headings = re.findall(r"<h3>(.*?)</h3>", board.page)
    assert "Cohort 2023-24: Before and after" in headings
    assert "Cohort 2023-24: Six months on (before and follow-up)" in headings  # not in the label: said
    assert not any(re.search(r"before and after\)", h, re.I) for h in headings)


def test_the_holm_note_names_its_family_not_the_table(board):
    level_three = board.page.split("Level 3, behaviour", 1)[1].split("Level 4, results", 1)[0]
    level_three = level_three.split("Six months on", 1)[1]  # the follow-up's table and notes
    tested = [d.domain for d in board.evaluations[1].evaluation.domains if d.tested]
    shown = len(re.findall(r"<tr><td>[^<]+</td><td>behaviour</td>", level_three))
    assert shown == 1 and len(tested) > 1  # one domain in the table, a larger family
    assert "tested at once" not in level_three
    assert (
        f"Holm's adjustment is across the {len(tested)} domains tested in this evaluation "
        f"({', '.join(tested)}; 1 of them in this table, the others at another level)"
    ) in level_three


def test_a_domain_asked_of_a_few_shows_how_many_answered_it(board):
    level_two = board.page.split("Level 2, learning", 1)[1].split("Level 3, behaviour", 1)[0]
    headers = re.findall(r"<th scope='col'>(.*?)</th>", level_two.split("</thead>")[0])
    row = re.search(r"<tr><td>Coaching conversations</td>.*?</tr>", level_two).group(0)
    cells = dict(zip(headers, re.findall(r"<td>(.*?)</td>", row), strict=True))
    pre, post = board.folder / "pre.csv", board.folder / "post.csv"
    invited = COHORTS[1][2]
    assert cells["Responded to the after survey"].startswith(f"{_responded(post)} of {invited} invited")
    assert cells["Answered this domain, before / after"] == (
        f"{_answered(pre, COACHING)} / {_answered(post, COACHING)}"
    )
    assert _answered(post, COACHING) < _responded(post)  # the survey's responders are not the domain's
    assert "Responded, after" not in headers
