"""Time the power indices (Shapley–Shubik and Banzhaf) for n = 10, 100 and 1,000 actors.

Weights are random integers 1..10 (seed 0), quota: simple majority, so the indices are exact.
A second row per size uses real weights (uniform 0..1), which are rounded to the resolution the
work budget allows; its worst error bound is printed. The one-off compilation of the kernel is
timed separately.

If the ``powerindex`` package is importable (it is not a dependency of Allegiance), or the
environment variable ``ALLEGIANCE_POWERINDEX_PYTHON`` names a Python interpreter that has it, the
same integer games are timed with it too (up to the sizes it finishes in reasonable time) and the
ratio is printed.

Run: ``python bench/bench_power.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

from allegiance.coalitions.power import WeightedGame

SIZES = (10, 100, 1000)
POWERINDEX_SIZES = {"shapley_shubik": (10, 100), "banzhaf": (10, 100, 1000)}
REPEATS = 3

POWERINDEX_SCRIPT = """
import json, sys, time
import powerindex as px
weights, quota, which = json.loads(sys.stdin.read())
game = px.Game(quota, weights=weights)
start = time.perf_counter()
if which == "banzhaf":
    game.calc_banzhaf()
else:
    game.calc_shapley_shubik()
print(time.perf_counter() - start)
"""


def best_of(function, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def powerindex_time(weights: list[int], quota: int, which: str) -> float | None:
    try:
        import powerindex as px  # noqa: F401
    except ImportError:
        interpreter = os.environ.get("ALLEGIANCE_POWERINDEX_PYTHON")
        if not interpreter:
            return None
        command = [interpreter, "-c", POWERINDEX_SCRIPT]
    else:
        command = [sys.executable, "-c", POWERINDEX_SCRIPT]
    result = subprocess.run(command, input=json.dumps([weights, quota, which]),
                            capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def main() -> None:
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    WeightedGame([3, 2, 2]).power_indices()
    print(f"kernel load/compile (first call): {time.perf_counter() - start:.2f} s\n")
    header = (f"{'n':>5} {'weights':>8} {'units K':>8} {'exact':>6} {'SS + Banzhaf s':>15} "
              f"{'Banzhaf s':>10} {'max SS err':>11} {'powerindex SS s':>16} "
              f"{'powerindex Bz s':>16}")
    print(header)
    print("-" * len(header))
    for n in SIZES:
        for kind in ("int 1-10", "real"):
            weights = (rng.integers(1, 11, size=n) if kind == "int 1-10"
                       else rng.random(n))
            game = WeightedGame(weights, rule="simple")
            both = best_of(lambda game=game: game.power_indices())
            bz = best_of(lambda game=game: game.power_indices(indices=("banzhaf",)))
            result = game.power_indices()
            pi_ss = pi_bz = ""
            if kind == "int 1-10":
                quota = int(result.integer_quota)
                ints = [int(w) for w in weights]
                if n in POWERINDEX_SIZES["shapley_shubik"]:
                    t = powerindex_time(ints, quota, "shapley_shubik")
                    pi_ss = "" if t is None else f"{t:.4f} (x{t / both:.0f})"
                if n in POWERINDEX_SIZES["banzhaf"]:
                    t = powerindex_time(ints, quota, "banzhaf")
                    pi_bz = "" if t is None else f"{t:.4f} (x{t / bz:.0f})"
            print(f"{n:>5} {kind:>8} {int(result.integer_weights.sum()):>8} "
                  f"{str(result.exact):>6} {both:>15.4f} {bz:>10.4f} "
                  f"{result.shapley_shubik_error.max():>11.2g} {pi_ss:>16} {pi_bz:>16}")
    print("\nSS + Banzhaf: both indices for every actor; best of", REPEATS, "runs;",
          "powerindex columns: its own time (and how many times slower).")


if __name__ == "__main__":
    main()
