"""How fast the machine is while a benchmark runs, printed with its figures.

Process figures (``allegiance forecast ...`` as a whole) depend on the machine's state as much as
on the code: the same command can take half as long again on a busy or throttled machine. The
benchmarks print two reference figures taken in the same run: a fixed pure-Python loop, and the
whole process of a trivial forecast (the static ``mean`` model), which is Python's start-up plus
Allegiance's imports, reading the input and writing the output.
"""

from __future__ import annotations

import subprocess
import time


def best_of(repeat: int, function) -> float:
    """Best wall seconds of ``repeat`` calls of ``function``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def python_loop_seconds() -> float:
    """Seconds for 10⁷ pure-Python additions (best of 3)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best


def process_seconds(command: list[str], repeat: int = 5) -> tuple[float, float]:
    """Best and median wall seconds of running ``command`` (after one unmeasured run)."""
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0], times[len(times) // 2]


def report(baseline_command: list[str]) -> str:
    """One line: the pure-Python loop and the trivial forecast's whole process (best of 5)."""
    loop = python_loop_seconds()
    best, median = process_seconds(baseline_command)
    return (f"machine check: 10⁷ pure-Python additions {loop:.2f} s; whole process of a trivial "
            f"forecast (`--model mean`, same input) best {best:.2f} s, median {median:.2f} s")
