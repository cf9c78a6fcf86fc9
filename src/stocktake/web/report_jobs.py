"""The board report built in the background: one job at a time per workspace, with its steps, and
the last report built for each choice of period and site kept on disk to download.

The stock-take is computed in the server (its series are cached there); the HTML, PDF and Excel are
rendered in a worker process, so that a minute of WeasyPrint does not hold the server's
interpreter while others use the workspace (see ADR 0026).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stocktake.report.run import FORMATS, write_stocktake
from stocktake.verdicts import StockTake

#: The steps of a build, in order, and what the page calls them.
STEPS = {
    "stocktake": "Computing the stock-take",
    "html": "Interactive HTML",
    "pdf": "PDF for board papers",
    "xlsx": "Excel workbook",
}
WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"


@dataclass(frozen=True)
class ReportOptions:
    """What a board report covers: up to the end of ``period`` (YYYY-MM; None: the latest month)
    and one ``site`` (None: the whole department)."""

    period: str | None = None
    site: str | None = None

    @property
    def key(self) -> str:
        """The name of the folder its last build is kept in (a site's name is never a path)."""
        return hashlib.sha256(json.dumps([self.period, self.site]).encode()).hexdigest()[:16]

    def describe(self) -> str:
        month = datetime.strptime(self.period, "%Y-%m").strftime("%B %Y") if self.period else "latest month"
        return f"to {month}, {self.site or 'all sites'}"


@dataclass(frozen=True)
class Step:
    name: str
    state: str = WAITING
    seconds: float | None = None

    @property
    def label(self) -> str:
        return STEPS[self.name]


@dataclass(frozen=True)
class ReportJob:
    """One build as the page shows it: who asked, when, for what, and how far it has gone."""

    id: int
    options: ReportOptions
    requested_by: str
    user_id: int
    started_at: datetime
    steps: tuple[Step, ...] = tuple(Step(name) for name in STEPS)
    state: str = RUNNING
    error: str = ""
    seconds: float | None = None

    @property
    def version(self) -> str:
        """Changes whenever what the page shows of the job changes (the page asks every second)."""
        return f"{self.id}-{self.state}-" + "".join(s.state[0] for s in self.steps)

    @property
    def step_now(self) -> int:
        """1-based number of the step under way (or the last one, when finished)."""
        return next((i for i, s in enumerate(self.steps, 1) if s.state == RUNNING), len(self.steps))


@dataclass(frozen=True)
class BuiltReport:
    """The last report built for one set of options, as kept on disk."""

    options: ReportOptions
    built_at: datetime
    built_by: str
    seconds: float
    folder: Path

    def file(self, fmt: str) -> Path:
        return self.folder / f"stocktake.{fmt}"


class Busy(Exception):
    """Another report (other options) is being built: one at a time per workspace."""

    def __init__(self, running: ReportJob):
        super().__init__(f"A report {running.options.describe()} is being built; try again when it is done.")
        self.running = running


class ReportJobs:
    """The workspace's report builds: ``start`` one (or join the one running), read ``current``,
    list what is ``built``. ``stocktake(options)`` computes the stock-take; ``finished(job)`` is
    told of every job's end (the audit log)."""

    def __init__(
        self,
        folder: Path,
        stocktake: Callable[[ReportOptions], StockTake],
        finished: Callable[[ReportJob], None] = lambda job: None,
    ):
        self.folder = Path(folder)
        self._stocktake, self._finished = stocktake, finished
        self._lock = threading.Lock()
        self._job: ReportJob | None = None
        self._done = threading.Event()

    def current(self) -> ReportJob | None:
        """The job running, or the last one to finish (since the server started)."""
        return self._job

    def start(self, options: ReportOptions, *, by: str, user_id: int) -> tuple[ReportJob, bool]:
        """A new job, or the running one for the same options (``True``: joined it)."""
        with self._lock:
            running = self._job if self._job and self._job.state == RUNNING else None
            if running is not None:
                if running.options != options:
                    raise Busy(running)
                return running, True
            number = self._job.id + 1 if self._job else 1
            job = self._job = ReportJob(number, options, by, user_id, datetime.now(UTC))
            self._done.clear()
        # ``job`` as started: a build that fails at once replaces ``self._job`` before this returns
        threading.Thread(target=self._run, args=(job,), name=f"report-{number}", daemon=True).start()
        return job, False

    def wait(self, timeout: float | None = None) -> ReportJob | None:
        """Until the running job ends (tests, and the command line if it ever runs one)."""
        self._done.wait(timeout)
        return self._job

    def built(self) -> list[BuiltReport]:
        """Every kept report, the newest first."""
        found = [self.kept(folder.name) for folder in self.folder.glob("*/") if folder.is_dir()]
        return sorted((b for b in found if b is not None), key=lambda b: b.built_at, reverse=True)

    def kept(self, key: str) -> BuiltReport | None:
        folder = self.folder / key
        try:
            about = json.loads((folder / "about.json").read_text())
        except (OSError, ValueError):
            return None
        return BuiltReport(
            ReportOptions(about["period"], about["site"]),
            datetime.fromisoformat(about["built_at"]),
            about["built_by"],
            about["seconds"],
            folder,
        )

    def read(self, key: str, fmt: str) -> tuple[BuiltReport, bytes] | None:
        """A kept file's bytes, read under the lock a finished build swaps its folder in under."""
        with self._lock:
            built = self.kept(key) if fmt in FORMATS and key.isalnum() else None
            return (built, built.file(fmt).read_bytes()) if built else None

    # The build

    def _step(self, job: ReportJob, name: str, state: str, seconds: float | None = None) -> ReportJob:
        steps = tuple(Step(name, state, seconds) if s.name == name else s for s in job.steps)
        return self._set(dataclasses.replace(job, steps=steps))

    def _set(self, job: ReportJob) -> ReportJob:
        with self._lock:
            self._job = job
        return job

    def _run(self, job: ReportJob) -> None:
        began = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=".building-", dir=self.folder))
        try:
            stocktake = None
            for name in STEPS:
                job = self._step(job, name, RUNNING)
                start = time.perf_counter()
                if name == "stocktake":
                    stocktake = self._stocktake(job.options)
                else:
                    _renderer().submit(write_stocktake, stocktake, out, (name,)).result()
                job = self._step(job, name, DONE, time.perf_counter() - start)
            seconds = time.perf_counter() - began
            self._keep(job, out, seconds)
            job = self._set(dataclasses.replace(job, state=DONE, seconds=seconds))
        except Exception as error:  # shown on the page and logged: never swallowed
            if isinstance(error, BrokenProcessPool):
                _forget_renderer()  # the worker died (out of memory?): the next build starts another
            running = next((s.name for s in job.steps if s.state == RUNNING), "stocktake")
            job = self._step(job, running, FAILED)
            reason = f"{STEPS[running]}: {type(error).__name__}: {error}"[:500]
            job = self._set(dataclasses.replace(job, state=FAILED, error=reason))
            shutil.rmtree(out, ignore_errors=True)
        finally:
            try:
                self._finished(job)
            finally:
                self._done.set()

    def _keep(self, job: ReportJob, out: Path, seconds: float) -> None:
        """The new files replace the last ones for these options only once all are written."""
        about = {
            "period": job.options.period,
            "site": job.options.site,
            "built_at": datetime.now(UTC).isoformat(),
            "built_by": job.requested_by,
            "seconds": round(seconds, 1),
        }
        (out / "about.json").write_text(json.dumps(about))
        final, old = self.folder / job.options.key, self.folder / f".old-{job.options.key}-{job.id}"
        with self._lock:
            if final.exists():
                final.rename(old)
            out.rename(final)
        shutil.rmtree(old, ignore_errors=True)


_RENDERER: ProcessPoolExecutor | None = None
_RENDERER_LOCK = threading.Lock()


def _renderer() -> ProcessPoolExecutor:
    """One worker process for the renderers, started on first use and kept (imports take seconds);
    spawned, not forked: the server has threads (a fork copies their held locks)."""
    global _RENDERER
    with _RENDERER_LOCK:
        if _RENDERER is None:
            _RENDERER = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return _RENDERER


def _forget_renderer() -> None:
    global _RENDERER
    with _RENDERER_LOCK:
        _RENDERER = None


class DownloadTurns:
    """Reports built while their download waits: one at a time, a few queued behind it, the rest
    refused at once. Six PDFs at once (7 s each) had held both cores and the workspace's lock for a
    minute; refusing every second one refused a director's Excel asked just after their PDF."""

    def __init__(self, queued: int = 2, wait_seconds: float = 90.0) -> None:
        self._admitted = threading.BoundedSemaphore(1 + queued)
        self._building = threading.Lock()
        self.wait_seconds = wait_seconds

    def take(self) -> bool:
        """This request's turn to build (True), after waiting for those before it; False if too many
        are already waiting or the wait ran out. Give a turn taken back with :meth:`give_back`."""
        if not self._admitted.acquire(blocking=False):
            return False
        if self._building.acquire(timeout=self.wait_seconds):
            return True
        self._admitted.release()
        return False

    def give_back(self) -> None:
        self._building.release()
        self._admitted.release()
