"""Background analyses for the web app: a pool of worker processes that take queued runs.

A run is created ``queued`` in the store by the request that asks for it; a worker process takes
it (``running``), computes it with :func:`allegiance.service.run_analysis` — the same code as the
command line, so the stored result is exactly the CLI's JSON — writes its progress to the store as
it goes and finishes the row (``done`` or ``failed``). Cancelling marks the run ``interrupted``: a
queued run is never started, a running one stops at its next progress report.

Each user may have at most ``per_user`` runs queued or running at once, so that one user cannot
starve the others; the pool's size is ``serve --workers``.

Example
-------
>>> pool = JobPool("sqlite://", workers=1, per_user=2)   # doctest: +SKIP
>>> pool.submit(run_id, owner="ada", request={...})       # doctest: +SKIP
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("allegiance.web")

#: seconds between two progress writes of one run (and cancellation checks)
PROGRESS_EVERY = 0.4


class TooManyJobs(Exception):
    """The user already has as many runs in progress as allowed."""


class Cancelled(Exception):
    """Raised inside a worker when its run was cancelled."""


def _warm() -> bool:
    """Import the analysis code once in a fresh worker, so the first run is not slower."""
    import allegiance.service  # noqa: F401
    import allegiance.store  # noqa: F401

    return True


def _fraction(args: tuple) -> float | None:
    """Progress callbacks give ``(fraction)`` or ``(done, total)``."""
    try:
        if len(args) >= 2 and args[1]:
            return max(0.0, min(1.0, float(args[0]) / float(args[1])))
        if len(args) == 1:
            return max(0.0, min(1.0, float(args[0])))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return None


def execute_run(db_url: str | None, run_id: Any, request: dict[str, Any]) -> str:
    """Compute one stored run in this (worker) process; returns its final status."""
    from allegiance.service import run_analysis
    from allegiance.store import open_store

    store = open_store(db_url)
    row = store.get_run(run_id, result=False)
    if row is None or row.status != "queued":  # cancelled (or deleted) before it started
        return "interrupted"
    store.start_run(run_id)
    last = [0.0]

    def progress(*args: Any) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        row = store.get_run(run_id, result=False)
        if row is None or row.status == "interrupted":
            raise Cancelled()
        fraction = _fraction(args)
        if fraction is not None:
            store.set_progress(run_id, fraction)

    try:
        version = store.get_scenario_version(request["scenario_hash"])
        if version.kind == "dataset":
            from allegiance.service import Dataset

            source = Dataset(version.document, version.source_name)
        else:
            source = version.scenario()
        result = run_analysis(
            request["kind"], source, model=request["model"] or None, params=request["params"],
            options=request["options"], seed=request["seed"], as_of=request["as_of"],
            variant=request["variant"], progress=progress)
    except Cancelled:
        return "interrupted"
    except Exception as exc:  # every failure is recorded on the run, never raised to a page
        store.fail_run(run_id, _message(exc))
        return "failed"
    row = store.get_run(run_id, result=False)
    if row is None or row.status == "interrupted":  # cancelled while finishing
        return "interrupted"
    store.finish_run(run_id, result)
    return "done"


def _message(exc: BaseException) -> str:
    from allegiance.models.base import ParameterError
    from allegiance.scenario.model import ScenarioInvalid

    if isinstance(exc, ScenarioInvalid):
        return "; ".join(p.described() for p in exc.errors) or str(exc)
    if isinstance(exc, ParameterError | ValueError | KeyError):
        return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return f"the analysis failed ({type(exc).__name__}: {exc})"


class JobPool:
    """The worker processes and the runs each user has in flight."""

    def __init__(self, db_url: str | None, workers: int = 2, per_user: int = 3):
        self.db_url = db_url
        self.workers = max(1, int(workers))
        self.per_user = per_user
        self._lock = threading.Lock()
        self._futures: dict[Any, Future] = {}
        self._owners: dict[Any, str] = {}
        self._store = None
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(max_workers=self.workers,
                                       mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.workers):
            executor.submit(_warm)
        return executor

    def _ended(self, run_id: Any, future: Future) -> None:
        """A run whose worker process died (or that could not start) is recorded as failed."""
        if future.cancelled() or future.exception() is None:
            return
        from allegiance.store import open_store

        try:
            if self._store is None:
                self._store = open_store(self.db_url)
            row = self._store.get_run(run_id, result=False)
            if row is not None and row.status in ("queued", "running"):
                self._store.fail_run(run_id, "the worker process computing this run stopped "
                                     f"({type(future.exception()).__name__}); run it again")
        except Exception:  # the server goes on; the run shows as interrupted later
            log.exception("could not record the end of run %s", run_id)

    def in_flight(self, owner: str) -> int:
        with self._lock:
            return sum(1 for run_id, who in self._owners.items()
                       if who == owner and not self._futures[run_id].done())

    def check_limit(self, owner: str) -> None:
        if self.in_flight(owner) >= self.per_user:
            raise TooManyJobs(f"you already have {self.per_user} analyses queued or running; "
                              "wait for one to finish or cancel one")

    def submit(self, run_id: Any, owner: str, request: dict[str, Any]) -> None:
        try:
            future = self._executor.submit(execute_run, self.db_url, run_id, request)
        except BrokenProcessPool:  # a worker died earlier: start a fresh pool
            self._executor = self._new_executor()
            future = self._executor.submit(execute_run, self.db_url, run_id, request)
        future.add_done_callback(lambda done: self._ended(run_id, done))
        with self._lock:
            self._futures = {k: f for k, f in self._futures.items() if not f.done()}
            self._owners = {k: o for k, o in self._owners.items() if k in self._futures}
            self._futures[run_id] = future
            self._owners[run_id] = owner

    def cancel(self, run_id: Any) -> None:
        """Stop a run: a queued one never starts (the caller marks it interrupted)."""
        with self._lock:
            future = self._futures.get(run_id)
        if future is not None:
            future.cancel()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
