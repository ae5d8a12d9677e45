"""Time ``allegiance.levers`` on syria-2014 for the ``local`` coalition (targets: ``mean`` ≤ 2 s,
``bdm`` ≤ 20 s on the 2-core development machine).

Each row is the whole analysis as a caller sees it — loading the scenario, the exact winning
programme, the batched search inside the ranges and (when nothing is found there) beyond them,
and the re-check of every listed solution by the coalition layer — best and median of
``REPEATS`` runs after one unmeasured run (which also compiles or loads the BDM kernels). It also
prints the answer's shape (changes, cost, candidate scenarios evaluated) and the machine check of
:mod:`machine`.

Run: ``python bench/bench_levers.py``
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from machine import python_loop_seconds  # noqa: E402

import allegiance  # noqa: E402

CASES = (
    ("mean", {}, 2.0),
    ("mean", {"levers": "alawi-doubts,us-train-equip"}, 2.0),
    ("bdm", {}, 20.0),
    ("bdm", {"levers": "alawi-doubts,us-train-equip"}, 20.0),
)
REPEATS = 3


def main() -> None:
    print(f"machine check: 10^7 Python additions {python_loop_seconds():.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| model | levers | best (s) | median (s) | target | candidates | answer |")
    print("| --- | --- | ---: | ---: | --- | ---: | --- |")
    for model, options, target in CASES:
        allegiance.levers("syria-2014", "local", model=model, **options)  # warm-up
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            result = allegiance.levers("syria-2014", "local", model=model, **options)
            times.append(time.perf_counter() - start)
        answer = result.solution or result.outside
        shape = ("none found" if answer is None else
                 f"{answer.count} change(s), cost {answer.cost:.2f}"
                 + ("" if answer.inside_ranges else " beyond the ranges"))
        best, median = min(times), statistics.median(times)
        verdict = "met" if best <= target else "NOT met"
        print(f"| {model} | {options.get('levers', 'all')} | {best:.2f} | {median:.2f} | "
              f"≤ {target:g} s ({verdict}) | {result.evaluations:,} | {shape} |")


if __name__ == "__main__":
    main()
