"""Rotas built and re-planned in the background: one job at a time per workspace (CP-SAT uses every
core), in a thread (the solver lets go of the interpreter while it searches), with how far into its
time it has gone for the page's poll.

A job is a function returning the slug of the rota it kept; ``finished(job)`` is told of every job's
end (the audit log). This is the pattern of ``report_jobs`` (ADR 0026), smaller: no worker process,
since the work is the solver's, not the interpreter's.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from stocktake.rota.solver import EXPLAINING

RUNNING, DONE, FAILED = "running", "done", "failed"
SOLVING, SAVING = "Searching for the best rota (CP-SAT)", "Checking the rota and saving it"


@dataclass(frozen=True)
class RotaJob:
    id: int
    kind: str  # "build" or "replan"
    title: str  # what the page calls it: the rota's name, and the absence for a re-plan
    requested_by: str
    user_id: int
    started_at: datetime
    seconds_allowed: float
    began: float  # time.perf_counter() at the start
    state: str = RUNNING
    phase: str = SOLVING
    slug: str = ""  # the rota kept, when done
    detail: str = ""  # what a finished job did, in a few words (the audit log's detail)
    error: str = ""
    seconds: float | None = None

    @property
    def elapsed(self) -> float:
        return self.seconds if self.seconds is not None else time.perf_counter() - self.began

    @property
    def percent(self) -> int:
        """How much of its time the search has used (the solver stops at its limit, or sooner)."""
        if self.state != RUNNING:
            return 100
        return min(int(100 * self.elapsed / max(self.seconds_allowed, 1e-9)), 99)

    @property
    def explaining(self) -> bool:
        """No rota meets every rule, and the solver is finding which rules conflict: nothing is saved."""
        return self.phase == EXPLAINING

    @property
    def overtime(self) -> bool:
        """Past the time the search was given: checking, saving or explaining a conflict go on."""
        return self.state == RUNNING and self.elapsed > self.seconds_allowed

    @property
    def version(self) -> str:
        """Changes whenever what the page shows changes (the page asks every second): the percent, the
        phase (which stays at 99% once the time is used: "finding which rules conflict" must still be
        shown) and, past the time allowed, the whole seconds the label counts. Letters, digits and
        dashes only, for the poll's address."""
        phase = zlib.crc32(self.phase.encode())
        seconds = f"-{int(self.elapsed)}" if self.overtime else ""
        return f"{self.id}-{self.state}-{self.percent}-{phase:x}{seconds}"


class Busy(Exception):
    def __init__(self, running: RotaJob):
        super().__init__(f"{running.title} is being worked on; try again when it is done.")
        self.running = running


class RotaJobs:
    def __init__(self, finished: Callable[[RotaJob], None] = lambda job: None):
        self._finished = finished
        self._lock = threading.Lock()
        self._job: RotaJob | None = None
        self._done = threading.Event()

    def current(self) -> RotaJob | None:
        """The job running, or the last one to finish (since the server started)."""
        return self._job

    def start(
        self,
        work: Callable[[Callable[[str], None]], tuple[str, str]],
        *,
        kind: str,
        title: str,
        seconds: float,
        by: str,
        user_id: int,
        slug: str = "",
    ) -> RotaJob:
        """Run ``work(phase)`` (it returns the slug kept and what it did; it may call ``phase(words)``);
        ``slug``: the rota a re-plan changes, so that its page shows the job."""
        with self._lock:
            if self._job is not None and self._job.state == RUNNING:
                raise Busy(self._job)
            number = self._job.id + 1 if self._job else 1
            job = RotaJob(
                number, kind, title, by, user_id, datetime.now(UTC), seconds, time.perf_counter(), slug=slug
            )
            self._job = job
            self._done.clear()
        threading.Thread(target=self._run, args=(job, work), name=f"rota-{number}", daemon=True).start()
        return job

    def wait(self, timeout: float | None = None) -> RotaJob | None:
        self._done.wait(timeout)
        return self._job

    def _set(self, **changes) -> RotaJob:
        with self._lock:
            self._job = dataclasses.replace(self._job, **changes)
            return self._job

    def _run(self, job: RotaJob, work) -> None:
        try:
            slug, detail = work(lambda words: self._set(phase=words))
            job = self._set(state=DONE, slug=slug, detail=detail, seconds=time.perf_counter() - job.began)
        except Exception as error:  # shown on the page and logged: never swallowed
            reason = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
            job = self._set(state=FAILED, error=reason[:2000], seconds=time.perf_counter() - job.began)
        finally:
            try:
                self._finished(job)
            finally:
                self._done.set()
