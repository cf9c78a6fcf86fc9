"""The board's responses after a withdrawal (issue 29's fourth review): 21 of 22 invited responded to
the before survey and one of them was withdrawn since, their answers left out. The board said
"Responded to the before survey: 20 of 22 invited" (the withdrawn one neither responding nor invited)
and, in its note, that withdrawals since "are not counted" while their answers were left out."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pandas as pd

from stocktake.files.programme import read_domains, read_scales, read_survey
from stocktake.programmes import evaluate
from stocktake.programmes.attendance import SessionMarks, cohort_attendance
from stocktake.report.programme import domains_table
from stocktake.report.programme_board import board_domains, programme_report

SCALE = "missing: ['-', '']\nscales:\n  frequency: [Never, Rarely, Sometimes, Often, Always]\n"
DOMAINS = "domains:\n  - name: Coaching\n    scale: frequency\n    items: [I coach, I listen]\n"
INVITED = [f"P{i:02d}" for i in range(1, 23)]


def _evaluation(folder):
    """Before: P01-P21 (21 of 22); after: P01-P20 (20). P01 withdrawn since."""
    for name, people, answer in (("pre.csv", INVITED[:21], "Rarely"), ("post.csv", INVITED[:20], "Often")):
        pd.DataFrame({"ID": people, "I coach": answer, "I listen": answer}).to_csv(folder / name, index=False)
    (folder / "SCALE.yaml").write_text(SCALE)
    (folder / "DOMAINS.yaml").write_text(DOMAINS)
    domains = read_domains(folder / "DOMAINS.yaml", read_scales(folder / "SCALE.yaml"))
    surveys = [
        read_survey(folder / name, label, "ID", domains, cohort=INVITED, withdrawn=["P01"]).survey
        for name, label in (("pre.csv", "before"), ("post.csv", "after"))
    ]
    return evaluate(*surveys, domains, INVITED)


def _view(evaluation):
    people = [SimpleNamespace(code=c, withdrawn=c == "P01") for c in INVITED]
    record = SimpleNamespace(
        label="Before and after", level="learning", invited=tuple(INVITED), created_at=datetime(2026, 3, 3)
    )
    return SimpleNamespace(
        cohort=SimpleNamespace(name="Cohort A", participants=people, current=people[1:]),
        attendance=cohort_attendance([1], [SessionMarks(1, "M", {1: True})], 0.8),
        evaluations=(SimpleNamespace(record=record, evaluation=evaluation, notes=()),),
        results=(),
    )


def test_responded_counts_the_withdrawn_and_says_their_answers_are_left_out(tmp_path):
    evaluation = _evaluation(tmp_path)
    assert (evaluation.domains[0].before.responded, evaluation.domains[0].before.withdrawn) == (20, 1)
    row = board_domains(evaluation).iloc[0]
    assert row["Responded to the before survey"] == (
        "21 of 22 invited responded (95%); 1 of them since withdrawn, their answers left out"
    )
    assert row["Responded to the after survey"] == (
        "20 of 22 invited responded (91%); 1 of them since withdrawn, their answers left out"
    )
    table = domains_table(evaluation).iloc[0]
    assert (table["responded_before"], table["withdrawn_before"]) == (20, 1)


def test_the_note_no_longer_says_withdrawals_are_not_counted(tmp_path):
    page = programme_report(
        SimpleNamespace(name="Leaders", description="", completion_share=0.8),
        [_view(_evaluation(tmp_path))],
        "html",
    ).decode()
    assert "not counted" not in page
    assert (
        "since then 1 withdrawn (still among the 22 invited; their answers left out), so the cohort has "
        "21 now" in page
    )
    assert "21 of 22 invited responded (95%); 1 of them since withdrawn, their answers left out" in page
