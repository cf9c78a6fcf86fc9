"""A consultant's supplement from a rota design when they are on it, and rota designs side by side.

The workspace shows, for each plan, the supplement measured from a kept rota the user chose; a
consultant not on that rota gets the plan's stated frequency, and the page says which. Comparing
designs measures every consultant on every design, as ``stocktake jobplan compare`` does (the same
``supplement_for``, so the numbers are the command's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from stocktake.jobplan.model import JobPlan
from stocktake.jobplan.supplement import NotOnRota, Supplement, supplement_for
from stocktake.rota.duties import Duty


@dataclass(frozen=True)
class RotaDesign:
    """A rota's duties as the workspace keeps them, under the name it is shown by."""

    name: str
    duties: tuple[Duty, ...]
    period: tuple[date, date] | None = None


@dataclass(frozen=True)
class FoundSupplement:
    supplement: Supplement | None
    source: str  # where the frequency came from, in words


def supplement_from(
    plan: JobPlan, design: RotaDesign | None, *, leave_in_rota: bool = False
) -> FoundSupplement:
    """From the design when the plan's consultant is on call on it, else from the plan's stated 1 in N."""
    if plan.on_call is None:
        return FoundSupplement(None, "no on-call commitment")
    if design is not None:
        try:
            found = supplement_for(
                plan, list(design.duties), rota=design.name, period=design.period, leave_in_rota=leave_in_rota
            )
            return FoundSupplement(found, f"measured from {design.name}")
        except NotOnRota:
            pass
    found = supplement_for(plan)
    if found is None:
        return FoundSupplement(None, "no stated frequency" + (f"; not on {design.name}" if design else ""))
    said = "stated in the plan" + (f" (not on {design.name})" if design else "")
    return FoundSupplement(found, said)


@dataclass(frozen=True)
class Compared:
    """Each consultant under each design; ``missing``: (consultant, design) pairs not on that rota."""

    supplements: tuple[Supplement, ...]
    missing: tuple[tuple[str, str], ...]


def compare(
    plans: Iterable[JobPlan], designs: Iterable[RotaDesign], *, leave_in_rota: bool = False
) -> Compared:
    designs = list(designs)
    found, missing = [], []
    for plan in plans:
        if plan.on_call is None:
            continue
        for design in designs:
            try:
                found.append(
                    supplement_for(
                        plan,
                        list(design.duties),
                        rota=design.name,
                        period=design.period,
                        leave_in_rota=leave_in_rota,
                    )
                )
            except NotOnRota:
                missing.append((plan.consultant, design.name))
    return Compared(tuple(found), tuple(missing))
