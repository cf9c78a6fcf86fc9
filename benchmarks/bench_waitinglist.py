"""The waiting-list projection's rolling-origin backtest on England's published RTT series.

Run: .venv/bin/python benchmarks/bench_waitinglist.py   (about 15 seconds; the statsmodels candidates
are left out if statsmodels, a dev dependency, is not installed)

Every origin from 2010-08 (three years of history) to 2015-08 (the last whose 12 months ahead are
in the file before its withheld years) is projected 12 months ahead from the history up to it
alone — the model refitted, and its interval sized by its own backtest on that history — and
compared with what happened. Goals (issue 26): mean absolute error ≤ 1.5% of the list, better than
both naive baselines (no change; last year's monthly net flow), 95% interval covering ≥ 85% of months.

The method was chosen among the candidates below on the origins up to 2012-12 (selection) and
confirmed on those from 2013-01 (confirmation); both columns are printed (ADR 0019, revised).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from stocktake.waitinglist.projection import History, fit, fit_list, forecast, history_from_table, project

SERIES = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "waitinglist" / "england_rtt_monthly.csv"
)
HORIZON = 12
FIRST_ORIGIN = 36  # 2010-08: three years of history
CONFIRMATION_FROM = pd.Period("2013-01", freq="M")

#: A candidate's forecast from one origin: the central path and, where it has one, its 95% interval.
Forecast = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def pre_pandemic_stretch() -> History:
    """The file's first unbroken stretch (2007-08 … 2016-08); later years are withheld, then 2021 on."""
    table = pd.read_csv(SERIES, dtype=str, keep_default_na=False)
    months = pd.PeriodIndex(table["month"], freq="M")
    breaks = np.flatnonzero(np.diff(months.asi8) != 1)
    return history_from_table(table.iloc[: breaks[0] + 1] if breaks.size else table, source=str(SERIES))


def chosen(history: History) -> Forecast:
    projection = project(history, HORIZON)
    return projection.path.waiting, projection.low, projection.high


def flows_alone(history: History) -> Forecast:
    return forecast(fit(history), HORIZON).waiting, None, None


def list_alone(history: History) -> Forecast:
    model = fit_list(history)
    months = pd.period_range(history.months[-1] + 1, periods=HORIZON, freq="M").month.to_numpy()
    return model.path(months), None, None


def no_change(history: History) -> Forecast:
    return np.full(HORIZON, history.waiting[-1]), None, None


def last_years_net_flow(history: History) -> Forecast:
    return history.waiting[-1] + np.cumsum(np.diff(history.waiting)[-12:]), None, None


def statsmodels_candidates() -> dict[str, Callable[[History], Forecast]]:
    """ETS and a structural model on the log list, fitted by maximum likelihood (if statsmodels is here)."""
    try:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        from statsmodels.tsa.statespace.structural import UnobservedComponents
    except ImportError:
        return {}

    def log_list(history: History) -> pd.Series:
        return pd.Series(np.log(history.waiting), index=history.months.to_timestamp())

    def ets(history: History) -> Forecast:
        model = ETSModel(
            log_list(history),
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=12,
        )
        frame = model.fit(disp=False).get_prediction(len(history), len(history) + HORIZON - 1)
        frame = frame.summary_frame(alpha=0.05)
        return tuple(np.exp(frame[c].to_numpy()) for c in ("mean", "pi_lower", "pi_upper"))

    def structural(history: History) -> Forecast:
        model = UnobservedComponents(
            np.log(history.waiting), level="local linear trend", seasonal=12, stochastic_seasonal=True
        )
        ahead = model.fit(disp=False).get_forecast(HORIZON)
        interval = ahead.conf_int(alpha=0.05)
        return np.exp(ahead.predicted_mean), np.exp(interval[:, 0]), np.exp(interval[:, 1])

    return {
        "ETS(A,Ad,A) on log list (ML)": ets,
        "local linear trend + seasons on log list (ML)": structural,
    }


def main() -> None:
    history = pre_pandemic_stretch()
    origins = range(FIRST_ORIGIN, len(history) - HORIZON)
    candidates: dict[str, Callable[[History], Forecast]] = {
        "chosen: average of flows and list": chosen,
        "flows alone (stock-and-flow)": flows_alone,
        "list alone (seasonal RW + drift, log)": list_alone,
        **statsmodels_candidates(),
        "baseline: no change": no_change,
        "baseline: last year's net flow": last_years_net_flow,
    }
    actual = np.array([history.waiting[o + 1 : o + 1 + HORIZON] for o in origins])
    selection = np.array([history.months[o] < CONFIRMATION_FROM for o in origins])
    results, seconds = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter
        for name, candidate in candidates.items():
            started = time.perf_counter()
            results[name] = [candidate(history.upto(o)) for o in origins]
            seconds[name] = time.perf_counter() - started

    first, last = history.months[origins[0]], history.months[origins[-1]]
    table = Table(title=f"England RTT list, {len(origins)} origins {first} … {last}, 12 months ahead")
    for column in ("forecast", "h=1", "h=3", "h=6", "h=12", "h=1–12", "selection", "confirmation"):
        table.add_column(column if column == "forecast" else f"MAE % {column}", justify="right")
    table.add_column("95% coverage", justify="right")
    table.add_column("half-width % h=12", justify="right")
    table.add_column("seconds", justify="right")
    errors, coverage = {}, {}
    for name, rows in results.items():
        central = np.array([row[0] for row in rows])
        errors[name] = np.abs(central - actual) / actual * 100
        e = errors[name]
        cells = [f"{e[:, h - 1].mean():.2f}" for h in (1, 3, 6, 12)]
        cells += [f"{e.mean():.2f}", f"{e[selection].mean():.2f}", f"{e[~selection].mean():.2f}"]
        if rows[0][1] is not None:
            low, high = np.array([row[1] for row in rows]), np.array([row[2] for row in rows])
            inside = (actual >= low) & (actual <= high)
            half_width = (high - low) / central * 50
            coverage[name] = (inside, half_width)
            cells += [f"{inside.mean() * 100:.1f}%", f"{half_width[:, -1].mean():.1f}"]
        else:
            cells += ["", ""]
        table.add_row(name, *cells, f"{seconds[name]:.1f}")
    console = Console(width=200)
    console.print(table)
    console.print(
        f"selection: origins {first} … {CONFIRMATION_FROM - 1} ({selection.sum()}); "
        f"confirmation: {CONFIRMATION_FROM} … {last} ({(~selection).sum()})."
    )

    inside, half_width = coverage["chosen: average of flows and list"]
    by_horizon = Table(
        title="The chosen model's 95% interval by horizon (all origins; selection | confirmation)"
    )
    by_horizon.add_column("")
    for h in range(1, HORIZON + 1):
        by_horizon.add_column(f"h={h}", justify="right")
    by_horizon.add_row("coverage %", *(f"{v * 100:.0f}" for v in inside.mean(axis=0)))
    by_horizon.add_row("  selection", *(f"{v * 100:.0f}" for v in inside[selection].mean(axis=0)))
    by_horizon.add_row("  confirmation", *(f"{v * 100:.0f}" for v in inside[~selection].mean(axis=0)))
    by_horizon.add_row("mean half-width %", *(f"{v:.1f}" for v in half_width.mean(axis=0)))
    by_horizon.add_row("  selection", *(f"{v:.1f}" for v in half_width[selection].mean(axis=0)))
    by_horizon.add_row("  confirmation", *(f"{v:.1f}" for v in half_width[~selection].mean(axis=0)))
    by_horizon.add_row(
        "MAE %", *(f"{v:.2f}" for v in errors["chosen: average of flows and list"].mean(axis=0))
    )
    console.print(by_horizon)

    model_mae = errors["chosen: average of flows and list"].mean()
    baselines = min(errors["baseline: no change"].mean(), errors["baseline: last year's net flow"].mean())
    console.print(
        f"goals: MAE ≤ 1.5% {'met' if model_mae <= 1.5 else 'NOT met'} ({model_mae:.2f}%); "
        f"better than both baselines {'yes' if model_mae < baselines else 'NO'}; "
        f"coverage ≥ 85% {'met' if inside.mean() >= 0.85 else 'NOT met'} ({inside.mean() * 100:.1f}%)."
    )


if __name__ == "__main__":
    main()
