"""When will the current process reach its target? A straight-line projection, or an honest "not".

The line is fitted by least squares to the latest :data:`TREND_POINTS` values of the current period
(since the last rebase): a line through a whole period that improved and then levelled off ran on from
where the improvement had been heading, not from where the values are. The target is "on the current
course" only when the slope is distinguishable from zero (its 95% interval excludes zero) in the
direction of improvement; then the date comes with the range the slope's interval gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

MIN_POINTS = 6
#: The latest values the trend is read from: a year of months.
TREND_POINTS = 12


@dataclass(frozen=True)
class Projection:
    status: str  # "met", "trend_reached", "projected" or "not_on_course"
    when: pd.Timestamp | None = None
    earliest: pd.Timestamp | None = None
    latest: pd.Timestamp | None = None
    slope_per_month: float | None = None
    #: The values the trend was fitted to and the first one's date.
    points: int = 0
    since: pd.Timestamp | None = None

    def describe(self) -> str:
        if self.status == "met":
            return "The current level already meets the target."
        if self.status == "trend_reached":
            return (
                "The trend through the current period has already reached the target, but the process "
                "limits still describe the old level: rebase them once the new level is sustained."
            )
        if self.status == "not_on_course":
            return "Not on the current course: the recent data show no reliable movement towards the target."
        trend = f"the trend of the latest {self.points} values (since {self.since:%B %Y})"
        when = f"{self.when:%B %Y} (95% range {self.earliest:%B %Y} to {self.latest:%B %Y})"
        return f"If {trend} continues, the target would be reached around {when}."


#: The furthest a projected date goes: a hundred years (a slope barely above 0 reaches any target in
#: millennia, past what a timestamp holds).
MAX_DAYS_AHEAD = 36_525.0


def t_quantile(degrees_of_freedom: int) -> float:
    """The two-sided 95% Student t quantile (a table to 30 degrees of freedom and 1.96 beyond had
    made an interval 4% narrower at 31 than at 30)."""
    return float(student_t.ppf(0.975, degrees_of_freedom))


def project(x: pd.DatetimeIndex, values, target: float, improvement: str, current_mean: float) -> Projection:
    """Project the date the fitted line reaches ``target`` (better is ``improvement``)."""
    sign = {"increase": 1, "decrease": -1}.get(improvement)
    if sign is None:
        raise ValueError("a projection needs a direction of improvement")
    if sign * (current_mean - target) >= 0:
        return Projection("met")
    values = np.asarray(values, dtype=float)
    present = np.flatnonzero(~np.isnan(values))[-TREND_POINTS:]
    y = values[present]
    if len(y) < MIN_POINTS:  # before the days: a period of no values at all had crashed the report
        return Projection("not_on_course")
    days = np.asarray((x[present] - x[present][0]).total_seconds()) / 86_400
    slope, intercept = np.polyfit(days, y, 1)
    residuals = y - (slope * days + intercept)
    spread = np.sqrt(residuals @ residuals / (len(y) - 2) / ((days - days.mean()) @ (days - days.mean())))
    low, high = sorted(
        sign * np.array([slope - t_quantile(len(y) - 2) * spread, slope + t_quantile(len(y) - 2) * spread])
    )
    if low <= 0:  # the slope towards the target is not distinguishable from zero
        return Projection("not_on_course", slope_per_month=slope * 30.44)
    last_fit = slope * days[-1] + intercept
    needed = sign * (target - last_fit)
    if needed <= 0:
        return Projection("trend_reached", slope_per_month=slope * 30.44)

    def reached(rate: float) -> pd.Timestamp:
        # A rate barely above 0 gives a date past what a timestamp holds: at most a century on.
        return (x[present][-1] + pd.Timedelta(days=min(float(needed / rate), MAX_DAYS_AHEAD))).round("D")

    return Projection(
        "projected",
        when=reached(sign * slope),
        earliest=reached(high),
        latest=reached(low),
        slope_per_month=slope * 30.44,
        points=len(y),
        since=pd.Timestamp(x[present][0]),
    )
