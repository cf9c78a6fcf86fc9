"""Answer texts to levels: dashes, spaces and case set aside; prefixes; unknown answers returned."""

import numpy as np
import pytest

from stocktake.programmes import Level, Scale, map_answers, normalise

AGREEMENT = Scale(
    "agreement",
    (
        Level("Strongly disagree", 1, ()),
        Level("Disagree", 2, ()),
        Level("Neither agree nor disagree", 3, ("Neutral",)),
        Level("Agree", 4, ()),
        Level("Strongly agree", 5, ()),
    ),
    missing=("-", "", "Prefer not to say"),
)
SUPPORT = Scale(
    "support",
    (
        Level("Not at all", 1, ("Not at all…",)),
        Level("Somewhat", 2, ("Somewhat...",)),
        Level("Very", 3, ("Very…",)),
    ),
)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Yes –  a little", "yes - a little"),  # an en dash and two spaces, as in the APHA survey
        ("Often — very few", "often - very few"),  # an em dash
        ("  STRONGLY   agree ", "strongly agree"),
        ("Yes, I’m an associate", "yes, i'm an associate"),  # a curly apostrophe
        ("Ａｇｒｅｅ", "agree"),  # full-width letters (NFKC)
    ],
)
def test_normalise_sets_aside_dashes_spaces_quotes_and_case(written, expected):
    assert normalise(written) == expected


def test_answers_map_to_their_levels_and_skips_to_nan():
    answers = ["Strongly agree", "agree", "Neutral", "-", "", "Prefer not to say", "strongly DISAGREE"]
    scores, unknown = map_answers(answers, AGREEMENT)
    np.testing.assert_array_equal(scores, [5, 4, 3, np.nan, np.nan, np.nan, 1])
    assert unknown == ()


def test_a_text_ending_in_an_ellipsis_matches_every_answer_starting_with_it():
    answers = [
        "Somewhat – occasionally has conversations with me on my development needs",
        "Not at all – no discussion on development needs",
        "Not at all",
        "Very supportive – actively supports through regular meetings,  facilitates training",
    ]
    scores, unknown = map_answers(answers, SUPPORT)
    np.testing.assert_array_equal(scores, [2, 1, 1, 3])
    assert unknown == ()


def test_unknown_answers_are_returned_never_dropped():
    answers = ["Agree", "Agre", "Mostly agree", "Agree", "Mostly agree"]
    scores, unknown = map_answers(answers, AGREEMENT)
    assert unknown == (1, 2, 4)
    assert np.isnan(scores[[1, 2, 4]]).all() and scores[0] == scores[3] == 4


def test_an_answer_given_for_two_levels_is_refused():
    with pytest.raises(ValueError, match="'agree' is given for both 'Agree' and 'Strongly agree'"):
        Scale("bad", (Level("Agree", 1, ()), Level("Strongly agree", 2, ("agree",))))


def test_an_answer_two_prefixes_claim_is_unknown_not_guessed():
    scale = Scale("overlap", (Level("Low", 1, ("Yes…",)), Level("High", 2, ("Yes – very…",))))
    _, unknown = map_answers(["Yes – very much"], scale)
    assert unknown == (0,)


def test_a_scale_needs_two_levels():
    with pytest.raises(ValueError, match="at least two levels"):
        Scale("one", (Level("Yes", 1, ()),))
