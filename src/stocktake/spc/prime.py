"""p′ and u′ charts read with Making Data Count's rules, for measures whose definition asks for them.

XmR is the default (Making Data Count advises it for almost everything), but a proportion or rate
over very different denominators month to month is better drawn with limits that follow each
month's denominator; Laney's p′ and u′ (``spc.attribute``) do that without the false alarms of plain
p and u charts on large counts. This module gives such a chart the same reading an XmR chart gets:
the four special-cause rules of ``spc.rules`` (a point outside its own limits, a run, a trend, two in
three beyond two sigma), a point type per point, and per period the variation and assurance icons,
so the verdicts, the narrative and every renderer take it as they take an XmR chart.

Assurance compares the target with the latest point's limits: they are the limits the next month
will most resemble.
"""

from __future__ import annotations

import numpy as np

from stocktake.spc.attribute import AttributeChart, p_chart, u_chart
from stocktake.spc.rules import DEFAULT_PROFILE, PROFILES, RULE_NAMES, special_cause
from stocktake.spc.xmr import DIRECTIONS, POINT_TYPES, Improvement, Segment, XmrChart, assurance_type

#: Chart kinds a catalogue may name, with (proportion?, Laney?).
KINDS = {"p": (True, False), "p_prime": (True, True), "u": (False, False), "u_prime": (False, True)}
_COMMON, _IMPROVEMENT, _CONCERN, _NEUTRAL_HIGH, _NEUTRAL_LOW = range(5)


def attribute_xmr(
    kind: str,
    numerator,
    denominator,
    *,
    improvement: Improvement = "increase",
    target: float | None = None,
    rebase_at: tuple[int, ...] | list[int] = (),
    scale: float = 1.0,
    profile: str = DEFAULT_PROFILE,
) -> XmrChart:
    """A p, p′, u or u′ chart as an ``XmrChart``; values, limits and target on the measure's scale
    (``scale`` = 100 for a percentage), rebase periods as ``rebase_at`` (first point of each)."""
    proportion, laney = KINDS[kind]
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    part = np.zeros(len(numerator), dtype=int)
    for start in sorted(set(rebase_at)):
        part[int(start) :] += 1
    make = p_chart if proportion else u_chart
    chart = make(numerator, denominator, part=part, laney=laney)
    return _read(chart, improvement, target, scale, PROFILES[profile])


def _read(chart: AttributeChart, improvement: Improvement, target, scale: float, profile) -> XmrChart:
    y, cl, lcl, ucl = (np.asarray(v, float) * scale for v in (chart.y, chart.cl, chart.lcl, chart.ucl))
    sd = np.asarray(chart.sd, float) * scale
    direction = DIRECTIONS[improvement]
    rule = np.zeros(len(y), dtype=int)
    kind = np.full(len(y), _COMMON)
    with np.errstate(invalid="ignore"):
        relative = np.sign(y - cl)
        outside = (y > ucl) | (y < lcl)
        near = np.abs(y - cl) > 2 * sd
    segments = []
    for number in range(chart.part.max(initial=-1) + 1):
        here = np.flatnonzero(chart.part == number)
        fired, towards = special_cause(
            y[here][None], relative[here][None], near[here][None], outside[here][None], direction, profile
        )
        fired, towards = fired[0], towards[0]
        neutral = np.where(towards > 0, _NEUTRAL_HIGH, _NEUTRAL_LOW)
        better = np.where(towards == direction, _IMPROVEMENT, _CONCERN)
        rule[here] = fired
        kind[here] = np.where(fired != 0, neutral if direction == 0 else better, _COMMON)
        last = here[-1]
        enough = len(here) >= profile.min_points_for_icons
        segments.append(
            Segment(
                rebase_group=number,
                start=int(here[0]),
                n=len(here),
                mean=float(cl[last]),
                lpl=float(lcl[last]),
                upl=float(ucl[last]),
                variation_type=str(POINT_TYPES[kind[last]]) if enough else None,
                assurance_type=assurance_type(improvement, target, lcl[last], ucl[last]) if enough else None,
            )
        )
    return XmrChart(
        y=y,
        mean=cl,
        lpl=lcl,
        upl=ucl,
        rebase_group=chart.part,
        outside_limits=np.where(np.isnan(y), np.nan, outside),
        relative_to_mean=relative,
        close_to_limits=np.where(np.isnan(y), np.nan, near & ~outside),
        rule=np.array(RULE_NAMES, dtype=object)[rule],
        point_type=POINT_TYPES[kind],
        segments=tuple(segments),
        improvement=improvement,
        target=target,
        warnings=_warnings(chart),
    )


def _warnings(chart: AttributeChart) -> tuple[str, ...]:
    said = [f"{chart.kind} chart: limits follow each month's denominator"]
    if chart.sigma_z:
        said.append(
            "Laney's adjustment widens the limits by the between-month spread (σz "
            + ", ".join(f"{s:.2f}" for s in chart.sigma_z)
            + ")"
        )
    return tuple(said)
