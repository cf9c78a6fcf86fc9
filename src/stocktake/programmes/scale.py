"""Answer texts to ordered levels: a survey tool's words ("Somewhat – occasionally…") to a score.

Survey exports write the same answer with different dashes, spaces and capitals from one tool or
one year to the next, so texts are compared after ``normalise``. An answer written in the scale
ending with an ellipsis ("Somewhat…") stands for every answer that starts with it. An answer the
scale does not know is never dropped quietly: ``map_answers`` returns it for the reader to list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Every dash a survey tool or a word processor writes, read as "-".
DASHES = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
ELLIPSES = ("…", "...")


def normalise(text: str) -> str:
    """The text as answers are compared: one kind of dash, quote and space, no case, no ends."""
    text = unicodedata.normalize("NFKC", str(text)).translate(QUOTES)
    text = DASHES.sub("-", text)
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Level:
    """One step of a scale: its label, its score (its place, lowest first) and the answers meaning it."""

    label: str
    score: int
    answers: tuple[str, ...]

    @property
    def written(self) -> tuple[str, ...]:
        """Every text meaning this level: its label and its other answers."""
        return (self.label, *self.answers)


@dataclass(frozen=True)
class Scale:
    """Ordered levels, lowest first, and the answers that mean "no answer" (a skipped question)."""

    name: str
    levels: tuple[Level, ...]
    missing: tuple[str, ...] = ("-", "")

    def __post_init__(self):
        if len(self.levels) < 2:
            raise ValueError(f"scale {self.name!r} needs at least two levels")
        seen: dict[str, str] = {normalise(m): "missing" for m in self.missing}
        for level in self.levels:
            for answer in level.written:
                key = normalise(answer)
                if seen.get(key, level.label) != level.label:
                    raise ValueError(
                        f"scale {self.name!r}: the answer {answer!r} is given for both "
                        f"{seen[key]!r} and {level.label!r}"
                    )
                seen[key] = level.label

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(level.label for level in self.levels)

    def score_of(self, answer: str) -> float | None:
        """The answer's score, NaN for "no answer", None for an answer this scale does not know."""
        key = normalise(answer)
        if key in {normalise(m) for m in self.missing}:
            return float("nan")
        found = {
            level.score
            for level in self.levels
            if any(_matches(key, a) for a in (level.label, *level.answers))
        }
        if len(found) > 1:
            return None  # two levels' prefixes claim it: as unknown as no match, and listed the same way
        return float(found.pop()) if found else None


def _matches(key: str, written: str) -> bool:
    for ellipsis in ELLIPSES:
        if written.rstrip().endswith(ellipsis):
            return key.startswith(normalise(written.rstrip()[: -len(ellipsis)]))
    return key == normalise(written)


def map_answers(answers: Sequence[str], scale: Scale) -> tuple[np.ndarray, tuple[int, ...]]:
    """Each answer's score (NaN: no answer), and the positions of answers the scale does not know
    (their score is NaN too; the caller refuses them or, when told, treats them as missing)."""
    scores = np.full(len(answers), np.nan)
    unknown = []
    cache: dict[str, float | None] = {}
    for position, answer in enumerate(answers):
        if answer not in cache:
            cache[answer] = scale.score_of(answer)
        score = cache[answer]
        if score is None:
            unknown.append(position)
        else:
            scores[position] = score
    return scores, tuple(unknown)
