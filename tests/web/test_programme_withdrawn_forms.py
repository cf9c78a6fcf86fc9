"""The cohort page's single forms and a withdrawn participant (issue 29's fourth review): adding them
again by the "add participant" form says when they were withdrawn and that a new id enrols them again,
as the file import does; linking an account to them is refused, saying why. Nothing is written."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select
from test_programme_register_withdrawn import _post, cohort_with_cy_withdrawn

from stocktake.appdb.models import AuditEvent, Participant
from stocktake.files.programme_roster import day_text


@pytest.fixture(scope="module")
def cohort(app, clients):
    """Three people; Cy (P3) withdrawn today."""
    return cohort_with_cy_withdrawn(app, clients, "Form leads")


def _counts(app) -> tuple[int, int]:
    with app.state.sessions() as db:
        return (
            db.scalar(select(func.count()).select_from(Participant)),
            db.scalar(select(func.count()).select_from(AuditEvent)),
        )


def test_the_add_participant_form_says_when_they_were_withdrawn(app, clients, cohort):
    path, _, day = cohort
    before = _counts(app)
    refused = _post(clients["editor"], f"{path}/participants", code="P3", name="Cy")
    assert refused.status_code == 422
    line = (
        f"form, column id: found 'P3', expected an id not already in this cohort (P3 was withdrawn from it "
        f"on {day_text(day)}; their record is kept: give a new id to enrol them again)"
    )
    assert line in html.unescape(refused.text)
    assert _counts(app) == before
    # A new id enrols them again.
    assert _post(clients["editor"], f"{path}/participants", code="P3b", name="Cy").status_code == 303


def test_an_account_is_not_linked_to_a_withdrawn_participant(app, clients, cohort):
    path, cy_id, day = cohort
    before = _counts(app)
    refused = _post(clients["editor"], f"{path}/participants/{cy_id}/account", username="viewer")
    assert refused.status_code == 422
    line = (
        f"participant P3: withdrawn from the cohort on {day_text(day)}, so no account is linked to them "
        "(their record is kept as it was); to enrol them again, add them with a new id and link that"
    )
    assert line in html.unescape(refused.text)
    with app.state.sessions() as db:
        assert db.get(Participant, cy_id).user_id is None
    assert _counts(app) == before
