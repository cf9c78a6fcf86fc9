"""Does the calibrated model follow the list's own course? The model run over the past months from the
list before them with each month's own referrals and treatments, against the lists the months report.

A projection is only as good as the model it runs: an outside check found one projecting a list to
halve in a year while its returns grew 5% a year (ADR 69), and nothing said so. Replayed, the model's
gap to the list at the end is its drift over the months, the drift a projection at the months' average
flows carries on: near 0 where the calibration reads the returns as they join up, large where it does
not (sparse bins, an open band gaining from nowhere, a month's treatments not returned and read as
none). A month that cannot be replayed (a one-off such as a sweep, a month whose flows were not
returned) stops the run, which starts again from the list it reports, so its gap is not carried into
the months after it. The months are those the model was calibrated on: the replay shows when the
model cannot follow the past, never that the future will follow it (ADR 71). From 13 returns the
model is also calibrated on the earlier months alone and run over the latest six that can be run,
which it has not seen: rates that changed lately (more reneging, a validation programme) average out
in-sample but not there (ADR 72).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.waitinglist.one_offs import spans_said
from stocktake.waitinglist.weeks_waited import (
    NEGATIVE_RATES_FROM,
    Redistribution,
    RenegeCapacityParams,
    WaitingList,
    advance,
)

#: A model whose replay drifts more than this share of the list over its months is said not to follow
#: the list's course: the projection will drift the same way. The same for those waiting over 52 weeks,
#: the count the no-52-week-waiters target reads. Either only beyond chance (:func:`beyond_chance`).
LEAVES_COURSE = 0.05
#: Run over months held out of its calibration, the model's gap in the list is said from this share:
#: an outside check (s72) found the held-out total's gaps on 82 simulated lists where nothing changed
#: within 0.3–0.55 of the count's square root (never past 0.6 of the bar), while a change in reneges of
#: a half, which left the projection 7–9% high a year on, reached only 3–4%: caught 1 time in 9.
HELD_OUT_SHARE = 0.025
#: Chance spreads (square roots of the count) a gap must pass: twice for the list, and for those over 52
#: weeks run over held-out months three times (s72: their gaps where nothing changed spread 0.8–1.0 of
#: the square root, and twice fired on 3 of 82 lists, each the wrong way).
SPREADS, SPREADS_52_HELD_OUT = 2.0, 3.0
#: And for the list run over held-out months one and a half: its gaps where nothing changed spread
#: 0.3–0.55 of the square root (s72, 82 lists; a recheck's 45 more stayed within half the bar), while
#: at 500 referrals a month (some 2,700 waiting) twice it, 3.8% of the list, missed a change in reneges
#: by half whose held-out gaps ran 3.2–3.6% and whose projections ran 12–13% high a year on.
SPREADS_HELD_OUT = 1.5
#: A gap of fewer patients than this is never said to leave the course.
FEWEST = 8
#: Fewer months replayed than this say little (each month's rates are in the means it is replayed
#: with), so nothing is said of them. Held out of the calibration, four months say enough (no month's
#: rates are in the means; fewer months only make the gap smaller): 13 returns with one sweep among
#: the latest six run five (a recheck: they said "too few", the test off where it was wanted).
FEWEST_MONTHS, FEWEST_HELD_OUT = 6, 4
#: The latest months held out of a calibration to test it on (ADR 72): a run of returns holds out
#: this many when it has as many again to calibrate on, and the list before them.
HELD_OUT_MONTHS = 6
#: A list fed fewer referrals a month than this is said to be small: whole-patient simulations of steady
#: lists were projected a year on with a standard deviation between lists of 17% at 50 referrals a
#: month (20 lists; 5% at 500: ``benchmarks/bench_weeks_from_returns.py``), and in an outside check's
#: (s72) 41% at 30, 23% at 50, 17% at 75, 11% at 100, 7% at 150 and 5% at 200.
SMALL_LIST = 100


def _share_said(drift: float) -> str:
    """ "+1.9%", "−4.8%", "under 0.1%" (a gap of 80 beside "+0.0%" read as a contradiction)."""
    return "under 0.1%" if abs(drift) < 0.0005 else format(drift, "+.1%").replace("-", "−")


@dataclass(frozen=True)
class Replay:
    """The model's gaps (run − reported) at the end of each run over the months, for those waiting and
    those waiting over 52 weeks (0 in the months no run ends), and the months not run with why."""

    months: tuple[pd.Period, ...]
    gaps: tuple[float, ...]
    gaps_52: tuple[float, ...]
    #: (month, why) for the months among ``months`` not replayed; their gaps are 0.
    left_out: tuple[tuple[pd.Period, str], ...]
    #: The latest replayed month's list as reported: what the drift is a share of.
    waiting: float
    over_52: float
    #: The replayed months' referrals, on average: a list fed few has bins too sparse to calibrate.
    referrals_a_month: float
    #: Months among ``months`` read as a sweep or a transfer: the list may come back after one for longer
    #: than the months read as its return, which the model does not replay (an outside check).
    sweeps: tuple[pd.Period, ...] = ()
    #: The months the model was calibrated on when they are not ``months`` (held out of it: ADR 72).
    calibrated_on: tuple[pd.Period, ...] = ()

    @property
    def held_out(self) -> bool:
        return bool(self.calibrated_on)

    @property
    def replayed(self) -> tuple[pd.Period, ...]:
        skipped = {m for m, _ in self.left_out}
        return tuple(m for m in self.months if m not in skipped)

    @property
    def drift(self) -> float:
        """The gaps' sum as a share of the latest replayed month's list (0 where it is empty)."""
        return sum(self.gaps) / self.waiting if self.waiting > 0 else 0.0

    @property
    def leaves_course(self) -> bool:
        if self.held_out:
            return beyond_chance(sum(self.gaps), self.waiting, HELD_OUT_SHARE, SPREADS_HELD_OUT)
        return beyond_chance(sum(self.gaps), self.waiting)

    @property
    def leaves_course_52(self) -> bool:
        spreads = SPREADS_52_HELD_OUT if self.held_out else SPREADS
        return beyond_chance(sum(self.gaps_52), self.over_52, spreads=spreads)

    @property
    def says_little(self) -> bool:
        return len(self.replayed) < self.fewest

    @property
    def fewest(self) -> int:
        return FEWEST_HELD_OUT if self.held_out else FEWEST_MONTHS

    def words(self) -> str:
        """What the replay found, or why it found nothing worth saying, and the months not run."""
        replayed = self.replayed
        if self.says_little:
            which = (
                f"of the latest {len(self.months)}, held out of a calibration"
                if self.held_out
                else "of the months it was calibrated on"
            )
            said = (
                f"Too few months to replay the model over ({len(replayed)} {which}, {self.fewest} at "
                "least): its drift from the returns' course is not checked"
                + (" on months it was not calibrated on" if self.held_out else "")
            )
        else:
            span = spans_said(list(replayed))
            restarted = " (started again after each month not replayed, from the list it reports)"
            restarted = restarted if self.left_out else ""
            how = (
                f"Calibrated on the earlier months alone ({spans_said(list(self.calibrated_on))}) and run "
                f"over the latest {len(replayed)} ({span}), which it was not calibrated on,"
                if self.held_out
                else f"Replayed over {len(replayed)} of the months it was calibrated on ({span})"
            )
            said = (
                f"{how} from the list before them, with each month's own referrals and treatments"
                f"{restarted}, the model comes to {_difference(sum(self.gaps), 'waiting')} the returns "
                f"report ({_share_said(self.drift)} of the {spans_said([replayed[-1]])} list), and "
                f"{_more_or_fewer(sum(self.gaps_52))} waiting over 52 weeks (of {self.over_52:,.0f} then)"
            )
        reasons = dict.fromkeys(why for _, why in self.left_out)
        for why in reasons:
            months = [m for m, reason in self.left_out if reason == why]
            said += f"; {spans_said(months)} not replayed ({why})"
        return said

    @property
    def way(self) -> str | None:
        """ "above" or "below", where the run leaves the list's course in all (and may be said)."""
        if self.says_little or not self.leaves_course:
            return None
        return "above" if self.drift > 0 else "below"

    @property
    def way_52(self) -> str | None:
        """The same for those waiting over 52 weeks."""
        if self.says_little or not self.leaves_course_52:
            return None
        return "above" if sum(self.gaps_52) > 0 else "below"

    def findings(self, undirected: frozenset[str] = frozenset()) -> list[str]:
        """A sentence for each count the run leaves the course of: what it means for the projection,
        save for the counts in ``undirected`` ("waiting", "over 52 weeks"), where another run points
        the other way and neither way can be said (:func:`caution`)."""
        said = []
        if self.held_out and self.referrals_a_month < NEGATIVE_RATES_FROM:
            return said  # a list's rates this sparse are noise: no change can be read from them
        chance = (
            "chance (the list is small), or " if self.held_out and self.referrals_a_month < SMALL_LIST else ""
        )
        model = "The model calibrated on the earlier months alone" if self.held_out else "The model"
        if (way := self.way) is not None:
            share = (
                "more than the list itself" if abs(self.drift) >= 1 else f"{abs(self.drift):.1%} of the list"
            )
            gap = f"{abs(sum(self.gaps)):,.0f} {way} what they report ({share})"
            if self.held_out:
                then = (
                    ""
                    if "waiting" in undirected
                    else f", and then the projection, calibrated on all the months, is likely to run {way} "
                    "the list too, and further a year on (in simulations of such a change, twice this gap or "
                    "more)"
                )
                said.append(
                    f"{model} does not follow the latest months' course: run over them it runs {gap}: "
                    f"{chance}the list's rates have changed lately (or how its returns are made){then}"
                )
            else:
                then = (
                    ""
                    if "waiting" in undirected
                    else f", and the projection will run {way} the list the same way"
                )
                said.append(
                    f"{model} does not follow the returns' own course: replayed over their months it runs "
                    f"{gap}{then}"
                )
        if (way := self.way_52) is not None:
            more = "more" if way == "above" else "less"
            then = (
                ""
                if "over 52 weeks" in undirected
                else f", so{' unless it is chance (the list is small)' if chance else ''} the projected "
                f"52-week waiters will {'likely ' if self.held_out else ''}run {way} too (and a "
                f"no-52-week-waiters target's answer ask for {more} than it needs)"
            )
            said.append(
                f"{'Nor does it' if said else f'{model} does not'} follow the count waiting over 52 weeks: "
                f"{'run over them' if self.held_out else 'replayed'} it runs "
                f"{abs(sum(self.gaps_52)):,.0f} {way} what the returns report{then}"
            )
        return said


def caution(in_sample: Replay | None, held_out: Replay | None = None) -> str | None:
    """What the analyst must know from the model replayed over its own months and over those held out
    of a calibration: where either leaves the list's course, where the two point opposite ways (then
    neither says which way the projection will err: an outside check read two firm opposite claims
    before the retraction), each piece of advice once, and the list's size (whatever the runs, where
    chance dominates); or None."""
    runs = [run for run in (in_sample, held_out) if run is not None]
    opposite = frozenset()
    if in_sample is not None and held_out is not None and held_out.findings():
        opposite = frozenset(
            who
            for who, ways in (
                ("waiting", (in_sample.way, held_out.way)),
                ("over 52 weeks", (in_sample.way_52, held_out.way_52)),
            )
            if None not in ways and ways[0] != ways[1]
        )
    said = [sentence for run in runs for sentence in run.findings(opposite)]
    if opposite:
        who = " and ".join(w for w in ("waiting", "over 52 weeks") if w in opposite)
        said.append(
            f"The two runs point opposite ways for those {who}: which way the projection will err there "
            "cannot be told from them"
        )
    sweeps = sorted({m for run in runs for m in run.sweeps})
    if said and sweeps:
        said.append(
            f"Or the gap is the list coming back after {spans_said(sweeps)} for longer than the months "
            "read as its return: the model does not replay that, and then the gap says nothing of the "
            "projection's course"
        )
    if said:
        said.append(
            "Check the returns (a resubmission, a changed basis, a change in how patients are booked), or "
            "read the projection as a rough guide only"
        )
    if runs and (size := small_list(runs[0].referrals_a_month)) is not None:
        said.append(size)
    return ". ".join(said) if said else None


def small_list(referrals_a_month: float) -> str | None:
    """What chance does to the projection of a list fed so few, whatever its replay; None for a list of
    :data:`SMALL_LIST` referrals a month or more."""
    fed = (
        "A list fed no referrals in the months read"
        if round(referrals_a_month) == 0
        else f"A list fed about {referrals_a_month:,.0f} "
        f"referral{'' if round(referrals_a_month) == 1 else 's'} a month"
    )
    if referrals_a_month < NEGATIVE_RATES_FROM:
        return (
            f"{fed} is too small for monthly rates by months waited, which are then mostly noise: read its "
            "projection as a rough guide only"
        )
    if referrals_a_month < SMALL_LIST:
        return (
            f"{fed} is small: by chance alone its projection a year on is often a sixth or more off either "
            "way (simulated steady lists, the standard deviation a year on: about 40% at 30 referrals a "
            "month, 17% at 50, 11% at 100)"
        )
    return None


def beyond_chance(gap: float, count: float, share: float = LEAVES_COURSE, spreads: float = SPREADS) -> bool:
    """A gap beyond ``share`` of the count it is a gap in, and beyond ``spreads`` times the count's chance
    variation: a count of patients varies by about its square root month to month (Poisson), so by
    default twice that (a recheck's whole-patient simulation of a steady list of 410 over 52 weeks
    replayed 29 short, 7%, by chance alone), and at least :data:`FEWEST` patients."""
    return abs(gap) >= FEWEST and abs(gap) > max(share * count, spreads * np.sqrt(max(count, 0.0)))


def _difference(gap: float, who: str) -> str:
    """ "62 more waiting than", "as many waiting as"."""
    if round(gap) == 0:
        return f"as many {who} as"
    return f"{_more_or_fewer(gap)} {who} than"


def _more_or_fewer(gap: float) -> str:
    """ "62 more", "5 fewer", "no more"."""
    return "no more" if round(gap) == 0 else f"{abs(gap):,.0f} {'more' if gap > 0 else 'fewer'}"


def replay(
    lists: list[WaitingList],
    referrals: list[float],
    treatments: list[float],
    params: RenegeCapacityParams,
    redistribution: Redistribution = "evenly",
    left_out: dict[pd.Period, str] | None = None,
    sweeps: tuple[pd.Period, ...] = (),
    calibrated_on: tuple[pd.Period, ...] = (),
) -> Replay:
    """The model run over ``lists[1:]``'s months from ``lists[0]`` with each month's ``referrals`` and
    ``treatments`` (one a list, the first's unused), against the lists reported. A month in
    ``left_out`` (month → why) is not run: the run stops before it and starts again from the list it
    reports, so its gap is not carried on. ``calibrated_on``: the months ``params`` were calibrated on,
    given when they are not these (held out: ADR 72), which the words say. A run's gaps are taken at
    its end, as a projection's would be (a month-by-month restart would count the list's first
    reshaping, from week bands to the model's days, every month). ``sweeps``: the months of ``left_out``
    read as a sweep or a transfer. With no month left to run, it says so (an outside check: a held-out
    run vanished without a word)."""
    if not len(lists) == len(referrals) == len(treatments) or len(lists) < 2:
        raise ValueError("replay needs two lists or more, with one month's referrals and treatments each")
    left_out = left_out or {}
    months, gaps, gaps_52, referred_in = [], [], [], []
    running, latest = lists[0], lists[-1].summary()
    for k, (reported, referred, treated) in enumerate(
        zip(lists[1:], referrals[1:], treatments[1:], strict=True)
    ):
        months.append(reported.month)
        gaps.append(0.0)
        gaps_52.append(0.0)
        if reported.month in left_out:
            running = reported
            continue
        referred_in.append(referred)
        running = advance(running, referred, treated, params, redistribution).waiting_list
        run_ends = k + 2 == len(lists) or lists[k + 2].month in left_out
        if run_ends:
            latest, model = reported.summary(), running.summary()
            gaps[-1] = model.waiting - latest.waiting
            gaps_52[-1] = model.over_52_weeks - latest.over_52_weeks
    skipped = tuple((m, left_out[m]) for m in months if m in left_out)
    return Replay(
        tuple(months),
        tuple(gaps),
        tuple(gaps_52),
        skipped,
        latest.waiting,
        latest.over_52_weeks,
        float(np.mean(referred_in or referrals[1:])),
        tuple(m for m in sweeps if m in months),
        calibrated_on,
    )
