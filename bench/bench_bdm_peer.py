"""Benchmark of the expected-utility ("BDM") model beside its reference, the public Python code of
Scholz, Calbert & Smith (2011), run in the same process on the same scenarios.

The reference is not part of Allegiance and is never installed by it: put its file
``bdm_scholz_model.py`` (GitHub ``dmasad/bdm-scholz-expected-utility-model``) in a folder and
name that folder with ``--peer DIR``. Without it only Allegiance's times are printed.

Prints, for 10 rounds of random scenarios on the coarse grids real data use (whole-number
positions 0-10, saliences in tenths, capabilities in twentieths), by number of actors: the
reference's time, ``arithmetic="float"`` and ``arithmetic="scholz-order"`` (best of 3), the
ratios, whether ``scholz-order`` gave the reference's positions bit for bit and the largest
difference of ``float``'s.

Run: ``python bench/bench_bdm_peer.py --peer DIR [--sizes 5 10 15]``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

import numpy as np

from allegiance.models.bdm import ExpectedUtilityModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bdm import arrays_for  # noqa: E402
from machine import best_of  # noqa: E402

ROUNDS = 10


def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 11, n).astype(float), rng.integers(1, 11, n) / 10,
            rng.integers(1, 21, n) / 20)


def run_peer(module, position, salience, capability) -> np.ndarray | None:
    """The reference's positions after every round (None if it stops with ZeroDivisionError)."""
    data = [{"Actor": f"a{k}", "Capability": repr(float(c)), "Salience": repr(float(s)),
             "Position": repr(float(p))}
            for k, (p, s, c) in enumerate(zip(position, salience, capability, strict=True))]
    model = module.BDMScholzModel(data, q=1.0, verbose=False)
    positions = [[actor.x for actor in model.actors]]
    try:
        for _ in range(ROUNDS):
            model.update_risk_aversions()
            model.update_positions()
            positions.append([actor.x for actor in model.actors])
    except ZeroDivisionError:
        return None
    return np.asarray(positions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", type=Path, help="folder holding bdm_scholz_model.py")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 15])
    args = parser.parse_args()
    module = None
    if args.peer is not None:
        sys.path.insert(0, str(args.peer.resolve()))
        module = importlib.import_module("bdm_scholz_model")
    models = {arithmetic: ExpectedUtilityModel(rounds=ROUNDS, arithmetic=arithmetic)
              for arithmetic in ("float", "scholz-order")}
    print(f"BDM, variant scholz-code, {ROUNDS} rounds, one scenario per size; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; reference: "
          + (str(args.peer) if module else "not given (--peer DIR)"))
    print(f"{'n':>4} {'reference s':>12} {'float s':>9} {'order s':>9} {'ref/float':>10} "
          f"{'ref/order':>10} {'order = ref':>12} {'float - ref':>12}")
    for n in args.sizes:
        seed = n
        position, salience, capability = draw(n, seed)
        while module is not None and run_peer(module, position, salience, capability) is None:
            seed += 1000  # a scenario the reference can run
            position, salience, capability = draw(n, seed)
        arrays = arrays_for(position, salience, capability)
        ours = {name: model.run(arrays).positions[:, :, 0] for name, model in models.items()}
        times = {name: best_of(3, lambda model=model, arrays=arrays: model.run(arrays))
                 for name, model in models.items()}
        if module is None:
            print(f"{n:>4} {'—':>12} {times['float']:>9.4f} {times['scholz-order']:>9.4f}")
            continue
        start = time.perf_counter()
        reference = run_peer(module, position, salience, capability)
        peer = time.perf_counter() - start
        same = "yes" if np.array_equal(ours["scholz-order"], reference) else "NO"
        gap = float(np.max(np.abs(ours["float"] - reference)))
        print(f"{n:>4} {peer:>12.3f} {times['float']:>9.4f} {times['scholz-order']:>9.4f} "
              f"{peer / times['float']:>10.0f} {peer / times['scholz-order']:>10.0f} "
              f"{same:>12} {gap:>12.1e}")


if __name__ == "__main__":
    main()
