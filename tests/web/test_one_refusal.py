"""Each rule in one home (issue 23): a metric id that is not the department's is refused by one
check wherever it is typed or linked, and every write, refused, shows its page again with the reason
(422) rather than an error page."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from stocktake.appdb.models import Annotation, AuditEvent

METRIC = "hipfx_surgery_36h"
STRANGER = "no_such_metric"


@pytest.mark.parametrize(
    "path", [f"/metrics/{STRANGER}", f"/metrics/{STRANGER}/drilldown", f"/metrics/{STRANGER}/funnel"]
)
def test_a_stranger_in_a_url_is_not_found_the_same_way_on_every_metric_page(clients, path):
    answer = clients["viewer"].get(path)
    assert answer.status_code == 404 and f"no metric '{STRANGER}'" in html.unescape(answer.text)


def test_a_stranger_typed_into_a_form_is_refused_the_same_way_on_every_form(clients):
    editor = clients["editor"]
    decision = editor.post(
        "/decisions",
        data={
            "decided_on": "2024-01-01",
            "title": "A decision",
            "rationale": "Why",
            "metric_id": STRANGER,
            "csrf_token": editor.csrf,
        },
    )
    project = editor.post(
        "/projects", data={"title": "Fewer delays", "aim": "Half", "lead": "B", "csrf_token": editor.csrf}
    )
    project_id = int(project.url.path.rsplit("/", 1)[1])
    measure = editor.post(
        f"/projects/{project_id}/measures",
        data={"metric_id": STRANGER, "kind": "outcome", "csrf_token": editor.csrf},
    )
    for answer, field in ((decision, "evidence metric"), (measure, "measure")):
        assert answer.status_code == 422
        assert f"{field}: '{STRANGER}' is not a metric of this department" in html.unescape(answer.text)


def test_removing_an_annotation_that_is_not_there_is_refused_on_the_metric_page(app, clients):
    with app.state.sessions() as db:
        missing = (max(db.scalars(select(Annotation.id)).all(), default=0) or 0) + 1000
    editor = clients["editor"]
    answer = editor.post(f"/metrics/{METRIC}/annotations/{missing}/delete", data={"csrf_token": editor.csrf})
    assert answer.status_code == 422 and f"no annotation {missing}" in answer.text
    assert f"<h1>{app.state.workspace.catalogue.metric(METRIC).title}" in html.unescape(answer.text)


def test_removing_an_annotation_goes_back_to_the_metric_page(app, clients):
    editor = clients["editor"]
    editor.post(
        f"/metrics/{METRIC}/annotations",
        data={"dated": "2024-02-01", "label": "Removed again", "csrf_token": editor.csrf},
    )
    with app.state.sessions() as db:
        made = db.scalar(select(Annotation.id).where(Annotation.label == "Removed again"))
    answer = editor.post(
        f"/metrics/{METRIC}/annotations/{made}/delete",
        data={"csrf_token": editor.csrf},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, f"/metrics/{METRIC}")
    with app.state.sessions() as db:
        assert db.get(Annotation, made) is None
        # what was removed is in the log (a review: it kept an empty detail, and only the date when added)
        kept = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (kept.action, kept.detail) == ("annotation_removed", "2024-02-01 'Removed again', added by editor")


def test_undoing_a_load_that_never_was_is_refused_on_the_upload_page(clients):
    admin = clients["admin"]
    answer = admin.post("/uploads/loads/987654/undo", data={"csrf_token": admin.csrf})
    assert (
        answer.status_code == 422
        and "Upload data" in answer.text
        and "load 987654: no such load" in answer.text
    )


def test_another_measures_annotation_cannot_be_removed_through_this_measures_page(app, clients):
    editor = clients["editor"]
    other = "hipfx_prompt_surgery"
    editor.post(
        f"/metrics/{other}/annotations",
        data={"dated": "2024-03-01", "label": "Not yours", "csrf_token": editor.csrf},
    )
    with app.state.sessions() as db:
        made = db.scalar(select(Annotation.id).where(Annotation.label == "Not yours"))
    answer = editor.post(f"/metrics/{METRIC}/annotations/{made}/delete", data={"csrf_token": editor.csrf})
    assert answer.status_code == 422 and f"no annotation {made} on this measure" in answer.text
    with app.state.sessions() as db:
        assert db.get(Annotation, made) is not None
