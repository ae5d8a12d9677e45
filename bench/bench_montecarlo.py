"""Monte Carlo throughput: draws per second for the built-in scenarios and models, and scaling
with workers on a Dask LocalCluster.

    .venv/bin/python bench/bench_montecarlo.py            # the full table (a few minutes)
    .venv/bin/python bench/bench_montecarlo.py --quick    # smaller runs

Prints a Markdown table (paste it into bench/README.md, section "Monte Carlo"). Targets: 100,000
draws of eu-emissions-1994 with the BDM model (10 rounds) in at most 10 s on a 2-core machine;
10,000 draws of ktab-dummy-3dim with the SMP model in at most 3 s (``--smp-only`` prints just
that row, after a warm-up run that loads the compiled kernels).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import allegiance
from allegiance.models.registry import available_models, make_model
from allegiance.uncertainty.executors import DaskExecutor, LocalExecutor, ProcessExecutor
from allegiance.uncertainty.montecarlo import run_montecarlo
from allegiance.uncertainty.sampling import Sampler


def timed(function) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process and its threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument("--eu-runs", type=int, default=100_000)
    parser.add_argument("--syria-runs", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2", help="LocalCluster sizes to try")
    parser.add_argument("--smp-runs", type=int, default=10_000)
    parser.add_argument("--smp-only", action="store_true", help="only the SMP row")
    args = parser.parse_args()
    if args.quick:
        args.eu_runs, args.syria_runs = 20_000, 5_000
    models = [m for m in ("mean", "median", "bdm") if m in available_models()]
    print(f"machine: {os.cpu_count()} cores, {platform.python_version()}, numpy "
          f"{np.__version__}, load average {os.getloadavg()[0]:.1f}; allegiance "
          f"{allegiance.__version__}")
    print()
    print(row("scenario", "model", "executor", "draws", "seconds", "CPU s", "draws/s",
              "sampling s"))
    print(row(*["---"] * 8))
    if "smp" in available_models():
        scenario = allegiance.load_scenario("ktab-dummy-3dim")
        run_montecarlo(scenario, "smp", runs=64, seed=1, executor=LocalExecutor())  # warm-up
        sampler = Sampler(scenario)
        sampling, _ = timed(lambda: sampler.arrays(sampler.sample(1, 0, args.smp_runs)))
        seconds, cpu = timed(lambda: run_montecarlo(
            scenario, "smp", runs=args.smp_runs, seed=1, chunk_size=8192,
            executor=LocalExecutor()))
        print(row("ktab-dummy-3dim", "smp", "local", f"{args.smp_runs:,}", f"{seconds:.2f}",
                  f"{cpu:.2f}", f"{args.smp_runs / seconds:,.0f}", f"{sampling:.2f}"))
    if args.smp_only:
        return
    scenarios = {"eu-emissions-1994": args.eu_runs, "syria-2014": args.syria_runs}
    for name, runs in scenarios.items():
        scenario = allegiance.load_scenario(name)
        sampler = Sampler(scenario)
        sampling, _ = timed(lambda s=sampler, n=runs: s.arrays(s.sample(1, 0, n)))
        for model in models:
            params = {"rounds": 10} if model == "bdm" else {}
            seconds, cpu = timed(lambda s=scenario, m=model, n=runs, p=params: run_montecarlo(
                s, m, runs=n, seed=1, chunk_size=8192, executor=LocalExecutor(), **p))
            print(row(name, model + (" (10 rounds)" if params else ""), "local", f"{runs:,}",
                      f"{seconds:.2f}", f"{cpu:.2f}", f"{runs / seconds:,.0f}",
                      f"{sampling:.2f}"))
    if "bdm" in models:
        scenario = allegiance.load_scenario("eu-emissions-1994")
        arrays = Sampler(scenario).arrays(Sampler(scenario).sample(1, 0, args.eu_runs))
        model = make_model("bdm", rounds=10)
        seconds, cpu = timed(lambda: model.run(arrays))
        print(row("eu-emissions-1994", "bdm model call alone", "—", f"{args.eu_runs:,}",
                  f"{seconds:.2f}", f"{cpu:.2f}", f"{args.eu_runs / seconds:,.0f}", "—"))

        def processes() -> None:
            with ProcessExecutor(2) as pool:
                run_montecarlo(scenario, "bdm", runs=args.eu_runs, seed=1, chunk_size=10_000,
                               executor=pool, rounds=10)

        seconds, _ = timed(processes)
        print(row("eu-emissions-1994", "bdm (10 rounds)", "processes × 2, start-up included",
                  f"{args.eu_runs:,}", f"{seconds:.2f}", "—", f"{args.eu_runs / seconds:,.0f}",
                  "—"))

    print()
    model = "bdm" if "bdm" in models else "median"
    runs = args.eu_runs // 2
    print(f"scaling on a Dask LocalCluster (processes, 1 thread each): eu-emissions-1994, "
          f"{model}, {runs:,} draws, chunks of 5,000; cluster start-up excluded")
    print()
    print(row("workers", "seconds", "draws/s", "speed-up", "same numbers as local"))
    print(row(*["---"] * 5))
    scenario = allegiance.load_scenario("eu-emissions-1994")
    local = run_montecarlo(scenario, model, runs=runs, seed=1, chunk_size=5000)
    base = None
    for workers in [int(w) for w in args.workers.split(",")]:
        with DaskExecutor(workers=workers) as executor:
            executor.client.wait_for_workers(workers)
            run_montecarlo(scenario, model, runs=5000, seed=2, chunk_size=5000,
                           executor=executor)  # warm the workers (imports)
            start = time.perf_counter()
            result = run_montecarlo(scenario, model, runs=runs, seed=1, chunk_size=5000,
                                    executor=executor)
            seconds = time.perf_counter() - start
        base = base or seconds
        same = np.array_equal(result.outcomes, local.outcomes)
        print(row(workers, f"{seconds:.2f}", f"{runs / seconds:,.0f}", f"{base / seconds:.2f}",
                  "yes" if same else "NO"))


if __name__ == "__main__":
    main()
