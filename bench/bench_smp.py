"""Benchmark of the Spatial Model of Politics ("smp").

Prints a table of model times (in process, after import; median of 3) with the compiled engine
(after a warm-up run that loads its kernels) and the NumPy engine for KTAB's inputs
dummyData_6Dim (27 actors, 6 issues) and dummyData-a040 (40 actors, 1 issue) and a generated
80-actor input "a080"; the whole ``allegiance forecast`` process on a080; and a scaling table
(one turn, n = 10 … 1,000, both engines).

a080 is not shipped with KTAB; it is generated the way a040 looks: influence uniform in
[0.40, 1.75], position uniform in [40, 80], salience uniform in [25, 78] (percent), two decimals,
NumPy seed 80. Larger n use the same generator (3 issues: saliences divided by 3 so that each
actor's saliences sum to at most 1).

Usage: ``python bench/bench_smp.py [--quick]`` (``--quick`` stops the scaling table at 320).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import process_seconds, report

REPO = Path(__file__).resolve().parents[1]
KTAB = REPO.parent / "shared" / "reference" / "ktab"


def synthetic(n: int, issues: int = 1, seed: int | None = None):
    from allegiance.scenario.arrays import ScenarioArrays

    rng = np.random.default_rng(n if seed is None else seed)
    cap = rng.uniform(0.40, 1.75, n).round(2)
    pos = rng.uniform(40, 80, (n, issues)).round(2)
    sal = rng.uniform(25, 78, (n, issues)).round(2) / 100.0 / issues
    return ScenarioArrays(
        actor_ids=tuple(f"Act-{1001 + i}" for i in range(n)),
        issue_ids=tuple(f"dim{d}" for d in range(issues)), position=pos, salience=sal,
        capability=np.repeat(cap[:, None], issues, axis=1), scale_low=np.zeros(issues),
        scale_high=np.full(issues, 100.0))


def write_ktab_csv(arrays, path: Path) -> None:
    n, issues = arrays.n_actors, arrays.n_issues
    lines = [f"XYZ, generated like dummyData-a040, {n}, {issues},",
             "Actor, Description, Influence, "
             + ", ".join(f"D{d} Position, D{d} Salience" for d in range(issues))]
    for i, actor in enumerate(arrays.actor_ids):
        cells = [actor, f"Desc-{actor}", f"{arrays.capability[i, 0]:.2f}"]
        for d in range(issues):
            cells += [f"{arrays.position[i, d]:.2f}", f"{arrays.salience[i, d] * 100:.2f}"]
        lines.append(", ".join(cells))
    path.write_text("\n".join(lines) + "\n")


def load(name: str):
    import allegiance

    return allegiance.load_scenario(str(KTAB / f"{name}.csv")).to_arrays()


def median_time(fn, repeat: int = 3) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds (CPU time is robust to other jobs on the machine)."""
    seconds, cpu, result, _ = timings(fn, repeat)
    return seconds, cpu, result


def timings(fn, repeat: int) -> tuple[float, float, object, float]:
    """Median wall-clock and CPU seconds, the result, and the best wall-clock seconds."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu), result, min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from allegiance.models.smp import SpatialModel

    compiled = SpatialModel(engine="numba")
    compiled.run(synthetic(12, 2))  # warm-up: loads (or compiles) the kernels
    plain = SpatialModel(engine="numpy")
    print("Model time in process (median and best of 5; the compiled engine after a warm-up "
          "that loads its kernels):")
    print()
    print("| case | actors × issues | turns | compiled engine: median (best) | CPU time | NumPy "
          "engine: median (best) | target |")
    print("|---|---|---|---|---|---|---|")
    rows = [("dummyData_6Dim", lambda: load("dummyData_6Dim"), "≤ 15 ms"),
            ("dummyData-a040", lambda: load("dummyData-a040"), "≤ 30 ms"),
            ("a080 (generated)", lambda: synthetic(80, 1, seed=80), "≤ 0.35 s")]
    a080 = None
    for label, make, target in rows:
        arrays = make()
        if label.startswith("a080"):
            a080 = arrays
        seconds, cpu, result, best = timings(lambda arrays=arrays: compiled.run(arrays), 5)
        numpy_seconds, _, numpy_result, numpy_best = timings(
            lambda arrays=arrays: plain.run(arrays), 5)
        assert np.allclose(result.positions, numpy_result.positions, atol=1e-9)
        print(f"| {label} | {arrays.n_actors} × {arrays.n_issues} | {int(result.n_rounds)} | "
              f"{seconds * 1000:.1f} ms ({best * 1000:.1f}) | {cpu * 1000:.1f} ms | "
              f"{numpy_seconds * 1000:.1f} ms ({numpy_best * 1000:.1f}) | {target} |")
    print()
    print("Whole process (`allegiance forecast`, default engine: NumPy for a job this small, "
          "since loading the compiled kernels costs about 0.5 s):")
    print()
    print("| case | actors × issues | best of 5 (wall) | median | target |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dummyData-a080.csv"
        write_ktab_csv(a080, path)
        command = [sys.executable, "-m", "allegiance.cli", "forecast", str(path), "--model",
                   "smp", "--input-format", "ktab-csv", "--format", "json", "--output",
                   str(Path(tmp) / "out.json")]
        best, median = process_seconds(command)
        print(f"| `allegiance forecast` process, a080 | 80 × 1 | {best:.2f} s | {median:.2f} s | "
              f"≤ 0.7 s |")
        print()
        print(report(command[:command.index("--model")] + ["--model", "mean"]
                     + command[command.index("--input-format"):]))
    print()
    print("Scaling (one turn: assessment, challenge search, bargains, resolution, and the "
          "next state's assessment):")
    print()
    print("| n actors | issues | one turn, compiled (wall) | CPU time | one turn, NumPy (wall) | "
          "peak RSS |")
    print("|---|---|---|---|---|---|")
    sizes = [10, 40, 80, 160, 320] + ([] if args.quick else [1000])
    one_turn = SpatialModel(rounds=1, engine="numba")
    one_turn_numpy = SpatialModel(rounds=1, engine="numpy")
    for n in sizes:
        arrays = synthetic(n, 3)
        repeat = 3 if n <= 320 else 1
        seconds, cpu, _ = median_time(lambda arrays=arrays: one_turn.run(arrays),
                                      repeat=repeat)
        numpy_seconds, _, _ = median_time(lambda arrays=arrays: one_turn_numpy.run(arrays),
                                          repeat=repeat)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {n} | 3 | {seconds:.3f} s | {cpu:.3f} s | {numpy_seconds:.3f} s | "
              f"{rss:.0f} MB |")

if __name__ == "__main__":
    main()
