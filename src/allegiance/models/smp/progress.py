"""Where long SMP runs report their progress (without loading the compiled engine).

Inside ``with reporting(callback):`` every run of the compiled engine that is played in blocks
(:mod:`allegiance.models.smp.stepwise`, single runs of many actors) calls ``callback(turn,
max_turns, done)`` after each block: ``turn`` is the number of turns finished, ``done`` the
share of the current turn's work done (0–1). The command line draws it as a bar on standard
error (``allegiance forecast --model smp``).

>>> seen = []
>>> with reporting(lambda *a: seen.append(a)):
...     PROGRESS.get()(1, 100, 0.5)
>>> seen, PROGRESS.get() is None
([(1, 100, 0.5)], True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Progress = Callable[[int, int, float], None]
PROGRESS: ContextVar[Progress | None] = ContextVar("smp_progress", default=None)


@contextmanager
def reporting(callback: Progress | None) -> Iterator[None]:
    """Report the progress of every stepwise SMP run inside the block to ``callback``."""
    token = PROGRESS.set(callback)
    try:
        yield
    finally:
        PROGRESS.reset(token)
