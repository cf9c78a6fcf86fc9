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
    with pytest.raises(
        ActionError, match=r"^password: too easily guessed \(.+\); four or more unrelated words"
    ):
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


@pytest.mark.parametrize(
    "password",
    [  # an outside check: each passed, zxcvbn counting each separator as a piece of 10^4 guesses
        "NHS Trust 2026!",
        "Analgesia round!",
        "Fracture clinic 1",
        "Summer 2026 !!",
        "Pass word 2026!",
        "Ward 12 Nurse!",
        # and the cut at zxcvbn's 72 characters: a stray end had made a repeat look random
        "Password2026!" * 6,
        "Orthopaedics2026!" * 5,
        "Password2026!" + " " * 60,
        # letters joined by what draws nothing, read as the word they show
        "P\u200dassword2026!",
        "Pass\u200bword2026!",
        # a recheck: four pieces passed on zxcvbn's 10^4 a piece; a double letter halved made no word;
        # a Hangul filler drew nothing; a repeat in another case
        "ward nurse doctor clinic",
        "nhs trust ward 2026",
        "monkey dragon shadow master",
        "coffee train fish",
        "P\u3164assword2026!",
        "Password2026!PASSWORD2026!",
        "2026 2025 2024 2023",  # digits alone
    ],
)
def test_a_weak_password_dressed_up_is_refused(password):
    with pytest.raises(ActionError, match=r"^password: too easily guessed"):
        _check_new_password(password, "r.patel", full_name="Ravi Patel")


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("\u200b" * 12, "at least 12 characters"),  # twelve characters that draw nothing
        ("\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f" * 2, "at least 12"),
        # a Latin-1 terminal's "café" through $STOCKTAKE_PASSWORD: a traceback had shown its place
        ("caf\udce9 otter bicycle lantern", "holds bytes that are not UTF-8 text"),
    ],
)
def test_what_a_person_cannot_see_or_type_is_named(password, said):
    with pytest.raises(ActionError, match=said) as raised:
        _check_new_password(password, "r.patel")
    assert "caf" not in str(raised.value)


@pytest.mark.parametrize(
    ("password", "username", "full_name"),
    [  # an outside check: each passed for its own person
        ("Lukasz Lecki 2026", "llecki", "Łukasz Łęcki"),  # letters accents do not make
        ("Soren2026Soren!", "sk", "Søren Kierkegaard"),
        ("McDonald 2026 !!", "imcd", "Ian McDonald"),  # a capital inside the name
        ("ONeill 2026 !!", "so", "Sinéad O'Neill"),  # the apostrophe left out
    ],
)
def test_the_persons_name_however_written_is_refused(password, username, full_name):
    with pytest.raises(ActionError, match="it holds the person's name"):
        _check_new_password(password, username, full_name=full_name)


@pytest.mark.parametrize(
    ("password", "username", "full_name"),
    [  # a recheck: each was refused as holding the person's name
        ("Sunday la la land de luxe", "mcruz", "Maria de la Cruz"),
        ("the blue van parked by the lake", "jvd", "Jan van Dijk"),  # a name's particle
        ("bin the old kettle tonight please", "abs", "Ahmed bin Salman"),
        ("what to do on a rainy sunday", "tdo", "Thi Do"),  # a name of two letters
        ("draw a red kite over the hill", "award", "Anna Ward"),  # a name reversed
    ],
)
def test_ordinary_words_a_name_shares_are_not_the_name(password, username, full_name):
    _check_new_password(password, username, full_name=full_name)


def test_a_password_mostly_of_the_persons_short_names_falls_short_of_its_guesses():
    with pytest.raises(ActionError, match="too easily guessed"):
        _check_new_password("Jo Ng 2026 !!", "jng", full_name="Jo Ng")
    with pytest.raises(ActionError, match="it holds the person's name"):
        _check_new_password("Cruz control 2026 kettle", "mcruz", full_name="Maria de la Cruz")


def test_a_password_managers_random_symbols_are_taken():
    """A last recheck: a third of random 14-character passwords with symbols had been refused, every
    symbol between their letters counted as a separator a guesser tries."""
    import random
    import string

    rng = random.Random(3)
    drawn = ["".join(rng.choice(string.printable[:94]) for _ in range(16)) for _ in range(100)]
    refused = []
    for password in drawn:
        try:
            _check_new_password(password, "r.patel")
        except ActionError:
            refused.append(password)
    assert refused == []
    with pytest.raises(ActionError, match="digits or symbols alone"):
        _check_new_password("!!!!!!!!!!!!", "r.patel")
