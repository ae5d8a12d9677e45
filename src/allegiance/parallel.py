"""Threads for the models' batched kernels: how many, and one helper that maps a function over
independent chunks of a batch.

The models' NumPy loops and their compiled (Numba ``nogil``) kernels release the GIL, so chunks
of a batch run in parallel in threads of one process. How many: ``ALLEGIANCE_THREADS`` when set,
else the usable cores (at most 4), and 1 inside a worker process of a pool (process pools and
Dask workers already use every core, see :mod:`allegiance.uncertainty.executors`). Used by the
models (BDM, SMP); it imports nothing of the models or of the uncertainty layer.

Example
-------
>>> thread_map(lambda chunk: sum(chunk), [[1, 2], [3, 4]], workers=2)
[3, 7]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: the environment variable that sets the number of threads
THREADS_VARIABLE = "ALLEGIANCE_THREADS"


def default_threads() -> int:
    """Threads for large batches: ``ALLEGIANCE_THREADS``, else the usable cores (at most 4); 1 in
    a worker process of a pool."""
    import multiprocessing

    requested = os.environ.get(THREADS_VARIABLE, "").strip()
    if requested.isdigit() and int(requested) > 0:
        return int(requested)
    if multiprocessing.parent_process() is not None:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


#: Threads used for large batches (chunks of a batch are independent); set it to change them.
THREADS = default_threads()


def thread_map(function: Callable[[Any], Any], items: Sequence[Any],
               workers: int | None = None) -> list[Any]:
    """``[function(item) for item in items]``, in ``workers`` threads (default :data:`THREADS`)
    when there are several items; results in the order of ``items``."""
    workers = min(THREADS if workers is None else int(workers), len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
