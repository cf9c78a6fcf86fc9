"""What a load of attendance would change, worked by hand: sessions created, marks added and changed,
people made absent by a session recorded for the first time, and completion before and after."""

from __future__ import annotations

import pytest

from stocktake.programmes.attendance import (
    COMPLETED,
    IN_PROGRESS,
    NOT_COMPLETED,
    SessionMarks,
    compare,
    mark_of,
)

EVERYONE = {1: True, 2: True, 3: True}


def test_a_new_session_marking_one_person_makes_the_others_absent_and_is_shown():
    """3 people, 2 sessions all attended, completion 100%: all 3 completed (2 of 2). A load records a
    third session marking only P1: 3 sessions, 3 needed; P1 3 of 3, P2 and P3 2 of 3, not completed."""
    before = [SessionMarks(1, "A", EVERYONE, "A, 1"), SessionMarks(2, "A", EVERYONE, "A, 2")]
    after = [*before, SessionMarks(-1, "B", {1: True}, "B, 3")]
    preview = compare([1, 2, 3], before, after, 1.0)
    assert preview.created == ("B, 3",)
    assert [(c.session, c.participant_id, c.old, c.new) for c in preview.added] == [("B, 3", 1, None, True)]
    assert preview.changed == () and preview.unchanged == 6
    assert [(c.session, c.participant_id) for c in preview.made_absent] == [("B, 3", 2), ("B, 3", 3)]
    assert (preview.before.completed, preview.after.completed) == (3, 1)
    assert [(s.participant_id, s.old, s.new) for s in preview.statuses] == [
        (2, COMPLETED, NOT_COMPLETED),
        (3, COMPLETED, NOT_COMPLETED),
    ]
    assert preview.needs_confirming


def test_a_changed_mark_is_named_with_its_old_value_and_unmarked_people_in_a_recorded_session_stay_absent():
    """Session 1 was recorded with P3 unmarked (absent already); the load marks P2 absent (was present)
    and P3 present: one change, one addition, nobody newly absent. Completion 50% of 2: 1 needed."""
    before = [SessionMarks(1, "A", {1: True, 2: True}, "A, 1"), SessionMarks(2, "A", {}, "A, 2")]
    after = [SessionMarks(1, "A", {1: True, 2: False, 3: True}, "A, 1"), SessionMarks(2, "A", {}, "A, 2")]
    preview = compare([1, 2, 3], before, after, 0.5)
    assert [(c.participant_id, c.old, c.new) for c in preview.changed] == [(2, True, False)]
    assert [(c.participant_id, c.old, c.new) for c in preview.added] == [(3, None, True)]
    assert preview.made_absent == () and preview.created == ()
    assert [(s.participant_id, s.old, s.new) for s in preview.statuses] == [
        (2, COMPLETED, IN_PROGRESS),
        (3, IN_PROGRESS, COMPLETED),
    ]


def test_marks_added_for_everyone_to_an_unrecorded_session_need_no_warning():
    before = [SessionMarks(1, "A", {}, "A, 1"), SessionMarks(2, "A", {}, "A, 2")]
    after = [SessionMarks(1, "A", {1: True, 2: True}, "A, 1"), SessionMarks(2, "A", {}, "A, 2")]
    preview = compare([1, 2], before, after, 1.0)  # 2 needed: both still in progress
    assert len(preview.added) == 2 and not preview.made_absent and not preview.statuses
    assert not preview.needs_confirming
    assert preview.summary()[:4] == [[], [["A, 1", 1, None, True], ["A, 1", 2, None, True]], [], []]


def test_people_joining_count_in_the_rates_after_but_not_before():
    """2 recorded sessions, both attended by P1 and P2; two people join with no marks: attendance
    4 of 4 before, 4 of 8 after; completion 2 of 2, then 2 of 4."""
    before = [
        SessionMarks(1, "A", {1: True, 2: True}, "A, 1"),
        SessionMarks(2, "A", {1: True, 2: True}, "A, 2"),
    ]
    preview = compare([1, 2], before, before, 1.0, joining=[-1, -2])
    assert (preview.before.overall.attended, preview.before.overall.possible) == (4, 4)
    assert (preview.after.overall.attended, preview.after.overall.possible) == (4, 8)
    assert (preview.before.completed, len(preview.before.by_participant)) == (2, 2)
    assert (preview.after.completed, len(preview.after.by_participant)) == (2, 4)
    assert preview.joining == (-1, -2) and preview.needs_confirming


@pytest.mark.parametrize("cell", ["Y", "yes", " Present ", "✓", "1", "attended", "TRUE"])
def test_a_register_cell_read_as_present(cell):
    assert mark_of(cell) is True


@pytest.mark.parametrize("cell", ["N", "no", "Absent", "", "  ", "0", "DNA", "did  not attend"])
def test_a_register_cell_read_as_absent(cell):
    assert mark_of(cell) is False


@pytest.mark.parametrize("cell", ["late", "?", "sick", "2", "yes?", "x", "X"])
def test_a_register_cell_neither_is_unknown(cell):
    assert mark_of(cell) is None


def test_completing_is_shown_but_needs_no_warning_and_losing_completion_does():
    before = [SessionMarks(1, "A", {}, "A, 1")]
    gained = compare([1], before, [SessionMarks(1, "A", {1: True}, "A, 1")], 1.0)
    assert [(s.old, s.new) for s in gained.statuses] == [(IN_PROGRESS, COMPLETED)]
    assert not gained.needs_confirming
    done = [SessionMarks(1, "A", {1: True}, "A, 1")]
    lost = compare([1], done, [SessionMarks(1, "A", {1: False}, "A, 1")], 1.0)
    assert [(s.old, s.new) for s in lost.statuses] == [(COMPLETED, NOT_COMPLETED)]
    assert lost.needs_confirming
