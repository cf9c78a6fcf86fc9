"""The board report's two comparison sections as rows, for the HTML (and PDF) and the workbook alike.

"Compared with peers": for each measure with a funnel across sites, the sites beyond the 99.8%
limits over the last year (small groups already hidden by ``verdicts.peers``), and every site of an
outcome measure observed ÷ expected where expected counts are kept. "Procurement
opportunities": the year's largest price-per-unit savings by site, each with every site's price.
"""

from __future__ import annotations

from dataclasses import dataclass

from stocktake.files.peer_figures import period_words
from stocktake.metrics.suppression import MASK
from stocktake.periods import months_between
from stocktake.procurement.opportunities import Opportunities, Opportunity
from stocktake.verdicts.expected import ObservedExpected
from stocktake.verdicts.narrative import Formatter
from stocktake.verdicts.peers import PeerComparison
from stocktake.verdicts.trusts import TrustComparison


@dataclass(frozen=True)
class PeerRow:
    """A site beyond a measure's 99.8% limits, as the report words it."""

    metric_id: str
    measure: str
    site: str
    value: str
    counts: str  # "34 of 400"
    limits: str  # "65.7% to 80.1%"
    average: str
    direction: str  # above | below
    better: str  # better | worse | "" (a measure with no better direction)


@dataclass(frozen=True)
class PeerSection:
    period: str
    rows: tuple[PeerRow, ...]
    #: Measures compared with no site beyond the limits.
    within: tuple[str, ...]
    #: How many site values were hidden for small numbers, over all the measures.
    hidden: int


def peer_period(peers: tuple[PeerComparison, ...]) -> str:
    """The months compared: one span where every measure shares it, else each measure's own latest
    months, the most shared span first (an outside check read "November 2025 to November 2026", 13
    months, where theatres ran to October and the rest from December)."""
    spans: dict[str, list[str]] = {}
    for p in peers:
        spans.setdefault(months_between(p.first, p.last), []).append(p.metric.title)
    if len(spans) == 1:
        return next(iter(spans))
    most = max(spans, key=lambda span: len(spans[span]))
    rest = "; ".join(f"{', '.join(titles)} {span}" for span, titles in spans.items() if span != most)
    return f"Each measure's own latest months (most {most}; {rest})"


def peer_section(peers: tuple[PeerComparison, ...]) -> PeerSection | None:
    if not peers:
        return None
    rows, within = [], []
    for comparison in peers:
        metric = comparison.metric
        fmt = Formatter(metric.unit, metric.decimals)
        outside = comparison.outside_limits()
        if not outside:
            within.append(metric.title)
        for o in outside:
            direction = "above" if o.high else "below"
            better = "" if metric.improvement == "neutral" else "better"
            if better and (metric.improvement == "increase") != o.high:
                better = "worse"
            rows.append(
                PeerRow(
                    metric.id,
                    metric.title,
                    o.group,
                    fmt(o.value),
                    counts_words(o.numerator, o.denominator, metric.unit),
                    f"{fmt(o.lower_998)} to {fmt(o.upper_998)}",
                    fmt(comparison.funnel.baseline),
                    direction,
                    better,
                )
            )
    return PeerSection(
        peer_period(peers),
        tuple(rows),
        tuple(within),
        int(sum(p.hidden.sum() for p in peers)),
    )


@dataclass(frozen=True)
class ObservedExpectedRow:
    """One site of an outcome measure's observed ÷ expected funnel; every figure "*" when hidden."""

    site: str
    observed: str
    expected: str
    ratio: str
    limits_95: str  # "0.61 to 1.47": the 95% limits at its expected count
    limits_998: str
    label: str  # PHEindicatormethods' significance label


@dataclass(frozen=True)
class ObservedExpectedSection:
    """An outcome measure's sites observed ÷ expected, from the expected counts kept (ADR 34)."""

    metric_id: str
    measure: str
    period: str
    source: str
    rows: tuple[ObservedExpectedRow, ...]
    without_expected: tuple[str, ...]
    not_in_data: tuple[str, ...]
    hidden: int
    note: str = ""  # why there is no comparison: too few sites share the expected counts (issue 28)


def observed_expected_sections(compared: tuple[ObservedExpected, ...]) -> tuple[ObservedExpectedSection, ...]:
    """Each outcome measure's table: every site, hidden ones (1–7 events or cases, and the one that
    would give them away) as "*" throughout."""
    return tuple(_observed_expected_section(c) for c in compared)


def _observed_expected_section(compared: ObservedExpected) -> ObservedExpectedSection:
    peers, f = compared.peers, compared.peers.funnel
    rows = []
    for i, site in enumerate(peers.groups):
        if peers.hidden[i]:
            rows.append(ObservedExpectedRow(site, *[MASK] * 6))
            continue
        lim = f.limits
        rows.append(
            ObservedExpectedRow(
                site,
                f"{f.numerator[i]:,.0f}",
                f"{f.denominator[i]:,.1f}",
                f"{f.value[i]:.2f}",
                f"{lim.lower_95[i]:.2f} to {lim.upper_95[i]:.2f}",
                f"{lim.lower_998[i]:.2f} to {lim.upper_998[i]:.2f}",
                str(f.significance[i]),
            )
        )
    return ObservedExpectedSection(
        compared.peers.metric.id,
        compared.peers.metric.title,
        months_between(peers.first, peers.last),
        compared.source,
        tuple(rows),
        compared.without_expected,
        compared.not_in_data,
        int(peers.hidden.sum()),
        compared.note,
    )


@dataclass(frozen=True)
class TrustSection:
    """A measure's "Compared with other trusts" (ADR 39): our value among the trusts' published
    figures, as the report words it; our figures "*" when 1–7 cases or events are behind them."""

    metric_id: str
    measure: str
    sentence: str  # "Our trust: 58.2% — Low (0.025) among 12 trusts"
    own: str
    value: str
    counts: str  # "34 of 400"
    peers_median: str
    limits_95: str  # at our denominator
    limits_998: str
    label: str
    trusts: int
    period: str  # our months
    peer_period: str  # the figures' months, as kept
    mismatch: str
    source: str
    #: Why there is no funnel (no events to draw a rate's lines around, or a damaged file kept).
    note: str = ""


def counts_words(numerator: float, denominator: float, unit: str) -> str:
    """ "34 of 400" for a share; "5,011 over 1,270" for a rate (an outside check read "5,011 of 1,270"
    operations per list as a proportion)."""
    return f"{numerator:,.0f} {'of' if unit == '%' else 'over'} {denominator:,.0f}"


def trust_sections(compared: tuple[TrustComparison, ...]) -> tuple[TrustSection, ...]:
    return tuple(_trust_section(c) for c in compared)


def _trust_section(c: TrustComparison) -> TrustSection:
    fmt = Formatter(c.metric.unit, c.metric.decimals)
    f, i, lim = c.funnel, c.own_index, c.limits()
    mine = (
        [MASK] * 5
        if c.hidden
        else ["–", "–", "–", "–", "not compared" if c.damaged else "no funnel"]
        if f is None
        else [
            fmt(f.value[i]),
            counts_words(f.numerator[i], f.denominator[i], c.metric.unit),
            f"{fmt(lim['lower_95'])} to {fmt(lim['upper_95'])}",
            f"{fmt(lim['lower_998'])} to {fmt(lim['upper_998'])}",
            str(f.significance[i]),
        ]
    )
    value, counts, limits_95, limits_998, label = mine
    return TrustSection(
        c.metric.id,
        c.metric.title,
        c.sentence(),
        c.own,
        value,
        counts,
        fmt(c.peers_median) if len(c.units) > 1 else "–",
        limits_95,
        limits_998,
        label,
        len(c.units),
        c.period,
        period_words(c.peer_period),
        c.mismatch,
        c.source,
        c.no_funnel,
    )


@dataclass(frozen=True)
class OpportunityRow:
    key: str
    description: str
    site: str
    quantity: str
    spend: str
    price_per_unit: str
    target_price: str
    saving: str
    prices: str  # every site's price per unit (quantity), cheapest first
    #: The same as (site, price per unit, quantity) for a list.
    site_prices: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class ProcurementSection:
    period: str
    target: str
    spend: str
    item_saving: str
    category_saving: str
    item_count: int
    category_count: int
    category: str
    items: tuple[OpportunityRow, ...]
    categories: tuple[OpportunityRow, ...]


def money(value: float) -> str:
    return f"£{value:,.2f}"


def _opportunity_row(o: Opportunity) -> OpportunityRow:
    return OpportunityRow(
        o.key,
        o.description,
        o.unit,
        f"{o.quantity:,.0f}",
        money(o.spend),
        money(o.price_per_unit),
        money(o.target_price),
        money(o.potential_saving),
        "; ".join(f"{p.unit} {money(p.price_per_unit)} ({p.quantity:,.0f})" for p in o.prices),
        tuple((p.unit, money(p.price_per_unit), f"{p.quantity:,.0f}") for p in o.prices),
    )


def procurement_section(found: Opportunities | None) -> ProcurementSection | None:
    if found is None:
        return None
    return ProcurementSection(
        months_between(found.first, found.last),
        found.target.label,
        money(found.spend),
        money(found.item_saving),
        money(found.category_saving),
        found.item_count,
        found.category_count,
        found.category,
        tuple(_opportunity_row(o) for o in found.items),
        tuple(_opportunity_row(o) for o in found.categories),
    )
