"""Search across the workspace's records (``appdb.search``): every word must appear, in any case;
the excerpt shows where; withdrawn records are found and marked; programmes only where allowed."""

from __future__ import annotations

from datetime import date

import pytest

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.search import excerpt, find, words_of


@pytest.fixture
def db(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_every_word_must_appear_in_any_case_and_the_excerpt_shows_the_first():
    text = "Patients with a hip fracture should have surgery on the day of, or the day after, admission."
    found = excerpt(["Surgery audit", text], words_of("HIP surgery"))  # around the first word, "hip"
    assert found == "Patients with a hip fracture should have surgery on the day of, or the day afte…"
    assert excerpt(["Audit", text], words_of("hip theatre")) is None
    long = "x" * 100 + " weekend theatre lists " + "y" * 100
    found = excerpt(["Title", long], ["theatre"])
    assert found.startswith("…") and found.endswith("…") and "weekend theatre lists" in found
    assert len(found) <= len("theatre") + 2 * 60 + 2
    assert excerpt(["Title"], []) is None  # an empty query finds nothing, not everything


def test_projects_decisions_audits_comments_and_programmes_are_found(db, lead):
    project = actions.create_project(
        db, by=lead, title="Faster hip surgery", aim="90% operated within 36 hours", lead="Ms Bone"
    )
    actions.add_change_idea(db, by=lead, project_id=project.id, description="A ring-fenced trauma list")
    decision = actions.record_decision(
        db,
        by=lead,
        decided_on=date(2026, 3, 1),
        title="Weekend lists",
        rationale="Trauma waits at weekends",
        decided_by="Clinical board",
    )
    audit = actions.create_audit(
        db,
        by=lead,
        title="Consent audit",
        standard="GMC consent guidance",
        criteria=[("Trauma risks named", 95)],
    )
    actions.add_comment(
        db, by=lead, subject_kind="project", subject_id=str(project.id), body="Trauma list full"
    )
    programme = actions.create_programme(db, by=lead, name="Trauma leaders", description="For registrars")
    hits = find(db, "trauma", metric_titles={})
    assert [(h.kind, h.url) for h in hits] == [
        ("Project", f"/projects/{project.id}"),
        ("Decision", f"/decisions/{decision.id}"),
        ("Audit", f"/audits/{audit.id}"),
        ("Comment", f"/projects/{project.id}"),
        ("Programme", f"/programmes/{programme.id}"),
    ]
    assert hits[0].excerpt == "A ring-fenced trauma list"  # found in a change idea, not the title
    assert hits[3].title == "Comment on Faster hip surgery"
    assert hits[4].excerpt == ""  # the title holds every word
    assert find(db, "trauma", programme_ids=set(), metric_titles={})[-1].kind == "Comment"  # not allowed
    assert find(db, "trauma weekend", metric_titles={}) == [hits[1]]


def test_a_withdrawn_record_is_found_and_marked(db, lead):
    decision = actions.record_decision(
        db,
        by=lead,
        decided_on=date(2026, 3, 1),
        title="Close ward 9",
        rationale="Staffing",
        decided_by="Board",
    )
    actions.withdraw(db, by=lead, kind="decision", record_id=decision.id, reason="entered twice")
    (hit,) = find(db, "ward 9", metric_titles={})
    assert hit.withdrawn and hit.title == "Close ward 9"


def test_quotes_are_not_part_of_a_word_and_case_is_folded_fully():
    assert words_of('"Zebrafish"  ‘Straße’') == ["zebrafish", "strasse"]
    assert excerpt(["Title", "Die STRASSE"], words_of("straße")) == "Die STRASSE"


def test_the_excerpt_shows_the_word_the_title_lacks():
    texts = ["Zebrafish hip pathway", "Study: the xylophonic alarm worked"]
    assert excerpt(texts, words_of("zebrafish xylophonic")) == "Study: the xylophonic alarm worked"


def test_a_comment_on_a_withdrawn_project_is_marked_withdrawn(db, lead):
    project = actions.create_project(db, by=lead, title="Old pathway", aim="Faster", lead="Ms Bone")
    actions.add_comment(db, by=lead, subject_kind="project", subject_id=str(project.id), body="narwhal idea")
    actions.withdraw(db, by=lead, kind="project", record_id=project.id, reason="closed")
    (hit,) = find(db, "narwhal", metric_titles={})
    assert hit.kind == "Comment" and hit.withdrawn
