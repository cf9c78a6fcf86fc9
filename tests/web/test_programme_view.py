"""A cohort's evaluation on the web and the demo's report (issue 29's attack): refusals worded for the
form, not the command line; level 1 only the reaction items; a counts-only domain without means;
the caution on five tied pairs; a follow-up that need not carry the reaction items; the demo's
report with numbers at levels 1 to 3 and a counts-only domain."""

from __future__ import annotations

import re

import pytest

from stocktake.appdb import actions
from stocktake.files.programme_roster import ParticipantRow
from stocktake.web.programme_view import evaluate_stored, for_the_web

SCALE = "scales:\n  agreement: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]\n"
DOMAINS = """domains:
  - name: Feedback
    level: reaction
    scale: agreement
    items: [Useful]
  - name: Leading
    scale: agreement
    items: [I lead]
  - name: Coaching
    level: learning
    scale: agreement
    items: [I coach]
"""
CODES = [f"P{i:02d}" for i in range(1, 9)]


def _pre() -> bytes:
    """Everyone: I lead = Disagree; I coach asked of P01-P03 only."""
    rows = [f"{c},Disagree,{'Disagree' if c <= 'P03' else '-'}" for c in CODES]
    return ("Respondent,I lead,I coach\n" + "\n".join(rows) + "\n").encode()


def _post(with_useful: bool = True, odd: str = "Agree") -> bytes:
    """P01-P05 answer: I lead Neutral x4 and Agree (differences 1, 1, 1, 1, 2: five tied pairs);
    I coach for P01-P03 (three pairs: counts only); Useful (reaction) Agree."""
    lead = ["Neutral"] * 4 + [odd]
    head = "Respondent,I lead,I coach" + (",Useful" if with_useful else "")
    rows = [
        f"{c},{lead[i]},{'Agree' if i < 3 else '-'}" + (",Agree" if with_useful else "")
        for i, c in enumerate(CODES[:5])
    ]
    return (head + "\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def cohort(app):
    with app.state.sessions() as db:
        programme = actions.create_programme(db, by=None, name="Web leaders", modules=("Leading",))
        made = actions.add_cohort(db, by=None, programme_id=programme.id, name="First")
        rows = [ParticipantRow(0, c, f"Person {c}", "", "", "") for c in CODES]
        actions.import_participants(db, by=None, cohort_id=made.id, rows=rows, source="the test")
        return f"/programmes/{programme.id}/cohorts/{made.id}"


def _upload(client, path: str, post: bytes, id_column: str = "Respondent", level: str = "learning"):
    return client.post(
        f"{path}/evaluations",
        data={"csrf_token": client.csrf, "level": level, "label": "Pre and post", "id_column": id_column},
        files={
            "before": ("pre.csv", _pre()),
            "after": ("post.csv", post),
            "scale": ("SCALE.yaml", SCALE.encode()),
            "domains": ("DOMAINS.yaml", DOMAINS.encode()),
        },
        follow_redirects=False,
    )


def test_refusals_name_the_form_not_the_command_line(clients, cohort):
    editor = clients["editor"]
    off_scale = _upload(editor, cohort, _post(odd="Quite agree"))
    assert off_scale.status_code == 422
    assert "post.csv, row 6, column I lead: found" in off_scale.text
    assert "Count answers not on the scale as skipped" in off_scale.text
    assert "--unknown-as-missing" not in off_scale.text
    no_column = _upload(editor, cohort, _post(), id_column="Respondent id")
    assert no_column.status_code == 422
    assert "id column names" in no_column.text and "--id" not in no_column.text


def test_for_the_web_leaves_no_flag_in_any_reader_message():
    cli = (
        "post.csv, row 6, column I lead: found 'x', expected an answer on the scale 'agreement'; 1 answer(s) "
        "not on the scale: I lead: 'x' x1 (add them to SCALE.yaml, or use --unknown-as-missing to count "
        "them as skipped)"
    )
    assert "--" not in for_the_web(cli) and "add them to SCALE.yaml" in for_the_web(cli)
    assert "--" not in for_the_web("pre.csv, row 1: no column 'ID', which --id names")


def test_the_cohort_page_shows_reaction_at_level_1_counts_only_and_the_caution(clients, cohort):
    answer = _upload(clients["editor"], cohort, _post())
    assert answer.status_code == 303, answer.text
    page = clients["viewer"].get(cohort).text
    section = page.split('id="evaluation-heading"', 1)[1].split('id="results-heading"', 1)[0]
    level_one = section.split("Level 1, reaction", 1)[1].split("Level 2, learning", 1)[0]
    assert "Useful" in level_one and "I lead" not in level_one
    assert "5 (100%)" in level_one  # five answered Agree
    coaching = re.search(r"<tr class=\"nhsuk-table__row\">\s*<td[^>]*>Coaching.*?</tr>", section, re.S).group(
        0
    )
    assert "counts only" in coaching and "nan" not in coaching and "3 paired responses" in coaching
    # Five pairs, tied: the approximation's p and the exact test's floor, 2/2^5.
    assert "could never give p below 2/2^5 = 0.0625" in section
    assert "5 pairs are too few" in section


def test_a_follow_up_need_not_carry_the_reaction_items():
    files = {
        "before": ("pre.csv", _pre()),
        "after": ("later.csv", _post(with_useful=False)),
        "scale": ("SCALE.yaml", SCALE.encode()),
        "domains": ("DOMAINS.yaml", DOMAINS.encode()),
    }
    evaluation, _ = evaluate_stored(files, CODES, "Respondent", ("before", "follow-up"), level="behaviour")
    assert [d.domain for d in evaluation.domains] == ["Leading", "Coaching"]
    assert not [s for s in evaluation.items if s.level == "reaction"]
    with pytest.raises(Exception, match="no column 'Useful'"):  # a learning evaluation's after survey must
        evaluate_stored(files, CODES, "Respondent", ("before", "after"), level="learning")


def test_a_behaviour_follow_up_without_reaction_items_is_kept_through_the_form(clients, cohort):
    answer = _upload(clients["editor"], cohort, _post(with_useful=False), level="behaviour")
    assert answer.status_code == 303, answer.text
    assert (
        _upload(clients["editor"], cohort, _post(with_useful=False)).status_code == 422
    )  # learning: needs it


def test_the_demo_report_has_numbers_at_every_level_and_a_counts_only_domain(app, clients):
    from stocktake.demo.programme import NAME, seed_programme

    assert seed_programme(app.state.settings) is True
    listing = clients["viewer"].get("/programmes").text
    path = re.search(rf'href="(/programmes/\d+)">{NAME}</a>', listing).group(1)
    report = clients["viewer"].get(f"{path}/report.html").text
    level_one = report.split("Level 1, reaction", 1)[1].split("Level 2, learning", 1)[0]
    assert '"orientation":"h"' in level_one  # at least one reaction item drawn
    assert "The sessions were relevant to my work" in level_one
    assert "I can read an SPC chart" not in level_one  # a learning item: level 2's
    level_two = report.split("Level 2, learning", 1)[1].split("Level 3, behaviour", 1)[0]
    level_three = report.split("Level 3, behaviour", 1)[1].split("Level 4, results", 1)[0]
    # Level 2 shows the learning domains after the programme and at six months; level 3 the behaviour
    # domain, wherever it was asked (issue 29's second attack: no learning domain under level 3).
    leading = re.findall(r"<tr><td>Leading improvement</td>.*?</tr>", level_two)
    assert len(leading) == 3  # both cohorts after the programme, the first also at six months
    for row in leading:
        cells = re.findall(r"<td>(.*?)</td>", row)
        # The tests are shown coarse, the means not at all, since an item of the domain has a level of
        # 1-7 people in one of the surveys (ADR 43's addenda); the row says "see note", the note why.
        band = r"(&lt; 0\.001|&lt; 0\.01|&lt; 0\.05|≥ 0\.05)"
        assert re.fullmatch(f"{band}; {band}", cells[8]), cells
        direction = r"((higher|lower) (after|at [\w -]+)|no clear change)"
        # (the demo's cohorts have fewer than 20 pairs: no effect size in words, ADR 43's last addendum)
        words = r"(negligible|small|medium|large|not given below 20 pairs)"
        assert re.fullmatch(f"{direction}; {words}", cells[12]), cells
        assert cells[7] == "*" and cells[11] == "*; *", cells
        assert cells[13] == "hidden: small numbers (see note)", cells
        assert re.search(r"\d+ of \d+ invited \(\d+%\)", cells[2])
    assert re.search(r"counts only: [1-4] paired responses?, fewer than 5", level_two)
    assert "an item of the domain has a level shown as *" in level_two  # the note under the table
    # (The Holm note under level 3 names its family, learning domains too: no learning domain's row.)
    assert "<tr><td>Improvement in my service</td>" in level_three
    assert "<tr><td>Leading improvement</td>" not in level_three
    assert "<tr><td>Improvement in my service</td>" not in level_two
