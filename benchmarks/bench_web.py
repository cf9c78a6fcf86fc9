"""The web workspace under load: 50 signed-in users on the overview, metric pages and drill-downs
(loopback; each drill-down view writes an audit event).

Run: make bench-web   (or .venv/bin/python benchmarks/bench_web.py [--seconds 20])
Goal (issues 7 and 22): p95 under 100 ms on the demo data, drill-downs included, with no errors.

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
PASSWORD = "benchmark password"
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
        except httpx.RemoteProtocolError:  # a kept-alive connection the server closed as we sent: resend
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
        server = _start_server(home, port)
        try:
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
