"""The capacity answer's theatre lists count only the operations: a whole tracking list's
non-admitted pathways (no priority recorded, ADR 60) are treated without a list, and the extra
treatments reach the longest waiters first (ADR 61)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from stocktake.demo.generate import Department, generate
from stocktake.report.waitinglist import assumptions, capacity_words
from stocktake.verdicts.waitinglist import lists_hidden, overview
from stocktake.waitinglist.capacity import AdmittedShare, CapacityAnswer, WaitTarget
from stocktake.web.routes.waitinglist import _not_lists_alone, _target_lists


@pytest.fixture(scope="module")
def pathways():
    return generate(Department(seed=11, months=30))["rtt_pathways"]


def _waiting_longest_first(pathways: pd.DataFrame, month: pd.Period) -> pd.DataFrame:
    end = month.end_time.normalize()
    started, stopped = pd.to_datetime(pathways["clock_start"]), pd.to_datetime(pathways["clock_stop"])
    waiting = pathways[(started <= end) & (stopped.isna() | (stopped > end))]
    return waiting.sort_values("clock_start", kind="stable")


def test_the_lists_are_the_operations_among_the_longest_waiters_reached(pathways):
    """Every third pathway made non-admitted (priority blank). The share of operations is checked
    against the patients themselves: of the N longest waiting (N the extra treatments in all, to the
    nearest 50), how many have a priority; within one day's ties."""
    whole = pathways.copy()
    whole.loc[whole.index % 3 == 0, ["priority", "procedure_group"]] = None
    found = overview(whole, target_pct=85, target_by=None, cases_per_list=3.5)
    answer = found.answer
    assert answer.extra_per_week > 0
    reached = 50 * round(answer.treatments_in_all / 50)  # read on the list's grid, every 50 (ADR 62)
    assert abs(reached - answer.treatments_in_all) <= 25
    longest = _waiting_longest_first(whole, found.month).head(reached)
    truth = longest["priority"].notna().mean()
    assert 0.5 < truth < 0.8
    assert answer.operations_share == pytest.approx(truth, abs=0.02)
    assert answer.lists_per_week == pytest.approx(answer.extra_per_week * answer.operations_share / 3.5)
    words = " ".join(capacity_words(found).split())
    operations = answer.extra_per_week * answer.operations_share
    assert (
        f"({operations:.1f} of them operations: {answer.lists_to_book:.1f} extra theatre lists a week"
        in words
    )
    assert f"the other {answer.extra_per_week - operations:.1f} a week with no decision to admit yet" in words
    said = " ".join(assumptions(found).split())
    assert (
        f"of the {reached:,} longest waiting now (the extra treatments in all are "
        f"{answer.treatments_in_all:,.0f}; the share is read among a multiple of 50 of the longest, the "
        "nearest that gives no 1–7 patients away)" in said
    )
    # lists alone would not reach the target: no "try the target's lists", and the page says why
    assert _target_lists(found) is None
    assert f"its {answer.lists_to_book:.1f} lists alone reach less than the target" in _not_lists_alone(found)


def test_a_list_with_every_waiter_reached_admitted_counts_every_extra_treatment(pathways):
    """The demo's list is of admitted pathways: its lists are the extra treatments over the cases."""
    found = overview(pathways, target_pct=85, target_by=None, cases_per_list=3.5)
    assert found.admitted is not None and found.answer.operations_share == 1.0
    assert found.answer.lists_per_week == pytest.approx(found.answer.extra_per_week / 3.5)
    assert _target_lists(found) == found.answer.lists_to_book and _not_lists_alone(found) is None
    assert "100% have one" in " ".join(assumptions(found).split())


def test_a_list_with_no_priority_recorded_says_its_lists_may_be_too_many(pathways):
    found = overview(pathways.assign(priority=None), target_pct=85, target_by=None, cases_per_list=3.5)
    assert found.admitted is None
    assert found.answer.lists_per_week == pytest.approx(found.answer.extra_per_week / 3.5)
    assert "counting every one as an operation" in capacity_words(found)
    assert "may be more than the operations need" in " ".join(assumptions(found).split())


def test_lists_that_would_give_away_a_few_with_a_decision_to_admit_are_hidden(pathways):
    """Of those waiting only the 5 longest have a priority: the lists say "*", the share is not said."""
    whole = pathways.copy()
    month = overview(whole).month
    keep = _waiting_longest_first(whole, month).index[:5]
    whole.loc[~whole.index.isin(keep), ["priority", "procedure_group"]] = None
    found = overview(whole, target_pct=85, target_by=None, cases_per_list=3.5)
    assert lists_hidden(found.answer) and found.answer.extra_per_week > 0
    words = " ".join(capacity_words(found).split())
    assert "(* of them operations, or more if older pathways' priorities are missing: * extra" in words
    assert "the other * a week with no decision to admit yet" in words
    assert "the share with one among the longest waiters reached is hidden" in " ".join(
        assumptions(found).split()
    )
    assert "lists alone may reach less than the target" in _not_lists_alone(found)  # whatever the share


def test_a_published_returns_share_is_never_hidden():
    """A return's Part 2A counts are public: 3 of the 50 longest with a decision to admit (and none of
    the other 1,000) are said; from patient-level data every grid point would give the 3 away."""
    target = WaitTarget(pd.Period("2025-06", freq="M"), pct_within_18_weeks=80)
    per_week = 50 / (30 / 7)  # 50 treatments in all over June's 30 days: the grid's first point
    answer = CapacityAnswer(target, pd.Period("2025-06", freq="M"), per_week, 70.0, 80.0, 2.5)
    assert answer.treatments_in_all == pytest.approx(50)
    waiting = (1000.0, 50.0)
    for published, hidden in ((True, False), (False, True)):
        admitted = AdmittedShare(waiting, (0.0, 3.0), "counts", published=published)
        assert lists_hidden(replace(answer, admitted=admitted)) is hidden
    many = AdmittedShare(waiting, (0.0, 8.0), "counts")
    assert lists_hidden(replace(answer, admitted=many)) is False
    # 5 without a decision to admit among the 50 longest, everyone else with one: hidden at every point
    assert lists_hidden(replace(answer, admitted=AdmittedShare(waiting, (1000.0, 45.0), "counts")))
    assert lists_hidden(answer) is False


def test_lists_that_are_all_operations_say_so_plainly(pathways):
    found = overview(pathways, target_pct=85, target_by=None, cases_per_list=3.5)
    words = " ".join(capacity_words(found).split())
    assert "cases a list: every one an operation)" in words and "no decision to admit" not in words
    assert "no decision to admit yet" not in " ".join(assumptions(found).split())


def test_a_hidden_uplift_is_not_given_back_by_how_many_it_reaches():
    """The assumptions said "of the 1,090 longest waiting now (as many as the extra treatments in
    all)": with the uplift hidden (it would give what it reaches away), that count gives it back."""
    from stocktake.waitinglist.capacity import lists_assume

    target = WaitTarget(pd.Period("2025-06", freq="M"), pct_within_18_weeks=80)
    answer = CapacityAnswer(target, pd.Period("2025-05", freq="M"), 17.5, 70.0, 80.0, 2.5)
    admitted = AdmittedShare((100.0, 400.0), (50.0, 300.0), "counts")
    answer = replace(answer, admitted=admitted)
    shown = lists_assume(admitted, answer)
    assert round(answer.treatments_in_all) == 152  # read at the grid's nearest point, 150 (ADR 62)
    assert "of the 150 longest waiting now" in shown and "75% have one" in shown
    hidden = lists_assume(admitted, answer, hidden=True)
    assert "longest waiting now" not in hidden and str(round(answer.treatments_in_all)) not in hidden
    assert "%" not in hidden.replace("1–7", "")


def _answer(per_week: float, waiting, admitted, start: str = "2025-06") -> CapacityAnswer:
    target = WaitTarget(pd.Period("2025-06", freq="M"), pct_within_18_weeks=80)
    answer = CapacityAnswer(target, pd.Period(start, freq="M"), per_week, 70.0, 80.0, 2.5)
    return replace(answer, admitted=AdmittedShare(tuple(waiting), tuple(admitted), "counts"))


def test_the_edges_of_the_share_read_plainly():
    """An outside check: "0.0 of them operations: 0.0 extra theatre lists", "0.0 of them operations:
    0.1 lists" and "100% have one" beside 0.2 a week with no decision to admit yet."""
    from stocktake.waitinglist.capacity import lists_assume, lists_words

    month = 30 / 7  # a treatment a week is 30/7 in June
    none = _answer(50 / month, (100.0, 50.0), (50.0, 0.0))
    # none of the 50 longest with a decision to admit, against half the rest: perhaps some
    some = ", or some if older pathways' priorities are missing"
    assert lists_words(none).startswith(
        f"none of them operations{some}, so no theatre lists: all 11.7 a week"
    )
    half_year = 181 / 7  # January to June: one operation in all is under 0.1 a week
    few = _answer(150 / half_year, (900.0, 150.0), (50.0, 1.0), start="2025-01")
    # 1 of the 150 longest with a decision to admit, against 50 of the other 900: perhaps more
    more = ", or more if older pathways' priorities are missing"
    assert lists_words(few).startswith(f"under 0.1 of them operations{more}: 0.1 extra theatre lists")
    almost = _answer(400 / month, (900.0, 400.0), (50.0, 398.0))
    almost = replace(almost, admitted=replace(almost.admitted, published=True))  # its 2 said as published
    assert "99.5% have one" in lists_assume(almost.admitted, almost)


def test_without_cases_a_list_the_operations_are_still_said():
    """A leftover of the last outside check: with no theatre history (so no cases a list) the command
    and the report said the extra treatments a week and nothing of which were operations, though the
    share was known. Worked by hand: the 50 longest waiters reached, 13 with a decision to admit."""
    from stocktake.waitinglist.capacity import lists_words

    month = 30 / 7
    answer = replace(_answer(50 / month, (100.0, 50.0), (50.0, 13.0)), cases_per_list=None)
    clinic = "a week with no decision to admit yet, in clinic capacity Stocktake does not plan"
    assert lists_words(answer) == f"3.0 of them operations, the other 8.6 {clinic}"
    hidden = f"* of them operations, or more if older pathways' priorities are missing, the other * {clinic}"
    assert lists_words(answer, mask="*") == hidden  # the caveat whatever the hidden share
    every = replace(_answer(50 / month, (100.0, 50.0), (50.0, 50.0)), cases_per_list=None)
    assert lists_words(every) == "every one an operation"
    assert lists_words(replace(answer, admitted=None)) == ""  # nothing known to say


def test_the_headline_says_the_operations_may_be_more_where_the_assumptions_warn():
    """A recheck: the headline's split stood as fact where the assumptions warned that the longest
    waiters have a decision to admit far less often than the rest (priorities perhaps not recorded
    for older pathways). Worked by hand: 10 of the 50 longest (20%) against 80 of the other 100."""
    from stocktake.waitinglist.capacity import lists_assume, lists_words

    month = 30 / 7
    fewer = _answer(50 / month, (100.0, 50.0), (80.0, 10.0))
    assert fewer.operations_may_be_more
    assert lists_words(fewer).startswith(
        "2.3 of them operations, or more if older pathways' priorities are missing: 1.0 extra"
    )
    assert "more of them need an operation than this says" in lists_assume(fewer.admitted, fewer)
    alike = _answer(50 / month, (100.0, 50.0), (50.0, 13.0))  # 26% against 50%: not under half
    assert not alike.operations_may_be_more and "or more if" not in lists_words(alike)


def test_a_hidden_share_still_warns_that_the_lists_may_be_too_few():
    """An outside check: 5 of the longest with a priority, against most of the rest, hid the share and
    with it the warning that priorities may not have been recorded for older pathways."""
    from stocktake.waitinglist.capacity import lists_assume

    month = 30 / 7
    answer = _answer(50 / month, (300.0, 100.0), (250.0, 5.0))  # the points at 50 and 100 leave 2.5 and 5
    assert lists_hidden(answer)
    said = lists_assume(answer.admitted, answer, hidden=True)
    assert "more of them need an operation than the data say, and more lists" in said
    assert "%" not in said.replace("1–7", "")
    # the same words where the hidden share is not far below the rest's: a last outside check read
    # the warning's presence as one more bit of the share
    alike = _answer(50 / month, (300.0, 100.0), (50.0, 96.0))
    assert lists_hidden(alike) and not alike.operations_may_be_more
    assert lists_assume(alike.admitted, alike, hidden=True) == said


def test_lists_rounded_up_past_the_treatments_without_an_operation_reach_the_target_alone():
    """An outside check: 33.2 a week, 33.0 of them operations, 9.4 lists at 3.54 a list (33.3
    treatments): the page said the lists alone reach less, and its own scenario with them reached
    98.1% of a 98% target. Now the link is offered where the lists cover the uplift, and no such
    sentence. Here 100 a week from January, 99.5% operations: 10.0 lists at 10 cases cover it."""
    from types import SimpleNamespace

    # the 13 without a decision to admit the longest 50, so every grid point is shown
    covered = replace(
        _answer(100.0, (900.0, 2550.0, 50.0), (50.0, 2550.0, 37.0), start="2025-01"), cases_per_list=10.0
    )
    assert covered.reach == 2600  # 100 a week, January to June: 2,585.7, to the grid's nearest 50
    assert covered.operations_share < 1 and covered.lists_to_book == 10.0 and not lists_hidden(covered)
    found = SimpleNamespace(answer=covered, suppress=True)
    assert _target_lists(found) == 10.0 and _not_lists_alone(found) is None
    short = replace(covered, cases_per_list=10.5)  # 9.5 lists × 10.5 = 99.75 < 100
    found = SimpleNamespace(answer=short, suppress=True)
    assert _target_lists(found) is None and "alone reach less than the target" in _not_lists_alone(found)


def test_the_rest_of_the_lists_share_is_not_said_where_it_gives_a_few_away():
    """An outside check: "20% have one, against 99.9% of the rest of the list", beside the list's size
    on the page, gave away the 3 of the rest without a decision to admit. Such a point is hidden
    (ADR 62): the answer reaching 428.6 (100 a week over June) reads 400, whose rest has 43 without."""
    from stocktake.waitinglist.capacity import lists_assume

    few = _answer(100.0, (2000.0, 450.0), (1997.0, 90.0))
    assert few.reach == 400 and not lists_hidden(few)
    said = lists_assume(few.admitted, few)
    assert "20% have one, against 98% of the rest of the list" in said and "99.9%" not in said
    many = _answer(100.0, (2000.0, 450.0), (1900.0, 90.0))
    assert many.reach == 450  # the nearest, as nothing is hidden
    assert "20% have one, against 95% of the rest of the list" in lists_assume(many.admitted, many)


def test_the_shares_grid_points_and_which_are_hidden_are_the_lists_own():
    """Worked by hand (ADR 62), longest first: 50 all with a decision to admit, then 50 with 3
    without, 50 with 6 without, 50 all with. Points: 50 (50, 0) shown; 100 (97, 3) hidden, 3 alone;
    150 (141, 9) shown, 91 and 9 beyond the 50; 200 (191, 9) shown, 50 and none beyond 150. An answer
    reads the shown point nearest its treatments in all."""
    share = AdmittedShare((50.0, 50.0, 50.0, 50.0), (50.0, 44.0, 47.0, 50.0), "counts")
    points, shown = share.grid
    assert points.tolist() == [50, 100, 150, 200] and shown.tolist() == [True, False, True, True]
    assert [share.grid_reach(n) for n in (1.0, 74.9, 90.0, 160.0, 1000.0)] == [50, 50, 100, 150, 200]
    # 90 reads 100, hidden: 50 is further than half a step (a quarter had read 50 for 100, and halved
    # a share that climbs among the longest: an outside check)
    assert [share.share_hidden(n) for n in (1.0, 74.9, 90.0, 160.0)] == [False, False, True, False]
    assert replace(share, published=True).grid_reach(74.9) == 74.9  # a return's counts are public
    month = 30 / 7
    answer = _answer(140 / month, share.waiting, share.admitted)
    assert answer.reach == 150 and not lists_hidden(answer)
    assert answer.operations_share == pytest.approx(141 / 150)


def test_no_point_near_the_reach_shown_hides_the_split():
    """Longest first: 400 with 3 without a decision to admit, then 400 with 100 without. Every point to
    400 leaves 1–7 without (fractions of the 3, tied in proportion), so none is shown; 450 is. An
    answer reaching 300 or 400 has no shown point within a tenth of it: hidden, whatever the target;
    one reaching 440 reads 450."""
    share = AdmittedShare((400.0, 400.0), (300.0, 397.0), "counts")
    points, shown = share.grid
    assert not shown[points <= 400].any() and shown[points == 450].all()
    month = 30 / 7
    for treated in (280.0, 300.0, 320.0, 400.0):
        assert lists_hidden(_answer(treated / month, share.waiting, share.admitted))
    reaching = _answer(440 / month, share.waiting, share.admitted)
    assert not lists_hidden(reaching) and reaching.reach == 450


def test_a_point_leaving_a_few_short_of_the_whole_list_is_hidden():
    """The whole list's counts are public (the statistics by priority give those without one): an
    outside check subtracted the 164 without among the 500 longest from the 169 of the list and counted
    5. Longest first: 500 with 100 without, then 300 with the last 5 without. Points 500–750 leave
    1–7 of them beyond: hidden; 450 and 800 are shown."""
    share = AdmittedShare((300.0, 500.0), (295.0, 400.0), "counts")
    points, shown = share.grid
    assert not shown[(points >= 500) & (points <= 750)].any()
    assert shown[points == 450].all() and shown[points == 800].all()
    month = 30 / 7
    answer = _answer(500 / month, share.waiting, share.admitted)
    assert answer.reach == 450 and answer.operations_share == pytest.approx(360 / 450)


def test_a_hidden_share_is_said_in_the_same_words_whatever_it_is():
    """Two outside checks. "every one an operation" beside "*" gave a hidden share of 100% away (and
    with the list's public counts, the 5 beyond it); the page's "partly treatments with no decision to
    admit", asked of target after target reading one hidden share, pinned it to 3 and 5 patients.
    Hidden, both say the same whatever the share."""
    from types import SimpleNamespace

    from stocktake.waitinglist.capacity import lists_assume, lists_words

    month = 30 / 7
    every = _answer(50 / month, (1000.0, 50.0), (5.0, 50.0))  # the 50 longest all with one; 5 others
    some = _answer(50 / month, (1000.0, 50.0), (5.0, 47.0))
    assert lists_hidden(every) and lists_hidden(some) and every.operations_share == 1
    assert lists_words(every, mask="*") == lists_words(some, mask="*")
    assert ", or more if older pathways' priorities are missing" in lists_words(every, mask="*")
    assert "every one an operation" not in lists_words(every, mask="*")
    assert lists_assume(every.admitted, every, hidden=True) == lists_assume(some.admitted, some, hidden=True)
    said = [
        _not_lists_alone(SimpleNamespace(answer=replace(a, cases_per_list=cases), suppress=True))
        for a in (every, some)
        for cases in (2.5, 3.0, 3.5, 4.0)
    ]
    assert len(set(said)) == 1 and "may reach less than the target" in said[0]
