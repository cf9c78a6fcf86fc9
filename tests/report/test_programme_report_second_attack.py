"""The programme board's report after issue 29's second outside review: the Likert answers kept beside
the evaluation's level, withdrawals and the frozen invited count said, each domain's Wilcoxon method
and effect sizes shown, Holm never below the exact test's floor, no p printed as 0, no count of 1-7
people in a suppressed domain's text, and each level's domains under their own heading."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats

from stocktake.programmes import Domain, Level, Scale, Survey, evaluate
from stocktake.programmes.attendance import SessionMarks, cohort_attendance
from stocktake.report.programme import COARSE_NOTE, domains_table, render, small_pairs_note
from stocktake.report.programme_board import HIDDEN_RESULT, LEVEL_TITLES, board_domains, programme_report

AGREE = ("Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree")
FIVE = Scale("agreement", tuple(Level(t, i, ()) for i, t in enumerate(AGREE, start=1)))
LEAD = Domain("Leading", FIVE, ("Lead",))
DATA = Domain("Data", FIVE, ("Data",))
PRACTICE = Domain("Practice", FIVE, ("Practice",), level="behaviour")
PROGRAMME = SimpleNamespace(name="Leaders", description="", completion_share=0.8)


def _survey(label, ids, **items):
    return Survey(label, tuple(ids), {k: np.array(v, float) for k, v in items.items()})


def _sixteen():
    """Sixteen pairs. Lead: 2 → 3 for ten, 2 → 4 for six. Data: 2 → 2 for eight, 2 → 3 for four,
    3 → 2 for four. Practice (behaviour): 1 → 2 for all but one."""
    ids = [f"p{i:02d}" for i in range(16)]
    before = _survey("before", ids, Lead=[2] * 16, Data=[2] * 12 + [3] * 4, Practice=[1] * 16)
    after = _survey(
        "after", ids, Lead=[3] * 10 + [4] * 6, Data=[2] * 8 + [3] * 4 + [2] * 4, Practice=[2] * 15 + [1]
    )
    return evaluate(before, after, [LEAD, DATA, PRACTICE], cohort=ids)


def _view(evaluation, *, withdrawn: int = 0, invited: int = 0):
    people = [SimpleNamespace(code=f"p{i:02d}", withdrawn=i < withdrawn) for i in range(16 + withdrawn)]
    current = [p for p in people if not p.withdrawn]
    record = SimpleNamespace(
        label="Before and after",
        level="learning",
        invited=tuple(f"p{i:02d}" for i in range(invited)),
        created_at=datetime(2026, 3, 3, 10, 0),
    )
    return SimpleNamespace(
        cohort=SimpleNamespace(name="Cohort A", participants=people, current=current),
        attendance=cohort_attendance(
            list(range(len(current))),
            [SessionMarks(1, "Leading change", dict.fromkeys(range(12), True))],
            0.8,
        ),
        evaluations=(SimpleNamespace(record=record, evaluation=evaluation, notes=()),),
        results=(),
    )


def _sheet(book, name):
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_the_likert_answers_survive_beside_the_evaluations_level():
    book = load_workbook(io.BytesIO(programme_report(PROGRAMME, [_view(_sixteen())], "xlsx")))
    likert = _sheet(book, "Likert")
    assert {r["Answer"] for r in likert} == set(AGREE)  # not overwritten by "learning"
    assert {r["Evaluation's level"] for r in likert} == {"learning"}
    for sheet in book.worksheets:
        top = [c.value for c in sheet[1] if c.value is not None]
        assert len(top) == len(set(top)), sheet.title


def test_each_domain_shows_its_wilcoxon_method_and_both_effect_sizes():
    lead = board_domains(_sixteen()).set_index("Domain").loc["Leading"]
    # Differences 1 x10, 2 x6: mean 1.375, sd (n - 1) 0.5, so d_z 2.75; J = 1 - 3/59.
    d = np.array([1] * 10 + [2] * 6, float)
    d_z = d.mean() / d.std(ddof=1)
    # Leading has a hidden level (6 chose Agree after), so the board shows it coarse (ADR 43, second
    # addendum): d_z 2.75 is "large", and no exact statistic or method; unsuppressed, every figure.
    assert lead["Effect size d_z; g_z"] == "*; *" and lead["Wilcoxon method"] == "*"
    # 16 pairs: below 20 the effect size is not given in words either (ADR 43, last addendum).
    assert lead["Direction; effect size"] == "higher after; not given below 20 pairs"
    full = domains_table(_sixteen(), suppress=False).set_index("domain").loc["Leading"]
    assert (full["d_z"], full["g_z"]) == (round(d_z, 4), round(d_z * (1 - 3 / 59), 4)) == (2.75, 2.6102)
    assert full["wilcoxon_method"] == "normal approximation"  # tied differences
    page = programme_report(PROGRAMME, [_view(_sixteen())], "html").decode()
    assert "<th scope='col'>Wilcoxon method</th>" in page and "Effect size d_z; g_z" in page


def test_holm_adjusts_the_floored_p_not_the_approximate_one_below_it():
    # Nine pairs all rising by one: ties force the approximation, whose p is below the exact floor
    # 2/2^9. Worked by hand: V = 45, mean 22.5, variance 9·10·19/24 - (9³ - 9)/48 = 56.25, so
    # z = (45 - 22.5 - 0.5)/7.5 and p = 2(1 - Φ(z)) ≈ 0.0034 < 0.0039.
    ids = [f"q{i}" for i in range(12)]
    before = _survey("before", ids, Lead=[2] * 12, Data=[2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3])
    after = _survey("after", ids, Lead=[3] * 9 + [2] * 3, Data=[3, 2, 3, 2, 2, 3, 4, 3, 2, 1, 2, 3])
    evaluation = evaluate(before, after, [LEAD, DATA], cohort=ids)
    lead = next(r for r in evaluation.domains if r.domain == "Leading")
    raw = 2 * stats.norm.sf((45 - 22.5 - 0.5) / 7.5)
    assert lead.comparison.signed_rank.p == pytest.approx(raw, rel=1e-9) and raw < 2 / 2**9
    other = next(r for r in evaluation.domains if r.domain == "Data")
    assert other.comparison.signed_rank.p > 2 * 2 / 2**9  # Lead is the smallest of m = 2
    assert lead.p_wilcoxon_holm == pytest.approx(2 * 2 / 2**9)
    assert "raised to the exact test's smallest possible p" in " ".join(evaluation.rules)


def _p_shown(text: str) -> tuple[float, float]:
    raw, adjusted = text.split("; ")
    value = {"<0.001": 0.0009, "< 0.001": 0.0009, "< 0.01": 0.009, "< 0.05": 0.049, "≥ 0.05": 0.05}
    return value.get(raw) or float(raw), value.get(adjusted) or float(adjusted)


def test_no_raw_p_is_shown_above_its_adjusted_value():
    for evaluation in (_sixteen(),):
        for _, row in board_domains(evaluation).iterrows():
            for column in ("p (paired t); Holm-adjusted", "p (Wilcoxon); Holm-adjusted"):
                if row[column] and "*" not in row[column]:
                    raw, adjusted = _p_shown(row[column])
                    assert raw <= adjusted, row


def test_a_tiny_p_is_never_written_as_zero():
    # Forty pairs rising by 2 give or take a little: the t test's p is far below 1e-6.
    ids = [f"r{i:02d}" for i in range(40)]
    rise = [3] * 20 + [4] * 20
    evaluation = evaluate(_survey("before", ids, Lead=[1] * 40), _survey("after", ids, Lead=rise), [LEAD])
    p = evaluation.domains[0].comparison.t_test.p
    assert 0 < p < 1e-6
    table = domains_table(evaluation)
    assert table["p_t"].iloc[0] == pytest.approx(p, rel=1e-3) and table["p_t"].iloc[0] > 0
    outputs = render(evaluation)
    row = next(csv.DictReader(io.StringIO(outputs["domains.csv"].decode())))
    for column in ("p_t", "p_t_holm", "p_wilcoxon", "p_wilcoxon_holm"):
        assert float(row[column]) > 0, column
    book = load_workbook(io.BytesIO(outputs["evaluation.xlsx"]))
    domains = _sheet(book, "Domains")[0]
    assert domains["p (paired t)"] > 0 and domains["p (Wilcoxon)"] > 0


def test_a_suppressed_domains_text_and_counts_quote_no_small_number():
    # Six pairs, every difference 0: no spread, untested; the text once said "every one of the 6
    # differences is 0". Six pairs with ties and zeros: V, the zero and non-zero counts are hidden.
    ids = [f"s{i}" for i in range(6)]
    before = _survey("before", ids, Lead=[2] * 6, Data=[2] * 6)
    after = _survey("after", ids, Lead=[2] * 6, Data=[3, 3, 2, 2, 4, 1])
    table = domains_table(evaluate(before, after, [LEAD, DATA], cohort=ids)).set_index("domain")
    assert table.loc["Leading", "result"] == small_pairs_note(6)
    data = table.loc["Data"]
    assert data["result"] == small_pairs_note(6)
    assert (data["wilcoxon_v"], data["wilcoxon_nonzero"], data["wilcoxon_zeros"]) == ("*", "*", "*")
    text = " ".join(str(v) for v in table.to_numpy().ravel())
    assert "every one of" not in text and "zero difference" not in text


def test_withdrawals_and_the_frozen_invited_count_are_said():
    view = _view(_sixteen(), withdrawn=2, invited=18)
    page = programme_report(PROGRAMME, [view], "html").decode()
    book = load_workbook(io.BytesIO(programme_report(PROGRAMME, [view], "xlsx")))
    completion = _sheet(book, "Completion")[0]
    assert completion["Withdrawn"] == 2 and completion["Participants"] == 16
    notes = [r["Note"] for r in _sheet(book, "Notes")]
    assert "Cohort A: 2 withdrawn, left out of attendance and completion" in notes
    # Those withdrawn since stay among the invited, their answers left out (ADR 43's addendum: the
    # earlier "withdrawals ... are not counted" contradicted the answers being left out).
    said = (
        "response rates are of the 18 enrolled when the surveys were uploaded on 3 March 2026; since then "
        "2 withdrawn (still among the 18 invited; their answers left out), so the cohort has 16 now"
    )
    assert f"Cohort A, Before and after: {said}" in notes
    assert "2 withdrawn, left out of attendance and completion" in page and said[1:] in page


def test_each_level_heading_holds_only_its_own_domains():
    page = programme_report(PROGRAMME, [_view(_sixteen())], "html").decode()
    two = page.split("Level 2, learning", 1)[1].split("Level 3, behaviour", 1)[0]
    three = page.split("Level 3, behaviour", 1)[1].split("Level 4, results", 1)[0]
    assert "<td>Leading</td>" in two and "<td>Practice</td>" not in two
    assert "<td>Practice</td>" in three and "<td>Leading</td>" not in three


def test_labels_conventions_and_pdf_rows():
    page = programme_report(PROGRAMME, [_view(_sixteen())], "html").decode()
    assert "Sessions held" not in page and "<th scope='col'>Possible attendances</th>" in page
    assert "page-break-inside:avoid" in page
    conventions = re.findall(r"<tr><td>rule</td><td>(.*?)</td></tr>", page)
    assert conventions and all(":" in text for text in conventions)  # none bare, as "the cohort list"
    assert "response rates: against the cohort list" in conventions


def test_the_approximation_floor_matches_the_exact_test():
    # Independent check of 2/2^n: the exact distribution's smallest two-sided p for n = 6 (SciPy).
    exact = stats.wilcoxon([1, 2, 3, 4, 5, 6], method="exact").pvalue
    assert exact == pytest.approx(2 / 2**6) and math.isclose(2 / 2**9, 0.00390625)


# --- ADR 43, last addendum: the board's coarse rows, its one note, its workbook's p-values ---


def test_a_coarse_row_says_see_note_and_the_reason_is_said_once_under_the_table():
    page = programme_report(PROGRAMME, [_view(_sixteen())], "html").decode()
    assert f"<td>{HIDDEN_RESULT}</td>" in page
    # Once under each level's table (never in a row): learning and behaviour here.
    said = "coarse result: an item of the domain has a level shown as *"
    assert page.count(said) == page.count("<p>Note (hidden: small numbers (see note)): ") >= 1
    assert f"<td>{said}" not in page
    assert (
        "levels with fewer than 8 people, zeros included, are shown as *" in page or "Not drawn" not in page
    )
    assert all("before and after" not in title for title in LEVEL_TITLES.values())


def test_the_board_workbook_shows_bands_and_no_difference_counts_for_a_coarse_domain():
    book = load_workbook(io.BytesIO(programme_report(PROGRAMME, [_view(_sixteen())], "xlsx")))
    lead = next(r for r in _sheet(book, "L2 and L3 domains") if r["Domain"] == "Leading")
    assert lead["Zero differences"] == "*" and lead["Non-zero differences"] == "*"
    assert lead["t"] == "*" and lead["Wilcoxon V"] == "*" and lead["Effect size d_z"] == "*"
    for header in ("p (paired t)", "p (Wilcoxon)", "p (paired t), Holm-adjusted"):
        assert lead[header] in ("< 0.001", "< 0.01", "< 0.05", "≥ 0.05"), lead
    assert lead["Result"].startswith(COARSE_NOTE)


def test_a_p_below_0_001_reads_as_text_in_the_board_workbook_never_0():
    # Unsuppressed domains_table gives the t test's p as a float far below 0.001 for the sixteen pairs.
    assert float(domains_table(_sixteen(), suppress=False)["p_t"].iloc[0]) < 0.001
    book = load_workbook(io.BytesIO(programme_report(PROGRAMME, [_view(_sixteen())], "xlsx")))
    values = [r["p (paired t)"] for r in _sheet(book, "L2 and L3 domains")]
    assert all(not isinstance(v, float) or v >= 0.001 for v in values), values
