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
The third table (--only national) is issue 26's "Speed" case: a national-size list of 7.5 million
pathways generated with NumPy (rows: pathways referred over four years, about 850,000 still waiting
at the end; England's 7.5 million *waiting* would be some 80 million pathways over four years, and
every step is a sort, a search or a count, so it scales about linearly). Seeded: referrals growing
5% a year with seasons, waits by priority, 12% removed without treatment, 40 procedure groups,
4,000 consultants. Then NHSRwaitinglist's statistics over the latest year (the whole list, by
priority, by procedure, by consultant), the monthly history from the pathways, and a 24-month
projection with 1,000 simulated runs. Each step's wall time and the process's peak resident memory
(sampled every 10 ms from /proc) are printed with their goals and as a ratio to a NumPy baseline
timed in the same run on the same machine (sorting the 7.5 million clock starts and stops and
counting the list at each day of a year with searchsorted: the irreducible work of a queue count).
R's NHSRwaitinglist is the anchor the issue names: with --r-anchor (and Rscript on the PATH), its
wl_stats runs on the same pathways over the same year, written to a CSV sorted by referral (as the
package assumes), timed inside R with system.time (reading the CSV not counted), beside ours with the
package's conventions, each the median of three runs; every statistic is compared. --r-anchor library
uses the installed package (install.packages("NHSRwaitinglist")); --r-anchor DIR sources every .R
file in DIR/R (a checkout). make bench-r installs R and the package where they are missing.
--pathways N runs a smaller list (a dry run).
The fourth table (--only returns) is reading one month of NHS England's full RTT file (every
provider's lines) for one trust: Dorset County's real return copied for 400 providers (204,800 lines,
92 MB; 4 MB zipped), read by `read_rtt_return` with --provider from the CSV and from the ZIP, against
pandas reading the same CSV as text (the baseline), with peak resident memory.
The sweeps' tables (--only sweeps) are ADR 67's: a sweep read as a one-off against one carried on, in
swept demo lists and synthetic trust lists, and how often a 3% sweep is read at all (and noise alone
read as one), in lists steady, doubling, halving or with seasonal removals.
Run only one part with --only backtest, --only sweeps, --only page, --only national or --only returns.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import resource
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from stocktake.waitinglist.history import History, history_from_pathways, history_from_table
from stocktake.waitinglist.projection import fit, fit_list, forecast, project

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


def chosen_simulated(history: History) -> Forecast:
    projection = project(history, HORIZON, simulations=1_000)
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
    """ETS, a structural model and the airline model on the log list, fitted by maximum likelihood (if
    statsmodels is here)."""
    try:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        from statsmodels.tsa.statespace.sarimax import SARIMAX
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

    def airline(history: History) -> Forecast:
        model = SARIMAX(np.log(history.waiting), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
        ahead = model.fit(disp=False).get_forecast(HORIZON)
        interval = ahead.conf_int(alpha=0.05)
        return np.exp(ahead.predicted_mean), np.exp(interval[:, 0]), np.exp(interval[:, 1])

    return {
        "ETS(A,Ad,A) on log list (ML)": ets,
        "airline SARIMA(0,1,1)(0,1,1)12 on log list (ML)": airline,
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
        password = "the benchmark password, quince"
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


# --- a national-size list ----------------------------------------------------------------------------

NATIONAL_PATHWAYS = 7_500_000
NATIONAL_FROM, NATIONAL_TO = np.datetime64("2021-01-01"), np.datetime64("2024-12-31")
#: Priority shares and mean waits in days (urgent patients are seen sooner).
PRIORITIES = {"P1": (0.05, 14.0), "P2": (0.25, 45.0), "P3": (0.45, 120.0), "P4": (0.25, 200.0)}
PROCEDURES, CONSULTANTS = 40, 4_000
#: Goals (issue 26, "Speed": name your goal): seconds and GB of resident memory.
NATIONAL_GOALS = {"stats": (60.0, 8.0), "projection": (30.0, 8.0)}


def national_pathways(n: int, seed: int = 26) -> pd.DataFrame:
    """``n`` pathways: clock start and stop (NaT while waiting), status, priority, procedure, consultant.

    Referrals fall on each day of four years in proportion to 5% a year growth with a winter and
    summer dip; waits are gamma (shape 1.5) around each priority's mean, lengthening 10% a year; 12%
    of stops are removals without treatment; procedures and consultants are drawn with unequal shares.
    """
    rng = np.random.default_rng(seed)
    days = int((NATIONAL_TO - NATIONAL_FROM).astype(int)) + 1
    t = np.arange(days)
    weight = np.exp(0.05 * t / 365.25) * (1 + 0.08 * np.cos(2 * np.pi * (t - 100) / 182.6))
    weekday = (NATIONAL_FROM + t).astype("datetime64[D]").view("int64") % 7  # 0 = Thursday
    weight = weight * np.where((weekday == 2) | (weekday == 3), 0.1, 1.0)  # few referrals at weekends
    start_day = rng.choice(days, size=n, p=weight / weight.sum())
    names = np.array(list(PRIORITIES))
    priority = rng.choice(len(names), size=n, p=[share for share, _ in PRIORITIES.values()])
    mean_wait = np.array([wait for _, wait in PRIORITIES.values()])[priority] * (1 + 0.1 * start_day / 365.25)
    waited = np.ceil(rng.gamma(1.5, mean_wait / 1.5)).astype(np.int64)
    stop_day = start_day + waited
    starts = NATIONAL_FROM + start_day.astype("timedelta64[D]")
    stops = (NATIONAL_FROM + stop_day.astype("timedelta64[D]")).astype("datetime64[ns]")
    waiting = stop_day >= days
    stops[waiting] = np.datetime64("NaT")
    removed = rng.random(n) < 0.12
    status = np.where(waiting, 0, np.where(removed, 2, 1))
    procedure_share = rng.dirichlet(np.full(PROCEDURES, 2.0))
    consultant_share = rng.dirichlet(np.full(CONSULTANTS, 5.0))
    return pd.DataFrame(
        {
            "clock_start": starts.astype("datetime64[ns]"),
            "clock_stop": stops,
            "status": pd.Categorical.from_codes(status, ["waiting", "treated", "removed"]),
            "priority": pd.Categorical.from_codes(priority, names),
            "procedure_group": pd.Categorical.from_codes(
                rng.choice(PROCEDURES, size=n, p=procedure_share), [f"G{i:02d}" for i in range(PROCEDURES)]
            ),
            "consultant": pd.Categorical.from_codes(
                rng.choice(CONSULTANTS, size=n, p=consultant_share), [f"C{i:04d}" for i in range(CONSULTANTS)]
            ),
        }
    )


class PeakMemory:
    """The peak resident memory of this process while a block runs, sampled every 10 ms from /proc."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.resident())
            self._stop.wait(0.01)

    def __enter__(self) -> PeakMemory:
        self.peak = self.resident()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.resident())


def national(
    n: int = NATIONAL_PATHWAYS, runs: int = 1_000, months: int = 24, r_anchor: str | None = None
) -> None:
    """Statistics and a projection with simulated runs on a generated national-size list (see the module)."""
    from stocktake.waitinglist.stats import RECENT_DAYS, stats_by_group

    steps: list[tuple[str, str, float, int, str]] = []

    def timed(name: str, goal: str, work: Callable[[], object]) -> object:
        with PeakMemory() as memory:
            started = time.perf_counter()
            answer = work()
            seconds = time.perf_counter() - started
        steps.append((name, goal, seconds, memory.peak, ""))
        return answer

    pathways = timed("generate the pathways (NumPy, seeded)", "", lambda: national_pathways(n))
    starts = pathways["clock_start"].to_numpy(dtype="datetime64[D]")
    stops = pathways["clock_stop"].to_numpy(dtype="datetime64[D]")
    end = max(starts.max(), stops[~np.isnat(stops)].max())
    start = end - np.timedelta64(RECENT_DAYS, "D")

    def baseline() -> int:
        arrived = np.searchsorted(np.sort(starts), np.arange(start, end + 1), side="right")
        made = np.sort(stops[~np.isnat(stops)])
        return int(arrived[-1] - np.searchsorted(made, end, side="right"))

    timed("baseline: NumPy sort and count the list each day", "", baseline)
    groups = {"whole list": None, "by priority": "priority", "by procedure": "procedure_group"}
    groups["by consultant"] = "consultant"
    answers = {}
    for label, by in groups.items():
        answers[label] = timed(
            f"statistics, {label}", "stats", lambda by=by: stats_by_group(pathways, by, 18.0, start, end)
        )
    table = timed("monthly history from the pathways", "projection", lambda: history_from_pathways(pathways))
    # The generated list starts empty in 2021 and takes a year to fill: project from the years after.
    history = history_from_table(table, source="national", since=pd.Period(table["month"].iloc[12], freq="M"))
    projection = timed(
        f"{months}-month projection, {runs:,} simulated runs",
        "projection",
        lambda: project(history, months, simulations=runs),
    )

    base = steps[1][2]
    shown = Table(title=f"A national-size list: {n:,} pathways, statistics and a {months}-month projection")
    for column in ("step", "seconds", "× baseline", "process peak resident GB"):
        shown.add_column(column, justify="left" if column == "step" else "right")
    for name, _goal, seconds, peak, _ in steps:
        shown.add_row(name, f"{seconds:.2f}", f"{seconds / base:.2g}", f"{peak / 1e9:.2f}")
    console = Console(width=200)
    console.print(shown)
    for goal, (seconds_goal, gb_goal) in NATIONAL_GOALS.items():
        chosen_steps = [step for step in steps if step[1] == goal]
        seconds = sum(step[2] for step in chosen_steps)
        peak = max(step[3] for step in chosen_steps)
        met = seconds < seconds_goal and peak < gb_goal * 1e9
        console.print(
            f"goal, {goal}: under {seconds_goal:g} s and {gb_goal:g} GB — {seconds:.1f} s, "
            f"{peak / 1e9:.2f} GB: {'met' if met else 'NOT met'}"
        )
    whole = answers["whole list"][0][1]
    console.print(
        f"whole list, {start} … {end}: demand {whole.mean_demand:,.0f} a week, capacity "
        f"{whole.mean_capacity:,.0f}, {whole.queue_size:,} waiting, mean wait {whole.mean_wait:.1f} weeks; "
        f"groups: {', '.join(f'{label} {len(rows)}' for label, rows in answers.items())}"
    )
    console.print(
        f"projection from {projection.model.origin} ({projection.model.waiting:,.0f}) to "
        f"{projection.path.months[-1]}: {projection.path.waiting[-1]:,.0f} "
        f"({projection.low[-1]:,.0f} – {projection.high[-1]:,.0f}); process peak "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB (ru_maxrss)."
    )
    if r_anchor:
        compare_with_r(pathways, start, end, r_anchor, console)
    else:
        console.print("R anchor (NHSRwaitinglist's wl_stats): not run; give --r-anchor to run it.")


#: The R side of the anchor: load the package, read the CSV, time wl_stats, print its row as CSV.
R_DRIVER = r"""
args <- commandArgs(trailingOnly = TRUE)
# The package matches a Date against a factor's levels (wl_queue_size); R 4.3 does that by the date's
# text (mtfrm), R 4.2 by its day number, which matches nothing: give R 4.2 the 4.3 behaviour.
if (getRversion() < "4.3.0") {
  `%in%` <- function(x, table) {
    text <- function(v) if (inherits(v, "Date") || is.factor(v)) as.character(v) else v
    match(text(x), text(table), nomatch = 0L) > 0L
  }
}
if (args[1] == "library") {
  library(NHSRwaitinglist)
} else {
  for (file in list.files(file.path(args[1], "R"), pattern = "[.]R$", full.names = TRUE)) source(file)
}
wl <- read.csv(args[2], colClasses = c("Date", "Date"))
seconds <- sapply(1:3, function(i) {
  run <- system.time(answer <<- wl_stats(wl, target_wait = 18, start_date = args[3], end_date = args[4]))
  run[["elapsed"]]
})
write.csv(cbind(data.frame(seconds = median(seconds)), answer), stdout(), row.names = FALSE)
"""

#: Statistics compared with R's, and the one where the package's convention is not ours (ADR 19).
R_COMPARED = ("mean_demand", "mean_capacity", "load", "queue_size", "mean_wait", "cv_arrival", "cv_removal")


def compare_with_r(pathways: pd.DataFrame, start, end, anchor: str, console: Console) -> None:
    """NHSRwaitinglist's wl_stats against ours on the same pathways and year: seconds and every value."""
    from stocktake.waitinglist.stats import NHSRWAITINGLIST, waiting_list_stats

    if shutil.which("Rscript") is None:
        console.print(
            "R anchor: Rscript is not on the PATH (Debian: apt-get install r-base-core r-cran-dplyr)."
        )
        return
    ordered = pathways.sort_values("clock_start", kind="stable")
    with tempfile.TemporaryDirectory() as folder:
        extract, driver = Path(folder) / "waiting_list.csv", Path(folder) / "anchor.R"
        pd.DataFrame(
            {
                "referral": ordered["clock_start"].dt.strftime("%Y-%m-%d"),
                "removal": ordered["clock_stop"].dt.strftime("%Y-%m-%d"),
            }
        ).to_csv(extract, index=False)
        driver.write_text(R_DRIVER)
        ran = subprocess.run(
            ["Rscript", str(driver), anchor, str(extract), str(start), str(end)],
            capture_output=True,
            text=True,
            check=False,
        )
    if ran.returncode != 0:
        console.print(f"R anchor failed: {ran.stderr.strip()[-500:]}")
        return
    theirs = pd.read_csv(io.StringIO(ran.stdout)).iloc[0]
    times = []
    for _ in range(3):  # the median of three, as R's
        started = time.perf_counter()
        ours = waiting_list_stats(
            ordered["clock_start"], ordered["clock_stop"], 18.0, start, end, convention=NHSRWAITINGLIST
        )
        times.append(time.perf_counter() - started)
    seconds = float(np.median(times))
    version = subprocess.run(["Rscript", "--version"], capture_output=True, text=True, check=False)
    shown = Table(title=f"R anchor: wl_stats on {len(pathways):,} pathways, {start} … {end}, target 18 weeks")
    for column in ("", "NHSRwaitinglist (R)", "Stocktake", "agree"):
        shown.add_column(column, justify="left" if not column else "right")
    shown.add_row(
        "seconds", f"{theirs['seconds']:.2f}", f"{seconds:.2f}", f"R takes {theirs['seconds'] / seconds:.0f}×"
    )
    for name in R_COMPARED:
        mine = float(getattr(ours, name))
        agree = bool(np.isclose(mine, theirs[name], rtol=1e-9))
        note = (
            "yes"
            if agree
            else ("no: ours counts only those waiting at the end (ADR 19)" if name == "queue_size" else "NO")
        )
        shown.add_row(name, f"{theirs[name]:,.6g}", f"{mine:,.6g}", note)
    console.print(shown)
    console.print(f"R: {(version.stdout or version.stderr).strip().splitlines()[0]}; anchor: {anchor}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", choices=("backtest", "sweeps", "page", "national", "returns"), help="run one part only"
    )
    parser.add_argument(
        "--pathways", type=int, default=NATIONAL_PATHWAYS, help="pathways in the national list (a dry run)"
    )
    parser.add_argument(
        "--r-anchor",
        metavar="library|DIR",
        help="also time NHSRwaitinglist's wl_stats in R: the installed package, or a checkout's folder",
    )
    arguments = parser.parse_args()
    only = arguments.only
    if only in (None, "backtest"):
        backtest()
    if only in (None, "sweeps"):
        sweeps()
    if only in (None, "page"):
        page_speed()
    if only in (None, "national"):
        national(arguments.pathways, r_anchor=arguments.r_anchor)
    if only in (None, "returns"):
        full_return()


RBD_RETURN = SERIES.parents[1] / "rtt" / "rtt_provider_2024_11_RBD.csv"


def _swept(pathways: pd.DataFrame, month: str, share: float) -> tuple[pd.DataFrame, int]:
    """A validation sweep of ``share`` of those waiting at ``month``'s end, taken among those who would
    have been removed later (or are still waiting when the extract ends): their removal brought forward
    to the month's 28th, as a sweep brings it forward (ADR 55)."""
    end = pd.Period(month, freq="M")
    day = end.start_time + pd.Timedelta(days=27)
    waiting = (pathways["clock_start"] < end.start_time) & (
        pathways["clock_stop"].isna() | (pathways["clock_stop"] > day)
    )
    would_leave = waiting & ((pathways["status"] == "removed") | pathways["clock_stop"].isna())
    count = int(waiting.sum() * share)
    chosen = np.random.default_rng(0).permutation(np.flatnonzero(would_leave))[:count]
    swept = pathways.copy()
    swept.loc[swept.index[chosen], ["clock_stop", "status"]] = [day, "removed"]
    return swept, len(chosen)


@contextlib.contextmanager
def _sweeps_carried_on():
    """No month read as a one-off, in the central path and in the history its interval is tested on:
    the projection as it was before ADR 67."""
    from stocktake.waitinglist import one_offs, projection

    kept = one_offs.unusual_runs
    one_offs.unusual_runs = projection.unusual_runs = lambda *_: ()
    try:
        yield
    finally:
        one_offs.unusual_runs = projection.unusual_runs = kept


def sweeps() -> None:
    """A sweep read as a one-off, its step kept (ADR 67), against a sweep carried on as trend: each
    projected a year ahead from the history to its origin, against the swept list's own future."""
    from stocktake.demo.generate import Department, generate
    from stocktake.waitinglist import projection

    cases = (("2025-01", "2025-03"), ("2025-03", "2025-03"), ("2024-08", "2025-03"), ("2024-12", "2024-12"))
    rows = []
    for seed in (11, 1, 2, 3):
        pathways = generate(Department(seed=seed, months=48))["rtt_pathways"]
        for month, origin in cases:
            swept, count = _swept(pathways, month, 0.06)
            history = history_from_table(history_from_pathways(swept))
            at = list(history.months.astype(str)).index(origin)
            truth = history.waiting[at + 12]
            read = projection.project(history.upto(at), 12)
            with _sweeps_carried_on():  # as before ADR 67
                carried = projection.project(history.upto(at), 12)
            found = ", ".join(f"{o.month} {o.excess:+,.0f}" for o in read.model.one_offs) or "none"
            rows.append((seed, month, origin, count, found, read, carried, truth))
    table = Table(
        title="A sweep of 6% of those waiting in the 48-month demo: a year ahead, % off the swept list"
    )
    for column in ("seed", "sweep", "origin", "swept", "read as one-off", "one-off %", "carried %"):
        table.add_column(column, justify="right")
    errors = []
    for seed, month, origin, count, found, read, carried, truth in rows:
        off = [100 * (p.path.waiting[-1] / truth - 1) for p in (read, carried)]
        errors.append(off)
        table.add_row(str(seed), month, origin, str(count), found, f"{off[0]:+.1f}", f"{off[1]:+.1f}")
    mean = np.abs(np.array(errors)).mean(axis=0)
    table.add_row("", "", "", "", "mean absolute", f"{mean[0]:.2f}", f"{mean[1]:.2f}")
    Console(width=200).print(table)
    sweeps_where_those_swept_leave()
    sweeps_found()
    returns_after_sweeps()


def _trust_list(seed: int, swept_at: int, leave_over: int | None, treated: int = 445) -> pd.DataFrame:
    """60 months of a trust's list (4,000 waiting; Poisson starts, stops and 50 other removals a month,
    with seasons), 10% of it swept at ``swept_at``; those swept leave evenly over ``leave_over`` months
    after (fewer other removals then), or never (None)."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2021-01", periods=60, freq="M")
    season = 1 + 0.05 * np.cos(2 * np.pi * (months.month.to_numpy() - 1) / 12)
    starts = rng.poisson((treated + 55) * season)
    stops = rng.poisson(treated * season)
    other = rng.poisson(treated / 9, 60).astype(float)
    waiting, now = np.empty(60), 4_000.0
    for month in range(60):
        if month == swept_at:
            sweep = round(0.1 * now)
            other[month] += sweep
            if leave_over:
                other[month + 1 : month + 1 + leave_over] -= sweep / leave_over
        now += starts[month] - stops[month] - round(other[month])
        waiting[month] = now
    return pd.DataFrame(
        {"month": months.astype(str), "waiting": waiting, "clock_starts": starts, "clock_stops": stops}
    )


def sweeps_where_those_swept_leave() -> None:
    """The same, on synthetic trust lists whose swept patients would have left over the list's
    turnover, over twice it, or never (a transfer out; treatments set by capacity): the step kept
    against the sweep carried on, 12 months ahead from the 48th month, sweeps 0-24 months before it."""
    from stocktake.waitinglist import projection

    worlds = {"over the turnover": 1, "over twice the turnover": 2, "never": None}
    errors = {(world, way): [] for world in worlds for way in ("kept", "carried")}
    for treated in (445, 100):  # a trust's list, and one with long waits and few treatments
        for back in (0, 3, 7, 12, 24):
            for seed in range(8):
                turnover = round(min(24, 4_000 / treated))
                for world, times in worlds.items():
                    whole = _trust_list(seed, 47 - back, times and times * turnover, treated)
                    history = history_from_table(whole.iloc[:48])
                    truth = whole["waiting"].iloc[59]
                    for way in ("kept", "carried"):
                        with _sweeps_carried_on() if way == "carried" else contextlib.nullcontext():
                            ahead = projection.project(history, 12).path.waiting[-1]
                        errors[(world, way)].append(abs(ahead / truth - 1) * 100)
    table = Table(title="A sweep of 10% at a trust's list: % off the list 12 months ahead (mean of 80 lists)")
    for column in ("those swept would have left", "step kept (ADR 67)", "carried on as trend"):
        table.add_column(column, justify="right")
    for world in worlds:
        table.add_row(world, *(f"{np.mean(errors[(world, way)]):.1f}" for way in ("kept", "carried")))
    Console(width=200).print(table)


def _changing_list(
    seed: int, growth: float, seasons: float, noise: float, swept_at: int | None
) -> pd.DataFrame:
    """48 months of a list of 4,000 growing ``growth``-fold, every flow with it (Poisson: 445 treated,
    50 other removals a month at first, those ×(1 ± ``seasons``) over the year, or a normal spread of
    ``noise`` of their mean), and 3% of it swept at ``swept_at``."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2021-01", periods=48, freq="M")
    scale = growth ** (np.arange(48) / 47)
    added = 4_000 * np.diff(np.r_[scale[0] / growth ** (1 / 47), scale])
    starts, stops = rng.poisson(495 * scale + added), rng.poisson(445 * scale)
    usual = 50 * scale * (1 + seasons * np.cos(2 * np.pi * (months.month.to_numpy() - 1) / 12))
    other = np.maximum(0, usual * (1 + noise * rng.standard_normal(48))) if noise else rng.poisson(usual)
    waiting = 4_000 + np.cumsum(starts - stops - np.round(other))
    if swept_at is not None:
        waiting[swept_at:] -= round(0.03 * waiting[swept_at - 1])
    return pd.DataFrame(
        {"month": months.astype(str), "waiting": waiting, "clock_starts": starts, "clock_stops": stops}
    )


def sweeps_found(lists: int = 40, quiet: int = 200) -> None:
    """How often a 3% sweep is read as a one-off, in lists steady, doubling or halving over 48 months
    or with seasonal removals, the sweep early, midway or late in the 36 months read; and how often a
    sweep-free list gives a false alarm. Each against the usual count as a median (before ADR 67's
    evening addendum)."""
    from stocktake.waitinglist import history
    from stocktake.waitinglist import one_offs as reading

    def flat(other: np.ndarray, waiting: np.ndarray, months: np.ndarray) -> np.ndarray:
        return np.full(len(other), np.median(other))

    def runs(table: pd.DataFrame, usual) -> tuple:
        line = reading._usual_removals
        reading._usual_removals = usual
        try:
            return reading.unusual_runs(history.history_from_table(table))
        finally:
            reading._usual_removals = line

    def one_offs(table: pd.DataFrame, usual) -> list[pd.Period]:
        return [o.month for r in runs(table, usual) if r.kind == "one-off" for o in r.months]

    kinds = {
        "steady": (1.0, 0.0, 0.0),
        "doubling": (2.0, 0.0, 0.0),
        "halving": (0.5, 0.0, 0.0),
        "removals seasonal ±50%": (1.0, 0.5, 0.0),
        "removals varying by half": (1.0, 0.0, 0.5),
        "removals varying by four fifths": (1.0, 0.0, 0.8),
        "doubling, removals varying by half": (2.0, 0.0, 0.5),
    }
    table = Table(
        title=f"A 3% sweep read as a one-off ({lists} lists each), and false alarms ({quiet} lists)"
    )
    for column in ("list", "sweep 2 months in", "12 months in", "28 months in", "false alarms"):
        table.add_column(column, justify="right")
    for name, (growth, seasons, noise) in kinds.items():
        cells = []
        for at in (14, 24, 40) if not noise else ():
            month = pd.period_range("2021-01", periods=48, freq="M")[at]
            read = [
                np.mean(
                    [
                        month in one_offs(_changing_list(s, growth, seasons, 0, at), usual)
                        for s in range(lists)
                    ]
                )
                for usual in (flat, reading._usual_removals)
            ]
            cells.append(f"{read[0]:.0%} → {read[1]:.0%}")
        alarms = [
            sum(
                bool(runs(_changing_list(1_000 + s, growth, seasons, noise, None), usual))
                for s in range(quiet)
            )
            / quiet
            for usual in (flat, reading._usual_removals)
        ]
        table.add_row(name, *(cells or ["", "", ""]), f"{alarms[0]:.1%} → {alarms[1]:.1%}")
    Console(width=200).print(table)
    print("each cell: the usual count as a median → on a line no steeper than the list's growth (chosen)")


def _returning_list(seed: int, sweeps: list[tuple[int, int, list[float] | None]]) -> pd.DataFrame:
    """60 months of a trust's list (4,000 waiting; Poisson: 500 starts, 445 treated, 50 other removals a
    month), each sweep ``(month, size, return)`` adding to its month's removals and taking its return
    (those swept who would have left then) from the months after it."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2021-01", periods=60, freq="M")
    starts, stops = rng.poisson(500, 60), rng.poisson(445, 60)
    other = rng.poisson(50, 60).astype(float)
    for month, size, back in sweeps:
        other[month] += size
        for k, fewer in enumerate(back or [], start=month + 1):
            if k < 60:
                other[k] -= fewer
    waiting = 4_000 + np.cumsum(starts - stops - np.round(other))
    return pd.DataFrame(
        {"month": months.astype(str), "waiting": waiting, "clock_starts": starts, "clock_stops": stops}
    )


def returns_after_sweeps(seeds: int = 12) -> None:
    """The list coming back after a sweep (ADR 67's last addendum): projected from month 48 a year
    ahead, against the same with no return read, on lists whose swept patients leave later evenly,
    stop after three months, leave slowly or front-loaded, or never; several sweeps; a large one."""
    from stocktake.waitinglist import one_offs as reading
    from stocktake.waitinglist import projection

    even = [400 / 9] * 9
    cases = {
        "leave over 9 months, 1 month after": [(46, 400, even)],
        "leave over 9 months, 3 months after": [(44, 400, even)],
        "leave over 9 months, 6 months after": [(41, 400, even)],
        "stop after 3 months, 3 months after": [(44, 400, [50] * 3)],
        "stop after 3 months, 6 months after": [(41, 400, [50] * 3)],
        "leave over 18 months, 5 months after": [(42, 400, [400 / 18] * 18)],
        "front-loaded, 4 months after": [(43, 400, [120, 80, 50, 30, 20])],
        "two sweeps, 6 and 4 months after": [(41, 400, even), (43, 300, [300 / 9] * 9)],
        "three sweeps, 8, 6 and 3 months after": [
            (39, 400, even),
            (41, 250, [250 / 9] * 9),
            (44, 600, [600 / 9] * 9),
        ],
        "a sweep of 1,500, 6 months after": [(41, 1_500, [1_500 / 9] * 9)],
        "never leave, 4 months after": [(43, 400, None)],
    }

    def scored(sweeps, read: bool) -> tuple[float, int]:
        kept = reading._with_returns
        if not read:
            reading._with_returns = lambda runs, short, spread: tuple(runs)
        errors, outside = [], 0
        try:
            for seed in range(seeds):
                whole = _returning_list(seed, sweeps)
                ahead = projection.project(history_from_table(whole.iloc[:48]), 12)
                truth = whole["waiting"].to_numpy()[48:]
                errors.append(abs(ahead.path.waiting[-1] / truth[-1] - 1))
                outside += int(((truth < ahead.low) | (truth > ahead.high)).sum())
        finally:
            reading._with_returns = kept
        return 100 * float(np.mean(errors)), outside

    table = Table(
        title=f"The list coming back after a sweep of 400 (unless said): % off a year ahead, mean of {seeds} "
        f"lists, and months of {12 * seeds} outside the 95% interval"
    )
    columns = (
        "those swept",
        "no return read, else as chosen %",
        "outside",
        "return read (chosen) %",
        "outside ",
    )
    for column in columns:
        table.add_column(column, justify="right")
    for name, sweeps in cases.items():
        before, now = scored(sweeps, read=False), scored(sweeps, read=True)
        table.add_row(name, f"{before[0]:.1f}", str(before[1]), f"{now[0]:.1f}", str(now[1]))
    Console(width=200).print(table)


def full_return(providers: int = 400) -> None:
    """One trust's lines read from a full-size monthly file, CSV and ZIP, against pandas (see the module)."""
    import zipfile

    from stocktake.files.rtt import read_rtt_return

    one = pd.read_csv(RBD_RETURN, dtype=str, keep_default_na=False)
    copies = [one.assign(**{"Provider Org Code": f"R{i:03d}"}) for i in range(providers - 1)]
    full = pd.concat([*copies, one], ignore_index=True)  # Dorset County last: every line is passed over
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "full.csv"
        full.to_csv(csv, index=False)
        lines = len(full)
        del full, copies  # not counted in the steps' peak memory
        zipped = Path(folder) / "full.zip"
        with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(csv, "full.csv")
        steps = {
            "baseline: pandas reads the CSV as text": lambda: pd.read_csv(
                csv, dtype=str, keep_default_na=False
            ),
            "read_rtt_return, CSV, --provider RBD": lambda: read_rtt_return(csv, "RBD"),
            "read_rtt_return, ZIP, --provider RBD": lambda: read_rtt_return(zipped, "RBD"),
        }
        for name, work in steps.items():
            with PeakMemory() as memory:
                started = time.perf_counter()
                work()
                seconds = time.perf_counter() - started
            rows.append((name, seconds, memory.peak))
        size = csv.stat().st_size, zipped.stat().st_size
    table = Table(
        title=f"One trust from a full monthly RTT file: {lines:,} lines, {size[0] / 1e6:.0f} MB "
        f"({size[1] / 1e6:.1f} MB zipped)"
    )
    for column in ("step", "seconds", "× baseline", "process peak GB"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, seconds, peak in rows:
        table.add_row(name, f"{seconds:.1f}", f"{seconds / rows[0][1]:.1f}", f"{peak / 1e9:.2f}")
    Console().print(table)


def backtest() -> None:
    history = pre_pandemic_stretch()
    origins = range(FIRST_ORIGIN, len(history) - HORIZON)
    candidates: dict[str, Callable[[History], Forecast]] = {
        "chosen: average of flows and list": chosen,
        "chosen, interval from 1,000 simulated runs": chosen_simulated,
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
