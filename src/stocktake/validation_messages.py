"""One wording for a file that fails its pydantic model: where in the file, and what is wrong.

Mappings, user metrics, report targets and rota specifications are all YAML checked by a
pydantic model. Pydantic's own report spans lines and names its internals, so every reader
turns it into the same one-line form, ``place.in.file: what is wrong; ...``, with the place
given by the file's own keys. This module imports nothing of Stocktake, so any package can
use it without an upward import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import ValidationError

Place = list[str | int]


def problems(
    error: ValidationError,
    *,
    within: Sequence[str | int] = (),
    rename: Callable[[Place], Place] | None = None,
    show_input: bool = False,
) -> list[str]:
    """Each problem as ``place: message``; ``within`` is where the validated part sits in the file,
    ``rename`` may put a name in place of a list position (a metric's id for ``metric 3``), and
    ``show_input`` adds the value found, as ``('42x')``, when it is a single value."""
    described = []
    for problem in error.errors():
        place = list(within) + list(problem["loc"])
        if rename is not None:
            place = rename(place)
        message = problem["msg"].removeprefix("Value error, ")
        value = problem.get("input")
        if show_input and problem["type"] != "missing" and isinstance(value, str | int | float):
            message += f" ({value!r})"
        described.append(f"{'.'.join(str(p) for p in place) or 'top level'}: {message}")
    return described


def describe(
    error: ValidationError,
    *,
    within: Sequence[str | int] = (),
    rename: Callable[[Place], Place] | None = None,
    show_input: bool = False,
) -> str:
    """Every problem on one line, ``place: message; place: message``."""
    return "; ".join(problems(error, within=within, rename=rename, show_input=show_input))
