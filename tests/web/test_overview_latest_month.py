"""Load a new month and see it (issue 25, ADR 29): through the upload page, the overview's latest month
moves on for the measures that month feeds; a partial month is named and left out."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.ingest.mapping import load_mapping
from stocktake.settings import DEMO_MAPPING

STAMPS = ("ARRIVAL_DATETIME", "ANAESTHESIA_START", "OG_ASSESSMENT_DATETIME")


@pytest.fixture(scope="module")
def nhfd(tmp_path_factory) -> pd.DataFrame:
    """The demo's hip-fracture extract as the trust exports it (18 months, to September 2023)."""
    folder = tmp_path_factory.mktemp("raw")
    mapping = load_mapping(DEMO_MAPPING)
    export(generate(Department(seed=11, months=18)), mapping, folder)
    return pd.read_csv(folder / mapping.datasets["hip_fractures"].file, dtype=str, keep_default_na=False)


def _next_month(nhfd: pd.DataFrame, months: int, prefix: str, to_day: int = 31) -> pd.DataFrame:
    """The extract's last month again, ``months`` later (new spell numbers), up to ``to_day``."""
    arrived = pd.to_datetime(nhfd["ARRIVAL_DATETIME"])
    last = nhfd[arrived.dt.to_period("M") == arrived.max().to_period("M")].copy()
    for column in STAMPS:
        stamps = pd.to_datetime(last[column], errors="coerce") + pd.DateOffset(months=months)
        last[column] = stamps.dt.strftime("%Y-%m-%d %H:%M").fillna("")
    last["SPELL_NO"] = prefix + last["SPELL_NO"]
    return last[pd.to_datetime(last["ARRIVAL_DATETIME"]).dt.day <= to_day]


def _load(
    client,
    frame: pd.DataFrame,
    dataset: str = "hip_fractures",
    file: str = "nhfd_submission.csv",
    kind="months",
):
    preview = client.post(
        "/uploads",
        data={"dataset": dataset, "kind": kind, "csrf_token": client.csrf},
        files={"extract": (file, frame.to_csv(index=False).encode())},
    )
    assert preview.status_code == 200 and "Check before loading" in preview.text, preview.text
    token = re.search(r'action="/uploads/([^/"]+)/confirm"', preview.text)[1]
    loaded = client.post(f"/uploads/{token}/confirm", data={"csrf_token": client.csrf})
    assert f"Loaded {len(frame):,} rows of {dataset}" in loaded.text
    return loaded


def _latest(page: str, metric_id: str) -> str:
    row = re.search(rf'href="/metrics/{metric_id}".*?</tr>', page, re.S)[0]
    return re.search(r'<span class="nhsuk-u-font-size-14">([A-Z][a-z]{2} \d{4})</span>', row)[1]


def test_a_new_month_moves_its_measures_on_and_a_partial_one_is_named(clients, nhfd):
    viewer = clients["viewer"]
    page = viewer.get("/").text
    assert _latest(page, "hipfx_surgery_36h") == "Sep 2023"
    # the 30-day outcomes wait for their 30 days, the 120-day return home for its 120 (ADR 74)
    assert "Each measure to its latest complete month: most to September 2023;" in page
    assert "Hip fracture 30-day mortality (crude), Re-referred within 30 days of discharge at virtual" in page
    assert "Since last month" in page

    _load(clients["editor"], _next_month(nhfd, 1, "OCT"))
    page = viewer.get("/").text
    assert _latest(page, "hipfx_surgery_36h") == "Oct 2023"  # the new month is shown
    assert _latest(page, "theatre_capped_utilisation") == "Sep 2023"  # the others wait for theirs
    # The stay is dated by discharge from the admissions extract, not yet loaded for October.
    assert _latest(page, "hipfx_length_of_stay") == "Sep 2023"
    assert "most to September 2023;" in page and "to October 2023." in page

    _load(clients["editor"], _next_month(nhfd, 2, "NOV", to_day=14))
    page = viewer.get("/").text
    assert _latest(page, "hipfx_surgery_36h") == "Oct 2023"  # half of November is not a point
    november = re.search(r"November 2023 incomplete: data to (\d+) November", page)
    assert november and int(november[1]) <= 14
    metric = viewer.get("/metrics/hipfx_surgery_36h").text
    assert "November 2023 incomplete: data to" in metric


def test_a_second_click_on_confirm_finds_the_upload_gone_not_a_500(clients, nhfd, monkeypatch):
    """Two confirms of one upload both pass the first check before either loads: the second must say
    the upload is no longer waiting (it was loaded), not fail."""
    from stocktake.web.routes import uploads

    editor = clients["editor"]
    preview = editor.post(
        "/uploads",
        data={"dataset": "hip_fractures", "kind": "months", "csrf_token": editor.csrf},
        files={"extract": ("nhfd_submission.csv", _next_month(nhfd, 4, "FEB").to_csv(index=False).encode())},
    )
    token = re.search(r'action="/uploads/([^/"]+)/confirm"', preview.text)[1]
    staged = uploads._staged
    seen = {}

    def as_first_seen(request, token, user):  # both requests saw the upload waiting
        seen.setdefault(token, staged(request, token, user))
        return seen[token]

    monkeypatch.setattr(uploads, "_staged", as_first_seen)
    first = editor.post(f"/uploads/{token}/confirm", data={"csrf_token": editor.csrf})
    second = editor.post(f"/uploads/{token}/confirm", data={"csrf_token": editor.csrf})
    assert "Loaded" in first.text
    assert second.status_code == 404 and "no longer waiting" in second.text


def test_the_upload_preview_warns_of_a_mapped_column_blank_in_every_row(clients, nhfd):
    """An outside check uploaded an extract with a column emptied: the preview said every row was
    right and nothing else. It now names the column, before anything is loaded."""
    editor = clients["editor"]
    blanked = nhfd.head(40).assign(MOBILISED_DAY1="")
    preview = editor.post(
        "/uploads",
        data={"dataset": "hip_fractures", "kind": "rows", "csrf_token": editor.csrf},
        files={"extract": ("nhfd_submission.csv", blanked.to_csv(index=False).encode())},
    )
    text = " ".join(preview.text.split())
    assert preview.status_code == 200 and "Check before loading" in text, text
    assert "mobilised day after surgery: blank in every row" in text
    assert "orthogeriatric review at: blank" not in text


def test_a_dataset_not_by_month_is_said_to_be_matched_row_by_row(clients, tmp_path):
    """A recheck read "It is a full extract of the months it covers" beside "Months covered: Not by
    month" for the waiting list: such a load replaces rows by their key and removes none."""
    mapping = load_mapping(DEMO_MAPPING)
    export(generate(Department(seed=11, months=3)), mapping, tmp_path)
    ptl = pd.read_csv(tmp_path / mapping.datasets["rtt_pathways"].file, dtype=str, keep_default_na=False)
    editor = clients["editor"]
    preview = editor.post(
        "/uploads",
        data={"dataset": "rtt_pathways", "kind": "months", "csrf_token": editor.csrf},
        files={"extract": ("rtt_ptl.csv", ptl.head(30).to_csv(index=False).encode())},
    )
    text = " ".join(preview.text.split())
    assert preview.status_code == 200 and "It is matched row by row: this dataset is not by month" in text
    assert "full extract of the months it covers" not in text


def test_an_upload_says_which_rows_no_measure_will_read(clients, tmp_path):
    """As `stocktake ingest` says it: a theatre case on a list not in the sessions loaded counts in no
    theatre measure (an outside check's case was "added", silently)."""
    folder = tmp_path / "raw"
    folder.mkdir()
    mapping = load_mapping(DEMO_MAPPING)
    export(generate(Department(seed=11, months=18)), mapping, folder)
    cases = pd.read_csv(folder / mapping.datasets["theatre_cases"].file, dtype=str, keep_default_na=False)
    orphan = cases.head(1).assign(CASE_ID="ORPHAN-CASE-1", SESSION_ID="NO-SUCH-LIST")
    loaded = _load(clients["editor"], orphan, "theatre_cases", "theatres_cases.csv", kind="rows")
    said = " ".join(loaded.text.split())
    assert "1 row of theatre_cases with a session_id not in theatre_sessions (e.g. NO-SUCH-LIST)" in said


def test_an_upload_says_which_sites_the_home_does_not_name(app, clients, nhfd, monkeypatch):
    """As `stocktake ingest` says it: a site the home does not name is compared as a site of its own."""
    from dataclasses import replace

    monkeypatch.setattr(app.state, "settings", replace(app.state.settings, sites=("Riverside",)))
    loaded = _load(clients["editor"], _next_month(nhfd, 1, "SITES-"))
    said = " ".join(loaded.text.split())
    assert (
        "hip_fractures.site holds sites stocktake.toml does not name: &#39;Northshire General&#39; (" in said
    )
    assert "the home names Riverside: correct the extract, or add the site to sites in stocktake.toml" in said
