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

The second table is the workspace's Waiting list page answering a scenario change (issue 26,
"Speed": under a second for a trust-size list): a fresh workspace on the demo warehouse (a trust's
T&O list, about 17,000 pathways), the page's first view (which builds the list's picture), then
scenario changes as the sliders send them, timed with time.perf_counter around the TestClient call:
the htmx swap of the results and the whole page without JavaScript.
Run only one part with --only backtest or --only page.
"""

from __future__ import annotations

import argparse
import re
import tempfile
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


#: Scenario changes as the sliders send them (GET parameters of /waiting-list).
SCENARIOS = (
    {"growth": "3"},
    {"growth": "3", "lists": "2"},
    {"growth": "3", "lists": "2", "validation": "5"},
    {"growth": "-5", "lists": "4.2"},
    {"growth": "20", "lists": "30", "validation": "20"},
    {},
)
PAGE_GOAL_SECONDS = 1.0


def page_speed(rounds: int = 5) -> None:
    """The Waiting list page answering scenario changes on the demo warehouse (see the module)."""
    import duckdb

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
        from fastapi.testclient import TestClient

    from stocktake.appdb import actions
    from stocktake.appdb.database import make_engine, session_factory
    from stocktake.demo.generate import Department, generate
    from stocktake.settings import Settings
    from stocktake.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="bench-waiting-list-") as scratch:
        home = Path(scratch)
        tables = generate(Department())
        with duckdb.connect(str(home / "warehouse.duckdb")) as con:
            for name, table in tables.items():
                con.register("incoming", table)
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
                con.unregister("incoming")
        settings = Settings(home=home, database_url=f"sqlite:///{home / 'workspace.sqlite'}")
        app = create_app(settings)
        password = "benchmark password"
        with session_factory(make_engine(settings.database_url))() as session:
            actions.create_user(
                session, by=None, username="bench", full_name="A bench", password=password, role="viewer"
            )
        client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)[1]
        client.post("/sign-in", data={"username": "bench", "password": password, "csrf_token": token})

        def timed(params: dict, headers: dict | None = None) -> float:
            started = time.perf_counter()
            answer = client.get("/waiting-list", params=params, headers=headers or {})
            seconds = time.perf_counter() - started
            if answer.status_code != 200 or "scenario-table" not in answer.text:
                raise RuntimeError(f"/waiting-list {params} answered {answer.status_code}")
            return seconds

        first = timed({})
        htmx = {"HX-Request": "true", "HX-Target": "scenario-results"}
        swaps = np.array([timed(p, htmx) for _ in range(rounds) for p in SCENARIOS])
        pages = np.array([timed(p) for _ in range(rounds) for p in SCENARIOS])

    table = Table(
        title=f"Waiting list page, demo warehouse ({len(tables['rtt_pathways']):,} pathways): "
        f"{len(SCENARIOS)} scenario changes × {rounds}"
    )
    for column in ("request", "n", "median s", "p95 s", "max s", f"goal < {PAGE_GOAL_SECONDS:g} s"):
        table.add_column(column, justify="left" if column == "request" else "right")
    table.add_row("first view (builds the list's picture)", "1", f"{first:.3f}", "", "", "")
    for name, seconds in (("scenario change, htmx swap", swaps), ("scenario change, whole page", pages)):
        met = "met" if seconds.max() < PAGE_GOAL_SECONDS else "NOT met"
        table.add_row(
            name,
            str(len(seconds)),
            f"{np.median(seconds):.3f}",
            f"{np.percentile(seconds, 95):.3f}",
            f"{seconds.max():.3f}",
            met,
        )
    Console(width=200).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("backtest", "page"), help="run one part only")
    only = parser.parse_args().only
    if only != "page":
        backtest()
    if only != "backtest":
        page_speed()


def backtest() -> None:
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
