"""A small expression language for metric definitions, and its compilation to Ibis.

In a catalogue file an expression is written as YAML:

- a string names a column: ``surgery_at``
- a number or boolean is itself: ``36``
- a mapping with one key applies an operation: ``{hours_between: [arrived_at, surgery_at]}``

In comparisons (``eq``, ``lt``, …) and ``in`` the right-hand side is a value, not a column, so
``{eq: [admission_method, elective]}`` compares with the text "elective"; write ``{col: name}``
to compare with another column.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis


class ExpressionError(ValueError):
    """A catalogue expression that cannot be understood."""


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Call:
    op: str
    args: tuple[Expression, ...]


Expression = Column | Literal | Call

COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge"}


def _hours(a, b):
    return (b.epoch_seconds() - a.epoch_seconds()) / 3600


def _minutes(a, b):
    return (b.epoch_seconds() - a.epoch_seconds()) / 60


def _days(a, b):
    """Whole days between the calendar dates (midnights passed), as length of stay is counted."""
    return _as_date(b).delta(_as_date(a), unit="day")


def _as_date(value):
    return value if value.type().is_date() else value.date()


def _bands(value, edges):
    """Labels for ranges of ``value`` cut at ``edges``: [50, 60] gives "<50", "50-59", "60+"."""
    edges = [int(e) for e in edges]
    labels = [f"<{edges[0]}"] + [f"{a}-{b - 1}" for a, b in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]}+")
    cases = [(value < edge, label) for edge, label in zip(edges, labels, strict=False)]
    return ibis.cases(*cases, (value >= edges[-1], labels[-1]))  # a missing value has no band


def _all(*args):
    result = args[0]
    for arg in args[1:]:
        result = result & arg
    return result


def _any(*args):
    result = args[0]
    for arg in args[1:]:
        result = result | arg
    return result


OPERATIONS: dict[str, tuple[int | None, Callable]] = {
    # name: (number of arguments, or None for two or more; the Ibis builder)
    "hours_between": (2, _hours),
    "minutes_between": (2, _minutes),
    "days_between": (2, _days),
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / b),
    "greatest": (None, lambda *a: ibis.greatest(*a)),
    "least": (None, lambda *a: ibis.least(*a)),
    "eq": (2, lambda a, b: a == b),
    "ne": (2, lambda a, b: a != b),
    "lt": (2, lambda a, b: a < b),
    "le": (2, lambda a, b: a <= b),
    "gt": (2, lambda a, b: a > b),
    "ge": (2, lambda a, b: a >= b),
    "in": (2, lambda a, b: a.isin(b)),
    "floor": (1, lambda a: a.floor()),
    "day_of_week": (1, lambda a: a.day_of_week.index()),  # Monday 0 … Sunday 6
    "bands": (2, _bands),
    "and": (None, _all),
    "or": (None, _any),
    "not": (1, lambda a: ~a),
    "is_null": (1, lambda a: a.isnull()),
    "not_null": (1, lambda a: a.notnull()),
    "is_true": (1, lambda a: a.fill_null(False)),
}


def parse(raw: Any, where: str = "expression") -> Expression:
    """The expression a YAML value stands for; ``where`` says where it was, for errors."""
    if isinstance(raw, str):
        return Column(raw)
    if isinstance(raw, bool | int | float):
        return Literal(raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((op, args),) = raw.items()
        if op == "col":
            return Column(str(args))
        if op not in OPERATIONS:
            raise ExpressionError(
                f"{where}: unknown operation {op!r} (expected one of {', '.join(OPERATIONS)})"
            )
        args = args if isinstance(args, list) else [args]
        arity = OPERATIONS[op][0]
        if (arity is None and len(args) < 2) or (arity is not None and len(args) != arity):
            wanted = "two or more" if arity is None else str(arity)
            raise ExpressionError(f"{where}: {op} takes {wanted} argument(s), not {len(args)}")
        return Call(op, tuple(_argument(op, i, a, where) for i, a in enumerate(args)))
    raise ExpressionError(
        f"{where}: expected a column name, a number or {{operation: [arguments]}}, not {raw!r}"
    )


def _argument(op: str, position: int, raw: Any, where: str) -> Expression:
    if position == 1 and op in COMPARISONS and not isinstance(raw, dict):
        return Literal(raw)
    if position == 1 and op in ("in", "bands"):
        if not isinstance(raw, list) or not raw:
            raise ExpressionError(f"{where}: {op} takes a column and a list of values")
        if op == "bands" and (
            not all(isinstance(v, int | float) for v in raw) or sorted(raw) != raw or len(set(raw)) < len(raw)
        ):
            raise ExpressionError(f"{where}: bands takes a column and increasing numbers, not {raw!r}")
        return Literal(tuple(raw))
    return parse(raw, where)


def columns(expression: Expression) -> set[str]:
    """Every column an expression reads."""
    if isinstance(expression, Column):
        return {expression.name}
    if isinstance(expression, Call):
        return set().union(*(columns(a) for a in expression.args))
    return set()


def compile_to_ibis(expression: Expression, table: ibis.Table):
    """The Ibis value of ``expression`` over ``table``."""
    if isinstance(expression, Column):
        return table[expression.name]
    if isinstance(expression, Literal):
        value = expression.value
        return list(value) if isinstance(value, tuple) else ibis.literal(value)
    builder = OPERATIONS[expression.op][1]
    if expression.op == "bands":
        return builder(compile_to_ibis(expression.args[0], table), expression.args[1].value)
    return builder(*(compile_to_ibis(a, table) for a in expression.args))
