"""`stocktake programme evaluate` end to end on a hand-made cohort with a known effect, and its bad
input: one line, exit 2, nothing written."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy import stats
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()
HERE = Path(__file__).resolve().parent
LEVELS = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
SCALE = """
missing: ["-", ""]
scales:
  agreement:
    - Strongly disagree
    - Disagree
    - label: Neither agree nor disagree
      answers: [Neutral]
    - Agree
    - Strongly agree
"""
DOMAINS = """
domains:
  - name: Leading change
    scale: agreement
    items: ["I can lead a team through change", "I involve staff in improvement"]
  - name: Reflection
    scale: agreement
    items: ["I reflect on feedback"]
"""
HEADER = [
    "ID",
    "Start time",
    "I can lead a team through change",
    "I involve staff in improvement",
    "I reflect on feedback",
]


def _cohort() -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Before and after levels (1-5) of both "Leading change" items, by person.

    P01-P08 rise one level (2 → 3), P09-P10 stay at 3, P11-P12 fall one (4 → 3): twelve pairs with
    differences 1 x8, 0 x2, -1 x2. P13 answered before only (5, 5); P14 after only (1, 1)."""
    before = {f"P{i:02d}": (2, 2) for i in range(1, 9)} | {"P09": (3, 3), "P10": (3, 3)}
    before |= {"P11": (4, 4), "P12": (4, 4), "P13": (5, 5)}
    after = {f"P{i:02d}": (3, 3) for i in range(1, 13)} | {"P14": (1, 1)}
    return before, after


def _write_survey(path: Path, levels: dict[str, tuple[int, int]], reflection_answered: set[str]) -> None:
    rows = [
        [
            pid,
            "2026-01-05 09:00",
            LEVELS[a - 1],
            LEVELS[b - 1],
            "Agree" if pid in reflection_answered else "-",
        ]
        for pid, (a, b) in levels.items()
    ]
    pd.DataFrame(rows, columns=HEADER).to_csv(path, index=False)


@pytest.fixture
def inputs(tmp_path):
    before, after = _cohort()
    # "Reflection": everyone answers before, only P01-P04 after: four pairs, counts only.
    _write_survey(tmp_path / "pre.csv", before, set(before))
    _write_survey(tmp_path / "post.csv", after, {"P01", "P02", "P03", "P04"})
    (tmp_path / "SCALE.yaml").write_text(SCALE)
    (tmp_path / "DOMAINS.yaml").write_text(DOMAINS)
    (tmp_path / "cohort.csv").write_text("ID\n" + "\n".join(f"P{i:02d}" for i in range(1, 15)) + "\n")
    return tmp_path


def _run(folder: Path, *extra: str, out: str = "out", pre: str = "pre.csv"):
    args = ["programme", "evaluate", str(folder / pre), str(folder / "post.csv"), "--id", "ID"]
    args += ["--scale", str(folder / "SCALE.yaml"), "--domains", str(folder / "DOMAINS.yaml")]
    args += ["--out", str(folder / out), *extra]
    return runner.invoke(app, args)


def _domains(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "out" / "domains.csv", dtype=str, keep_default_na=False).set_index("domain")


def test_the_known_effect_is_found_and_worked_by_hand(inputs):
    result = _run(inputs, "--cohort", str(inputs / "cohort.csv"), "--no-suppress")
    assert result.exit_code == 0, result.output
    row = _domains(inputs).loc["Leading change"]
    # Differences d: 1 x8, 0 x2, -1 x2 (n = 12). mean 6/12 = 0.5; variance (10 - 12 x 0.25) / 11 = 7/11.
    sd = np.sqrt(7 / 11)
    assert (row["paired"], row["before_only"], row["after_only"], row["cohort"]) == ("12", "1", "1", "14")
    assert float(row["response_rate_before"]) == pytest.approx(13 / 14, abs=5e-5)
    assert float(row["mean_before_paired"]) == 2.5 and float(row["mean_after_paired"]) == 3.0  # 30/12, 36/12
    assert float(row["mean_difference"]) == 0.5
    assert float(row["t"]) == pytest.approx(0.5 / (sd / np.sqrt(12)), abs=5e-5)
    assert row["df"] == "11"
    assert float(row["d_z"]) == pytest.approx(0.5 / sd, abs=5e-5)
    assert float(row["g_z"]) == pytest.approx(0.5 / sd * (1 - 3 / 43), abs=5e-5)
    # Wilcoxon: the two zeros dropped (n = 10), all |d| tie at rank 5.5: V = 8 x 5.5 = 44.
    # E[V] = 10 x 11 / 4 = 27.5; Var = 10 x 11 x 21 / 24 - (10^3 - 10) / 48 = 75.625.
    z = (44 - 27.5 - 0.5) / np.sqrt(75.625)
    assert (row["wilcoxon_v"], row["wilcoxon_nonzero"], row["wilcoxon_zeros"]) == ("44.0", "10", "2")
    assert float(row["p_wilcoxon"]) == pytest.approx(2 * stats.norm.sf(z), abs=5e-7)
    assert row["wilcoxon_method"] == "normal approximation" and row["result"] == "tested"
    # The unpaired people are reported beside the pairs, never in them.
    assert (row["mean_before_only"], row["mean_after_only"]) == ("5.0", "1.0")


def test_four_pairs_show_counts_only(inputs):
    result = _run(inputs, "--no-suppress")
    assert result.exit_code == 0, result.output
    row = _domains(inputs).loc["Reflection"]
    assert row["paired"] == "4" and row["p_t"] == "" and row["p_wilcoxon"] == ""
    assert row["result"].startswith("counts only: 4 paired responses, fewer than 5")
    # No cohort list: everyone who answered either survey (14) is the cohort, and the outputs say so.
    assert row["cohort"] == "14"
    # Counts only: no means, paired or not (ADR 23).
    assert row["mean_before_paired"] == row["mean_after_paired"] == row["mean_before_only"] == ""
    conventions = pd.read_excel(inputs / "out" / "evaluation.xlsx", sheet_name="Conventions")
    assert conventions["Convention"].str.contains("everyone who answered either survey").any()


def test_small_numbers_are_suppressed_in_every_export(inputs):
    result = _run(inputs, "--cohort", str(inputs / "cohort.csv"))
    assert result.exit_code == 0, result.output
    domains = _domains(inputs)
    leading, reflection = domains.loc["Leading change"], domains.loc["Reflection"]
    # Who answered is shown, as attendance is (P13 before only: 1); the mean of that one person is not.
    assert leading["paired"] == "12" and leading["before_only"] == "1" and leading["mean_before_only"] == "*"
    assert leading["response_rate_after"] == str(round(13 / 14, 4))
    assert leading["p_t"] != "*" and leading["suppressed"] == "True"
    # Four pairs: counts only, the count and the rule stated; no mean to hide.
    assert reflection["paired"] == "4" and reflection["mean_after_paired"] == ""
    assert reflection["result"].startswith("counts only: 4 paired responses, fewer than 5")
    likert = pd.read_csv(inputs / "out" / "likert.csv", dtype=str, keep_default_na=False)
    before = likert[(likert["survey"] == "before") & (likert["item"] == "I can lead a team through change")]
    # Before: 0 strongly disagree, 8 disagree (shown), 2 neither, 2 agree, 1 strongly agree. The 0 is
    # hidden with the small levels: shown, it would say which levels the hidden total falls in (ADR 43).
    assert before["count"].tolist() == ["*", "8", "*", "*", "*"]
    # With levels hidden, no shares (issue 29's second attack): 8 of 13 is the shown counts' own fact,
    # and the top-two share would give the hidden cells away.
    assert before["share"].tolist() == ["*"] * 5
    workbook = load_workbook(inputs / "out" / "evaluation.xlsx")
    cells = [c for row in workbook["Likert"].iter_rows(values_only=True) for c in row]
    assert "*" in cells and set(workbook.sheetnames) == {"Domains", "Items", "Likert", "Conventions", "Notes"}
    page = (inputs / "out" / "evaluation.html").read_text()
    assert "Not drawn as a chart (I can lead a team through change, I involve staff in improvement)" in page
    # The distribution is still there, as a table: 8 of 13 disagreed before.
    assert "<td>8</td>" in page and "<th scope='col'>Disagree</th>" in page


def test_the_html_draws_diverging_bars(inputs):
    result = _run(inputs, "--no-suppress", "--labels", "pre,post")
    assert result.exit_code == 0, result.output
    page = (inputs / "out" / "evaluation.html").read_text()
    assert page.count('"orientation":"h"') >= 5 and "Not drawn" not in page
    assert '"showSendToCloud": false' in page  # the report's chart options: no button to Plotly's cloud
    items = pd.read_csv(inputs / "out" / "items.csv")
    assert set(items["survey"]) == {"pre", "post"}


def _nothing_written(folder: Path) -> bool:
    return not (folder / "out").exists()


def _append_duplicate(folder: Path) -> None:
    survey = folder / "pre.csv"
    survey.write_text(survey.read_text() + "P01,2026-01-06 10:00,Agree,Agree,-\n")


def _answer_off_the_scale(folder: Path) -> None:
    survey = folder / "pre.csv"
    survey.write_text(survey.read_text().replace("P13,2026-01-05 09:00,Strongly agree", "P13,x,Quite agree"))


def _short_cohort(folder: Path) -> None:
    (folder / "cohort.csv").write_text("ID\nP01\nP02\n")


def _domain_naming_a_missing_item(folder: Path) -> None:
    (folder / "DOMAINS.yaml").write_text(DOMAINS.replace("I reflect on feedback", "I reflect daily"))


BAD_INPUT = {
    "duplicate": (_append_duplicate, "pre.csv, row 15, column ID: found 'P01', expected an id used once"),
    "not-on-scale": (
        _answer_off_the_scale,
        "pre.csv, row 14, column I can lead a team through change: found 'Quite agree', expected an answer "
        "on the scale 'agreement'",
    ),
    "not-in-cohort": (_short_cohort, "pre.csv, row 4, column ID: found 'P03', expected an id of the cohort"),
    "missing-item": (
        _domain_naming_a_missing_item,
        "pre.csv, row 1: no column 'I reflect daily', which DOMAINS.yaml's domain 'Reflection' names",
    ),
}


@pytest.mark.parametrize(("change", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_one_line_and_writes_nothing(inputs, change, message):
    change(inputs)
    result = _run(inputs, "--cohort", str(inputs / "cohort.csv"))
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert message in output and output.count("error:") == 1 and "Traceback" not in output
    assert _nothing_written(inputs)


def test_bad_input_leaves_earlier_results_as_they_were(inputs):
    assert _run(inputs).exit_code == 0
    earlier = {p.name: p.read_bytes() for p in (inputs / "out").iterdir()}
    (inputs / "post.csv").write_text((inputs / "post.csv").read_text().replace("P14,", "P01,"))
    result = _run(inputs)
    assert result.exit_code == 2 and "post.csv, row 14, column ID: found 'P01'" in " ".join(
        result.output.split()
    )
    assert {p.name: p.read_bytes() for p in (inputs / "out").iterdir()} == earlier


def test_the_labels_must_be_two_names(inputs):
    result = _run(inputs, "--labels", "pre")
    assert result.exit_code == 2 and "--labels 'pre': write two different names" in result.output
    assert _nothing_written(inputs)


def test_the_apha_survey_runs_through_the_command(tmp_path):
    survey = HERE.parents[2] / "shared" / "fixtures" / "leadership" / "nhsrdatasets_apha_cpd_survey.csv"
    args = ["programme", "evaluate", str(survey), str(survey), "--id", "respondent_id"]
    args += ["--scale", str(HERE / "apha" / "SCALE.yaml"), "--domains", str(HERE / "apha" / "DOMAINS.yaml")]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    domains = pd.read_csv(io.StringIO((tmp_path / "out" / "domains.csv").read_text()))
    # The same survey twice: every difference is zero, so nothing is tested, and it says so.
    assert (domains["paired"] == [237] * 6 + [215]).all()
    assert domains["result"].str.contains("differences is 0").all()
