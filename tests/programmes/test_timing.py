"""Level 4's reading of a measure's change against the cohort's start, worked by hand on short charts."""

from __future__ import annotations

from datetime import date

from stocktake.programmes.timing import against_cohort, change_began

MONTHS = [date(2023, m, 1) for m in range(1, 13)]
UP, C, N = "special_cause_improvement", "special_cause_concern", "common_cause"


def test_a_step_begins_at_the_first_improvement_after_the_last_concern():
    # Below the one mean until June (concern), a common-cause point in July, above it from August.
    types = [C] * 6 + [N] + [UP] * 5
    assert change_began(MONTHS, types, "moved_the_needle") == date(2023, 8, 1)


def test_going_backwards_reads_the_concern_run_and_a_rebase_wins():
    types = [UP] * 4 + [C] * 8
    assert change_began(MONTHS, types, "going_backwards") == date(2023, 5, 1)
    rebases = (date(2023, 3, 1), date(2023, 9, 1))
    assert change_began(MONTHS, types, "moved_the_needle", rebases) == date(2023, 9, 1)


def test_a_verdict_that_claims_no_change_has_no_date():
    assert change_began(MONTHS, [N] * 12, "steady") is None
    assert change_began(MONTHS, [N] * 12, "moved_the_needle") is None
    assert against_cohort(None, date(2024, 1, 8)).words == ""


def test_before_and_after_the_cohort_in_words():
    before = against_cohort(date(2023, 7, 1), date(2024, 1, 8))
    assert before.after_start is False and before.words == (
        "changed in Jul 2023, before this cohort began in Jan 2024: not evidence of the programme"
    )
    after = against_cohort(date(2024, 1, 1), date(2024, 1, 8))  # a monthly point: January counts
    assert after.after_start is True
    assert after.words == "changed in Jan 2024, after this cohort began in Jan 2024"
