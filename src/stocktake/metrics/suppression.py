"""Small-number suppression for anything exported below national level.

NHS Digital's rule for hospital statistics: counts of 1 to 7, and simple statistics (a mean, a
rate) computed from 1 to 7 values, are shown as "*". Zero is shown. A control chart's mean and
limits are exported coarsened in a period holding a hidden point (``coarse_limits``): exact, the
period's mean times its points less the points shown gave the hidden one back.
"""

from __future__ import annotations

import itertools

import numpy as np

from stocktake.small_numbers import SMALL

MASK = "*"
#: The ``small_numbers`` column of every row of a file written with --no-suppress: the file travels,
#: the console's warning does not (a governance lead could not tell two files apart).
SHOWN_HERE = "1-7 shown (--no-suppress): for use inside the trust"


def is_small(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    with np.errstate(invalid="ignore"):
        return (counts >= SMALL[0]) & (counts <= SMALL[1])


def hidden_points(numerator, denominator, numerator_is_count, percentile=None) -> np.ndarray:
    """Points to show as "*": any person count behind them is between 1 and 7.

    The denominator is always a count of people or rows (for a mean or a median, the rows behind
    it); the numerator is one only when the metric counts (``Metric.numerator_is_count``): a bool
    for one metric's series, or one per point for a table of several metrics. ``percentile``: the
    one a point reads (``Metric.percentile``; NaN or None where it reads none), whose point is also
    hidden when it is read among 1–7 rows (``percentile_is_thin``).
    """
    denominator = np.asarray(denominator, dtype=float)
    hidden = is_small(denominator) | (np.asarray(numerator_is_count, dtype=bool) & is_small(numerator))
    if percentile is None:
        return hidden
    with np.errstate(invalid="ignore"):
        return hidden | ((denominator > 0) & percentile_is_thin(denominator, percentile))


def percentile_is_thin(rows, percentile) -> np.ndarray:
    """Whether a percentile (0–100) of ``rows`` values is read among fewer than 8 of them: those on its
    thinner side, below the 5th or beyond the 95th, half either side of the median. Its decimals then
    describe 1–7 people (an outside check worked exact counts of 1–7 out of a 92nd percentile's wait on
    lists of 14 to 96); a 0th or 100th is one person's value, always. NaN ``percentile``: never."""
    rows, percentile = np.asarray(rows, dtype=float), np.asarray(percentile, dtype=float)
    thinner = np.minimum(percentile, 100 - percentile)
    # in whole rows, so that 100 waiting beyond a 92nd percentile is 8, not 7.999…
    with np.errstate(invalid="ignore"):
        return np.isfinite(rows) & (np.rint(rows) * thinner < (SMALL[1] + 1) * 100)


def remainder_is_small(numerator, denominator, numerator_is_count) -> bool:
    """Whether a total over these points, less the points shown, gives a small count away: those
    :func:`hidden_points` hides add up to 1–7 cases or events (or are one such point). A year's
    total shown beside its months, one hidden, had given that month back (an outside check)."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    hidden = hidden_points(numerator, denominator, numerator_is_count)
    if not hidden.any():
        return False
    sums = [numerator[hidden].sum()], [denominator[hidden].sum()]
    return bool(hidden_points(*sums, numerator_is_count)[0])


def secondary_suppression(hidden, sizes) -> np.ndarray:
    """``hidden`` with complements added, so that no hidden count can be worked out from the total
    (shown on the measure's own chart and in exports) less the groups shown: one hidden group alone
    would be that difference, and hidden groups whose sizes add to 1–7 would give that small sum away.
    Shown groups are hidden too, smallest non-zero ``size`` (its count of cases) first — a zero hidden
    beside a small count adds nothing to their sum — until at least two are hidden and their sizes add
    to 8 or more, or none is left. A size of NaN is taken as the largest."""
    hidden = np.asarray(hidden, dtype=bool).copy()
    if not hidden.any():
        return hidden
    sizes = np.nan_to_num(np.asarray(sizes, dtype=float), nan=np.inf)
    for group in np.argsort(sizes, kind="stable"):
        if hidden.sum() >= 2 and not is_small(sizes[hidden].sum()):
            break
        if not hidden[group] and sizes[group] > 0:
            hidden[group] = True
    return hidden


def hidden_across_groups(frame, by: str, numerator_is_count: bool) -> dict[str, set]:
    """The periods to hide in each group's own export (a site's board report) so that none of its
    hidden points can be worked out from the other groups' exports and the whole's: a period in which
    any group has a small point (:func:`hidden_points`) is hidden for every group. One site's six
    spells had been the trust's less the other two sites'. Complements chosen one measure at a time
    (:func:`secondary_suppression`) were not enough: two measures sharing a count chose different
    partner sites, each shown in the other, and a partner with a numerator of 0 hid nothing.
    ``frame`` holds ``by``, ``period``, ``numerator`` and ``denominator``, a row a group and period."""
    hidden: dict[str, set] = {}
    if "denominator" not in frame:  # rare events: nothing is counted behind a point
        return hidden
    for period, rows in frame.groupby("period", sort=False):
        numerator, denominator = rows["numerator"].to_numpy(float), rows["denominator"].to_numpy(float)
        if hidden_points(numerator, denominator, numerator_is_count).any():
            for group in rows[by].astype(str):
                hidden.setdefault(group, set()).add(period)
    return hidden


def nested_hiding(counts, hidden) -> np.ndarray:
    """``hidden`` with more hidden, so that no two shown counts of a chain, each inside the one before
    (those waiting, over 18 weeks, over 52 …), differ by 1–7: their difference counts the patients
    between them. Of two such, the inner is hidden (the outer is the broader, more used figure);
    the innermost is also compared with 0, so one of 1–7 is hidden as any count is. NaN: not shown."""
    counts = np.asarray(counts, dtype=float)
    hidden = np.asarray(hidden, dtype=bool).copy() | np.isnan(counts) | is_small(counts)
    changed = True
    while changed:
        changed = False
        shown = [i for i in range(len(counts)) if not hidden[i]]
        for outer, inner in itertools.pairwise(shown):
            if is_small(counts[outer] - counts[inner]):
                hidden[inner] = changed = True
                break
    return hidden


def hidden_rows(counts, held=None) -> np.ndarray:
    """The rows of a table of groups to hide, given ``counts`` (one array each, a value a row, in the
    groups' order by name, what no group holds last): each count's own set (its rows of 1–7 and the
    partners that keep them from being worked out from the total, ``secondary_suppression`` by that
    count alone), and a row hidden by any. Per count, so that an output showing one count alone (a
    measure's drill-down, ``workspace.complemented``) hides exactly that count's set and an output
    showing several hides a superset of each: together they give no more away than one does. Outside
    checks recovered a lone P1 twice from two outputs that chose different partners. ``held``: per
    count, rows hidden for another reason (None: none), given partners in that count's set; only the
    output showing that count by these groups may hold rows of it, or the sets differ again."""
    counts = [np.asarray(c, dtype=float) for c in counts]
    held = held or [None] * len(counts)
    hidden = np.zeros(len(counts[0]), dtype=bool)
    for values, also in zip(counts, held, strict=True):
        first = is_small(values) if also is None else is_small(values) | np.asarray(also, dtype=bool)
        hidden |= secondary_suppression(first, values)
    return hidden


def suppressed_rows(frame, counts: list[str], keep: list[str]):
    """A copy of a table of groups with each row blanked (but for ``keep``) that :func:`hidden_rows`
    hides by ``counts`` (its columns), flagged in a ``suppressed`` column."""
    hidden = hidden_rows([frame[column] for column in counts])
    shown = frame.copy()
    blanked = [c for c in frame.columns if c not in keep]
    shown[blanked] = shown[blanked].astype(object)
    shown.loc[hidden, blanked] = np.nan
    shown["suppressed"] = hidden
    return shown


def suppress_counts(frame, columns):
    """A copy of a table with counts of 1–7 in ``columns`` written as "*" (0 and 8+ unchanged)."""
    shown = frame.copy()
    for column in columns:
        values = shown[column]
        shown[column] = values.astype(object).where(~is_small(values), MASK)
    return shown


def _nice_step(at_least: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at least ``at_least``."""
    if not at_least > 0:
        return 0.0
    power = 10.0 ** np.floor(np.log10(at_least))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= at_least - 1e-12))


def one_person(metric, denominator) -> np.ndarray | None:
    """How far one person moves each point's value, for :func:`coarse_limits`: a count's 1; a share's
    or a rate's scale over its cases (one of 37 is 2.7 points); None where no one moves it by a fixed
    step (a mean stay, a percentile)."""
    if denominator is None or not metric.numerator_is_count:
        return None
    cases = np.asarray(denominator, dtype=float)
    if metric.denominator is None:
        return np.ones(len(cases))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cases > 0, metric.scale / cases, np.nan)


def coarse_limits(chart, hidden, one_person=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An XmR chart's mean and limits as exported beside hidden points: in each rebase period holding
    one, rounded to a step of at least the limits' width over the period's points (and, for counts,
    16 over them), so that the period's points times its mean, less the points shown, leaves the
    hidden ones uncertain by the width of the limits (for counts, by ±8 and more) instead of exact;
    the limits to the same step (they move some 6.5 times as far for a point moved, so a reader
    knowing every other month can pin a hidden one from them more often: ADR 66 says why this is
    left). ``one_person`` (per point, ``one_person``; the drill-downs give it): the step is also at
    least 16 people's worth at the hidden points over the period's points, so that a share's hidden
    months are uncertain by 8 people and more too (an outside check fitted one pair of counts to a
    share's mean rounded to 0.2 beside limits of no width). A period with no limits (every moving
    range zero: one value, or the same value throughout) has no mean either: it would be every value.
    Periods without a hidden point are exact. Rounding leaves a hidden value at the edge of the values
    possible (7 of 1-7) sometimes alone in its bin: the chance is reduced, not removed (ADR 66)."""
    mean, lpl, upl = (np.asarray(a, dtype=float).copy() for a in (chart.mean, chart.lpl, chart.upl))
    hidden = np.asarray(hidden, dtype=bool)
    groups = np.asarray(chart.rebase_group)
    for group in np.unique(groups[hidden]) if hidden.any() else ():
        rows = groups == group
        if not np.isfinite(upl[rows] - lpl[rows]).any():
            mean[rows] = np.nan
            continue
        step = coarse_step(chart, hidden, rows, one_person)
        if step:
            places = max(0, 1 - int(np.floor(np.log10(step))))  # 0.6, not 0.6000000000000001
            for values in (mean, lpl, upl):
                values[rows] = np.round(np.round(values[rows] / step) * step, places)
    return mean, lpl, upl


def coarse_step(chart, hidden, rows, one_person=None) -> float:
    """The step :func:`coarse_limits` rounds the period ``rows`` (a mask of the chart's points) to."""
    y = np.asarray(chart.y, dtype=float)
    lpl, upl = np.asarray(chart.lpl, dtype=float), np.asarray(chart.upl, dtype=float)
    known = y[np.isfinite(y)]
    counts = bool(known.size) and bool(np.all(known == np.round(known)))
    n = max(int(np.isfinite(y[rows]).sum()), 1)  # the points with a value: months without none
    spans = [upl[rows] - lpl[rows], np.array([np.nanmax(y[rows]) - np.nanmin(y[rows])])]
    # the limits' width, or the values' own range where the limits have none (every shown point 0
    # and the mean the hidden ones' share): either way the scale a hidden value lives on
    width = max((float(np.nanmax(v)) for v in spans if np.isfinite(v).any()), default=0.0)
    person = 1.0 if counts else 0.0
    if one_person is not None:
        moved = np.asarray(one_person, dtype=float)[rows & np.asarray(hidden, dtype=bool)]
        person = max(person, float(np.nanmax(moved))) if np.isfinite(moved).any() else person
    return _nice_step(max(width, 16.0 * person) / n)


def coarse_chart(chart, hidden):
    """The chart with :func:`coarse_limits` in place of its mean and limits, its periods' too: what a
    sentence quoting them may say beside hidden points (the chart's own verdicts are made before)."""
    import dataclasses

    hidden = np.asarray(hidden, dtype=bool)
    if not hidden.any():
        return chart
    mean, lpl, upl = coarse_limits(chart, hidden)
    segments = tuple(
        dataclasses.replace(s, mean=float(mean[s.start]), lpl=float(lpl[s.start]), upl=float(upl[s.start]))
        for s in chart.segments
    )
    return dataclasses.replace(chart, mean=mean, lpl=lpl, upl=upl, segments=segments)
