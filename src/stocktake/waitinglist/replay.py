"""Does the calibrated model follow the list's own course? Each past month replayed from the month
before's list with that month's own referrals and treatments, against the list the month reports.

A projection is only as good as the model it runs: an outside check found one projecting a list to
halve in a year while its returns grew 5% a year (ADR 69), and nothing said so. Replayed one month at a
time, the model's monthly gaps add up to its drift over the months: near 0 where the calibration reads
the returns as they join up, large where it does not (returns that disagree month to month, sparse
bins). One month at a time, so a month read as a one-off (a sweep, a transfer) is left out of the sum
without carrying into the months after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.waitinglist.weeks_waited import (
    NEGATIVE_RATES_FROM,
    Redistribution,
    RenegeCapacityParams,
    WaitingList,
    advance,
)

#: A model whose replay drifts more than this share of the latest list over its months is said not to
#: follow the list's course: the projection will drift the same way.
LEAVES_COURSE = 0.05


@dataclass(frozen=True)
class Replay:
    """The model's monthly gaps (replayed list − reported list) over the months replayed."""

    months: tuple[pd.Period, ...]
    gaps: tuple[float, ...]
    #: Months among them read as one-offs, not replayed (their gap is not the model's).
    left_out: tuple[pd.Period, ...]
    latest_waiting: float
    #: The replayed months' referrals, on average: a list fed few has bins too sparse to calibrate.
    referrals_a_month: float

    @property
    def drift(self) -> float:
        """The gaps' sum as a share of the latest list (0 where the list is empty)."""
        return sum(self.gaps) / self.latest_waiting if self.latest_waiting > 0 else 0.0

    @property
    def leaves_course(self) -> bool:
        return abs(self.drift) > LEAVES_COURSE

    def words(self) -> str:
        replayed = [m for m in self.months if m not in self.left_out]
        span = f"{replayed[0]} … {replayed[-1]}" if len(replayed) > 1 else str(replayed[0])
        gap = sum(self.gaps)
        direction = "more than" if gap >= 0 else "fewer than"
        said = (
            f"Replayed month by month over {len(replayed)} returned month{'s' if len(replayed) > 1 else ''} "
            f"({span}), each from the month before's list with its own referrals and treatments, the model "
            f"comes to {abs(gap):,.0f} {direction} the returns report in all ({self.drift:+.1%} of the "
            "latest list)"
        )
        if self.left_out:
            said += f"; {', '.join(m.strftime('%B %Y') for m in self.left_out)} left out (one-offs)"
        return said

    def caution(self) -> str | None:
        """What the analyst must know when the model leaves the list's course, or None."""
        if not self.leaves_course:
            return None
        way = "above" if self.drift > 0 else "below"
        small = (
            f"; a list fed about {self.referrals_a_month:,.0f} referrals a month is also too small for "
            "monthly rates by months waited, which are then mostly noise"
            if self.referrals_a_month < NEGATIVE_RATES_FROM
            else ""
        )
        return (
            f"The model does not follow the returns' own course: replayed over their months it runs "
            f"{abs(self.drift):.0%} {way} what they report, and the projection will drift {way} the list "
            "the same way. Check the returns (a resubmission, a changed basis, a month without referrals "
            f"or treatments), or read the projection as a rough guide only{small}"
        )


def replay(
    lists: list[WaitingList],
    referrals: list[float],
    treatments: list[float],
    params: RenegeCapacityParams,
    redistribution: Redistribution = "evenly",
    left_out: tuple[pd.Period, ...] = (),
) -> Replay:
    """Each of ``lists[1:]`` replayed from the list before it with its month's ``referrals`` and
    ``treatments`` (one a list, the first's unused): the gap to the list reported, months in
    ``left_out`` not replayed."""
    if not len(lists) == len(referrals) == len(treatments) or len(lists) < 2:
        raise ValueError("replay needs two lists or more, with one month's referrals and treatments each")
    months, gaps, referred_in = [], [], []
    for before, reported, referred, treated in zip(
        lists, lists[1:], referrals[1:], treatments[1:], strict=False
    ):
        months.append(reported.month)
        if reported.month in left_out:
            gaps.append(0.0)
            continue
        referred_in.append(referred)
        step = advance(before, referred, treated, params, redistribution)
        gaps.append(step.waiting_list.total - reported.total)
    shown = tuple(m for m in left_out if m in months)
    if len(shown) == len(months):
        raise ValueError("every month replayed is left out")
    return Replay(tuple(months), tuple(gaps), shown, lists[-1].total, float(np.mean(referred_in)))
