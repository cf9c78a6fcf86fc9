"""Survey exports, SCALE.yaml and DOMAINS.yaml read: the real APHA survey, the export shapes of the
survey tools, and each kind of bad input named by file, row, column and value."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from stocktake.files.programme import ProgrammeFileError, read_cohort, read_domains, read_scales, read_survey
from stocktake.programmes import summarise_items

HERE = Path(__file__).resolve().parent
APHA = HERE.parents[2] / "shared" / "fixtures" / "leadership" / "nhsrdatasets_apha_cpd_survey.csv"
SCALE, DOMAINS = HERE / "apha" / "SCALE.yaml", HERE / "apha" / "DOMAINS.yaml"


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(APHA, dtype=str, keep_default_na=False)


def _apha(scale: Path = SCALE, **how):
    domains = read_domains(DOMAINS, read_scales(scale))
    return read_survey(APHA, "survey", "respondent_id", domains, **how), domains


def test_the_apha_survey_imports_with_every_answer_on_its_level(raw):
    read, domains = _apha()
    assert len(read.survey.ids) == 237 and read.notes == ()
    counts = {s.item: s for s in summarise_items(read.survey, domains)}
    # Independent truth: the raw texts counted as written. "Yes –  a little" has an en dash and two
    # spaces; the scale writes "Yes - a little".
    influence = raw["q24a_org_analytics_influence_cat"].value_counts()
    assert counts["q24a_org_analytics_influence_cat"].counts == (
        influence["Not at all"],
        influence["Yes –  a little"],
        influence["Yes – somewhat"],
        influence["Yes – very often"],
        influence["Yes – analytics influences most decisions"],
    )
    # "Often — …" (an em dash) is matched by the prefix "Often…".
    time = raw["q12a_cpd_time_at_work_cat"].str.split(" ").str[0].value_counts()
    assert counts["q12a_cpd_time_at_work_cat"].counts == tuple(
        time[w] for w in ("Rarely", "Sometimes", "Often", "Always")
    )
    # "-" is a skipped question, counted as skipped.
    leave = counts["q18a_org_study_leave_ind"]
    assert leave.missing == (raw["q18a_org_study_leave_ind"] == "-").sum() == 22
    assert leave.counts == (
        (raw["q18a_org_study_leave_ind"] == "No").sum(),
        (raw["q18a_org_study_leave_ind"] == "Yes").sum(),
    )


def _scale_without(tmp_path: Path, *lines: str) -> Path:
    text = SCALE.read_text()
    for line in lines:
        assert line in text
        text = text.replace(line, "")
    path = tmp_path / "SCALE.yaml"
    path.write_text(text)
    return path


MOST = '    - label: Most decisions\n      answers: ["Yes - analytics influences most decisions"]\n'
FULLY = "    - Fully aware\n"


def test_answers_not_on_the_scale_are_listed_and_refused(tmp_path, raw):
    scale = _scale_without(tmp_path, MOST, FULLY)
    with pytest.raises(ProgrammeFileError) as refused:
        _apha(scale)
    message = str(refused.value)
    first = int(np.flatnonzero(raw["q11a_nhs_cpd_aware_cat"] == "Fully aware")[0]) + 2  # the sheet's row
    assert message.startswith(
        f"{APHA}, row {first}, column q11a_nhs_cpd_aware_cat: found 'Fully aware', expected an answer on the "
        "scale 'awareness'; 2 answer(s) not on the scale: q11a_nhs_cpd_aware_cat: 'Fully aware' x27, "
        "q24a_org_analytics_influence_cat: 'Yes – analytics influences most decisions' x24"
    )
    assert "--unknown-as-missing" in message and "\n" not in message


def test_unknown_answers_can_be_counted_as_skipped_and_are_still_listed(tmp_path):
    read, domains = _apha(_scale_without(tmp_path, MOST), unknown_as_missing=True)
    assert read.unknown_as_missing == 24
    assert read.notes == (
        "treated as skipped, as asked: 24 answers, 1 answer(s) not on the scale: "
        "q24a_org_analytics_influence_cat: 'Yes – analytics influences most decisions' x24",
    )
    influence = next(s for s in summarise_items(read.survey, domains) if s.item.startswith("q24a"))
    assert influence.missing == 24 and influence.answered == 237 - 24


# --- bad input: one line naming file, row, column and value -----------------------------------------


SIMPLE_SCALE = "scales:\n  agreement: [Disagree, Neutral, Agree]\n"
SIMPLE_DOMAINS = "domains:\n  - name: Leading\n    scale: agreement\n    items: [Q1, Q2]\n"


def _files(tmp_path: Path, survey: str, scale: str = SIMPLE_SCALE, domains: str = SIMPLE_DOMAINS):
    (tmp_path / "SCALE.yaml").write_text(scale)
    (tmp_path / "DOMAINS.yaml").write_text(domains)
    path = tmp_path / "pre.csv"
    path.write_text(survey, encoding="utf-8")
    return path, read_domains(tmp_path / "DOMAINS.yaml", read_scales(tmp_path / "SCALE.yaml"))


@pytest.mark.parametrize(
    ("survey", "message"),
    [
        (
            "ID,Q1,Q2\n1,Agree,Agree\n2,Neutral,Agree\n1,Agree,Disagree\n",
            "row 4, column ID: found '1', expected an id used once (it is on row 2 too): "
            "a duplicate response",
        ),
        (
            "ID,Q1,Q2\n1,Agree,Agree\n,Neutral,Agree\n",
            "row 3, column ID: found a blank, expected a response id",
        ),
        (
            "ID,Q1,Q2\n1,Agree,Agree\n2,Agreed,Agree\n",
            "row 3, column Q1: found 'Agreed', expected an answer on the scale 'agreement'; "
            "1 answer(s) not on the scale: Q1: 'Agreed' x1",
        ),
        (
            "ID,Q1,Q02\n1,Agree,Agree\n",
            "row 1: no column 'Q2', which DOMAINS.yaml's domain 'Leading' names as an item; "
            "did you mean 'Q02'?",
        ),
        ("Respondent,Q1,Q2\n1,Agree,Agree\n", "row 1: no column 'ID', which --id names"),
    ],
)
def test_bad_surveys_are_refused_in_one_line(tmp_path, survey, message):
    path, domains = _files(tmp_path, survey)
    with pytest.raises(ProgrammeFileError) as refused:
        read_survey(path, "pre", "ID", domains)
    assert str(refused.value).startswith(f"{path}, {message}"), str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_respondent_outside_the_cohort_is_named(tmp_path):
    path, domains = _files(tmp_path, "ID,Q1,Q2\nA1,Agree,Agree\nZ9,Neutral,Agree\n")
    cohort_file = tmp_path / "cohort.csv"
    cohort_file.write_text("ID,name\nA1,x\nA2,y\n")
    cohort = read_cohort(cohort_file, "ID")
    with pytest.raises(ProgrammeFileError) as refused:
        read_survey(path, "pre", "ID", domains, cohort=cohort, cohort_file=cohort_file)
    assert str(refused.value) == (
        f"{path}, row 3, column ID: found 'Z9', expected an id of the cohort ({cohort_file})"
    )


def test_a_duplicate_in_the_cohort_is_named(tmp_path):
    cohort_file = tmp_path / "cohort.csv"
    cohort_file.write_text("ID\nA1\nA1\n")
    with pytest.raises(ProgrammeFileError, match=r"cohort.csv, row 3, column ID: found 'A1'"):
        read_cohort(cohort_file, "ID")


@pytest.mark.parametrize(
    ("scale", "domains", "message"),
    [
        (
            SIMPLE_SCALE,
            "domains:\n  - name: Leading\n    scale: agree\n    items: [Q1]\n",
            "no scale 'agree'",
        ),
        (SIMPLE_SCALE, "domains:\n  - name: Leading\n    scale: agreement\n    items: []\n", "items"),
        (SIMPLE_SCALE, "domains: [\n", "cannot read the domains"),
        ("scales:\n  agreement: [Agree]\n", SIMPLE_DOMAINS, "needs at least two levels"),
        ("scales:\n  agreement: [Agree, agree]\n", SIMPLE_DOMAINS, "given for both"),
        ("scale:\n  agreement: [Agree, Disagree]\n", SIMPLE_DOMAINS, "scales: Field required"),
        (
            SIMPLE_SCALE,
            SIMPLE_DOMAINS + "  - name: Leading\n    scale: agreement\n    items: [Q1]\n",
            "the domain name is used twice",
        ),
        (
            SIMPLE_SCALE,
            "domains:\n  - name: Leading\n    level: results\n    scale: agreement\n    items: [Q1]\n",
            "domains.0.level: Input should be 'reaction', 'learning' or 'behaviour'",
        ),
    ],
)
def test_bad_scales_and_domains_are_refused(tmp_path, scale, domains, message):
    with pytest.raises(ProgrammeFileError, match=message):
        _files(tmp_path, "ID,Q1,Q2\n1,Agree,Agree\n", scale, domains)


def test_a_domain_declares_its_kirkpatrick_level_and_is_learning_when_silent(tmp_path):
    (tmp_path / "SCALE.yaml").write_text(SIMPLE_SCALE)
    (tmp_path / "DOMAINS.yaml").write_text(
        "domains:\n  - name: Feedback\n    level: reaction\n    scale: agreement\n    items: [Q1]\n"
        "  - name: Leading\n    scale: agreement\n    items: [Q2]\n"
    )
    domains = read_domains(tmp_path / "DOMAINS.yaml", read_scales(tmp_path / "SCALE.yaml"))
    assert [(d.name, d.level) for d in domains] == [("Feedback", "reaction"), ("Leading", "learning")]


# --- the shapes survey tools export ---------------------------------------------------------------


def test_qualtrics_extra_header_rows_are_skipped_and_rows_keep_their_numbers(tmp_path):
    survey = (
        "ResponseId,Q1,Q2\n"
        "Response ID,How much do you agree?,And now?\n"
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}"\n'
        "R_1,Agree,Agree\n"
        "R_2,Neutral,Agreed\n"
    )
    path, domains = _files(tmp_path, survey)
    with pytest.raises(ProgrammeFileError, match=r"row 5, column Q2: found 'Agreed'"):
        read_survey(path, "pre", "ResponseId", domains)
    path.write_text(survey.replace("Agreed", "Agree"))
    read = read_survey(path, "pre", "ResponseId", domains)
    assert read.survey.ids == ("R_1", "R_2")
    assert read.notes == ("skipped Qualtrics' 2 row(s) under the header",)


def test_surveymonkey_sub_header_is_skipped(tmp_path):
    survey = "Respondent ID,Q1,Q2\n,Response,Response\n11,Agree,Neutral\n12,Disagree,Agree\n"
    path, domains = _files(tmp_path, survey)
    read = read_survey(path, "pre", "Respondent ID", domains)
    assert read.survey.ids == ("11", "12")
    np.testing.assert_array_equal(read.survey.scores["Q1"], [3, 1])


def test_a_forms_workbook_reads_as_its_csv(tmp_path):
    # Microsoft Forms: question texts as headers, en dashes in answers; items matched by their text.
    domains_text = (
        "domains:\n  - name: Leading\n    scale: agreement\n"
        "    items: ['I can lead a team - through change', 'I ask for feedback']\n"
    )
    rows = [
        ["ID", "Start time", "I can lead a team – through change", "I ask  for feedback"],
        [1, "2026-01-05 09:00", "Agree", "Neutral"],
        [2, "2026-01-05 09:10", "-", "Disagree"],
    ]
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(tmp_path / "pre.xlsx")
    csv_text = "\n".join(",".join(str(c) for c in row) for row in rows) + "\n"
    path, domains = _files(tmp_path, csv_text, domains=domains_text)
    from_csv = read_survey(path, "pre", "id", domains).survey
    from_xlsx = read_survey(tmp_path / "pre.xlsx", "pre", "id", domains).survey
    assert from_csv.ids == from_xlsx.ids == ("1", "2")
    for item in domains[0].items:
        np.testing.assert_array_equal(from_csv.scores[item], from_xlsx.scores[item])
    np.testing.assert_array_equal(from_xlsx.scores["I can lead a team - through change"], [3, np.nan])
