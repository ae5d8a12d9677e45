"""Where the chunks of a Monte Carlo run are computed: in this process, in local processes, or on
a Dask distributed cluster.

Every executor has one method, :meth:`Executor.imap`, which applies ``function(task, start, stop)``
to ranges of draw indices and yields the results *in the order of the ranges*, keeping at most a
few chunks in flight so that a caller may stop early (``--until-se``). Because each chunk's random
numbers depend only on the seed and the draw indices (see :mod:`allegiance.uncertainty.sampling`),
every executor returns the same numbers for the same seed.

- :class:`LocalExecutor` (``local``): one chunk after another in this process; the model runs each
  chunk through its batch axis (vectorised).
- :class:`ProcessExecutor` (``processes``): a pool of ``workers`` local processes.
- :class:`DaskExecutor` (``dask``): a Dask ``distributed`` cluster, either an existing scheduler
  (``scheduler="tcp://host:8786"``) or a ``LocalCluster`` of ``workers`` workers started here
  (loopback only, no dashboard). The task (scenario sampler and model) is scattered to the workers
  once; each chunk is then a small ``(start, stop)`` message.

Example
-------
>>> def square_range(task, start, stop):
...     return [task * i * i for i in range(start, stop)]
>>> with LocalExecutor() as executor:
...     list(executor.imap(square_range, 1, [(0, 2), (2, 4)]))
[[0, 1], [4, 9]]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

EXECUTORS = ("local", "processes", "dask")
#: The scheduler always serves HTTP (health, metrics); keep it on loopback, on a free port.
LOOPBACK_HTTP = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


class Executor:
    """Base class: ``imap`` + context manager. ``workers`` is the parallelism used."""

    name = "base"
    workers = 1

    def imap(self, function: Callable[[Any, int, int], Any], task: Any,
             ranges: Iterable[tuple[int, int]]) -> Iterator[Any]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "workers": self.workers}

    def close(self) -> None:
        """Release workers (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """Compute each chunk in this process, in order."""

    name = "local"

    def imap(self, function, task, ranges):
        for start, stop in ranges:
            yield function(task, start, stop)


# ---------------------------------------------------------------------- local processes
_PROCESS_TASK: Any = None


def follow_parent() -> None:
    """Make this worker process a dependant of the process that started it: Ctrl-C at the
    terminal is the parent's to handle (it stops the pool), and the worker is ended when the
    parent dies, even by SIGKILL (Linux's parent-death signal; elsewhere only the first part)."""
    import signal
    import sys
    import threading

    if threading.current_thread() is not threading.main_thread():
        return  # a thread of this process, not a process of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes
        import os

        pr_set_pdeathsig = 1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            return
        if os.getppid() == 1:  # the parent died before the signal was armed
            os._exit(1)


def _install_task(task: Any) -> None:
    global _PROCESS_TASK
    follow_parent()
    _PROCESS_TASK = task


def _run_installed(function: Callable[[Any, int, int], Any], start: int, stop: int) -> Any:
    return function(_PROCESS_TASK, start, stop)


def _windowed(submit: Callable[[int, int], Any], result: Callable[[Any], Any],
              cancel: Callable[[Any], None], ranges: Iterable[tuple[int, int]],
              window: int) -> Iterator[Any]:
    """Submit up to ``window`` ranges ahead, yield results in order, cancel leftovers on exit."""
    pending: deque[Any] = deque()
    iterator = iter(ranges)
    try:
        for start, stop in iterator:
            pending.append(submit(start, stop))
            if len(pending) >= window:
                yield result(pending.popleft())
        while pending:
            yield result(pending.popleft())
    finally:
        for future in pending:
            cancel(future)


class ProcessExecutor(Executor):
    """Compute chunks in a pool of ``workers`` local processes (spawned, so thread-safe)."""

    name = "processes"

    def __init__(self, workers: int = 2) -> None:
        if int(workers) < 1:
            raise ValueError(f"workers must be >= 1; got {workers}")
        self.workers = int(workers)
        self._pool = None

    def imap(self, function, task, ranges):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.close()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_install_task, initargs=(task,))
        pool = self._pool
        yield from _windowed(lambda a, b: pool.submit(_run_installed, function, a, b),
                             lambda f: f.result(), lambda f: f.cancel(), ranges,
                             2 * self.workers)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# ---------------------------------------------------------------------- Dask distributed
class DaskExecutor(Executor):
    """Compute chunks on a Dask distributed cluster.

    Parameters
    ----------
    scheduler:
        Address of a running scheduler (``"tcp://host:8786"``); None starts a ``LocalCluster``.
    workers:
        Workers of the ``LocalCluster`` (ignored with ``scheduler``; then the cluster's own).
    processes:
        ``LocalCluster`` workers as processes (default) or as threads of this process.
    client:
        An existing ``distributed.Client`` to use (not closed by this executor).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int = 2, processes: bool = True,
                 client: Any = None) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
            raise RuntimeError("the dask executor needs dask[distributed] installed") from exc
        if int(workers) < 1:
            raise ValueError(f"workers must be >= 1; got {workers}")
        self.scheduler = scheduler
        self.requested_workers = int(workers)
        self.processes = processes
        self._client = client
        self._own_client = client is None
        self._cluster = None

    @property
    def client(self):
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler:
                self._client = Client(self.scheduler)
            else:
                # processes listen on loopback only; thread workers talk in-process (inproc://)
                network = {"host": "127.0.0.1"} if self.processes else {}
                self._cluster = LocalCluster(
                    n_workers=self.requested_workers, threads_per_worker=1,
                    processes=self.processes, dashboard_address=None,
                    scheduler_kwargs=LOOPBACK_HTTP, **network)
                self._client = Client(self._cluster)
        return self._client

    @property
    def workers(self) -> int:  # type: ignore[override]
        if self._client is None and not self.scheduler:
            return self.requested_workers
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def imap(self, function, task, ranges):
        client = self.client
        if self._cluster is not None and self.processes:  # worker processes started here
            client.run(follow_parent)
            client.run(follow_parent, nanny=True)
        shipped = client.scatter(task, broadcast=True)
        yield from _windowed(
            lambda a, b: client.submit(function, shipped, a, b, pure=False),
            lambda f: f.result(), lambda f: f.cancel(), ranges, 2 * self.workers + 1)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "workers": self.workers,
                "scheduler": self.scheduler or "LocalCluster"}

    def __exit__(self, kind: type | None, *exc: object) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            import logging

            # an interrupted run shuts the cluster down mid-task: its log lines say nothing new
            for name in ("distributed", "tornado", "asyncio"):
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        self.close()

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(name: str = "local", *, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """An executor by name: ``local``, ``processes`` or ``dask``."""
    key = (name or "local").lower()
    if key not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; use one of {', '.join(EXECUTORS)}")
    if scheduler and key != "dask":
        raise ValueError("--scheduler needs --executor dask")
    if key == "local":
        if workers not in (None, 1):
            raise ValueError("the local executor uses one process; use --executor processes "
                             "or dask for several workers")
        return LocalExecutor()
    if key == "processes":
        return ProcessExecutor(workers or 2)
    return DaskExecutor(scheduler=scheduler, workers=workers or 2)
