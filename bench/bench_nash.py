"""Benchmark of the Nash bargaining solution: actors x issues x batch, per issue and joint,
batched Newton/bisection against the SciPy cross-check.

Usage: .venv/bin/python bench/bench_nash.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from allegiance.models.nash import NashBargainingModel  # noqa: E402
from allegiance.scenario.arrays import ScenarioArrays  # noqa: E402


def scenario(n_actors: int, n_issues: int, batch: int, seed: int = 0) -> ScenarioArrays:
    rng = np.random.default_rng(seed)
    shape = (batch, n_actors, n_issues) if batch > 1 else (n_actors, n_issues)
    return ScenarioArrays(
        tuple(f"a{i}" for i in range(n_actors)), tuple(f"k{k}" for k in range(n_issues)),
        position=rng.uniform(0, 100, shape), salience=rng.uniform(0.1, 1, shape),
        capability=rng.uniform(0.5, 3, shape),
        scale_low=np.zeros(n_issues), scale_high=np.full(n_issues, 100.0),
        status_quo=np.where(np.arange(n_issues) % 2 == 0, np.nan, 10.0),
    )


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    header = (f"{'actors':>6} {'issues':>6} {'batch':>6} {'mode':>9} {'newton s':>9} "
              f"{'scipy s':>9} {'max |diff|':>10}")
    print(header)
    print("-" * len(header))
    NashBargainingModel(solver="scipy").run(scenario(3, 2, 1))  # import scipy.optimize once
    for n_actors, n_issues, batch in [(15, 13, 1), (200, 20, 1), (500, 20, 1), (1000, 10, 1),
                                      (200, 20, 100)]:
        arrays = scenario(n_actors, n_issues, batch)
        for joint in (False, True):
            fast_model = NashBargainingModel(joint=joint)
            slow_model = NashBargainingModel(joint=joint, solver="scipy")
            fast = best_of(lambda m=fast_model, a=arrays: m.run(a))
            if batch == 1 and n_actors <= 500:
                slow = best_of(lambda m=slow_model, a=arrays: m.run(a), 1)
                diff = np.abs(fast_model.run(arrays).outcome - slow_model.run(arrays).outcome).max()
                slow_text, diff_text = f"{slow:9.3f}", f"{diff:10.2e}"
            else:
                slow_text, diff_text = f"{'-':>9}", f"{'-':>10}"
            mode = "joint" if joint else "per-issue"
            print(f"{n_actors:>6} {n_issues:>6} {batch:>6} {mode:>9} {fast:9.4f} {slow_text} "
                  f"{diff_text}")


if __name__ == "__main__":
    main()
