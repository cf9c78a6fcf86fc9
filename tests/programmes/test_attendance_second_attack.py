"""Attendance after issue 29's second review: a cohort with no sessions is not "not completed"; the
preview's summary (compared before writing) covers sessions and completion; "unchanged" counts only
the marks in the file."""

from __future__ import annotations

from stocktake.programmes.attendance import IN_PROGRESS, SessionMarks, cohort_attendance, compare


def test_a_cohort_with_no_sessions_has_nobody_not_completed():
    attendance = cohort_attendance([1, 2, 3], [], 0.8)
    assert [p.status for p in attendance.by_participant] == [IN_PROGRESS] * 3


def test_the_summary_changes_when_a_session_is_added_meanwhile():
    # The file marks P1 present at session 1. Meanwhile someone adds an unrecorded session 2: the
    # changes the file makes are the same, but completion's denominator is not (1 needed of 1, then 2).
    one = [SessionMarks(1, "A", {}, "A, 1")]
    two = [*one, SessionMarks(2, "A", {}, "A, 2")]
    first = compare([1, 2], one, [SessionMarks(1, "A", {1: True}, "A, 1")], 1.0)
    later = compare([1, 2], two, [SessionMarks(1, "A", {1: True}, "A, 1"), two[1]], 1.0)
    assert first.summary()[:4] == later.summary()[:4]  # the old comparison saw no difference
    assert first.summary() != later.summary()


def test_the_summary_changes_when_completion_changes_meanwhile():
    # Someone else marks P2 at session 2 meanwhile: P2's completion changes, the file's marks do not.
    before = [SessionMarks(1, "A", {1: True, 2: True}, "A, 1"), SessionMarks(2, "A", {1: True}, "A, 2")]
    meanwhile = [before[0], SessionMarks(2, "A", {1: True, 2: True}, "A, 2")]
    load = {(1, 1)}
    first = compare([1, 2], before, before, 1.0, loaded=load)
    later = compare([1, 2], meanwhile, meanwhile, 1.0, loaded=load)
    assert first.summary() != later.summary()


def test_unchanged_counts_only_the_files_marks():
    # Session 1 has 3 marks; the file gives P1's again (the same): 1 unchanged, not 3.
    before = [SessionMarks(1, "A", {1: True, 2: True, 3: False}, "A, 1")]
    preview = compare([1, 2, 3], before, before, 1.0, loaded={(1, 1)})
    assert preview.unchanged == 1 and not preview.added and not preview.changed
