"""Reading large inputs: Python's cyclic garbage collector paused while a reader builds data.

A reader builds tens of thousands of small objects (values, locations, models, problems) that
form no reference cycles, so reference counting frees them all; the cyclic collector's repeated
passes over them only cost time (about a third of validating the largest files the limits allow).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (nesting is safe); it runs again after.

    >>> with collector_paused():
    ...     gc.isenabled()
    False
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
