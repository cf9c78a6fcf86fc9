"""The department's trust compared with other trusts, from figures others publish (ADR 39).

A warehouse holds one trust's patients, so the other trusts' counts are the published ones an editor
keeps (``files.peer_figures``: each trust's numerator and denominator over a period). The
department's own counts are summed from its warehouse over the same months when it holds all of
them; otherwise over its latest 12 complete months, and the comparison says that the periods differ.
Every trust is placed on the same funnel as sites are (``verdicts.peers.funnel_method``:
PHEindicatormethods' proportion or crude rate), the average over every trust, the department's own
included.

Small numbers: the department's own counts follow the measure's rule (1–7 cases or events hidden,
``metrics.suppression.hidden_points``). The other trusts' figures are published already, so they are
shown as they are; but an average over every trust, less the peers' shown counts, would give ours
back, as would the peers' labels against it or a chart's axis spanning our denominator. So when ours
are hidden the average, the limits and every label are the other trusts' alone (``peers_only``).

No funnel (issue 28): a crude rate's lines are drawn around the average rate, and when no trust it
is drawn from has any event there is none: the comparison then has no funnel and says so in words
(``no_funnel``), the figures listed as given. Nor when the figures kept cannot be read
(``trust_not_compared``): the page and the report say which file, named from the home, and carry on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.files.peer_figures import PeerFigures, period_words, readable_period
from stocktake.funnel import Funnel, FunnelDataError, compare_units
from stocktake.funnel.compare import FunnelLimits, spanning_denominators
from stocktake.metrics.catalogue import Metric
from stocktake.metrics.suppression import MASK, hidden_points, is_small, remainder_is_small
from stocktake.periods import months_between
from stocktake.verdicts.narrative import Formatter
from stocktake.verdicts.peers import PERIOD_MONTHS, funnel_method

#: What the department's trust is called when the home does not name it.
OUR_TRUST = "Our trust"
#: Why a rate's funnel cannot be drawn: its average, and so its lines, would be 0 events.
NO_EVENTS_AMONG_PEERS = "no events among the other trusts, so no funnel can be drawn"
NO_EVENTS_AT_ALL = "no events among the trusts, ours included, so no funnel can be drawn"


#: Why our value is hidden: too few behind it, or a difference from a total shown elsewhere that is
#: (``differenced``). Said so, not "1 to 7 cases": 37 deaths hidden beside 42 are not seven.
HIDDEN_WHY = "1 to 7 cases or events, or a count another table would give away by subtraction"


@dataclass(frozen=True)
class TrustComparison:
    """Every trust on one funnel: the peers in their file's order, then the department's own."""

    metric: Metric
    own: str  # the department's trust, as named
    units: tuple[str, ...]
    #: None when no funnel can be drawn (a rate with no events among the trusts it is drawn from):
    #: ``no_funnel`` then says why, in words.
    funnel: Funnel | None
    #: The months the department's own counts cover (whole months, from the warehouse).
    first: pd.Timestamp
    last: pd.Timestamp
    #: The months the peers' figures cover (YYYY-MM), None when not given.
    peer_period: tuple[str, str] | None
    #: Why the two periods differ, in words ("" when they are the same months).
    mismatch: str
    #: The department's own counts are 1–7: its value, counts and label are not shown, and the
    #: average, limits and labels are the other trusts' alone (nothing of ours can be worked out).
    hidden: bool
    source: str = ""
    #: Why there is no funnel ("" when there is one).
    no_funnel: str = ""
    #: The other trusts' figures as kept (their values when there is no funnel).
    figures: PeerFigures | None = None
    #: The figures kept cannot be read: ``no_funnel`` names the file (from the home) and what to do.
    damaged: bool = False

    @property
    def own_index(self) -> int:
        return len(self.units) - 1

    @property
    def peers_values(self) -> np.ndarray:
        """The other trusts' values, in their file's order (the department's own left out)."""
        if self.funnel is not None:
            return self.funnel.value[: self.own_index]
        scale, figures = funnel_method(self.metric).scale, self.figures
        return np.asarray(figures.numerator, dtype=float) / np.asarray(figures.denominator) * scale

    @property
    def peers_median(self) -> float:
        """The median of the other trusts' values (the department's own left out; NaN when none)."""
        values = self.peers_values
        return float(np.median(values)) if values.size else float("nan")

    @property
    def peers_only(self) -> bool:
        """The lines are drawn from the other trusts alone (ours hidden)."""
        return self.hidden

    def drawn_limits(self, points: int = 100) -> FunnelLimits:
        """The lines for a chart, across the denominators of the trusts drawn (not ours when hidden)."""
        at = self.funnel.effective_denominator
        return self.funnel.limits_at(
            spanning_denominators(at[: self.own_index] if self.hidden else at, points)
        )

    @property
    def label(self) -> str:
        if self.hidden:
            return MASK
        return "no funnel" if self.funnel is None else str(self.funnel.significance[self.own_index])

    def limits(self) -> dict[str, float]:
        """The funnel's lines at the department's own denominator (NaN when there is no funnel)."""
        if self.funnel is None:
            return dict.fromkeys(("lower_95", "upper_95", "lower_998", "upper_998"), float("nan"))
        at, i = self.funnel.limits, self.own_index
        return {k: float(getattr(at, k)[i]) for k in ("lower_95", "upper_95", "lower_998", "upper_998")}

    @property
    def period(self) -> str:
        return months_between(self.first, self.last)

    def sentence(self) -> str:
        """ "Our trust: 58.2% — Low (0.025) among 12 trusts" (small numbers hidden)."""
        fmt = Formatter(self.metric.unit, self.metric.decimals)
        i, count = self.own_index, len(self.units)
        if self.damaged:
            return f"Our trust: not compared: {self.no_funnel}"
        if self.funnel is None:
            ours = f"{MASK} ({HIDDEN_WHY}: not shown)" if self.hidden else "not placed"
            return f"Our trust: {ours} among {count} trusts: {self.no_funnel}"
        if self.hidden:
            return f"Our trust: {MASK} ({HIDDEN_WHY}: not shown) among {count} trusts"
        return f"Our trust: {fmt(self.funnel.value[i])} — {self.funnel.significance[i]} among {count} trusts"


@dataclass(frozen=True)
class ShownTotal:
    """A total of the measure's numerator and denominator that a report or page shows elsewhere, over
    its months (``first`` to ``last``, whole months): a site table's groups summed, say."""

    first: pd.Timestamp
    last: pd.Timestamp
    numerator: float
    denominator: float


def differenced(
    numerator: float,
    denominator: float,
    first: pd.Timestamp,
    last: pd.Timestamp,
    shown: Sequence[ShownTotal],
    *,
    numerator_is_count: bool = True,
) -> bool:
    """Whether the department's counts over ``first``–``last`` would give a hidden count away
    against another total shown: one over months overlapping ours whose numerator (when a count) or
    denominator differs from ours by 1 to 7 (issue 28: 37 deaths April 2024 to February 2025 beside
    42 for April 2024 to March 2025 gives March's 5). The one rule, for the report and the page."""
    ours = pd.Period(first, "M"), pd.Period(last, "M")
    for total in shown:
        theirs = pd.Period(total.first, "M"), pd.Period(total.last, "M")
        if theirs[0] > ours[1] or ours[0] > theirs[1]:
            continue
        gaps = [abs(total.denominator - denominator)]
        if numerator_is_count:
            gaps.append(abs(total.numerator - numerator))
        if is_small(gaps).any():
            return True
    return False


def shown_totals(peers: Sequence, observed: Sequence = ()) -> dict[str, list[ShownTotal]]:
    """Each measure's totals shown beside its trusts' comparison, for ``differenced``: a site table's
    groups summed (those shown, and all of them: a reader may know either), over its months: the
    funnel across sites (``verdicts.peers.PeerComparison``, the stock-take's last year) and observed ÷
    expected (``verdicts.expected.ObservedExpected``: deaths and cases)."""
    found: dict[str, list[ShownTotal]] = {}
    tables = [(c, c.funnel.numerator, c.funnel.denominator) for c in peers]
    tables += [(o.peers, o.peers.funnel.numerator, o.cases) for o in observed if o.peers.groups]
    for table, numerator, denominator in tables:
        numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
        for chosen in (~np.asarray(table.hidden, bool), np.ones(len(numerator), bool)):
            found.setdefault(table.metric.id, []).append(
                ShownTotal(table.first, table.last, numerator[chosen].sum(), denominator[chosen].sum())
            )
    return found


def own_counts(
    frame: pd.DataFrame, period: tuple[str, str] | None, *, months: int = PERIOD_MONTHS, census: bool = False
) -> tuple[float, float, pd.Timestamp, pd.Timestamp, str]:
    """The department's numerator and denominator summed from its series (``frame``: period,
    numerator, denominator, the whole department's complete months) over ``period`` when it holds
    every month of it; else over its latest ``months``, with the difference in words. A ``census``
    (those waiting at each month's end, ``Metric.stock``) is read at the period's last month alone, as
    a trust's published return is: twelve month-ends summed had made a list of 3,571 read as 41,888."""
    monthly = frame.assign(month=pd.DatetimeIndex(frame["period"]).to_period("M"))
    held = sorted(monthly["month"].unique())
    if not held:
        raise ValueError("the warehouse holds no months of this measure")
    period = readable_period(period)  # "zzz" or a backwards period is no period (issue 28)
    if period is not None:
        wanted = pd.period_range(period[0], period[1], freq="M")[-1 if census else 0 :]
        if set(wanted) <= set(held):
            chosen = monthly[monthly["month"].isin(wanted)]
            return _summed(chosen, wanted[0], wanted[-1], "")
    latest = held[-1:] if census else held[-months:]
    chosen = monthly[monthly["month"].isin(latest)]
    ours = months_between(latest[0], latest[-1])
    if census:
        ours_are = f"ours are those waiting at the end of the latest complete month, {ours}"
    else:
        ours_are = f"ours are the latest {len(latest)} complete months, {ours}"
    if period is None:
        why = f"the other trusts' figures do not say their period; {ours_are}"
    else:
        why = (
            f"the other trusts' figures are for {period_words(period)}, which the warehouse does not hold "
            f"whole (it holds {months_between(held[0], held[-1])}); {ours_are}: not the same period"
        )
    return _summed(chosen, latest[0], latest[-1], why)


def _summed(chosen: pd.DataFrame, first: pd.Period, last: pd.Period, why: str):
    return (
        float(chosen["numerator"].sum()),
        float(chosen["denominator"].sum()),
        first.to_timestamp(),
        last.to_timestamp(how="end").normalize(),
        why,
    )


def compare_with_trusts(
    metric: Metric,
    frame: pd.DataFrame,
    figures: PeerFigures,
    *,
    own: str = "",
    source: str = "",
    months: int = PERIOD_MONTHS,
    suppress: bool = True,
    shown: Sequence[ShownTotal] = (),
) -> TrustComparison | None:
    """The department's trust (its series ``frame``) among the trusts of ``figures`` on the
    measure's funnel; None when the measure has no funnel, the warehouse has none of its months, or
    the department has no cases in the period. ``shown``: the measure's other totals the same report
    or page shows; ours are hidden when they and one of those would give a small count away
    (``differenced``), or they less the months the chart shows would (``remainder_is_small``), as
    they are when 1–7."""
    method = funnel_method(metric)
    if method is None or frame.empty:
        return None
    numerator, denominator, first, last, why = own_counts(
        frame, figures.period, months=months, census=metric.stock
    )
    if denominator <= 0:
        return None
    small = bool(hidden_points([numerator], [denominator], metric.numerator_is_count)[0])
    small = small or differenced(
        numerator, denominator, first, last, shown, numerator_is_count=metric.numerator_is_count
    )
    window = frame[pd.DatetimeIndex(frame["period"]).to_series().between(first, last).to_numpy()]
    small = small or remainder_is_small(window["numerator"], window["denominator"], metric.numerator_is_count)
    hidden = small and suppress
    no_funnel = ""
    try:
        if hidden:
            funnel = _with_hidden(
                compare_units(figures.numerator, figures.denominator, method), numerator, denominator
            )
        else:
            funnel = compare_units(
                [*figures.numerator, numerator], [*figures.denominator, denominator], method
            )
    except FunnelDataError:
        # A crude rate around no events at all (every trust it is drawn from has 0) has no lines;
        # the figures are still shown, and the reason said, never a crash (issue 28).
        drawn_from = [*figures.numerator, *([] if hidden else [numerator])]
        if any(drawn_from):
            raise
        funnel, no_funnel = None, NO_EVENTS_AMONG_PEERS if hidden else NO_EVENTS_AT_ALL
    return TrustComparison(
        metric,
        own.strip() or OUR_TRUST,
        (*figures.units, own.strip() or OUR_TRUST),
        funnel,
        first,
        last,
        figures.period,
        why,
        hidden,
        source,
        no_funnel,
        figures,
    )


def _with_hidden(peers: Funnel, numerator: float, denominator: float) -> Funnel:
    """The peers' funnel (their average, dispersion and labels) with our hidden point added last:
    its counts kept for the department's own use, its label MASK, its limits the peers' lines."""
    limits = peers.limits_at([denominator])
    joined = {
        k: np.append(getattr(peers.limits, k), getattr(limits, k))
        for k in ("denominator", "lower_95", "upper_95", "lower_998", "upper_998")
    }
    return dataclasses.replace(
        peers,
        numerator=np.append(peers.numerator, numerator),
        denominator=np.append(peers.denominator, denominator),
        effective_denominator=np.append(peers.effective_denominator, denominator),
        value=np.append(peers.value, numerator / denominator * peers.method.scale),
        significance=(*peers.significance, MASK),
        limits=FunnelLimits(**joined, baseline=peers.limits.baseline),
    )


def trust_not_compared(
    metric: Metric, frame: pd.DataFrame, reason: str, *, own: str = "", suppress: bool = True
) -> TrustComparison | None:
    """The department's trust with no other trusts to compare it with, and ``reason`` why (the
    figures kept cannot be read, say): the page and the report carry on and say so. None when the
    warehouse has none of the measure's months."""
    if funnel_method(metric) is None or frame.empty:
        return None
    numerator, denominator, first, last, _ = own_counts(frame, None, census=metric.stock)
    small = bool(hidden_points([numerator], [denominator], metric.numerator_is_count)[0])
    name = own.strip() or OUR_TRUST
    nothing = PeerFigures((), (), ())
    return TrustComparison(
        metric, name, (name,), None, first, last, None, "", small and suppress, "", reason, nothing, True
    )
