"""Issue 28 on the funnel page: an expected-counts file naming no site of the data, or expecting more
deaths than a site's patients, is refused on keeping (422, one line, nothing kept, no event); one
naming only some is kept and the page names the units that did not match."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from stocktake.appdb.models import AuditEvent
from stocktake.files.expected import kept_expected

METRIC = "hipfx_mortality_30d"


def _keep(client, text: str, name: str):
    return client.post(
        f"/metrics/{METRIC}/expected",
        data={"by": "site", "csrf_token": client.csrf},
        files={"expected": (name, text.encode(), "text/csv")},
        follow_redirects=False,
    )


def _cases(app) -> dict[str, float]:
    frame = app.state.workspace.series("site")[METRIC]
    recent = frame[frame["period"].isin(sorted(frame["period"].unique())[-12:])]
    totals = recent.groupby("site")["denominator"].sum()
    return {str(s): float(n) for s, n in totals.items() if n > 0}


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _kept_events(app) -> int:
    with app.state.sessions() as db:
        return len(list(db.scalars(select(AuditEvent).where(AuditEvent.action == "expected_counts_kept"))))


@pytest.fixture(scope="module")
def home(app):
    return app.state.settings.home


def test_a_file_naming_no_site_is_refused(app, clients, home):
    answer = _keep(clients["editor"], "unit,expected\nNowhere,24\nElsewhere,15\n", "notindata.csv")
    assert answer.status_code == 422
    sites = ", ".join(_cases(app))
    assert (
        f"notindata.csv: none of its units (Nowhere, Elsewhere) has cases in the data (the data's: {sites})"
        in _text(answer.text)
    )
    assert kept_expected(home, METRIC) is None and _kept_events(app) == 0


def test_more_deaths_expected_than_patients_is_refused(app, clients, home):
    site, cases = next(iter(_cases(app).items()))
    answer = _keep(clients["editor"], f"unit,expected\n{site},{cases + 1:g}\n", "morethancases.csv")
    assert answer.status_code == 422
    assert (
        f"morethancases.csv, row 2, column expected: '{cases + 1:g}' is more events than {site}'s"
        in _text(answer.text)
    )
    assert kept_expected(home, METRIC) is None and _kept_events(app) == 0
    upload = clients["viewer"].post(
        f"/metrics/{METRIC}/funnel",
        data={"by": "site", "csrf_token": clients["viewer"].csrf},
        files={
            "expected": (
                "x.csv",
                f"unit,expected\n{site},{cases + 1:g}\n".encode(),
                "text/csv",
            )
        },
    )
    assert upload.status_code == 422 and "is more events than" in _text(upload.text)


def test_a_partial_match_is_kept_and_the_unmatched_units_named(app, clients, home):
    cases = _cases(app)
    text = "unit,expected\n" + "".join(f"{s},{n * 0.07:.2f}\n" for s, n in cases.items()) + "Eastbrook,4.2\n"
    answer = _keep(clients["editor"], text, "three.csv")
    assert answer.status_code == 303, answer.text
    page = _text(clients["viewer"].get(f"/metrics/{METRIC}/funnel?by=site").text)
    assert "In the file but with no cases in the period: Eastbrook." in page
    assert kept_expected(home, METRIC).name == "three.csv"
