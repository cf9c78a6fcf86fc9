"""The web workspace under load: 50 signed-in users on the overview, metric pages and drill-downs
(loopback; each drill-down view writes an audit event).

Run: make bench-web   (or .venv/bin/python benchmarks/bench_web.py [--seconds 20])
Goal (issues 7 and 22): p95 under 100 ms on the demo data, drill-downs included, with no errors.
First views (issue 25), measured before the load on the same server once it says it is ready
(``/healthz``: its series made, as they are a minute after any start or load): a metric page's chart
shown under 1 s (in Chromium through Playwright, each page in a new browser context, so nothing is
cached: navigation start to the server-drawn chart's image loaded, ADR 37; the time to Plotly's
interactive chart, its ``plotly_afterplot``, is reported beside it), a dimension's first drill-down
under 300 ms (the server computes each dimension's series in the background as it starts and after
each load, so a lead's first click finds them), the board PDF under 10 s. Their baselines: the same
static stylesheet, fetched alone (drill-down, PDF) or opened in the browser (chart).

The server is `stocktake serve` in its own process (one uvicorn worker) on a fresh demo workspace.
Two load shapes: users who read a page before the next (a think time of 0.5–1.5 s, as people do;
they arrive over the first 1.5 s, since fifty requests in the same millisecond queue behind each
other and keep doing so for several rounds), and users who never pause (the saturation point).
A static stylesheet under the same load is the baseline: the ratio to it is what the app's own work
adds, whatever the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from stocktake.demo.run import run_demo
from stocktake.metrics.catalogue import load_catalogue

USERS = 50
PASSWORD = "the benchmark password, quince"
STOCKTAKE = Path(sys.executable).parent / "stocktake"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(home: Path, port: int) -> subprocess.Popen:
    env = os.environ | {"STOCKTAKE_PASSWORD": PASSWORD}
    subprocess.run(
        [STOCKTAKE, "users", "add", "bench", "--home", home], env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [STOCKTAKE, "serve", "--home", home, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def _ready(base: str) -> float:
    """When the server's readiness probe first says ready: it has made its series (ADR 38), as a
    server that has been up for more than a minute always has. First views are measured from then."""
    for _ in range(3000):
        if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
            return time.perf_counter()
        time.sleep(0.1)
    raise RuntimeError("the server was not ready within 5 minutes")


async def _signed_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    page = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    await client.post("/sign-in", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    return client


async def _user(client, paths, until: float, think: bool, timings: dict) -> None:
    if think:  # people arrive over a reading time, not all in the same millisecond
        await asyncio.sleep(random.uniform(0, 1.5))
    while time.perf_counter() < until:
        kind, path = random.choice(paths)
        started = time.perf_counter()
        try:
            answer = await client.get(path)
        except (httpx.RemoteProtocolError, httpx.ReadError):  # a kept-alive connection the server closed
            # as we sent: resend
            answer = await client.get(path)
        timings.setdefault(kind, []).append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code}")
        if think:
            await asyncio.sleep(random.uniform(0.5, 1.5))


async def _load(base: str, metric_ids: list[str], seconds: float, think: bool) -> dict[str, list[float]]:
    clients = [await _signed_in(base) for _ in range(USERS)]
    paths = [("overview", "/")] * 2 + [("metric page", f"/metrics/{m}") for m in metric_ids[:10]]
    paths += [
        ("drill-down", f"/metrics/{m}/drilldown?by={by}")
        for m in metric_ids[:5]
        for by in ("site", "consultant")
    ]
    paths += [("static CSS (baseline)", "/static/stocktake.css")] * 2
    for _, path in paths:  # every page once, so the caches are warm as in a working day
        await clients[0].get(path)
    timings: dict[str, list[float]] = {}
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_user(c, paths, until, think, timings) for c in clients))
    for client in clients:
        await client.aclose()
    return timings


#: Run in the page before its scripts: the time (ms from navigation start) the server-drawn chart's
#: image loaded (``__shown``), and the time Plotly's chart was first drawn (``__drawn``), from its own
#: ``plotly_afterplot`` event (or the plot's promise, should the event come first).
AFTERPLOT = """(() => {
  document.addEventListener("load", (e) => {
    if (e.target.classList && e.target.classList.contains("chart-static") && window.__shown === undefined)
      window.__shown = performance.now();
  }, true);
  let real;
  Object.defineProperty(window, "Plotly", {configurable: true, get: () => real, set: (v) => {
    real = v;
    const newPlot = v.newPlot;
    v.newPlot = function (gd, ...rest) {
      const done = () => { if (window.__drawn === undefined) window.__drawn = performance.now(); };
      const answer = newPlot.call(this, gd, ...rest);
      if (gd.on) gd.on("plotly_afterplot", done);
      return answer.then((r) => { done(); return r; });
    };
  }});
})()"""
FIRST_VIEW_GOALS = {
    "metric page, chart shown": 1.0,
    "metric page, Plotly chart (no goal)": float("inf"),
    "first drill-down of a dimension": 0.3,
    "board PDF": 10.0,
}


def _charts_drawn(base: str, metric_ids: list[str]) -> tuple[list[float], list[float], float]:
    """Seconds to each metric page's chart shown and drawn by Plotly, and the baseline (the
    stylesheet opened)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("Debian's chromium is not installed: run make setup")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        signed = browser.new_context()
        page = signed.new_page()
        page.goto(f"{base}/sign-in")
        page.get_by_label("Username").fill("bench")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        cookies = signed.cookies()
        shown, drawn, baseline = [], [], []
        for metric_id in metric_ids:
            context = browser.new_context()  # no cached plotly.js
            context.add_cookies(cookies)
            page = context.new_page()
            page.add_init_script(AFTERPLOT)
            page.goto(f"{base}/metrics/{metric_id}")
            page.wait_for_function("window.__drawn !== undefined", timeout=30_000)
            drawn.append(page.evaluate("window.__drawn") / 1000)
            shown.append(page.evaluate("window.__shown ?? window.__drawn") / 1000)
            page.goto(f"{base}/static/stocktake.css")
            baseline.append(page.evaluate("performance.getEntriesByType('navigation')[0].duration") / 1000)
            context.close()
        browser.close()
    return shown, drawn, float(np.median(baseline))


def _first_views(base: str, metric_ids: list[str], dimensions: list[str]) -> dict:
    """The first views of issue 25 on a server that has served nothing else yet (besides sign-in)."""
    timings = {}
    shown, drawn, timings["chart baseline"] = _charts_drawn(base, metric_ids[:4])
    timings["metric page, chart shown"] = shown
    timings["metric page, Plotly chart (no goal)"] = drawn
    with httpx.Client(base_url=base, timeout=300) as client:
        page = client.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        client.post("/sign-in", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        static = []
        for _ in range(20):
            started = time.perf_counter()
            client.get("/static/stocktake.css")
            static.append(time.perf_counter() - started)
        timings["static baseline"] = float(np.median(static))
        drill = []
        for metric_id in metric_ids[4:6]:
            for by in dimensions:
                started = time.perf_counter()
                answer = client.get(f"/metrics/{metric_id}/drilldown?by={by}")
                drill.append(time.perf_counter() - started)
                answer.raise_for_status()
        timings["first drill-down of a dimension"] = drill
        started = time.perf_counter()
        client.get("/reports/stocktake.pdf").raise_for_status()
        timings["board PDF"] = [time.perf_counter() - started]
    return timings


def _first_view_table(timings: dict) -> Table:
    table = Table(title="First views (issue 25): seconds")
    for column in ("view", "goal", "n", "first", "median", "worst", "worst ÷ baseline", "met"):
        table.add_column(column, justify="left" if column == "view" else "right")
    for view, goal in FIRST_VIEW_GOALS.items():
        values = timings[view]
        baseline = timings["chart baseline" if view.startswith("metric") else "static baseline"]
        worst = max(values)
        table.add_row(
            view,
            f"{goal:g}" if goal < float("inf") else "—",
            str(len(values)),
            f"{values[0]:.3f}",
            f"{np.median(values):.3f}",
            f"{worst:.3f}",
            f"{worst / baseline:.0f}×",
            "—" if goal == float("inf") else "yes" if worst < goal else "no",
        )
    table.caption = (
        f"Baselines: the stylesheet opened in the browser {timings['chart baseline'] * 1000:.1f} ms,"
        f" fetched alone {timings['static baseline'] * 1000:.1f} ms (medians)"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    seconds = parser.parse_args().seconds
    random.seed(7)
    metric_ids = [m.id for m in load_catalogue().metrics if m.chart == "xmr"]
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        console.print("Building the demo workspace…")
        run_demo(home)
        port = _free_port()
        started = time.perf_counter()
        server = _start_server(home, port)
        try:
            ready = _ready(f"http://127.0.0.1:{port}") - started
            dimensions = list(load_catalogue().dimensions)
            first = _first_views(f"http://127.0.0.1:{port}", metric_ids, dimensions)
            table = _first_view_table(first)
            table.caption += f"; the server ready (/healthz) {ready:.1f} s after it was started"
            console.print(table)  # before the load, so a failure there keeps it
            results = {
                think: asyncio.run(_load(f"http://127.0.0.1:{port}", metric_ids, seconds, think))
                for think in (True, False)
            }
        finally:
            server.terminate()
            server.wait()
    for think, timings in results.items():
        shape = "reading 0.5–1.5 s between pages" if think else "no pause (saturation)"
        table = Table(title=f"{USERS} users, {shape}, {seconds:.0f} s: milliseconds")
        for column in ("page", "requests", "per second", "p50", "p95", "p95 ÷ baseline p95"):
            table.add_column(column, justify="right" if column != "page" else "left")
        baseline = np.percentile(timings["static CSS (baseline)"], 95)
        for kind, values in timings.items():
            p50, p95 = np.percentile(values, [50, 95]) * 1000
            table.add_row(
                kind,
                str(len(values)),
                f"{len(values) / seconds:.0f}",
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{p95 / 1000 / baseline:.1f}×",
            )
        console.print(table)
    console.print(
        "Goal: p95 under 100 ms for the overview, metric pages and drill-downs with users reading"
        " between pages, and no errors."
    )


if __name__ == "__main__":
    main()
