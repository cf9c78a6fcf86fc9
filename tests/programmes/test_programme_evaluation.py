"""The evaluation on small hand-made cohorts: domain scores, pairs, unpaired people, response rates,
the small-cohort rule and the L1 item summaries."""

import numpy as np
import pytest

from stocktake.programmes import Domain, Level, Scale, Survey, domain_scores, evaluate, summarise_items

FIVE = Scale("agreement", tuple(Level(t, i, ()) for i, t in enumerate(["SD", "D", "N", "A", "SA"], start=1)))
NAN = np.nan


def survey(label, ids, **items):
    return Survey(label, tuple(ids), {k: np.array(v, float) for k, v in items.items()})


def test_a_domain_score_needs_half_its_items():
    # Three items: half is 2 (rounded up). Person a: (4 + 5 + 3) / 3 = 4; b: (2 + 4) / 2 = 3;
    # c answered one item only: no score.
    domain = Domain("Leading", FIVE, ("q1", "q2", "q3"))
    responses = survey("pre", "abc", q1=[4, 2, 5], q2=[5, NAN, NAN], q3=[3, 4, NAN])
    np.testing.assert_array_equal(domain_scores(responses, domain), [4, 3, NAN])


def test_only_people_with_both_scores_are_paired():
    # Cohort of 9 (a-i). Before: a-f answered; after: a-e, g, h. Pairs: a-e (5).
    # f answered before only; g, h after only; i never. Person e skipped q1 after: still paired
    # (one item of one is half). The unpaired people's extreme scores must not touch the pairs.
    domain = Domain("Leading", FIVE, ("q1",))
    before = survey("pre", "abcdef", q1=[1, 2, 2, 3, 3, 5])
    after = survey("post", "abcdegh", q1=[2, 3, 4, 4, 5, 1, 1])
    result = evaluate(before, after, [domain], cohort=list("abcdefghi")).domains[0]
    assert (result.paired, result.before_only, result.after_only) == (5, 1, 2)
    # Differences after - before for a-e: 1, 1, 2, 1, 2 → mean 7/5 = 1.4.
    assert result.comparison.t_test.mean_difference == pytest.approx(1.4, rel=1e-12)
    assert result.mean_before == pytest.approx((1 + 2 + 2 + 3 + 3) / 5)
    assert result.mean_after == pytest.approx((2 + 3 + 4 + 4 + 5) / 5)
    assert (result.mean_before_only, result.mean_after_only) == (5, 1)
    assert (result.before.responded, result.before.cohort) == (6, 9)
    assert result.before.rate == pytest.approx(6 / 9) and result.after.rate == pytest.approx(7 / 9)


def test_four_pairs_show_counts_only_with_the_rates():
    domain = Domain("Leading", FIVE, ("q1",))
    before = survey("pre", "abcdef", q1=[1, 2, 2, 3, NAN, NAN])
    after = survey("post", "abcd", q1=[3, 3, 4, 5])
    result = evaluate(before, after, [domain]).domains[0]
    assert result.paired == 4 and not result.tested
    assert "fewer than 5" in result.comparison.notes[0]
    # No cohort list: the cohort is everyone who answered either survey (6), and it says so.
    assert result.before.rate == 1 and result.after.rate == pytest.approx(4 / 6)
    assert result.before.scored == 4


def test_a_stranger_to_the_cohort_is_refused():
    domain = Domain("Leading", FIVE, ("q1",))
    with pytest.raises(ValueError, match="not in the cohort"):
        evaluate(survey("pre", "ab", q1=[1, 2]), survey("post", "az", q1=[1, 2]), [domain], cohort=["a", "b"])


def test_a_respondent_answers_once():
    with pytest.raises(ValueError, match="answers once"):
        survey("pre", "aa", q1=[1, 2])


def test_item_summaries_count_levels_and_find_the_median():
    # q1: SD, A, A, SA, (skip) → counts (1, 0, 0, 2, 1), 1 skipped; median of 1, 4, 4, 5 is 4 (A);
    # top two (A, SA): 3 of 4. q2: D, N → median 2.5: "D to N"; top two: 0 of 2.
    domain = Domain("Leading", FIVE, ("q1", "q2"))
    responses = survey("feedback", "abcde", q1=[1, 4, 4, 5, NAN], q2=[2, 3, NAN, NAN, NAN])
    first, second = summarise_items(responses, [domain])
    assert (first.counts, first.missing, first.answered) == ((1, 0, 0, 2, 1), 1, 4)
    assert first.median_level == "A" and first.top_two_share == 0.75
    assert second.median_level == "D to N" and second.top_two_share == 0


def test_the_rules_are_named_in_the_evaluation():
    domain = Domain("Leading", FIVE, ("q1",))
    evaluation = evaluate(survey("pre", "a", q1=[1]), survey("post", "a", q1=[2]), [domain])
    assert any("at least half the items" in rule for rule in evaluation.rules)
    assert any("after minus before" in rule for rule in evaluation.rules)


def test_a_counts_only_domain_shows_no_means():
    # Four pairs (a-d) and two before only (e, f): counts only, so no mean, paired or not (ADR 23).
    domain = Domain("Leading", FIVE, ("q1",))
    before = survey("pre", "abcdef", q1=[1, 2, 2, 3, 4, 5])
    after = survey("post", "abcd", q1=[3, 3, 4, 5])
    result = evaluate(before, after, [domain]).domains[0]
    assert result.counts_only and (result.paired, result.before_only) == (4, 2)
    assert np.isnan([result.mean_before, result.mean_after, result.mean_before_only]).all()


def test_reaction_items_are_summarised_after_only_and_never_tested():
    # "Programme" is reaction (L1): only the after survey asks it; "Leading" is learning (the default).
    reaction = Domain("Programme", FIVE, ("useful",), level="reaction")
    learning = Domain("Leading", FIVE, ("q1",))
    before = survey("pre", "abcde", q1=[1, 2, 2, 3, 3])
    after = survey("post", "abcde", q1=[2, 3, 4, 4, 5], useful=[5, 5, 4, 4, NAN])
    evaluation = evaluate(before, after, [reaction, learning])
    assert [d.domain for d in evaluation.domains] == ["Leading"]
    assert evaluation.domains[0].level == "learning"
    useful = [s for s in evaluation.items if s.item == "useful"]
    assert len(useful) == 1 and useful[0].survey == "post" and useful[0].level == "reaction"
    assert (useful[0].counts, useful[0].missing) == ((0, 0, 0, 2, 2), 1)
    assert {s.level for s in evaluation.items if s.item == "q1"} == {"learning"}


def test_a_level_not_kirkpatricks_is_refused():
    with pytest.raises(ValueError, match="level 'results' is not one of reaction, learning, behaviour"):
        Domain("Leading", FIVE, ("q1",), level="results")


def test_several_domains_get_holm_adjusted_p_values():
    # Three domains on the same five people, each tested; a fourth with four pairs is not (m = 3).
    # Holm: the smallest raw p times 3, the next times 2 (never below the one before), the largest x1.
    before = survey("pre", "abcde", q1=[1, 2, 2, 3, 3], q2=[2, 2, 3, 3, 4], q3=[3, 3, 3, 3, 3], q4=[1] * 5)
    after = survey("post", "abcde", q1=[3, 4, 4, 5, 4], q2=[2, 3, 4, 3, 5], q3=[4, 2, 3, 5, 3])
    after.scores["q4"] = np.array([2, 2, 2, 2, NAN])
    domains = [Domain(f"D{i}", FIVE, (f"q{i}",)) for i in range(1, 5)]
    results = evaluate(before, after, domains).domains
    raw = [r.comparison.t_test.p for r in results[:3]]
    order = np.argsort(raw)
    expected = np.maximum.accumulate([min(1, (3 - k) * raw[i]) for k, i in enumerate(order)])
    for k, i in enumerate(order):
        assert results[i].p_t_holm == pytest.approx(expected[k], rel=1e-12)
    assert results[3].counts_only and results[3].p_t_holm is None and results[3].p_wilcoxon_holm is None
    assert any("Holm" in rule for rule in evaluate(before, after, domains).rules)
