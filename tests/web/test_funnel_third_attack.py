"""Issue 28, third outside review, on the funnel pages: a figures record with a period written by hand
("zzz", backwards) was a 500 that replacing through the page did not end (the history kept "zzz");
an expected-counts file that cannot be read (EIO) and damaged withdrawn expected counts were 500s
though the counts were fine. Each is now said as damage, named from the home, and replaceable."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from test_funnel_trusts_gaps import replace_through_the_page

from stocktake.files.expected import keep_expected
from stocktake.files.peer_figures import keep_peer_figures, withdrawn_peer_figures

HIP, OUTCOME = "hipfx_surgery_36h", "hipfx_mortality_30d"
AT = datetime(2026, 12, 1, 9, 0)


def _said(page) -> str:
    return " ".join(page.text.split())


@pytest.mark.parametrize("period", [("zzz", "zzz"), ("2025-02", "2024-04"), ("2024-13", "2025-01")])
def test_a_bad_period_is_damage_and_replacing_it_through_the_page_ends_it(app, clients, period):
    home = app.state.settings.home
    keep_peer_figures(
        home,
        HIP,
        b"unit,numerator,denominator\nEastfield Hospital,300,400\n",
        name="g.csv",
        source="GIRFT",
        who="a lead",
        at=AT,
        proportion=True,
    )
    about = home / "peers" / "figures" / f"{HIP}.json"
    about.write_text(
        json.dumps(
            json.loads(about.read_text()) | dict(zip(("period_from", "period_to"), period, strict=True))
        )
    )
    page = clients["viewer"].get(f"/metrics/{HIP}/funnel?by=trust")
    assert page.status_code == 200, page.text[-2000:]
    assert (
        f"peer figures file damaged: peers/figures/{HIP}.json; replace it with stocktake peers set"
        in _said(page)
    )
    replace_through_the_page(clients["editor"], home)
    assert all(period[0] not in w.period_words for w in withdrawn_peer_figures(home, HIP, proportion=True))
    again = clients["viewer"].get(f"/metrics/{HIP}/funnel?by=trust")
    assert again.status_code == 200 and "damaged" not in again.text and period[0] not in again.text


def test_expected_counts_that_cannot_be_read_are_said_not_a_500(app, clients):
    home = app.state.settings.home
    keep_expected(
        home,
        OUTCOME,
        b"unit,expected\nNorthshire General,20\nRiverside,12\n",
        name="cm.csv",
        who="a lead",
        at=AT,
    )
    kept = home / "expected" / "site" / f"{OUTCOME}.csv"
    kept.unlink()
    kept.symlink_to("/proc/self/mem")  # EIO on reading, as a failing disk
    page = clients["viewer"].get(f"/metrics/{OUTCOME}/funnel?by=site")
    assert page.status_code == 200, page.text[-2000:]
    assert f"expected/site/{OUTCOME}.csv: missing or cannot be read" in _said(page)
    assert str(home) not in page.text
    kept.unlink()


def test_damaged_withdrawn_expected_counts_leave_the_page_showing_the_counts(app, clients):
    home = app.state.settings.home
    for at, name in ((datetime(2026, 11, 1), "old.csv"), (AT, "new.csv")):
        keep_expected(
            home,
            OUTCOME,
            b"unit,expected\nNorthshire General,20\nRiverside,12\n",
            name=name,
            who="a lead",
            at=at,
        )
    for old in (home / "expected" / "site" / "withdrawn").glob(f"{OUTCOME}.*.json"):
        old.write_text("[1, 2]")
    page = clients["viewer"].get(f"/metrics/{OUTCOME}/funnel?by=site")
    assert page.status_code == 200, page.text[-2000:]
    assert "new.csv" in page.text and "cannot be read" not in page.text


def test_the_trusts_page_hides_ours_against_the_site_totals_it_could_be_differenced_with(app, clients):
    """Our trust over the figures' months, beside the funnel across sites over the last year: when
    the months between give a count of 1–7 (found in the department's own series, by hand), ours is
    hidden on the trusts page, as in the board report."""
    workspace, home = app.state.workspace, app.state.settings.home
    frame = workspace.series()[OUTCOME]
    months = frame.assign(month=frame["period"].dt.to_period("M")).groupby("month")["numerator"].sum()
    year = months.index[-12:]
    ends = [e for e in year[:-1] if 1 <= months[months.index > e].sum() <= 7]
    if not ends:
        pytest.skip("no months at the end of this department's series sum to 1–7 deaths")
    period = (str(year[0]), str(ends[-1]))
    keep_peer_figures(
        home,
        OUTCOME,
        b"unit,numerator,denominator\nPeer A,30,400\nPeer B,41,500\n",
        name="nhfd.csv",
        source="NHFD",
        who="a lead",
        at=AT,
        proportion=True,
        period=period,
    )
    ours = months[(months.index >= year[0]) & (months.index <= ends[-1])].sum()
    assert ours > 7  # not hidden for being small: only for the difference
    page = clients["viewer"].get(f"/metrics/{OUTCOME}/funnel?by=trust")
    assert page.status_code == 200, page.text[-2000:]
    row = page.text.split('id="our-trust-row"')[1].split("</tr>")[0]
    assert "*" in row and f"{ours:,.0f} of" not in page.text
