"""Benchmark of the expected-utility ("BDM") model: the figures named in its issue.

Prints, for variant scholz-code, 10 rounds:
1. the Sultan data (17 actors) as a whole ``allegiance forecast`` process;
2. the 10-actor EU example, batched (runs per second), with each engine (``numba``, ``numpy``);
3. 1,000 actors;
4. a scaling table n = 10 ... 3,000 with the ratio to the per-pair Python twin
   (``tests/bdm_oracle.py``) run in this process (at small n; extrapolated as n³ above);
5. peak memory per batch item against n².

Run: ``python bench/bench_bdm.py`` (``--quick`` skips n = 3,000 and shortens repeats).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import allegiance
from allegiance import parallel
from allegiance.models.bdm import ExpectedUtilityModel
from allegiance.scenario.arrays import ScenarioArrays

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "bdm"
sys.path.insert(0, str(ROOT / "tests"))

from bdm_oracle import run_oracle  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from machine import best_of  # noqa: E402

SULTAN = {  # Sultan.csv of the same implementation: actor -> (capability, position, salience)
    "HAWKS": (0.65, 14.25, 0.8), "IRAN": (0.85, 14.20, 0.85), "RUSSIA": (0.55, 14.20, 0.65),
    "IPEC": (0.7, 14.10, 0.75), "GULF": (0.5, 14.10, 0.75), "MILITARY": (0.75, 14.00, 0.85),
    "KUWAIT": (0.65, 14.00, 0.9), "TRIBALS": (0.85, 13.95, 0.85),
    "RELIGIOUS LEADERS": (0.95, 13.90, 0.9), "BUSINESS": (0.6, 13.75, 0.8),
    "SULTAN": (0.95, 13.40, 0.95), "MAJLIS": (0.45, 13.35, 0.75), "ABDULLAH": (1.0, 13.25, 0.9),
    "FAHD": (1.05, 13.00, 0.9), "USA": (0.6, 13.00, 0.7), "NAZER": (0.8, 12.90, 0.85),
    "EUR/JPN": (0.75, 12.85, 0.75),
}
EU_EXAMPLE = {  # Bueno de Mesquita (1994): actor -> (capability, position, salience)
    "Netherlands": (0.08, 4, 0.8), "Belgium": (0.08, 7, 0.4), "Luxembourg": (0.03, 4, 0.2),
    "Germany": (0.16, 4, 0.8), "France": (0.16, 10, 0.6), "Italy": (0.16, 10, 0.6),
    "UK": (0.16, 10, 0.9), "Ireland": (0.05, 7, 0.1), "Denmark": (0.05, 4, 1.0),
    "Greece": (0.08, 7, 0.7),
}


def arrays_for(position, salience, capability, ids=None) -> ScenarioArrays:
    position = np.asarray(position, dtype=float)
    n = position.shape[-1]
    return ScenarioArrays(
        actor_ids=tuple(ids or (f"a{k}" for k in range(n))), issue_ids=("issue",),
        position=position[..., None],
        salience=np.asarray(salience, dtype=float)[..., None],
        capability=np.asarray(capability, dtype=float)[..., None],
        scale_low=[0.0], scale_high=[100.0],
    )


def random_arrays(n: int, seed: int = 0) -> tuple[ScenarioArrays, tuple]:
    rng = np.random.default_rng(seed)
    raw = (rng.uniform(0, 100, n), rng.uniform(0, 1, n), rng.uniform(0.05, 1, n))
    return arrays_for(*raw), raw


def child_run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def sultan_processes(repeat: int) -> list[tuple[str, float, float]]:
    data = REFERENCE / "Sultan.csv"
    cli = Path(sys.executable).with_name("allegiance")
    runs = []
    if cli.exists() and data.exists():
        runs.append(("allegiance forecast Sultan.csv --model bdm --rounds 10 --format json",
                     [str(cli), "forecast", str(data), "--model", "bdm", "--rounds", "10",
                      "--format", "json"]))
    sultan = [(c, x, s) for _, (c, x, s) in sorted(SULTAN.items())]
    code = ("import numpy as np; from allegiance.models.bdm import ExpectedUtilityModel; "
            "from allegiance.scenario.arrays import ScenarioArrays; "
            f"c, x, s = np.array({sultan!r}).T; n = len(x); "
            "a = ScenarioArrays(tuple(map(str, range(n))), ('x',), position=x[:, None], "
            "salience=s[:, None], capability=c[:, None], scale_low=[12.0], scale_high=[15.0]); "
            "print(ExpectedUtilityModel(rounds=10).run(a).outcome)")
    runs.append(("python -c: import the model module + run (no CLI)", [sys.executable, "-c", code]))
    results = []
    for label, command in runs:
        best = min((child_run(command) for _ in range(repeat)), key=lambda pair: pair[0])
        results.append((label, *best))
    return results


def cpu_seconds(function) -> float:
    """Single-thread CPU seconds (robust to other jobs on the machine), best of 2."""
    threads, parallel.THREADS = parallel.THREADS, 1
    try:
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            function()
            best = min(best, time.process_time() - start)
        return best
    finally:
        parallel.THREADS = threads


def eu_batch(batch: int = 20_000) -> ScenarioArrays:
    """Figure 2's batch: the EU example ``batch`` times."""
    names = list(EU_EXAMPLE)
    cap, pos, sal = (np.array([EU_EXAMPLE[a][k] for a in names], dtype=float) for k in range(3))
    return arrays_for(np.broadcast_to(pos, (batch, 10)), sal, cap, ids=names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batch-only", action="store_true",
                        help="figure 2 with the compiled engine only, naming the code it ran (for "
                             "paired runs against another checkout on PYTHONPATH)")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    if args.batch_only:
        eu = eu_batch()
        model = ExpectedUtilityModel(rounds=10, engine="numba")
        model.run(eu)  # (compiles or loads the kernels)
        seconds = best_of(3, lambda: model.run(eu))
        code = Path(allegiance.__file__).resolve().parents[1]
        print(f"EU example, batch of {len(eu.position):,}, engine=numba, THREADS = "
              f"{parallel.THREADS}, code {code}: {len(eu.position) / seconds:,.0f} runs/s")
        return
    model = ExpectedUtilityModel(rounds=10)
    print(f"BDM expected-utility model, variant scholz-code, 10 rounds; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")

    print("\n1. Sultan data (17 actors), 10 rounds, whole process (target <= 0.5 s):")
    for label, wall, cpu in sultan_processes(repeat):
        print(f"   {label}: {wall:.3f} s wall, {cpu:.3f} s CPU")

    batch = 20_000
    eu = eu_batch(batch)
    print(f"2. EU example, batch of {batch:,} (target >= 20,000 runs/s), by engine; wall time with "
          f"THREADS = {parallel.THREADS}, then single-thread CPU time:")
    outcomes = {}
    for engine in ("numba", "numpy"):
        engine_model = ExpectedUtilityModel(rounds=10, engine=engine)
        outcomes[engine] = engine_model.run(eu).positions  # (compiles the kernels once)
        seconds = best_of(max(2, repeat // 2), lambda m=engine_model: m.run(eu))
        cpu = cpu_seconds(lambda m=engine_model: m.run(eu))
        print(f"   engine={engine}: {seconds:.3f} s wall = {batch / seconds:,.0f} runs/s; "
              f"one thread: {batch / cpu:,.0f} runs per CPU second")
    same = np.array_equal(outcomes["numba"], outcomes["numpy"])
    print(f"   identical positions from both engines: {'yes' if same else 'NO'}")

    big, _ = random_arrays(1000)
    seconds = best_of(max(2, repeat // 2), lambda: model.run(big))
    cpu = cpu_seconds(lambda: model.run(big))
    print(f"3. 1,000 actors x 10 rounds (target <= 2 s): {seconds:.3f} s wall; "
          f"one thread: {cpu:.3f} CPU s")

    print("\n4. Scaling, one scenario, 10 rounds "
          "(oracle = per-pair Python twin, tests/bdm_oracle.py)")
    print(f"{'n':>6} {'fast (s)':>10} {'oracle (s)':>12} {'ratio':>10}  note")
    sizes = [10, 100, 300, 1000] + ([] if args.quick else [3000])
    oracle_per_n3 = None
    for n in sizes:
        arrays, raw = random_arrays(n, seed=n)
        fast = best_of(1 if n >= 1000 else 3, lambda arrays=arrays: model.run(arrays))
        if n <= 100:
            rounds = 10 if n <= 10 else 1
            measured = best_of(1, lambda raw=raw, rounds=rounds: run_oracle(*raw, rounds=rounds))
            oracle = measured * 10 / rounds
            oracle_per_n3 = oracle / n**3
            note = "oracle measured" + ("" if rounds == 10 else f" ({rounds} round x 10)")
        else:
            oracle = oracle_per_n3 * n**3
            note = "oracle extrapolated as n^3 from n = 100"
        print(f"{n:>6} {fast:>10.3f} {oracle:>12.1f} {oracle / fast:>10.0f}  {note}")

    print("\n5. Peak memory per batch item (tracemalloc, one round)")
    print(f"{'n':>6} {'peak MB':>9} {'bytes / n^2':>12}")
    one_round = ExpectedUtilityModel(rounds=1)
    for n in (100, 300, 1000):
        arrays, _ = random_arrays(n)
        tracemalloc.start()
        one_round.run(arrays)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{n:>6} {peak / 1e6:>9.1f} {peak / n**2:>12.0f}")


if __name__ == "__main__":
    main()
