"""The new-password rule's breadth: zxcvbn's lists and patterns stand in for a deny-list (ADR 81)."""

import pytest

from stocktake.appdb.actions.accounts import GUESSED_LENGTH, _check_new_password
from stocktake.appdb.actions.base import ActionError


@pytest.mark.parametrize(
    "password",
    [
        "Liverpool2026",  # an outside check: a football club and a year passed sixty common words
        "Christmas2026!",
        "Pässwörd2026!",  # accents read off, as full-width letters are
        "Orthopaedics2026!",  # the department's own name, a guesser's first try here
        "Trauma-theatre",
        "qwertyuiop[]",
        "Sarah2026Sarah",  # a common first name, not the user's
    ],
)
def test_a_password_a_guesser_would_try_early_is_refused(password):
    with pytest.raises(ActionError, match=r"^password: too easily guessed \(.+\); three or four unrelated"):
        _check_new_password(password, "r.patel", full_name="Ravi Patel")


def test_the_refusal_says_what_makes_it_guessable():
    with pytest.raises(ActionError, match="similar to a commonly used password"):
        _check_new_password("Password2026!", "r.patel")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # the NCSC's three random words
        "kettle-violin-harbour-47",
        "Tr0ub4dor&3xyz",
        "xk3-mP9q-Lw2z",
        "a sentence about a ward round",
        "слово пароль зима дерево",  # words of another script, long enough
        "kettle-violin-harbour-" * 10,  # longer than zxcvbn reads: the rest only adds to it
    ],
)
def test_a_strong_password_is_taken(password):
    assert len(password) < GUESSED_LENGTH or password.startswith("kettle")
    _check_new_password(password, "r.patel", full_name="Ravi Patel")
