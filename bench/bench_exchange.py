"""Benchmark of the exchange model (and the whole `allegiance forecast` process on COP21).

Prints a table: scenario, size, rounds, Allegiance model time (best of 3), the reference
implementation's time on the same input where known, and the speed-up. Reference times:
- "decide CLI": the figures measured for the issue with decide's own command line (observers
  writing CSV/SQLite included): ~10 s for the sample data, 28-40 s for COP21, ~90 s at 50 x 5.
- "decide model": decide's library loop alone (no observers), median seconds per 10-round run as
  stored with the reference numbers in tests/data/exchange_decide_reference.json.

Then the Monte Carlo figure: syria-2014 (built in), 10,000 draws x 10 rounds through
``run_montecarlo`` (default chunks of 1,024, local executor), with the compiled engine and with
the NumPy engine, wall and CPU seconds, and whether the two gave the same outcomes (target: ≤ 10 s
wall with the compiled engine).

Usage: .venv/bin/python bench/bench_exchange.py [--quick] [--montecarlo-only]
       [--montecarlo-runs N] [--engines numba,numpy]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from exchange_oracle import read_decide_file  # noqa: E402
from machine import process_seconds, report  # noqa: E402

import allegiance  # noqa: E402
from allegiance.models.exchange import ExchangeModel  # noqa: E402
from allegiance.scenario.arrays import ScenarioArrays  # noqa: E402
from allegiance.uncertainty.executors import LocalExecutor  # noqa: E402
from allegiance.uncertainty.montecarlo import run_montecarlo  # noqa: E402

SHARED = ROOT.parent / "shared" / "reference" / "decide"
REFERENCE = ROOT / "tests" / "data" / "exchange_decide_reference.json"
CLI_SECONDS = {"sample_data.txt": 10.0, "cop21.csv": 28.0, "synthetic 50x5": 90.0}


def synthetic(n_actors: int, n_issues: int, seed: int = 0) -> ScenarioArrays:
    rng = np.random.default_rng(seed)
    return ScenarioArrays(
        tuple(f"a{i}" for i in range(n_actors)), tuple(f"k{k}" for k in range(n_issues)),
        position=rng.choice([0.0, 25.0, 50.0, 75.0, 100.0], (n_actors, n_issues))
        + rng.uniform(0, 1, (n_actors, n_issues)).round(1),
        salience=rng.uniform(0.1, 1.0, (n_actors, n_issues)).round(2),
        capability=np.repeat(rng.uniform(0.1, 1.0, (n_actors, 1)), n_issues, axis=1),
        scale_low=np.zeros(n_issues), scale_high=np.full(n_issues, 101.0),
    )


def best_of(fn, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time of ``repeat`` calls (the machine may be shared)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return min(walls), min(cpus)


def montecarlo(runs: int, engines: list[str]) -> None:
    """Monte Carlo of the exchange model on syria-2014: both engines, 10 rounds."""
    scenario = allegiance.load_scenario("syria-2014")
    print(f"Monte Carlo, syria-2014, exchange (10 rounds), {runs:,} draws, local executor; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    # warm-up: loads the compiled kernel (compiles it on the first run after an edit)
    run_montecarlo(scenario, "exchange", runs=64, seed=1, executor=LocalExecutor(),
                   engine="numba")
    print(f"{'engine':<8} {'draws':>7} {'wall s':>8} {'CPU s':>8} {'draws/s':>8}")
    outcomes = {}
    for engine in engines:
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run_montecarlo(scenario, "exchange", runs=runs, seed=1,
                                executor=LocalExecutor(), rounds=10, engine=engine)
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        outcomes[engine] = result.outcomes
        print(f"{engine:<8} {runs:>7,} {wall:>8.2f} {cpu:>8.2f} {runs / wall:>8.0f}")
    if len(outcomes) == 2:
        same = np.array_equal(outcomes["numba"], outcomes["numpy"])
        print(f"same outcomes from both engines: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases")
    parser.add_argument("--montecarlo-only", action="store_true",
                        help="only the Monte Carlo figure")
    parser.add_argument("--montecarlo-runs", type=int, default=10_000)
    parser.add_argument("--engines", default="numba,numpy",
                        help="engines of the Monte Carlo figure, comma-separated")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if args.montecarlo_only:
        montecarlo(args.montecarlo_runs, engines)
        return
    quick = args.quick
    reference = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else None
    cases: list[tuple[str, ScenarioArrays, int, str]] = []
    for name in ("sample_data.txt", "cop21.csv"):
        if (SHARED / name).exists():
            cases.append((name, read_decide_file(SHARED / name), 10, "float"))
        else:
            print(f"(skipping {name}: reference input not found at {SHARED})")
    # the decide-compatible arithmetic on the same inputs
    cases += [(name, arrays, rounds, "decimal28") for name, arrays, rounds, _ in list(cases)]
    cases += [("synthetic 50x5", synthetic(50, 5), 10, "float"),
              ("synthetic 100x10", synthetic(100, 10), 10 if not quick else 1, "float")]
    if not quick:
        # 10 rounds at 200 x 20 take many minutes; one round shows the scaling
        cases.append(("synthetic 200x20", synthetic(200, 20), 1, "float"))
    header = (f"{'scenario':<18} {'arithmetic':>10} {'actors':>6} {'issues':>6} {'rounds':>6} "
              f"{'exchanges/rd':>12} "
              f"{'ours s':>8} {'cpu s':>7} {'decide model s*':>15} {'x':>6} {'decide CLI s':>12} "
              f"{'x':>6}")
    print(header)
    print("-" * len(header))
    for name, arrays, rounds, arithmetic in cases:
        model = ExchangeModel(rounds=rounds, tie_break="first", arithmetic=arithmetic)
        repeat = 1 if arrays.n_actors >= 100 else 3
        result = model.run(arrays, random_state=0)
        seconds, cpu = best_of(lambda m=model, a=arrays: m.run(a, random_state=0), repeat)
        per_round = float(np.mean(result.extra.get("exchanges_per_round", [0])))
        decide_model = None
        if reference and name in reference["data"]:
            decide_model = float(np.median(
                reference["data"][name]["repetitions"]["seconds_per_run"]))
        cli = CLI_SECONDS.get(name)
        model_text = f"{decide_model:15.2f} {decide_model / seconds:6.0f}" if decide_model else \
            f"{'-':>15} {'-':>6}"
        cli_text = f"{cli:12.0f} {cli / seconds:6.0f}" if cli else f"{'-':>12} {'-':>6}"
        print(f"{name:<18} {arithmetic:>10} {arrays.n_actors:>6} {arrays.n_issues:>6} {rounds:>6} "
              f"{per_round:>12.0f} {seconds:>8.3f} {cpu:>7.3f} {model_text} {cli_text}")
    print("* decide model s: stored median wall time of decide's library loop (tests/data), taken"
          " on a busy machine; see bench/README.md for a clean re-timing.")
    # whole process
    exe = ROOT / ".venv" / "bin" / "allegiance"
    if not exe.exists():
        exe = Path(shutil.which("allegiance") or "allegiance")
    target = SHARED / "cop21.csv"
    if target.exists():
        command = [str(exe), "forecast", str(target), "--model", "exchange", "--seed", "1",
                   "--format", "json"]
        try:
            best, median = process_seconds(command)
        except subprocess.CalledProcessError as exc:
            print(f"\nwhole process: the CLI failed ({exc.stderr.decode().strip()[-200:]})")
            return
        print(f"\nwhole process `allegiance forecast cop21.csv --model exchange` (10 rounds, json):"
              f" best of 5 = {best:.2f} s, median {median:.2f} s (target ≤ 0.5 s)")
        baseline = [str(exe), "forecast", str(target), "--model", "mean", "--format", "json"]
        print(report(baseline))
    print()
    montecarlo(args.montecarlo_runs, engines)

if __name__ == "__main__":
    main()
