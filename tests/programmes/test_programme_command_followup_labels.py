"""`stocktake programme evaluate --level behaviour` (issue 29's fourth review): without ``--labels`` the
files call the second survey the follow-up, not "after", and a reaction domain DOMAINS.yaml declares,
which a follow-up is not asked, is named in a note rather than silently dropped."""

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from test_programme_command_followup import _inputs, _run


def test_a_follow_ups_files_say_before_and_follow_up(tmp_path):
    folder = _inputs(tmp_path)
    result = _run(folder, "--level", "behaviour")
    assert result.exit_code == 0, result.output
    out = Path(folder) / "out"
    domains = pd.read_csv(out / "domains.csv")
    assert {"responded_follow-up", "mean_follow-up_paired", "follow-up_only"} <= set(domains.columns)
    assert not [c for c in domains.columns if "after" in c]
    assert set(pd.read_csv(out / "items.csv")["survey"]) == {"before", "follow-up"}
    page = (out / "evaluation.html").read_text()
    assert "Programme evaluation: before and follow-up" in page
    sheet = load_workbook(out / "evaluation.xlsx")["Domains"]
    headers = [c.value for c in sheet[1]]
    assert "Mean follow-up, paired" in headers and not [h for h in headers if "after" in str(h)]


def test_a_skipped_reaction_domain_is_named_in_a_note(tmp_path):
    folder = _inputs(tmp_path)
    result = _run(folder, "--level", "behaviour")
    assert result.exit_code == 0, result.output
    note = (
        "DOMAINS.yaml: reaction domain 'The programme' not evaluated: a follow-up (--level behaviour) is not "
        "asked reaction (L1) items"
    )
    assert note in " ".join(result.output.split())
    notes = pd.read_excel(Path(folder) / "out" / "evaluation.xlsx", sheet_name="Notes")["Note"]
    assert notes.str.startswith(note).any()


def test_labels_given_are_kept(tmp_path):
    folder = _inputs(tmp_path)
    result = _run(folder, "--level", "behaviour", "--labels", "pre,six months")
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(Path(folder) / "out" / "items.csv")["survey"]) == {"pre", "six months"}
