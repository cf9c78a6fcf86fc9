"""The audit page's action plan and re-audit verdict (ADR 0028), and the audit writes going through
``change_then_redirect``: a refused add, edit or cycle edit gives the refusal page every write gives."""

from __future__ import annotations

import re

from sqlalchemy import select

from stocktake.appdb.models import AuditEvent, RecordChange


def _post(client, path: str, data: dict, token: str | None = None):
    return client.post(path, data={"csrf_token": token or client.csrf, **data}, follow_redirects=False)


def _audit(editor) -> tuple[str, str]:
    audit = _post(
        editor, "/audits", {"title": "Bone health", "standard": "NICE CG124", "criteria": "Assessed | 90"}
    ).headers["location"]
    (criterion,) = re.findall(r'name="eligible_(\d+)"', editor.get(audit).text)
    return audit, criterion


def _cycle(editor, audit, criterion, label, eligible, met, month):
    answer = _post(
        editor,
        f"{audit}/cycles",
        {
            "label": label,
            "started_on": f"2024-{month}-01",
            "ended_on": f"2024-{month}-28",
            "sample": "consecutive",
            f"eligible_{criterion}": str(eligible),
            f"met_{criterion}": str(met),
        },
    )
    assert answer.status_code == 303, answer.text


def _last_event(app) -> tuple[str, str, str]:
    with app.state.sessions() as db:
        event = db.scalars(
            select(AuditEvent).where(AuditEvent.action != "request_refused").order_by(AuditEvent.id.desc())
        ).first()
        return event.action, event.subject, event.detail


def test_a_re_audit_says_whether_its_change_is_more_than_chance(clients):
    editor, viewer = clients["editor"], clients["viewer"]
    audit, criterion = _audit(editor)
    _cycle(editor, audit, criterion, "Audit", 80, 48, "01")
    assert "Is the change more than chance?" not in viewer.get(audit).text  # one cycle: nothing to compare
    _cycle(editor, audit, criterion, "Re-audit", 70, 56, "06")
    page = viewer.get(audit).text
    assert "Is the change more than chance?" in page
    # Newcombe 1998's example (a): 48/80 then 56/70, p from prop.test(correct = FALSE) = 0.008
    assert (
        "<strong>Assessed</strong> (Audit to Re-audit): The rise from 60% to 80% is more than chance would "
        "explain (p = 0.008; the true change is between +5 and +33 points)." in page
    )


def test_an_action_plan_is_added_updated_with_history_and_overdue_marked(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    audit, criterion = _audit(editor)
    audit_id = audit.rsplit("/", 1)[1]
    _cycle(editor, audit, criterion, "Audit", 40, 30, "01")
    cycle = re.search(rf'href="{audit}/cycles/(\d+)/edit"', editor.get(audit).text)[1]
    added = _post(
        editor,
        f"{audit}/actions",
        {"cycle_id": cycle, "what": "Teach <b>the</b> 36 h rule", "owner": "Dr Lee", "due_on": "2024-03-01"},
    )
    assert added.status_code == 303 and added.headers["location"] == f"{audit}#action-plan"
    action_event = _last_event(app)
    assert action_event[:2] == ("audit_action_added", f"audit:{audit_id}")
    action = action_event[2].removeprefix("action ")
    page = viewer.get(audit).text
    assert "Teach &lt;b&gt;the&lt;/b&gt; 36 h rule" in page and "<b>the</b>" not in page
    assert "action-overdue" in page and ">Overdue<" in page  # open and due in 2024
    assert f'href="{audit}/actions/{action}/edit"' not in page  # a viewer cannot update it
    form = editor.get(f"{audit}/actions/{action}/edit").text
    assert '<option value="open" selected>' in form  # prefilled
    done = {"what": "Teach <b>the</b> 36 h rule", "owner": "Dr Lee", "due_on": "2024-03-01", "status": "done"}
    assert _post(editor, f"{audit}/actions/{action}/edit", {**done, "reason": "Taught"}).status_code == 303
    assert _last_event(app) == ("audit_action_edited", f"audit:{audit_id}", f"action {action}: status")
    with app.state.sessions() as db:
        change = db.scalars(select(RecordChange).where(RecordChange.record_kind == "audit_action")).all()[-1]
        assert (change.field, change.old_value, change.new_value) == ("status", "open", "done")
    page = viewer.get(audit).text
    assert ">Overdue<" not in page and "History of this action (1 change)" in page
    refused = _post(editor, f"{audit}/actions/{action}/edit", {**done, "status": "finished"})
    assert refused.status_code == 422 and "status: one of open, done, dropped" in refused.text
    assert (
        _post(viewer, f"{audit}/actions", {"cycle_id": cycle, "what": "x", "owner": "y"}).status_code == 403
    )
    forged = _post(editor, f"{audit}/actions", {"cycle_id": cycle, "what": "x", "owner": "y"}, token="forged")
    assert forged.status_code == 403
    assert _post(editor, f"{audit}/actions/{action}/withdraw", {"reason": "Duplicate"}).status_code == 303
    assert "Teach &lt;b&gt;" not in viewer.get(audit).text  # hidden unless withdrawn ones are shown
    assert "Duplicate" in viewer.get(f"{audit}?withdrawn=1").text
    assert editor.get(f"/audits/999999/actions/{action}/edit").status_code == 404


def _refusal_shape(text: str) -> tuple[bool, bool]:
    return 'class="nhsuk-error-summary"' in text, 'role="alert"' in text


def test_a_refused_audit_write_gives_the_same_refusal_page_as_other_writes(clients):
    editor = clients["editor"]
    other = _post(editor, "/audits", {"title": "", "standard": "", "criteria": ""})  # create_audit
    assert other.status_code == 422 and _refusal_shape(other.text) == (True, True)
    audit, criterion = _audit(editor)
    over = {"label": "A", "started_on": "2024-01-01", "ended_on": "2024-01-31", "sample": ""}
    refused = _post(
        editor, f"{audit}/cycles", {**over, f"eligible_{criterion}": "10", f"met_{criterion}": "11"}
    )
    assert refused.status_code == 422 and _refusal_shape(refused.text) == (True, True)
    assert "must be between 0 and eligible" in refused.text and "<h1>Bone health</h1>" in refused.text
    refused = _post(editor, f"{audit}/cycles", {**over, "started_on": "soon"})
    assert refused.status_code == 422 and "Started on: a date as YYYY-MM-DD" in refused.text
    refused = _post(editor, f"{audit}/edit", {"title": "", "standard": "NICE", "reason": ""})
    assert refused.status_code == 422 and _refusal_shape(refused.text) == (True, True)
    assert "title and standard: both are needed" in refused.text
    assert 'name="standard" type="text" value="NICE"' in refused.text  # as typed
    _cycle(editor, audit, criterion, "Audit", 40, 30, "01")
    cycle = re.search(rf'href="{audit}/cycles/(\d+)/edit"', editor.get(audit).text)[1]
    refused = _post(
        editor,
        f"{audit}/cycles/{cycle}/edit",
        {**over, "label": "Typed", f"eligible:{criterion}": "40", f"met:{criterion}": "41"},
    )
    assert refused.status_code == 422 and _refusal_shape(refused.text) == (True, True)
    assert "must be between 0 and eligible" in refused.text
    assert 'name="label" type="text" value="Typed"' in refused.text  # as typed
    sent_a_file = editor.post(
        f"{audit}/edit",
        data={"csrf_token": editor.csrf, "standard": "NICE"},
        files={"title": ("t.txt", b"x")},
        follow_redirects=False,
    )
    assert sent_a_file.status_code == 422 and "title: text, not a file" in sent_a_file.text
